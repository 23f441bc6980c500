"""A small governance repository in git, and the attacks a pull request could try on its evidence."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import repo_builder as rb

from charter.engine.executor import run
from charter.engine.ledger import Ledger
from charter.engine.plan import plan_repository
from charter.engine.store import EvidenceStore
from charter.gates.evidence import CachingStore, look_up


def git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


def git_repo(root: Path, ids: tuple[str, ...] = ("light-a", "light-b")) -> Path:
    rb.light_repo(root, ids=ids)
    (root / ".gitattributes").write_text((Path(__file__).parents[2] / ".gitattributes").read_text())
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.org")
    git(root, "config", "user.name", "T")
    git(root, "config", "commit.gpgsign", "false")
    commit(root, "specs")
    return root


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)


def run_all(root: Path, *ids: str, force: bool = False) -> Any:
    return run(rb.load(root), list(ids) or None, force=force, jobs=1)


def evidence(root: Path, uc: str) -> dict[str, Any]:
    """Job id → JobEvidence as the gate sees it."""
    repo = rb.load(root)
    store = CachingStore(EvidenceStore(root))
    return {p.job_id: look_up(store, p) for p in plan_repository(repo, [uc])}


def current_file(root: Path, uc: str, job: str) -> Path:
    store = EvidenceStore(root)
    run_entry = store.ledger_index().latest[(uc, job)]
    return store.record_path(uc, job, run_entry.evidence_id, run_entry.record_sha256)


def verify(root: Path, **kw: Any) -> Any:
    return Ledger(root).verify(store=EvidenceStore(root), **kw)


def rewrite_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
