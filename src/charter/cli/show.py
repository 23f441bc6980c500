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


def _num(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1e4 else f"{v:.4g}"
    return str(v)


def _est(e: dict[str, Any] | None) -> str:
    if not e:
        return "—"
    s = _num(e.get("value"))
    if e.get("low") is not None and e.get("high") is not None:
        s += f"  [{_num(e['low'])}, {_num(e['high'])}]"
    if e.get("value") is None and e.get("reason"):
        s += f"  ({e['reason']})"
    return s


def _table(rows: list[list[str]], indent: str = "    ") -> list[str]:
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _results_text(runner: str, res: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if runner == "data-contract":
        for s in res.get("sources", []):
            out.append(f"  source {s['data']} ({s['path']}): {'passed' if s['passed'] else 'FAILED'}, "
                       f"{_num(s.get('rows'))} rows")
            for f in s.get("failures", []):
                ex = ", ".join(json.dumps(x, ensure_ascii=False) for x in f.get("examples", [])[:3])
                out.append(f"    {f.get('column') or '(table)'}: {f['check']} – {f['failures']} failing"
                           + (f"; e.g. {ex}" if ex else ""))
    elif runner in ("sklearn-train", "text-finetune", "text-linear-probe"):
        out.append(f"  {res.get('estimator')} on {len(res.get('features', []))} feature(s) → {res.get('target')}; "
                   f"train {res.get('n_train')}, test {res.get('n_test')}"
                   + (f", validation {res['n_validation']}" if res.get("n_validation") else ""))
        if res.get("labels"):
            out.append(f"  labels: {', '.join(map(str, res['labels']))}")
    elif runner == "evaluate":
        boot = res.get("bootstrap", {})
        ci = f"{int(boot.get('confidence', 0.95) * 100)}% interval" if boot.get("replicates") else "no intervals"
        out.append(f"  {res.get('task')} on {res.get('n')} rows from {res.get('source')} ({ci})")
        rows = [[m, _est(e)] + ([_est((res.get("champion") or {}).get(m))] if res.get("champion") else [])
                for m, e in res.get("metrics", {}).items()]
        if res.get("champion"):
            rows.insert(0, ["metric", "candidate", "champion"])
        out.extend(_table(rows))
        if res.get("confusion_matrix"):
            out.append(f"  confusion matrix (rows: true {res.get('labels')}): {res['confusion_matrix']}")
        for col, values in res.get("slices", {}).items():
            out.append(f"  slices by {col}:")
            names = list(next(iter(values.values()))["metrics"]) if values else []
            rows = [["value", "n"] + names]
            for val, block in values.items():
                rows.append([val, str(block["n"])] + [_num(block["metrics"][m].get("value")) for m in names])
            out.extend(_table(rows, "    "))
    elif runner == "fairness":
        out.append(f"  {res.get('task')} from {res.get('source')}; groups under {res.get('min_group_size')} "
                   "rows are flagged (*)")
        for a in res.get("results", []):
            out.append(f"  {' & '.join(a['attributes'])}:")
            names = list(a["groups"][0]["metrics"]) if a.get("groups") else []
            rows = [["group", "n"] + names]
            for g in a.get("groups", []):
                rows.append([g["label"] + (" *" if g["small"] else ""), str(g["n"])]
                            + [_num(g["metrics"].get(m)) for m in names])
            out.extend(_table(rows, "    "))
            out.extend(_table([[d, _est(e)] for d, e in a.get("disparities", {}).items()], "      "))
    elif runner == "drift":
        out.append(f"  {res.get('current')} vs {res.get('reference')}: drift share {_num(res.get('drift_share'))}"
                   f" ({'drifted' if res.get('drifted') else 'no drift'})")
        sc = res.get("schema_changes", {})
        if any(sc.get(k) for k in ("added", "removed", "retyped")):
            out.append(f"  schema changes: {json.dumps(sc, ensure_ascii=False)}")
        rows = [["feature", "kind", "method", "statistic", "p-value", "psi", "threshold", "drifted"]]
        for f in res.get("features", []):
            rows.append([f["name"], f["kind"], f["method"], _num(f.get("statistic")), _num(f.get("p_value")),
                         _num(f.get("psi")), _num(f.get("threshold")), "yes" if f["drifted"] else "no"])
        out.extend(_table(rows))
    for w in res.get("warnings", []) or []:
        out.append(f"  warning: {w}")
    return out


def format_text(view: dict[str, Any]) -> str:
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
            lines.extend(_results_text(j["runner"], rec["results"]))
        lines.append("")
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
