"""Load a governance repository: files → typed specs + every diagnostic.

Phase 1 (shape) validates each file against its model; phase 2 (meaning, in
``crossref``) checks references across files. Both collect every problem.

A governance file with shape errors is not loaded (its model stays None), but
what the rest of it says is still used for cross-checks: ``salvaged`` holds its
model without the items in error (:func:`~charter.loading.shape.salvage_shape`),
so one typo on one person is one diagnostic, not an "unknown person" for every
reference to everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..diagnostics import Diagnostic, did_you_mean, sort_key
from ..spec.governance import GOVERNANCE_KINDS, Allowlist, MaturityModel, OKRSet, Organisation, Policy
from ..spec.usecase import UseCase
from . import yaml12
from .files import (
    GOVERNANCE_DIR,
    USECASES_DIR,
    HashCache,
    SpecRefused,
    rel,
)
from .shape import ShapeContext, salvage_shape, validate_shape
from .sources import SpecSource, WorkTree

SINGLETON_KINDS = ("Organisation", "MaturityModel", "Policy", "Allowlist")


@dataclass
class SpecFile:
    rel: str
    raw: bytes
    text: str
    data: Any
    sha256: str


@dataclass
class Repository:
    root: Path
    organisation: Organisation | None = None
    maturity: MaturityModel | None = None
    policy: Policy | None = None
    allowlist: Allowlist | None = None
    okrs: list[OKRSet] = field(default_factory=list)
    usecases: dict[str, UseCase] = field(default_factory=dict)
    files: dict[str, SpecFile] = field(default_factory=dict)
    usecase_files: dict[str, str] = field(default_factory=dict)  # use case id → rel path
    diagnostics: list[Diagnostic] = field(default_factory=list)
    broken_usecase_ids: set[str] = field(default_factory=set)
    """Ids of use cases whose files have shape errors: references to them are not errors too."""
    hashes: HashCache = field(default_factory=HashCache)
    salvaged: dict[str, Any] = field(default_factory=dict)
    """Governance kind → the model of its file without the items that have shape errors (cross-checks only;
    the file itself is not loaded). OKR files: kind 'OKRs' → a list of models."""
    salvaged_dropped: dict[str, set[str]] = field(default_factory=dict)
    """Governance kind → ids of the list items dropped from its salvaged file."""

    @property
    def salvaged_ids(self) -> set[str]:
        """Ids of list items dropped from salvaged files: references to them are not errors too."""
        return set().union(*self.salvaged_dropped.values())

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def usecase_dir(self, usecase_id: str) -> Path:
        return (self.root / self.usecase_files[usecase_id]).parent


def read_spec(root: Path, path: Path, preread: bytes | None = None) -> tuple[SpecFile | None, list[Diagnostic]]:
    """Read (unless the caller already did, through the same guard) and parse one file on disk."""
    r = rel(root, path)
    return read_spec_from(WorkTree(root, {r: preread} if preread is not None else {}), r)


def read_spec_from(source: SpecSource, r: str) -> tuple[SpecFile | None, list[Diagnostic]]:
    """Read and parse one spec file of a source; never raises for bad input."""
    import hashlib

    try:
        raw = source.read(r)
    except SpecRefused as refused:
        return None, [Diagnostic(r, None, None, refused.code, refused.message, hint=refused.hint)]
    except OSError as exc:
        return None, [Diagnostic(r, None, None, "CH008", f"cannot read the file: {exc.strerror or exc}")]
    try:
        text = yaml12.decode(raw)
        data = yaml12.to_python(yaml12.compose_nodes(text))
    except yaml12.YamlProblem as p:
        if p.code == "CH001":
            tab = yaml12.tab_indent_problem(raw.decode("utf-8", "replace"))
            if tab is not None:
                p = tab
        return None, [Diagnostic(r, p.line, p.column, p.code, p.message, hint=p.hint)]
    if data is None:
        return None, [Diagnostic(r, 1, 1, "CH007", "the file is empty",
                                 hint="a spec starts with 'apiVersion: charter/v1' and 'kind:'")]
    if not isinstance(data, dict):
        return None, [Diagnostic(r, 1, 1, "CH012", "expected a mapping at the top of the file",
                                 hint="a spec starts with 'apiVersion: charter/v1' and 'kind:'")]
    return SpecFile(r, raw, text, data, hashlib.sha256(raw).hexdigest()), []


def _kind_problem(sf: SpecFile, expected: tuple[str, ...]) -> Diagnostic | None:
    ctx = ShapeContext(sf.rel, sf.text, sf.data)
    api = sf.data.get("apiVersion")
    if api != "charter/v1":
        if api is None:
            return ctx.diag("CH011", [], "missing required key 'apiVersion'", "add 'apiVersion: charter/v1'")
        return ctx.diag("CH009", ["apiVersion"], f"unsupported apiVersion {api!r}",
                        "this version of Charter reads 'charter/v1'")
    kind = sf.data.get("kind")
    if kind not in expected:
        if kind is None:
            return ctx.diag("CH011", [], "missing required key 'kind'", f"kind is one of: {', '.join(expected)}")
        return ctx.diag("CH009", ["kind"], f"kind {kind!r} does not belong here; expected one of: {', '.join(expected)}",
                        did_you_mean(str(kind), expected))
    return None


def load_repository(source: Path | str | SpecSource, *, check_data: bool = True, hashes: HashCache | None = None,
                    preread: dict[str, bytes] | None = None, cross_reference: bool = True) -> Repository:
    """Load and validate a repository: the working tree at a path, or any :class:`SpecSource`
    (a git commit for ``diff``). Never raises for bad input.

    ``preread``: root-relative path → bytes already read through ``read_spec_bytes``
    (validation reads them once for its cache key). ``cross_reference=False`` stops
    after each file's shape (a base commit whose data files are not on disk)."""
    from .crossref import check_repository

    if isinstance(source, (str, Path)):
        source = WorkTree(Path(source), dict(preread or {}))
    root = source.root
    repo = Repository(root=root)
    if hashes is not None:
        repo.hashes = hashes
    has_governance = source.has_dir(GOVERNANCE_DIR)
    if not has_governance and not source.has_dir(USECASES_DIR):
        repo.diagnostics.append(Diagnostic(".", None, None, "CH008",
                                           f"no '{GOVERNANCE_DIR}/' or '{USECASES_DIR}/' folder in {root}",
                                           hint="run charter in the root of a governance repository, or pass its path"))
        return repo
    gov_paths, uc_paths = source.spec_paths()
    seen_kinds: dict[str, str] = {}
    for path in gov_paths:
        sf, diags = read_spec_from(source, path)
        repo.diagnostics.extend(diags)
        if sf is None:
            continue
        repo.files[sf.rel] = sf
        problem = _kind_problem(sf, tuple(GOVERNANCE_KINDS))
        if problem:
            repo.diagnostics.append(problem)
            continue
        kind = sf.data["kind"]
        if kind in SINGLETON_KINDS and kind in seen_kinds:
            ctx = ShapeContext(sf.rel, sf.text, sf.data)
            repo.diagnostics.append(ctx.diag("CH022", ["kind"], f"a second {kind} document (the first is {seen_kinds[kind]})",
                                             "keep one per repository"))
            continue
        seen_kinds[kind] = sf.rel
        model, diags = validate_shape(GOVERNANCE_KINDS[kind], ShapeContext(sf.rel, sf.text, sf.data))
        repo.diagnostics.extend(diags)
        if model is None:
            partial, dropped = salvage_shape(GOVERNANCE_KINDS[kind], sf.data)
            if partial is not None:
                if kind in SINGLETON_KINDS:
                    repo.salvaged[kind] = partial
                else:
                    repo.salvaged.setdefault(kind, []).append(partial)
                repo.salvaged_dropped.setdefault(kind, set()).update(dropped)
            continue
        if kind == "Organisation":
            repo.organisation = model  # type: ignore[assignment]
        elif kind == "MaturityModel":
            repo.maturity = model  # type: ignore[assignment]
        elif kind == "Policy":
            repo.policy = model  # type: ignore[assignment]
        elif kind == "Allowlist":
            repo.allowlist = model  # type: ignore[assignment]
        else:
            repo.okrs.append(model)  # type: ignore[arg-type]
    for kind in SINGLETON_KINDS:
        if kind not in seen_kinds and has_governance:
            repo.diagnostics.append(Diagnostic(GOVERNANCE_DIR, None, None, "CH008",
                                               f"no {kind} document in {GOVERNANCE_DIR}/",
                                               hint=f"add a YAML file with 'kind: {kind}' (see 'charter new')"))
    for path in uc_paths:
        folder = PurePosixPath(path).parent.name
        sf, diags = read_spec_from(source, path)
        repo.diagnostics.extend(diags)
        if sf is None:
            repo.broken_usecase_ids.add(folder)
            continue
        repo.files[sf.rel] = sf
        problem = _kind_problem(sf, ("UseCase",))
        model = None
        if problem:
            repo.diagnostics.append(problem)
        else:
            model, diags = validate_shape(UseCase, ShapeContext(sf.rel, sf.text, sf.data))
            repo.diagnostics.extend(diags)
        if model is None:
            repo.broken_usecase_ids.add(folder)
            if isinstance(sf.data.get("id"), str):
                repo.broken_usecase_ids.add(sf.data["id"])
            continue
        uc: UseCase = model  # type: ignore[assignment]
        if uc.id in repo.usecases:
            ctx = ShapeContext(sf.rel, sf.text, sf.data)
            repo.diagnostics.append(ctx.diag("CH022", ["id"], f"use case id '{uc.id}' is also used by {repo.usecase_files[uc.id]}"))
            continue
        repo.usecases[uc.id] = uc
        repo.usecase_files[uc.id] = sf.rel
    if cross_reference:
        check_repository(repo, check_data=check_data)
    repo.diagnostics.sort(key=sort_key)
    return repo
