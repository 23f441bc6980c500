"""Runner kind ``generative-eval``: quality, groundedness, format, safety, operations and review of a generative system.

Execution: :mod:`charter.jobs.generative`. The eval sets, the recorded outputs
and the ratings are data sources (their sha256 enter the evidence id); the
declared system version, the grounding method, the output schema, the token
prices of the governance allowlist and the encoder enter it as spec parts.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...evidence.records import Estimate
from ...spec.generative import GenerativeEvalJob
from ...spec.usecase import UseCase
from ._shared import ResultModel, est, num, table, warnings_text
from .base import Checker, Loc, Reads, RunnerKind, dump_spec


class GenBlock(ResultModel):
    n: int
    """Items in the slice or group."""
    metrics: dict[str, Estimate]
    counts: dict[str, int] = {}
    """Metric → the items it was computed on."""


class GenerativeResult(ResultModel):
    system: dict[str, Any]
    """The declared system version that produced the outputs."""
    eval_set: str
    outputs: str
    suites: dict[str, int]
    """Items per suite: quality, red-team, benign."""
    metrics: dict[str, Estimate]
    counts: dict[str, int]
    slices: dict[str, dict[str, GenBlock]] = {}
    groups: dict[str, dict[str, GenBlock]] = {}
    red_team: dict[str, GenBlock] = {}
    """Attack success by red-team category."""
    pii_found: dict[str, int] = {}
    currency: str | None = None
    tokens: dict[str, int] = {}
    methods: dict[str, str] = {}
    review: dict[str, Any] | None = None
    bootstrap: dict[str, Any] = {}
    warnings: list[str] = []


def encoder_source(repo: Any, source_id: str) -> dict[str, Any]:
    from .text_finetune import model_source

    return model_source(repo, source_id)


def price_table(repo: Any) -> list[Any]:
    allow = getattr(repo, "allowlist", None)
    return [p.model_dump(mode="json", by_alias=True) for p in (allow.prices if allow else [])]


def check_system_data(check: Checker, uc: UseCase, loc: Loc, ids: list[tuple[Loc, str | None]]) -> None:
    known = [d.id for d in uc.data]
    for sub, data_id in ids:
        if data_id is not None:
            check.ref(loc + sub, data_id, known, "data source")


def check_encoder(check: Checker, job: Any, loc: Loc) -> None:
    if job.encoder not in check.models:
        check.err("CH034", loc + ["encoder"], f"encoder '{job.encoder}' is not an allowlisted model source",
                  f"allowlisted models: {', '.join(sorted(check.models)) or 'none'}")


class GenerativeEval(RunnerKind[GenerativeResult]):
    name = "generative-eval"
    description = ("Generative system's recorded outputs: reference quality, groundedness, format, safety, "
                   "operations and human review, with intervals.")
    spec_model = GenerativeEvalJob
    result_model = GenerativeResult
    result_version = "1"
    backend = "charter.jobs.generative"
    packages = ("numpy", "scipy", "rouge-score", "sacrebleu", "jsonschema", "torch", "transformers")
    section = "generative"
    stands_for: ClassVar[tuple[str, ...]] = ("evaluate",)
    """A generation use case's evaluation (its crossref admits only `task.type: generation`): it satisfies
    requirements asking for `evaluate` evidence."""

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        data = [job.eval_set, job.red_team, job.benign, job.candidate.outputs,
                job.review.ratings if job.review else None]
        return Reads(spec={"encoder": encoder_source(repo, job.encoder), "prices": price_table(repo),
                           "task": dump_spec(uc.task)},
                     data=[d for d in dict.fromkeys(data) if d is not None], seed=job.bootstrap.seed)

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        check_system_data(check, uc, loc, [(["evalSet"], job.eval_set), (["redTeam"], job.red_team),
                                           (["benign"], job.benign), (["candidate", "outputs"], job.candidate.outputs),
                                           (["review", "ratings"], job.review.ratings if job.review else None)])
        check_encoder(check, job, loc)
        if uc.task is not None and uc.task.type.value != "generation":
            check.err("CH034", loc, f"a generative evaluation needs `task.type: generation`, not '{uc.task.type.value}'")

    def format(self, result: GenerativeResult) -> list[str]:
        s = result.system
        out = [f"  {s.get('model')} / prompt {s.get('promptVersion')} on {result.eval_set}: "
               + ", ".join(f"{k} {v}" for k, v in result.suites.items() if v)]
        out.extend(system_lines(s, "  "))
        out.extend(table([[m, est(e), str(result.counts.get(m, ""))] for m, e in result.metrics.items()]))
        names = ["groundedness", "unsupported_figure_rate", "token_f1", "semantic_similarity"]
        for what, blocks in (("slices", result.slices), ("groups", result.groups)):
            for key, values in blocks.items():
                rows = [["value", "n"] + names]
                rows += [[v, str(b.n)] + [num(b.metrics[m].value) if m in b.metrics else "—" for m in names]
                         for v, b in values.items()]
                out.append(f"  {what} by {key}:")
                out.extend(table(rows, "    "))
        if result.red_team:
            out.append("  red team by category:")
            out.extend(table([[c, str(b.n), est(b.metrics.get("attack_success_rate"))]
                              for c, b in result.red_team.items()], "    "))
        if "pii_leak_rate" in result.metrics:
            found = ", ".join(f"{k} {v}" for k, v in sorted(result.pii_found.items())) or "none"
            out.append(f"  PII findings: {found}")
        if result.tokens:
            out.append("  tokens: " + ", ".join(f"{k} {v}" for k, v in sorted(result.tokens.items()))
                       + (f"; cost per request in {result.currency}" if result.currency else ""))
        if result.review:
            r = result.review
            rating = r.get("rating") if isinstance(r.get("rating"), dict) else None
            out.append(f"  human review: {r['rated_items']} of {r['sample_size']} sampled items, reviewers "
                       f"{', '.join(r['reviewers'])}; agreement {num(r['agreement'])} ({r['agreement_method']})"
                       + (f", counts from {num(r['min_kappa'])}" if r.get("min_kappa") is not None else "")
                       + (f"; mean rating {est(Estimate.model_validate(rating))}" if rating else ""))
        for k, v in sorted(result.methods.items()):
            out.append(f"  method {k}: {v}")
        out.extend(warnings_text(result.warnings))
        return out


def system_lines(s: dict[str, Any], indent: str) -> list[str]:
    """The declared system version, as ``show`` prints it under the outputs it produced."""
    raw = s.get("decoding")
    decoding: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return [f"{indent}prompt template sha256 {s.get('promptTemplateSha256')}; decoding "
            + (", ".join(f"{k}={v}" for k, v in sorted(decoding.items())) or "none")
            + f"; retrieval snapshot {s.get('retrievalSnapshot') or 'none'}"]


KIND = GenerativeEval()
