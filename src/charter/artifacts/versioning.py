"""The schema-version policy of persisted artifacts, in one place.

Each artifact model declares ``SCHEMA_VERSION`` (what this Charter writes) and
``MIN_SCHEMA_VERSION`` (the oldest it still reads). Bump ``SCHEMA_VERSION``
for any change a reader of the previous version would misread (a renamed or
removed key, a changed meaning); adding an optional key is not a bump for the
models that allow extra keys. Raise ``MIN_SCHEMA_VERSION`` when old files can
no longer be read; :attr:`UPGRADE_HINT` then tells the user how to re-record
them. Reading a version outside the range raises :class:`SchemaVersionError`
with a message saying which side is too old.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from ..errors import SchemaVersionError


class Versioned(BaseModel):
    """Base of every persisted artifact: frozen, strict about keys, versioned."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    SCHEMA_VERSION: ClassVar[int] = 1
    MIN_SCHEMA_VERSION: ClassVar[int] = 1
    ARTIFACT: ClassVar[str] = "file"
    """How the artifact is named in messages ("evidence record", "ledger")."""
    UPGRADE_HINT: ClassVar[str] = "write it again with this Charter"
    """What to do with a file older than MIN_SCHEMA_VERSION."""
    UNVERSIONED: ClassVar[int | None] = None
    """The version a file without ``schema_version`` is taken to have (None: such a file is invalid)."""


M = TypeVar("M", bound=Versioned)


def version_of(model: type[Versioned], data: Any) -> int | None:
    """The ``schema_version`` a JSON value claims (``UNVERSIONED`` when it has none)."""
    if not isinstance(data, dict):
        return None
    v = data.get("schema_version", model.UNVERSIONED)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def check_version(model: type[Versioned], version: int | None, where: str = "") -> None:
    """Raise SchemaVersionError when ``version`` is outside what ``model`` reads (None is left to validation)."""
    if version is None:
        return
    what = f"{where}: " if where else ""
    if version > model.SCHEMA_VERSION:
        raise SchemaVersionError(f"{what}{model.ARTIFACT} written by a newer Charter (schema {version}; this Charter "
                                 f"reads up to {model.SCHEMA_VERSION}): upgrade Charter")
    if version < model.MIN_SCHEMA_VERSION:
        reads = (f"{model.MIN_SCHEMA_VERSION}" if model.MIN_SCHEMA_VERSION == model.SCHEMA_VERSION
                 else f"{model.MIN_SCHEMA_VERSION} to {model.SCHEMA_VERSION}")
        raise SchemaVersionError(f"{what}{model.ARTIFACT} written by an older Charter (schema {version}; this "
                                 f"Charter reads {reads}): {model.UPGRADE_HINT}")


def read_json(model: type[M], raw: bytes | str | dict[str, Any], where: str = "") -> M:
    """Parse and validate one artifact, checking its schema version first.

    Raises SchemaVersionError (a version this Charter does not read) or
    ValueError (not JSON, or not a valid artifact of that version)."""
    if isinstance(raw, dict):
        data: Any = raw
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"not JSON ({exc})") from None
    check_version(model, version_of(model, data), where)
    return model.model_validate(data)


__all__ = ["Versioned", "check_version", "read_json", "version_of"]
