"""A small governance repository and hand-made evidence and decisions for the site tests.

Nothing runs: the records, gate decisions and ledger state are written out here,
so the rendered pages depend only on this file and the templates (golden tests).
One use case carries script and markup payloads in every kind of user text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from charter.evidence.records import EvidenceRecord
from charter.assessment import summarise
from charter.gates.evidence import JobEvidence
from charter.gates.model import GateDecision, RequirementResult
from charter.site.context import Change, LedgerStatus, SiteInputs

AS_OF = "2026-03-01"
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
JS_LINK = "[click me](javascript:window.__pwned=1)"
SVG_LABEL = "<svg onload=window.__pwned=1>"

CSV = "customer_id,tenure,sex,age_band,region,churned\n" + "".join(
    f"c{i},{i % 40},{'female' if i % 2 else 'male'},{'young' if i % 3 else 'old'},{('north', 'south', 'east', 'west')[i % 4]},"
    f"{i % 2}\n" for i in range(40))
CSV_SHA = hashlib.sha256(CSV.encode()).hexdigest()
WORDS = "Written for the fixture with enough words to pass documentation requirements of the policy."


def _doc(kind: str, **body: Any) -> dict[str, Any]:
    return {"apiVersion": "charter/v1", "kind": kind, **body}


ORGANISATION = _doc(
    "Organisation", name="Fixture Bank", description="A bank used by the site tests.",
    roles=[{"id": "data-scientist", "name": "Data Scientist", "responsibilities": "Builds models."},
           {"id": "ml-auditor", "name": "ML Auditor", "responsibilities": "Controls the risks of ML solutions."},
           {"id": "product-manager", "name": "Product Manager", "responsibilities": "Owns business metrics."}],
    businessUnits=[{"id": "retail", "name": "Retail"}],
    teams=[{"id": "analytics", "name": "Analytics", "businessUnit": "retail"},
           {"id": "model-risk", "name": "Model Risk", "businessUnit": "retail"}],
    people=[{"id": "ana", "name": "Ana Lima", "team": "analytics", "roles": ["data-scientist"],
             "email": "ana@example.org"},
            {"id": "ben", "name": "Ben Okoro", "team": "model-risk", "roles": ["ml-auditor"]},
            {"id": "cleo", "name": "Cleo Park", "team": "analytics", "roles": ["product-manager"]}],
)

POLICY = _doc(
    "Policy",
    stages=[{"id": "proposed", "name": "Proposed"},
            {"id": "experimentation", "name": "Experimentation",
             "requires": [{"id": "well-defined", "kind": "definition", "description": "The five questions."}]},
            {"id": "pilot", "name": "Pilot", "requires": [
                {"id": "pilot-contracts", "kind": "data-contract"},
                {"id": "pilot-evaluated", "kind": "evidence", "runner": "evaluate"}]},
            {"id": "production", "name": "Production", "requires": [
                {"id": "quality", "kind": "metric", "metric": "primary", "min": 0.7},
                {"id": "fair", "kind": "fairness"},
                {"id": "drift", "kind": "drift", "maxDriftShare": 0.3},
                {"id": "pm-sign-off", "kind": "approval", "role": "product-manager"}]},
            {"id": "retired", "name": "Retired", "terminal": True}],
    riskTiers=[{"id": "high", "name": "High", "description": "Annex III.", "requires": {"production": [
        {"id": "auditor-sign-off", "kind": "approval", "role": "ml-auditor"}]}},
               {"id": "minimal", "name": "Minimal", "description": "Internal optimisation."}],
    fairness={"minGroupSize": 30, "defaults": [{"metric": "demographic_parity_ratio", "min": 0.8}]},
    links=[{"title": "EU AI Act", "url": "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"}],
)

MATURITY = _doc(
    "MaturityModel",
    processes=[{"id": p, "name": p.replace("-", " ").capitalize(), "description": f"The {p} process.",
                "levels": [{"level": n, "name": f"L{n}", "requires": f"What level {n} of {p} needs."}
                           for n in range(4)]}
               for p in ("development", "operationalisation", "continuous-training", "model-deployment",
                         "prediction-serving", "continuous-monitoring", "management")],
    organisationStages=[{"id": "limited", "name": "Limited experience", "aiStrategy": "Proofs of concept.",
                         "dataStrategy": "Govern data.", "learningCulture": "Explore."},
                        {"id": "some", "name": "Some workloads in production", "aiStrategy": "Scale.",
                         "dataStrategy": "Consolidate.", "learningCulture": "Upskill.",
                         "minProductionUseCases": 1, "minAverageMaturity": 1.5}],
    commonMistakes=["Treating AI as plug-and-play."],
)

OKRS = _doc("OKRs", objectives=[{
    "id": "keep-customers", "title": "Keep more customers", "quarter": "2026-Q1", "owner": "cleo",
    "keyResults": [
        {"id": "churn-auc", "description": "Churn model AUC", "bucket": "ai-proxy", "metric": "roc_auc",
         "baseline": 0.7, "target": 0.9, "measuredBy": {"useCase": "churn", "metric": "roc_auc"}},
        {"id": "retention", "description": "12-month retention", "bucket": "north-star", "metric": "retention",
         "unit": "%", "baseline": 80, "target": 84, "current": 83},
    ]}])

ALLOWLIST = _doc("Allowlist", runners=["data-contract", "sklearn-train", "evaluate", "fairness", "drift"],
                 estimators=[{"name": "LogisticRegression",
                              "params": {"C": {"type": ["number"], "min": 0.0001, "max": 1000}}}])

SOURCE = {"id": "customers", "path": "data/customers.csv", "sha256": CSV_SHA, "description": "One row per customer.",
          "owner": "ana", "personalData": True, "sensitiveAttributes": ["sex", "age_band"],
          "contract": {"columns": {"customer_id": {"type": "string", "unique": True},
                                   "tenure": {"type": "integer", "min": 0},
                                   "sex": {"type": "string"}, "age_band": {"type": "string"},
                                   "region": {"type": "string"},
                                   "churned": {"type": "integer", "allowed": [0, 1]}}}}

CHURN = _doc(
    "UseCase", id="churn", title="Customer churn", summary="Predict which customers leave within a year.",
    businessUnit="retail", team="analytics", stage="pilot", riskTier="high",
    owners={"product-manager": "cleo", "data-scientist": "ana"}, tags=["retention"],
    links=[{"title": "Design doc", "url": "https://wiki.example.org/churn"}],
    task={"type": "binary-classification", "target": "churned", "positiveLabel": 1,
          "description": "Flag customers likely to leave."},
    evaluation={"primaryMetric": "roc_auc", "threshold": 0.75, "secondaryMetrics": ["recall"],
                "rationale": "Ranking quality drives the retention campaign."},
    data=[SOURCE, {"id": "recent", "path": "data/customers.csv", "sha256": CSV_SHA,
                   "description": "Customers of the last quarter.", "owner": "ana", "personalData": True}],
    businessImpact={"kpi": "Retention", "unit": "%", "baseline": 80, "target": 84, "measurement": "Monthly cohorts.",
                    "valuePerYear": 1200000, "costPerYear": 150000},
    consumption={"mode": "batch", "consumers": ["CRM"], "schedule": "weekly", "predictionsLogged": True},
    needForAi={"simplerAlternative": "Tenure rules miss half the leavers.", "drivesRevenue": True},
    maturity={"development": 2, "operationalisation": 1, "continuous-training": 0, "model-deployment": 1,
              "prediction-serving": 1, "continuous-monitoring": 1, "management": 2},
    okrs=["churn-auc"],
    prioritisation={"strategicAlignment": 4, "dataReadiness": 4, "technicalReadiness": 3, "risk": 3},
    jobs=[{"id": "contract", "runner": "data-contract"},
          {"id": "train", "runner": "sklearn-train", "data": "customers", "features": {"numeric": ["tenure"]},
           "estimator": {"name": "LogisticRegression", "params": {"C": 1.0}}},
          {"id": "evaluate", "runner": "evaluate", "predictions": {"job": "train"}, "slices": ["age_band"]},
          {"id": "fairness", "runner": "fairness", "predictions": {"job": "train"}},
          {"id": "drift", "runner": "drift", "reference": "customers", "current": "recent"}],
    fairness=[{"id": "sex-parity", "sensitiveAttributes": ["sex"], "metric": "demographic_parity_ratio", "min": 0.8,
               "affectedGroups": "Women and men offered retention deals.",
               "rationale": "Retention offers are a benefit; the four-fifths rule applies."}],
    approvals=[{"stage": "pilot", "by": "ben", "role": "ml-auditor", "date": "2026-01-10", "evidence": "a" * 64,
                "note": "Reviewed the evaluation."}],
    waivers=[{"requirement": "drift", "stage": "production", "owner": "cleo", "reason": "No live data yet.",
              "ticket": "RISK-12", "expires": "2027-06-30"}],
    card={"intendedUse": WORDS, "outOfScopeUse": "Pricing or credit decisions.", "limitations": WORDS},
)

PROBE = _doc(
    "UseCase", id="xss-probe", title=f"{SCRIPT} Probe {IMG}", summary=f"Summary {IMG} and {SCRIPT} and {JS_LINK}.",
    businessUnit="retail", team="analytics", stage="experimentation", riskTier="minimal",
    owners={"product-manager": "cleo"}, tags=[SCRIPT, "*bold* _x_ `code` | pipe # {: onclick=x}"],
    task={"type": "binary-classification", "target": "churned", "positiveLabel": 1, "description": f"Task {SCRIPT}"},
    evaluation={"primaryMetric": "roc_auc", "threshold": 0.7, "rationale": f"{JS_LINK} <a href='javascript:x'>a</a>"},
    data=[{**SOURCE, "description": f"Data {IMG}", "origin": JS_LINK, "sensitiveAttributes": ["sex"]}],
    businessImpact={"kpi": f"KPI {SCRIPT}", "measurement": f"![img](javascript:window.__pwned=1) {IMG}",
                    "valuePerYear": 5000},
    consumption={"mode": "online", "consumers": [f"{SCRIPT}"], "latencyP95Ms": 150},
    jobs=[{"id": "train", "runner": "sklearn-train", "data": "customers", "features": {"numeric": ["tenure"]},
           "estimator": {"name": "LogisticRegression"}},
          {"id": "evaluate", "runner": "evaluate", "predictions": {"job": "train"}, "slices": ["sex"]}],
    prioritisation={"strategicAlignment": 2, "dataReadiness": 3, "technicalReadiness": 4, "risk": 1,
                    "cannibalises": ["churn"]},
    card={f: f"{SCRIPT} {IMG} {JS_LINK}\n\n# Heading?\n\n    indented code\n- list {{: onclick=1}}" for f in
          ("intendedUse", "outOfScopeUse", "limitations", "ethicalConsiderations", "misuseAndEdgeCases",
           "contentWarnings", "humanOversight", "regulatoryJustification")},
    maturity={"development": 1, "operationalisation": 0, "continuous-training": 0, "model-deployment": 0,
              "prediction-serving": 0, "continuous-monitoring": 0, "management": 0},
)

IDEA = _doc(
    "UseCase", id="idea", title="Branch cash demand", summary="Forecast cash needs per branch.",
    businessUnit="retail", team="analytics", stage="proposed", riskTier="minimal", owners={"data-scientist": "ana"},
)


def write_repo(root: Path) -> Path:
    """Write the fixture repository under root and return root."""
    gov = root / "governance"
    gov.mkdir(parents=True, exist_ok=True)
    for name, doc in (("organisation", ORGANISATION), ("policy", POLICY), ("maturity", MATURITY), ("okrs", OKRS),
                      ("allowlist", ALLOWLIST)):
        (gov / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    for uc in (CHURN, PROBE, IDEA):
        folder = root / "usecases" / uc["id"]
        (folder / "data").mkdir(parents=True, exist_ok=True)
        (folder / "usecase.yaml").write_text(yaml.safe_dump(uc, sort_keys=False, allow_unicode=True))
        (folder / "data" / "customers.csv").write_text(CSV)
    return root


# --- evidence, decisions, ledger ---------------------------------------------------------------


def _id(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def est(value: float | None, low: float | None = None, high: float | None = None, reason: str | None = None) -> dict:
    return {"value": value, "low": low, "high": high, "reason": reason}


def record(uc: str, job: str, runner: str, results: dict[str, Any], *, status: str = "pass", day: int = 20,
           dirty: bool = False, reason: str | None = None) -> EvidenceRecord:
    return EvidenceRecord.model_validate({
        "id": _id(uc, job), "use_case": uc, "job": job, "runner": runner, "status": status, "reason": reason,
        "inputs": {"spec_sha256": _id("spec", uc, job), "data": {"customers": CSV_SHA},
                   "upstream": {"train": _id(uc, "train")} if runner in ("evaluate", "fairness") else {},
                   "runner_version": "0.1.0+" + _id("code", runner)[:12],
                   "packages": {"numpy": "2.1", "scikit-learn": "1.5"}, "seed": 0},
        "lineage": {"git_commit": "c0ffee" + "0" * 34, "git_dirty": dirty, "charter_version": "0.1.0",
                    "python": "3.11.7", "platform": "Linux-x86_64"},
        "started_at": f"2026-02-{day:02d}T10:00:00+00:00", "finished_at": f"2026-02-{day:02d}T10:00:02+00:00",
        "duration_s": 2.0, "results": results,
        "artifacts": [{"name": "model", "path": f"{uc}/{job}/model.skops", "sha256": _id("art", uc, job),
                       "bytes": 2048}] if runner == "sklearn-train" else [],
    })


def _train(uc: str) -> dict[str, Any]:
    return {"estimator": "LogisticRegression", "params": {"C": 1.0}, "features": ["tenure"], "target": "churned",
            "n_train": 30, "n_test": 10, "labels": [0, 1], "predictions_artifact": "predictions",
            "model_artifact": "model"}


def _evaluate(slice_col: str, values: list[str]) -> dict[str, Any]:
    return {"task": "binary-classification", "source": "job:train", "n": 400, "labels": [0, 1],
            "metrics": {"roc_auc": est(0.812, 0.774, 0.849), "recall": est(0.66, 0.58, 0.73),
                        "accuracy": est(0.79, 0.75, 0.83), "log_loss": est(0.45, 0.41, 0.5)},
            "confusion_matrix": [[180, 40], [61, 119]],
            "slices": {slice_col: {v: {"n": 200 - 20 * i, "metrics": {"roc_auc": est(0.83 - 0.09 * i, 0.78 - 0.09 * i,
                                                                                  0.88 - 0.09 * i),
                                                                    "recall": est(0.7 - 0.1 * i)},
                                       "confusion_matrix": [[90 - 10 * i, 20], [30, 60 - 10 * i]]}
                                   for i, v in enumerate(values)}},
            "bootstrap": {"replicates": 1000, "confidence": 0.95, "seed": 0},
            **_curves(values)}


def _curves(values: list[str]) -> dict[str, Any]:
    """Evaluation curves as the evaluate runner records them (result version 3)."""
    hostile = any("<" in v for v in values)
    decision = ({"threshold": None, "positive_label": 1, "rule": f"the labels in column '{SCRIPT}' of data:x"}
                if hostile else {"threshold": 0.3, "positive_label": 1,
                                 "rule": "predicted 1 when the score of 1 is at least 0.3"})
    fpr = [0.0, 0.05, 0.18, 0.4, 0.7, 1.0]
    tpr = [0.0, 0.3, 0.6, 0.8, 0.93, 1.0]
    return {
        "decision": decision,
        "roc": {"fpr": fpr, "tpr": tpr, "thresholds": [None, 0.8, 0.5, 0.3, 0.15, 0.01], "auc": 0.812,
                "points": 240},
        "pr": {"recall": [0.0, 0.3, 0.6, 0.8, 0.93, 1.0], "precision": [1.0, 0.87, 0.76, 0.64, 0.55, 0.45],
               "thresholds": [None, 0.8, 0.5, 0.3, 0.15, 0.01], "average_precision": 0.72, "prevalence": 0.45,
               "points": 241},
        "calibration": {"strategy": "uniform", "n": 400, "brier": 0.152, "ece": 0.031,
                        "bins": [{"low": i / 10, "high": (i + 1) / 10, "n": n,
                                  "mean_predicted": (i + 0.5) / 10 if n else None,
                                  "fraction_positive": (i + 0.3) / 10 if n else None}
                                 for i, n in enumerate([60, 52, 48, 44, 40, 40, 36, 34, 26, 0])]},
    }


def _fairness() -> dict[str, Any]:
    def row(label: str, n: int, rate: float, tpr: float) -> dict[str, Any]:
        return {"group": {"x": label}, "label": label, "n": n, "small": n < 30,
                "metrics": {"selection_rate": rate, "tpr": tpr, "fpr": round(rate / 3, 3)}}
    return _with_views({"task": "binary-classification", "source": "job:train", "min_group_size": 30,
            "results": [
                {"attributes": ["sex"], "groups": [row("female", 190, 0.41, 0.68), row("male", 210, 0.47, 0.7)],
                 "disparities": {"demographic_parity_ratio": est(0.872, 0.79, 0.95),
                                 "equalized_odds_difference": est(0.04, 0.01, 0.09)}},
                {"attributes": ["sex", "age_band"],
                 "groups": [row("female × old", 60, 0.38, 0.6), row("female × young", 130, 0.43, 0.7),
                            row("male × old", 22, 0.52, 0.75), row(f"male × {SVG_LABEL}", 188, 0.46, 0.7)],
                 "disparities": {"demographic_parity_ratio": est(0.731, 0.6, 0.86)}},
                {"attributes": ["age_band"], "groups": [row("old", 82, 0.42, 0.65), row("young", 318, 0.45, 0.7)],
                 "disparities": {"demographic_parity_ratio": est(0.933, 0.85, 0.99)}},
            ], "bootstrap": {"replicates": 1000, "confidence": 0.95}})


def _with_views(results: dict[str, Any]) -> dict[str, Any]:
    """The judged view the fairness job records: groups below the minimum size left out (same disparities)."""
    for block in results["results"]:
        block["views"] = [{
            "min_group_size": 30, "included": [g["label"] for g in block["groups"] if g["n"] >= 30],
            "excluded": [{"group": g["label"], "n": g["n"], "reason": f"{g['n']} rows, below the minimum group size 30"}
                         for g in block["groups"] if g["n"] < 30],
            "disparities": block["disparities"]}]
    return results


def _drift() -> dict[str, Any]:
    return {"reference": "customers", "current": "recent", "schema_changes": {"added": [], "removed": [],
                                                                                 "retyped": []},
            "features": [{"name": "tenure", "kind": "numeric", "method": "psi", "statistic": 0.14, "psi": 0.14,
                          "threshold": 0.1, "drifted": True},
                         {"name": "age_band", "kind": "categorical", "method": "chi2", "statistic": 1.2,
                          "p_value": 0.27, "threshold": 0.05, "drifted": False}],
            # one of two features drifted, yet the job's own flag is down (share 0.5 is not above 0.5)
            "drift_share": 0.5, "drifted": False, "thresholds": {"psi": 0.1, "chi2": 0.05, "drift_share": 0.5}}


def _contract() -> dict[str, Any]:
    return {"sources": [{"data": "customers", "path": "data/customers.csv", "sha256": CSV_SHA, "rows": 40,
                         "passed": True, "failures": []}]}


@dataclass(frozen=True)
class Planned:
    """The part of a planned job the assessment reads."""

    use_case: str
    job_id: str
    runner: str
    evidence_id: str
    inputs: Any = None
    depends_on: tuple[str, ...] = ()


def _state(uc: str, job: str, runner: str, results: dict[str, Any], freshness: str = "fresh", **kw: Any) -> JobEvidence:
    rec = record(uc, job, runner, results, **kw)
    if freshness == "stale":
        return JobEvidence(Planned(uc, job, runner, _id("planned", uc, job)), "stale", None, rec,
                           ("its spec section",))
    return JobEvidence(Planned(uc, job, runner, rec.id), "fresh", rec, rec, record_sha256=_id("file", uc, job))


def jobs() -> dict[str, list[JobEvidence]]:
    return {
        "churn": [_state("churn", "contract", "data-contract", _contract(), day=18),
                  _state("churn", "train", "sklearn-train", _train("churn"), day=19),
                  _state("churn", "evaluate", "evaluate", _evaluate("age_band", ["old", "young"]), day=20),
                  _state("churn", "fairness", "fairness", _fairness(), day=20, dirty=True),
                  _state("churn", "drift", "drift", _drift(), freshness="stale", day=12)],
        "xss-probe": [_state("xss-probe", "train", "sklearn-train", _train("xss-probe"), day=21),
                      _state("xss-probe", "evaluate", "evaluate", _evaluate("sex", [SVG_LABEL, SCRIPT]), day=21)],
        "idea": [],
    }


BUNDLE = {"churn": _id("bundle", "churn"), "xss-probe": _id("bundle", "xss-probe"), "idea": _id("bundle", "idea")}


def _req(id: str, kind: str, status: str, reason: str, **kw: Any) -> RequirementResult:
    return RequirementResult(id=id, kind=kind, origin=kw.pop("origin", "policy"), status=status,  # type: ignore[arg-type]
                             reason=reason, **kw)


def decisions() -> dict[str, list[GateDecision]]:
    churn_ev = _id("churn", "evaluate")
    return {
        "churn": [
            GateDecision("churn", "pilot", True, (
                _req("pilot-contracts", "data-contract", "pass", "40 rows passed the contract",
                     evidence=(_id("churn", "contract"),)),
                _req("pilot-evaluated", "evidence", "pass", "job 'evaluate' passed on the current inputs (2026-02-20)",
                     evidence=(churn_ev,))), BUNDLE["churn"], AS_OF, "pilot", "high"),
            GateDecision("churn", "production", False, (
                _req("quality", "metric", "pass", "roc_auc 0.812 ≥ 0.7 (min)", metric="roc_auc", candidate=0.812,
                     threshold=0.7, comparator=">=", evidence=(churn_ev,)),
                _req("fair", "fairness", "fail", "sex-parity: ...; 1 of 3 pass",
                     evidence=(_id("churn", "fairness"),), details={"parts": [
                         # passes on its point estimate (0.872), fails on the interval bound the high tier judges
                         {"label": "sex-parity", "status": "fail",
                          "reason": "demographic_parity_ratio's lower bound 0.790 is below the minimum 0.8",
                          "rule": {"source": "risk-tier:high", "basis": "lower bound of the 95 % interval",
                                   "comparator": ">=", "limit": 0.8, "value": 0.79,
                                   "text": "lower bound 0.790 of the 95 % interval < 0.8: the high risk tier judges "
                                           "the interval bound (point estimate 0.872)"}},
                         {"label": "policy-demographic-parity-ratio-age-band", "status": "pass",
                          "reason": "demographic_parity_ratio 0.933 ≥ 0.8"},
                         {"label": "policy-demographic-parity-ratio-sex", "status": "fail",
                          "reason": "demographic_parity_ratio 0.731 is below the minimum 0.8"}]}),
                _req("drift", "drift", "waived", "waived by cleo until 2027-06-30 (RISK-12: No live data yet.); "
                     "without it the requirement would be an error: the evidence of job 'drift' (drift) is stale",
                     rule={"source": "waiver 'RISK-12'", "basis": "waiver",
                           "text": "waiver RISK-12 by cleo until 2027-06-30 turns an error into waived"},
                     details={"underlyingStatus": "error", "underlyingRule": {
                         "source": "fail-closed", "basis": "evidence",
                         "text": "missing, stale or errored evidence is an error: the gate fails closed"}},
                     waiver={
                         "requirement": "drift", "stage": "production", "owner": "cleo", "reason": "No live data yet.",
                         "ticket": "RISK-12", "expires": "2027-06-30"}),
                _req("pm-sign-off", "approval", "fail", "0 of 1 approvals by 'product-manager' for stage 'production'",
                     command="charter approve churn --stage production --by cleo --role product-manager"),
                _req("auditor-sign-off", "approval", "fail", "0 of 1 approvals by 'ml-auditor'",
                     origin="risk-tier:high", description="Independent second-line sign-off.")),
                BUNDLE["churn"], AS_OF, "pilot", "high", applied_waivers=({
                    "requirement": "drift", "stage": "production", "owner": "cleo", "reason": "No live data yet.",
                    "ticket": "RISK-12", "expires": "2027-06-30"},)),
        ],
        "xss-probe": [
            # out of compliance at its own stage: the home page leads with it (user text in its title)
            GateDecision("xss-probe", "experimentation", False, (
                _req("well-defined", "definition", "fail", f"unanswered definition questions: consumption {SCRIPT}"),),
                BUNDLE["xss-probe"], AS_OF, "experimentation", "minimal"),
            GateDecision("xss-probe", "pilot", False, (
                _req("pilot-contracts", "data-contract", "fail", f"no data source declares a contract {SCRIPT}"),
                _req("pilot-evaluated", "evidence", "pass", "job 'evaluate' passed",
                     evidence=(_id("xss-probe", "evaluate"),))), BUNDLE["xss-probe"], AS_OF, "experimentation",
                "minimal"),
        ],
        "idea": [
            GateDecision("idea", "proposed", True, (), BUNDLE["idea"], AS_OF, "proposed", "minimal"),
            GateDecision("idea", "experimentation", False, (
                _req("well-defined", "definition", "fail",
                     "unanswered definition questions: task, evaluation, data, businessImpact, consumption; "
                     "add them to the spec", details={"missing": ["task"]}),), BUNDLE["idea"], AS_OF, "proposed",
                "minimal"),
        ],
    }


def site_inputs(repo: Any, *, as_of: Any = None) -> SiteInputs:
    """An evidence source with the hand-made evidence above (drop-in for the engine)."""
    today = dt.date.fromisoformat(AS_OF)
    made = decisions()
    assessments = {}
    for uc_id, states in jobs().items():
        uc = repo.usecases[uc_id]
        current = next((d for d in made[uc_id] if d.stage == uc.stage), None)
        nxt = next((d for d in made[uc_id] if d.stage != uc.stage), None)
        assessments[uc_id] = summarise(repo, uc, states, current, nxt, today)
    return SiteInputs(
        repo=repo, assessments=assessments,
        ledger=LedgerStatus(ok=False, entries=12, head=_id("head"), records_checked=7, problems=(
            {"kind": "record", "message": f"the record's content differs from what the run wrote {SCRIPT}",
             "line": None, "file": f"evidence/records/churn/drift/{_id('churn', 'drift')}.json"},)),
        changes=[Change("2026-02-21T10:00:02+00:00", "run", "xss-probe", "evaluate", "pass"),
                 Change("2026-02-20T10:00:02+00:00", "run", "churn", "evaluate", "pass"),
                 Change("2026-02-20T11:00:00+00:00", "decision", "churn", "production", "blocked")],
        as_of=AS_OF,
    )
