"""One error hierarchy: every error Charter reports to a user is a :class:`CharterError`.

Each class carries the process exit code the CLI's single error boundary
(``charter.cli.main``) returns for it, so no verb maps errors to codes itself.
The core raises these with a message a user can act on; only the CLI prints.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAIL, EXIT_INVALID, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class CharterError(Exception):
    """A problem Charter explains to the user (never a traceback)."""

    exit_code: int = EXIT_INVALID


class UsageError(CharterError):
    """The command was misused: an unknown id, a malformed option (exit 2)."""


class SpecInvalid(CharterError):
    """The specs do not validate, so nothing can be judged (exit 2)."""


class GitError(CharterError):
    """git is missing, timed out, or refused (not a repository, unknown ref)."""


class DiffError(CharterError):
    """The comparison cannot be made (not a git repository, unknown ref)."""


class GateError(CharterError, ValueError):
    """A gate cannot be asked (unknown stage, no policy, jobs that cannot be planned): exit 2.

    Also a ValueError, as the gate's own error has been until now."""


class PlanError(CharterError, ValueError):
    """The jobs of a use case cannot be planned (unknown source or job, a dependency cycle): exit 2."""


class SchemaVersionError(CharterError):
    """A persisted file was written in a schema this Charter cannot read (newer or too old)."""


class EditError(CharterError):
    """A spec could not be edited in place (its layout is not one the editor can change safely)."""


class StoreError(CharterError, OSError):
    """Writing to the evidence store failed; the store is unchanged.

    Also an ``OSError`` (with ``errno``/``strerror``) so callers that handle
    disk failures generically keep working."""


class LedgerError(CharterError, OSError):
    """The ledger could not be appended to (the file is unchanged)."""


__all__ = [
    "EXIT_FAIL", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_INVALID", "EXIT_OK",
    "CharterError", "DiffError", "EditError", "GateError", "GitError", "LedgerError", "PlanError",
    "SchemaVersionError", "SpecInvalid", "StoreError", "UsageError",
]
