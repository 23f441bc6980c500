"""Runner ``fairness``: per-group metrics and disparities for each sensitive attribute and their intersection.

Values come from :func:`charter.metrics.fairness_report` (equal to fairlearn's
MetricFrame and fairlearn.metrics; see that module for the conventions), with
bootstrap intervals on every disparity. Groups smaller than the policy's
``fairness.minGroupSize`` are flagged. Binary classification uses selection
rate, TPR, FPR, FNR, precision and accuracy; regression MAE and RMSE; more
than two classes (multiclass and text routing) accuracy only. The job
passes when everything was computed; fairness checks are judged by gates.
"""

from __future__ import annotations

from typing import Any

from ..evidence.records import Estimate
from ..kinds.runners.fairness import (
    AttributeFairness,
    ExcludedGroup,
    FairnessResult,
    GroupRow,
    JudgedView,
    RateEstimate,
    ReferenceBlock,
    ReferenceComparison,
    fairness_attributes,
    judged_views,
    min_group_size,
)
from .base import JobContext, JobError, JobOutput
from .evaluate import estimate
from .predictions import load_predictions, positive_label


def run(ctx: JobContext) -> JobOutput:
    import numpy as np

    from . import partitioned
    if partitioned.is_partitioned(ctx, ctx.job.predictions.data):  # a folder of Parquet partitions
        return partitioned.fairness(ctx)

    from ..metrics import fairness_report

    job, uc = ctx.job, ctx.use_case
    if uc.task is None:
        raise JobError("fairness needs the use case's task")
    attrs = fairness_attributes(uc, job)
    if not attrs:
        raise JobError("no sensitive attributes: declare them on the data source or list them in the job")
    preds = load_predictions(ctx, job.predictions)
    sensitive = {a: preds.column(a).to_numpy() for a in attrs}
    task = uc.task.type.value
    min_size = min_group_size(ctx.policy)
    pos = None
    if task == "regression":
        y_pred = preds.y_pred if preds.y_pred is not None else preds.scores
        kind = "regression"
        y_true = np.asarray(preds.y_true, dtype=np.float64)
        y_pred = np.asarray(y_pred, dtype=np.float64)
    else:
        kind = "binary"
        labels = preds.labels or sorted({v for v in preds.y_true.tolist()}, key=str)
        y_true = preds.y_true
        y_pred = preds.y_pred
        if len(labels) > 2:
            kind = "multiclass"  # per-group accuracy: the rate defined without a positive class
            if y_pred is None:
                raise JobError(f"{preds.source} gives no predicted labels")
        else:
            pos = positive_label(list(labels), uc.task.positive_label)
        explicit = "threshold" in job.predictions.model_fields_set
        if kind == "binary" and preds.scores is not None and (y_pred is None or explicit):
            scores = preds.scores
            if scores.ndim == 2:
                scores = scores[:, list(labels).index(pos)]
            others = [lab for lab in labels if lab != pos]
            neg: Any = others[0] if others else (0 if pos == 1 else None)
            y_pred = np.where(scores >= job.predictions.threshold, pos, neg)
        elif kind == "binary" and y_pred is None:
            raise JobError(f"{preds.source} gives neither predicted labels nor scores")
    views: dict[str, list[dict[str, Any]]] = {}
    for v in judged_views(ctx.policy, uc, attrs):
        # the report names an attribute by its columns in the job's order
        name = " & ".join(a for a in attrs if a in v["attributes"])
        views.setdefault(name, []).append({k: v[k] for k in ("min_group_size", "include_small_groups",
                                                              "reference_group")})
    try:
        report = fairness_report(
            y_true, y_pred, sensitive, task=kind, pos_label=pos, intersections=job.intersections,
            min_group_size=min_size, n_boot=job.bootstrap.replicates, confidence=job.bootstrap.confidence,
            seed=job.bootstrap.seed, views=views,
        )
    except ValueError as exc:
        raise JobError(f"cannot compute fairness metrics for {preds.source}: {exc}") from None
    return JobOutput("pass", None, _result(task, preds.source, min_size, report))


def _result(task: str, source: str, min_size: int, report: dict[str, Any]) -> FairnessResult:
    results = []
    for attr in report["attributes"].values():
        groups = [GroupRow(group=g["values"], label=str(g["label"]), n=g["count"], small=g["small"],
                           metrics=g["metrics"], undefined=g.get("undefined", {}),
                           intervals=g.get("intervals", {}), confusion=g.get("confusion"))
                  for g in attr["groups"]]
        disparities: dict[str, Estimate] = {}
        extremes: dict[str, dict[str, Any]] = {}
        for dname, d in attr["disparities"].items():
            disparities[dname] = estimate(d)
            extremes[dname] = {k: d.get(k) for k in ("metric", "min_group", "max_group")}
        results.append(AttributeFairness(attributes=list(attr["columns"]), groups=groups, disparities=disparities,
                                         extremes=extremes, views=[_view(v) for v in attr.get("views", [])]))
    return FairnessResult(task=task, source=source, min_group_size=min_size, results=results,
                          bootstrap=report.get("bootstrap", {}), warnings=list(report.get("warnings", [])))


def _extremes(disp: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {k: d.get(k) for k in ("metric", "min_group", "max_group")} for name, d in disp.items()}


def _view(v: dict[str, Any]) -> JudgedView:
    ref = v.get("reference")
    block = None
    if ref is not None:
        comparisons = [
            ReferenceComparison(
                group=str(c["group"]), n=c["n"], disparities={k: estimate(d) for k, d in c["disparities"].items()},
                rates={m: RateEstimate(value=r["value"], reference=r["reference"],
                                       low=r["ci"][0] if r["ci"] else None, high=r["ci"][1] if r["ci"] else None,
                                       method=r["method"] if r["ci"] else None)
                       for m, r in c.get("rates", {}).items()},
                difference={m: estimate(d) for m, d in c.get("difference", {}).items()},
                ratio={m: estimate(d) for m, d in c.get("ratio", {}).items()})
            for c in ref["comparisons"]]
        block = ReferenceBlock(group=str(ref["group"]), n=ref["n"], problem=ref["problem"], comparisons=comparisons)
    return JudgedView(min_group_size=v["min_group_size"], include_small_groups=v["include_small_groups"],
                      reference_group=v["reference_group"], included=[str(x) for x in v["included"]],
                      excluded=[ExcludedGroup(group=str(x["group"]), n=x["n"], reason=x["reason"])
                                for x in v["excluded"]],
                      disparities={k: estimate(d) for k, d in v["disparities"].items()},
                      extremes=_extremes(v["disparities"]), reference=block)
