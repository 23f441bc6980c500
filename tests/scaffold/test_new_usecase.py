"""`charter new usecase`: decisions are asked or required, specs from data validate on the first try."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from charter.cli.main import main
from charter.loading.loader import load_repository
from charter.validation import validate

from .conftest import DECISIONS, ROOT, make_table


def _new(example: Path, *args: str) -> int:
    return main(["new", "usecase", *args, "--no-input", "--repo", str(example)])


def _errors_of(example: Path, uc_id: str) -> list[str]:
    result = validate(example, use_cache=False)
    return [f"{d.file}:{d.line}: {d.code} {d.message}" for d in result.diagnostics
            if d.severity == "error" or d.file.startswith(f"usecases/{uc_id}/")]


def _spec(example: Path, uc_id: str) -> dict:
    return yaml.safe_load((example / "usecases" / uc_id / "usecase.yaml").read_text(encoding="utf-8"))


def test_without_a_terminal_missing_decisions_are_a_usage_error_listing_the_choices(example: Path) -> None:
    env_path = f"{ROOT / 'src'}"
    out = subprocess.run([sys.executable, "-m", "charter", "new", "usecase", "fraud-x", "--repo", str(example)],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    for expected in ("--task", "binary-classification", "--team", "credit-risk-analytics", "model-risk",
                     "--owner", "ingrid-valk", "claire-dubois", "--risk", "prohibited", "minimal"):
        assert expected in out.stderr, expected
    assert "tomasz-nowak" not in out.stderr  # a data scientist, not a product manager
    assert not (example / "usecases" / "fraud-x").exists()


def test_only_what_is_missing_is_listed(example: Path, capsys) -> None:
    assert _new(example, "fraud-x", "--task", "regression", "--team", "claims-analytics") == 2
    err = capsys.readouterr().err
    assert "--owner" in err and "--risk" in err and "--team" not in err and "--task" not in err


@pytest.mark.parametrize("flags,message", [
    (["--team", "nope"], "--team 'nope' is not a team"),
    (["--owner", "tomasz-nowak"], "not a person holding product-manager"),
    (["--risk", "extreme"], "not a risk tier"),
    (["--task", "clustering"], "not a task type"),
])
def test_bad_choices_are_named_with_the_alternatives(example: Path, capsys, flags: list[str], message: str) -> None:
    base = {"--task": "regression", "--team": "claims-analytics", "--owner": "henrik-lund", "--risk": "limited"}
    base.update(dict(zip(flags[::2], flags[1::2])))
    assert _new(example, "x1", *[v for kv in base.items() for v in kv]) == 2
    err = capsys.readouterr().err
    assert message in err and "one of:" in err and "Traceback" not in err


def test_a_skeleton_without_data_validates(example: Path) -> None:
    assert _new(example, "idea", "--task", "binary-classification", *DECISIONS) == 0
    assert _errors_of(example, "idea") == []
    spec = _spec(example, "idea")
    assert spec["team"] == "credit-risk-analytics" and spec["owners"] == {"product-manager": "ingrid-valk"}
    assert spec["riskTier"] == "limited" and "task" not in spec  # no positive label known: left commented


def test_target_and_positive_label_are_required_when_they_cannot_be_inferred(example: Path, tmp_path: Path,
                                                                               capsys) -> None:
    path = tmp_path / "d.csv"
    make_table().rename(columns={"defaulted": "status"}).assign(
        status=lambda d: d["status"].map({0: "paid", 1: "late"})).to_csv(path, index=False)
    assert _new(example, "late", "--task", "binary-classification", "--data", str(path), *DECISIONS) == 2
    assert "--target" in capsys.readouterr().err
    assert _new(example, "late", "--task", "binary-classification", "--data", str(path), "--target", "status",
                *DECISIONS) == 2
    err = capsys.readouterr().err
    assert "--positive-label" in err and "late" in err and "paid" in err
    assert _new(example, "late", "--task", "binary-classification", "--data", str(path), "--target", "status",
                "--positive-label", "late", "--sensitive", "age,sex", *DECISIONS) == 0
    assert _spec(example, "late")["task"]["positiveLabel"] == "late"
    assert _errors_of(example, "late") == []


def test_sensitive_attributes_are_proposed_but_only_confirmed_ones_are_declared(example: Path, table_csv: Path,
                                                                                capsys) -> None:
    args = ["--task", "binary-classification", "--data", str(table_csv), "--target", "defaulted", *DECISIONS]
    assert _new(example, "proposed-only", *args) == 0
    out = capsys.readouterr().out
    assert "proposed sensitive attributes (from the column names): age, sex" in out
    spec = _spec(example, "proposed-only")
    assert spec["data"][0]["sensitiveAttributes"] == []
    train = next(j for j in spec["jobs"] if j["id"] == "train")
    assert "age" not in train["features"]["numeric"] and "sex" not in train["features"]["categorical"]
    assert not any(j["runner"] == "fairness" for j in spec["jobs"])

    assert _new(example, "confirmed", *args, "--sensitive", "sex") == 0
    spec = _spec(example, "confirmed")
    assert spec["data"][0]["sensitiveAttributes"] == ["sex"]
    assert spec["data"][0]["personalData"] is True
    assert next(j for j in spec["jobs"] if j["runner"] == "fairness")["sensitiveAttributes"] == ["sex"]
    train = next(j for j in spec["jobs"] if j["id"] == "train")
    assert "age" in train["features"]["numeric"]  # decided: not sensitive here

    assert _new(example, "typo", *args, "--sensitive", "gendr") == 2
    assert "gendr" in capsys.readouterr().err
    assert _errors_of(example, "proposed-only") == [] and _errors_of(example, "confirmed") == []


def _write_variants(tmp_path: Path) -> dict[str, Path]:
    df = make_table()
    paths = {"main": tmp_path / "applicants.csv", "current": tmp_path / "applicants_2026q3.csv",
             "preds": tmp_path / "vendor_scores.csv"}
    df.to_csv(paths["main"], index=False)
    make_table(200, seed=1).to_csv(paths["current"], index=False)
    df[["applicant_id", "age", "sex", "defaulted", "score"]].rename(columns={"score": "vendor_score"}).to_csv(
        paths["preds"], index=False)
    return paths


CASES = {
    "binary": (["--task", "binary-classification", "--target", "defaulted", "--sensitive", "age,sex"],
               ["validate-data", "train", "evaluate", "fairness"]),
    "multiclass": (["--task", "multiclass-classification", "--target", "segment", "--sensitive", "sex"],
                   ["validate-data", "train", "evaluate", "fairness"]),
    "regression-with-drift": (["--task", "regression", "--target", "balance", "--sensitive", "age", "--current",
                               "{current}"], ["validate-data", "train", "evaluate", "fairness", "drift"]),
    "text": (["--task", "text-classification", "--target", "region", "--text", "comment", "--sensitive", ""],
             ["validate-data", "train", "evaluate"]),
    "ranking": (["--task", "ranking", "--sensitive", ""], ["validate-data"]),
    "generation": (["--task", "generation", "--sensitive", ""], ["validate-data"]),
    "given-predictions-column": (["--task", "binary-classification", "--target", "defaulted", "--predictions",
                                  "score", "--sensitive", "sex"], ["validate-data", "evaluate", "fairness"]),
    "given-predictions-file": (["--task", "binary-classification", "--target", "defaulted", "--predictions",
                                "{preds}", "--sensitive", "age,sex"], ["validate-data", "evaluate", "fairness"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_task_validates_on_the_first_try(case: str, example: Path, tmp_path: Path, capsys) -> None:
    paths = _write_variants(tmp_path)
    flags, jobs = CASES[case]
    flags = [f.format(current=paths["current"], preds=paths["preds"]) for f in flags]
    uc_id = f"new-{case}"
    assert _new(example, uc_id, "--data", str(paths["main"]), *flags, *DECISIONS) == 0, capsys.readouterr().err
    assert _errors_of(example, uc_id) == []
    spec = _spec(example, uc_id)
    assert [j["id"] for j in spec["jobs"]] == jobs
    assert (example / "usecases" / uc_id / "data" / "applicants.csv").read_bytes() == paths["main"].read_bytes()
    capsys.readouterr()
    assert main(["codeowners", "--check", "--repo", str(example)]) == 0
    assert f"/usecases/{uc_id}/" in (example / ".github" / "CODEOWNERS").read_text()
    if case.startswith("given-predictions"):  # no training: running it is quick
        assert main(["run", uc_id, "--repo", str(example)]) == 0, capsys.readouterr()


def test_a_new_binary_use_case_runs_and_passes(example: Path, table_csv: Path, tmp_path: Path, capsys) -> None:
    current = tmp_path / "later.csv"
    make_table(300, seed=3).to_csv(current, index=False)
    assert _new(example, "loan-run", "--task", "binary-classification", "--data", str(table_csv), "--target",
                "defaulted", "--sensitive", "age,sex", "--current", str(current), *DECISIONS) == 0
    capsys.readouterr()
    assert main(["run", "loan-run", "--repo", str(example)]) == 0, capsys.readouterr()
    assert main(["gate", "loan-run", "--repo", str(example)]) == 0
    repo = load_repository(example)
    assert "loan-run" in repo.usecases


def test_existing_use_case_and_data_outside_folder_are_refused(example: Path, table_csv: Path, capsys) -> None:
    assert _new(example, "churn-y", "--task", "regression", "--data", str(table_csv), "--target", "balance",
                "--sensitive", "", *DECISIONS) == 0
    assert _new(example, "churn-y", "--task", "regression", *DECISIONS) == 2
    assert "already exists" in capsys.readouterr().err
    assert _new(example, "Bad Id", "--task", "regression", *DECISIONS) == 2
    assert "not a valid id" in capsys.readouterr().err
    assert _new(example, "wrong-task", "--task", "binary-classification", "--data", str(table_csv), "--target",
                "balance", *DECISIONS) == 2
    assert "two values" in capsys.readouterr().err
    assert _new(example, "no-file", "--task", "regression", "--data", str(table_csv) + ".missing",
                *DECISIONS) == 2
    assert not (example / "usecases" / "no-file").exists()


def test_hostile_title_stays_text(example: Path) -> None:
    title = 'Fraud: {x: 1} # <script>alert(1)</script> "quoted" \\ end'
    assert _new(example, "hostile", "--task", "regression", "--title", title, *DECISIONS) == 0
    assert _spec(example, "hostile")["title"] == title
    assert _errors_of(example, "hostile") == []


def test_init_then_new_then_validate_run_gate_build(tmp_path: Path, table_csv: Path, capsys) -> None:
    root = tmp_path / "acme"
    assert main(["init", str(root), "--org", "Acme"]) == 0
    assert main(["new", "usecase", "first-model", "--no-input", "--repo", str(root), "--task",
                 "binary-classification", "--data", str(table_csv), "--target", "defaulted", "--sensitive", "age,sex",
                 "--team", "my-team", "--owner", "my-name", "--risk", "minimal"]) == 0
    for argv in (["validate", str(root), "--strict"], ["codeowners", "--check", "--repo", str(root)],
                 ["run", "--repo", str(root)], ["gate", "--repo", str(root)], ["verify", "--repo", str(root)],
                 ["build", "--repo", str(root)]):
        capsys.readouterr()
        assert main(argv) == 0, (argv, capsys.readouterr())
    assert (root / "build" / "site" / "index.html").is_file()


def test_awkward_column_names_and_values_stay_text(example: Path, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text('"true","a: b","#x","1","label"\n'
                    + "".join(f"{'yes' if i % 2 else 'no'},{i}.5,\"{'null' if i % 3 else '007'}\",{i},{i % 2}\n"
                              for i in range(40)), encoding="utf-8")
    assert _new(example, "odd", "--task", "binary-classification", "--data", str(path), "--sensitive", "",
                *DECISIONS) == 0
    assert _errors_of(example, "odd") == []
    spec = _spec(example, "odd")
    cols = spec["data"][0]["contract"]["columns"]
    assert list(cols) == ["true", "a: b", "#x", "1", "label"]
    assert cols["true"]["allowed"] == ["no", "yes"]
    # 'null' is missing to pandas, as the data-contract runner reads it
    assert cols["#x"] == {"type": "category", "nullable": True, "allowed": ["007"]}
    train = next(j for j in spec["jobs"] if j["id"] == "train")
    assert train["features"] == {"numeric": ["a: b", "1"], "categorical": ["true", "#x"]}
