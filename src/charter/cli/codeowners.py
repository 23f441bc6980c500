"""`charter codeowners [--output FILE] [--check]`: CODEOWNERS generated from governance roles.

Without ``--output`` the file is printed. ``--check`` compares it with the
committed file (``--output``, default ``.github/CODEOWNERS`` at the top of the git
repository) and exits 1 when they differ, printing the difference.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..codeowners import DEFAULT_TARGET
from .common import add_repo_arg, find_root, require_valid, write_output
from .main import EXIT_FAIL, EXIT_OK, UsageError



def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", "-o", metavar="FILE", help="write the file here (relative paths: to the current folder)")
    p.add_argument("--check", action="store_true",
                   help=f"exit 1 when the committed file (--output, default {DEFAULT_TARGET} at the git top level) "
                        "differs")
    add_repo_arg(p)


def run(args: argparse.Namespace) -> int:
    from ..codeowners import generate
    from ..io import git

    root = find_root(Path(args.repo))
    repo = require_valid(root, "codeowners")
    top = git.toplevel(root) or root
    prefix = root.relative_to(top).as_posix() if root != top and top in root.parents else ""
    target = Path(args.output) if args.output else top / DEFAULT_TARGET
    try:
        shown = target.resolve().relative_to(top).as_posix()
    except ValueError:
        shown = str(target)
    text = generate(repo, prefix="" if prefix == "." else prefix, target=shown)
    if args.check:
        try:
            current = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(f"charter codeowners: {shown} does not exist; run `charter codeowners --output {shown}`",
                  file=sys.stderr)
            return EXIT_FAIL
        except OSError as exc:
            raise UsageError(f"cannot read {shown}: {exc.strerror or exc}") from None
        if current == text:
            print(f"{shown} is up to date")
            return EXIT_OK
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   f"{shown} (committed)", f"{shown} (from governance)"))
        print(f"charter codeowners: {shown} is out of date; run `charter codeowners --output {shown}`", file=sys.stderr)
        return EXIT_FAIL
    if args.output:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_output(str(target), text)
        print(f"wrote {shown}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK
