"""`charter init`: a new governance repository that validates and builds at once.

Every file is rendered in memory first; nothing is written while any target
path is taken. Files are then written to a staging folder and moved into place,
and a failure while moving removes what was moved, so a repository is never
left half-written.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import string
import tempfile
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

DEFAULT_ORG = "My Organisation"
EXAMPLE_ORG = "Aldermoor Group"
MAX_ORG_LENGTH = 200

# Package data cannot hold dotfiles reliably (globs skip them): they are stored as dot-NAME.
_DOT = "dot-"


class InitError(ValueError):
    """The repository cannot be created as asked (exit 2)."""


class ExistingFilesError(InitError):
    """Target paths already exist; nothing was written."""

    def __init__(self, root: Path, existing: list[str]) -> None:
        self.root, self.existing = root, existing
        super().__init__(f"{len(existing)} file(s) already exist in {root}; nothing was written")


@dataclass(frozen=True)
class InitResult:
    root: Path
    files: tuple[str, ...]
    """Repository-relative paths written, sorted."""
    org: str
    example: bool


def check_org(name: str) -> str:
    """The organisation name, stripped; refused when empty, too long or holding control characters."""
    name = name.strip()
    if not name:
        raise InitError("--org needs a non-empty name")
    if len(name) > MAX_ORG_LENGTH:
        raise InitError(f"--org is {len(name)} characters long; at most {MAX_ORG_LENGTH}")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InitError("--org must not contain control characters (line breaks, tabs, escapes)")
    return name


def yaml_quoted(value: str) -> str:
    """A YAML 1.2 double-quoted scalar: JSON strings are valid YAML, whatever the content."""
    return json.dumps(value, ensure_ascii=False)


def markdown_text(value: str) -> str:
    """Literal text in Markdown: HTML characters as entities, other ASCII punctuation backslash-escaped."""
    out = []
    for ch in value:
        if ch in "<>&\"'":
            out.append(html.escape(ch, quote=True))
        elif ch in string.punctuation:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _substitute(text: str, org: str) -> str:
    # MkDocs themes insert site_name into HTML unescaped: give it as entities.
    return (text.replace("@@ORG_YAML@@", yaml_quoted(org))
                .replace("@@ORG_HTML_YAML@@", yaml_quoted(html.escape(org, quote=True)))
                .replace("@@ORG_MD@@", markdown_text(org)))


def _walk(node: Traversable, prefix: str = "") -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = child.name
        if name == "__pycache__":
            continue
        if name.startswith(_DOT):
            name = "." + name[len(_DOT):]
        rel = f"{prefix}{name}"
        if child.is_dir():
            out.update(_walk(child, rel + "/"))
        else:
            out[rel] = child.read_bytes()
    return out


def template_files(org: str) -> dict[str, bytes]:
    """The new repository's files (without the generated CODEOWNERS), path → bytes."""
    rendered = {}
    for rel, data in _walk(files("charter") / "templates" / "init").items():
        rendered[rel] = _substitute(data.decode("utf-8"), org).encode("utf-8")
    return rendered


def existing_paths(root: Path, rels: list[str]) -> list[str]:
    """The paths that are taken: an existing file or folder, or a parent that is not a folder."""
    taken: set[str] = set()
    for rel in rels:
        parts = rel.split("/")
        for i in range(1, len(parts)):
            parent = root.joinpath(*parts[:i])
            if parent.exists() and not parent.is_dir():
                taken.add("/".join(parts[:i]))
        path = root / rel
        if path.exists() or path.is_symlink():
            taken.add(rel)
    return sorted(taken)


def render(org: str | None = None, *, example: bool = False) -> tuple[str, dict[str, bytes]]:
    """(organisation name, path → bytes) of the repository to write, CODEOWNERS included."""
    if example:
        from .example import example_files

        org_name = EXAMPLE_ORG
        content = example_files()
        content["README.md"] = (files("charter") / "templates" / "example-README.md").read_bytes()
        # the repository-level files every governance repository gets (CI, hooks, git settings)
        for rel, data in template_files(org_name).items():
            if rel.startswith(".") and rel not in content:
                content[rel] = data
        return org_name, content
    org_name = check_org(org if org is not None else DEFAULT_ORG)
    content = template_files(org_name)
    content.update(_schemas())
    content[".github/CODEOWNERS"] = _codeowners(content).encode("utf-8")
    return org_name, content


def _schemas() -> dict[str, bytes]:
    """The JSON Schemas editors use, so the `$schema` line `charter new usecase` writes resolves at once
    (`charter schema --check` keeps them current after an upgrade)."""
    from ..schemas import render_schemas

    return {f"schemas/{name}": text.encode("utf-8") for name, text in render_schemas().items()}


def _codeowners(content: dict[str, bytes]) -> str:
    from ..codeowners import generate
    from ..loading.loader import load_repository

    with tempfile.TemporaryDirectory(prefix="charter-init-") as tmp:
        _write_tree(Path(tmp), content)
        return generate(load_repository(Path(tmp), check_data=False))


def _write_tree(root: Path, content: dict[str, bytes]) -> None:
    for rel, data in content.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def init_repository(dest: Path, org: str | None = None, *, example: bool = False) -> InitResult:
    """Write a new governance repository into dest (created if missing).

    Raises ExistingFilesError, listing every taken path, before writing anything."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise InitError(f"{dest} exists and is not a folder")
    if example and org is not None:
        raise InitError("--org and --example do not go together: the example is Aldermoor Group's")
    org_name, content = render(org, example=example)
    existing = existing_paths(dest, list(content)) if dest.exists() else []
    if existing:
        raise ExistingFilesError(dest, existing)
    if dest.exists():
        _move_in(dest, content)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.charter-init-", dir=dest.parent))
        try:
            _write_tree(staging, content)
            os.rename(staging, dest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return InitResult(root=dest.resolve(), files=tuple(sorted(content)), org=org_name, example=example)


def _move_in(dest: Path, content: dict[str, bytes]) -> None:
    """Stage inside dest (same file system), then move file by file; undo on failure."""
    staging = Path(tempfile.mkdtemp(prefix=".charter-init-", dir=dest))
    moved: list[Path] = []
    made: list[Path] = []
    try:
        _write_tree(staging, content)
        for rel in sorted(content):
            target = dest / rel
            for parent in reversed(_parents(dest, target)):
                if not parent.exists():
                    parent.mkdir()
                    made.append(parent)
            _place(staging / rel, target, dest, rel)
            moved.append(target)
    except BaseException:
        for path in reversed(moved):
            path.unlink(missing_ok=True)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _place(src: Path, target: Path, dest: Path, rel: str) -> None:
    """Move src to target unless target exists, even one that appeared since the check.

    A hard link fails on an existing name atomically, where a rename would replace it."""
    try:
        os.link(src, target)
    except FileExistsError:
        raise ExistingFilesError(dest, [rel]) from None
    except OSError:  # no hard links on this file system: check, then rename
        if target.exists() or target.is_symlink():
            raise ExistingFilesError(dest, [rel]) from None
        os.rename(src, target)
        return
    src.unlink()


def _parents(root: Path, target: Path) -> list[Path]:
    """The folders between root (excluded) and target (excluded), deepest first."""
    out = []
    parent = target.parent
    while parent != root:
        out.append(parent)
        parent = parent.parent
    return out
