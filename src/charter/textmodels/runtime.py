"""Torch runtime helpers: device, threads, seeds, batched inference.

torch is imported inside the functions so that importing this module stays cheap.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import TokenizedTexts, inference_batches, pad_batch
from .deps import require_text_extras

if TYPE_CHECKING:
    import torch


def resolve_device(requested: str | None) -> str:
    torch, _ = require_text_extras()
    if requested is not None:
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"


def seed_everything(seed: int) -> None:
    torch, _ = require_text_extras()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


@contextmanager
def reproducible_runtime(*, seed: int, num_threads: int | None, device: str) -> Iterator[None]:
    """Seed, pin threads and ask for deterministic kernels; restore torch's global settings after.

    ``warn_only`` because some kernels (e.g. CUDA index_add in embeddings'
    backward) have no deterministic variant: a warning is better than a crash.
    """
    torch, _ = require_text_extras()
    previous_threads = torch.get_num_threads()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_fill = torch.utils.deterministic.fill_uninitialized_memory
    previous_cudnn_benchmark = torch.backends.cudnn.benchmark
    if device.startswith("cuda"):
        # cuBLAS is only deterministic with a fixed workspace; must be set before its first use.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    # Deterministic mode also NaN-fills every new uninitialised tensor: a debugging aid that
    # showed up as a sizeable share of each training step in profiles; results do not depend on it.
    torch.utils.deterministic.fill_uninitialized_memory = False
    seed_everything(seed)
    try:
        yield
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_deterministic, warn_only=previous_warn_only)
        torch.utils.deterministic.fill_uninitialized_memory = previous_fill
        torch.backends.cudnn.benchmark = previous_cudnn_benchmark


def to_tensors(batch: dict[str, np.ndarray], device: str) -> dict[str, torch.Tensor]:
    torch, _ = require_text_extras()
    return {name: torch.from_numpy(values).to(device) for name, values in batch.items()}


def forward_in_batches(
    run: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    tokens: TokenizedTexts,
    *,
    width: int,
    batch_size: int,
    pad_token_id: int,
    padding_side: str,
    device: str,
) -> np.ndarray:
    """Apply ``run`` to length-sorted padded batches; rows come back in input order."""
    torch, _ = require_text_extras()
    out = np.empty((len(tokens), width), dtype=np.float32)
    with torch.inference_mode():
        for indices in inference_batches(tokens.lengths, batch_size):
            batch = pad_batch(tokens, indices, pad_token_id=pad_token_id, padding_side=padding_side)
            out[indices] = run(to_tensors(batch, device)).float().cpu().numpy()
    return out


def pad_token_id(tokenizer: Any) -> int:
    """The tokenizer's pad id; BERT-like vocabularies always have one, GPT-like ones may not."""
    if tokenizer.pad_token_id is not None:
        return int(tokenizer.pad_token_id)
    if getattr(tokenizer, "eos_token_id", None) is not None:
        return int(tokenizer.eos_token_id)
    return 0
