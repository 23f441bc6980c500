"""The built site: complete, offline, searchable, deterministic, and the fast path changes nothing but speed."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import markdown
import pytest
import site_fixture
import yaml

from charter.site.build import build_site, process_usecases
from charter.site.context import Session, build_context
from charter.site.plugin import SEARCH_PREFIX

EXTENSIONS = ["tables", "attr_list", "admonition", "toc"]


def test_site_has_every_page_and_export(built_site) -> None:  # type: ignore[no-untyped-def]
    site = built_site.site_dir
    for rel in ("index.html", "usecases/index.html", "maturity.html", "okrs.html",
                "reference/spec.html", "reference/submit.html", "search/search_index.js",
                "exports/portfolio.json", "assets/charter/charter.css"):
        assert (site / rel).is_file(), rel
    for uc in ("churn", "xss-probe", "idea"):
        assert (site / "usecases" / uc / "index.html").is_file()
        assert (site / "exports" / f"{uc}.json").is_file()
        card = (site / "exports" / uc / "README.md").read_text()
        assert card.startswith("---\nlicense: ") and "\ntags:\n" in card
    churn = (site / "exports/churn/README.md").read_text()
    front = yaml.safe_load(churn.split("---\n")[1])
    (result,) = front["model-index"][0]["results"]
    assert result["dataset"]["name"] == "customers"
    assert result["metrics"][0] == {"type": "roc_auc", "value": pytest.approx(0.812, abs=1e-3), "name": "ROC AUC"}
    portfolio = json.loads((site / "exports/portfolio.json").read_text())
    assert [u["id"] for u in portfolio["useCases"]] == ["churn", "idea", "xss-probe"]
    assert portfolio["useCases"][0]["primary"]["metric"] == "roc_auc"


class _Resources(HTMLParser):
    """Every URL the browser would fetch by itself (not links a reader may click)."""

    LOADS: ClassVar[set[tuple[str, str]]] = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("object", "data"),
             ("source", "src"), ("embed", "src"), ("video", "src"), ("audio", "src"), ("image", "href")}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if (tag, name) in self.LOADS and value:
                self.urls.append(value)
            if name == "style" and value and "url(" in value:
                self.urls.append(value)


def test_nothing_is_loaded_from_outside_the_site(built_site) -> None:  # type: ignore[no-untyped-def]
    site: Path = built_site.site_dir
    external = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
    for page in site.rglob("*.html"):
        parser = _Resources()
        parser.feed(page.read_text())
        bad = [u for u in parser.urls if external.match(u)]
        assert not bad, f"{page.relative_to(site)} loads {bad}"
    for css in site.rglob("*.css"):
        text = css.read_text()
        assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", text), css
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), css
    assert "fonts.googleapis" not in "".join(p.read_text() for p in site.rglob("*.html"))


def test_search_index_has_one_escaped_entry_per_use_case(built_site) -> None:  # type: ignore[no-untyped-def]
    index = _search_index(built_site.site_dir)
    by_location = {d["location"]: d for d in index["docs"]}
    assert {"usecases/churn/index.html", "usecases/xss-probe/index.html", "usecases/idea/index.html"} <= set(by_location)
    assert "Customer churn" in by_location["usecases/churn/index.html"]["title"]
    probe = by_location["usecases/xss-probe/index.html"]
    assert "<script" not in probe["title"] and "&lt;script&gt;" in probe["title"]
    assert "<img" not in probe["text"]
    assert not any(d["location"].startswith("usecases/page-") for d in index["docs"])


def test_search_index_holds_the_fairness_drift_and_gate_sections(built_site) -> None:  # type: ignore[no-untyped-def]
    """Before, a use case contributed its title, summary and key facts only (about 500 characters)."""
    site = built_site.site_dir
    index = _search_index(site)
    text = {d["location"]: d["text"] for d in index["docs"]}
    churn = "usecases/churn/index.html"
    expected = {
        # the fairness check, its rationale, the groups and metrics measured
        "fairness": ["sex-parity", "four-fifths", "demographic_parity_ratio", "female", "male"],
        # the drift job's features and method
        "drift": ["tenure", "psi"],
        # requirement ids, the waiver and its ticket, the approval's role
        "gates": ["pm-sign-off", "auditor-sign-off", "RISK-12", "product-manager"],
    }
    for section, words in expected.items():
        entry = text.get(f"{churn}#{section}")
        assert entry is not None, f"no search entry for the {section} section"
        for word in words:
            assert word in entry.split(), (section, word, entry)
    assert "Retention offers are a benefit" not in text[churn]  # the short entry stays short
    # nothing of the page's markup or escaping survives into the words, and payloads stay text
    probe = {k: v for k, v in text.items() if k.startswith("usecases/xss-probe/index.html#")}
    assert probe and not any("<" in v or ">" in v or "&" in v for v in probe.values())
    titles = [d["title"] for d in index["docs"] if d["location"].startswith("usecases/xss-probe/index.html#")]
    assert titles and all("<script" not in t and "&lt;script&gt;" in t for t in titles)


def _search_index(site: Path) -> dict:  # type: ignore[type-arg]
    script = (site / "search/search_index.js").read_text()
    assert script.startswith(SEARCH_PREFIX)
    return json.loads(script.removeprefix(SEARCH_PREFIX))  # type: ignore[no-any-return]


def test_search_index_is_one_script_for_disk_and_http(built_site) -> None:  # type: ignore[no-untyped-def]
    """The index is written once, as the script the theme loads from disk (over http charter.js hands the
    theme its JSON part: the browser tests search both ways); the JSON copy (0.44 MB at 1,000 use cases) is gone."""
    site = built_site.site_dir
    assert _search_index(site)["docs"]
    assert not (site / "search/search_index.json").exists()
    assert (site / "assets/charter/charter.js").is_file()
    home = (site / "index.html").read_text()
    assert '<script src="assets/charter/charter.js"></script>' in home
    assert "unpkg.com" not in home and "iframe-worker" not in home


def test_fast_page_bodies_are_what_markdown_would_make_of_them(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    from charter.site.pages import render_site

    fast = [p for p in render_site(fixture_ctx).pages if p.fast]
    assert {p.path for p in fast} >= {"usecases/churn/index.md", "usecases/index.md"}
    for page in fast:
        body = page.text.split("---\n", 2)[-1]
        converted = markdown.markdown(body, extensions=EXTENSIONS)
        assert _squash(converted) == _squash(body), page.path


def _squash(text: str) -> str:
    return re.sub(r">\s+<", "><", text.strip())


def test_fast_path_gives_the_same_content_as_mkdocs(fixture_root, fixture_repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fast = build_site(fixture_root, out=tmp_path / "fast", repo=fixture_repo, gather=site_fixture.site_inputs)
    slow = build_site(fixture_root, out=tmp_path / "slow", repo=fixture_repo, gather=site_fixture.site_inputs,
                      use_fast_path=False)
    assert fast.ok and slow.ok
    assert fast.plugin.stats.shells >= 1 and fast.plugin.stats.fallbacks == 0
    for uc in ("churn", "xss-probe", "idea"):
        a = _article(fast.site_dir / "usecases" / uc / "index.html")
        b = _article(slow.site_dir / "usecases" / uc / "index.html")
        assert _squash(a) == _squash(b), uc
        head = (fast.site_dir / "usecases" / uc / "index.html").read_text()
        assert f"<title>{uc} · system card and audit report - Fixture Bank</title>" in head
        assert 'class="md-search"' in head and 'id="__config"' in head  # the theme's search works here too


def _article(path: Path) -> str:
    html = path.read_text()
    start = html.index('<article class="md-content__inner md-typeset">')
    return html[start:html.index("</article>", start)]


def test_building_twice_gives_the_same_bytes(fixture_root, fixture_repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reports = [build_site(fixture_root, out=tmp_path / name, repo=fixture_repo, gather=site_fixture.site_inputs)
               for name in ("a", "b")]
    trees = []
    for r in reports:
        trees.append({p.relative_to(r.site_dir).as_posix(): p.read_bytes()
                      for p in sorted(r.site_dir.rglob("*")) if p.is_file()})
    assert trees[0].keys() == trees[1].keys()
    assert [k for k in trees[0] if trees[0][k] != trees[1][k]] == []


def test_parallel_and_serial_use_case_work_agree(fixture_repo) -> None:  # type: ignore[no-untyped-def]
    session = Session(fixture_repo, site_fixture.site_inputs(fixture_repo))
    ids = sorted(fixture_repo.usecases)
    serial = process_usecases(session, ids, jobs=1)
    parallel = process_usecases(session, ids, jobs=2, min_parallel=1)
    assert [d.page.text for d in serial] == [d.page.text for d in parallel]
    assert [d.exports for d in serial] == [d.exports for d in parallel]
    assert build_context(site_fixture.site_inputs(fixture_repo))["usecases"] == [d.view for d in serial]


def test_a_rebuild_rewrites_only_what_changed(fixture_root, fixture_repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "build"
    build_site(fixture_root, out=out, repo=fixture_repo, gather=site_fixture.site_inputs, run_mkdocs=False)
    page = out / "docs/usecases/churn/index.md"
    stale = out / "docs/usecases/gone/index.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    before = page.stat().st_mtime_ns
    build_site(fixture_root, out=out, repo=fixture_repo, gather=site_fixture.site_inputs, run_mkdocs=False)
    assert page.stat().st_mtime_ns == before
    assert not stale.exists() and not stale.parent.exists()


def test_refuses_to_overwrite_a_folder_it_did_not_generate(fixture_root, fixture_repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from charter.site.build import SiteError

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "precious.md").write_text("keep me")
    with pytest.raises(SiteError, match="not generated by charter"):
        build_site(fixture_root, out=tmp_path, repo=fixture_repo, gather=site_fixture.site_inputs)
    assert (tmp_path / "docs" / "precious.md").read_text() == "keep me"


def test_materials_offline_plugin_is_superseded_not_downloaded(fixture_repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A configuration naming Material's offline plugin: no worker shim from unpkg.com, and the
    script copy of the index is written after Charter's entries (the plugin writes its copy first)."""
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(fixture_repo.root, root)
    (root / "mkdocs.yml").write_text("site_name: Fixture Bank\nuse_directory_urls: true\ntheme: {name: material}\n"
                                     "plugins:\n  - search\n  - offline\n")
    report = build_site(root, out=tmp_path / "out", gather=site_fixture.site_inputs)
    assert report.ok, report.errors
    site = report.site_dir
    assert (site / "okrs.html").is_file() and not (site / "okrs").exists()
    pages = " ".join(p.read_text() for p in site.rglob("*.html"))
    assert "unpkg.com" not in pages and "iframe-worker" not in pages
    assert not (site / "search/search_index.json").exists()
    assert any(d["location"] == "usecases/churn/index.html" for d in _search_index(site)["docs"])


def test_generated_pages_draw_the_themes_icons_from_the_stylesheet(built_site) -> None:  # type: ignore[no-untyped-def]
    """The chrome's inline icons (1.25 KB a page) become empty <svg>s that charter.css masks with the same
    shapes; the pages in the navigation keep theirs inline, and every class a page uses has its rule."""
    site = built_site.site_dir
    css = (site / "assets/charter/charter.css").read_text()
    rules = dict(re.findall(r'svg\.(ch-i[0-9a-f]{6})\{[^}]*mask:url\("data:image/svg\+xml,([^"]+)"\)', css))
    page = (site / "usecases/churn/index.html").read_text()
    chrome = page[:page.index('<article class="md-content__inner md-typeset">')]
    used = re.findall(r'<svg class="(ch-i[0-9a-f]{6})" viewBox="0 0 24 24"></svg>', chrome)
    assert len(used) >= 5 and "<path" not in chrome  # logo, menu, search twice, back, clear
    assert set(used) <= set(rules)
    from urllib.parse import unquote

    assert all(unquote(rules[n]).startswith('<svg xmlns="http://www.w3.org/2000/svg"') for n in used)
    home = (site / "index.html").read_text()
    assert "<path" in home[:home.index("<article")]  # the theme's own pages are untouched


def test_model_card_metrics_are_flow_mappings_that_parse_back() -> None:
    from charter.site.exports import to_yaml

    data = {"model-index": [{"name": "x", "results": [{"task": {"type": "t", "name": "T"}, "metrics": [
        {"type": "roc_auc", "value": 0.5, "name": "ROC AUC"}, {"type": "mse", "value": 1e-05, "name": 'a "q"'},
        {"type": "bias", "value": -2.5e-07, "name": None}]}]}]}
    text = to_yaml(data)
    assert '- {"type": "roc_auc", "value": 0.5, "name": "ROC AUC"}' in text
    assert yaml.safe_load(text) == data  # 1e-05 is a number, not the string "1e-05"


def test_only_the_first_group_count_table_of_a_page_spells_out_its_columns() -> None:
    from charter.site.pages import group_confusions

    block = {"label": "sex", "groups": [{"label": "f", "n": 10, "confusion": [[4, 1], [2, 3]]}]}
    first, later = str(group_confusions(block, True)), str(group_confusions(block, False))
    assert "True negatives, false positives, false negatives and true positives" in first
    assert "True negatives" not in later and "The counts behind the rates above." in later
    assert first.split("</caption>")[1] == later.split("</caption>")[1]  # the same counts either way


def test_generated_pages_share_the_themes_set_up_script(built_site) -> None:  # type: ignore[no-untyped-def]
    site = built_site.site_dir
    script = (site / "assets/charter/charter.js").read_text()
    assert script.count('__md_scope=new URL("../..",document.currentScript.src),__md_hash=') == 1
    page = (site / "usecases/churn/index.html").read_text()
    assert "__md_scope" not in page and '<meta name="generator"' not in page
    assert page.index("assets/charter/charter.js") < page.index("assets/javascripts/bundle.")
    home = (site / "index.html").read_text()
    assert '<script>__md_scope=new URL(".",location)' in home


def test_what_the_build_appends_to_charters_assets_is_there_once(  # type: ignore[no-untyped-def]
        fixture_root, fixture_repo, tmp_path) -> None:
    from charter.site.plugin import ICONS_HEADER, SETUP_HEADER, _unappended

    for _ in range(2):  # the same folder built into twice
        report = build_site(fixture_root, out=tmp_path, repo=fixture_repo, gather=site_fixture.site_inputs)
        assert report.ok, report.errors
    assert (report.site_dir / "assets/charter/charter.css").read_text().count(ICONS_HEADER) == 1
    assert (report.site_dir / "assets/charter/charter.js").read_text().count(SETUP_HEADER) == 1
    stale = tmp_path / "stale.css"
    stale.write_text("a {}" + ICONS_HEADER + "svg.ch-i000000{}")
    assert _unappended(stale, ICONS_HEADER) == "a {}"
