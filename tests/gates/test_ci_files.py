"""The adoption files: the example workflow and the pre-commit hook definitions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_hook_validates_specs() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    v = hooks["charter-validate"]
    assert (v["entry"], v["language"], v["files"], v["pass_filenames"]) == (
        "charter validate", "python", "^(governance|usecases)/", False)
    assert re.search(v["files"], "usecases/churn/usecase.yaml") and not re.search(v["files"], "README.md")
    assert hooks["charter-codeowners"]["entry"] == "charter codeowners --check"


def test_example_workflow_runs_the_pipeline_in_order() -> None:
    wf = yaml.safe_load((ROOT / "examples/ci/governance.yml").read_text())
    assert "pull_request" in wf[True] and "pull_request_target" not in wf[True]  # PyYAML reads `on:` as True
    steps = wf["jobs"]["governance"]["steps"]
    script = "\n".join(s.get("run", "") for s in steps)
    order = [script.index(cmd) for cmd in ("git fetch", "charter validate", "charter run", "charter gate",
                                           "charter diff", "charter build")]
    assert order == sorted(order)
    assert "--format github" in script and '>> "$GITHUB_STEP_SUMMARY"' in script and "--format junit" in script
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write"}
