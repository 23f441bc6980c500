"""Fixtures for the text-model tests: a tiny BERT built locally and separable synthetic splits."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The helpers module sits next to this file; make it importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))

from textmodels_support import Split, build_tiny_bert, make_split

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def train_split() -> Split:
    return make_split(96, seed=1)


@pytest.fixture(scope="session")
def val_split() -> Split:
    return make_split(32, seed=2)


@pytest.fixture(scope="session")
def test_split() -> Split:
    return make_split(64, seed=3)
