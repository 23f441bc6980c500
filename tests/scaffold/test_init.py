"""`charter init`: a repository that validates and builds at once, never over existing files."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest
import yaml

from charter.cli.main import main
from charter.loading.loader import load_repository
from charter.scaffolding import example as example_mod
from charter.scaffolding import init as init_mod
from charter.schemas import render_schemas
from charter.scaffolding.init import ExistingFilesError, InitError, check_org, init_repository
from charter.validation import validate

from .conftest import ROOT

HOSTILE = '<script>alert("x")</script> & *Acme*: {a: [1]} # [x](javascript:alert(1)) {{ 7*7 }}'

EXPECTED = {
    ".gitattributes", ".gitignore", ".pre-commit-config.yaml", ".github/CODEOWNERS",
    ".github/workflows/governance.yml", "README.md", "mkdocs.yml", "usecases/README.md",
    "governance/organisation.yaml", "governance/maturity.yaml", "governance/policy.yaml", "governance/allowlist.yaml",
    "governance/okrs.yaml",
} | {f"schemas/{name}" for name in render_schemas()}


def test_init_validates_checks_codeowners_and_builds_with_a_hostile_name(tmp_path: Path, capsys) -> None:
    root = tmp_path / "gov"
    assert main(["init", str(root), "--org", HOSTILE]) == 0
    assert set(init_mod.render(HOSTILE)[1]) == EXPECTED
    assert {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} == EXPECTED
    result = validate(root, use_cache=False)
    assert result.ok and [d for d in result.diagnostics if d.severity == "warning"] == []
    repo = load_repository(root)
    assert repo.organisation is not None and repo.organisation.name == HOSTILE
    assert [r.id for r in repo.organisation.roles] == [
        "data-scientist", "ml-engineer", "ml-researcher", "data-platform-engineer", "mlops-engineer", "ml-auditor",
        "product-manager", "software-engineer"]
    assert repo.maturity is not None and len(repo.maturity.processes) == 7
    assert repo.policy is not None
    assert [s.id for s in repo.policy.stages] == ["proposed", "experimentation", "pilot", "production", "retired"]
    assert [t.id for t in repo.policy.risk_tiers] == ["prohibited", "high", "limited", "minimal"]
    assert [len(s.objectives) for s in repo.okrs] == [0] and repo.allowlist is not None  # an empty OKR set
    capsys.readouterr()
    assert main(["codeowners", "--check", "--repo", str(root)]) == 0
    assert main(["build", "--repo", str(root)]) == 0
    index = (root / "build" / "site" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index
    assert html.escape(HOSTILE, quote=True) in index
    # the `$schema` line of a new use case resolves: init wrote the schemas, and they are current
    assert main(["schema", "--check", "--out", str(root / "schemas")]) == 0


def test_the_okr_example_in_the_empty_set_validates_once_uncommented(tmp_path: Path) -> None:
    import re

    root = tmp_path / "gov"
    init_repository(root, "Acme")
    path = root / "governance" / "okrs.yaml"
    text = path.read_text(encoding="utf-8").replace("objectives: []\n", "")
    text = re.sub(r"^# ?(objectives:.*|  .*)$", lambda m: m.group(1), text, flags=re.M)
    path.write_text(text, encoding="utf-8")
    result = validate(root, use_cache=False)
    assert result.ok and not [d for d in result.diagnostics if d.severity == "warning"], result.diagnostics
    [okrs] = load_repository(root).okrs
    assert [o.id for o in okrs.objectives] == ["faster-claims"]


def test_hostile_names_stay_text(tmp_path: Path) -> None:
    names = [HOSTILE, "null", "true", "123", "- item", "O'Brien & Söhne \"Ltd\"", "日本の銀行", "a\\b", "~",
             "<img src=x onerror=alert(1)>", "---", "key: value", "%TAG ! x"]
    for i, name in enumerate(names):
        root = tmp_path / f"r{i}"
        init_repository(root, name)
        repo = load_repository(root)
        assert repo.organisation is not None and repo.organisation.name == name, name
        assert validate(root, use_cache=False).ok, name
        site = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
        assert site["site_name"] == html.escape(name, quote=True)
        heading = (root / "README.md").read_text(encoding="utf-8").splitlines()[0]
        assert "<" not in heading and heading.startswith("# ")


@pytest.mark.parametrize("name", ["", "   ", "two\nlines", "esc\x1b[31m", "tab\there", "x" * 201])
def test_unusable_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(InitError):
        check_org(name)
    assert main(["init", str(tmp_path / "r"), "--org", name]) == 2
    assert not (tmp_path / "r").exists()


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, capsys) -> None:
    root = tmp_path / "gov"
    (root / "governance").mkdir(parents=True)
    (root / "governance" / "policy.yaml").write_text("mine\n")
    (root / "README.md").write_text("mine\n")
    (root / "mkdocs.yml").mkdir()  # a folder where a file goes is taken too
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    assert main(["init", str(root)]) == 2
    err = capsys.readouterr().err
    assert "governance/policy.yaml" in err and "README.md" in err and "mkdocs.yml" in err
    assert "nothing was written" in err and "Traceback" not in err
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before
    assert (root / "README.md").read_text() == "mine\n"


def test_init_next_to_unrelated_files(tmp_path: Path) -> None:
    root = tmp_path / "gov"
    (root / ".git").mkdir(parents=True)
    (root / "notes.txt").write_text("keep\n")
    result = init_repository(root, "Acme")
    assert (root / "notes.txt").read_text() == "keep\n" and (root / ".git").is_dir()
    assert set(result.files) == EXPECTED
    assert not [p for p in root.iterdir() if p.name.startswith(".charter-init-")]


def test_a_failure_while_moving_files_in_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "gov"
    root.mkdir()
    real_place = init_mod._place
    calls = {"n": 0}

    def flaky(src, target, dest, rel):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device", str(target))
        return real_place(src, target, dest, rel)

    monkeypatch.setattr(init_mod, "_place", flaky)
    with pytest.raises(OSError):
        init_repository(root, "Acme")
    assert list(root.iterdir()) == []


def test_a_file_appearing_during_the_move_is_not_overwritten(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "gov"
    root.mkdir()
    real_link = os.link

    def racing(src, dst):  # type: ignore[no-untyped-def]
        if Path(dst).name == "README.md" and not Path(dst).exists():
            Path(dst).write_text("theirs\n")
        return real_link(src, dst)

    monkeypatch.setattr(init_mod.os, "link", racing)
    with pytest.raises(ExistingFilesError):
        init_repository(root, "Acme")
    assert [p.name for p in root.iterdir()] == ["README.md"]
    assert (root / "README.md").read_text() == "theirs\n"


def test_org_and_example_are_exclusive(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "r"), "--example", "--org", "X"]) == 2


def test_example_is_written_whole_and_its_evidence_verifies(tmp_path: Path, capsys) -> None:
    root = tmp_path / "aldermoor"
    assert main(["init", str(root), "--example"]) == 0
    result = validate(root, use_cache=False)
    assert result.ok, [d.message for d in result.diagnostics if d.severity == "error"]
    for rel in ("usecases/credit-default-risk/data/loan_applications.csv", "governance/okrs.yaml",
                "site/docs/about.md", "evidence/ledger/credit-default-risk.jsonl", ".github/CODEOWNERS"):
        assert (root / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    capsys.readouterr()
    assert main(["verify", "--repo", str(root)]) == 0
    assert main(["codeowners", "--check", "--repo", str(root)]) == 0


def test_packaged_example_matches_the_checkout() -> None:
    """The archive `charter init --example` unpacks is this repository's example."""
    assert example_mod.unpack(example_mod.archive_path().read_bytes()) == example_mod.collect(ROOT), (
        "the packaged example is out of date: run PYTHONPATH=src python -m charter.scaffolding.example")
    assert example_mod.archive_path().stat().st_size < 400_000


def _run_steps(workflow: dict) -> list[tuple[str, str]]:
    steps = workflow["jobs"]["governance"]["steps"]
    return [(s.get("name", ""), s["run"]) for s in steps if "run" in s]


def test_the_workflow_runs_the_example_ci_commands_and_uploads_the_built_site(tmp_path: Path) -> None:
    written = yaml.safe_load(init_mod.render("Acme")[1][".github/workflows/governance.yml"])
    example = yaml.safe_load((ROOT / "examples" / "ci" / "governance.yml").read_text(encoding="utf-8"))
    assert _run_steps(written) == _run_steps(example)
    upload = next(s for s in written["jobs"]["governance"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert "build/site/" in upload["with"]["path"].split()


def test_the_pre_commit_config_uses_the_published_hooks() -> None:
    written = yaml.safe_load(init_mod.render("Acme")[1][".pre-commit-config.yaml"])
    hooks = {h["id"]: h for repo in written["repos"] for h in repo["hooks"]}
    published = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert set(hooks) == {h["id"] for h in published}
    for h in published:
        assert {k: hooks[h["id"]][k] for k in ("entry", "files", "pass_filenames")} == \
               {k: h[k] for k in ("entry", "files", "pass_filenames")}

