"""What a runner kind is: the interface every module under ``kinds.runners`` implements.

A kind is an instance of a :class:`RunnerKind` subclass. The class attributes
say what it is (name, description, spec model, result model, result version,
phase, packages); the methods answer what each layer needs to know about it:

* the planner: :meth:`reads` (spec parts, data sources, seed), :meth:`upstream`
  (jobs it consumes) and :meth:`guards` (data sources it checks, so jobs reading
  them wait for it);
* the validator: :meth:`crossref`, through the small :class:`Checker` protocol;
* the executor: :meth:`run` and, when it did not pass, :meth:`blocks` (why the
  jobs that depend on it cannot run);
* readers (``show``, the site, gates): :meth:`result` (the typed result of a
  record) and :meth:`format` (the text ``charter show`` prints).

``run`` imports the execution backend (a module under ``charter.jobs``) by name
when it runs, so importing a kind stays cheap and ``charter validate`` never
loads pandas, scikit-learn or torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, cast

from pydantic import BaseModel, ValidationError

from ...evidence.records import EvidenceRecord

if TYPE_CHECKING:
    from ...jobs.base import JobContext, JobOutput
    from ...spec.usecase import UseCase

Loc = list[str | int]

# Phases order the jobs of a use case before dependencies do: checks of the data
# first, then what trains, then what reads predictions or data.
PHASE_CHECK, PHASE_TRAIN, PHASE_CONSUME = 0, 1, 2

R = TypeVar("R", bound=BaseModel)


def _strip(obj: Any) -> Any:
    """Drop free-text ``description`` keys: prose changes do not change results."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k != "description"}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def dump_spec(model: BaseModel | None) -> Any:
    """A spec model as it enters an evidence id: JSON by alias, without prose."""
    return None if model is None else _strip(model.model_dump(mode="json", by_alias=True))


def task_spec(uc: UseCase) -> Any:
    return dump_spec(uc.task)


@dataclass(frozen=True)
class Reads:
    """What one job reads, as far as its evidence id is concerned."""

    spec: dict[str, Any]
    """Spec parts beyond the job's own section (task, model source, policy values...)."""
    data: list[str] = field(default_factory=list)
    """Data source ids the job reads directly (their pinned sha256 goes into the id)."""
    seed: int | None = None


class Checker(Protocol):
    """The validator's services a kind's cross-reference check may use (one use case file at a time)."""

    runners: set[str]
    """Runners on the governance allowlist."""
    estimators: dict[str, Any]
    """Allowlisted estimators by name."""
    models: dict[str, Any]
    """Allowlisted model sources by id."""
    text_params: dict[str, Any]
    """Allowlisted text training settings (``params`` of text jobs) by name, as written in the allowlist."""

    def err(self, code: str, loc: Loc, message: str, hint: str | None = None, *, severity: str = "error",
            at_key: bool = False) -> None: ...

    def ref(self, loc: Loc, value: str, known_ids: Iterable[str], what: str) -> bool: ...

    def column(self, loc: Loc, uc: UseCase, data_id: str, name: str) -> None: ...


class RunnerKind(Generic[R]):
    """One runner kind, typed by its result model. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    description: ClassVar[str]
    spec_model: ClassVar[type[BaseModel]]
    """The job's spec model (its ``runner`` field is a Literal holding :attr:`name`)."""
    result_model: ClassVar[type[BaseModel]]
    result_version: ClassVar[str]
    """Bump when the computation changes: it is part of every evidence id of this kind."""
    backend: ClassVar[str]
    """Module (under ``charter``) whose ``run(ctx)`` executes the job."""
    packages: ClassVar[tuple[str, ...]] = ()
    """Distributions whose behaviour decides the result (their major.minor go into the evidence id)."""
    phase: ClassVar[int] = PHASE_CONSUME
    predicts: ClassVar[bool] = False
    """Writes held-out predictions that evaluation and fairness jobs may read (a training kind)."""
    section: ClassVar[str]
    """Where its evidence is shown: contracts, training, evaluation, fairness or drift."""

    @property
    def version(self) -> str:
        """What ``Inputs.runner_version`` records: the kind and its result version."""
        return f"{self.name}@{self.result_version}"

    # -- planning ----------------------------------------------------------------------

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        return Reads(spec={})

    def upstream(self, uc: UseCase, job: Any) -> list[str]:
        """Ids of the jobs whose evidence (and artifacts) this job consumes."""
        return []

    def guards(self, uc: UseCase, job: Any) -> list[str]:
        """Data sources this job checks: every job that reads one of them depends on it."""
        return []

    # -- validation --------------------------------------------------------------------

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        """Cross-reference checks of one job beyond its shape (unknown ids, columns, allowlists)."""

    # -- running -----------------------------------------------------------------------

    def run(self, ctx: JobContext) -> JobOutput:
        # looked up at call time: the backend is imported only when a job runs
        return importlib.import_module(self.backend).run(ctx)  # type: ignore[no-any-return]

    def blocks(self, record: EvidenceRecord, reads: Collection[str]) -> str | None:
        """Why a job that depends on this one (and reads ``reads``) cannot run; None when it can."""
        if record.status == "pass":
            return None
        return f"upstream job '{record.job}' did not pass ({record.status})"

    # -- reading -----------------------------------------------------------------------

    def result(self, record: EvidenceRecord | dict[str, Any]) -> R | None:
        """The typed result of a record (or of its ``results`` dict); None when it holds none or is unreadable."""
        payload = record.results if isinstance(record, EvidenceRecord) else record
        if not payload:
            return None
        try:
            return cast(R, self.result_model.model_validate(payload))
        except ValidationError:
            return None

    def format(self, result: R) -> list[str]:
        """Lines ``charter show`` prints under the job (indented by two spaces)."""
        return []


# The table itself lives here, below every kind module, so shared helpers can look
# kinds up without importing the package that lists them; ``kinds.runners`` fills it.
TABLE: dict[str, RunnerKind[Any]] = {}


def find(name: str) -> RunnerKind[Any] | None:
    return TABLE.get(name)


def standing_for(runner: str) -> tuple[str, ...]:
    """``runner`` and every registered runner whose evidence counts as it (``stands_for``)."""
    return (runner,) + tuple(k.name for k in TABLE.values() if runner in getattr(k, "stands_for", ()))
