"""Content hashes for evidence ids: canonical JSON and package versions.

A runner kind's own version is declared in its module (``result_version``), not
derived from its source code: moving or refactoring code leaves evidence current.

An evidence id must change whenever anything the result depends on changes, and
must not change otherwise (no timestamps, no git commit, no absolute paths).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import math
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any


def _default(obj: Any) -> Any:
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return obj.as_posix()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", by_alias=True)
    raise TypeError(f"cannot hash a {type(obj).__name__}")


def _normalise(obj: Any) -> Any:
    # 1 and 1.0 are the same number in a spec; NaN has no JSON form.
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return repr(obj)
        if obj.is_integer() and abs(obj) < 2**53:
            return int(obj)
        return obj
    if isinstance(obj, dict):
        return {str(k): _normalise(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_normalise(v) for v in obj]
    return obj


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text: the same value always gives the same string."""
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json", by_alias=True)
    return json.dumps(_normalise(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(obj: Any) -> str:
    return sha256_text(canonical_json(obj))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_PARTS = {"major": 1, "minor": 2, "patch": 3}


@cache
def full_version(dist: str) -> str:
    """The installed version of a distribution, or ``absent``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def package_version(dist: str, staleness: str = "minor") -> str:
    """The part of a distribution's version that evidence ids include: ``major``, ``major.minor``
    (default) or the release (``major.minor.patch``, local tags dropped); ``*`` for ``never``."""
    version = full_version(dist)
    if version == "absent":
        return version
    if staleness == "never":
        return "*"
    release = version.split("+")[0]
    return ".".join(release.split(".")[:_PARTS.get(staleness, 2)])


def package_versions(dists: tuple[str, ...], staleness: str = "minor",
                     overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The id part of each distribution's version, under the policy's staleness rule."""
    over = overrides or {}
    return {d: package_version(d, over.get(d, staleness)) for d in dists}


def full_versions(dists: tuple[str, ...]) -> dict[str, str]:
    """The exact installed versions (lineage: recorded, never part of an id)."""
    return {d: full_version(d) for d in dists}
