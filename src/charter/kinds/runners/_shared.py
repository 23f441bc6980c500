"""Pieces several runner kinds share: the training result, predictions references, text helpers.

Every kind that trains (``predicts = True``) records a :class:`TrainResult` and
writes held-out predictions; evaluation and fairness jobs read them through a
:class:`~charter.spec.usecase.PredictionsRef`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from ...evidence.records import Estimate
from .base import find

if TYPE_CHECKING:
    from ...spec.usecase import PredictionsRef, UseCase
    from .base import Checker, Loc


class ResultModel(BaseModel):
    """Base of every result payload: closed, immutable, like the record envelope."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class TrainResult(ResultModel):
    estimator: str
    params: dict[str, Any]
    features: list[str]
    target: str
    n_train: int
    n_test: int
    n_validation: int = 0
    labels: list[Any] = []
    """Class labels in the order of the score columns (classification)."""
    predictions_artifact: str
    """Artifact name holding the held-out rows' predictions (and their sensitive/slice columns)."""
    model_artifact: str
    history: list[dict[str, Any]] = []
    """Per-epoch training history (text models)."""
    device: str | None = None


def format_train(res: TrainResult) -> list[str]:
    out = [f"  {res.estimator} on {len(res.features)} feature(s) → {res.target}; "
           f"train {res.n_train}, test {res.n_test}"
           + (f", validation {res.n_validation}" if res.n_validation else "")]
    if res.labels:
        out.append(f"  labels: {', '.join(map(str, res.labels))}")
    return out


# --- predictions references -------------------------------------------------------------


def training_job_ids(uc: UseCase) -> list[str]:
    """Ids of the use case's jobs whose kind writes predictions."""
    return [j.id for j in uc.jobs if (k := find(j.runner)) is not None and k.predicts]


def prediction_source(uc: UseCase, ref: PredictionsRef | None) -> str | None:
    """The data source id the predictions' rows come from."""
    if ref is None:
        return None
    if ref.data is not None:
        return ref.data
    train = uc.job(ref.job) if ref.job is not None else None
    return getattr(train, "data", None)


def refs_upstream(refs: list[PredictionsRef]) -> list[str]:
    return list(dict.fromkeys(r.job for r in refs if r.job is not None))


def refs_data(refs: list[PredictionsRef]) -> list[str]:
    return list(dict.fromkeys(r.data for r in refs if r.data is not None))


def check_predictions(check: Checker, uc: UseCase, p: PredictionsRef, loc: Loc) -> None:
    from ...diagnostics import did_you_mean

    train_jobs = training_job_ids(uc)
    if p.job is not None:
        if p.job not in train_jobs:
            check.err("CH034", loc + ["job"], f"'{p.job}' is not a training job of this use case",
                      did_you_mean(p.job, train_jobs) or (f"training jobs: {', '.join(train_jobs)}" if train_jobs
                                                          else "declare a training job first"))
    elif p.data is not None and check.ref(loc + ["data"], p.data, [d.id for d in uc.data], "data source"):
        for attr in ("label", "score", "prediction"):
            col = getattr(p, attr)
            if col is not None:
                check.column(loc + [attr], uc, p.data, col)


# --- text -------------------------------------------------------------------------------


def num(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1e4 else f"{v:.4g}"
    return str(v)


def est(e: Estimate | None) -> str:
    if e is None:
        return "—"
    s = num(e.value)
    if e.low is not None and e.high is not None:
        s += f"  [{num(e.low)}, {num(e.high)}]"
    if e.value is None and e.reason:
        s += f"  ({e.reason})"
    return s


def table(rows: list[list[str]], indent: str = "    ") -> list[str]:
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def warnings_text(warnings: list[str]) -> list[str]:
    return [f"  warning: {w}" for w in warnings]
