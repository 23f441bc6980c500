"""The table of runner kinds: the one place a runner name is looked up.

A runner is chosen by name from this table, never from an import path in a
spec. The planner, the validator, the executor, ``charter show`` and the site
ask it what a runner reads, checks, runs and records::

    from charter.kinds import runners
    kind = runners.get("evaluate")          # RunnerKind, or UnknownRunner
    kind.reads(repo, uc, job); kind.upstream(uc, job); kind.crossref(check, uc, job, loc)
    kind.run(ctx); kind.result(record); kind.format(result)

Built-in kinds are listed in :data:`BUILTIN`; :func:`register` (or the
:func:`registered` context manager) adds another at run time, which is how a
kind that lives outside this package (a plug-in, a test fixture) joins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ...spec.usecase import EXTRA_JOB_MODELS
from . import data_contract, drift, evaluate, fairness, ranking, sklearn_train, text_finetune, text_linear_probe
from . import chat_completions, generative, generative_compare
from ._shared import ResultModel
from .base import PHASE_CHECK, PHASE_CONSUME, PHASE_TRAIN, TABLE, Checker, Loc, Reads, RunnerKind, dump_spec, find, task_spec

__all__ = [
    "BUILTIN", "PHASE_CHECK", "PHASE_CONSUME", "PHASE_TRAIN", "Checker", "Loc", "Reads", "ResultModel", "RunnerKind",
    "UnknownRunner", "all_kinds", "by_section", "descriptions", "format_results", "dump_spec", "find", "get", "names", "register", "registered",
    "in_section", "section_of", "task_spec", "training", "unregister",
]

BUILTIN: tuple[RunnerKind[Any], ...] = (
    data_contract.KIND,
    sklearn_train.KIND,
    text_finetune.KIND,
    text_linear_probe.KIND,
    evaluate.KIND,
    fairness.KIND,
    drift.KIND,
    ranking.KIND,
    generative.KIND,
    generative_compare.KIND,
    chat_completions.KIND,
)

_KINDS = TABLE
_KINDS.update({k.name: k for k in BUILTIN})


class UnknownRunner(KeyError):
    """A runner name no registered kind has."""

    def __str__(self) -> str:
        return f"unknown runner '{self.args[0]}'"


def get(name: str) -> RunnerKind[Any]:
    kind = _KINDS.get(name)
    if kind is None:
        raise UnknownRunner(name)
    return kind


def all_kinds() -> tuple[RunnerKind[Any], ...]:
    return tuple(_KINDS.values())


def names() -> tuple[str, ...]:
    return tuple(_KINDS)


def descriptions() -> dict[str, str]:
    """Runner name → one-line description (what governance allowlists pick from)."""
    return {k.name: k.description for k in _KINDS.values()}


def training() -> tuple[str, ...]:
    """Runners that train a model and write held-out predictions."""
    return tuple(k.name for k in _KINDS.values() if k.predicts)


def section_of(name: str) -> str | None:
    """Where a runner's evidence is shown (``contracts``, ``training``, ...); None for an unknown runner."""
    kind = _KINDS.get(name)
    return kind.section if kind is not None else None


def format_results(name: str, results: dict[str, Any]) -> list[str]:
    """The lines ``charter show`` prints for a record's results: its kind's format (none for an
    unknown runner or results its result model cannot read)."""
    kind = _KINDS.get(name)
    result = kind.result(results) if kind is not None else None
    return kind.format(result) if kind is not None and result is not None else []


T = TypeVar("T")


def by_section(items: Iterable[T], runner_of: Callable[[T], str]) -> defaultdict[str, list[T]]:
    """Items grouped by the section their runner's evidence is shown in (unknown runners are left out)."""
    out: defaultdict[str, list[T]] = defaultdict(list)
    for item in items:
        section = section_of(runner_of(item))
        if section is not None:
            out[section].append(item)
    return out


def in_section(items: Iterable[T], section: str, runner_of: Callable[[T], str] | None = None) -> list[T]:
    """The items whose runner's kind shows its evidence in ``section`` (``evaluation``, ``fairness``,
    ``drift``, ``contracts``, ``training``), in order: how a requirement finds the jobs it judges
    without naming a runner, so a new kind of the same section is judged too."""
    of = runner_of or (lambda item: str(getattr(item, "runner")))
    return [item for item in items if section_of(of(item)) == section]


def register(kind: RunnerKind[Any]) -> None:
    """Add a kind to the table (its jobs then parse, plan, validate, run and show like the built-in ones)."""
    if kind.name in _KINDS:
        raise ValueError(f"a runner kind named '{kind.name}' is already registered")
    _KINDS[kind.name] = kind
    EXTRA_JOB_MODELS[kind.name] = kind.spec_model  # type: ignore[assignment]


def unregister(name: str) -> None:
    if any(k.name == name for k in BUILTIN):
        raise ValueError(f"'{name}' is a built-in runner kind")
    _KINDS.pop(name, None)
    EXTRA_JOB_MODELS.pop(name, None)


@contextmanager
def registered(kind: RunnerKind[Any]) -> Iterator[RunnerKind[Any]]:
    """``with registered(kind): ...`` – the kind is in the table inside the block only."""
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind.name)
