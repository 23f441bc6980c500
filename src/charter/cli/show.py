"""`charter show USECASE [--format text|json]`: the evidence of a use case for its current inputs.

For each planned job: the record for exactly the current inputs (``fresh``), or
the newest older record marked ``stale`` with what changed, or ``missing``.
The JSON form has a ``schemaVersion`` and is stable for scripts; its
``evidenceHash`` is what approvals sign.
"""

from __future__ import annotations

import argparse
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


def collect(repo: Any, uc_id: str, store: Any | None = None) -> dict[str, Any]:
    """The JSON-ready view of one use case's evidence (what `charter show --format json` prints)."""
    from ..engine.plan import plan_usecase
    from ..engine.store import EvidenceStore, evidence_bundle_hash
    from ..gates.evidence import changed_inputs

    uc = repo.usecases[uc_id]
    store = store or EvidenceStore(repo.root)
    planned = plan_usecase(repo, uc)
    jobs = []
    for p in planned:
        record = store.get(p.use_case, p.job_id, p.evidence_id)
        entry: dict[str, Any] = {"job": p.job_id, "runner": p.runner, "evidenceId": p.evidence_id,
                                 "dependsOn": list(p.depends_on)}
        if record is not None:
            entry.update({"state": "fresh", "status": record.status, "reason": record.reason, "changed": []})
        else:
            record = store.latest(p.use_case, p.job_id)
            if record is None:
                entry.update({"state": "missing", "status": None, "reason": "no evidence yet: run "
                              f"`charter run {uc_id}`", "changed": []})
            else:
                changed = list(changed_inputs(p.inputs, record.inputs))
                entry.update({"state": "stale", "status": record.status,
                              "reason": f"stale: inputs changed since {record.finished_at[:19]} "
                                        f"({', '.join(changed) or 'inputs'}); run `charter run {uc_id}`",
                              "changed": changed})
        entry["record"] = None if record is None else record.model_dump(mode="json")
        jobs.append(entry)
    return {
        "schemaVersion": SHOW_SCHEMA_VERSION,
        "useCase": uc_id,
        "title": uc.title,
        "stage": uc.stage,
        "task": uc.task.type.value if uc.task else None,
        "evidenceHash": evidence_bundle_hash(planned),
        "complete": all(j["state"] == "fresh" and j["status"] != "error" for j in jobs),
        "jobs": jobs,
        "warnings": list(store.warnings),
    }


# --------------------------------------------------------------------------- text


def format_text(view: dict[str, Any]) -> str:
    from ..kinds import runners

    lines = [f"{view['useCase']}: {view['title']} (stage {view['stage']}, task {view['task']})",
             f"evidenceHash: {view['evidenceHash']}", ""]
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
    for w in view.get("warnings", []):
        lines.append(f"warning: {w}")
    return "\n".join(lines).rstrip() + "\n"


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
