"""`charter init [DIR] [--org NAME] [--example]`: start a governance repository.

Exit codes: 0 written · 2 files already exist (nothing written) or bad options.
Example: charter init governance --org "Acme Insurance"
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .main import EXIT_INVALID, EXIT_OK, UsageError


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", default=".", help="folder to create the repository in (default: the current folder)")
    p.add_argument("--org", metavar="NAME", help="the organisation's name (default: 'My Organisation')")
    p.add_argument("--example", action="store_true",
                   help="write the Aldermoor Group example (specs, generated data, evidence, site pages) instead")


def run(args: argparse.Namespace) -> int:
    from ..scaffolding.init import ExistingFilesError, InitError, init_repository

    dest = Path(args.dir)
    try:
        result = init_repository(dest, args.org, example=args.example)
    except ExistingFilesError as exc:
        print(f"charter init: error: {exc}:", file=sys.stderr)
        for rel in exc.existing:
            print(f"  {rel}", file=sys.stderr)
        print("choose an empty folder, or move these files away", file=sys.stderr)
        return EXIT_INVALID
    except InitError as exc:
        raise UsageError(str(exc)) from None
    what = "the Aldermoor Group example" if result.example else f"a governance repository for {result.org}"
    print(f"wrote {what} in {result.root} ({len(result.files)} files)")
    if dest.resolve() != Path.cwd().resolve():
        print(f"next: cd {shlex.quote(args.dir)}")
    if result.example:
        print("  charter validate && charter gate && charter build")
    else:
        print("  replace the placeholders marked REPLACE in governance/organisation.yaml, then:")
        print("  charter new usecase ID --task binary-classification --data DATA.csv   "
              "(asks for the team, owner and risk tier)")
        print("  charter validate")
    return EXIT_OK
