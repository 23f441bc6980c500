"""Interactive `charter new usecase`: the questions, answered through injected streams."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from charter.cli.main import UsageError
from charter.cli.new import decide
from charter.loading.loader import load_repository
from charter.scaffolding.prompt import PromptAborted, Prompter
from charter.scaffolding.usecase import Choice, Request, build


def _prompter(answers: str) -> tuple[Prompter, io.StringIO]:
    out = io.StringIO()
    return Prompter(io.StringIO(answers), out), out


def test_choose_by_number_or_id_and_retry_on_nonsense() -> None:
    options = [Choice("a", "Alpha"), Choice("b", "Beta")]
    p, out = _prompter("2\n")
    assert p.choose("Which?", options) == "b"
    assert "1) a — Alpha" in out.getvalue() and "2) b — Beta" in out.getvalue()
    p, out = _prompter("zzz\n9\na\n")
    assert p.choose("Which?", options) == "a"
    assert "'zzz' is not one of the choices" in out.getvalue()


def test_no_default_is_picked_silently() -> None:
    p, _ = _prompter("\n\n\n")
    with pytest.raises(PromptAborted):
        p.choose("Which?", [Choice("a", "a")])
    p, _ = _prompter("")
    with pytest.raises(PromptAborted, match="end of input"):
        p.choose("Which?", [Choice("a", "a")])


def test_pick_many_accepts_replaces_or_clears_the_proposal() -> None:
    allowed = ["age", "sex", "region"]
    assert _prompter("\n")[0].pick_many("Sensitive?", ["age", "sex"], allowed) == ["age", "sex"]
    assert _prompter("none\n")[0].pick_many("Sensitive?", ["age", "sex"], allowed) == []
    assert _prompter("region, sex\n")[0].pick_many("Sensitive?", ["age"], allowed) == ["region", "sex"]
    p, out = _prompter("gender\nsex\n")
    assert p.pick_many("Sensitive?", ["age"], allowed) == ["sex"]
    assert "not a column: gender" in out.getvalue()


def test_confirm() -> None:
    assert _prompter("\n")[0].confirm("Go?", default=True) is True
    assert _prompter("n\n")[0].confirm("Go?", default=True) is False
    with pytest.raises(PromptAborted):
        _prompter("maybe\nmaybe\nmaybe\n")[0].confirm("Go?")


def test_a_session_asks_for_every_decision_then_builds_a_valid_spec(example: Path, table_csv: Path) -> None:
    repo = load_repository(example, check_data=False)
    req = Request(id="asked", data=table_csv)
    # task (number), team (id), owner (number), risk (id), target, then accept the proposed sensitive attributes
    answers = "1\nfraud-and-cash\n4\nhigh\ndefaulted\n\n"
    p, out = _prompter(answers)
    decided = decide(repo, req, p)
    shown = out.getvalue()
    for question in ("Task type?", "Owning team?", "Accountable owner (product-manager)?", "Risk tier?",
                     "Target (label) column?", "proposed sensitive attributes (from the column names): age, sex"):
        assert question in shown
    assert (req.task, req.team, req.owner, req.risk) == ("binary-classification", "fraud-and-cash", "sofia-ricci",
                                                         "high")
    assert decided.target == "defaulted" and decided.positive_label == 1 and decided.sensitive == ["age", "sex"]
    scaffold = build(repo, req, decided.inputs, target=decided.target, positive_label=decided.positive_label,
                     text_column=decided.text_column, sensitive=decided.sensitive, withheld=decided.withheld)
    spec = yaml.safe_load(scaffold.text)
    assert spec["riskTier"] == "high" and spec["owners"] == {"product-manager": "sofia-ricci"}
    assert spec["data"][0]["sensitiveAttributes"] == ["age", "sex"]


def test_end_of_input_at_a_prompt_is_a_usage_error(example: Path) -> None:
    repo = load_repository(example, check_data=False)
    p, _ = _prompter("1\n")
    with pytest.raises(UsageError, match="nothing was written"):
        decide(repo, Request(id="half"), p)


def test_in_a_terminal_the_command_asks(example: Path, table_csv: Path) -> None:
    """Stdin a pseudo-terminal: the missing decisions are asked, not refused."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "charter", "new", "usecase", "tty-asked", "--data", str(table_csv),
             "--target", "defaulted", "--repo", str(example)],
            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        # task, team, owner, risk by number; then accept the proposed sensitive attributes
        os.write(master, b"1\n1\n1\n3\n\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, err
    assert "Owning team?" in out and "Risk tier?" in out
    spec = yaml.safe_load((example / "usecases" / "tty-asked" / "usecase.yaml").read_text(encoding="utf-8"))
    assert (spec["team"], spec["owners"]["product-manager"], spec["riskTier"]) == \
           ("credit-risk-analytics", "ingrid-valk", "limited")
    assert spec["data"][0]["sensitiveAttributes"] == ["age", "sex"]
