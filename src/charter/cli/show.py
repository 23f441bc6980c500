"""`charter show USECASE [--format text|json]`: the evidence of a use case for its current inputs.

For each planned job: the record for exactly the current inputs (``fresh``), or
the newest older record marked ``stale`` with what changed, or ``missing``; then
the use case's portfolio state, its gate decisions (declared and next stage) and
what they made of its approvals and waivers. Everything is read from
:func:`charter.assessment.assess`, the same object ``charter gate`` and the site
render. The JSON form is :class:`charter.artifacts.show.ShowReport` (snake_case keys,
``schema_version``; its JSON Schema is ``schemas/show.schema.json``) and is stable for
scripts; its ``evidence_hash`` is what approvals sign.

Schema version 2 writes every key in snake_case (version 1 mixed camelCase keys such as
``useCase``, ``evidenceHash``, ``portfolioState`` and ``dependsOn`` with snake_case records).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..artifacts.show import ShowApproval, ShowGate, ShowJob, ShowReport, ShowState, ShowWaiver
from .common import add_format_arg, add_repo_arg, find_root
from .main import EXIT_INVALID, EXIT_OK

SHOW_SCHEMA_VERSION = ShowReport.SCHEMA_VERSION


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("usecase", metavar="USECASE", help="use case id")
    add_format_arg(p, ["text", "json"])
    add_repo_arg(p)


def collect(repo: Any, uc_id: str, store: Any | None = None, today: dt.date | None = None) -> ShowReport:
    """One use case's assessment as the published :class:`~charter.artifacts.show.ShowReport`
    (what `charter show --format json` prints)."""
    from ..assessment import assess
    from ..engine.store import EvidenceStore

    uc = repo.usecases[uc_id]
    store = store or EvidenceStore(repo.root)
    a = assess(repo, store, uc, today)
    jobs = []
    for ev in a.jobs:
        p, record = ev.planned, ev.shown
        problem = ev.problem() if ev.freshness != "fresh" else None
        jobs.append(ShowJob(
            job=p.job_id, runner=p.runner, evidence_id=p.evidence_id, depends_on=list(p.depends_on),
            state=ev.freshness, status=record.status if record is not None else None,
            reason=f"{problem}: run `{ev.command}`" if problem else (record.reason if record else None),
            changed=list(ev.changed), record=record))
    return ShowReport(
        use_case=uc_id, title=uc.title, stage=uc.stage, task=uc.task.type.value if uc.task else None,
        evidence_hash=a.evidence_hash, complete=a.complete, jobs=jobs,
        portfolio_state=ShowState(state=a.state, label=a.state_label, text=a.state_text, prohibited=a.prohibited,
                                  next_stage=a.next_stage),
        gates=[ShowGate(stage=d.stage, passed=d.passed, counts=d.counts, decided_on=d.decided_on,
                        inconclusive=[_inconclusive_line(r) for r in d.requirements if r.status == "inconclusive"])
               for d in a.decisions],
        approvals=[ShowApproval(stage=x.approval.stage, by=x.approval.by, role=x.approval.role,
                                date=x.approval.date.isoformat(), expires=x.expires.isoformat(), status=x.status,
                                reason=x.reason) for x in a.approvals],
        waivers=[ShowWaiver(requirement=x.waiver.requirement, stage=x.waiver.stage, ticket=x.waiver.ticket,
                            expires=x.waiver.expires.isoformat(), status=x.status, reason=x.reason)
                 for x in a.waivers],
        notes=list(a.notes), warnings=list(getattr(store, "warnings", []) or []))


def _inconclusive_line(r: Any) -> str:
    rule = (r.rule or {}).get("text") if isinstance(r.rule, dict) else None
    return f"{r.id}: {r.reason}" + (f" — rule: {rule}" if rule and rule not in r.reason else "")


# --------------------------------------------------------------------------- text


def format_text(view: ShowReport) -> str:
    from ..kinds import runners

    state = view.portfolio_state
    lines = [f"{view.use_case}: {view.title} (stage {view.stage}, task {view.task})",
             f"evidenceHash: {view.evidence_hash}"]
    if state is not None:
        lines.append(f"state: {state.label}: {state.text}")
    prohibited = state is not None and state.prohibited
    for g in view.gates:
        counts = ", ".join(f"{v} {k}" for k, v in g.counts.items() if v) or "no requirements"
        verdict = "prohibited" if prohibited and g.passed else "passed" if g.passed else "failed"
        lines.append(f"gate {g.stage}: {verdict} ({counts})")
        for item in g.inconclusive:
            lines.append(f"  inconclusive (fails closed): {item}")
    lines.append("")
    for j in view.jobs:
        rec = j.record
        head = f"{j.job} ({j.runner}): {j.state}"
        if j.status:
            head += f", {j.status}"
        if rec is not None:
            head += f" · {rec.duration_s:.2f}s · {rec.finished_at[:19]} · evidence {rec.id[:12]}"
            if rec.lineage.git_commit:
                head += f" · commit {rec.lineage.git_commit[:10]}{'+dirty' if rec.lineage.git_dirty else ''}"
        lines.append(head)
        if j.reason:
            lines.append(f"  reason: {j.reason}")
        if rec is not None and rec.results:
            lines.extend(runners.format_results(j.runner, rec.results))
        lines.append("")
    for x in view.approvals:
        lines.append(f"approval {x.stage} by {x.by} ({x.role}, {x.date}): {x.status}: {x.reason}")
    for w in view.waivers:
        lines.append(f"waiver {w.requirement} ({w.ticket}, until {w.expires}): {w.status}: {w.reason}")
    if view.approvals or view.waivers:
        lines.append("")
    for n in view.notes:
        lines.append(f"note: {n}")
    for warning in view.warnings:
        lines.append(f"warning: {warning}")
    # each entry is one line: a newline or control character from a spec is shown escaped
    from ..report.escape import safe_text

    return "\n".join(safe_text(line) for line in lines).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    from .gate import load_valid, select_usecases

    root = find_root(Path(args.repo))
    repo = load_valid(root, "show", args.format)
    if repo is None:
        return EXIT_INVALID
    (uc_id,) = select_usecases(repo, [args.usecase])
    view = collect(repo, uc_id)
    if args.format == "json":
        print(json.dumps(view.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(format_text(view), end="")
    return EXIT_OK
