"""Hostile and broken input: a clear, positioned error; no traceback, no hang, bounded memory."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from charter.loading import yaml12
from charter.validation import validate

UC = "usecases/churn/usecase.yaml"


def _errors(repo: Path) -> list:
    result = validate(repo, use_cache=False)
    return [d for d in result.diagnostics if d.severity == "error"]


def test_non_utf8_bytes_are_located(repo: Path) -> None:
    path = repo / UC
    path.write_bytes(path.read_bytes().replace(b"Customer churn", b"Customer \xff churn"))
    [d] = _errors(repo)
    assert (d.code, d.file, d.line, d.column) == ("CH006", UC, 4, 17)
    assert "not valid UTF-8" in d.message and "0xff" in d.message


def test_fifty_megabyte_file_is_refused_without_reading_it(repo: Path) -> None:
    path = repo / UC
    with path.open("ab") as fh:
        fh.write(b"# " + b"x" * (50 * 1024 * 1024) + b"\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    [d] = _errors(repo)
    assert time.perf_counter() - start < 5
    assert d.code == "CH005" and "specs are limited" in d.message
    # The refusal happens on the file's size: memory does not grow by the file's 50 MB.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 40 * 1024


def test_billion_laughs_is_refused_quickly(repo: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    (repo / UC).write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    [d] = _errors(repo)
    assert time.perf_counter() - start < 5
    assert d.code == "CH005" and "expands to more than" in d.message
    assert d.line is not None


@pytest.mark.parametrize("depth", [100, 900_000])
def test_deep_flow_nesting_is_refused(repo: Path, depth: int) -> None:
    # libyaml composes recursively in C: without the guard this crashes the process.
    (repo / UC).write_text("a: " + "[" * depth + "]" * depth + "\n")
    [d] = _errors(repo)
    assert (d.code, d.line) == ("CH005", 1) and 60 < d.column < 70


def test_deep_block_nesting_is_refused(repo: Path) -> None:
    (repo / UC).write_text("a:\n" + "".join(" " * i + "- \n" for i in range(1, 1500)))
    [d] = _errors(repo)
    assert d.code == "CH005" and "nests deeper" in d.message


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(yaml12.YamlProblem) as info:
        yaml12.load(b"a: &x [1, *x]\n")
    assert info.value.code in ("CH001", "CH005")


@pytest.mark.parametrize("doc", [
    b"a: !!python/object/apply:os.system [ls]\n",
    b"a: !!python/name:os.system\n",
    b"a: !!binary aGVsbG8=\n",
    b"a: !!timestamp 2026-01-01\n",
    b"a: !custom x\n",
])
def test_only_core_tags(doc: bytes) -> None:
    with pytest.raises(yaml12.YamlProblem) as info:
        yaml12.load(doc)
    assert info.value.code == "CH004"


def test_yaml_1_2_core_schema() -> None:
    data = yaml12.load(b"a: yes\nb: no\nc: on\nd: 0o17\ne: 017\nf: 2026-01-01\ng: ~\nh: 1_000\ni: 1e3\nj: True\n")
    assert data == {"a": "yes", "b": "no", "c": "on", "d": 15, "e": 17, "f": "2026-01-01", "g": None,
                    "h": "1_000", "i": 1000.0, "j": True}


@pytest.mark.parametrize("literal", [".nan", ".NaN", ".inf", "-.inf", "+.INF", "1e400", "-1e999", "9223372036854775808"])
def test_non_finite_and_oversized_numbers_are_refused_anywhere(literal: str) -> None:
    # Anywhere: free-form params and meta too, not only typed fields.
    with pytest.raises(yaml12.YamlProblem) as info:
        yaml12.load(f"meta:\n  params: {{x: [1, {literal}]}}\n".encode())
    assert (info.value.code, info.value.line, info.value.column) == ("CH013", 2, 19)


def test_merge_key_is_an_ordinary_key_in_yaml_1_2() -> None:
    # YAML 1.2 has no merge key: '<<' is a plain key, which the models then reject as unknown.
    assert yaml12.load(b"base: &b {x: 1}\nother:\n  <<: *b\n") == {"base": {"x": 1}, "other": {"<<": {"x": 1}}}


def test_symlinked_data_file_leading_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("password\nhunter2\n")
    data = repo / "usecases/churn/data/customers.csv"
    data.unlink()
    os.symlink(outside, data)
    [d] = _errors(repo)
    assert d.code == "CH025" and "outside the repository" in d.message


def test_symlinked_spec_leading_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "evil.yaml"
    outside.write_text((repo / UC).read_text())
    (repo / "usecases/evil").mkdir()
    os.symlink(outside, repo / "usecases/evil/usecase.yaml")
    codes = {d.code for d in _errors(repo)}
    assert codes == {"CH025"}


def test_unreadable_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.open

    def deny(path: os.PathLike[str] | str, flags: int, *args: int) -> int:
        if Path(path).name == "usecase.yaml":
            raise PermissionError(13, "Permission denied")
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", deny)
    [d] = _errors(repo)
    assert (d.code, d.file) == ("CH008", UC) and "Permission denied" in d.message


def test_missing_governance_documents(repo: Path) -> None:
    (repo / "governance/policy.yaml").unlink()
    codes = [d.code for d in _errors(repo)]
    assert "CH008" in codes


def test_duplicate_use_case_ids_across_folders(repo: Path) -> None:
    (repo / "usecases/churn-copy").mkdir()
    (repo / "usecases/churn-copy/usecase.yaml").write_text((repo / UC).read_text())
    diags = _errors(repo)
    assert {d.code for d in diags} >= {"CH022"}
    dup = next(d for d in diags if d.code == "CH022")
    assert dup.file == "usecases/churn/usecase.yaml" or dup.file == "usecases/churn-copy/usecase.yaml"


def test_every_problem_in_one_run(repo: Path) -> None:
    text = (repo / UC).read_text()
    text = text.replace("threshold: 0.75", "threshold: high").replace("stage: experimentation", "stage: prod")
    text = text.replace("primaryMetric: roc_auc", "primaryMetric: roc_auc\n  weight: 3")
    (repo / UC).write_text(text)
    codes = sorted(d.code for d in _errors(repo))
    assert codes == ["CH010", "CH012"]  # shape errors stop this file before meaning checks...
    (repo / UC).write_text(text.replace("threshold: high", "threshold: 0.75").replace("\n  weight: 3", ""))
    codes = sorted(d.code for d in _errors(repo))
    assert codes == ["CH020"]  # ...which then report every problem of their own


def test_folder_symlink_leading_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    # The spec itself is a plain file: only the folder above it leaves the repository.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "usecase.yaml").write_text((repo / UC).read_text().replace("id: churn", "id: evil"))
    os.symlink(outside, repo / "usecases/evil")
    [d] = _errors(repo)
    # refused as a whole file (no line), before its data paths are even looked at
    assert (d.code, d.file, d.line) == ("CH025", "usecases/evil/usecase.yaml", None)
    assert "symlink leading outside the repository" in d.message


def test_symlinked_folder_inside_the_repository_is_read(repo: Path) -> None:
    os.symlink(repo / "usecases/churn", repo / "usecases/alias")
    codes = {d.code for d in _errors(repo)}
    assert "CH025" not in codes and "CH035" in codes  # read (its id names another folder), not refused


def test_fifo_as_a_spec_is_refused_without_blocking(repo: Path) -> None:
    (repo / UC).unlink()
    os.mkfifo(repo / UC)
    t0 = time.perf_counter()
    [d] = _errors(repo)
    assert time.perf_counter() - t0 < 5
    assert (d.code, d.file) == ("CH008", UC) and "a FIFO, not a regular file" in d.message


def test_fifo_as_a_governance_document_is_refused(repo: Path) -> None:
    os.mkfifo(repo / "governance/extra.yaml")
    [d] = _errors(repo)
    assert (d.code, d.file) == ("CH008", "governance/extra.yaml")


@pytest.mark.parametrize("name", ["usecase.yml", "UseCase.yaml", "use-case.yaml"])
def test_misnamed_use_case_spec_is_reported_not_ignored(repo: Path, name: str) -> None:
    (repo / UC).rename(repo / "usecases/churn" / name)
    errors = _errors(repo)
    assert errors[0].code == "CH014" and errors[0].file == f"usecases/churn/{name}"
    assert "rename it to usecase.yaml" in (errors[0].hint or "")


def test_use_case_folder_without_a_spec_is_reported(repo: Path) -> None:
    (repo / "usecases/forgotten/data").mkdir(parents=True)
    (repo / "usecases/README.md").write_text("not a folder: ignored\n")
    (repo / "usecases/.hidden").mkdir()
    [d] = _errors(repo)
    assert (d.code, d.file) == ("CH015", "usecases/forgotten/usecase.yaml")
    assert "usecases/forgotten/ has no usecase.yaml" in d.message


def test_folder_symlink_leading_outside_without_a_spec_is_an_escape(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    os.symlink(tmp_path / "empty", repo / "usecases/evil")
    [d] = _errors(repo)
    assert (d.code, d.file) == ("CH025", "usecases/evil/usecase.yaml")
