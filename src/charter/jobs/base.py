"""The small interface every runner implements.

``run(ctx: JobContext) -> JobOutput``: the runner kinds of :mod:`charter.kinds.runners`
call it (this package is their execution backend). The context carries everything the job may
read (its spec, the use case, the governance parts it needs, the evidence of the
jobs it consumes) and a private folder for the artifacts it writes. A runner
never writes evidence itself and never prints; it returns its kind's typed result
model and the executor stores its JSON in an :class:`~charter.evidence.records.EvidenceRecord`.

Expected problems (bad data, a changed file, a missing optional package) are
raised as :class:`JobError` and become an ``error`` record with that reason;
anything else raised is reported as ``<ExceptionType>: <message>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from ..evidence.records import EvidenceRecord, Inputs
from ..loading.files import PathEscape, resolve_inside
from ..loading.files import sha256_file as file_sha256  # noqa: F401  (re-exported for runners)
from ..spec.governance import Allowlist, Policy
from ..spec.usecase import DataSource, UseCase

Status = Literal["pass", "fail", "error"]


class JobError(Exception):
    """An expected failure of a job: becomes an ``error`` record with this reason."""


@dataclass(frozen=True)
class JobContext:
    root: Path
    """Repository root; every file read must resolve inside it."""
    usecase_dir: Path
    use_case: UseCase
    job: Any
    """The job's spec (one of the job models of ``charter.spec.usecase``)."""
    runner: str
    evidence_id: str
    inputs: Inputs
    artifact_root: Path
    """Root of the artifact store (to read upstream artifacts)."""
    artifact_dir: Path
    """Empty folder for this job's artifacts; moved into the store when the job succeeds."""
    policy: Policy | None = None
    allowlist: Allowlist | None = None
    upstream: dict[str, EvidenceRecord] = field(default_factory=dict)
    """Job id → evidence record of each job this one consumes."""

    def source(self, data_id: str) -> DataSource:
        src = self.use_case.source(data_id)
        if src is None:
            raise JobError(f"data source '{data_id}' is not declared in use case '{self.use_case.id}'")
        return src

    def data_path(self, data_id: str) -> Path:
        """The data file of a source, inside the repository, with its pinned sha256 verified."""
        src = self.source(data_id)
        try:
            path = resolve_inside(self.root, self.usecase_dir, src.path)
        except PathEscape as exc:
            raise JobError(f"data source '{data_id}': {exc}") from None
        from ..loading.datasets import DatasetError, data_sha256, is_dataset

        if not path.is_file() and not is_dataset(path):
            raise JobError(f"data source '{data_id}': file '{src.path}' not found")
        try:
            actual = data_sha256(path)  # a folder: the partitioned data set's hash
        except DatasetError as exc:
            raise JobError(f"data source '{data_id}': {exc}") from None
        if actual != src.sha256:
            raise JobError(
                f"data changed since pinned: '{src.path}' (source '{data_id}') has sha256 {actual}, "
                f"the spec pins {src.sha256}; review the change and pin the new hash"
            )
        return path

    def read(self, data_id: str, columns: list[str] | None = None):  # type: ignore[no-untyped-def]
        """The source as a DataFrame (sha256 verified first); see :func:`charter.jobs.data.read_table`."""
        from .data import read_table

        src = self.source(data_id)
        return read_table(self.data_path(data_id), contract=src.contract, label=f"'{src.path}'", columns=columns)

    def upstream_artifact(self, job_id: str, name: str) -> Path:
        """An artifact of an upstream job, after checking its sha256 against that job's evidence."""
        record = self.upstream.get(job_id)
        if record is None:
            raise JobError(f"no evidence of upstream job '{job_id}'")
        art = next((a for a in record.artifacts if a.name == name), None)
        if art is None:
            raise JobError(f"upstream job '{job_id}' recorded no artifact '{name}'")
        path = (self.artifact_root / art.path).resolve()
        if self.artifact_root.resolve() not in path.parents:
            raise JobError(f"artifact '{name}' of '{job_id}' lies outside the artifact store")
        if not path.exists():
            raise JobError(f"artifact '{name}' of upstream job '{job_id}' is missing from the artifact store ({art.path})")
        from ..io.fs import tree_sha256

        if tree_sha256(path) != art.sha256:
            raise JobError(
                f"artifact '{name}' of upstream job '{job_id}' does not match the sha256 in its evidence; "
                "it was changed after the run and is not used"
            )
        return path


@dataclass
class JobOutput:
    status: Status
    reason: str | None = None
    result: BaseModel | None = None
    """The kind's result model (``None`` only when the job computed nothing)."""
    artifacts: dict[str, str] = field(default_factory=dict)
    """Artifact name → file name inside ``ctx.artifact_dir``."""


