"""The predictions artifact shared by training, evaluation and fairness jobs.

A CSV with one row per held-out example:

* ``__row_id`` – the row's 0-based position in the source data file;
* ``__y_true`` / ``__y_pred`` – label (or target) and prediction;
* ``__score__<i>`` – the score of class ``labels[i]`` (classification; ``labels``
  is in the training job's evidence);
* then the source's other columns for those rows (sensitive attributes, slice
  columns, features), under their own names.

Reading goes through :meth:`JobContext.upstream_artifact`, which checks the
file's sha256 against the training job's evidence first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..kinds.runners._shared import TrainResult
from .base import JobContext, JobError

ROW_ID, Y_TRUE, Y_PRED, SCORE = "__row_id", "__y_true", "__y_pred", "__score__"
PREDICTIONS_ARTIFACT = "predictions"
PREDICTIONS_FILE = "predictions.csv"


def write_predictions(path: Path, rows: Any, y_true: Any, y_pred: Any, scores: Any, data: Any) -> None:
    """rows: source row positions; scores: (n, k) array or None; data: the source rows (DataFrame)."""
    import numpy as np
    import pandas as pd

    cols: dict[str, Any] = {ROW_ID: np.asarray(rows), Y_TRUE: np.asarray(y_true), Y_PRED: np.asarray(y_pred)}
    if scores is not None:
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim == 1:
            scores = scores[:, None]
        for i in range(scores.shape[1]):
            cols[f"{SCORE}{i}"] = scores[:, i]
    frame = pd.DataFrame(cols)
    extra = data.reset_index(drop=True)
    extra = extra[[c for c in extra.columns if c not in frame.columns]]
    frame = pd.concat([frame, extra], axis=1)
    frame.to_csv(path, index=False, float_format=None, lineterminator="\n")


@dataclass
class Predictions:
    source: str
    """``job:<id>`` or ``data:<id>``."""
    data_id: str | None
    """The data source the rows come from."""
    row_ids: Any
    y_true: Any
    y_pred: Any | None
    scores: Any | None
    """(n, k) class scores in ``labels`` order, or (n,) positive-class scores."""
    labels: list[Any] | None
    frame: Any
    """The rows' data columns (for slices and sensitive attributes)."""

    def __len__(self) -> int:
        return len(self.y_true)

    def column(self, name: str) -> Any:
        if name not in self.frame.columns:
            shown = ", ".join(c for c in list(self.frame.columns)[:20])
            raise JobError(f"column '{name}' is not available with the predictions of {self.source} (columns: {shown})")
        return self.frame[name]

    def subset(self, mask: Any) -> Predictions:
        import numpy as np

        mask = np.asarray(mask)
        return Predictions(self.source, self.data_id, self.row_ids[mask], self.y_true[mask],
                           None if self.y_pred is None else self.y_pred[mask],
                           None if self.scores is None else self.scores[mask], self.labels,
                           self.frame.loc[mask].reset_index(drop=True))


def load_predictions(ctx: JobContext, ref: Any) -> Predictions:
    """The predictions a PredictionsRef points at: a training job's artifact, or columns of a data source."""
    import numpy as np
    import pandas as pd

    if ref.job is not None:
        path = ctx.upstream_artifact(ref.job, PREDICTIONS_ARTIFACT)
        record = ctx.upstream[ref.job]
        try:
            frame = pd.read_csv(path, low_memory=False)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise JobError(f"the predictions of job '{ref.job}' cannot be read: {exc}") from None
        for c in (ROW_ID, Y_TRUE, Y_PRED):
            if c not in frame.columns:
                raise JobError(f"the predictions of job '{ref.job}' lack column {c}")
        trained = TrainResult.model_validate(record.results) if record.results else None
        labels = list(trained.labels) if trained is not None else []
        score_cols = [c for c in frame.columns if c.startswith(SCORE)]
        scores = frame[score_cols].to_numpy(dtype=np.float64) if score_cols else None
        if scores is not None and labels and scores.shape[1] != len(labels):
            raise JobError(f"the predictions of job '{ref.job}' have {scores.shape[1]} score columns "
                           f"for {len(labels)} labels")
        data_cols = [c for c in frame.columns if not c.startswith("__")]
        train = ctx.use_case.job(ref.job)
        y_true, y_pred = frame[Y_TRUE].to_numpy(), frame[Y_PRED].to_numpy()
        if labels:  # CSV loses types: give labels back the type they have in the evidence
            y_true, y_pred = _relabel(y_true, labels), _relabel(y_pred, labels)
        return Predictions(f"job:{ref.job}", getattr(train, "data", None), frame[ROW_ID].to_numpy(),
                           y_true, y_pred, scores, labels or None, frame[data_cols].reset_index(drop=True))
    src = ctx.source(ref.data)
    wanted = [c for c in (ref.label, ref.score, ref.prediction) if c]
    frame = ctx.read(ref.data, columns=wanted)
    y_true = frame[ref.label]
    if y_true.isna().any():
        raise JobError(f"label column '{ref.label}' of '{src.path}' has {int(y_true.isna().sum())} missing value(s)")
    scores = None
    if ref.score is not None:
        s = pd.to_numeric(frame[ref.score], errors="coerce")
        if s.isna().any():
            raise JobError(f"score column '{ref.score}' of '{src.path}' has {int(s.isna().sum())} missing or "
                           "non-numeric value(s)")
        scores = s.to_numpy(dtype=np.float64)
    y_pred = None
    if ref.prediction is not None:
        yp = frame[ref.prediction]
        if yp.isna().any():
            raise JobError(f"prediction column '{ref.prediction}' of '{src.path}' has {int(yp.isna().sum())} "
                           "missing value(s)")
        y_pred = yp.to_numpy()
    return Predictions(f"data:{ref.data}", ref.data, np.arange(len(frame)), y_true.to_numpy(), y_pred, scores, None,
                       frame.reset_index(drop=True))


def _relabel(values: Any, labels: list[Any]) -> Any:
    import numpy as np

    lookup = {str(lab): lab for lab in labels}
    out = np.array([lookup.get(str(v), v) for v in values], dtype=object)
    kinds = {type(lab) for lab in labels}
    if kinds == {int}:
        try:
            return out.astype(np.int64)
        except (TypeError, ValueError):
            return out
    if kinds <= {int, float}:
        try:
            return out.astype(np.float64)
        except (TypeError, ValueError):
            return out
    return out


def positive_label(labels: list[Any], declared: Any) -> Any:
    """The positive class among labels: the declared one, else 1 for {0, 1} / {-1, 1} labels."""
    if declared is not None:
        for lab in labels:
            if lab == declared or str(lab) == str(declared):
                return lab
        raise JobError(f"the positive label {declared!r} is not among the labels {labels}")
    as_set = set(labels)
    if as_set <= {0, 1} or as_set <= {-1, 1} or as_set <= {False, True}:
        return True if as_set <= {False, True} and any(isinstance(x, bool) for x in labels) else 1
    raise JobError(f"labels {labels} are not 0/1: set task.positiveLabel to say which label is positive")
