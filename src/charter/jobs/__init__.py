"""Job runners: one module per runner, each a pure function of its declared inputs.

A runner is chosen by name from the fixed table below, never from an import path
in a spec. Each runner module exposes ``run(ctx: JobContext) -> JobOutput``
(see :mod:`.base`). This package imports nothing heavy: a runner module imports
pandas, scikit-learn, pandera or torch only when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunnerSpec:
    module: str
    """Module under ``charter.jobs`` holding ``run``."""
    sources: tuple[str, ...]
    """Files or folders (relative to the charter package) whose code decides the result."""
    packages: tuple[str, ...]
    """Distributions whose behaviour decides the result (their major.minor go into the evidence id)."""


_COMMON = ("jobs/base.py", "jobs/data.py")
_PRED = ("jobs/predictions.py",)

RUNNERS: dict[str, RunnerSpec] = {
    "data-contract": RunnerSpec("data_contract", ("jobs/data_contract.py", *_COMMON), ("pandera", "pandas", "numpy")),
    "sklearn-train": RunnerSpec(
        "sklearn_train", ("jobs/sklearn_train.py", *_COMMON, *_PRED), ("scikit-learn", "pandas", "numpy", "scipy")
    ),
    "text-finetune": RunnerSpec(
        "text_train", ("jobs/text_train.py", *_COMMON, *_PRED, "textmodels"), ("torch", "transformers", "numpy", "pandas")
    ),
    "text-linear-probe": RunnerSpec(
        "text_train", ("jobs/text_train.py", *_COMMON, *_PRED, "textmodels"), ("torch", "transformers", "numpy", "pandas")
    ),
    "evaluate": RunnerSpec("evaluate", ("jobs/evaluate.py", *_COMMON, *_PRED, "metrics"), ("numpy", "pandas", "scipy")),
    "fairness": RunnerSpec("fairness", ("jobs/fairness.py", *_COMMON, *_PRED, "metrics"), ("numpy", "pandas", "scipy")),
    "drift": RunnerSpec("drift", ("jobs/drift.py", *_COMMON, "metrics"), ("numpy", "pandas", "scipy")),
}


def runner_module(runner: str):  # type: ignore[no-untyped-def]
    """The module implementing a runner, from the fixed table only."""
    import importlib

    spec = RUNNERS.get(runner)
    if spec is None:
        raise KeyError(f"unknown runner '{runner}'")
    return importlib.import_module(f"charter.jobs.{spec.module}")
