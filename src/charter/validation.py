"""`validate` as a function: diagnostics for a repository, cached by content.

The cache key covers every spec file's bytes, the date (expiry warnings depend
on it) and Charter's version; the data files that were checked are re-stat'ed.
So a second run over unchanged files reads and hashes them and stops there,
without importing the models.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .diagnostics import Diagnostic
from .io.fs import atomic_write
from .loading.files import SpecRefused, discover, read_spec_bytes

if TYPE_CHECKING:
    from .loading.loader import Repository

CACHE_DIR = ".charter/cache"


@dataclass
class ValidationResult:
    root: Path
    diagnostics: list[Diagnostic]
    files: int
    cached: bool
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def _key(root: Path, paths: list[Path], today: date) -> tuple[str, dict[str, bytes]]:
    """Cache key over every spec's bytes, and those bytes for the loader (read once).
    A file the guard refuses is keyed by its stat and left for the loader to report."""
    h = hashlib.sha256(f"{__version__}\0{today.isoformat()}\0".encode())
    raw: dict[str, bytes] = {}
    plain_dirs: set[str] = set()
    for p in paths:
        rel = p.relative_to(root).as_posix()
        try:
            data = read_spec_bytes(root, p, plain_dirs)
            raw[rel] = data
            digest = hashlib.sha256(data).digest()
        except (SpecRefused, OSError):
            digest = f"\0refused {_stat_sig(str(p))}".encode()
        h.update(rel.encode() + b"\0" + digest)
    return h.hexdigest(), raw


def _stat_sig(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def validate(root: Path, *, use_cache: bool = True, today: date | None = None) -> ValidationResult:
    """Diagnostics for the repository at ``root`` (from the cache when nothing changed)."""
    return _validate(root, use_cache=use_cache, today=today)[0]


def load_validated(root: Path, *, today: date | None = None) -> tuple[ValidationResult, Repository | None]:
    """Validate, and load the repository if it is valid: the specs are read and loaded once.

    A cache miss already loaded the repository to validate it, so it is reused;
    a cache hit loads it from the bytes validation read for its key. The
    repository is None when the specs are invalid."""
    result, repo, raw = _validate(root, use_cache=True, today=today)
    if not result.ok:
        return result, None
    if repo is None:
        repo = load_repository_with_hashes(result.root, result.root / CACHE_DIR / "sha256.json", raw)
    return result, repo


def _validate(root: Path, *, use_cache: bool, today: date | None) -> tuple[ValidationResult, Repository | None,
                                                                          dict[str, bytes]]:
    today = today or date.today()
    root = root.resolve()
    gov, ucs = discover(root)
    paths = gov + ucs
    key, raw = _key(root, paths, today)
    cache_file = root / CACHE_DIR / "validate.json"
    if use_cache and cache_file.is_file():
        try:
            cached = json.loads(cache_file.read_text())
            if cached.get("key") == key and all(_stat_sig(str(root / p)) == sig for p, sig in cached["data"].items()):
                diags = [Diagnostic(**{k: v for k, v in d.items() if k != "title"}) for d in cached["diagnostics"]]
                return ValidationResult(root, diags, len(paths), True, _sources(raw, diags)), None, raw
        except (ValueError, KeyError, TypeError, OSError):
            pass  # a corrupt cache is just a miss
    hash_cache_file = root / CACHE_DIR / "sha256.json"
    repo = load_repository_with_hashes(root, hash_cache_file, raw)
    diags = repo.diagnostics
    # Relative paths: a copied repository must not match the original's file stats.
    data_stats = {}
    for p in repo.hashes.entries:
        try:
            data_stats[Path(p).relative_to(root).as_posix()] = _stat_sig(p)
        except ValueError:
            continue
    if use_cache:
        try:
            atomic_write(cache_file, json.dumps({
                "key": key, "data": data_stats, "diagnostics": [d.to_dict() for d in diags]}))
        except OSError:
            pass  # a read-only checkout still validates
    return ValidationResult(root, diags, len(paths), False, _sources(raw, diags)), repo, raw


def load_repository_with_hashes(root: Path, hash_cache_file: Path,
                                preread: dict[str, bytes] | None = None) -> Repository:
    """Load the repository, reusing and saving the data-file sha256 cache."""
    from .loading.files import HashCache
    from .loading.loader import load_repository

    hashes = HashCache()
    try:
        hashes.entries = {k: tuple(v) for k, v in json.loads(hash_cache_file.read_text()).items()}  # type: ignore[misc]
    except (OSError, ValueError, TypeError):
        pass
    repo = load_repository(root, hashes=hashes, preread=preread)
    if hashes.dirty:
        try:
            atomic_write(hash_cache_file, json.dumps(hashes.entries))
        except OSError:
            pass
    return repo


def _sources(raw: dict[str, bytes], diags: list[Diagnostic]) -> dict[str, str]:
    wanted = {d.file for d in diags}
    return {rel: data.decode("utf-8", "replace") for rel, data in raw.items() if rel in wanted}


atomic_write_text = atomic_write  # the name cli/new.py imports
