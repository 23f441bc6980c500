"""Runner kind ``generative-compare``: champion against challenger, item by item, on the same eval set.

Execution: :mod:`charter.jobs.generative_compare`. Both recorded-outputs files are
scored like ``generative-eval`` scores one; every metric's difference gets a
paired test (exact McNemar for rates, paired bootstrap otherwise) and a verdict:
improved, regressed or unchanged at the job's significance level.
"""

from __future__ import annotations

from typing import Any, Literal

from ...evidence.records import Estimate
from ...spec.generative import GenerativeCompareJob
from ...spec.usecase import UseCase
from ._shared import ResultModel, num, table, warnings_text
from .base import Checker, Loc, Reads, RunnerKind, dump_spec
from .generative import check_encoder, check_system_data, encoder_source, price_table, system_lines


class MetricComparison(ResultModel):
    champion: Estimate
    challenger: Estimate
    difference: Estimate
    """Challenger minus champion, with the paired interval."""
    n: int
    """Items both versions were scored on."""
    p_value: float | None
    method: str | None
    verdict: Literal["improved", "regressed", "unchanged"]


class GenerativeCompareResult(ResultModel):
    champion: dict[str, Any]
    challenger: dict[str, Any]
    eval_set: str
    n_items: int
    alpha: float
    comparisons: dict[str, MetricComparison]
    improved: list[str]
    regressed: list[str]
    methods: dict[str, str] = {}
    bootstrap: dict[str, Any] = {}
    warnings: list[str] = []


class GenerativeCompare(RunnerKind[GenerativeCompareResult]):
    name = "generative-compare"
    description = "Champion against challenger outputs on the same eval set: paired tests per metric."
    spec_model = GenerativeCompareJob
    result_model = GenerativeCompareResult
    result_version = "1"
    backend = "charter.jobs.generative_compare"
    packages = ("numpy", "scipy", "rouge-score", "sacrebleu", "jsonschema", "torch", "transformers")
    section = "generative"

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        data = [d for d in (job.eval_set, job.red_team, job.benign, job.champion.outputs, job.challenger.outputs)
                if d is not None]
        return Reads(spec={"encoder": encoder_source(repo, job.encoder), "prices": price_table(repo),
                           "task": dump_spec(uc.task)}, data=list(dict.fromkeys(data)), seed=job.bootstrap.seed)

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        check_system_data(check, uc, loc, [(["evalSet"], job.eval_set), (["redTeam"], job.red_team),
                                           (["benign"], job.benign), (["champion", "outputs"], job.champion.outputs),
                                           (["challenger", "outputs"], job.challenger.outputs)])
        check_encoder(check, job, loc)
        if job.champion.outputs == job.challenger.outputs:
            check.err("CH034", loc + ["challenger", "outputs"], "the challenger's outputs are the champion's")

    def format(self, result: GenerativeCompareResult) -> list[str]:
        out = [f"  {result.challenger.get('model')}/{result.challenger.get('promptVersion')} against "
               f"{result.champion.get('model')}/{result.champion.get('promptVersion')} on {result.n_items} items "
               f"(alpha {result.alpha:g})"]
        out.extend(system_lines(result.champion, "  champion: "))
        out.extend(system_lines(result.challenger, "  challenger: "))
        out.append(f"  improved significantly: {', '.join(result.improved) or 'none'}; "
                   f"regressed significantly: {', '.join(result.regressed) or 'none'}")
        rows = [["metric", "champion", "challenger", "difference", "p", "verdict"]]
        rows += [[m, num(c.champion.value), num(c.challenger.value), num(c.difference.value), num(c.p_value), c.verdict]
                 for m, c in result.comparisons.items()]
        out.extend(table(rows))
        out.extend(warnings_text(result.warnings))
        return out


KIND = GenerativeCompare()
