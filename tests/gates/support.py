"""A small governance repository built in tmp_path, with evidence written through the engine's store.

Tests change the use case as a dict, then ask for records of the planned jobs
with the results they need: no real job ever runs here.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import yaml

from charter.engine.plan import plan_usecase
from charter.engine.store import record_run
from charter.engine.store import EvidenceStore, evidence_bundle_hash
from charter.evidence.records import EvidenceRecord, Lineage
from charter.loading.loader import Repository, load_repository

TODAY = dt.date(2026, 3, 1)

CSV = (
    "customer_id,tenure,sex,region,churned,legacy_score\n"
    + "".join(f"c{i},{i % 40},{'female' if i % 2 else 'male'},{'north' if i % 3 else 'south'},{i % 2},{(i % 10) / 10}\n"
              for i in range(60))
)
CSV_SHA = hashlib.sha256(CSV.encode()).hexdigest()

ORGANISATION = {
    "apiVersion": "charter/v1", "kind": "Organisation", "name": "Acme Bank",
    "roles": [
        {"id": "data-scientist", "name": "Data Scientist", "responsibilities": "Builds models."},
        {"id": "ml-auditor", "name": "ML Auditor", "responsibilities": "Controls the risks of ML solutions."},
        {"id": "product-manager", "name": "Product Manager", "responsibilities": "Owns business metrics."},
    ],
    "businessUnits": [{"id": "retail", "name": "Retail"}],
    "teams": [
        {"id": "analytics", "name": "Analytics", "businessUnit": "retail", "github": "@acme/analytics"},
        {"id": "model-risk", "name": "Model Risk", "businessUnit": "retail", "github": "@acme/model-risk"},
    ],
    "people": [
        {"id": "ana", "name": "Ana Lima", "team": "analytics", "roles": ["data-scientist"], "github": "ana-l"},
        {"id": "ben", "name": "Ben Okoro", "team": "model-risk", "roles": ["ml-auditor"], "github": "ben-o"},
        {"id": "bea", "name": "Bea Stone", "team": "model-risk", "roles": ["ml-auditor"], "github": "bea-s"},
        {"id": "cleo", "name": "Cleo Park", "team": "analytics", "roles": ["product-manager"], "github": "cleo-p"},
    ],
}

POLICY = {
    "apiVersion": "charter/v1", "kind": "Policy",
    "stages": [
        {"id": "proposed", "name": "Proposed"},
        {"id": "experimentation", "name": "Experimentation",
         "requires": [{"id": "well-defined", "kind": "definition"}]},
        {"id": "pilot", "name": "Pilot", "requires": [
            {"id": "pilot-contracts", "kind": "data-contract"},
            {"id": "pilot-evaluated", "kind": "evidence", "runner": "evaluate"},
            {"id": "pilot-development", "kind": "maturity", "process": "development", "minLevel": 1},
            {"id": "pilot-card", "kind": "documentation", "fields": ["intendedUse", "limitations"], "minWords": 5},
        ]},
        {"id": "production", "name": "Production", "requires": [
            {"id": "production-quality", "kind": "metric", "metric": "primary", "min": 0.7,
             "description": "The primary metric meets the floor."},
            {"id": "production-fairness", "kind": "fairness"},
            {"id": "production-drift", "kind": "drift", "maxDriftShare": 0.3},
            {"id": "production-sign-off", "kind": "approval", "role": "product-manager"},
        ]},
        {"id": "retired", "name": "Retired", "terminal": True},
    ],
    "riskTiers": [
        {"id": "prohibited", "name": "Prohibited", "description": "Never built.", "maxStage": "proposed"},
        {"id": "high", "name": "High", "description": "Annex III.", "requires": {"production": [
            {"id": "auditor-sign-off", "kind": "approval", "role": "ml-auditor"},
            {"id": "fairness-interval", "kind": "fairness", "useInterval": True},
        ]}},
        {"id": "minimal", "name": "Minimal", "description": "Internal optimisation."},
    ],
    "fairness": {"minGroupSize": 30, "defaults": [{"metric": "demographic_parity_ratio", "min": 0.8}]},
    # These fixtures exercise the point-estimate and interval-bound rules, so a straddling interval is
    # decided by the rule; tests/gates/test_verdicts.py covers the fail-closed default.
    "verdicts": {"inconclusive": "decide"},
    "approvalValidityDays": 365,
}

MATURITY = {
    "apiVersion": "charter/v1", "kind": "MaturityModel",
    "processes": [
        {"id": p, "name": p.title(), "description": f"The {p} process.",
         "levels": [{"level": n, "name": f"L{n}", "requires": f"Level {n}."} for n in range(4)]}
        for p in ("development", "operationalisation", "continuous-training", "model-deployment",
                  "prediction-serving", "continuous-monitoring", "management")
    ],
    "organisationStages": [{"id": "limited", "name": "Limited experience", "aiStrategy": "PoCs.",
                            "dataStrategy": "Govern data.", "learningCulture": "Explore."}],
}

ALLOWLIST = {
    "apiVersion": "charter/v1", "kind": "Allowlist",
    "runners": ["data-contract", "sklearn-train", "evaluate", "fairness", "drift"],
    "estimators": [{"name": "LogisticRegression", "params": {"C": {"type": ["number"], "min": 0.0001, "max": 1000}}}],
}

WORDS = "This text has more than enough words to satisfy every documentation requirement in the policy here."

USECASE: dict[str, Any] = {
    "apiVersion": "charter/v1", "kind": "UseCase", "id": "churn", "title": "Customer churn",
    "summary": "Predict which customers leave.", "businessUnit": "retail", "team": "analytics",
    "stage": "production", "riskTier": "high",
    "owners": {"product-manager": "cleo", "data-scientist": "ana"},
    "task": {"type": "binary-classification", "target": "churned", "positiveLabel": 1,
             "description": "Flag customers likely to leave."},
    "evaluation": {"primaryMetric": "roc_auc", "threshold": 0.7, "secondaryMetrics": ["recall"]},
    "data": [{
        "id": "customers", "path": "data/customers.csv", "sha256": CSV_SHA, "description": "Customers.",
        "owner": "ana", "personalData": True, "sensitiveAttributes": ["sex"],
        "contract": {"columns": {
            "customer_id": {"type": "string", "unique": True},
            "tenure": {"type": "integer", "min": 0},
            "sex": {"type": "string", "allowed": ["female", "male"]},
            "region": {"type": "string"},
            "churned": {"type": "integer", "allowed": [0, 1]},
            "legacy_score": {"type": "float", "min": 0, "max": 1},
        }},
    }, {
        "id": "recent", "path": "data/customers.csv", "sha256": CSV_SHA, "description": "Recent customers.",
        "owner": "ana", "personalData": True,
    }],
    "businessImpact": {"kpi": "Retention", "measurement": "Monthly cohorts."},
    "consumption": {"mode": "batch", "consumers": ["CRM"]},
    "maturity": {"development": 2, "operationalisation": 1, "continuous-training": 0, "model-deployment": 1,
                 "prediction-serving": 1, "continuous-monitoring": 1, "management": 1},
    "jobs": [
        {"id": "contract", "runner": "data-contract", "data": ["customers"]},
        {"id": "train", "runner": "sklearn-train", "data": "customers",
         "features": {"numeric": ["tenure"], "categorical": ["region"]},
         "estimator": {"name": "LogisticRegression", "params": {"C": 1.0}}},
        {"id": "evaluate", "runner": "evaluate", "predictions": {"job": "train"}, "slices": ["region"],
         "champion": {"data": "customers", "label": "churned", "score": "legacy_score"}},
        {"id": "fairness", "runner": "fairness", "predictions": {"job": "train"}},
        {"id": "drift", "runner": "drift", "reference": "customers", "current": "recent"},
    ],
    "fairness": [{
        "id": "sex-parity", "sensitiveAttributes": ["sex"], "metric": "demographic_parity_ratio", "min": 0.8,
        "affectedGroups": "Women and men offered retention deals.", "rationale": "Four-fifths rule.",
    }],
    "gates": {"production": [
        {"id": "recall-by-region", "kind": "metric", "metric": "recall", "slice": "region=*", "min": 0.5},
    ]},
    "card": {f: WORDS for f in ("intendedUse", "outOfScopeUse", "limitations", "ethicalConsiderations",
                                "misuseAndEdgeCases", "contentWarnings", "humanOversight", "regulatoryJustification")},
}


def est(value: float | None, low: float | None = None, high: float | None = None, reason: str | None = None) -> dict:
    return {"value": value, "low": low, "high": high, "reason": reason}


def evaluate_results(roc_auc=(0.82, 0.78, 0.86), recall_north=0.7, recall_south=0.6, champion_auc=0.78) -> dict:
    return {
        "task": "binary-classification", "source": "job:train", "n": 60, "labels": [0, 1],
        "metrics": {"roc_auc": est(*roc_auc), "recall": est(0.65, 0.55, 0.75), "accuracy": est(0.8, 0.7, 0.9)},
        "slices": {"region": {
            "north": {"n": 40, "metrics": {"roc_auc": est(0.8), "recall": est(recall_north)}},
            "south": {"n": 20, "metrics": {"roc_auc": est(0.84), "recall": est(recall_south)}},
        }},
        "champion": None if champion_auc is None else {"roc_auc": est(champion_auc), "recall": est(0.6)},
    }


def fairness_results(ratio=(0.9, 0.82, 0.97), small_n: int | None = None) -> dict:
    n_f = small_n if small_n is not None else 30
    out = {
        "task": "binary-classification", "source": "job:train", "min_group_size": 30,
        "results": [{
            "attributes": ["sex"],
            "groups": [
                {"group": {"sex": "female"}, "label": "female", "n": n_f, "small": n_f < 30,
                 "metrics": {"selection_rate": 0.45}},
                {"group": {"sex": "male"}, "label": "male", "n": 30, "small": False, "metrics": {"selection_rate": 0.5}},
            ],
            "disparities": {"demographic_parity_ratio": est(*ratio), "demographic_parity_difference": est(0.05, 0.0, 0.1)},
        }],
    }
    if small_n is not None and small_n < 30:  # two groups of the minimum size stay, so the check is still judged
        out["results"][0]["groups"].append({"group": {"sex": "other"}, "label": "other", "n": 30, "small": False,
                                            "metrics": {"selection_rate": 0.48}})
    for block in out["results"]:  # the judged view: groups below the minimum size left out
        block["views"] = [{
            "min_group_size": 30, "included": [g["label"] for g in block["groups"] if g["n"] >= 30],
            "excluded": [{"group": g["label"], "n": g["n"], "reason": f"{g['n']} rows, below the minimum group size 30"}
                         for g in block["groups"] if g["n"] < 30],
            "disparities": block["disparities"]}]
    return out


def drift_results(share=0.2, removed: list[str] | None = None) -> dict:
    return {
        "reference": "customers", "current": "recent",
        "schema_changes": {"added": [], "removed": removed or [], "retyped": []},
        "features": [
            {"name": f, "kind": "numeric", "method": "psi", "statistic": 0.2 if i < share * 5 else 0.01,
             "threshold": 0.1, "drifted": i < round(share * 5)}
            for i, f in enumerate(["tenure", "legacy_score", "a", "b", "c"])
        ],
        "drift_share": share, "drifted": share > 0.3, "thresholds": {"psi": 0.1},
    }


def contract_results(passed=True) -> dict:
    return {"sources": [{
        "data": "customers", "path": "data/customers.csv", "sha256": CSV_SHA, "rows": 60, "passed": passed,
        "failures": [] if passed else [{"column": "tenure", "check": "greater_than_or_equal_to(0)", "failures": 3,
                                         "examples": [-1]}],
    }]}


def train_results() -> dict:
    return {"estimator": "LogisticRegression", "params": {"C": 1.0}, "features": ["tenure", "region"],
            "target": "churned", "n_train": 45, "n_test": 15, "predictions_artifact": "predictions",
            "model_artifact": "model"}


DEFAULT_RESULTS = {
    "contract": contract_results,
    "train": train_results,
    "evaluate": evaluate_results,
    "fairness": fairness_results,
    "drift": drift_results,
}


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_DUMPED: dict[int, tuple[Any, str]] = {}


def dump(data: Any) -> str:
    """YAML text of a spec; the module's own governance documents are dumped once (tests copy before changing)."""
    shared = any(data is d for d in (POLICY, ORGANISATION, MATURITY, ALLOWLIST))
    if shared and id(data) in _DUMPED:
        return _DUMPED[id(data)][1]
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
    if shared:
        _DUMPED[id(data)] = (data, text)
    return text


class GovRepo:
    """A governance repository on disk plus helpers to write evidence for it."""

    def __init__(self, root: Path, usecase: dict[str, Any] | None = None, policy: dict[str, Any] | None = None,
                 organisation: dict[str, Any] | None = None) -> None:
        self.root = root
        (root / "governance").mkdir(parents=True, exist_ok=True)
        self.write_governance(policy or POLICY, organisation or ORGANISATION)
        self.usecases: dict[str, dict[str, Any]] = {}
        self._loaded: dict[bytes, Repository] = {}
        self._plans: dict[tuple[bytes, str], list[Any]] = {}
        self.write_usecase(usecase if usecase is not None else copy.deepcopy(USECASE))

    @classmethod
    def copy_of(cls, other: "GovRepo", root: Path) -> "GovRepo":
        """A copy of another repository's files (specs and evidence) at root."""
        import shutil

        shutil.copytree(other.root, root)
        g = cls.__new__(cls)
        g.root = root
        g.usecases = copy.deepcopy(other.usecases)
        g._loaded = {}
        g._plans = dict(other._plans)
        return g

    def write_governance(self, policy: dict[str, Any], organisation: dict[str, Any]) -> None:
        for name, doc in (("organisation", organisation), ("policy", policy), ("maturity", MATURITY),
                          ("allowlist", ALLOWLIST)):
            (self.root / "governance" / f"{name}.yaml").write_text(dump(doc))

    def write_usecase(self, uc: dict[str, Any]) -> None:
        folder = self.root / "usecases" / uc["id"]
        (folder / "data").mkdir(parents=True, exist_ok=True)
        (folder / "data" / "customers.csv").write_text(CSV)
        (folder / "usecase.yaml").write_text(dump(uc))
        self.usecases[uc["id"]] = uc

    def _key(self) -> bytes:
        files = sorted(self.root.glob("governance/*.yaml")) + sorted(self.root.glob("usecases/*/usecase.yaml"))
        return hashlib.sha256(b"".join(f.read_bytes() for f in files)).digest()

    def load(self, *, require_valid: bool = True) -> Repository:
        key = self._key()
        cached = self._loaded.get(key)
        repo = cached if cached is not None else load_repository(self.root)
        self._loaded = {key: repo}
        if require_valid:
            assert repo.ok, "\n".join(f"{d.file}:{d.line}: {d.code} {d.message}" for d in repo.errors)
        return repo

    @property
    def store(self) -> EvidenceStore:
        return EvidenceStore(self.root)

    def planned(self, uc_id: str = "churn") -> list[Any]:
        key = (self._key(), uc_id)
        if key not in self._plans:
            repo = self.load()
            self._plans = {key: plan_usecase(repo, repo.usecases[uc_id])}
        return self._plans[key]

    def bundle_hash(self, uc_id: str = "churn") -> str:
        return evidence_bundle_hash(self.planned(uc_id))

    def review_digest(self, uc_id: str = "churn", stage: str = "production") -> str:
        """What an approval for ``stage`` must approve now (the records written so far, the current spec)."""
        from charter.approvals import review_digest
        from charter.gates.evidence import EvidenceView

        repo = self.load(require_valid=False)
        view = EvidenceView(self.store, self.planned(uc_id))
        return review_digest(repo, repo.usecases[uc_id], stage, view.jobs.values())

    def reapprove(self, uc_id: str = "churn") -> None:
        """Every approval of the use case re-given on what its stage shows now (after new results)."""
        uc = self.usecases[uc_id]
        for entry in uc.get("approvals", []):
            entry["evidence"] = self.review_digest(uc_id, entry["stage"])
        self.write_usecase(uc)

    def record(self, job: str, *, status: str = "pass", results: dict | None = None, reason: str | None = None,
               uc_id: str = "churn", evidence_id: str | None = None, finished: str = "2026-02-01T10:00:00+00:00",
               git_dirty: bool | None = None) -> EvidenceRecord:
        planned = next(p for p in self.planned(uc_id) if p.job_id == job)
        if results is None and status != "error":
            results = DEFAULT_RESULTS[job]()
        rec = EvidenceRecord(
            id=evidence_id or planned.evidence_id, use_case=uc_id, job=job, runner=planned.runner, status=status,
            reason=reason, inputs=planned.inputs,
            lineage=Lineage(git_commit=None if git_dirty is None else "0" * 40, git_dirty=git_dirty,
                            charter_version="0.1.0", python="3.11", platform="linux"),
            started_at=finished, finished_at=finished, duration_s=0.1, results=results or {},
        )
        record_run(self.store, rec)  # as a run records it: the file, then the ledger entry naming it
        return rec

    def record_all(self, uc_id: str = "churn", git_dirty: bool | None = None, **results: dict) -> None:
        for p in self.planned(uc_id):
            self.record(p.job_id, uc_id=uc_id, results=results.get(p.job_id), git_dirty=git_dirty)

    def approve(self, uc: dict[str, Any], *, by: str, role: str, stage: str = "production",
                date: dt.date = TODAY, evidence: str | None = None, expires: str | None = None) -> None:
        entry = {"stage": stage, "by": by, "role": role, "date": date.isoformat(),
                 "evidence": evidence or self.review_digest(uc["id"], stage)}
        if expires:
            entry["expires"] = expires
        uc.setdefault("approvals", []).append(entry)
        self.write_usecase(uc)
