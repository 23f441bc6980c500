"""A use case of precomputed predictions, as one Parquet file and as a folder of partitions of the same rows."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import repo_builder as rb


def predictions_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n)
    age = rng.choice(["18-30", "31-50", "51+"], n, p=[0.3, 0.5, 0.2]).astype(object)
    age[rng.random(n) < 0.02] = None  # a missing group
    region = rng.choice(["north", "south", "east", "west"], n)
    y = rng.random(n) < 0.3
    score = np.clip(0.3 * y + rng.normal(0.35, 0.2, n) + 0.05 * (sex == "male"), 0, 1).round(4)
    return pd.DataFrame({"customer": np.arange(n), "default": y.astype(np.int64), "score": score,
                         "flagged": (score >= 0.5).astype(np.int64), "sex": sex, "age_band": age,
                         "region": region})


def write_partitions(frame: pd.DataFrame, folder: Path, parts: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        sub = folder / f"month={i:02d}"
        sub.mkdir(exist_ok=True)
        frame.iloc[chunk].reset_index(drop=True).to_parquet(sub / "part-0.parquet", index=False)


def usecase(uc_id: str, path: str, sha: str, *, contract: dict[str, Any] | None = None,
            bootstrap: int = 200) -> dict[str, Any]:
    spec = rb.credit_usecase(uc_id)
    source: dict[str, Any] = {"id": "scored", "path": path, "sha256": sha, "description": "Scored rows.",
                              "owner": "ana", "personalData": True, "sensitiveAttributes": ["sex", "age_band"]}
    if contract is not None:
        source["contract"] = copy.deepcopy(contract)
    spec["data"] = [source]
    labels = {"data": "scored", "label": "default", "prediction": "flagged"}
    scores = {"data": "scored", "label": "default", "score": "score"}
    boot = {"replicates": bootstrap, "seed": 5}
    spec["jobs"] = [
        {"id": "evaluate", "runner": "evaluate", "predictions": labels, "slices": ["region", "age_band"],
         "bootstrap": boot},
        {"id": "evaluate-scores", "runner": "evaluate", "predictions": scores, "slices": ["region"],
         "bootstrap": boot},
        {"id": "fairness", "runner": "fairness", "predictions": labels, "bootstrap": boot},
        {"id": "fairness-scores", "runner": "fairness", "predictions": {**scores, "threshold": 0.45},
         "bootstrap": boot},
    ]
    if contract is not None:
        spec["jobs"].insert(0, {"id": "contract", "runner": "data-contract", "data": ["scored"]})
    return spec


def single_and_partitioned(root: Path, frame: pd.DataFrame, parts: int = 4,
                           contract: dict[str, Any] | None = None) -> Path:
    """Use case 'single' (one file) and 'parts' (``parts`` partitions) over the same rows."""
    from charter.loading.datasets import dataset_sha256
    from charter.io.fs import file_sha256

    rb.build_repo(root)
    one = root / "usecases" / "single" / "data" / "scored.parquet"
    one.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(one, index=False)
    folder = root / "usecases" / "parts" / "data" / "scored"
    write_partitions(frame, folder, parts)
    rb.write_usecase(root, usecase("single", "data/scored.parquet", file_sha256(one), contract=contract))
    rb.write_usecase(root, usecase("parts", "data/scored", dataset_sha256(folder), contract=contract))
    return root
