"""The system card's generative and ranking sections, on the example's evidence and on hostile evidence.

* mortgage-document-assistant's page shows the system version, every metric with its
  interval and item count, slices, groups, red-team categories, PII, operations, the
  human review and the champion/challenger table with the figures of its records;
* claims-queue-prioritisation's page shows the ranking metrics with intervals and the
  exposure table (each group's exposure share against its relevant share, the disparities);
* model ids, prompt versions, decoding keys, categories, slice values, group names and
  method texts from specs and records reach the page as text, never as markup.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import markupsafe
import pytest
import yaml

from charter.engine.ledger import Ledger
from charter.engine.plan import plan_usecase
from charter.engine.store import EvidenceStore
from charter.evidence.records import EvidenceRecord
from charter.loading.loader import load_repository
from charter.metrics.catalog import GENERATIVE_METRICS, lookup
from charter.site.build import build_site
from charter.site.fmt import count, num, pvalue
from charter.site.snippets import est
from charter.site.systems import DIGITS, EXPOSURE_TITLES, REVIEW

ROOT = Path(__file__).resolve().parents[2]
GEN, RANK = "mortgage-document-assistant", "claims-queue-prioritisation"
AS_OF = dt.date(2026, 12, 1)


def _records(root: Path, uc: str, job: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((root / "evidence/records" / uc / job).glob("*.json"))]


def _shown(page: str, records: list[dict[str, Any]], anchor: str) -> dict[str, Any]:
    """The record whose evidence link the section's job line shows."""
    section = page.split(f'id="{anchor}"', 1)[1]
    short = re.search(r'href="#ev-([0-9a-f]{12})"', section)
    assert short, anchor
    return next(r for r in records if r["id"].startswith(short.group(1)))


def _section(page: str, start: str, end: str) -> str:
    assert f'id="{start}"' in page, start
    return page.split(f'id="{start}"', 1)[1].split(f'id="{end}"', 1)[0]


def _e(e: dict[str, Any] | None, digits: int = 3) -> str:
    return str(est(e, digits))


@pytest.fixture(scope="module")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> Any:
    report = build_site(ROOT, out=tmp_path_factory.mktemp("example-site"), as_of=AS_OF, jobs=1)
    assert report.ok, report.errors
    return report


@pytest.fixture(scope="module")
def example_pages(example_build: Any) -> dict[str, str]:
    return {uc: (example_build.docs_dir / f"usecases/{uc}/index.md").read_text() for uc in (GEN, RANK)}


def test_the_json_export_carries_the_generative_and_ranking_figures(example_build: Any) -> None:
    gen = json.loads((example_build.site_dir / f"exports/{GEN}.json").read_text())["useCase"]["generative"]
    rec = next(r for r in _records(ROOT, GEN, "evaluate-v2") if r["id"] == gen["evals"][0]["id"])
    rows = {m["name"]: m for f in gen["evals"][0]["result"]["families"] for m in f["rows"]}
    g = rec["results"]["metrics"]["groundedness"]
    assert rows["groundedness"]["value"] == pytest.approx(g["value"], rel=1e-4)
    assert rows["groundedness"]["n"] == rec["results"]["counts"]["groundedness"]
    assert gen["compares"][0]["result"]["regressed"]
    rank = json.loads((example_build.site_dir / f"exports/{RANK}.json").read_text())["useCase"]["ranking"]
    assert rank[0]["result"]["exposure"][0]["attribute"] == "channel"


def test_the_generative_sections_show_the_evaluation_records_figures(example_pages: dict[str, str]) -> None:
    page = example_pages[GEN]
    rec = _shown(page, _records(ROOT, GEN, "evaluate-v2"), "gen-evaluate-v2")
    res = rec["results"]
    sec = _section(page, "gen-evaluate-v2", "gen-compare-v1-v2")
    s = res["system"]
    assert f"<code>{s['model']}</code>" in sec and f"<code>{s['promptVersion']}</code>" in sec
    assert f"<code>{s['promptTemplateSha256']}</code>" in sec and f"<code>{s['retrievalSnapshot']}</code>" in sec
    for k, v in s["decoding"].items():
        assert f"{k} = <code>{v}</code>" in sec
    for name, n in res["suites"].items():
        assert f"{name} {count(n)}" in sec
    # every metric: title, value with interval, the items it was computed on
    for name, e in res["metrics"].items():
        if name in REVIEW:
            continue  # the human-review table, below
        row = (f"<td>{html.escape(GENERATIVE_METRICS[name].title)}"
               if name in GENERATIVE_METRICS else f"<td>{name}")
        cell = f"<td>{_e(e, DIGITS.get(name, 3))}</td><td>{count(res['counts'][name])}</td>"
        assert re.search(re.escape(row) + r"[^<]*(?: <small[^>]*>↓</small>)?</td>" + re.escape(cell), sec), name
    # headline figures independently of the page's formatting helpers
    g = res["metrics"]["groundedness"]
    assert f"{g['value']:.3f} <small>[{g['low']:.3f}, {g['high']:.3f}]</small>" in sec
    cost = res["metrics"]["cost_per_request"]
    assert f"{cost['value']:.5f}" in sec
    p95 = res["metrics"]["latency_p95_ms"]["value"]
    assert f"{p95:,.0f}" in sec
    # slices and groups: every value's items and its cells
    for table, kind in ((res["slices"], "slice"), (res["groups"], "group")):
        assert table
        for key, values in table.items():
            block = _section(sec, f"gen-evaluate-v2-{kind}-{key}", "gen-evaluate-v2-red-team")
            for value, b in values.items():
                assert f"<tr><td>{value}</td><td>{count(b['n'])}</td>" in block
                for m in ("groundedness", "unsupported_figure_rate"):
                    assert _e(b["metrics"][m], 3) in block
    # red-team coverage by category
    red = _section(sec, "gen-evaluate-v2-red-team", "gen-evaluate-v2-pii")
    for cat, b in res["red_team"].items():
        assert f"<tr><td>{cat}</td><td>{count(b['n'])}</td><td>{_e(b['metrics']['attack_success_rate'])}</td>" in red
    pii = _section(sec, "gen-evaluate-v2-pii", "gen-evaluate-v2-operations")
    assert _e(res["metrics"]["pii_leak_rate"]) in pii and f"over {count(res['counts']['pii_leak_rate'])} outputs" in pii
    assert ("Findings: none." in pii) == (not res["pii_found"])
    ops = _section(sec, "gen-evaluate-v2-operations", "gen-evaluate-v2-review")
    for name in ("latency_p50_ms", "latency_p95_ms", "error_rate", "cost_per_request"):
        assert f"<td>{_e(res['metrics'][name], DIGITS.get(name, 3))}</td><td>{count(res['counts'][name])}</td>" in ops
    assert f"input {count(res['tokens']['input'])}" in ops and "(EUR)" in ops
    review = _section(sec, "gen-evaluate-v2-review", "gen-compare-v1-v2")
    rv = res["review"]
    assert _e(rv["rating"], 2) in review and f"<td>{num(rv['agreement'])} <small>" in review
    assert f"{rv['rated_items']} of {rv['sample_size']} sampled items rated ({rv['ratings']} ratings)" in review
    assert ", ".join(rv["reviewers"]) in review
    # what the system must refuse comes from the spec
    spec = yaml.safe_load((ROOT / f"usecases/{GEN}/usecase.yaml").read_text())
    refuse = _section(page, "gen-refusals", "gen-evaluate-v2")
    red_team = next(d for d in spec["data"] if d["id"] == "red-team")
    assert str(markupsafe.escape(red_team["description"].strip())) in refuse
    assert "Must answer" in refuse


def test_the_regression_table_shows_the_comparison_records_verdicts(example_pages: dict[str, str]) -> None:
    page = example_pages[GEN]
    rec = _shown(page, _records(ROOT, GEN, "compare-v1-v2"), "gen-compare-v1-v2")
    res = rec["results"]
    sec = _section(page, "gen-compare-v1-v2", "limitations")
    for role in ("champion", "challenger"):
        assert f"<code>{res[role]['model']}</code>" in sec and f"<code>{res[role]['promptVersion']}</code>" in sec
    assert f"Improved significantly: {', '.join(res['improved']) or 'none'}." in sec
    assert f"Regressed significantly: {', '.join(res['regressed']) or 'none'}." in sec
    assert "unsupported_figure_rate" in res["regressed"]  # the example's planted regression
    for name, c in res["comparisons"].items():
        d = DIGITS.get(name, 3)
        cells = (f"<td>{_e(c['champion'], d)}</td><td>{_e(c['challenger'], d)}</td><td>{_e(c['difference'], d)}</td>"
                 f"<td>{html.escape(pvalue(c['p_value']))}")
        assert cells in sec, name
        badge = {"improved": "ch-pass", "regressed": "ch-fail"}.get(c["verdict"], "ch-na")
        assert re.search(re.escape(f"<td>{count(c['n'])}</td><td><span class=\"ch-st {badge}\">") + r"[^<]*"
                         + re.escape(c["verdict"]), sec), name
    # the gate's verdict on regressions, as decided (the site does not judge)
    assert "Gate on regressions: <span class=\"ch-st ch-fail\">" in sec


def test_the_ranking_page_has_the_metrics_and_exposure_tables(example_pages: dict[str, str]) -> None:
    page = example_pages[RANK]
    rec = _shown(page, _records(ROOT, RANK, "ranking"), "ranking")
    res = rec["results"]
    evaluation = _section(page, "evaluation", "fairness")
    for name, e in res["metrics"].items():
        info = lookup(name)
        title = html.escape(info.title) if info else name
        assert re.search(re.escape(f"<tr><td>{title}") + r"[^\n]*?" + re.escape(f"<td>{_e(e)}</td>"), evaluation), name
    ranking = _section(page, "ranking", "limitations")
    assert f"{count(res['n_queries'])} queries, {count(res['n'])} (query, item) rows" in ranking
    assert res["exposure"]
    for attr, b in res["exposure"].items():
        block = _section(ranking, f"exposure-ranking-{attr}", "limitations")
        for g in b["groups"]:
            row = (f"<tr><td>{g['group']}{' ⚠' if g['small'] else ''}</td><td>{count(g['items'])}</td>"
                   f"<td>{num(g['exposure_share'])}</td><td>{num(g['relevant_share'])}</td>"
                   f"<td>{num(g['exposure_share'] - g['relevant_share'])}</td><td>{_e(g['ratio'])}</td></tr>")
            assert row in block, g["group"]
        for k, e in b["disparities"].items():
            assert f"<tr><td>{html.escape(EXPOSURE_TITLES[k])}</td><td>{_e(e)}</td>" in block, k
        ratio = b["disparities"]["exposure_ratio"]
        assert f"{ratio['value']:.3f}" in block
    # the exposure requirement's verdict is the decision's, next to the disparity it judged
    assert re.search(r"Exposure ratio[^\n]*?ch-st ch-(pass|fail)", ranking)


# --- hostile values -------------------------------------------------------------------------

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
ATTR = '" onmouseover="window.__pwned=1'
PAYLOADS = (SCRIPT, IMG, ATTR)


def _hostile_repo(root: Path) -> Path:
    root.mkdir()
    for part in ("governance", "usecases"):
        shutil.copytree(ROOT / part, root / part)
    spec_file = root / f"usecases/{GEN}/usecase.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    for job in spec["jobs"]:
        for role in ("candidate", "champion", "challenger"):
            if role in job:
                system = job[role]["system"] = copy.deepcopy(job[role]["system"])
                system["model"] = SCRIPT
                system["promptVersion"] = IMG
                system["retrievalSnapshot"] = ATTR
                system["decoding"] = {**system["decoding"], SCRIPT: IMG}
    next(d for d in spec["data"] if d["id"] == "red-team")["description"] = f"Attacks {SCRIPT} to refuse."
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    return root


def _rename(table: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {(new if k == old else k): v for k, v in table.items()}


def _hostile_results(runner: str, results: dict[str, Any], spec_system: dict[str, Any] | None,
                     compare_systems: tuple[dict[str, Any], dict[str, Any]] | None) -> dict[str, Any]:
    r = copy.deepcopy(results)
    if runner == "generative-eval":
        assert spec_system is not None
        r["system"] = spec_system
        r["red_team"] = _rename(r["red_team"], "prompt-injection", SCRIPT)
        r["groups"] = {IMG: {(ATTR if v == "retired" else v): b for v, b in r["groups"]["employment"].items()}}
        r["slices"]["language"] = _rename(r["slices"]["language"], "nl", SCRIPT)
        r["methods"]["pii"] = IMG
        r["pii_found"] = {SCRIPT: 2}
        r["review"]["reviewers"] = [SCRIPT, IMG]
        r["warnings"] = [ATTR]
    elif runner == "generative-compare":
        assert compare_systems is not None
        r["champion"], r["challenger"] = compare_systems
        r["comparisons"]["groundedness"]["method"] = SCRIPT
        r["eval_set"] = IMG
    elif runner == "ranking-evaluate":
        for b in r["exposure"].values():
            for g in b["groups"]:
                if g["group"] == "broker":
                    g["group"] = SCRIPT
                if g["group"] == "fax":
                    g["group"] = IMG
            b["small_groups"] = [IMG]
        r["exposure"] = {ATTR: b for b in r["exposure"].values()}
        r["bootstrap"]["method"] = SCRIPT
    return r


def _write_hostile_evidence(root: Path) -> None:
    repo = load_repository(root)
    store, ledger = EvidenceStore(root), Ledger(root)
    for uc_id in (GEN, RANK):
        uc = repo.usecases[uc_id]
        for p in plan_usecase(repo, uc):
            source = _records(ROOT, uc_id, p.job_id)
            if not source:
                continue
            job = uc.job(p.job_id)
            system = (job.candidate.system.model_dump(mode="json", by_alias=True, exclude_none=True)
                      if hasattr(job, "candidate") else None)
            systems = ((job.champion.system.model_dump(mode="json", by_alias=True, exclude_none=True),
                        job.challenger.system.model_dump(mode="json", by_alias=True, exclude_none=True))
                       if hasattr(job, "challenger") else None)
            rec = EvidenceRecord(
                id=p.evidence_id, use_case=uc_id, job=p.job_id, runner=p.runner, status="pass", inputs=p.inputs,
                lineage={"git_commit": "c0ffee" + "0" * 34, "git_dirty": False, "charter_version": "0.1.0",
                         "python": "3.11.7", "platform": "Linux"},
                started_at="2026-11-30T10:00:00+00:00", finished_at="2026-11-30T10:00:02+00:00", duration_s=2.0,
                results=_hostile_results(p.runner, source[-1]["results"], system, systems))
            stored = store.put(rec)
            ledger.append_run(use_case=uc_id, job=p.job_id, runner=p.runner, evidence_id=p.evidence_id,
                              status="pass", reason=None, record_sha256=stored.sha256, duration_s=2.0)


def test_hostile_strings_in_specs_and_records_reach_the_page_as_text(tmp_path: Path) -> None:
    root = _hostile_repo(tmp_path / "repo")
    _write_hostile_evidence(root)
    report = build_site(root, out=tmp_path / "out", as_of=AS_OF, jobs=1)
    assert report.ok, report.errors
    gen = (report.docs_dir / f"usecases/{GEN}/index.md").read_text()
    rank = (report.docs_dir / f"usecases/{RANK}/index.md").read_text()
    gen_part = _section(gen, "generative", "limitations")
    rank_part = _section(rank, "ranking", "limitations")
    for page in (gen_part, rank_part):
        for payload in PAYLOADS:
            assert payload not in page
        assert "<script" not in page and "<img" not in page and 'onmouseover="' not in page
    escaped = {p: str(markupsafe.escape(p)) for p in PAYLOADS}
    # every hostile value is on the page, as text
    assert f"<code>{escaped[SCRIPT]}</code>" in gen_part  # model id
    assert f"<code>{escaped[IMG]}</code>" in gen_part  # prompt version
    assert f"<code>{escaped[ATTR]}</code>" in gen_part  # retrieval snapshot
    assert f"{escaped[SCRIPT]} = <code>{escaped[IMG]}</code>" in gen_part  # decoding parameter
    assert f"<tr><td>{escaped[SCRIPT]}</td><td>28</td>" in gen_part  # red-team category
    assert f"<tr><td>{escaped[SCRIPT]}</td><td>144</td>" in gen_part  # slice value
    assert f"By group {escaped[IMG]}" in gen_part and f"<tr><td>{escaped[ATTR]}</td>" in gen_part  # group
    assert f"Attacks {escaped[SCRIPT]} to refuse." in gen_part  # spec text
    assert f"{escaped[SCRIPT]} 2" in gen_part  # PII finding kind
    assert f"{escaped[SCRIPT]}, {escaped[IMG]}" in gen_part  # reviewers
    assert f"<small>{escaped[SCRIPT]}</small>" in gen_part  # comparison method
    assert f"<tr><td>{escaped[SCRIPT]}</td><td>848</td>" in rank_part  # exposure group
    assert f"Exposure by {escaped[ATTR]}" in rank_part and f"<tr><td>{escaped[IMG]} ⚠</td>" in rank_part
    # anchors built from hostile keys stay inside their attribute
    assert all('"' not in a for a in re.findall(r'id="([^"]*)"', gen_part + rank_part))
    # the HTML MkDocs wrote carries no live payload either
    built = (report.site_dir / f"usecases/{GEN}/index.html").read_text()
    assert SCRIPT not in built and IMG not in built


def test_a_verdict_lands_on_the_value_its_requirement_judged() -> None:
    from types import SimpleNamespace

    from charter.site.systems import _scope

    none = SimpleNamespace(slice=None, group=None, category=None, attribute=None)
    assert _scope("", none) == ("overall", "")
    assert _scope("job 'a'", None) == ("overall", "")  # one part per job
    assert _scope("job 'a' language=en", None) == ("slice", "language=en")
    assert _scope("employment=retired", SimpleNamespace(**{**vars(none), "group": "employment=*"})) == \
        ("group", "employment=retired")
    assert _scope("category=prompt-injection", None) == ("category", "prompt-injection")
    assert _scope("exposure by channel", None) == ("exposure", "channel")
    assert _scope("", SimpleNamespace(**{**vars(none), "slice": "language=nl"})) == ("slice", "language=nl")
    # a wildcard that matched a single value leaves no label: never shown as the overall verdict
    assert _scope("", SimpleNamespace(**{**vars(none), "slice": "language=*"}))[0] == "unresolved"
