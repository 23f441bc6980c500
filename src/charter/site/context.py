"""Repository + evidence + gate decisions → plain view-model data for the pages.

Nothing here computes a metric: numbers come from evidence records, decisions
from the gates. What is computed is arithmetic over the specs themselves (the
prioritisation scores, maturity averages, OKR progress from a recorded value)
and it is documented where it happens.

Two steps keep rendering testable without running anything:

* :func:`gather` asks :func:`charter.assessment.assess` for each use case's
  assessment (evidence, freshness, decisions, approval and waiver statuses, the
  portfolio state), producing :class:`SiteInputs`;
* :func:`build_context` turns :class:`SiteInputs` into plain data (dicts, lists,
  strings, numbers), sorted, so the same inputs always give the same pages.

The pages never judge: every verdict, status and count shown is read from an
:class:`~charter.assessment.Assessment`. Golden tests build :class:`SiteInputs`
by hand (assessments summarised from hand-made evidence and decisions).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..artifacts.ledger import LedgerEntry
from ..assessment import STATE_LABELS, STATES, Assessment, count_states
from ..errors import SchemaVersionError
from ..gates.evidence import CachingStore, JobEvidence
from ..kinds import runners as runner_kinds
from ..kinds.runners._shared import TrainResult
from ..kinds.runners.data_contract import DataContractResult
from ..kinds.runners.drift import DriftResult
from ..kinds.runners.evaluate import EvaluateResult
from ..kinds.runners.fairness import FairnessResult
from ..metrics.catalog import FAIRNESS_METRICS, GROUP_METRICS, MODEL_METRICS, lookup
from ..spec.common import PROCESS_IDS
from ..spec.usecase import CARD_FIELDS, Card, UseCase

PAGE_SIZE = 100
"""Rows per page of the use-case index (and on the portfolio home before it links to the index)."""

CARD_TITLES = {
    "intended_use": "Intended use",
    "out_of_scope_use": "Out-of-scope use",
    "limitations": "Limitations",
    "ethical_considerations": "Ethical considerations",
    "misuse_and_edge_cases": "Misuse and edge cases",
    "content_warnings": "Content warnings",
    "human_oversight": "Human oversight",
    "regulatory_justification": "Regulatory justification",
}
CARD_ALIASES = {name: (Card.model_fields[name].alias or name) for name in CARD_FIELDS}

TRAINING_RUNNERS = runner_kinds.training()


# --- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerStatus:
    ok: bool
    entries: int
    head: str | None
    records_checked: int = 0
    problems: tuple[dict[str, Any], ...] = ()
    """kind, message, line, file"""


@dataclass(frozen=True)
class Change:
    at: str
    """ISO timestamp (UTC) from the ledger or the record."""
    kind: str
    """run | decision"""
    use_case: str
    what: str
    """job id (runs) or stage id (decisions)"""
    status: str
    """pass | fail | error (runs); passed | blocked (decisions)"""


@dataclass
class SiteInputs:
    repo: Any
    """charter.loading.loader.Repository (valid)."""
    assessments: dict[str, Assessment] = field(default_factory=dict)
    ledger: LedgerStatus | None = None
    changes: list[Change] = field(default_factory=list)
    as_of: str = ""
    """ISO date the decisions were made (expiries are judged against it)."""
    warnings: list[str] = field(default_factory=list)

    # the evidence-source interface (see EngineEvidence)
    def assessment(self, uc_id: str) -> Assessment:
        return self.assessments[uc_id]

    def ledger_status(self) -> LedgerStatus | None:
        return self.ledger

    def recent_changes(self) -> list[Change]:
        return list(self.changes)

    def notes(self) -> list[str]:
        return list(self.warnings)


# --- gathering from the engine ----------------------------------------------------------


class _WithoutSource:
    """The repository as the gates see it from the site: without spec text.

    The gates locate each requirement's line in the spec for annotations, which
    means parsing every spec again per decision; the site shows no line numbers,
    so it hides the text and the gates skip that work.
    """

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self.files: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repo, name)


class EngineEvidence:
    """Assessments and the ledger's state, read through the engine and the gates.

    Per use case, :func:`charter.assessment.assess`: its planned jobs' evidence
    (fresh, stale or missing), the decisions on its current stage and the next
    one, and what they made of its approvals and waivers.
    """

    def __init__(self, repo: Any, as_of: dt.date | None = None) -> None:
        from ..engine.store import EvidenceStore

        self.repo = repo
        self.today = as_of or dt.date.today()
        self.as_of = self.today.isoformat()
        self.raw_store = EvidenceStore(repo.root)
        self.store = CachingStore(self.raw_store)
        self.judged = _WithoutSource(repo)
        self._ledger: LedgerStatus | None = None
        self._verified = False
        self._assessed: dict[str, Assessment] = {}

    def assessment(self, uc_id: str) -> Assessment:
        """The use case's assessment, made once per build (key results read other use cases' evidence too)."""
        from ..assessment import assess

        if uc_id not in self._assessed:
            self._assessed[uc_id] = assess(self.judged, self.store, self.repo.usecases[uc_id], self.today)
        return self._assessed[uc_id]

    def ledger_status(self) -> LedgerStatus | None:
        """Verify the ledger's chain and every record against its run entry (reads every record once)."""
        if not self._verified:
            from ..engine.ledger import Ledger

            result = Ledger(self.repo.root).verify(store=self.store)
            self._ledger = LedgerStatus(
                ok=result.ok, entries=result.entries, head=result.head, records_checked=result.records_checked,
                problems=tuple({"kind": p.kind, "message": p.message, "line": p.line, "file": p.file}
                               for p in result.problems))
            self._verified = True
        return self._ledger

    def recent_changes(self) -> list[Change]:
        from ..engine.ledger import Ledger

        try:
            entries = Ledger(self.repo.root).read_entries()
        except SchemaVersionError:
            entries = []  # a ledger in another schema: the ledger check says so and how to record it again
        changes = changes_from_ledger(entries)
        if changes:
            return changes
        out = [Change(st.record.finished_at, "run", st.record.use_case, st.record.job, st.record.status)
               for st in self.store.iter_stored()]
        out.sort(key=lambda c: (c.at, c.use_case, c.what), reverse=True)
        return out[:15]

    def notes(self) -> list[str]:
        return list(self.raw_store.warnings)


def gather(repo: Any, *, as_of: dt.date | None = None, verify_ledger: bool = True) -> SiteInputs:
    """Everything at once, as :class:`SiteInputs` (the build streams per use case instead)."""
    source = EngineEvidence(repo, as_of)
    inputs = SiteInputs(repo=repo, as_of=source.as_of)
    for uc_id in sorted(repo.usecases):
        inputs.assessments[uc_id] = source.assessment(uc_id)
    inputs.ledger = source.ledger_status() if verify_ledger else None
    inputs.changes = source.recent_changes()
    inputs.warnings.extend(source.notes())
    return inputs


def changes_from_ledger(entries: Iterable[LedgerEntry], limit: int = 15) -> list[Change]:
    """The latest runs and decisions of the ledger, read through its typed entries (schema 2)."""
    out = []
    for e in entries:
        run = e.run()
        if run is not None:
            out.append(Change(e.at, "run", run.use_case, run.job, run.status))
            continue
        try:
            decision = e.decision()
        except SchemaVersionError:
            continue  # a decision in a newer schema: the ledger check reports it
        if decision is not None:
            out.append(Change(e.at, "decision", decision.use_case, decision.stage,
                              "passed" if decision.passed else "blocked"))
    out.sort(key=lambda c: (c.at, c.use_case, c.what), reverse=True)
    return out[:limit]


def changes_from_records(jobs: dict[str, tuple[JobEvidence, ...]], limit: int = 15) -> list[Change]:
    out = []
    for uc_id, states in jobs.items():
        for s in states:
            r = s.shown
            if r is not None:
                out.append(Change(r.finished_at, "run", uc_id, s.job, r.status))
    out.sort(key=lambda c: (c.at, c.use_case, c.what), reverse=True)
    return out[:limit]


# --- small helpers ------------------------------------------------------------------------


def _est(e: Any) -> dict[str, Any]:
    if e is None:
        return {"value": None, "low": None, "high": None, "reason": None}
    get = e.get if isinstance(e, dict) else (lambda k, d=None: getattr(e, k, d))
    return {"value": _finite(get("value")), "low": _finite(get("low")), "high": _finite(get("high")),
            "reason": get("reason")}


def _finite(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _title(metric: str) -> str:
    info = lookup(metric) or GROUP_METRICS.get(metric)
    return info.title if info else metric


def _gib(metric: str) -> bool:
    info = MODEL_METRICS.get(metric) or FAIRNESS_METRICS.get(metric) or GROUP_METRICS.get(metric)
    return True if info is None else info.greater_is_better


def _result(s: JobEvidence) -> Any:
    """The shown record's typed result, read by its runner's kind (None for an errored or unreadable record)."""
    r = s.shown
    if r is None or r.status == "error":
        return None
    kind = runner_kinds.find(s.runner)
    return kind.result(r) if kind is not None else None


# --- verdicts: what the decisions judged, and by which rule ------------------------------------

def _verdict(stage: str, status: str, rule: Any, reason: str, details: Any = None) -> dict[str, Any]:
    """One verdict as a cell shows it: the decision's status and the sentence of the rule that decided it."""
    rule = rule if isinstance(rule, dict) else {}
    details = details if isinstance(details, dict) else {}
    underlying = details.get("underlyingStatus") if status == "waived" else None
    return {"status": status, "label": status if underlying is None else f"waived (underlying {underlying})",
            "text": rule.get("text") or reason, "source": rule.get("source"), "basis": rule.get("basis"),
            "stage": stage, "underlying": underlying}


Verdicts = dict[tuple[str, str], list[dict[str, Any]]]


def _index_metric(out: Verdicts, stage: str, r: Any, top: dict[str, Any], details: dict[str, Any]) -> None:
    """A slice gate's verdicts belong to the slices it judged, in the slice tables (key
    ``("slice <metric>", "col=value")``); an overall gate's to the metric's row."""
    if not r.metric:
        return
    parts = [p for p in details.get("parts") or [] if isinstance(p, dict) and "=" in str(p.get("label", ""))]
    if not parts:
        out.setdefault(("metric", r.metric), []).append(top)
        return
    for part in parts:
        judged = top if top["status"] == "waived" else _verdict(  # a waiver covers every slice it judged
            stage, str(part.get("status", "error")), part.get("rule"), str(part.get("reason", "")))
        out.setdefault((f"slice {r.metric}", str(part["label"])), []).append(judged)


def _index_drift(out: Verdicts, stage: str, r: Any, top: dict[str, Any], details: dict[str, Any]) -> None:
    for e in r.evidence:
        out.setdefault(("drift", e), []).append(top)
    out.setdefault(("drift", ""), []).append(top)


def _index_checks(out: Verdicts, stage: str, r: Any, top: dict[str, Any], details: dict[str, Any]) -> None:
    for part in details.get("parts") or ():
        if isinstance(part, dict) and part.get("label"):
            out.setdefault(("check", str(part["label"])), []).append(
                _verdict(stage, str(part.get("status")), part.get("rule"), str(part.get("reason")), part))


_INDEX_BY_SECTION = {"evaluation": _index_metric, "drift": _index_drift, "fairness": _index_checks}
"""Where the verdicts of a requirement kind are shown, by the runner section the kind judges (its ``SECTION``)."""


def _verdict_index(decisions: tuple[Any, ...]) -> Verdicts:
    """Verdicts by what they judged: ``("metric", name)``, ``("check", fairness check id)``,
    ``("drift", record id)`` and ``("drift", "")`` (every drift requirement), in decision order."""
    out: Verdicts = {}
    for dec in decisions:
        for r in dec.requirements:
            details = r.details if isinstance(r.details, dict) else {}
            index = _INDEX_BY_SECTION.get(requirement_kinds_section(r.kind) or "")
            if index is not None:
                index(out, dec.stage, r, _verdict(dec.stage, r.status, r.rule, r.reason, details), details)
    return out


def requirement_kinds_section(kind: str) -> str | None:
    """The runner section a requirement kind judges (its module's ``SECTION``), None for one that judges no job."""
    import sys

    from ..kinds import requirements

    entry = requirements.KINDS.get(kind)
    module = sys.modules.get(entry.judge.__module__) if entry is not None else None
    section = getattr(module, "SECTION", None)
    return section if isinstance(section, str) else None


def stage_in_production(policy: Any) -> str | None:
    """The stage counted as 'in production': the one with id 'production', else the last non-terminal stage."""
    ids = [s.id for s in policy.stages]
    if "production" in ids:
        return "production"
    live = [s.id for s in policy.stages if not s.terminal]
    return live[-1] if live else None


# --- the context ---------------------------------------------------------------------------


class _Directory:
    """Names of people, roles, teams and units (ids are shown when a name is unknown)."""

    def __init__(self, repo: Any) -> None:
        org = repo.organisation
        self.people = {p.id: p for p in org.people} if org else {}
        self.roles = {r.id: r.name for r in org.roles} if org else {}
        self.teams = {t.id: t.name for t in org.teams} if org else {}
        self.units = {b.id: b.name for b in org.business_units} if org else {}
        policy = repo.policy
        self.stages = {s.id: s for s in policy.stages} if policy else {}
        self.stage_order = {s.id: i for i, s in enumerate(policy.stages)} if policy else {}
        self.tiers = {t.id: t for t in policy.risk_tiers} if policy else {}

    def person(self, pid: str) -> dict[str, Any]:
        p = self.people.get(pid)
        email = getattr(p, "email", None) if p else None
        return {"id": pid, "name": p.name if p else pid, "email": f"mailto:{email}" if email else None}

    def stage(self, sid: str) -> dict[str, Any]:
        s = self.stages.get(sid)
        return {"id": sid, "name": s.name if s else sid, "index": self.stage_order.get(sid, -1)}

    def tier(self, tid: str) -> dict[str, Any]:
        t = self.tiers.get(tid)
        return {"id": tid, "name": t.name if t else tid}


class Session:
    """What the per-use-case work shares, and the assembly of the portfolio-wide pages.

    ``view(uc_id)`` depends only on the repository, the evidence source and
    portfolio-wide numbers computed up front (prioritisation scores, the
    ledger's state), so use cases can be processed in any order or in parallel
    and give the same bytes.
    """

    def __init__(self, repo: Any, source: Any) -> None:
        self.repo = repo
        self.source = source
        self.d = _Directory(repo)
        self.krs = _key_results(repo)
        self.scores = prioritisation_scores(repo)
        self.as_of = source.as_of
        self.ledger = source.ledger_status()
        self.ledger_view = _ledger_view(self.ledger)

    def view(self, uc_id: str) -> dict[str, Any]:
        a = self.source.assessment(uc_id)
        v = usecase_view(self.repo, self.d, self.repo.usecases[uc_id], a, self.ledger, self.krs)
        v["scores"] = self.scores.get(uc_id)
        v["notes"] = list(a.notes)
        return v

    def assemble(self, views: list[dict[str, Any]]) -> dict[str, Any]:
        repo, d = self.repo, self.d
        ucs = sorted(views, key=lambda v: v["id"])
        warnings = [n for v in ucs for n in v.get("notes", [])] + self.source.notes()
        ctx: dict[str, Any] = {
            "org": {"name": repo.organisation.name if repo.organisation else "Organisation",
                    "description": repo.organisation.description if repo.organisation else None},
            "as_of": self.as_of,
            "usecases": ucs,
            "stages": [{"id": s.id, "name": s.name, "description": s.description, "terminal": s.terminal,
                        "requires": [{"id": r.id, "kind": r.kind, "description": r.description} for r in s.requires]}
                       for s in (repo.policy.stages if repo.policy else [])],
            "tiers": [{"id": t.id, "name": t.name, "description": t.description, "max_stage": t.max_stage,
                       "requires": {st: [r.id for r in rs] for st, rs in sorted(t.requires.items())}}
                      for t in (repo.policy.risk_tiers if repo.policy else [])],
            "ledger": _ledger_view(self.ledger),
            "changes": [c.__dict__ for c in self.source.recent_changes()],
            "warnings": warnings,
            "policy_links": [{"title": lk.title, "url": lk.url} for lk in (repo.policy.links if repo.policy else [])],
            "weights": repo.policy.prioritisation.model_dump() if repo.policy else {},
            "min_group_size": repo.policy.fairness.min_group_size if repo.policy else 30,
        }
        ctx["portfolio"] = _portfolio(repo, d, ucs)
        ctx["maturity"] = _maturity(repo, d, ucs)
        ctx["okrs"] = _okrs(repo, d, ucs, self._measured)
        return ctx

    def _measured(self, m: Any) -> dict[str, Any] | None:
        if m.use_case not in self.repo.usecases:
            return None
        return _measured(self.source.assessment(m.use_case).jobs, m)


def build_context(inputs: Any, repo: Any = None) -> dict[str, Any]:
    """Everything the pages show, as plain data (in one process; the build may parallelise via Session)."""
    session = Session(repo if repo is not None else inputs.repo, inputs)
    return session.assemble([session.view(uc_id) for uc_id in sorted(session.repo.usecases)])


def _ledger_view(status: LedgerStatus | None) -> dict[str, Any]:
    if status is None:
        return {"verified": False, "ok": None, "entries": 0, "head": None, "records_checked": 0, "problems": []}
    return {"verified": True, "ok": status.ok, "entries": status.entries, "head": status.head,
            "records_checked": status.records_checked, "problems": [dict(p) for p in status.problems]}


def _key_results(repo: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for okr_set in repo.okrs:
        for obj in okr_set.objectives:
            for kr in obj.key_results:
                out[kr.id] = {"id": kr.id, "description": kr.description, "objective": obj.title,
                              "objective_id": obj.id, "quarter": obj.quarter, "bucket": kr.bucket}
    return out


# --- one use case ---------------------------------------------------------------------------


def usecase_view(repo: Any, d: _Directory, uc: UseCase, a: Assessment, ledger: LedgerStatus | None,
                 krs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    jobs, decisions = a.jobs, a.decisions
    owners = [{"role": role, "role_name": d.roles.get(role, role), "people": [d.person(p) for p in people]}
              for role, people in sorted(uc.owner_ids().items())]
    pm = uc.owner_ids().get("product-manager") or next(iter(uc.owner_ids().values()), [])
    v: dict[str, Any] = {
        "id": uc.id,
        "title": uc.title,
        "summary": uc.summary,
        "spec_file": repo.usecase_files.get(uc.id, f"usecases/{uc.id}/usecase.yaml"),
        "stage": d.stage(uc.stage),
        "tier": d.tier(uc.risk_tier),
        "business_unit": {"id": uc.business_unit, "name": d.units.get(uc.business_unit, uc.business_unit)},
        "team": {"id": uc.team, "name": d.teams.get(uc.team, uc.team)},
        "owners": owners,
        "owner": d.person(pm[0]) if pm else None,
        "tags": list(uc.tags),
        "links": [{"title": lk.title, "url": lk.url} for lk in uc.links],
        "third_party": uc.third_party,
        "gaps": uc.definition_gaps(),
        "okrs": [krs.get(k, {"id": k, "description": None, "objective": None, "objective_id": None,
                             "quarter": None, "bucket": None}) for k in uc.okrs],
    }
    v["definition"] = _definition(uc)
    v["need_for_ai"] = uc.need_for_ai.model_dump() if uc.need_for_ai else None
    v["data"] = [{
        "id": s.id, "path": s.path, "sha256": s.sha256, "description": s.description,
        "owner": d.person(s.owner), "personal_data": s.personal_data,
        "sensitive_attributes": list(s.sensitive_attributes), "origin": s.origin,
        "columns": len(s.contract.columns) if s.contract else None,
        "rows": ({"min": s.contract.rows.min, "max": s.contract.rows.max}
                 if s.contract and s.contract.rows else None),
    } for s in uc.data]
    v["card"] = [{"field": name, "key": CARD_ALIASES[name], "title": CARD_TITLES.get(name, name),
                  "text": getattr(uc.card, name)} for name in CARD_FIELDS]
    v["card_text"] = {c["field"]: c["text"] for c in v["card"]}
    v["card_missing"] = [c["key"] for c in v["card"] if not c["text"]]
    v["maturity"] = _uc_maturity(repo, uc)
    v["prioritisation"] = uc.prioritisation.model_dump(mode="json") if uc.prioritisation else None
    bi = uc.business_impact
    v["value_per_year"] = bi.value_per_year if bi else None
    v["cost_per_year"] = bi.cost_per_year if bi else None
    v["currency"] = bi.currency if bi else None
    v["kpi"] = bi.kpi if bi else None

    v["jobs"] = [_job_view(s) for s in jobs]
    effective = _effective_checks(repo, uc)
    sections = runner_kinds.by_section(jobs, lambda s: s.runner)
    # the declared stage's decision first: a cell shows the verdict of the stage the use case is in
    ordered = tuple(sorted(decisions, key=lambda dec: dec.stage != uc.stage))
    verdicts = _verdict_index(ordered)
    v["training"] = [_training(s, uc.id) for s in sections["training"]]
    v["evaluation"] = [_evaluation(uc, s, verdicts) for s in sections["evaluation"]]
    v["fairness"] = [_fairness(s, uc.id, effective, verdicts, repo.policy) for s in sections["fairness"]]
    v["drift"] = [_drift(s, uc.id, verdicts) for s in sections["drift"]]
    from .systems import system_sections  # the generative and ranking sections of the card

    v.update(system_sections(repo, uc, sections, ordered))
    v["contracts"] = [_contracts(s, uc.id) for s in sections["contracts"]]
    v["decisions"] = [_decision_view(d, dec, a.prohibited) for dec in decisions]
    v["checks"] = _checks(uc, effective, v["fairness"], verdicts)
    v["gate"] = _gate_summary(a, v["decisions"])
    v["state"] = {"id": a.state, "label": a.state_label, "text": a.state_text}
    v["evidence_hash"] = a.evidence_hash
    v["approvals"] = _approvals(d, a)
    v["waivers"] = _waivers(d, a)
    v["evidence_problems"] = _evidence_problems(jobs)
    prefix = f"evidence/records/{uc.id}/"
    v["ledger_problems"] = [dict(p) for p in (ledger.problems if ledger else ())
                            if str(p.get("file", "")).startswith(prefix)]
    return v


def _definition(uc: UseCase) -> dict[str, Any]:
    task, ev, bi, co = uc.task, uc.evaluation, uc.business_impact, uc.consumption
    return {
        "task": task.model_dump(mode="json") if task else None,
        "evaluation": ({**ev.model_dump(mode="json"), "primary_title": _title(ev.primary_metric),
                        "secondary_titles": [_title(m) for m in ev.secondary_metrics]} if ev else None),
        "business_impact": bi.model_dump(mode="json") if bi else None,
        "consumption": co.model_dump(mode="json") if co else None,
    }


def _uc_maturity(repo: Any, uc: UseCase) -> list[dict[str, Any]] | None:
    if uc.maturity is None:
        return None
    levels = uc.maturity.by_process()
    processes = {p.id: p for p in repo.maturity.processes} if repo.maturity else {}
    out = []
    for pid in PROCESS_IDS:
        level = levels.get(pid)
        proc = processes.get(pid)
        named = {lv.level: lv for lv in proc.levels} if proc else {}
        top = max(named) if named else None
        nxt = min((lv for lv in named if level is not None and lv > level), default=None)
        out.append({"process": pid, "name": proc.name if proc else pid, "level": level,
                    "level_name": named[level].name if level in named else None, "max_level": top,
                    "next_level": nxt, "next_requires": named[nxt].requires if nxt is not None else None})
    return out


def _job_view(s: JobEvidence) -> dict[str, Any]:
    r = s.shown
    out: dict[str, Any] = {
        "job": s.job, "runner": s.runner, "freshness": s.freshness, "planned_id": s.planned_id,
        "anchor": (r.id[:12] if r else "job-" + s.job),
        "changed": list(s.changed), "record_sha256": s.record_sha256,
        "id": r.id if r else None, "status": r.status if r else None, "reason": r.reason if r else None,
    }
    if r is not None:
        out.update({
            "started_at": r.started_at, "finished_at": r.finished_at, "duration_s": r.duration_s,
            "inputs": {"spec_sha256": r.inputs.spec_sha256, "data": dict(sorted(r.inputs.data.items())),
                       "upstream": dict(sorted(r.inputs.upstream.items())),
                       "runner_version": r.inputs.runner_version,
                       "packages": dict(sorted(r.inputs.packages.items())), "seed": r.inputs.seed},
            "lineage": r.lineage.model_dump(),
            "artifacts": [a.model_dump() for a in r.artifacts],
        })
    return out


def _head(s: JobEvidence, use_case: str) -> dict[str, Any]:
    r = s.shown
    return {"job": s.job, "use_case": use_case, "runner": s.runner, "freshness": s.freshness, "id": r.id if r else None,
            "status": r.status if r else None, "reason": r.reason if r else None,
            "finished_at": r.finished_at if r else None}


def _training(s: JobEvidence, use_case: str) -> dict[str, Any]:
    res: TrainResult | None = _result(s)
    out = _head(s, use_case)
    if res is None:
        return out | {"result": None}
    last = res.history[-1] if res.history else None
    artifacts = {a.name: a.sha256 for a in (s.shown.artifacts if s.shown else [])}
    return out | {"result": {
        "estimator": res.estimator, "params": sorted(res.params.items()), "features": list(res.features),
        "target": res.target, "n_train": res.n_train, "n_test": res.n_test, "n_validation": res.n_validation,
        "labels": [str(x) for x in res.labels], "device": res.device, "epochs": len(res.history),
        "last_epoch": sorted(last.items()) if last else None,
        "model_sha256": artifacts.get(res.model_artifact), "model_artifact": res.model_artifact,
    }}


def _metric_rows(uc: UseCase, metrics: dict[str, Any],
                 verdicts: dict[tuple[str, str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    ev = uc.evaluation
    primary = ev.primary_metric if ev else None
    order = ([primary] if primary else []) + (list(ev.secondary_metrics) if ev else [])
    names = [m for m in order if m in metrics] + sorted(m for m in metrics if m not in order)
    rows = []
    for name in names:
        e = _est(metrics[name])
        is_primary = name == primary
        threshold = ev.threshold if is_primary and ev else None
        gib = _gib(name)
        judged = verdicts.get(("metric", name), [])
        rows.append({"name": name, "title": _title(name), "gib": gib, "primary": is_primary,
                     "threshold": threshold, "verdicts": judged, "verdict": judged[0] if judged else None, **e})
    return rows


def _evaluation(uc: UseCase, s: JobEvidence, verdicts: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[str, Any]:
    # Every kind in the evaluation section records metrics, slices, source and n; classification extras
    # (labels, confusion matrix) are read only where the kind records them (a ranking result has none).
    res: EvaluateResult | None = _result(s)
    out = _head(s, uc.id)
    if res is None:
        return out | {"result": None}
    ev = uc.evaluation
    primary = ev.primary_metric if ev else None
    shown = [m for m in ([primary] if primary else []) + (list(ev.secondary_metrics) if ev else [])]
    slices = []
    for col in sorted(res.slices):
        values = res.slices[col]
        cols = [m for m in shown if any(m in b.metrics for b in values.values())][:3]
        if not cols:
            cols = sorted({m for b in values.values() for m in b.metrics})[:3]
        rows = [{"value": val, "n": block.n, "metrics": {m: _est(block.metrics.get(m)) for m in cols},
                 "verdicts": {m: verdicts.get((f"slice {m}", f"{col}={val}"), []) for m in cols},
                 "confusion": getattr(block, "confusion_matrix", None)}
                for val, block in sorted(values.items())]
        slices.append({"column": col, "metrics": [{"name": m, "title": _title(m), "gib": _gib(m)} for m in cols],
                       "rows": rows})
    kind, _, ref = res.source.partition(":")
    dataset = ref if kind == "data" else getattr(uc.job(ref), "data", None) if kind == "job" else None
    return out | {"result": {
        "task": res.task, "source": res.source, "dataset": dataset if isinstance(dataset, str) else None,
        "n": res.n, "labels": [str(x) for x in getattr(res, "labels", [])],
        "metrics": _metric_rows(uc, res.metrics, verdicts), "slices": slices,
        "confusion": getattr(res, "confusion_matrix", None),
        "champion": [{"name": k, "title": _title(k), **_est(v)} for k, v in sorted((res.champion or {}).items())],
        "confidence": res.bootstrap.get("confidence"), "replicates": res.bootstrap.get("replicates"),
        "primary": primary, "warnings": list(res.warnings),
        **_evaluation_curves(res),
    }}


def _operating_point(labels: list[Any], cm: list[list[int]] | None) -> dict[str, float | None] | None:
    """Where the predicted labels sit on the ROC and precision-recall curves (binary)."""
    if not cm or len(cm) != 2 or len(labels) != 2:
        return None
    (tn, fp), (fn, tp) = cm
    return {"fpr": fp / (fp + tn) if fp + tn else None, "tpr": tp / (tp + fn) if tp + fn else None,
            "precision": tp / (tp + fp) if tp + fp else None}


def _evaluation_curves(res: Any) -> dict[str, Any]:
    """The evidence behind the evaluation charts, where the kind records it (evaluate result version ≥ 3)."""
    def dump(name: str) -> dict[str, Any] | None:
        value = getattr(res, name, None)
        return value.model_dump(mode="json") if value is not None else None

    decision = dump("decision")
    labels = [str(x) for x in getattr(res, "labels", [])]
    return {"decision": decision, "roc": dump("roc"), "pr": dump("pr"), "calibration": dump("calibration"),
            "residuals": dump("residuals"), "curves_skipped": dict(sorted(getattr(res, "curves_skipped", {}).items())),
            "operating": _operating_point(labels, getattr(res, "confusion_matrix", None)) if decision else None,
            "positive": str(decision["positive_label"]) if decision and decision["positive_label"] is not None
            else None}


_GROUP_ORDER = ["selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy", "mae", "rmse"]
HEADLINE_DISPARITIES = ("demographic_parity_ratio", "equalized_odds_difference")
"""Shown for every attribute set besides the disparities a fairness check names (all are in the evidence)."""


def _effective_checks(repo: Any, uc: UseCase) -> list[Any]:
    from ..resolve import effective_fairness_checks

    return effective_fairness_checks(repo.policy, uc) if repo.policy else list(uc.fairness)


def _group_rate(g: Any, metric: str) -> dict[str, Any]:
    """A group's rate with its Wilson interval (when recorded)."""
    ci = g.intervals.get(metric)
    return _est({"value": g.metrics.get(metric), "low": ci[0] if ci else None, "high": ci[1] if ci else None})


def _judged_view(v: Any, checks: list[Any], verdicts: Verdicts, policy: Any) -> dict[str, Any]:
    """A judged view of an attribute: the groups it left out and why, its disparities, and the reference table
    (each group's rate beside the reference's, difference and ratio with intervals, and the gate's verdicts)."""
    from ..kinds.runners.fairness import check_view

    names = {c.metric for c in checks if c.reference_group == v.reference_group}
    rows = []
    if v.reference is not None:
        for c in v.reference.comparisons:
            metrics = sorted(c.rates, key=lambda m: (_GROUP_ORDER.index(m) if m in _GROUP_ORDER else 99, m))[:2]
            rows.append({
                "group": c.group, "n": c.n,
                "rates": [{"name": m, "title": _title(m), "rate": _est({"value": c.rates[m].value,
                                                                       "low": c.rates[m].low,
                                                                       "high": c.rates[m].high}),
                           "reference": _finite(c.rates[m].reference),
                           "difference": _est(c.difference.get(m)), "ratio": _est(c.ratio.get(m))}
                          for m in metrics],
                "disparities": [{"name": k, "title": _title(k), **_est(c.disparities.get(k))}
                                for k in sorted(names) if k in c.disparities],
                "verdicts": [x for ch in checks if ch.reference_group == v.reference_group
                             for x in verdicts.get(("check", f"{ch.id}: {c.group} vs {v.reference.group}"), [])],
            })
    return {"min_group_size": v.min_group_size, "include_small_groups": v.include_small_groups,
            "reference_group": v.reference_group, "included": list(v.included),
            "excluded": [{"group": x.group, "n": x.n, "reason": x.reason} for x in v.excluded],
            "checks": [c.id for c in checks if check_view(policy, c) == {
                "min_group_size": v.min_group_size, "include_small_groups": v.include_small_groups,
                "reference_group": v.reference_group}],
            "disparities": {k: _est(e) for k, e in v.disparities.items()},
            "reference": None if v.reference is None else {"group": v.reference.group, "n": v.reference.n,
                                                           "problem": v.reference.problem, "rows": rows}}


def _fairness(s: JobEvidence, use_case: str, checks: list[Any], verdicts: Verdicts | None = None,
              policy: Any = None) -> dict[str, Any]:
    res: FairnessResult | None = _result(s)
    out = _head(s, use_case)
    verdicts = verdicts or {}
    if res is None:
        return out | {"result": None}
    blocks = []
    for a in res.results:
        names = sorted({m for g in a.groups for m in g.metrics},
                       key=lambda m: (_GROUP_ORDER.index(m) if m in _GROUP_ORDER else 99, m))[:4]
        groups = [{"label": g.label, "n": g.n, "small": g.small,
                   "metrics": {m: _finite(g.metrics.get(m)) for m in names},
                   "rates": {m: _group_rate(g, m) for m in names},
                   "undefined": dict(sorted(g.undefined.items())), "confusion": g.confusion} for g in a.groups]
        wanted = [c.metric for c in checks if set(c.sensitive_attributes) == set(a.attributes)]
        shown = list(dict.fromkeys(wanted + [d for d in HEADLINE_DISPARITIES if d in a.disparities]))
        blocks.append({
            "attributes": list(a.attributes), "label": " × ".join(a.attributes),
            "intersection": len(a.attributes) > 1,
            "metrics": [{"name": m, "title": _title(m)} for m in names],
            "groups": groups,
            "small": [g for g in groups if g["small"]],
            "disparities": [{"name": k, "title": _title(k), "gib": _gib(k), **_est(a.disparities.get(k)),
                             "extremes": a.extremes.get(k)} for k in shown if k in a.disparities],
            "all_disparities": len(a.disparities),
            "views": [_judged_view(v, [c for c in checks if set(c.sensitive_attributes) == set(a.attributes)],
                                   verdicts, policy) for v in a.views],
        })
    return out | {"result": {"task": res.task, "source": res.source, "min_group_size": res.min_group_size,
                             "blocks": blocks, "confidence": res.bootstrap.get("confidence"),
                             "warnings": list(res.warnings)}}


def _drift(s: JobEvidence, use_case: str, verdicts: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[str, Any]:
    res: DriftResult | None = _result(s)
    out = _head(s, use_case)
    judged = verdicts.get(("drift", s.shown.id), []) if s.shown is not None else []
    out["verdicts"] = judged or verdicts.get(("drift", ""), [])
    if res is None:
        return out | {"result": None}
    return out | {"result": {
        "reference": res.reference, "current": res.current, "drift_share": res.drift_share,
        "drifted_features": sum(1 for f in res.features if f.drifted),
        "thresholds": dict(sorted(res.thresholds.items())),
        "schema_changes": {k: [str(x) for x in v] for k, v in sorted(res.schema_changes.items()) if v},
        "skipped": dict(sorted(res.skipped.items())),
        "features": [{"name": f.name, "kind": f.kind, "method": f.method, "statistic": _finite(f.statistic),
                      "p_value": _finite(f.p_value), "psi": _finite(f.psi), "threshold": f.threshold,
                      "drifted": f.drifted} for f in sorted(res.features, key=lambda f: (not f.drifted, f.name))],
    }}


def _contracts(s: JobEvidence, use_case: str) -> dict[str, Any]:
    res: DataContractResult | None = _result(s)
    out = _head(s, use_case)
    if res is None:
        return out | {"result": None}
    return out | {"result": {"sources": [{
        "data": src.data, "path": src.path, "sha256": src.sha256, "rows": src.rows, "passed": src.passed,
        "failures": [{"column": f.column, "check": f.check, "failures": f.failures,
                      "examples": [str(x) for x in f.examples[:3]]} for f in src.failures],
    } for src in res.sources]}}


def _decision_view(d: _Directory, dec: Any, prohibited: bool = False) -> dict[str, Any]:
    reqs = []
    for r in dec.requirements:
        details = r.details if isinstance(r.details, dict) else {}
        parts = []
        for p in details.get("parts") or ():
            if isinstance(p, dict):
                parts.append({"label": p.get("label"), "status": p.get("status"), "reason": p.get("reason"),
                              "evidence": list(p.get("evidence") or []),
                              "verdict": _verdict(dec.stage, str(p.get("status")), p.get("rule"),
                                                  str(p.get("reason")), p)})
        reqs.append({"id": r.id, "kind": r.kind, "origin": r.origin, "status": r.status, "reason": r.reason,
                     "description": r.description, "metric": r.metric, "candidate": r.candidate,
                     "threshold": r.threshold, "comparator": r.comparator, "baseline": r.baseline,
                     "evidence": list(r.evidence), "command": r.command, "waiver": r.waiver,
                     "rule": dict(r.rule) if isinstance(r.rule, dict) else None, "path": r.path, "column": r.column,
                     "verdict": _verdict(dec.stage, r.status, r.rule, r.reason, details),
                     "parts": parts if len(parts) > 1 else []})
    counts = dec.counts
    # a prohibited use case passing its one allowed stage is not a green light (as in `charter gate`)
    verdict = ("prohibited", "prohibited") if prohibited and dec.passed else \
        ("pass", "passed") if dec.passed else ("fail", "blocked")
    return {"stage": d.stage(dec.stage), "passed": dec.passed, "verdict": {"status": verdict[0], "text": verdict[1]},
            "counts": counts, "evidence_hash": dec.evidence_hash,
            "decided_on": dec.decided_on, "requirements": reqs, "notes": list(getattr(dec, "notes", ()) or ()),
            "blocking": dec.blocking}


STATE_BADGE = {"out-of-compliance": "fail", "prohibited": "prohibited", "blocked-from-promotion": "blocked",
               "ready-to-promote": "pass", "compliant": "pass"}
"""The badge each portfolio state is shown with (presentation only: the states are the assessment's)."""


def _gate_summary(a: Assessment, decisions: list[dict[str, Any]]) -> dict[str, Any]:
    current = next((x for x in decisions if x["stage"]["id"] == a.stage), None)
    nxt = next((x for x in decisions if x["stage"]["id"] == a.next_stage), None) if a.next_stage else None
    return {"status": STATE_BADGE[a.state], "state": a.state, "label": STATE_LABELS[a.state],
            "text": f"{STATE_LABELS[a.state]}: {a.state_text}", "current": current, "next": nxt}


def _checks(uc: UseCase, checks: list[Any], fairness: list[dict[str, Any]],
            verdicts: dict[tuple[str, str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    own = {c.id for c in uc.fairness}
    out = []
    for c in checks:
        value = None
        for f in fairness:
            res = f.get("result")
            if not res:
                continue
            block = next((b for b in res["blocks"] if set(b["attributes"]) == set(c.sensitive_attributes)), None)
            if block is not None:
                value = next((x for x in block["disparities"] if x["name"] == c.metric), None)
                # the value the gate judged: the check's view (small groups left out), when recorded
                view = next((w for w in block.get("views", ()) if c.id in w["checks"]), None)
                if view is not None and c.metric in view["disparities"]:
                    value = {"name": c.metric, **view["disparities"][c.metric]}
                break
        judged = verdicts.get(("check", c.id), [])
        out.append({"id": c.id, "attributes": list(c.sensitive_attributes), "metric": c.metric,
                    "title": _title(c.metric), "min": c.min, "max": c.max, "use_interval": c.use_interval,
                    "affected_groups": c.affected_groups, "rationale": c.rationale,
                    "origin": "use case" if c.id in own else "policy default",
                    "value": value, "verdicts": judged, "verdict": judged[0] if judged else None})
    return out


def _approvals(d: _Directory, a: Assessment) -> list[dict[str, Any]]:
    return [{"stage": d.stage(x.approval.stage), "by": d.person(x.approval.by), "role": x.approval.role,
             "role_name": d.roles.get(x.approval.role, x.approval.role), "date": x.approval.date.isoformat(),
             "expires": x.expires.isoformat(), "evidence": x.approval.evidence, "note": x.approval.note,
             "status": x.status, "reason": x.reason, "valid": x.valid} for x in a.approvals]


def _waivers(d: _Directory, a: Assessment) -> list[dict[str, Any]]:
    return [{"requirement": x.waiver.requirement, "stage": x.waiver.stage, "owner": d.person(x.waiver.owner),
             "reason": x.waiver.reason, "ticket": x.waiver.ticket, "expires": x.waiver.expires.isoformat(),
             "status": x.status, "status_reason": x.reason, "expired": x.expired, "applied": x.applied}
            for x in a.waivers]


def _evidence_problems(jobs: tuple[JobEvidence, ...]) -> list[dict[str, Any]]:
    """Jobs whose evidence the gates cannot use, in the gates' own words (``JobEvidence.problem``), and failed jobs."""
    out = []
    for s in jobs:
        anchor = s.shown.id[:12] if s.shown is not None else "job-" + s.job
        problem = s.problem()
        if problem is not None:
            out.append({"job": s.job, "anchor": anchor, "kind": s.freshness if s.freshness != "fresh" else "error",
                        "text": problem})
        elif s.record is not None and s.record.status == "fail":
            out.append({"job": s.job, "anchor": anchor, "kind": "fail",
                        "text": f"job '{s.job}' ({s.runner}) failed: {s.record.reason or 'no reason recorded'}"})
    return out


# --- portfolio --------------------------------------------------------------------------------


def prioritisation_scores(repo: Any) -> dict[str, dict[str, float]]:
    """Value and feasibility scores (1–5 scales) from the spec's scores and the policy's weights.

    * value score: the yearly value, log-scaled across the portfolio onto 1–5 (1 when
      not stated); the business-value axis is its weighted mean with strategic alignment;
    * feasibility axis: the weighted mean of data readiness, technical readiness and
      (5 − risk), as the policy's weight documentation says;
    * priority: the weighted mean of all five terms.
    """
    w = repo.policy.prioritisation if repo.policy else None
    if w is None:
        return {}
    values = {uid: (uc.business_impact.value_per_year if uc.business_impact else None)
              for uid, uc in repo.usecases.items()}
    logs = [math.log10(1 + v) for v in values.values() if v]
    lo, hi = (min(logs), max(logs)) if logs else (0.0, 0.0)
    out = {}
    for uid in sorted(repo.usecases):
        p = repo.usecases[uid].prioritisation
        if p is None:
            continue
        v = values[uid]
        value_score = (1 + 4 * ((math.log10(1 + v) - lo) / (hi - lo) if hi > lo else 1.0)) if v else 1.0
        risk_term = 5 - p.risk
        value_axis = _wmean([(w.value, value_score), (w.strategic_alignment, p.strategic_alignment)])
        feasibility = _wmean([(w.data_readiness, p.data_readiness), (w.technical_readiness, p.technical_readiness),
                              (w.risk, risk_term)])
        priority = _wmean([(w.value, value_score), (w.strategic_alignment, p.strategic_alignment),
                           (w.data_readiness, p.data_readiness), (w.technical_readiness, p.technical_readiness),
                           (w.risk, risk_term)])
        out[uid] = {"value_score": round(value_score, 3), "value": round(value_axis, 3),
                    "feasibility": round(feasibility, 3), "priority": round(priority, 3)}
    return out


def _wmean(pairs: list[tuple[float, float]]) -> float:
    total = sum(w for w, _ in pairs)
    return sum(w * x for w, x in pairs) / total if total else 0.0


def _portfolio(repo: Any, d: _Directory, ucs: list[dict[str, Any]]) -> dict[str, Any]:
    stages = [s.id for s in repo.policy.stages] if repo.policy else []
    tiers = [t.id for t in repo.policy.risk_tiers] if repo.policy else []
    matrix = Counter((u["stage"]["id"], u["tier"]["id"]) for u in ucs)
    by_stage = Counter(u["stage"]["id"] for u in ucs)
    by_tier = Counter(u["tier"]["id"] for u in ucs)
    states = dict(count_states(u["state"]["id"] for u in ucs))
    prod = stage_in_production(repo.policy) if repo.policy else None
    # out of compliance is listed first, systems in production before the others
    offending = sorted((u for u in ucs if u["state"]["id"] == "out-of-compliance"),
                       key=lambda u: (u["stage"]["id"] != prod, -u["stage"]["index"], u["id"]))
    ranked = sorted(ucs, key=lambda u: (-(u["scores"]["priority"] if u.get("scores") else -1), u["id"]))
    value = sum(u["value_per_year"] or 0 for u in ucs if not d.stages.get(u["stage"]["id"], None)
                or not d.stages[u["stage"]["id"]].terminal)
    currencies = sorted({u["currency"] for u in ucs if u["currency"] and u["value_per_year"]})
    cannibal: list[tuple[str, str]] = []
    for u in ucs:
        p = u["prioritisation"]
        for other in (p or {}).get("cannibalises", []) or []:
            if other in repo.usecases and (other, u["id"]) not in {(c[1], c[0]) for c in cannibal}:
                cannibal.append((u["id"], other))
    return {
        "count": len(ucs),
        "stage_rows": [{"stage": d.stage(s), "count": by_stage.get(s, 0),
                        "tiers": [matrix.get((s, t), 0) for t in tiers]} for s in stages],
        "tiers": [d.tier(t) | {"count": by_tier.get(t, 0)} for t in tiers],
        "state_counts": states,
        "states": [{"id": s, "label": label, "count": states[s]} for s, label in STATES],
        "out_of_compliance": [{"id": u["id"], "title": u["title"], "stage": u["stage"], "tier": u["tier"],
                               "text": u["state"]["text"], "production": u["stage"]["id"] == prod}
                              for u in offending],
        "ranked_ids": [u["id"] for u in ranked],
        "unscored": sorted(u["id"] for u in ucs if not u.get("scores")),
        "unscored_detail": [{"id": u["id"], "title": u["title"], "stage": u["stage"],
                             "reason": "its spec has no prioritisation scores" if not u["prioritisation"]
                             else "the policy sets no prioritisation weights"}
                            for u in sorted(ucs, key=lambda u: u["id"]) if not u.get("scores")],
        "total_value": value,
        "currency": currencies[0] if len(currencies) == 1 else None,
        "cannibalisation": sorted(cannibal),
        "page_size": PAGE_SIZE,
        "pages": max(1, math.ceil(len(ucs) / PAGE_SIZE)),
    }


# --- maturity ------------------------------------------------------------------------------------


def _maturity(repo: Any, d: _Directory, ucs: list[dict[str, Any]]) -> dict[str, Any]:
    mm = repo.maturity
    processes = [{"id": p.id, "name": p.name, "description": p.description,
                  "levels": [{"level": lv.level, "name": lv.name, "requires": lv.requires}
                             for lv in sorted(p.levels, key=lambda lv: lv.level)],
                  "max": max(lv.level for lv in p.levels)} for p in (mm.processes if mm else [])]
    terminal = {s.id for s in repo.policy.stages if s.terminal} if repo.policy else set()
    active = [u for u in ucs if u["maturity"] is not None and u["stage"]["id"] not in terminal]
    per_process = []
    for p in processes:
        levels = [next(m["level"] for m in u["maturity"] if m["process"] == p["id"]) for u in active]
        levels = [lv for lv in levels if lv is not None]
        dist = Counter(levels)
        mean = statistics.fmean(levels) if levels else None
        median = statistics.median_low(levels) if levels else None
        nxt = next((lv for lv in p["levels"] if median is not None and lv["level"] > median), None)
        per_process.append({"id": p["id"], "name": p["name"], "mean": mean, "median": median, "max": p["max"],
                            "distribution": [dist.get(lv["level"], 0) for lv in p["levels"]],
                            "counts": {lv["level"]: dist.get(lv["level"], 0) for lv in p["levels"]},
                            "next": nxt})
    all_levels = [m["level"] for u in active for m in u["maturity"] if m["level"] is not None]
    average = statistics.fmean(all_levels) if all_levels else 0.0
    prod_stage = stage_in_production(repo.policy) if repo.policy else None
    in_prod = sum(1 for u in ucs if u["stage"]["id"] == prod_stage)
    org_stages = []
    reached = None
    for s in (mm.organisation_stages if mm else []):
        ok = in_prod >= s.min_production_use_cases and average >= s.min_average_maturity
        org_stages.append({"id": s.id, "name": s.name, "ai_strategy": s.ai_strategy, "data_strategy": s.data_strategy,
                           "learning_culture": s.learning_culture, "min_production": s.min_production_use_cases,
                           "min_average": s.min_average_maturity, "met": ok})
    # stages are ordered least to most mature; the organisation is at the last stage whose
    # criteria it meets with every earlier stage met as well
    for s in org_stages:
        if not s["met"]:
            break
        reached = s
    nxt = None
    if org_stages:
        idx = org_stages.index(reached) + 1 if reached else 0
        if idx < len(org_stages):
            target = org_stages[idx]
            nxt = target | {"need_production": max(0, target["min_production"] - in_prod),
                            "need_average": max(0.0, target["min_average"] - average)}
    teams = sorted({u["team"]["id"] for u in active})
    team_rows = []
    for t in teams:
        members = [u for u in active if u["team"]["id"] == t]
        cells = []
        for p in processes:
            vals = [m["level"] for u in members for m in u["maturity"] if m["process"] == p["id"] and m["level"] is not None]
            cells.append(statistics.fmean(vals) if vals else None)
        team_rows.append({"team": d.teams.get(t, t), "count": len(members), "cells": cells})
    return {
        "processes": processes, "per_process": per_process, "average": average, "in_production": in_prod,
        "production_stage": d.stage(prod_stage) if prod_stage else None,
        "org_stages": org_stages, "reached": reached, "next": nxt, "assessed": len(active),
        "unassessed": sorted(u["id"] for u in ucs if u["maturity"] is None),
        "max_level": max((p["max"] for p in processes), default=0), "teams": team_rows,
        "common_mistakes": list(mm.common_mistakes) if mm else [],
    }


# --- OKRs ----------------------------------------------------------------------------------------


def kr_progress(baseline: float, target: float, current: float | None) -> float | None:
    """(current − baseline) / (target − baseline), clipped to 0–1; None when undefined."""
    if current is None or target == baseline:
        return None
    return min(1.0, max(0.0, (current - baseline) / (target - baseline)))


def _measured(jobs: tuple[JobEvidence, ...], m: Any) -> dict[str, Any] | None:
    """The recorded value a key result points at: the use case's evaluation evidence."""
    for s in jobs:
        if runner_kinds.section_of(s.runner) != "evaluation":
            continue
        res: EvaluateResult | None = _result(s)
        if res is None:
            continue
        metrics = res.metrics
        if m.slice:
            col, _, val = m.slice.partition("=")
            block = res.slices.get(col.strip(), {}).get(val.strip())
            metrics = block.metrics if block else {}
        est = metrics.get(m.metric)
        if est is None or est.value is None:
            continue
        return {"value": _finite(est.value), "low": _finite(est.low), "high": _finite(est.high),
                "evidence": s.shown.id if s.shown else None, "fresh": s.freshness == "fresh",
                "use_case": m.use_case, "job": s.job}
    return None


def _okrs(repo: Any, d: _Directory, ucs: list[dict[str, Any]], measure: Any) -> dict[str, Any]:
    contributors: dict[str, list[str]] = {}
    for u in ucs:
        for k in u["okrs"]:
            contributors.setdefault(k["id"], []).append(u["id"])
    objectives = []
    for okr_set in repo.okrs:
        for obj in okr_set.objectives:
            krs = []
            for kr in obj.key_results:
                measured = measure(kr.measured_by) if kr.measured_by else None
                current = measured["value"] if measured else kr.current
                progress = kr_progress(kr.baseline, kr.target, current)
                grade = kr.grade if kr.grade is not None else progress
                krs.append({"id": kr.id, "description": kr.description, "bucket": kr.bucket, "metric": kr.metric,
                            "unit": kr.unit, "baseline": kr.baseline, "target": kr.target, "current": current,
                            "measured": measured, "reported": kr.current if measured is None else None,
                            "measured_by": kr.measured_by.model_dump(mode="json") if kr.measured_by else None,
                            "progress": progress, "grade": grade, "graded_by_hand": kr.grade is not None,
                            "use_cases": sorted(contributors.get(kr.id, []))})
            grades = [k["grade"] for k in krs if k["grade"] is not None]
            buckets = {k["bucket"] for k in krs}
            objectives.append({
                "id": obj.id, "title": obj.title, "quarter": obj.quarter, "owner": d.person(obj.owner),
                "description": obj.description, "key_results": krs,
                "grade": statistics.fmean(grades) if grades else None,
                "has_ai_proxy": "ai-proxy" in buckets,
                "has_product": bool(buckets & {"north-star", "product-health"}),
            })
    objectives.sort(key=lambda o: (o["quarter"], o["id"]))
    quarters = sorted({o["quarter"] for o in objectives})
    return {"objectives": objectives, "quarters": quarters, "healthy": 0.7}
