"""Each output format checked against its consumer: JUnit parsers, GitHub's command syntax, Markdown renderers, JSON."""

from __future__ import annotations

import html.parser
import json
import re
import xml.etree.ElementTree as ET

import pytest
from support import TODAY, GovRepo, drift_results, fairness_results

from charter.gates import decide
from charter.report import gates as report

NASTY = "<script>alert(1)</script> | not a cell | **bold** [link](javascript:alert(1)) @everyone\nsecond line `tick`"


@pytest.fixture
def decisions(ready: GovRepo):
    """One use case with a pass, a fail, an error, a waived requirement and hostile user text."""
    ready.record("drift", results=drift_results(share=0.6))
    ready.record("fairness", status="error", reason="boom <b>bold</b>")
    uc = ready.usecases["churn"]
    uc["gates"]["production"][0]["description"] = NASTY
    uc["waivers"] = [{"requirement": "production-drift", "owner": "cleo", "reason": NASTY, "ticket": "GOV-1 | x",
                      "expires": "2099-01-01"}]
    uc["gates"]["production"].append({"id": "recall-floor", "kind": "metric", "metric": "recall", "min": 0.9,
                                      "description": NASTY})
    ready.write_usecase(uc)
    repo = ready.load()
    return [decide(repo, ready.store, "churn", None, TODAY), decide(repo, ready.store, "churn", "pilot", TODAY)]


def statuses(d) -> dict[str, str]:
    return {r.id: r.status for r in d.requirements}


def test_fixture_covers_every_status(decisions) -> None:
    assert set(statuses(decisions[0]).values()) == {"pass", "fail", "error", "waived"}


# --- JSON -------------------------------------------------------------------------------------


def test_json_round_trips(decisions) -> None:
    text = report.format_json(decisions)
    data = json.loads(text)
    assert data["schemaVersion"] == 1 and data["passed"] is False
    assert data["totals"]["useCases"] == 2
    assert report.parse_json(text) == decisions


# --- JUnit ------------------------------------------------------------------------------------


def test_junit_parses_with_junitparser(decisions) -> None:
    junitparser = pytest.importorskip("junitparser")
    # bytes, as a CI reads the file: with lxml installed a str carrying an encoding declaration is refused
    xml = junitparser.JUnitXml.fromstring(report.format_junit(decisions).encode("utf-8"))
    suites = list(xml)
    assert [s.name for s in suites] == ["churn → production", "churn → pilot"]
    prod = suites[0]
    assert prod.tests == len(decisions[0].requirements)
    kinds: dict[str, str] = {}
    for case in prod:
        results = case.result
        kinds[case.name] = type(results[0]).__name__ if results else "Pass"
        assert case.classname == "charter.gate.churn.production"
    expected = {"pass": "Pass", "fail": "Failure", "error": "Error", "waived": "Skipped"}
    assert kinds == {rid: expected[s] for rid, s in statuses(decisions[0]).items()}
    assert prod.failures == decisions[0].counts["fail"]
    assert prod.errors == decisions[0].counts["error"]
    assert prod.skipped == decisions[0].counts["waived"]
    waived = next(c for c in prod if c.name == "production-drift")
    assert "waived by cleo until 2099-01-01" in waived.result[0].message


def test_junit_parses_with_elementtree_and_keeps_user_text_as_text(decisions) -> None:
    root = ET.fromstring(report.format_junit(decisions).encode())
    assert root.tag == "testsuites"
    assert int(root.get("failures")) == sum(d.counts["fail"] for d in decisions)
    failure = root.find(".//testcase[@name='recall-floor']/failure")
    assert failure is not None and "why: <script>alert(1)</script>" in failure.text
    error = root.find(".//testcase[@name='production-fairness']/error")
    assert error is not None and "boom <b>bold</b>" in error.get("message")
    props = {p.get("name"): p.get("value") for p in root.find("testsuite/properties")}
    assert props["evidence-hash"] == decisions[0].evidence_hash


# --- GitHub -----------------------------------------------------------------------------------

# ::{command} {key}={value},{key}={value}::{message} — values escape % CR LF : , and messages % CR LF.
ANNOTATION = re.compile(
    r"^::(?P<cmd>error|warning|notice)"
    r"(?: (?P<props>(?:file|line|endLine|col|endColumn|title)=[^,:\r\n]*(?:,(?:file|line|endLine|col|endColumn|title)=[^,:\r\n]*)*))?"
    r"::(?P<msg>[^\r\n]*)$"
)


def unescape(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations_follow_the_documented_syntax(decisions) -> None:
    out = report.format_github(decisions[:1])
    lines = out.splitlines()
    d = decisions[0]
    non_pass = [r for r in d.requirements if r.status != "pass"]
    assert len(lines) == len(non_pass)
    for line, r in zip(lines, non_pass, strict=True):
        m = ANNOTATION.match(line)
        assert m, line
        assert m["cmd"] == {"fail": "error", "error": "error", "waived": "notice"}[r.status]
        props = dict(p.split("=", 1) for p in m["props"].split(","))
        assert props["file"] == "usecases/churn/usecase.yaml"
        assert int(props["line"]) == r.line
        assert unescape(props["title"]) == f"gate churn → production: {r.id} ({r.status})"
        assert unescape(m["msg"]).startswith(r.reason)


def test_github_annotation_points_at_the_gates_entry(decisions, ready: GovRepo) -> None:
    lines = (ready.root / "usecases/churn/usecase.yaml").read_text().splitlines()
    out = report.format_github(decisions[:1])
    m = next(ANNOTATION.match(x) for x in out.splitlines() if "recall-floor" in x)
    line = int(dict(p.split("=", 1) for p in m["props"].split(","))["line"])
    assert "recall-floor" in lines[line - 1]


def test_github_escapes_newlines_and_percent() -> None:
    assert report.gh_data("50% done\nnext\r") == "50%25 done%0Anext%0D"
    assert report.gh_prop("a:b,c") == "a%3Ab%2Cc"


# --- Markdown ---------------------------------------------------------------------------------

ALLOWED_TAGS = {"h2", "table", "thead", "tbody", "tr", "th", "td", "strong", "code", "details", "summary", "b", "p",
                "blockquote"}


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_markdown_renders_as_commonmark_tables_without_user_html(decisions) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    text = report.format_markdown(decisions)
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    tags = _Tags()
    tags.feed(rendered)
    assert set(tags.tags) <= ALLOWED_TAGS, set(tags.tags) - ALLOWED_TAGS
    assert [a for a in tags.attrs if a[0] != "open" and a[0] != "style"] == []
    assert "&lt;script&gt;" in rendered and "<script" not in rendered
    assert "javascript:" not in re.findall(r'href="([^"]*)"', rendered)
    assert tags.tags.count("table") == 3  # the summary, then one per decision
    # every row of a requirements table has exactly 6 cells: user text with '|' did not add any
    for table in re.findall(r"<table>.*?</table>", rendered, re.S)[1:]:
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
            assert len(re.findall(r"<t[dh][ >]", row)) == 6
    assert "@everyone" not in rendered  # no mass mention from a waiver reason


def test_markdown_renders_with_python_markdown(decisions) -> None:
    markdown = pytest.importorskip("markdown")
    text = report.format_markdown(decisions).replace("<details", '<details markdown="1"')
    rendered = markdown.markdown(text, extensions=["tables", "md_in_html"])
    assert "<script" not in rendered and "&lt;script&gt;" in rendered
    assert rendered.count("<table>") == 3


def test_markdown_has_summary_details_and_fix_commands(decisions) -> None:
    text = report.format_markdown(decisions)
    assert text.startswith("## ❌ Charter gate: 1 of 2 use cases passed their gate")
    assert "| ❌ | **churn** | production | high |" in text
    assert "<details open>" in text
    assert "<summary>❌ <b>churn</b> → production:" in text
    fairness_row = next(line for line in text.splitlines() if "`production-fairness`" in line)
    assert fairness_row.startswith("| ❌ |") and fairness_row.endswith("| `charter run churn` |")
    drift_row = next(line for line in text.splitlines() if "`production-drift`" in line)
    assert drift_row.startswith("| ⚠️ |") and "GOV-1 \\| x" in drift_row and "fail: drift share 0.6" in drift_row
    assert "| ✅ | `production-quality` |" in text


def test_md_text_neutralises_markup() -> None:
    assert report.md_text("<b>x</b> | *y*\n_z_") == "&lt;b&gt;x&lt;/b&gt; \\| \\*y\\* \\_z\\_"
    assert report.md_text("ask @team") == "ask @&#8203;team"


def test_text_report_names_the_fix(decisions) -> None:
    out = report.format_text(decisions[:1])
    assert "FAILED" in out and "fix: charter run churn" in out
    assert out.splitlines()[-1] == report.summary_line(decisions[:1])


def test_passing_decision_markdown_is_collapsed(ready: GovRepo) -> None:
    repo = ready.load()
    d = decide(repo, ready.store, "churn", None, TODAY)
    text = report.format_markdown([d])
    assert d.passed and "<details>" in text and "<details open>" not in text
    assert text.startswith("## ✅ Charter gate: 1 of 1 use case passed their gate")


def test_small_group_fairness_reason_survives_markdown(ready: GovRepo) -> None:
    ready.record("fairness", results=fairness_results(small_n=5))
    d = decide(ready.load(), ready.store, "churn", None, TODAY)
    assert "female \\(n=5\\)" in report.format_markdown([d])
