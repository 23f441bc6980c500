"""Runner ``generative-compare``: paired comparison of two system versions on one eval set.

Both outputs files are scored item by item with :func:`charter.jobs.generative.score_items`;
each metric's challenger-minus-champion difference is tested on the items both
have a score for (exact McNemar test for rates, paired bootstrap for means and
quantiles). A difference is significant when p < alpha; its direction (the
metric's own) makes it an improvement or a regression.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..evidence.records import Estimate
from .base import JobContext, JobError, JobOutput
from .generative import (
    METRICS,
    encoder_for,
    load_suites,
    methods,
    prices_for,
    require_genai,
    score_items,
    settings_of,
)
from .generative_data import load_outputs


def run(ctx: JobContext) -> JobOutput:
    from ..kinds.runners.generative_compare import GenerativeCompareResult, MetricComparison
    from ..metrics.generative import aggregate, paired_test

    require_genai()
    job = ctx.job
    items, suite, known = load_suites(ctx, job)
    champ = load_outputs(ctx, job.champion.outputs, known, job.champion.system)
    chall = load_outputs(ctx, job.challenger.outputs, known, job.challenger.system)
    prices, warnings = prices_for(ctx, job.currency)
    for side in (job.champion, job.challenger):
        if side.system.model not in prices:
            warnings.append(f"no {job.currency} price for model '{side.system.model}': cost is not compared")
    settings = settings_of(job, prices)
    embed = encoder_for(ctx, job.encoder)
    a = score_items(items, champ, settings, embed, suite)
    b = score_items(items, chall, settings, embed, suite)
    comparisons: dict[str, MetricComparison] = {}
    boot = job.bootstrap
    for k, (name, d) in enumerate(METRICS.items()):
        if np.isnan(a[name]).all() or np.isnan(b[name]).all():
            continue
        rng = np.random.default_rng([boot.seed, len(items), k])
        t = paired_test(a[name], b[name], binary=d.binary, stat=d.stat, replicates=boot.replicates,
                        confidence=boot.confidence, rng=rng)
        if t["n"] == 0:
            continue
        verdict: Literal["improved", "regressed", "unchanged"] = "unchanged"
        if t["p_value"] is not None and t["p_value"] < job.alpha and t["difference"]:
            better = (t["difference"] > 0) == d.greater_is_better
            verdict = "improved" if better else "regressed"
        sides = []
        for v in (a[name], b[name]):
            agg = aggregate(v, stat=d.stat, binary=d.binary, replicates=boot.replicates,
                            confidence=boot.confidence, rng=np.random.default_rng([boot.seed, len(items), k, 1]))
            sides.append(Estimate(value=agg.value, low=agg.low, high=agg.high, reason=agg.reason))
        comparisons[name] = MetricComparison(
            champion=sides[0], challenger=sides[1],
            difference=Estimate(value=t["difference"], low=t["low"], high=t["high"]),
            n=t["n"], p_value=t["p_value"], method=t["method"], verdict=verdict)
    if not comparisons:
        raise JobError("no metric could be computed on both versions")
    m = methods(settings)
    m["paired_tests"] = ("rates: exact McNemar test on the items where the versions differ; means and quantiles: "
                         f"paired bootstrap over items; significant when p < {job.alpha:g}")
    result = GenerativeCompareResult(
        champion=job.champion.system.model_dump(mode="json", by_alias=True),
        challenger=job.challenger.system.model_dump(mode="json", by_alias=True),
        eval_set=ctx.source(job.eval_set).path, n_items=len(items), alpha=job.alpha, comparisons=comparisons,
        improved=[k for k, c in comparisons.items() if c.verdict == "improved"],
        regressed=[k for k, c in comparisons.items() if c.verdict == "regressed"],
        methods=m, bootstrap={"replicates": boot.replicates, "confidence": boot.confidence, "seed": boot.seed},
        warnings=warnings)
    return JobOutput("pass", None, result)
