"""The system card's generative and ranking sections: view-model data read from evidence and decisions.

* ``generative``: per ``generative-eval`` job, the system version that produced
  the outputs, the metrics by family (reference quality, groundedness, format,
  safety, operations, human review) overall, per slice and per group with their
  intervals and item counts, red-team coverage by category, PII findings and
  the review summary; per ``generative-compare`` job, the champion/challenger
  table with each metric's paired verdict. What the system must refuse comes
  from the spec (the red-team and benign suites' declarations, the card).
* ``ranking``: per ``ranking-evaluate`` job, the queries and cut-offs, and the
  fairness-of-exposure table of every group attribute.

Like :mod:`.context`, nothing here judges: numbers are the records', verdicts
the gate decisions' (the current stage's first). A verdict is shown next to the
value it judged: the requirement's scope (overall, a slice, a group, a red-team
category, an exposure attribute) is read from its parts' labels or, for a
single-part requirement, from the requirement as declared.
"""

from __future__ import annotations

from typing import Any

from ..gates.evidence import JobEvidence
from ..kinds import runners as runner_kinds
from ..kinds.runners.chat_completions import ChatCompletionsResult
from ..kinds.runners.generative import GenBlock, GenerativeResult
from ..kinds.runners.generative_compare import GenerativeCompareResult
from ..kinds.runners.ranking import RankingResult
from ..metrics.catalog import GENERATIVE_METRICS
from ..spec.usecase import UseCase

FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("quality", "Reference-based quality", ("exact_match", "token_f1", "rouge_l", "chrf", "semantic_similarity")),
    ("grounding", "Groundedness and unsupported figures", ("groundedness", "unsupported_figure_rate")),
    ("format", "Format validity", ("format_validity",)),
    ("safety", "Safety", ("attack_success_rate", "over_refusal_rate", "pii_leak_rate")),
)
"""How the card groups the generative metrics (a metric outside every family is listed under 'Other')."""

OPERATIONS = ("latency_p50_ms", "latency_p95_ms", "error_rate", "cost_per_request")
REVIEW = ("review_rating", "review_agreement")
"""Shown in the card's own operations and human-review tables, not among the families."""

DIGITS = {"cost_per_request": 5, "latency_p50_ms": 0, "latency_p95_ms": 0, "review_rating": 2}
"""Decimals shown (the evidence keeps every digit): costs are fractions of a cent, latencies milliseconds."""

BLOCK_COLUMNS = ("groundedness", "unsupported_figure_rate", "token_f1", "semantic_similarity", "pii_leak_rate")
"""Slice and group tables' default columns (the use case's primary and secondary metrics come first)."""

EXPOSURE_TITLES = {"exposure_ratio": "Exposure ratio (lowest group ratio / highest)",
                   "exposure_difference": "Exposure difference (largest |exposure − relevant share|)"}

SCOPE_ATTRS = ("slice", "group", "category", "attribute")

Verdicts = dict[tuple[str, str, str], list[dict[str, Any]]]
"""(scope kind, scope label, metric) → verdicts; scope kind: overall | slice | group | category | exposure."""


def _title(name: str) -> str:
    info = GENERATIVE_METRICS.get(name)
    if info is not None:
        return info.title
    from .context import _title as title

    return title(name)


def _gib(name: str) -> bool:
    info = GENERATIVE_METRICS.get(name)
    if info is not None:
        return info.greater_is_better
    from .context import _gib as gib

    return gib(name)


def _declared(repo: Any, uc: UseCase) -> dict[str, Any]:
    """Requirement id → the requirement as declared (the use case's gates, the policy's stages and tiers)."""
    out: dict[str, Any] = {}
    policy = getattr(repo, "policy", None)
    if policy is not None:
        for st in policy.stages:
            for r in st.requires:
                out.setdefault(r.id, r)
        for t in policy.risk_tiers:
            for rs in t.requires.values():
                for r in rs:
                    out.setdefault(r.id, r)
    for rs in uc.gates.values():
        for r in rs:
            out[r.id] = r  # the use case's own requirement wins over a policy one of the same id
    return out


def _scope(label: str, declared: Any) -> tuple[str, str]:
    """A part label or a declared requirement's scope as (kind, label)."""
    label = label.strip()
    if label.startswith("job '"):  # several jobs judged: the job prefix
        label = label.split("'", 2)[2].strip() if label.count("'") >= 2 else label
    if label.startswith("category="):
        return "category", label.partition("=")[2]
    if label.startswith("exposure by "):
        return "exposure", label[len("exposure by "):]
    if label and label != "overall":
        kind = "group" if declared is not None and getattr(declared, "group", None) else "slice"
        return kind, label
    if declared is not None:
        for attr in SCOPE_ATTRS:
            value = getattr(declared, attr, None)
            if isinstance(value, str) and value:
                if "*" in value:
                    return "unresolved", value  # a wildcard that matched one value: not shown as overall
                kind = {"attribute": "exposure"}.get(attr, attr)
                return kind, value
    return "overall", ""


def verdict_index(repo: Any, uc: UseCase, decisions: tuple[Any, ...], record_id: str | None) -> Verdicts:
    """The decisions' verdicts on the metric values of one record, by scope and metric, in decision order.

    A verdict belongs to a value when its requirement judged a metric (``metric`` set) on
    evidence that includes the record: no requirement kind is named here."""
    from .context import _verdict

    declared = _declared(repo, uc)
    out: Verdicts = {}
    if record_id is None:
        return out
    for dec in decisions:
        for r in dec.requirements:
            if not r.metric or record_id not in r.evidence:
                continue
            details = r.details if isinstance(r.details, dict) else {}
            spec = declared.get(r.id)
            parts = [p for p in details.get("parts") or () if isinstance(p, dict)]
            if parts:
                for p in parts:
                    kind, label = _scope(str(p.get("label") or ""), spec)
                    out.setdefault((kind, label, r.metric), []).append(
                        _verdict(dec.stage, str(p.get("status")), p.get("rule"), str(p.get("reason")), p))
            else:
                kind, label = _scope("", spec)
                if kind == "overall" and r.metric in EXPOSURE_TITLES:
                    kind, label = "exposure", "*"  # an exposure requirement over every attribute
                out.setdefault((kind, label, r.metric), []).append(
                    _verdict(dec.stage, r.status, r.rule, r.reason, details))
    return out


# --- generative -----------------------------------------------------------------------------


def _row(name: str, e: Any, n: int | None, verdicts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from .context import _est

    return {"name": name, "title": _title(name), "gib": _gib(name), "digits": DIGITS.get(name, 3), "n": n,
            **_est(e), "verdicts": verdicts or [], "gated": verdicts is not None}


def _system(s: dict[str, Any]) -> dict[str, Any]:
    raw = s.get("decoding")
    decoding: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {"model": s.get("model"), "prompt_version": s.get("promptVersion"),
            "prompt_template_sha256": s.get("promptTemplateSha256"),
            "decoding": [{"name": str(k), "value": v} for k, v in sorted(decoding.items())],
            "retrieval_snapshot": s.get("retrievalSnapshot")}


def _blocks(kind: str, table: dict[str, dict[str, GenBlock]], columns: list[str],
            verdicts: Verdicts) -> list[dict[str, Any]]:
    out = []
    for key in sorted(table):
        values = table[key]
        cols = [m for m in columns if any(m in b.metrics for b in values.values())][:5]
        rows = []
        for value in sorted(values):
            b = values[value]
            label = f"{key}={value}"
            rows.append({"value": value, "n": b.n, "cells": [
                _row(m, b.metrics.get(m), b.counts.get(m), verdicts.get((kind, label, m))) for m in cols]})
        out.append({"key": key, "metrics": [{"name": m, "title": _title(m), "gib": _gib(m)} for m in cols],
                    "rows": rows})
    return out


def _generative_eval(s: JobEvidence, uc: UseCase, res: GenerativeResult | None, verdicts: Verdicts,
                     head: dict[str, Any]) -> dict[str, Any]:
    if res is None:
        return head | {"kind": "eval", "result": None}
    ev = uc.evaluation
    preferred = ([ev.primary_metric] + list(ev.secondary_metrics)) if ev else []
    columns = list(dict.fromkeys([m for m in preferred if m in GENERATIVE_METRICS] + list(BLOCK_COLUMNS)))
    overall = {m: verdicts.get(("overall", "", m)) for m in res.metrics}
    families = []
    placed: set[str] = set(OPERATIONS + REVIEW)
    for fid, title, names in FAMILIES:
        rows = [_row(m, res.metrics[m], res.counts.get(m), overall[m]) for m in names if m in res.metrics]
        placed.update(names)
        if rows:
            families.append({"id": fid, "title": title, "rows": rows})
    other = [_row(m, res.metrics[m], res.counts.get(m), overall[m]) for m in sorted(res.metrics) if m not in placed]
    if other:
        families.append({"id": "other", "title": "Other", "rows": other})
    red_team = [{"category": c, "n": b.n, "attack": _row("attack_success_rate", b.metrics.get("attack_success_rate"),
                                                           b.counts.get("attack_success_rate", b.n),
                                                           verdicts.get(("category", c, "attack_success_rate")))}
                for c, b in sorted(res.red_team.items())]
    review = None
    if res.review:
        r = res.review
        raw_sample, raw_dist = r.get("sample"), r.get("distribution")
        sample: dict[str, Any] = raw_sample if isinstance(raw_sample, dict) else {}
        dist: dict[str, Any] = raw_dist if isinstance(raw_dist, dict) else {}
        review = {
            "rating": _row("review_rating", r.get("rating"), r.get("rated_items"), overall.get("review_rating")),
            "agreement": r.get("agreement"), "agreement_method": r.get("agreement_method"),
            "agreement_verdicts": overall.get("review_agreement") or [],
            "min_kappa": r.get("min_kappa"), "sample_size": r.get("sample_size"), "rated_items": r.get("rated_items"),
            "ratings": r.get("ratings"), "reviewers": [str(x) for x in r.get("reviewers") or []],
            "strata": [str(x) for x in sample.get("strata") or []], "seed": sample.get("seed"),
            "distribution": [{"rating": str(k), "count": v} for k, v in sorted(dist.items(), key=lambda kv: str(kv[0]))],
        }
    ops = {m: res.metrics.get(m) for m in OPERATIONS}
    return head | {"kind": "eval", "result": {
        "system": _system(res.system), "eval_set": res.eval_set, "outputs": res.outputs,
        "suites": [{"name": k, "n": v} for k, v in sorted(res.suites.items())],
        "families": families,
        "slices": _blocks("slice", res.slices, columns, verdicts),
        "groups": _blocks("group", res.groups, columns, verdicts),
        "red_team": red_team, "red_team_items": sum(b.n for b in res.red_team.values()),
        "pii_found": [{"kind": k, "count": v} for k, v in sorted(res.pii_found.items())],
        "pii": _row("pii_leak_rate", res.metrics.get("pii_leak_rate"), res.counts.get("pii_leak_rate"),
                    overall.get("pii_leak_rate")) if "pii_leak_rate" in res.metrics else None,
        "operations": [_row(m, e, res.counts.get(m), overall.get(m)) for m, e in ops.items() if e is not None],
        "currency": res.currency, "tokens": dict(sorted(res.tokens.items())),
        "methods": [{"name": k, "text": v} for k, v in sorted(res.methods.items())],
        "review": review, "confidence": res.bootstrap.get("confidence"),
        "replicates": res.bootstrap.get("replicates"), "warnings": list(res.warnings),
    }}


def _generative_compare(res: GenerativeCompareResult | None, verdicts: list[dict[str, Any]],
                        head: dict[str, Any]) -> dict[str, Any]:
    if res is None:
        return head | {"kind": "compare", "result": None}
    from .context import _est

    rows = [{"name": m, "title": _title(m), "gib": _gib(m), "digits": DIGITS.get(m, 3), "n": c.n,
             "champion": _est(c.champion), "challenger": _est(c.challenger), "difference": _est(c.difference),
             "p_value": c.p_value, "method": c.method, "verdict": c.verdict}
            for m, c in sorted(res.comparisons.items(), key=lambda kv: ({"regressed": 0, "improved": 1}.get(
                kv[1].verdict, 2), kv[0]))]
    return head | {"kind": "compare", "result": {
        "champion": _system(res.champion), "challenger": _system(res.challenger), "eval_set": res.eval_set,
        "n_items": res.n_items, "alpha": res.alpha, "rows": rows, "improved": list(res.improved),
        "regressed": list(res.regressed), "verdicts": verdicts, "warnings": list(res.warnings),
    }}


def _producer(res: ChatCompletionsResult | None, head: dict[str, Any]) -> dict[str, Any]:
    if res is None:
        return head | {"result": None}
    return head | {"result": {
        "endpoint": res.endpoint, "base_url": res.base_url, "system": _system(res.system),
        "eval_sets": [{"id": k, "n": v} for k, v in sorted(res.eval_sets.items())], "items": res.items,
        "answered": res.answered, "errors": res.errors, "retries": res.retries, "tokens": dict(sorted(res.tokens.items())),
        "cost": res.cost, "budget": res.budget, "currency": res.currency, "stopped": res.stopped,
        "outputs_sha256": res.outputs_sha256, "latency": dict(sorted(res.latency_ms.items())),
        "warnings": list(res.warnings)}}


def _refusals(uc: UseCase, jobs: list[Any]) -> dict[str, Any] | None:
    """What the system must refuse and must not refuse, as the spec declares it (suites and card)."""
    data = {d.id: d for d in uc.data}
    red: list[dict[str, Any]] = []
    benign: list[dict[str, Any]] = []
    for j in jobs:
        for attr, into in (("red_team", red), ("benign", benign)):
            ref = getattr(j, attr, None)
            if isinstance(ref, str) and ref in data and all(x["id"] != ref for x in into):
                into.append({"id": ref, "description": data[ref].description})
    if not red and not benign:
        return None
    return {"red_team": red, "benign": benign, "out_of_scope": uc.card.out_of_scope_use,
            "misuse": uc.card.misuse_and_edge_cases}


def _comparison_verdicts(decisions: tuple[Any, ...], record_id: str | None) -> list[dict[str, Any]]:
    """Verdicts of the requirements of the generative section that judged the comparison as a whole."""
    from .context import _verdict, requirement_kinds_section

    return [_verdict(dec.stage, r.status, r.rule, r.reason, r.details)
            for dec in decisions for r in dec.requirements
            if record_id is not None and record_id in r.evidence and not r.metric
            and requirement_kinds_section(r.kind) == "generative"]


def generative_section(repo: Any, uc: UseCase, jobs: list[JobEvidence],
                       decisions: tuple[Any, ...]) -> dict[str, Any] | None:
    """The card's generative section (None when the use case has no generative job)."""
    from .context import _head, _result

    if not jobs:
        return None
    evals, compares, producers = [], [], []
    for s in jobs:
        res = _result(s)
        head = _head(s, uc.id)
        kind = runner_kinds.find(s.runner)
        record_id = s.shown.id if s.shown is not None else None
        if kind is not None and kind.result_model is GenerativeCompareResult:
            compares.append(_generative_compare(res, _comparison_verdicts(decisions, record_id), head))
        elif kind is not None and kind.result_model is ChatCompletionsResult:
            producers.append(_producer(res, head))
        else:
            verdicts = verdict_index(repo, uc, decisions, record_id)
            evals.append(_generative_eval(s, uc, res if isinstance(res, GenerativeResult) else None, verdicts, head))
    specs = [uc.job(s.job) for s in jobs]
    return {"evals": evals, "compares": compares, "producers": producers, "refusals": _refusals(uc, [j for j in specs if j is not None])}


# --- ranking --------------------------------------------------------------------------------


def ranking_section(repo: Any, uc: UseCase, jobs: list[JobEvidence], decisions: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Per ranking-evaluate job: queries, cut-offs and fairness of exposure (the metrics are in the evaluation section)."""
    from .context import _est, _head, _result

    out = []
    for s in jobs:
        res = _result(s)
        if not isinstance(res, RankingResult):
            continue
        verdicts = verdict_index(repo, uc, decisions, s.shown.id if s.shown is not None else None)
        blocks = []
        for attr, b in sorted(res.exposure.items()):
            blocks.append({
                "attribute": attr, "cutoff": b.cutoff, "min_group_size": b.min_group_size, "n_queries": b.n_queries,
                "groups": [{"group": g.group, "items": g.items, "small": g.small, "exposure_share": g.exposure_share,
                            "relevant_share": g.relevant_share, "gap": g.exposure_share - g.relevant_share,
                            "ratio": _est(g.ratio)} for g in b.groups],
                "disparities": [{"name": k, "title": EXPOSURE_TITLES.get(k) or _title(k), **_est(e),
                                 "verdicts": verdicts.get(("exposure", attr, k), [])
                                 + verdicts.get(("exposure", "*", k), [])}
                                for k, e in sorted(b.disparities.items())],
                "small_groups": list(b.small_groups),
            })
        boot = res.bootstrap
        out.append(_head(s, uc.id) | {"result": {
            "n": res.n, "n_queries": res.n_queries, "excluded_queries": res.excluded_queries,
            "cutoffs": list(res.cutoffs), "confidence": boot.get("confidence"), "replicates": boot.get("replicates"),
            "method": boot.get("method"), "exposure": blocks}})
    return out


def system_sections(repo: Any, uc: UseCase, sections: dict[str, list[JobEvidence]],
                    decisions: tuple[Any, ...]) -> dict[str, Any]:
    """``generative`` and ``ranking`` entries of a use case's view (decisions: the current stage's first)."""
    ranking_jobs = [s for s in sections.get("evaluation", [])
                    if (k := runner_kinds.find(s.runner)) is not None and k.result_model is RankingResult]
    return {"generative": generative_section(repo, uc, list(sections.get("generative", [])), decisions),
            "ranking": ranking_section(repo, uc, ranking_jobs, decisions)}
