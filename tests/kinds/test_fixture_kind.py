"""The README's "How to add a runner kind", followed literally by a kind that lives
only under tests/ (``row_count_kind``): registered by the test, then parsed,
validated, planned, run and shown like a built-in kind."""

from __future__ import annotations

import copy

import pytest
import repo_builder as rb
from row_count_kind import KIND, RowCountResult

from charter.engine.executor import run
from charter.engine.plan import plan_usecase
from charter.kinds import runners
from charter.loading.loader import load_repository


def _repo(root, *, job):  # type: ignore[no-untyped-def]
    allow = copy.deepcopy(rb.ALLOWLIST)
    allow["runners"].append("row-count")  # 6. allow it
    rb.build_repo(root, allowlist=allow)
    spec = rb.credit_usecase(bootstrap=20)
    spec["jobs"].append(job)
    rb.add_credit(root, spec=spec)
    return root


ROWS = {"id": "rows", "runner": "row-count", "data": "applications", "minRows": 100}


def test_a_registered_kind_is_validated_planned_run_and_shown(tmp_path, capsys):
    from charter.cli.main import main

    with runners.registered(KIND):  # 5. register it
        assert runners.get("row-count") is KIND and "row-count" in runners.descriptions()
        root = _repo(tmp_path / "r", job=ROWS)
        repo = rb.load(root)  # parsed and cross-referenced
        planned = {p.job_id: p for p in plan_usecase(repo, repo.usecases["credit"])}
        rows = planned["rows"]
        assert rows.inputs.runner_version == "row-count@1"
        assert rows.depends_on == ("contract",)  # it reads checked data: it waits for the check
        report = run(repo, ["credit"], jobs=1)
        by = {r.job: r for r in report.runs}
        assert by["rows"].status == "pass", by["rows"].reason
        result = KIND.result(by["rows"].record)
        assert result == RowCountResult(data="applications", rows=400, min_rows=100)
        assert main(["show", "credit", "--repo", str(root)]) == 0
        out = capsys.readouterr().out
        assert "rows (row-count): fresh, pass" in out
        assert "  400 rows in applications (at least 100 needed)" in out
    # outside the block the kind is gone: its job no longer parses
    assert runners.find("row-count") is None
    assert not load_repository(root).ok


def test_its_crossref_reports_through_the_validator(tmp_path):
    with runners.registered(KIND):
        root = _repo(tmp_path / "r", job={**ROWS, "data": "aplications"})
        repo = load_repository(root)
        msgs = [(d.code, d.message) for d in repo.errors]
        assert ("CH020", "unknown data source 'aplications'") in msgs


def test_its_spec_model_checks_shape(tmp_path):
    with runners.registered(KIND):
        root = _repo(tmp_path / "r", job={**ROWS, "minRows": -1})
        repo = load_repository(root)
        assert any(d.code and "minRows" in d.to_dict()["path"] for d in repo.errors)


def test_registering_twice_or_unregistering_a_builtin_is_refused():
    with runners.registered(KIND):
        with pytest.raises(ValueError, match="already registered"):
            runners.register(KIND)
    with pytest.raises(ValueError, match="built-in"):
        runners.unregister("evaluate")
