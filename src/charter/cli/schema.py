"""`charter schema`: write the JSON Schemas of the specs (for editors) and of every persisted artifact."""

from __future__ import annotations

import argparse
from pathlib import Path

from .main import EXIT_FAIL, EXIT_OK


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="schemas", help="folder to write into (default: schemas/)")
    p.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ from the models (specs and artifacts)")


def run(args: argparse.Namespace) -> int:
    from ..schemas import render_schemas
    from ..io.fs import atomic_write

    out = Path(args.out)
    stale = []
    for name, text in render_schemas().items():
        path = out / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            atomic_write(path, text)
    if args.check:
        for path in stale:
            print(f"{path}: out of date (run: charter schema --out {out})")
        return EXIT_FAIL if stale else EXIT_OK
    print(f"wrote {len(stale)} schema file(s) to {out}/" if stale else f"schemas in {out}/ are up to date")
    return EXIT_OK
