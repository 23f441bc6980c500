from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from charter.loading.loader import load_repository
from charter.scaffolding.usecase import Inputs, Request, build
from charter.schemas import render_schemas
from charter.validation import validate

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schemas_match_the_models() -> None:
    rendered = render_schemas()
    for name, text in rendered.items():
        committed = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert committed == text, f"schemas/{name} drifted from the models: run 'charter schema'"


def test_schema_describes_fields_from_docstrings() -> None:
    schema = json.loads(render_schemas()["usecase.schema.json"])
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert "Current life-cycle stage" in props["stage"]["description"]
    assert schema["$defs"]["Evaluation"]["properties"]["primaryMetric"]["description"] == "The metric the model is judged on."


def test_scaffold_is_valid_and_commented(repo: Path) -> None:
    request = Request(id="fraud-alerts", task="binary-classification", title="Fraud alerts", team="analytics",
                      owner="cleo", risk="minimal")
    scaffold = build(load_repository(repo, check_data=False), request, Inputs(), target=None, positive_label=None,
                     text_column=None, sensitive=[])
    assert scaffold.text.startswith("# yaml-language-server: $schema=../../schemas/usecase.schema.json\n")
    assert "# 1. Task: what is the final task?" in scaffold.text
    path = repo / scaffold.path
    path.parent.mkdir(parents=True)
    path.write_text(scaffold.text)
    result = validate(repo, use_cache=False)
    assert [d for d in result.diagnostics if d.file == scaffold.path] == []


def test_cli_new_refuses_existing_and_bad_ids(repo: Path) -> None:
    cmd = [sys.executable, "-m", "charter", "new", "usecase"]
    decisions = ["--task", "regression", "--team", "analytics", "--owner", "cleo", "--risk", "minimal"]
    bad = subprocess.run(cmd + ["Bad Id", *decisions, "--repo", str(repo)], capture_output=True, text=True)
    assert bad.returncode == 2 and "not a valid id" in bad.stderr and "Traceback" not in bad.stderr
    dup = subprocess.run(cmd + ["churn", *decisions, "--repo", str(repo)], capture_output=True, text=True)
    assert dup.returncode == 2 and "already exists" in dup.stderr
