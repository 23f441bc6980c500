"""Runner ``drift``: schema and distribution drift of current data against a reference.

Statistics come from :func:`charter.metrics.drift_report`: PSI and
Kolmogorov–Smirnov for numeric features, chi-squared and PSI for categorical
ones, with the deciding method recorded per feature. Default thresholds (PSI
0.1, KS and chi-squared p-value 0.05, drift share 0.5) can be overridden in the
job. The job fails when the drift share reaches its threshold or columns were
added, removed or retyped. When either source is a partitioned Parquet data set
the statistics come from :mod:`charter.jobs.partitioned_drift` (partition by
partition; numeric features summarised on a grid carry their error ``bound``).
"""

from __future__ import annotations

from typing import Any

from ..kinds.runners.drift import DriftBound, DriftFeature, DriftResult
from .base import JobContext, JobError, JobOutput, Status


def run(ctx: JobContext) -> JobOutput:
    from ..metrics import drift_report
    from . import partitioned_drift

    job = ctx.job
    # both pins are verified before anything is read
    ctx.data_path(job.reference)
    ctx.data_path(job.current)
    if partitioned_drift.is_partitioned_drift(ctx):  # partition by partition, never loaded whole
        return result(job, partitioned_drift.drift_report(ctx))
    ref = ctx.read(job.reference, columns=list(job.features) if job.features else None)
    cur = ctx.read(job.current)
    try:
        report = drift_report(ref, cur, features=job.features, categorical=job.categorical,
                              thresholds=dict(job.thresholds))
    except ValueError as exc:
        raise JobError(f"cannot compute drift: {exc}") from None
    return result(job, report)


def result(job: Any, report: dict[str, Any]) -> JobOutput:
    """The job's result and status from a drift report (in memory or partitioned)."""
    features = []
    for name, f in report["features"].items():
        stats = f.get("stats", {})
        method = f["method"]
        statistic = {"ks": stats.get("ks_statistic"), "chi2": stats.get("chi2_statistic")}.get(method, f.get("score"))
        p_value = stats.get("ks") if f["kind"] == "numeric" else stats.get("chi2")
        bound = f.get("bound")
        features.append(DriftFeature(name=name, kind=f["kind"], method=method, statistic=statistic, p_value=p_value,
                                     psi=stats.get("psi"), threshold=f["threshold"], drifted=bool(f["drifted"]),
                                     summary=f.get("summary"),
                                     bound=DriftBound.model_validate(bound) if bound is not None else None))
    schema = report["schema"]
    share = report["drift_share"]
    if share is None:
        raise JobError("no feature could be compared between the reference and the current data")
    result = DriftResult(
        reference=job.reference,
        current=job.current,
        schema_changes={"added": schema["added"], "removed": schema["removed"], "retyped": schema["retyped"]},
        features=features,
        drift_share=float(share),
        drifted=bool(report["drifted"]),
        thresholds=report["thresholds"],
        skipped=report.get("skipped", {}),
    )
    reasons = []
    if report["drifted"]:
        drifted = [f.name for f in features if f.drifted]
        reasons.append(f"{len(drifted)} of {len(features)} features drifted (share {share:.2f} ≥ "
                       f"{report['thresholds']['drift_share']:g}): {', '.join(drifted[:10])}")
    if schema["changed"]:
        parts = [f"{k}: {', '.join(str(c if isinstance(c, str) else c.get('column')) for c in schema[k])}"
                 for k in ("added", "removed", "retyped") if schema[k]]
        reasons.append("schema changed (" + "; ".join(parts) + ")")
    status: Status = "fail" if reasons else "pass"
    return JobOutput(status, "; ".join(reasons) or None, result)
