"""The one git wrapper: every git call Charter makes goes through :func:`run`.

Two styles of caller, as in pre-commit's ``git.py``: commands whose failure is
an error the user must see (:func:`run`, raising :class:`GitError` with git's
own message), and questions whose failure only means "no answer" (:func:`ask`,
returning None: a repository without git records no commit in its lineage).
Reading a commit never checks it out (``ls-tree`` + one ``cat-file --batch``),
so it works in a shallow CI clone once the commit is fetched.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import GitError

TIMEOUT_S = 60.0
"""For commands that read objects (a large base tree can take a while)."""
QUICK_TIMEOUT_S = 5.0
"""For questions asked on every run (lineage): a hung git must not hold up a run."""


def run(cwd: Path, *args: str, stdin: bytes | None = None, timeout: float = TIMEOUT_S) -> bytes:
    """git's standard output; raises GitError when git is missing, times out or fails."""
    try:
        out = subprocess.run(["git", "-C", str(cwd), *args], input=stdin, capture_output=True, timeout=timeout,
                             check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if out.returncode != 0:
        raise GitError(out.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return out.stdout


def ask(cwd: Path, *args: str, timeout: float = QUICK_TIMEOUT_S) -> str | None:
    """git's standard output as text, or None if git cannot answer (no git, not a repository, an error)."""
    try:
        return run(cwd, *args, timeout=timeout).decode("utf-8", "surrogateescape")
    except GitError:
        return None


def toplevel(root: Path) -> Path | None:
    """The top folder of the git checkout holding ``root``, or None outside git."""
    out = ask(root, "rev-parse", "--show-toplevel", timeout=10.0)
    return Path(out.strip()).resolve() if out and out.strip() else None


def location(root: Path) -> tuple[Path, str]:
    """(top level of the git repository, ``root``'s folder inside it: '' or 'sub/dir/'); GitError outside git."""
    top = toplevel(root)
    if top is None:
        raise GitError(f"{root} is not inside a git repository")
    relpath = Path(root).resolve().relative_to(top).as_posix()
    return top, "" if relpath == "." else relpath + "/"


def prefix(root: Path) -> str:
    """``root``'s folder inside its git checkout ('' at the top or outside git)."""
    top = toplevel(root)
    here = Path(root).resolve()
    if top is None or top == here or top not in here.parents:
        return ""
    return here.relative_to(top).as_posix() + "/"


def resolve_commit(root: Path, ref: str) -> str:
    """The full commit id ``ref`` names; GitError (with a hint for shallow clones) if it names none."""
    if ref.startswith("-"):
        raise GitError(f"'{ref}' is not a git ref")
    try:
        return run(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(f"unknown git ref '{ref}': in a shallow clone, fetch it first "
                       f"(for example `git fetch --depth=1 origin {ref}`)") from None


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    """git's file mode: '100644', '100755', '120000' (a symbolic link)."""
    oid: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"


def ls_tree(root: Path, commit: str, paths: list[str]) -> dict[str, TreeEntry]:
    """Path (from the top of the git repository) → entry of every file under ``paths`` at ``commit``."""
    raw = run(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths)
    out = {}
    for entry in raw.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            out[path.decode("utf-8", "surrogateescape")] = TreeEntry(parts[0].decode(), parts[2].decode())
    return out


def cat_blobs(root: Path, oids: list[str]) -> dict[str, bytes]:
    """Blob id → content, read in one ``git cat-file --batch`` call; missing blobs are left out."""
    if not oids:
        return {}
    unique = list(dict.fromkeys(oids))
    raw = run(root, "cat-file", "--batch", stdin=("\n".join(unique) + "\n").encode())
    out: dict[str, bytes] = {}
    pos = 0
    for oid in unique:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        out[oid] = raw[pos:pos + size]
        pos += size + 1
    return out


def head_state(root: Path) -> tuple[str | None, bool | None]:
    """(HEAD's commit, whether the governance files differ from it), None for what git cannot tell.

    Evidence and Charter's local cache are left out of "dirty": a run writes them."""
    commit = ask(root, "rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = ask(root, "status", "--porcelain", "--", ".", ":(exclude)evidence", ":(exclude).charter")
    return commit.strip() or None, (bool(status.strip()) if status is not None else None)


def changed_paths(root: Path, ref: str) -> list[str] | None:
    """Paths (relative to ``root``) changed between ``ref`` and the working tree, committed or not, untracked
    included; None if git cannot compare them."""
    merge_base = ask(root, "merge-base", ref, "HEAD")
    base = merge_base.strip() if merge_base else ref
    # A shallow CI clone (the pull request's commit and the fetched base commit, no history between them) has
    # no merge base: compare the two trees. On GitHub the commit checked out is the pull request merged into
    # the base, so that is the pull request's change.
    committed = (ask(root, "diff", "--name-only", f"{ref}...HEAD") if merge_base
                 else ask(root, "diff", "--name-only", ref, "HEAD"))
    if committed is None:
        return None
    working = ask(root, "diff", "--name-only", base) or ""
    # --full-name: like diff's, relative to the top (ls-files would answer relative to root)
    untracked = ask(root, "ls-files", "--others", "--exclude-standard", "--full-name") or ""
    paths = {p.strip() for p in (committed + "\n" + working + "\n" + untracked).splitlines() if p.strip()}
    inside = (ask(root, "rev-parse", "--show-prefix") or "").strip()
    if inside:  # the governance repository is a sub-folder of the git repository
        paths = {p[len(inside):] for p in paths if p.startswith(inside)}
    return sorted(paths)


__all__ = ["TIMEOUT_S", "GitError", "TreeEntry", "ask", "cat_blobs", "changed_paths", "head_state", "location",
           "ls_tree", "prefix", "resolve_commit", "run", "toplevel"]
