"""Synthetic data and a tiny BERT for the text-model tests (no downloads)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CLASS_WORDS = {
    "billing": ["invoice", "refund", "charge", "payment", "price", "bill"],
    "outage": ["down", "crash", "error", "timeout", "offline", "broken"],
    "praise": ["great", "love", "thanks", "excellent", "happy", "awesome"],
}
_FILLER_TEXT = "the a my your is was app today again please account team service it this we they and very so"
FILLER_WORDS = _FILLER_TEXT.split()


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list[str]


def make_split(n: int, *, seed: int, classes: tuple[str, ...] = ("billing", "outage")) -> Split:
    """Texts of 2 to 24 words: one to three words of their class among neutral filler."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        label = classes[i % len(classes)]
        words = rng.choices(FILLER_WORDS, k=rng.randint(1, 21))
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(CLASS_WORDS[label]))
        texts.append(" ".join(words))
        labels.append(label)
    return Split(texts, labels)


def build_tiny_bert(directory: Path) -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) with a word-level vocabulary, saved to ``directory``."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast
    from transformers.utils import logging

    directory.mkdir(parents=True, exist_ok=True)
    vocab = SPECIAL_TOKENS + FILLER_WORDS + [w for words in CLASS_WORDS.values() for w in words]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # Loading from the folder reads vocab.txt the same way across transformers versions.
    tokenizer = BertTokenizerFast.from_pretrained(directory, local_files_only=True, model_max_length=128)
    tokenizer.save_pretrained(directory)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        pad_token_id=0,
    )
    logging.disable_progress_bar()
    try:
        BertModel(config).save_pretrained(directory)
    finally:
        logging.enable_progress_bar()
    return directory
