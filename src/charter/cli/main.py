"""Entry point and the single error boundary.

Exit codes: 0 ok · 1 a gate or check failed · 2 invalid specs or misuse ·
3 internal error (crash log written) · 130 interrupted.

Every error meant for the user is a :class:`charter.errors.CharterError` that
carries its exit code; :func:`main` is the only place that turns an exception
into a message and an exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sys
import tempfile
import traceback
from pathlib import Path

from .. import __version__
from ..errors import (  # noqa: F401  (the verbs import the exit codes and UsageError from here)
    EXIT_FAIL,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    CharterError,
    UsageError,
)

# Verb → module under charter.cli. Modules are imported only when their verb runs,
# so `charter validate` never pays for torch, scikit-learn or mkdocs.
VERBS: dict[str, str] = {
    "init": "init",
    "validate": "validate",
    "schema": "schema",
    "new": "new",
    "run": "run",
    "show": "show",
    "verify": "verify",
    "status": "status",
    "gc": "gc",
    "gate": "gate",
    "diff": "diff",
    "codeowners": "codeowners",
    "approve": "approve",
    "build": "build",
    "serve": "serve",
}
HELP: dict[str, str] = {
    "init": "start a new governance repository (or write the example)",
    "validate": "check every spec; errors with file:line:column",
    "schema": "write the JSON Schemas of specs and artifacts",
    "new": "scaffold a new use case spec",
    "run": "run the jobs specs reference and record evidence",
    "show": "show the latest evidence of a use case",
    "verify": "verify the evidence ledger's hash chain",
    "status": "say which jobs `run` would run, and why",
    "gc": "remove evidence records nothing needs any more",
    "gate": "decide whether use cases may enter a stage",
    "diff": "the governance change since a git ref",
    "codeowners": "generate CODEOWNERS from governance roles",
    "approve": "record an approval of the current evidence in a spec",
    "build": "render the governance site and build it with MkDocs",
    "serve": "preview the governance site",
}

# What each verb's exit codes mean (beyond the ones every verb shares, COMMON_EXITS), and one example:
# both end the verb's --help (tests/cli/test_help.py parses every example with the verb's own parser).
EXITS: dict[str, dict[int, str]] = {
    "init": {0: "written", 2: "files already exist (listed; nothing written) or bad options"},
    "validate": {0: "every spec is valid (warnings allowed unless --strict)", 2: "errors (or warnings with --strict)"},
    "schema": {0: "written, or --check found them current", 1: "--check: files differ from the models"},
    "new": {0: "written", 2: "bad or missing options, or the spec exists (nothing written)"},
    "run": {0: "every job passed (fresh or cached)", 1: "a job failed, errored or was skipped",
            2: "invalid specs or misuse"},
    "show": {0: "shown", 2: "unknown use case or invalid specs"},
    "verify": {0: "the ledger and the records are intact (and extend --against's)",
               1: "an entry or record was edited, removed, reordered or deleted", 2: "unknown --against ref"},
    "status": {0: "nothing would run", 1: "some job would run", 2: "invalid specs or misuse"},
    "gc": {0: "removed (or listed, with --dry-run)", 2: "invalid specs"},
    "gate": {0: "every requirement passes or is waived (or --no-fail)", 1: "a requirement fails or lacks evidence",
             2: "invalid specs (nothing judged) or misuse"},
    "diff": {0: "the report", 2: "unknown ref, not a git repository, or invalid specs"},
    "codeowners": {0: "printed or written, or --check found it current", 1: "--check: the file differs",
                   2: "invalid specs"},
    "approve": {0: "recorded", 1: "the evidence is missing, stale or errored",
                2: "not the person's role or key, unknown stage, or bad dates"},
    "build": {0: "built", 1: "the site was not built completely (or warnings with --strict)",
              2: "invalid mkdocs.yml or options"},
    "serve": {0: "stopped", 2: "the port is taken or bad options"},
}
COMMON_EXITS: dict[int, str] = {3: "internal error (a crash log is written)", 130: "interrupted"}
EXAMPLES: dict[str, str] = {
    "init": 'charter init governance --org "Acme Insurance"',
    "validate": "charter validate usecases/churn --format github",
    "schema": "charter schema --out schemas --check",
    "new": ("charter new usecase churn --task binary-classification --data customers.csv \\\n"
            "    --target churned --team retention --owner ana-lopez --risk limited --sensitive age_band,sex"),
    "run": "charter run churn --changed-since origin/main",
    "show": "charter show churn --format json",
    "verify": "charter verify --against origin/main",
    "status": "charter status churn",
    "gc": "charter gc --dry-run",
    "gate": "charter gate churn --stage next --format markdown",
    "diff": "charter diff --base origin/main --format markdown --output reports/diff.md",
    "codeowners": "charter codeowners --check",
    "approve": "charter approve churn --stage pilot --by ana-lopez --role product-manager --key ~/.ssh/id_ed25519",
    "build": "charter build --strict",
    "serve": "charter serve --port 8001",
}


def epilog(verb: str) -> str:
    """The end of a verb's --help: its exit codes and one example."""
    codes = {**EXITS.get(verb, {}), **COMMON_EXITS}
    width = max(len(str(c)) for c in codes)
    lines = ["exit codes:", *(f"  {c:>{width}}  {codes[c]}" for c in sorted(codes))]
    return "\n".join([*lines, "", "example:", f"  {EXAMPLES[verb]}"])


def _available(only: str | None = None) -> dict[str, object]:
    """The verbs' modules: only ``only``'s when a known verb is asked for (the others cost imports a
    run never uses), else all of them (``charter --help`` lists each verb's options)."""
    mods: dict[str, object] = {}
    for verb, mod in VERBS.items():
        if only in VERBS and verb != only:
            continue
        try:
            mods[verb] = importlib.import_module(f"charter.cli.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"charter.cli.{mod}":
                raise
    return mods


def build_parser(mods: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="charter", description="Governance-as-code for ML and AI use cases.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=("exit codes: 0 ok, 1 a gate or check failed, 2 invalid specs or misuse, 3 internal error, "
                "130 interrupted\n(`charter COMMAND --help` says what each means for that command)\n\n"
                "example:\n  charter init governance --org \"Acme Insurance\""))
    parser.add_argument("--version", action="version", version=f"charter {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for verb in VERBS:
        p = sub.add_parser(verb, help=HELP.get(verb), description=HELP.get(verb),
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog(verb))
        if verb in mods:
            mods[verb].add_parser(p)  # type: ignore[attr-defined]
    return parser


def _crash_log(exc: BaseException) -> Path:
    fd, name = tempfile.mkstemp(prefix="charter-crash-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        fh.write(f"charter {__version__} crashed at {dt.datetime.now(dt.UTC).isoformat()}\n")
        fh.write(f"argv: {sys.argv}\n\n")
        fh.write("".join(traceback.format_exception(exc)))
    return Path(name)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    mods = _available(next((a for a in argv if not a.startswith("-")), None))
    parser = build_parser(mods)
    args = parser.parse_args(argv)
    if not args.verb:
        parser.print_help()
        return EXIT_INVALID
    if args.verb not in mods:
        print(f"charter {args.verb}: this installation has no such command", file=sys.stderr)
        return EXIT_INVALID
    try:
        return int(mods[args.verb].run(args))  # type: ignore[attr-defined]
    except CharterError as exc:
        # OSError-based errors (a full disk in the store) carry their sentence in strerror
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"charter {args.verb}: error: {message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if exc.filename is None:
            return _internal(exc)
        # the machine said no (a folder that does not exist, no permission, a full disk)
        print(f"charter {args.verb}: error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return EXIT_INVALID
    except Exception as exc:  # the one boundary: a traceback here is a bug in Charter
        return _internal(exc)


def _internal(exc: BaseException) -> int:
    log = _crash_log(exc)
    print(f"charter: internal error: {type(exc).__name__}: {exc}\n"
          f"This is a bug in Charter, not in your specs. Details: {log}", file=sys.stderr)
    return EXIT_INTERNAL
