"""io/git: the one git wrapper, and a loader that reads a git commit like a working tree."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from charter.errors import GitError
from charter.io import git
from charter.loading.loader import load_repository
from charter.loading.sources import GitTree, WorkTree

EXAMPLE = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """The example's spec files in a git repository of their own, the governance root in a sub-folder."""
    top = tmp_path / "mono"
    root = top / "gov"
    shutil.copytree(EXAMPLE / "governance", root / "governance")
    for uc in (EXAMPLE / "usecases").iterdir():
        if (uc / "usecase.yaml").is_file():
            (root / "usecases" / uc.name).mkdir(parents=True)
            shutil.copy(uc / "usecase.yaml", root / "usecases" / uc.name / "usecase.yaml")
    sh(top, "init", "-q", "-b", "main")
    sh(top, "add", "-A")
    sh(top, "commit", "-q", "-m", "specs")
    return root


def test_location_prefix_and_toplevel(specs: Path, tmp_path: Path) -> None:
    top = specs.parent.resolve()
    assert git.toplevel(specs) == top
    assert git.location(specs) == (top, "gov/")
    assert git.prefix(specs) == "gov/" and git.prefix(top) == ""
    outside = tmp_path / "plain"
    outside.mkdir()
    assert git.toplevel(outside) is None and git.prefix(outside) == ""
    with pytest.raises(GitError, match="not inside a git repository"):
        git.location(outside)


def test_errors_are_git_errors_with_a_hint(specs: Path) -> None:
    with pytest.raises(GitError, match="fetch it first"):
        git.resolve_commit(specs, "no-such-ref")
    with pytest.raises(GitError, match="is not a git ref"):
        git.resolve_commit(specs, "--output=x")
    assert git.ask(specs, "no-such-command") is None
    assert len(git.resolve_commit(specs, "HEAD")) == 40


def test_head_state_and_changed_paths(specs: Path) -> None:
    commit, dirty = git.head_state(specs)
    assert commit == git.resolve_commit(specs, "HEAD") and dirty is False
    (specs / "usecases" / "new").mkdir()
    (specs / "usecases" / "new" / "usecase.yaml").write_text("x: 1\n")
    assert git.head_state(specs)[1] is True
    assert git.changed_paths(specs, "HEAD") == ["usecases/new/usecase.yaml"]  # relative to the governance root


def test_ls_tree_and_cat_blobs(specs: Path) -> None:
    commit = git.resolve_commit(specs, "HEAD")
    tree = git.ls_tree(specs, commit, ["gov/governance"])
    assert tree and all(p.startswith("gov/governance/") for p in tree)
    path, entry = next(iter(sorted(tree.items())))
    blobs = git.cat_blobs(specs, [entry.oid, entry.oid, "0" * 40])
    assert blobs == {entry.oid: (specs.parent / path).read_bytes()}  # duplicates once, missing left out


def test_a_commit_loads_like_the_working_tree(specs: Path) -> None:
    commit = git.resolve_commit(specs, "HEAD")
    on_disk = load_repository(WorkTree(specs), check_data=False, cross_reference=False)
    in_git = load_repository(GitTree(specs, commit), check_data=False, cross_reference=False)
    assert on_disk.usecases and in_git.usecases == on_disk.usecases
    assert (in_git.policy, in_git.organisation, in_git.allowlist, in_git.maturity, in_git.okrs) == \
        (on_disk.policy, on_disk.organisation, on_disk.allowlist, on_disk.maturity, on_disk.okrs)
    assert in_git.usecase_files == on_disk.usecase_files
    assert [d.to_dict() for d in in_git.diagnostics] == [d.to_dict() for d in on_disk.diagnostics]


def test_a_broken_spec_in_a_commit_gets_the_loaders_diagnostic(specs: Path) -> None:
    uc = next((specs / "usecases").iterdir()) / "usecase.yaml"
    uc.write_text("id: [unclosed\n")
    os.symlink("/etc/passwd", specs / "governance" / "evil.yaml")
    sh(specs, "add", "-A")
    sh(specs, "commit", "-q", "-m", "break")
    repo = load_repository(GitTree(specs, git.resolve_commit(specs, "HEAD")), check_data=False,
                           cross_reference=False)
    by_file = {d.file: d.code for d in repo.errors}
    assert by_file[uc.relative_to(specs).as_posix()] == "CH001"
    assert by_file["governance/evil.yaml"] == "CH025"  # a committed symlink is not followed
    assert uc.parent.name in repo.broken_usecase_ids
