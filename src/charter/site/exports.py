"""Machine-readable exports: a Hugging Face-style model card and JSON per use case.

* ``exports/<id>/README.md`` — a model card: YAML front matter (``license``,
  ``tags``, ``model-index`` with the evaluation evidence's overall metrics) and a
  Markdown body. User text is Markdown-escaped as on the site.
* ``exports/<id>.json`` — everything the system card and the audit report show.
* ``exports/portfolio.json`` — one row per use case with its headline result,
  the maturity roll-up, the OKRs and the ledger's state.

JSON is written with sorted keys and no insignificant whitespace: same evidence,
same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from .safe import md

SCHEMA = "charter.site/v2"
"""v2 (from v1) gives each value once and leaves out defaults:

* a result names its ``job``; the job's record (id, freshness, file hash, commit) is its
  entry in ``evidence`` (v1 repeated the id and freshness on the result);
* a fairness group's values are its ``rates`` (v1 repeated them as ``metrics``); the
  metrics of a block or a slice are the keys of its groups' ``rates`` or its rows'
  ``metrics`` (v1 also listed them); a block's small groups are its groups marked ``small``
  and its label is its ``attributes``;
* a judged view gives the disparities its checks judge (the others are in the record;
  ``all_disparities`` counts them), and ``included`` only where it is not every group
  the view did not leave out (``excluded``);
* a metric's verdicts are ``verdicts`` (v1 also gave the first as ``verdict``); a fairness
  check's ``value`` is of its ``metric`` (no ``name``);
* a decision's ``evidenceHash`` appears where it differs from the use case's;
* flags false by default (``primary``, ``small``, ``drifted``, ``intersection``,
  ``useInterval``, ``include_small_groups``) appear only when true.
"""

HF_TASKS = {
    "binary-classification": ("tabular-classification", "Binary classification"),
    "multiclass-classification": ("tabular-classification", "Multiclass classification"),
    "text-classification": ("text-classification", "Text classification"),
    "regression": ("tabular-regression", "Regression"),
    "ranking": ("text-ranking", "Ranking"),
    "generation": ("text-generation", "Generation"),
}


_PRESENTATION = frozenset(("title", "gib", "primary_title", "secondary_titles"))
_DEFAULT_FALSE = frozenset(("primary", "small", "drifted", "intersection", "useInterval", "include_small_groups"))


class _Lean(dict):  # type: ignore[type-arg]
    """A dict already passed through :func:`_lean` (not walked again)."""


def _lean(obj: Any, drop: frozenset[str] = frozenset()) -> Any:
    """Drop empty values (None, "", [], {}) and the keys in ``drop``; round floats to 5 significant digits."""
    if type(obj) is _Lean:
        return obj
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if v is None or v == "" or k in drop or (v is False and k in _DEFAULT_FALSE):
                continue
            if isinstance(v, (dict, list, tuple, float)):
                v = _lean(v, drop)
                if not v and not isinstance(v, float):
                    continue
            out[k] = v
        return out
    if isinstance(obj, (list, tuple)):
        return [_lean(v, drop) if isinstance(v, (dict, list, tuple, float)) else v for v in obj]
    if isinstance(obj, float):
        return float(f"{obj:.5g}")
    return obj


def _json(data: Any) -> bytes:
    return (json.dumps(_lean(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
            + "\n").encode()


def _primary(uc: dict[str, Any]) -> dict[str, Any] | None:
    for e in uc["evaluation"]:
        res = e.get("result")
        if res:
            m = next((m for m in res["metrics"] if m["primary"]), None)
            if m:
                return {"metric": m["name"], "value": m["value"], "low": m["low"], "high": m["high"],
                        "threshold": m["threshold"], "verdict": m["verdict"], "evidence": e["id"],
                        "fresh": e["freshness"] == "fresh"}
    return None


def usecase_json(as_of: str, uc: dict[str, Any]) -> bytes:
    """Every number the system card and the audit report show, with the gate decisions behind them.

    Results are the ones the pages show (all overall metrics; per slice, the
    use case's declared metrics; per group, the main group metrics; the
    disparities its checks name plus the headline ones; of a judged view, the
    disparities its checks judged). Each result names its job, and ``evidence``
    names each job's record by id and file hash: the complete payloads are the
    records under ``evidence/records/<use case>/<job>/<id>.json`` in the repository.
    """
    def results(kind: str, shape: Any = None) -> list[dict[str, Any]]:
        return [{"job": x["job"], "result": _Lean(_lean(shape(x["result"]) if shape and x["result"] else x["result"],
                                                        _PRESENTATION) or {})} for x in uc[kind]]

    judged = {c["id"]: c["metric"] for c in uc["checks"]}

    data = {
        "id": uc["id"], "title": uc["title"], "stage": uc["stage"]["id"], "riskTier": uc["tier"]["id"],
        "team": uc["team"]["id"], "owners": {o["role"]: [p["id"] for p in o["people"]] for o in uc["owners"]},
        "gate": {"status": uc["gate"]["status"], "state": uc["gate"]["state"], "text": uc["gate"]["text"]},
        "evidenceHash": uc["evidence_hash"],
        "evidence": [{"job": j["job"], "runner": j["runner"], "freshness": j["freshness"], "status": j["status"],
                      "id": j["id"], "recordSha256": j["record_sha256"], "finishedAt": j.get("finished_at"),
                      "gitCommit": (j.get("lineage") or {}).get("git_commit"),
                      "gitDirty": (j.get("lineage") or {}).get("git_dirty")} for j in uc["jobs"]],
        "training": results("training"), "evaluation": results("evaluation", _evaluation_result),
        "fairness": results("fairness", lambda r: _fairness_result(r, judged)),
        "drift": results("drift"), "dataContracts": results("contracts"),
        "fairnessChecks": [{"id": c["id"], "attributes": c["attributes"], "metric": c["metric"], "min": c["min"],
                            "max": c["max"], "useInterval": c["use_interval"],
                            "value": {k: x for k, x in c["value"].items() if k != "name"} if c["value"] else None,
                            "verdicts": c["verdicts"]} for c in uc["checks"]],
        "decisions": [{"stage": d["stage"]["id"], "passed": d["passed"], "decidedOn": d["decided_on"],
                       "evidenceHash": d["evidence_hash"] if d["evidence_hash"] != uc["evidence_hash"] else None,
                       "requirements": [{k: r[k] for k in ("id", "kind", "origin", "status", "reason", "metric",
                                                           "candidate", "threshold", "comparator", "baseline",
                                                           "evidence", "command", "waiver")}
                                        for r in d["requirements"]]} for d in uc["decisions"]],
        "approvals": [{"stage": a["stage"]["id"], "by": a["by"]["id"], "role": a["role"], "date": a["date"],
                       "expires": a["expires"], "evidence": a["evidence"], "status": a["status"]}
                      for a in uc["approvals"]],
        "waivers": [{"requirement": w["requirement"], "stage": w["stage"], "owner": w["owner"]["id"],
                     "ticket": w["ticket"], "expires": w["expires"], "expired": w["expired"], "applied": w["applied"]}
                    for w in uc["waivers"]],
        "maturity": {m["process"]: m["level"] for m in uc["maturity"]} if uc["maturity"] else None,
        "scores": uc.get("scores"),
    }
    # the generative and ranking sections of the card, where the use case has them
    if uc.get("generative"):
        data["generative"] = _lean(uc["generative"], _PRESENTATION)
    if uc.get("ranking"):
        data["ranking"] = _lean(uc["ranking"], _PRESENTATION)
    return _json({"schema": SCHEMA, "asOf": as_of, "useCase": data})


def _evaluation_result(res: dict[str, Any]) -> dict[str, Any]:
    """The evaluation as exported: a metric's verdicts once (the view also keeps the first as ``verdict``);
    a slice's metrics are the keys of its rows' ``metrics``."""
    return res | {"metrics": [{k: v for k, v in m.items() if k != "verdict"} for m in res["metrics"]],
                  "slices": [{k: v for k, v in sl.items() if k != "metrics"} for sl in res["slices"]]}


def _fairness_result(res: dict[str, Any], judged: dict[str, str]) -> dict[str, Any]:
    """The fairness result as exported: each value once, and of a view's disparities the judged ones.

    ``judged`` maps a fairness check's id to its metric. The page shows a view's
    disparities only as the values its checks judged (the check table); the
    record holds all of them.
    """
    blocks = []
    for b in res["blocks"]:
        views = []
        labels = [g["label"] for g in b["groups"]]
        for v in b["views"]:
            names = {judged[c] for c in v["checks"] if c in judged}
            out = v | {"disparities": {k: e for k, e in v["disparities"].items() if k in names}}
            left_out = {x["group"] for x in v["excluded"]}
            if v["included"] == [g for g in labels if g not in left_out]:
                del out["included"]  # every group it did not leave out
            views.append(out)
        blocks.append({k: x for k, x in b.items() if k not in ("small", "label", "metrics")}
                      | {"groups": [{k: x for k, x in g.items() if k != "metrics"} for g in b["groups"]],
                         "views": views})
    return res | {"blocks": blocks}


def portfolio_json(ctx: dict[str, Any]) -> bytes:
    rows = []
    for u in ctx["usecases"]:
        rows.append({
            "id": u["id"], "title": u["title"], "stage": u["stage"]["id"], "riskTier": u["tier"]["id"],
            "team": u["team"]["id"], "businessUnit": u["business_unit"]["id"],
            "owner": u["owner"]["id"] if u["owner"] else None,
            "gate": {"status": u["gate"]["status"], "state": u["gate"]["state"], "text": u["gate"]["text"]},
            "valuePerYear": u["value_per_year"], "currency": u["currency"], "kpi": u["kpi"],
            "okrs": [k["id"] for k in u["okrs"]], "scores": u.get("scores"), "primary": _primary(u),
            "evidenceHash": u["evidence_hash"],
            "evidenceProblems": len(u["evidence_problems"]),
            "card": f"usecases/{u['id']}/", "audit": f"usecases/{u['id']}/#audit",
            "json": f"exports/{u['id']}.json", "modelCard": f"exports/{u['id']}/README.md",
        })
    m = ctx["maturity"]
    return _json({
        "schema": SCHEMA, "asOf": ctx["as_of"], "organisation": ctx["org"]["name"], "useCases": rows,
        "counts": {"stages": {r["stage"]["id"]: r["count"] for r in ctx["portfolio"]["stage_rows"]},
                   "riskTiers": {t["id"]: t["count"] for t in ctx["portfolio"]["tiers"]},
                   "states": ctx["portfolio"]["state_counts"]},
        "maturity": {"average": m["average"], "inProduction": m["in_production"],
                     "stage": m["reached"]["id"] if m["reached"] else None,
                     "processes": {p["id"]: {"mean": p["mean"], "median": p["median"]} for p in m["per_process"]}},
        "okrs": [{"id": o["id"], "quarter": o["quarter"], "grade": o["grade"],
                  "keyResults": [{"id": k["id"], "current": k["current"], "progress": k["progress"], "grade": k["grade"],
                                  "evidence": k["measured"]["evidence"] if k["measured"] else None}
                                 for k in o["key_results"]]} for o in ctx["okrs"]["objectives"]],
        "ledger": ctx["ledger"],
    })


def _frontmatter(uc: dict[str, Any]) -> dict[str, Any]:
    task = (uc["definition"]["task"] or {}).get("type")
    hf_type, hf_name = HF_TASKS.get(task or "", ("other", task or "unspecified"))
    tags = ["charter", f"stage-{uc['stage']['id']}", f"risk-{uc['tier']['id']}"] + ([task] if task else [])
    tags += [t for t in uc["tags"] if t not in tags]
    fm: dict[str, Any] = {"license": "other", "tags": tags}
    library = None
    for t in uc["training"]:
        res = t.get("result")
        if res:
            library = "transformers" if t["runner"].startswith("text-") else "sklearn"
            break
    if library:
        fm["library_name"] = library
    results = []
    for e in uc["evaluation"]:
        res = e.get("result")
        if not res or e["freshness"] != "fresh":
            continue
        source = res.get("dataset") or res["source"].split(":", 1)[-1]
        # ``verified`` is left out: absent means self-reported (Hugging Face sets it on its own evaluations)
        metrics = [{"type": m["name"], "value": round(m["value"], 6), "name": m["title"]}
                   for m in res["metrics"] if m["value"] is not None]
        if metrics:
            results.append({"task": {"type": hf_type, "name": hf_name},
                            "dataset": {"name": source, "type": source, "split": "test"}, "metrics": metrics})
    if results:
        fm["model-index"] = [{"name": uc["id"], "results": results}]
    return fm


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML whose scalars are JSON (a JSON scalar is a YAML flow scalar): exact and fast.

    A list item that is a mapping of scalars (a metric of ``model-index``) is one line of
    JSON, which is a YAML flow mapping: the same data without a line and an indent per key.
    """
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            key = json.dumps(str(k)) if not str(k).replace("-", "").replace("_", "").isalnum() else str(k)
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{key}:\n{to_yaml(v, indent + 2)}")
            else:
                lines.append(f"{pad}{key}: {_scalar(v)}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for v in value:
            if isinstance(v, dict) and v and not any(isinstance(x, (dict, list)) for x in v.values()):
                pairs = ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_scalar(x)}" for k, x in v.items())
                lines.append(f"{pad}- {{{pairs}}}")
            elif isinstance(v, dict) and v:
                inner = to_yaml(v, indent + 2)
                lines.append(f"{pad}- {inner[indent + 2:]}")
            else:
                lines.append(f"{pad}- {_scalar(v)}")
        return "\n".join(lines)
    return pad + _scalar(value)


def _scalar(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return "{}" if isinstance(v, dict) else "[]"
    text = json.dumps(v, ensure_ascii=False)
    if isinstance(v, float) and "e" in text and "." not in text.split("e")[0]:
        text = text.replace("e", ".0e", 1)  # YAML 1.1 reads 1e-05 as a string, 1.0e-05 as a number
    return text


def model_card(as_of: str, uc: dict[str, Any]) -> bytes:
    """A Hugging Face-style model card: metadata for tools, a short body, the full card linked."""
    fm = to_yaml(_frontmatter(uc)) + "\n"
    task = uc["definition"]["task"]
    lines = [f"# {md(uc['title'])}", "", str(md(uc["summary"])), "",
             (f"`{uc['id']}` · stage {md(uc['stage']['name'])} · risk tier {md(uc['tier']['name'])} · "
              f"gate: {md(uc['gate']['text'])} (as of {as_of}) · evidence bundle `{uc['evidence_hash'] or '—'}`"), ""]
    if task:
        lines += ["## Task", "", f"{md(task['type'])}: {md(task['description'])}", ""]
    for field in ("intended_use", "out_of_scope_use", "limitations"):
        text = uc["card_text"].get(field)
        if text:
            lines += [f"## {field.replace('_', ' ').capitalize()}", "", str(md(text)), ""]
    checks = [c for c in uc["checks"] if c["value"]]
    if checks:
        lines += ["## Fairness", ""]
        lines += [f"- `{c['id']}` ({md(' × '.join(c['attributes']))}): {c['metric']} "
                  f"{c['value']['value']:.3f} — "
                  + (f"{c['verdict']['label']} at {md(c['verdict']['stage'])}: {md(c['verdict']['text'])}"
                     if c["verdict"] else "not gated") for c in checks
                  if c["value"]["value"] is not None]
        lines.append("")
    lines += [(f"The full AI system card, the audit report and every number's evidence: `usecases/{uc['id']}/` on "
               f"the governance site; all results: `exports/{uc['id']}.json`."), ""]
    return ("---\n" + fm + "---\n\n" + "\n".join(lines)).encode()


def usecase_exports(uc: dict[str, Any], *, as_of: str) -> dict[str, bytes]:
    return {f"exports/{uc['id']}.json": usecase_json(as_of, uc),
            f"exports/{uc['id']}/README.md": model_card(as_of, uc)}


def render_exports(ctx: dict[str, Any]) -> dict[str, bytes]:
    out: dict[str, bytes] = {"exports/portfolio.json": portfolio_json(ctx)}
    for uc in ctx["usecases"]:
        out.update(usecase_exports(uc, as_of=ctx["as_of"]))
    return out
