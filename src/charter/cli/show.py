"""`charter show USECASE [--format text|json]`: the evidence of a use case for its current inputs.

For each planned job: the record for exactly the current inputs (``fresh``), or
the newest older record marked ``stale`` with what changed, or ``missing``; then
the use case's portfolio state, its gate decisions (declared and next stage) and
what they made of its approvals and waivers. Everything is read from
:func:`charter.assessment.assess`, the same object ``charter gate`` and the site
render. The JSON form has a ``schemaVersion`` and is stable for scripts; its
``evidenceHash`` is what approvals sign.

JSON changes in schema version 1 (additions only, except one wording): each
job's ``reason`` for stale or missing evidence is the gates' own sentence
(``JobEvidence.problem()`` and the command), where it used to be a third
wording; ``complete`` is the gates' "every job fresh and not errored".
``portfolioState``, ``gates``, ``approvals`` and ``waivers`` were added.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from .common import add_format_arg, add_repo_arg, find_root
from .main import EXIT_INVALID, EXIT_OK

SHOW_SCHEMA_VERSION = 1


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("usecase", metavar="USECASE", help="use case id")
    add_format_arg(p, ["text", "json"])
    add_repo_arg(p)


def collect(repo: Any, uc_id: str, store: Any | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """The JSON-ready view of one use case's assessment (what `charter show --format json` prints)."""
    from ..assessment import assess
    from ..engine.store import EvidenceStore

    uc = repo.usecases[uc_id]
    store = store or EvidenceStore(repo.root)
    a = assess(repo, store, uc, today)
    jobs = []
    for ev in a.jobs:
        p, record = ev.planned, ev.shown
        problem = ev.problem() if ev.freshness != "fresh" else None
        jobs.append({
            "job": p.job_id, "runner": p.runner, "evidenceId": p.evidence_id, "dependsOn": list(p.depends_on),
            "state": ev.freshness, "status": record.status if record is not None else None,
            "reason": f"{problem}: run `{ev.command}`" if problem else (record.reason if record else None),
            "changed": list(ev.changed),
            "record": None if record is None else record.model_dump(mode="json"),
        })
    return {
        "schemaVersion": SHOW_SCHEMA_VERSION,
        "useCase": uc_id,
        "title": uc.title,
        "stage": uc.stage,
        "task": uc.task.type.value if uc.task else None,
        "evidenceHash": a.evidence_hash,
        "complete": a.complete,
        "jobs": jobs,
        "portfolioState": {"state": a.state, "label": a.state_label, "text": a.state_text,
                           "prohibited": a.prohibited, "nextStage": a.next_stage},
        "gates": [{"stage": d.stage, "passed": d.passed, "counts": d.counts, "decidedOn": d.decided_on}
                  for d in a.decisions],
        "approvals": [{"stage": x.approval.stage, "by": x.approval.by, "role": x.approval.role,
                       "date": x.approval.date.isoformat(), "expires": x.expires.isoformat(), "status": x.status,
                       "reason": x.reason} for x in a.approvals],
        "waivers": [{"requirement": x.waiver.requirement, "stage": x.waiver.stage, "ticket": x.waiver.ticket,
                     "expires": x.waiver.expires.isoformat(), "status": x.status, "reason": x.reason}
                    for x in a.waivers],
        "notes": list(a.notes),
        "warnings": list(getattr(store, "warnings", []) or []),
    }


# --------------------------------------------------------------------------- text


def format_text(view: dict[str, Any]) -> str:
    from ..kinds import runners

    state = view.get("portfolioState") or {}
    lines = [f"{view['useCase']}: {view['title']} (stage {view['stage']}, task {view['task']})",
             f"evidenceHash: {view['evidenceHash']}"]
    if state:
        lines.append(f"state: {state['label']}: {state['text']}")
    for g in view.get("gates", []):
        counts = ", ".join(f"{v} {k}" for k, v in g["counts"].items() if v) or "no requirements"
        verdict = "prohibited" if state.get("prohibited") and g["passed"] else "passed" if g["passed"] else "failed"
        lines.append(f"gate {g['stage']}: {verdict} ({counts})")
    lines.append("")
    for j in view["jobs"]:
        rec = j.get("record")
        head = f"{j['job']} ({j['runner']}): {j['state']}"
        if j["status"]:
            head += f", {j['status']}"
        if rec:
            head += f" · {rec['duration_s']:.2f}s · {rec['finished_at'][:19]} · evidence {rec['id'][:12]}"
            lin = rec.get("lineage", {})
            if lin.get("git_commit"):
                head += f" · commit {lin['git_commit'][:10]}{'+dirty' if lin.get('git_dirty') else ''}"
        lines.append(head)
        if j.get("reason"):
            lines.append(f"  reason: {j['reason']}")
        if rec and rec.get("results"):
            lines.extend(runners.format_results(j["runner"], rec["results"]))
        lines.append("")
    for x in view.get("approvals", []):
        lines.append(f"approval {x['stage']} by {x['by']} ({x['role']}, {x['date']}): {x['status']}: {x['reason']}")
    for x in view.get("waivers", []):
        lines.append(f"waiver {x['requirement']} ({x['ticket']}, until {x['expires']}): {x['status']}: {x['reason']}")
    if view.get("approvals") or view.get("waivers"):
        lines.append("")
    for n in view.get("notes", []):
        lines.append(f"note: {n}")
    for w in view.get("warnings", []):
        lines.append(f"warning: {w}")
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
        print(json.dumps(view, indent=2, ensure_ascii=False))
    else:
        print(format_text(view), end="")
    return EXIT_OK
