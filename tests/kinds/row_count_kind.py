"""A runner kind that lives only under tests/, written by following the README's
"How to add a runner kind" step by step: ``row-count`` checks that a data source has
at least ``minRows`` rows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from charter.jobs.base import JobContext, JobError, JobOutput
from charter.kinds.runners import PHASE_CONSUME, Checker, Loc, Reads, ResultModel, RunnerKind
from charter.spec.common import Id, Model, Text
from charter.spec.usecase import UseCase


# 1. the spec model
class RowCountJob(Model):
    id: Id
    description: Text | None = None
    runner: Literal["row-count"]
    data: Id
    """The data source to count."""
    min_rows: int = Field(ge=0)
    """Fewest rows the source may have."""


# 2. the result model
class RowCountResult(ResultModel):
    data: str
    rows: int
    min_rows: int


# 3. the kind
class RowCount(RunnerKind[RowCountResult]):
    name = "row-count"
    description = "Count the rows of a data source."
    spec_model = RowCountJob
    result_model = RowCountResult
    result_version = "1"
    backend = __name__
    packages = ("pandas",)
    phase = PHASE_CONSUME
    section = "contracts"

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        return Reads(spec={}, data=[job.data])

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        if check.ref(loc + ["data"], job.data, [d.id for d in uc.data], "data source"):
            src = uc.source(job.data)
            if src is not None and src.contract is not None and src.contract.rows is not None:
                most = src.contract.rows.max
                if most is not None and job.min_rows > most:
                    check.err("CH034", loc + ["minRows"], f"the contract of '{job.data}' allows at most {most} rows")

    def format(self, result: RowCountResult) -> list[str]:
        return [f"  {result.rows} rows in {result.data} (at least {result.min_rows} needed)"]


KIND = RowCount()


# 4. the backend
def run(ctx: JobContext) -> JobOutput:
    job = ctx.job
    frame = ctx.read(job.data)
    if frame.empty and job.min_rows:
        raise JobError(f"data source '{job.data}' holds no rows")
    result = RowCountResult(data=job.data, rows=len(frame), min_rows=job.min_rows)
    if result.rows < job.min_rows:
        return JobOutput("fail", f"{result.rows} rows, fewer than {job.min_rows}", result)
    return JobOutput("pass", None, result)
