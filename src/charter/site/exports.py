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

import yaml

from .safe import md

SCHEMA = "charter.site/v1"

HF_TASKS = {
    "binary-classification": ("tabular-classification", "Binary classification"),
    "multiclass-classification": ("tabular-classification", "Multiclass classification"),
    "text-classification": ("text-classification", "Text classification"),
    "regression": ("tabular-regression", "Regression"),
    "ranking": ("text-ranking", "Ranking"),
    "generation": ("text-generation", "Generation"),
}


def _json(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str) + "\n").encode()


def _primary(uc: dict[str, Any]) -> dict[str, Any] | None:
    for e in uc["evaluation"]:
        res = e.get("result")
        if res:
            m = next((m for m in res["metrics"] if m["primary"]), None)
            if m:
                return {"metric": m["name"], "value": m["value"], "low": m["low"], "high": m["high"],
                        "threshold": m["threshold"], "meets": m["meets"], "evidence": e["id"],
                        "fresh": e["freshness"] == "fresh"}
    return None


def usecase_json(ctx: dict[str, Any], uc: dict[str, Any]) -> bytes:
    keep = {k: v for k, v in uc.items() if k not in ("card",)}
    return _json({"schema": SCHEMA, "asOf": ctx["as_of"], "useCase": keep})


def portfolio_json(ctx: dict[str, Any]) -> bytes:
    rows = []
    for u in ctx["usecases"]:
        rows.append({
            "id": u["id"], "title": u["title"], "stage": u["stage"]["id"], "riskTier": u["tier"]["id"],
            "team": u["team"]["id"], "businessUnit": u["business_unit"]["id"],
            "owner": u["owner"]["id"] if u["owner"] else None,
            "gate": {"status": u["gate"]["status"], "text": u["gate"]["text"]},
            "valuePerYear": u["value_per_year"], "currency": u["currency"], "kpi": u["kpi"],
            "okrs": [k["id"] for k in u["okrs"]], "scores": u.get("scores"), "primary": _primary(u),
            "evidenceHash": u["evidence_hash"],
            "evidenceProblems": len(u["evidence_problems"]),
            "card": f"usecases/{u['id']}/", "audit": f"usecases/{u['id']}/audit/",
            "json": f"exports/{u['id']}.json", "modelCard": f"exports/{u['id']}/README.md",
        })
    m = ctx["maturity"]
    return _json({
        "schema": SCHEMA, "asOf": ctx["as_of"], "organisation": ctx["org"]["name"], "useCases": rows,
        "counts": {"stages": {r["stage"]["id"]: r["count"] for r in ctx["portfolio"]["stage_rows"]},
                   "riskTiers": {t["id"]: t["count"] for t in ctx["portfolio"]["tiers"]},
                   "gates": ctx["portfolio"]["gate_counts"]},
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
        source = res["source"].split(":", 1)[-1]
        metrics = [{"type": m["name"], "value": round(m["value"], 6), "name": m["title"], "verified": False}
                   for m in res["metrics"] if m["value"] is not None]
        if metrics:
            results.append({"task": {"type": hf_type, "name": hf_name},
                            "dataset": {"name": source, "type": source, "split": "test"}, "metrics": metrics})
    if results:
        fm["model-index"] = [{"name": uc["id"], "results": results}]
    return fm


def model_card(ctx: dict[str, Any], uc: dict[str, Any]) -> bytes:
    fm = yaml.safe_dump(_frontmatter(uc), sort_keys=False, allow_unicode=True, width=1000)
    lines = [f"# {md(uc['title'])}", "", str(md(uc["summary"])), ""]
    lines += [f"- **Use case:** `{uc['id']}` · stage {md(uc['stage']['name'])} · risk tier {md(uc['tier']['name'])}",
              f"- **Owners:** " + "; ".join(f"{md(o['role_name'])}: " + ", ".join(str(md(p['name'])) for p in o["people"])
                                           for o in uc["owners"]),
              f"- **Gate:** {md(uc['gate']['text'])} (as of {ctx['as_of']})",
              f"- **Evidence bundle:** `{uc['evidence_hash'] or '—'}`", ""]
    task = uc["definition"]["task"]
    if task:
        lines += ["## Task", "", f"{md(task['type'])}: {md(task['description'])}", ""]
    for c in uc["card"]:
        if c["text"]:
            lines += [f"## {c['title']}", "", str(md(c["text"])), ""]
    if uc["data"]:
        lines += ["## Training data", "", "| Source | Description | Personal data | Sensitive attributes | sha256 |",
                  "|---|---|---|---|---|"]
        for s in uc["data"]:
            lines.append(f"| `{s['id']}` | {md(s['description'])} | {'yes' if s['personal_data'] else 'no'} | "
                         f"{md(', '.join(s['sensitive_attributes'])) or '—'} | `{s['sha256']}` |")
        lines.append("")
    for e in uc["evaluation"]:
        res = e.get("result")
        if not res:
            continue
        lines += [f"## Evaluation (`{e['job']}`, evidence `{e['id']}`)", "", "| Metric | Value | Interval |",
                  "|---|--:|---|"]
        for m in res["metrics"]:
            iv = f"[{m['low']:.3f}, {m['high']:.3f}]" if m["low"] is not None and m["high"] is not None else "—"
            val = f"{m['value']:.3f}" if m["value"] is not None else "—"
            lines.append(f"| {m['title']} | {val} | {iv} |")
        lines.append("")
    if uc["checks"]:
        lines += ["## Fairness", "", "| Check | Groups | Metric | Limit | Measured |", "|---|---|---|---|---|"]
        for c in uc["checks"]:
            limit = " and ".join(x for x in ((f"≥ {c['min']}" if c["min"] is not None else ""),
                                             (f"≤ {c['max']}" if c["max"] is not None else "")) if x)
            v = c["value"]["value"] if c["value"] else None
            lines.append(f"| `{c['id']}` | {md(' × '.join(c['attributes']))} | {c['title']} | {limit} | "
                         f"{'—' if v is None else f'{v:.3f}'} |")
        lines.append("")
    lines += ["---", "", f"Exported by Charter from governance specs and evidence records "
                         f"(`{uc['spec_file']}`).", ""]
    return ("---\n" + fm + "---\n\n" + "\n".join(lines)).encode()


def render_exports(ctx: dict[str, Any]) -> dict[str, bytes]:
    out: dict[str, bytes] = {"exports/portfolio.json": portfolio_json(ctx)}
    for uc in ctx["usecases"]:
        out[f"exports/{uc['id']}.json"] = usecase_json(ctx, uc)
        out[f"exports/{uc['id']}/README.md"] = model_card(ctx, uc)
    return out
