"""`charter diff`: the governance change of a pull request, base ref versus working tree.

The base side is read from git objects (:class:`charter.loading.sources.GitTree`,
through :mod:`charter.io.git`), never checked out, and loaded by the one loader
(shape only: the base's data files are not on disk); so it works in a shallow CI
clone as long as the base commit was fetched. Its
evidence records (committed under ``evidence/records/``) form an in-memory store,
which lets the same :func:`charter.gates.decide` judge the base and the head.

What is compared, per use case: stage moves (promotion, demotion, skipped
stages), risk tier, team and owners, the primary metric and its threshold, the
use case's own gates and fairness checks (loosened / tightened, using the same
rule as the validator), data sources (added, re-pinned, personal data, sensitive
attributes), jobs, approvals, waivers, maturity claims and the system card; then
the primary metric in the evidence (base → head) and the gate decision (base →
head, per requirement). Governance files are compared too: stage and risk-tier
requirements, fairness defaults, approval validity, who holds which role, the
allowlist.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .artifacts.diff import DiffReport
from .artifacts.record import read_record
from .errors import DiffError, GitError, SchemaVersionError
from .evidence.records import EvidenceRecord
from .kinds import requirements as requirement_kinds
from .kinds.requirements import loosening
from .loading.files import GOVERNANCE_DIR, RECORDS_DIR
from .loading.loader import Repository
from .resolve import greater_is_better, stage_index
from .spec.usecase import CARD_FIELDS, UseCase



def resolve_ref(root: Path, ref: str) -> str:
    """The commit ``ref`` names; DiffError when it names none (or ``root`` is not in git)."""
    from .io import git

    try:
        git.location(root)
        return git.resolve_commit(root, ref)
    except GitError as exc:
        raise DiffError(str(exc)) from None


class MemoryStore:
    """Evidence records held in memory (read from a git commit): the gate's store interface."""

    def __init__(self, records: list[EvidenceRecord]) -> None:
        self._by_job: dict[tuple[str, str], list[EvidenceRecord]] = {}
        for r in records:
            self._by_job.setdefault((r.use_case, r.job), []).append(r)
        for recs in self._by_job.values():
            recs.sort(key=lambda r: (r.finished_at, r.id), reverse=True)
        self.warnings: list[str] = []

    def get(self, use_case: str, job: str, evidence_id: str) -> EvidenceRecord | None:
        return next((r for r in self._by_job.get((use_case, job), []) if r.id == evidence_id), None)

    def latest(self, use_case: str, job: str) -> EvidenceRecord | None:
        recs = self._by_job.get((use_case, job))
        return recs[0] if recs else None

    def has_any(self, use_case: str) -> bool:
        return any(uc == use_case for uc, _ in self._by_job)


@dataclass
class Snapshot:
    """The specs and evidence of one side of the comparison."""

    repo: Repository
    store: Any
    spec_bytes: dict[str, bytes]
    """Governance-root-relative path → bytes of every spec file."""
    records: dict[str, set[str]]
    """Use case id → the record files it has (records are immutable, so names say what changed)."""
    problems: list[str] = field(default_factory=list)


def base_snapshot(root: Path, commit: str, usecase_ids: set[str] | None = None) -> Snapshot:
    """The governance repository at a commit, read from git objects only, with the one loader.

    Only each file's shape is checked: the base's data files are not on disk."""
    from .loading.loader import load_repository
    from .loading.sources import GitTree

    try:
        tree = GitTree(root, commit)
    except GitError as exc:
        raise DiffError(str(exc)) from None
    repo = load_repository(tree, check_data=False, cross_reference=False)
    problems = [f"{d.file}:{d.line}: {d.message}" if d.line else f"{d.file}: {d.message}" for d in repo.errors]
    records: dict[str, set[str]] = {}
    wanted: list[str] = []
    for rel in tree.files_under(RECORDS_DIR):
        parts = PurePosixPath(rel).parts
        if len(parts) == 5 and rel.endswith(".json"):
            records.setdefault(parts[2], set()).add("/".join(parts[3:]))
            if usecase_ids is None or parts[2] in usecase_ids:
                wanted.append(rel)
    try:
        blobs = tree.read_many(wanted)
    except GitError as exc:
        raise DiffError(str(exc)) from None
    recs: list[EvidenceRecord] = []
    for rel in wanted:
        try:
            recs.append(read_record(blobs.get(rel, b"")))
        except SchemaVersionError as exc:
            problems.append(f"{rel}: {exc}")
        except ValueError:
            problems.append(f"{rel}: not a readable evidence record")
    return Snapshot(repo, MemoryStore(recs), tree.spec_bytes(), records, problems)


def head_snapshot(repo: Repository, store: Any) -> Snapshot:
    records: dict[str, set[str]] = {}
    folder = repo.root / RECORDS_DIR
    if folder.is_dir():
        for p in folder.glob("*/*/*.json"):
            records.setdefault(p.parent.parent.name, set()).add(f"{p.parent.name}/{p.name}")
    return Snapshot(repo, store, {rel: sf.raw for rel, sf in repo.files.items()}, records)


# --- the change model --------------------------------------------------------------------


@dataclass
class Change:
    kind: str
    """stage, risk-tier, team, owners, evaluation, gate, fairness-check, data, job, approval, waiver, maturity,
    card, policy, risk-tier-policy, fairness-default, organisation, allowlist, spec."""
    message: str
    direction: str | None = None
    """loosened, tightened, promotion, demotion, added, removed, changed."""
    warn: bool = False
    """Worth a reviewer's attention (loosening, new sensitive data, role grants, promotions…)."""
    before: Any = None
    after: Any = None


@dataclass
class UseCaseDiff:
    id: str
    status: str
    """added, removed, changed (spec), evidence (only evidence records changed)."""
    stage: dict[str, str | None]
    risk_tier: dict[str, str | None]
    changes: list[Change] = field(default_factory=list)
    metric: dict[str, Any] | None = None
    gate: dict[str, Any] | None = None
    rerun: list[str] = field(default_factory=list)
    """Jobs whose evidence id differs from the base's (their inputs changed) and that have no fresh evidence yet."""


@dataclass
class GovernanceDiff:
    base: str
    base_commit: str
    decided_on: str
    usecases: list[UseCaseDiff]
    governance: list[Change]
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        changes = [c for u in self.usecases for c in u.changes] + self.governance
        gates = [u.gate for u in self.usecases if u.gate]
        return {
            "added": sum(u.status == "added" for u in self.usecases),
            "removed": sum(u.status == "removed" for u in self.usecases),
            "changed": sum(u.status in ("changed", "evidence") for u in self.usecases),
            "loosened": sum(c.direction == "loosened" for c in changes),
            "tightened": sum(c.direction == "tightened" for c in changes),
            "promotions": sum(c.kind == "stage" and c.direction == "promotion" for c in changes),
            "newly_failing": sum(g.get("transition") == "newly failing" for g in gates),
            "newly_passing": sum(g.get("transition") == "newly passing" for g in gates),
        }

    def report(self) -> DiffReport:
        """The ``diff --format json`` document, validated against its published schema."""
        return DiffReport.model_validate({
            "base": self.base, "base_commit": self.base_commit, "decided_on": self.decided_on,
            "summary": self.summary, "governance": [asdict(c) for c in self.governance],
            "use_cases": [asdict(u) for u in self.usecases], "problems": self.problems})

    def to_dict(self) -> dict[str, Any]:
        return self.report().model_dump()


# --- comparing specs ---------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return "none" if v is None else str(v)


def describe_requirement(r: Any) -> str:
    """A short description of a requirement, by its kind's own wording."""
    return requirement_kinds.describe(r)


def compare_requirements(before: list[Any], after: list[Any], where: str, kind: str = "gate") -> list[Change]:
    out = []
    b = {r.id: r for r in before}
    a = {r.id: r for r in after}
    for rid in a.keys() - b.keys():
        out.append(Change(kind, f"{where}: new requirement `{rid}` ({describe_requirement(a[rid])})", "tightened",
                          False, None, rid))
    for rid in b.keys() - a.keys():
        out.append(Change(kind, f"{where}: requirement `{rid}` removed ({describe_requirement(b[rid])})", "loosened",
                          True, rid, None))
    for rid in sorted(a.keys() & b.keys()):
        old, new = b[rid], a[rid]
        if old == new:
            continue
        why = requirement_kinds.loosening(old, new)
        if why:  # the validator's wording compares with the policy; here the comparison is with the base
            why = why.replace("the policy's", "the base's").replace("the policy", "the base")
        if why:
            out.append(Change(kind, f"{where}: `{rid}` loosened: {why} ({describe_requirement(old)} → "
                              f"{describe_requirement(new)})", "loosened", True, describe_requirement(old),
                              describe_requirement(new)))
        elif requirement_kinds.loosening(new, old):
            was, now = describe_requirement(old), describe_requirement(new)
            out.append(Change(kind, f"{where}: `{rid}` tightened ({was} → {now})", "tightened", False, was, now))
        else:
            was, now = describe_requirement(old), describe_requirement(new)
            # the kind's one-line description may not show what changed (a reworded description, a field it
            # leaves out): then name the fields themselves
            what = f" ({was} → {now})" if was != now else ": " + ("; ".join(field_changes(old, new)) or "reordered")
            out.append(Change(kind, f"{where}: `{rid}` changed{what}", "changed", False, was, now))
    out.sort(key=lambda c: c.message)
    return out


# Free-text fields: their new wording is for the reader of the spec, not for a one-line change summary.
_PROSE = {"description", "rationale", "affectedGroups", "reason", "summary", "title"}


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_short(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_short(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = _fmt(value)
    text = text.replace("`", "'")  # backticks delimit ids in a change message (markdown code spans)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def field_changes(old: Any, new: Any) -> list[str]:
    """What differs between two versions of a spec model, field by field, by the spec's own (camelCase) names:
    ``threshold 0.7 → 0.8``, ``needForAi false → true``, ``description reworded``, ``features added``."""
    b = old.model_dump(by_alias=True, exclude_none=True) if hasattr(old, "model_dump") else dict(old)
    a = new.model_dump(by_alias=True, exclude_none=True) if hasattr(new, "model_dump") else dict(new)
    out = []
    for key in [*b, *(k for k in a if k not in b)]:
        if b.get(key) == a.get(key):
            continue
        if key not in a:
            out.append(f"{key} removed")
        elif key not in b:
            out.append(f"{key} added" if key in _PROSE else f"{key} {_short(a[key])} added")
        elif key in _PROSE:
            out.append(f"{key} reworded")
        else:
            out.append(f"{key} {_short(b[key])} → {_short(a[key])}")
    return out


def _bound_direction(metric: str, key: str, old: float | None, new: float | None) -> str | None:
    """loosened/tightened for a min or max bound of a metric."""
    if old == new:
        return None
    if new is None:
        return "loosened"
    if old is None:
        return "tightened"
    lower_is_looser = key == "min"
    return ("loosened" if new < old else "tightened") if lower_is_looser else ("loosened" if new > old else "tightened")


def compare_fairness_checks(before: list[Any], after: list[Any]) -> list[Change]:
    out = []
    b = {c.id: c for c in before}
    a = {c.id: c for c in after}
    for cid in sorted(a.keys() - b.keys()):
        c = a[cid]
        on = " × ".join(c.sensitive_attributes)
        out.append(Change("fairness-check", f"new fairness check `{cid}`: {c.metric} on {on}", "tightened", False, None,
                          cid))
    for cid in sorted(b.keys() - a.keys()):
        out.append(Change("fairness-check", f"fairness check `{cid}` removed (the policy defaults apply instead, "
                          "if any)", "loosened", True, cid, None))
    for cid in sorted(a.keys() & b.keys()):
        old, new = b[cid], a[cid]
        if old == new:
            continue
        if old.metric != new.metric or old.sensitive_attributes != new.sensitive_attributes:
            out.append(Change("fairness-check", f"fairness check `{cid}` now measures {new.metric} on "
                              f"{' × '.join(new.sensitive_attributes)} (was {old.metric} on "
                              f"{' × '.join(old.sensitive_attributes)})", "changed", True))
            continue
        for key in ("min", "max"):
            direction = _bound_direction(new.metric, key, getattr(old, key), getattr(new, key))
            if direction:
                out.append(Change("fairness-check", f"fairness check `{cid}` {key} {_fmt(getattr(old, key))} → "
                                  f"{_fmt(getattr(new, key))} ({direction})", direction, direction == "loosened",
                                  getattr(old, key), getattr(new, key)))
        if old.use_interval != new.use_interval:
            direction = "tightened" if new.use_interval else "loosened"
            out.append(Change("fairness-check", f"fairness check `{cid}` judges the "
                              f"{'interval bound' if new.use_interval else 'point estimate'} now ({direction})",
                              direction, direction == "loosened"))
        if (old.affected_groups, old.rationale) != (new.affected_groups, new.rationale) and \
                (old.min, old.max, old.use_interval) == (new.min, new.max, new.use_interval):
            out.append(Change("fairness-check", f"fairness check `{cid}`: affected groups or rationale reworded",
                              "changed"))
    return out


def compare_usecase(before: UseCase, after: UseCase, policy: Any) -> list[Change]:
    out: list[Change] = []
    if before.stage != after.stage:
        bi = stage_index(policy, before.stage) if policy else -1
        ai = stage_index(policy, after.stage) if policy else -1
        direction = "promotion" if ai > bi else "demotion"
        msg = f"stage {before.stage} → {after.stage} ({direction})"
        if policy is not None and ai - bi > 1 and bi >= 0:
            skipped = [s.id for s in policy.stages[bi + 1:ai] if not s.terminal]
            if skipped:
                msg += f"; skips {', '.join(skipped)}"
        out.append(Change("stage", msg, direction, True, before.stage, after.stage))
    if before.risk_tier != after.risk_tier:
        out.append(Change("risk-tier", f"risk tier {before.risk_tier} → {after.risk_tier}", "changed", True,
                          before.risk_tier, after.risk_tier))
    if before.team != after.team:
        out.append(Change("team", f"team {before.team} → {after.team}", "changed", True, before.team, after.team))
    bo, ao = before.owner_ids(), after.owner_ids()
    for role in sorted(set(bo) | set(ao)):
        if bo.get(role) != ao.get(role):
            out.append(Change("owners", f"owner {role}: {', '.join(bo.get(role, [])) or 'none'} → "
                              f"{', '.join(ao.get(role, [])) or 'none'}", "changed", True, bo.get(role), ao.get(role)))
    be, ae = before.evaluation, after.evaluation
    if be is not None and ae is not None:
        if be.primary_metric != ae.primary_metric:
            out.append(Change("evaluation", f"primary metric {be.primary_metric} → {ae.primary_metric}", "changed",
                              True, be.primary_metric, ae.primary_metric))
        elif be.threshold != ae.threshold:
            gib = greater_is_better(ae.primary_metric)
            looser = ae.threshold < be.threshold if gib else ae.threshold > be.threshold
            direction = "loosened" if looser else "tightened"
            out.append(Change("evaluation", f"evaluation threshold of {ae.primary_metric} {_fmt(be.threshold)} → "
                              f"{_fmt(ae.threshold)} ({direction})", direction, looser, be.threshold, ae.threshold))
    elif (be is None) != (ae is None):
        out.append(Change("evaluation", "evaluation " + ("added" if ae else "removed"), "changed", ae is None))
    for stage in sorted(set(before.gates) | set(after.gates)):
        out += compare_requirements(before.gates.get(stage, []), after.gates.get(stage, []), f"gates.{stage}")
    out += compare_fairness_checks(list(before.fairness), list(after.fairness))
    out += _compare_data(before, after)
    out += _compare_jobs(before, after)
    out += _compare_signoffs(before, after)
    bm = before.maturity.by_process() if before.maturity else {}
    am = after.maturity.by_process() if after.maturity else {}
    for process in sorted(set(bm) | set(am)):
        if bm.get(process) != am.get(process):
            raised = (am.get(process) or 0) > (bm.get(process) or 0)
            out.append(Change("maturity", f"maturity {process} {bm.get(process)} → {am.get(process)}",
                              "raised" if raised else "lowered", raised, bm.get(process), am.get(process)))
    card = [f for f in CARD_FIELDS if getattr(before.card, f) != getattr(after.card, f)]
    if card:
        from .spec.usecase import Card

        names = [Card.model_fields[f].alias or f for f in card]
        out.append(Change("card", f"system card edited: {', '.join(names)}", "changed"))
    return out


def _compare_data(before: UseCase, after: UseCase) -> list[Change]:
    out = []
    b = {d.id: d for d in before.data}
    a = {d.id: d for d in after.data}
    for did in sorted(a.keys() - b.keys()):
        d = a[did]
        extra = []
        if d.personal_data:
            extra.append("personal data")
        if d.sensitive_attributes:
            extra.append(f"sensitive attributes {', '.join(d.sensitive_attributes)}")
        out.append(Change("data", f"new data source `{did}` ({d.path})" + (f": {'; '.join(extra)}" if extra else ""),
                          "added", bool(extra), None, did))
    for did in sorted(b.keys() - a.keys()):
        out.append(Change("data", f"data source `{did}` removed", "removed", False, did, None))
    for did in sorted(a.keys() & b.keys()):
        old, new = b[did], a[did]
        if old.sha256 != new.sha256 or old.path != new.path:
            out.append(Change("data", f"data source `{did}` re-pinned ({old.sha256[:12]} → {new.sha256[:12]})"
                              + (f", path {old.path} → {new.path}" if old.path != new.path else ""),
                              "changed", False, old.sha256, new.sha256))
        if old.personal_data != new.personal_data:
            out.append(Change("data", f"data source `{did}` " + ("now holds personal data" if new.personal_data
                                                                 else "no longer declares personal data"),
                              "changed", True, old.personal_data, new.personal_data))
        added = [x for x in new.sensitive_attributes if x not in old.sensitive_attributes]
        removed = [x for x in old.sensitive_attributes if x not in new.sensitive_attributes]
        if added:
            out.append(Change("data", f"data source `{did}`: new sensitive attribute{'s' * (len(added) > 1)} "
                              f"{', '.join(added)}", "added", True, None, added))
        if removed:
            out.append(Change("data", f"data source `{did}`: sensitive attribute{'s' * (len(removed) > 1)} "
                              f"{', '.join(removed)} no longer declared (fairness checks on them stop)", "removed",
                              True, removed, None))
        if old.contract != new.contract:
            out.append(Change("data", f"data source `{did}`: contract changed ({_contract_changes(old, new)})",
                              "changed", False))
        if old.owner != new.owner:
            out.append(Change("data", f"data source `{did}`: owner {old.owner} → {new.owner}", "changed", False))
    return out


def _contract_changes(old: Any, new: Any) -> str:
    """Which columns of a data contract were added, removed or changed (and what else of it changed)."""
    bc = old.contract.columns if old.contract is not None else {}
    ac = new.contract.columns if new.contract is not None else {}
    parts = []
    for label, names in (("columns added", [c for c in ac if c not in bc]),
                         ("columns removed", [c for c in bc if c not in ac]),
                         ("columns changed", [c for c in ac if c in bc and ac[c] != bc[c]])):
        if names:
            parts.append(f"{label}: {', '.join(_short(n) for n in names)}")
    if old.contract is None or new.contract is None:
        parts.insert(0, "contract added" if old.contract is None else "contract removed")
    else:
        rest = [f for f in field_changes(old.contract, new.contract) if not f.startswith("columns ")]
        parts += rest
    return "; ".join(parts) or "reordered"


def added_data(uc: UseCase) -> list[Change]:
    """An added use case's data sources, each with its personal-data flag and sensitive attributes: what a
    reviewer of a new use case checks first (a flag that is off is named too)."""
    out = []
    for d in uc.data:
        sensitive = ", ".join(_short(x) for x in d.sensitive_attributes) or "none declared"
        out.append(Change("data", f"data source `{d.id}` ({_short(d.path)}): personal data: "
                          f"{'yes' if d.personal_data else 'no'}; sensitive attributes: {sensitive}", "added",
                          bool(d.personal_data or d.sensitive_attributes), None,
                          {"id": d.id, "personal_data": bool(d.personal_data),
                           "sensitive_attributes": list(d.sensitive_attributes)}))
    return out


def _compare_jobs(before: UseCase, after: UseCase) -> list[Change]:
    out = []
    b = {j.id: j for j in before.jobs}
    a = {j.id: j for j in after.jobs}
    for jid in sorted(a.keys() - b.keys()):
        out.append(Change("job", f"new job `{jid}` ({a[jid].runner})", "added"))
    for jid in sorted(b.keys() - a.keys()):
        out.append(Change("job", f"job `{jid}` ({b[jid].runner}) removed", "removed", True))
    for jid in sorted(a.keys() & b.keys()):
        if a[jid] != b[jid]:
            what = "; ".join(field_changes(b[jid], a[jid])) or "reordered"
            out.append(Change("job", f"job `{jid}` ({a[jid].runner}) changed: {what}", "changed"))
    return out


def _compare_signoffs(before: UseCase, after: UseCase) -> list[Change]:
    out = []

    def akey(a: Any) -> tuple:
        return (a.stage, a.by, a.role, a.date, a.evidence)

    b = {akey(a): a for a in before.approvals}
    for key, a in {akey(a): a for a in after.approvals}.items():
        if key not in b:
            out.append(Change("approval", f"approval by {a.by} ({a.role}) for {a.stage} on evidence {a.evidence[:12]}",
                              "added", False, None, {"by": a.by, "role": a.role, "stage": a.stage}))
    after_keys = {akey(a) for a in after.approvals}
    for key, a in b.items():
        if key not in after_keys:
            out.append(Change("approval", f"approval by {a.by} ({a.role}) for {a.stage} removed", "removed", False))

    def wkey(w: Any) -> tuple:
        return (w.requirement, w.stage)

    bw = {wkey(w): w for w in before.waivers}
    aw = {wkey(w): w for w in after.waivers}
    for key in sorted(aw.keys() - bw.keys(), key=str):
        w = aw[key]
        out.append(Change("waiver", f"new waiver of `{w.requirement}`" + (f" for {w.stage}" if w.stage else "") +
                          f" by {w.owner} until {w.expires} ({w.ticket})", "loosened", True, None,
                          {"requirement": w.requirement, "expires": w.expires.isoformat(), "ticket": w.ticket}))
    for key in sorted(bw.keys() - aw.keys(), key=str):
        out.append(Change("waiver", f"waiver of `{bw[key].requirement}` removed", "tightened", False))
    for key in sorted(aw.keys() & bw.keys(), key=str):
        old, new = bw[key], aw[key]
        if old.expires != new.expires:
            longer = new.expires > old.expires
            out.append(Change("waiver", f"waiver of `{new.requirement}` {'extended' if longer else 'shortened'} "
                              f"{old.expires} → {new.expires}", "loosened" if longer else "tightened", longer,
                              old.expires.isoformat(), new.expires.isoformat()))
    return out


def compare_governance(before: Repository, after: Repository) -> list[Change]:
    out: list[Change] = []
    bp, ap = before.policy, after.policy
    if bp is not None and ap is not None:
        bs = {s.id: s for s in bp.stages}
        as_ = {s.id: s for s in ap.stages}
        for sid in [s.id for s in ap.stages if s.id not in bs]:
            out.append(Change("policy", f"new stage `{sid}`", "added", True))
        for sid in [s.id for s in bp.stages if s.id not in as_]:
            out.append(Change("policy", f"stage `{sid}` removed", "removed", True))
        if [s for s in bp.stages if s.id in as_] and [s.id for s in bp.stages if s.id in as_] != \
                [s.id for s in ap.stages if s.id in bs]:
            out.append(Change("policy", "stages reordered", "changed", True))
        for sid in [s.id for s in ap.stages if s.id in bs]:
            out += compare_requirements(bs[sid].requires, as_[sid].requires, f"policy stage {sid}", "policy")
        bt = {t.id: t for t in bp.risk_tiers}
        at = {t.id: t for t in ap.risk_tiers}
        for tid in sorted(at.keys() - bt.keys()):
            out.append(Change("risk-tier-policy", f"new risk tier `{tid}`", "added", True))
        for tid in sorted(bt.keys() - at.keys()):
            out.append(Change("risk-tier-policy", f"risk tier `{tid}` removed", "removed", True))
        for tid in sorted(at.keys() & bt.keys()):
            old, new = bt[tid], at[tid]
            if old.max_stage != new.max_stage:
                oi = stage_index(ap, old.max_stage) if old.max_stage else len(ap.stages)
                ni = stage_index(ap, new.max_stage) if new.max_stage else len(ap.stages)
                direction: str | None = "loosened" if ni > oi else "tightened"
                out.append(Change("risk-tier-policy", f"risk tier `{tid}` max stage {old.max_stage or 'none'} → "
                                  f"{new.max_stage or 'none'} ({direction})", direction, direction == "loosened"))
            for sid in sorted(set(old.requires) | set(new.requires)):
                out += compare_requirements(old.requires.get(sid, []), new.requires.get(sid, []),
                                            f"risk tier {tid}, stage {sid}", "risk-tier-policy")
        bd = {d.metric: d for d in bp.fairness.defaults}
        ad = {d.metric: d for d in ap.fairness.defaults}
        for m in sorted(ad.keys() - bd.keys()):
            out.append(Change("fairness-default", f"new fairness default {m}", "tightened"))
        for m in sorted(bd.keys() - ad.keys()):
            out.append(Change("fairness-default", f"fairness default {m} removed", "loosened", True))
        for m in sorted(ad.keys() & bd.keys()):
            for key in ("min", "max"):
                direction = _bound_direction(m, key, getattr(bd[m], key), getattr(ad[m], key))
                if direction:
                    out.append(Change("fairness-default", f"fairness default {m} {key} {_fmt(getattr(bd[m], key))} → "
                                      f"{_fmt(getattr(ad[m], key))} ({direction})", direction, direction == "loosened"))
        if bp.fairness.min_group_size != ap.fairness.min_group_size:
            direction = "loosened" if ap.fairness.min_group_size < bp.fairness.min_group_size else "tightened"
            out.append(Change("fairness-default", f"minimum group size {bp.fairness.min_group_size} → "
                              f"{ap.fairness.min_group_size}", direction, direction == "loosened"))
        if bp.approval_validity_days != ap.approval_validity_days:
            longer = ap.approval_validity_days > bp.approval_validity_days
            out.append(Change("policy", f"approvals stay valid {bp.approval_validity_days} → "
                              f"{ap.approval_validity_days} days", "loosened" if longer else "tightened", longer))
    bo, ao = before.organisation, after.organisation
    if bo is not None and ao is not None:
        bpp = {p.id: p for p in bo.people}
        app = {p.id: p for p in ao.people}
        for pid in sorted(app.keys() - bpp.keys()):
            out.append(Change("organisation", f"new person `{pid}` with role{'s' * (len(app[pid].roles) > 1)} "
                              f"{', '.join(app[pid].roles)}", "added", True))
        for pid in sorted(bpp.keys() - app.keys()):
            out.append(Change("organisation", f"person `{pid}` removed (their approvals stop counting)", "removed",
                              True))
        for pid in sorted(app.keys() & bpp.keys()):
            granted = [r for r in app[pid].roles if r not in bpp[pid].roles]
            revoked = [r for r in bpp[pid].roles if r not in app[pid].roles]
            if granted:
                out.append(Change("organisation", f"`{pid}` now holds {', '.join(granted)}", "added", True))
            if revoked:
                out.append(Change("organisation", f"`{pid}` no longer holds {', '.join(revoked)}", "removed", True))
            if bpp[pid].github != app[pid].github:
                out.append(Change("organisation", f"`{pid}` GitHub handle changed (CODEOWNERS)", "changed", True))
    ba, aa = before.allowlist, after.allowlist
    if ba is not None and aa is not None:
        for r in sorted(set(aa.runners) - set(ba.runners)):
            out.append(Change("allowlist", f"runner `{r}` allowed", "added", True))
        for r in sorted(set(ba.runners) - set(aa.runners)):
            out.append(Change("allowlist", f"runner `{r}` no longer allowed", "removed"))
        be = {e.name: e for e in ba.estimators}
        ae = {e.name: e for e in aa.estimators}
        for name in sorted(ae.keys() - be.keys()):
            out.append(Change("allowlist", f"estimator `{name}` allowed", "added", True))
        for name in sorted(be.keys() - ae.keys()):
            out.append(Change("allowlist", f"estimator `{name}` no longer allowed", "removed"))
        for name in sorted(ae.keys() & be.keys()):
            if ae[name] != be[name]:
                out.append(Change("allowlist", f"estimator `{name}`: allowed parameters changed", "changed", True))
    return out


# --- evidence and gates ------------------------------------------------------------------


def _primary(snapshot: Snapshot, uc: UseCase, planned: list[Any]) -> dict[str, Any] | None:
    """The primary metric of the first evaluation job: fresh record if any, else the latest one."""
    from .kinds import runners as runner_kinds

    if uc.evaluation is None:
        return None
    job = next(iter(runner_kinds.in_section(planned, "evaluation")), None)
    if job is None:
        return None
    record = snapshot.store.get(uc.id, job.job_id, job.evidence_id)
    fresh = record is not None
    if record is None:
        record = snapshot.store.latest(uc.id, job.job_id)
    if record is None or record.status == "error":
        return None
    result = runner_kinds.get(job.runner).result(record)
    est = getattr(result, "metrics", {}).get(uc.evaluation.primary_metric) if result is not None else None
    return {"value": getattr(est, "value", None), "low": getattr(est, "low", None), "high": getattr(est, "high", None),
            "evidence": record.id, "fresh": fresh}


def _gate_summary(d: Any) -> dict[str, Any]:
    return {"stage": d.stage, "passed": d.passed, "counts": d.counts,
            "statuses": {r.id: r.status for r in d.requirements}}


def compare_gates(base: Snapshot, head: Snapshot, b: UseCase | None, a: UseCase, today: dt.date,
                  head_plan: list[Any]) -> dict[str, Any] | None:
    from .gates import decide

    after = decide(head.repo, head.store, a, None, today, planned=head_plan)
    out: dict[str, Any] = {"after": _gate_summary(after), "before": None, "transition": None, "requirements": []}
    if b is None or base.repo.policy is None or stage_index(base.repo.policy, a.stage) < 0:
        return out
    if not (isinstance(base.store, MemoryStore) and base.store.has_any(b.id)):
        out["note"] = "no evidence at the base"
    from .engine.plan import plan_usecase

    try:
        before = decide(base.repo, base.store, b, a.stage, today, planned=plan_usecase(base.repo, b))
    except Exception as exc:  # a base that cannot be planned or judged is reported, not fatal
        out["note"] = f"the base cannot be judged: {exc}"
        return out
    out["before"] = _gate_summary(before)
    if before.passed != after.passed:
        out["transition"] = "newly passing" if after.passed else "newly failing"
    reasons = {r.id: r.reason for r in after.requirements}
    for rid, status in out["after"]["statuses"].items():
        old = out["before"]["statuses"].get(rid)
        if old != status:
            out["requirements"].append({"requirement": rid, "before": old, "after": status, "reason": reasons[rid]})
    return out


def diff(root: Path, ref: str, head_repo: Repository, head_store: Any, *,
         today: dt.date | None = None) -> GovernanceDiff:
    """The governance change between ``ref`` and the working tree (``head_repo`` is the loaded working tree)."""
    from .engine.plan import plan_usecase

    today = today or dt.date.today()
    commit = resolve_ref(root, ref)
    base = base_snapshot(root, commit)
    head = head_snapshot(head_repo, head_store)
    governance = compare_governance(base.repo, head.repo)
    gov_changed = any(base.spec_bytes.get(rel) != head.spec_bytes.get(rel)
                      for rel in set(base.spec_bytes) | set(head.spec_bytes) if rel.startswith(GOVERNANCE_DIR + "/"))
    policy = head.repo.policy
    out: list[UseCaseDiff] = []
    for uc_id in sorted(set(base.repo.usecases) | set(head.repo.usecases)):
        b, a = base.repo.usecases.get(uc_id), head.repo.usecases.get(uc_id)
        if a is None:
            assert b is not None
            out.append(UseCaseDiff(uc_id, "removed", {"before": b.stage, "after": None},
                                   {"before": b.risk_tier, "after": None},
                                   [Change("usecase", f"use case removed (was at {b.stage})", "removed", True)]))
            continue
        head_plan = plan_usecase(head.repo, a)
        if b is None:
            u = UseCaseDiff(uc_id, "added", {"before": None, "after": a.stage}, {"before": None, "after": a.risk_tier},
                            [Change("usecase", f"new use case at stage {a.stage}, risk tier {a.risk_tier}", "added",
                                    stage_index(policy, a.stage) > 1 if policy else False),
                             *added_data(a)])
            after = _primary(head, a, head_plan)
            if after and a.evaluation:
                u.metric = {"metric": a.evaluation.primary_metric, "before": None, "after": after}
            u.gate = compare_gates(base, head, None, a, today, head_plan)
            u.rerun = [p.job_id for p in head_plan if head.store.get(uc_id, p.job_id, p.evidence_id) is None]
            out.append(u)
            continue
        old_bytes = base.spec_bytes.get(base.repo.usecase_files[uc_id])
        spec_changed = old_bytes != head.spec_bytes.get(head.repo.usecase_files[uc_id])
        evidence_changed = base.records.get(uc_id, set()) != head.records.get(uc_id, set())
        if not (spec_changed or evidence_changed or gov_changed):
            continue
        changes = compare_usecase(b, a, policy) if spec_changed else []
        if spec_changed and not changes:
            changes = [Change("spec", "wording only (descriptions, links, tags, meta)", "changed")]
        status = "changed" if spec_changed else ("evidence" if evidence_changed else "governance")
        u = UseCaseDiff(uc_id, status, {"before": b.stage, "after": a.stage},
                        {"before": b.risk_tier, "after": a.risk_tier}, changes)
        try:
            base_plan = plan_usecase(base.repo, b)
        except Exception:  # noqa: BLE001 - an unplannable base is only a missing comparison
            base_plan = []
        base_ids = {p.job_id: p.evidence_id for p in base_plan}
        u.rerun = [p.job_id for p in head_plan if base_ids.get(p.job_id) != p.evidence_id
                   and head.store.get(uc_id, p.job_id, p.evidence_id) is None]
        before_m, after_m = _primary(base, b, base_plan), _primary(head, a, head_plan)
        if (before_m or after_m) and a.evaluation is not None:
            delta = None
            if before_m and after_m and before_m["value"] is not None and after_m["value"] is not None:
                delta = after_m["value"] - before_m["value"]
            u.metric = {"metric": a.evaluation.primary_metric, "before": before_m, "after": after_m, "delta": delta,
                        "greater_is_better": greater_is_better(a.evaluation.primary_metric)}
        u.gate = compare_gates(base, head, b, a, today, head_plan)
        if status == "governance" and not (u.gate and (u.gate.get("transition") or u.gate.get("requirements"))):
            continue  # the governance change does not change this use case's gate
        out.append(u)
    return GovernanceDiff(ref, commit, today.isoformat(), out, governance, base.problems)


# --- rendering ---------------------------------------------------------------------------


def format_json(d: GovernanceDiff) -> str:
    return json.dumps(d.to_dict(), indent=2, ensure_ascii=False, default=str)


def _metric_cell(m: dict[str, Any] | None) -> str:
    from .report.gates import md_text

    if not m:
        return ""
    before = m.get("before") or {}
    after = m.get("after") or {}
    b, a = before.get("value"), after.get("value")
    text = f"{m['metric']} {_fmt(b) if b is not None else '—'} → {_fmt(a) if a is not None else '—'}"
    if m.get("delta") is not None:
        good = (m["delta"] >= 0) == m.get("greater_is_better", True)
        text += f" ({m['delta']:+.3g}{'' if m['delta'] == 0 else ' ▲' if good else ' ▼'})"
    if after and not after.get("fresh", True):
        text += " (stale)"
    return md_text(text)


def _gate_cell(g: dict[str, Any] | None) -> str:
    if not g:
        return ""

    def icon(s: dict[str, Any] | None) -> str:
        return "—" if s is None else ("✅" if s["passed"] else "❌")

    return f"{icon(g.get('before'))} → {icon(g.get('after'))}"


def format_markdown(d: GovernanceDiff) -> str:
    from .report.gates import md_code, md_text

    s = d.summary
    out = [f"## Governance change since {md_code(d.base)} ({md_code(d.base_commit[:12])})", ""]
    facts = [f"{len(d.usecases)} use case{'s' * (len(d.usecases) != 1)} affected"]
    if s["added"] or s["removed"]:
        facts.append(f"{s['added']} added, {s['removed']} removed")
    if s["promotions"]:
        facts.append(f"{s['promotions']} promotion{'s' * (s['promotions'] != 1)}")
    if s["loosened"]:
        facts.append(f"⚠️ {s['loosened']} loosened")
    if s["tightened"]:
        facts.append(f"{s['tightened']} tightened")
    if s["newly_failing"]:
        facts.append(f"❌ {s['newly_failing']} gate{'s' * (s['newly_failing'] != 1)} newly failing")
    if s["newly_passing"]:
        facts.append(f"✅ {s['newly_passing']} newly passing")
    out += [" · ".join(facts), ""]
    if not d.usecases and not d.governance:
        out += ["No governance change.", ""]
        return "\n".join(out)
    if d.usecases:
        out += ["| Use case | Change | Stage | Risk tier | Primary metric | Gate |", "|---|---|---|---|---|---|"]
        for u in d.usecases:
            stage = md_text(u.stage["after"] or u.stage["before"] or "")
            if u.stage["before"] and u.stage["after"] and u.stage["before"] != u.stage["after"]:
                stage = f"{md_text(u.stage['before'])} → **{md_text(u.stage['after'])}**"
            tier = md_text(u.risk_tier["after"] or u.risk_tier["before"] or "")
            if u.risk_tier["before"] and u.risk_tier["after"] and u.risk_tier["before"] != u.risk_tier["after"]:
                tier = f"{md_text(u.risk_tier['before'])} → **{md_text(u.risk_tier['after'])}**"
            flag = " ⚠️" if any(c.warn for c in u.changes) else ""
            out.append(f"| **{md_text(u.id)}** | {md_text(u.status)}{flag} | {stage} | {tier} "
                       f"| {_metric_cell(u.metric)} | {_gate_cell(u.gate)} |")
        out.append("")
    for u in d.usecases:
        out += [f"### {md_text(u.id)}", ""]
        for c in u.changes:
            out.append(f"- {'⚠️ ' if c.warn else ''}{_change_text(c)}")
        g = u.gate or {}
        if g.get("after"):
            head = f"**Gate** ({md_text(g['after']['stage'])}): {_gate_cell(g)}"
            if g.get("transition"):
                head += f" — {md_text(g['transition'])}"
            if g.get("note"):
                head += f" ({md_text(g['note'])})"
            out.append(f"- {head}")
            for r in g.get("requirements", []):
                icon = "✅" if r["after"] == "pass" else "⚠️" if r["after"] == "waived" else "❌"
                out.append(f"  - {icon} {md_code(r['requirement'])}: {md_text(r['before'] or 'new')} → "
                           f"{md_text(r['after'])}: {md_text(r['reason'])}")
        if u.rerun:
            out.append(f"- **Re-run**: {md_code(f'charter run {u.id}')} (no fresh evidence for "
                       f"{', '.join(md_code(j) for j in u.rerun)})")
        out.append("")
    if d.governance:
        out += ["### Governance", ""]
        out += [f"- {'⚠️ ' if c.warn else ''}{_change_text(c)}" for c in d.governance]
        out.append("")
    if d.problems:
        out += ["<details><summary>Base files that could not be read</summary>", ""]
        out += [f"- {md_text(p)}" for p in d.problems]
        out += ["", "</details>", ""]
    return "\n".join(out)


def _change_text(c: Change) -> str:
    """A change message: ids between backticks stay code, everything else is escaped text."""
    from .report.gates import md_code, md_text

    def text(piece: str) -> str:
        lead = " " if piece[:1].isspace() else ""
        trail = " " if piece[-1:].isspace() and piece.strip() else ""
        return lead + md_text(piece) + trail

    parts = c.message.split("`")
    if len(parts) % 2 == 0:  # unbalanced: escape everything
        return md_text(c.message)
    return "".join(md_code(p) if i % 2 else text(p) for i, p in enumerate(parts))
