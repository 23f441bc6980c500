"""`charter validate` as CI uses it: exit codes, formats, caching, no tracebacks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "spec" / "fixture"
UC = "usecases/churn/usecase.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(FIXTURE, dest)
    return dest


def charter(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "charter", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def break_spec(repo: Path) -> None:
    path = repo / UC
    path.write_text(path.read_text().replace("threshold: 0.75", "threshold: high").replace("stage: experimentation", "stage: experimentaton"))


def test_valid_repository_exits_0(repo: Path) -> None:
    out = charter("validate", cwd=repo)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "6 files valid"


def test_invalid_exits_2_with_located_errors(repo: Path) -> None:
    break_spec(repo)
    out = charter("validate", cwd=repo)
    assert out.returncode == 2
    assert "usecases/churn/usecase.yaml:20:14: error[CH012] evaluation.threshold: expected a number, got 'high'" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_json_format_is_machine_readable(repo: Path) -> None:
    break_spec(repo)
    out = charter("validate", "--format", "json", cwd=repo)
    data = json.loads(out.stdout)
    assert data["valid"] is False and data["errors"] == 1 and data["schemaVersion"] == 1
    [d] = data["diagnostics"]
    assert (d["file"], d["line"], d["column"], d["code"], d["path"]) == (UC, 20, 14, "CH012", "evaluation.threshold")


def test_github_annotations(repo: Path) -> None:
    break_spec(repo)
    out = charter("validate", "--format", "github", cwd=repo)
    lines = out.stdout.strip().splitlines()
    pattern = re.compile(r"^::(error|warning) file=[^,:]+,line=\d+,col=\d+(,endColumn=\d+)?,title=[^:]+::.+$")
    assert lines and all(pattern.match(line) for line in lines), lines
    assert lines[0].startswith(f"::error file={UC},line=20,col=14,")


def test_path_argument_scopes_the_report(repo: Path) -> None:
    break_spec(repo)
    out = charter("validate", "governance", cwd=repo)
    assert out.returncode == 0 and "5 files valid" not in out.stdout


def test_cache_hit_gives_the_same_report_and_sees_changes(repo: Path) -> None:
    break_spec(repo)
    first = charter("validate", cwd=repo)
    assert (repo / ".charter/cache/validate.json").is_file()
    second = charter("validate", cwd=repo)
    assert second.stdout == first.stdout and second.returncode == 2
    path = repo / UC
    path.write_text(path.read_text().replace("threshold: high", "threshold: 0.75").replace("experimentaton", "experimentation"))
    assert charter("validate", cwd=repo).returncode == 0
    # a data file edited behind the spec's back is noticed, though no spec changed
    data = repo / "usecases/churn/data/customers.csv"
    data.write_text(data.read_text() + "C5,7,9.0,female,0\n")
    out = charter("validate", cwd=repo)
    assert out.returncode == 2 and "CH024" in out.stdout


def test_corrupt_cache_is_a_miss(repo: Path) -> None:
    charter("validate", cwd=repo)
    (repo / ".charter/cache/validate.json").write_text("{not json")
    assert charter("validate", cwd=repo).returncode == 0


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    out = charter("validate", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 2 and "no governance repository" in out.stderr and "Traceback" not in out.stderr


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    out = charter("validate", str(tmp_path / "nope"), cwd=tmp_path)
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_internal_error_exit_3_with_crash_log(repo: Path) -> None:
    # Force a bug: the crash boundary must report it as Charter's fault, with a log.
    code = ("import charter.validation as v\n"
            "def boom(*a, **k): raise RuntimeError('boom')\n"
            "v.validate = boom\n"
            "from charter.cli.main import main\n"
            "raise SystemExit(main(['validate']))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 3
    assert "internal error" in out.stderr and "bug in Charter" in out.stderr
    log = re.search(r"Details: (\S+)", out.stderr)
    assert log and "RuntimeError: boom" in Path(log.group(1)).read_text()


def test_unwritable_output_is_a_user_error_not_a_crash(repo: Path) -> None:
    blocker = repo / "not-a-folder"
    blocker.write_text("a file where a folder is expected\n")
    out = charter("schema", "--out", str(blocker / "schemas"), cwd=repo)
    assert out.returncode == 2
    assert "charter schema: error:" in out.stderr and "internal error" not in out.stderr
