"""Render the site's pages (Jinja2 → Markdown files) from the view-model context.

Two Jinja environments share the templates in ``charter/templates/site``:

* Markdown templates (``*.md.j2`` except the per-use-case pages): every
  ``{{ value }}`` that is not already markup passes through :func:`safe.md`
  (HTML and Markdown escaping), so forgetting a filter cannot open a hole;
* generated listings (``usecase.md.j2``: one page per use case holding its AI
  system card and its audit report; ``usecases.md.j2``: the paged index): Markdown files whose body
  is one raw HTML block. Python-Markdown passes raw HTML blocks through
  unchanged, so these only need HTML escaping (autoescape). Because their body
  needs no Markdown processing, the MkDocs plugin can skip the Markdown parser
  for them (``fast`` pages) — the reason 1,000 use cases build in seconds.

Output is deterministic: no clock, sorted iteration, stable number formatting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Set
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.runtime import Context
from markupsafe import Markup

from ..metrics.catalog import MODEL_METRICS
from . import charts
from .fmt import count, interval, money, num, pct, pvalue, quantity, seconds, short, when
from .safe import html, html_finalize, link, md, md_finalize, prose
from .snippets import HELPERS


@dataclass
class RenderedPage:
    path: str
    """Path inside the generated docs folder (POSIX)."""
    text: str
    fast: bool = False
    """The body is one raw HTML block: the plugin may skip the Markdown parser."""
    search: dict[str, str] | None = None
    """For fast pages: the search index entry (title and text, HTML-escaped)."""
    search_sections: list[dict[str, str]] = field(default_factory=list)
    """For fast pages: more search entries, one per section (``anchor``, ``title``, ``text``)."""
    title: str | None = None
    """The front matter's title (fast pages: the plugin takes it from here rather than parsing the file)."""
    meta: dict[str, Any] = field(default_factory=dict)
    """The rest of the front matter (fast pages)."""


@dataclass
class RenderResult:
    pages: list[RenderedPage] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    """Static files for the docs folder (stylesheet)."""


def _slug(value: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "x"


def _yaml_str(value: Any) -> Markup:
    # A JSON string is a valid YAML double-quoted scalar.
    return Markup(json.dumps(str(value), ensure_ascii=False))


def _trusted(value: Any) -> Markup:
    """Text from Charter's own code (field docstrings): Markdown allowed, one line, pipes escaped for tables."""
    return Markup(" ".join(str(value).split()).replace("|", "\\|"))


def _gib(metric: str) -> bool:
    info = MODEL_METRICS.get(metric)
    return True if info is None else info.greater_is_better


def _unit_metric(name: str) -> bool:
    info = MODEL_METRICS.get(name)
    return info is not None and info.lower == 0 and info.upper == 1


def metric_chart(r: dict[str, Any], uc: dict[str, Any]) -> Markup:
    """Overall metrics bounded to [0, 1], with intervals and the primary threshold."""
    rows = [m for m in r["metrics"] if _unit_metric(m["name"])]
    if not rows:
        return Markup("")
    bars = [charts.Bar(m["title"] + ("" if m["gib"] else " ↓"), m["value"], m["low"], m["high"],
                       "ch-bad" if m["verdict"] and m["verdict"]["status"] in ("fail", "error") else ("ch-primary" if m["primary"] else "")) for m in rows]
    primary = next((m for m in rows if m["primary"]), None)
    return Markup('<figure class="ch-fig">') + charts.interval_bars(
        bars, label=f"Metrics of {uc['id']} with bootstrap intervals", domain=(0.0, 1.0),
        threshold=primary["threshold"] if primary else None, threshold_label="threshold") + Markup("</figure>")


def _figure(chart: Markup, caption: str) -> Markup:
    if not chart:
        return Markup("")
    return Markup('<figure class="ch-fig">') + chart + Markup("<figcaption>") + html(caption) + \
        Markup("</figcaption></figure>")


def _sig(v: float) -> str:
    """A value in the data's own unit: four significant digits, thousands separated."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


_CURVE_NAMES = {"roc": "ROC curve", "pr": "precision-recall curve", "calibration": "calibration curve"}


def evaluation_charts(r: dict[str, Any], job: str) -> Markup:
    """ROC, precision-recall and calibration curves (binary), the residual plot (regression), the confusion matrix."""
    decision, op = r.get("decision"), r.get("operating")
    cut = decision["threshold"] if decision else None
    name = f"Cut-off {num(cut, 2)}" if cut is not None else "Predicted labels"
    figs: list[Markup] = []
    if roc := r.get("roc"):
        point = (op["fpr"], op["tpr"], name) if op and op["fpr"] is not None and op["tpr"] is not None else None
        figs.append(_figure(charts.roc_chart(roc["fpr"], roc["tpr"], auc=roc["auc"], title=f"ROC curve · {job}",
                                             operating=point),
                            f"ROC curve of the held-out rows ({len(roc['fpr'])} of its {roc['points']:,} points "
                            f"drawn). The dot is where the predicted labels sit."))
    if pr := r.get("pr"):
        point = (op["tpr"], op["precision"], name) if op and op["tpr"] is not None and op["precision"] is not None \
            else None
        figs.append(_figure(charts.pr_chart(pr["recall"], pr["precision"], average_precision=pr["average_precision"],
                                            prevalence=pr["prevalence"], title=f"Precision-recall curve · {job}",
                                            operating=point),
                            f"Precision against recall at every score cut-off ({len(pr['recall'])} of "
                            f"{pr['points']:,} points drawn); the dashed line is a model without skill."))
    if cal := r.get("calibration"):
        bins = [charts.CalBin(b["low"], b["high"], b["n"], b["mean_predicted"], b["fraction_positive"])
                for b in cal["bins"]]
        figs.append(_figure(charts.calibration_chart(bins, brier=cal["brier"], title=f"Calibration · {job}"),
                            f"Reliability diagram in {len(bins)} bins of predicted probability. Brier score "
                            f"{num(cal['brier'])} (mean squared error of the probabilities; lower is better); "
                            f"expected calibration error {num(cal['ece'])}."))
    out = Markup('<div class="ch-figs">') + Markup("").join(figs) + Markup("</div>") if figs else Markup("")
    if res := r.get("residuals"):
        bins_r = [charts.ResidualBin(b["pred_mean"], b["n"], b["q10"], b["q25"], b["median"], b["q75"], b["q90"])
                  for b in res["bins"]]
        out += _figure(charts.residual_chart(bins_r, title=f"Residuals · {job}"),
                       f"Residual plot: observed minus predicted, in {len(bins_r)} bins of equal size by predicted "
                       f"value ({res['n']:,} rows). Mean residual {_sig(res['mean'])}, standard deviation "
                       f"{_sig(res['sd'])}, range {_sig(res['min'])} to {_sig(res['max'])}.")
    if r.get("confusion") and r.get("labels"):
        out += charts.confusion_table(r["labels"], r["confusion"], caption=f"Confusion matrix · {job}, all "
                                      f"{r['n']:,} rows.", positive=r.get("positive"))
    skipped = r.get("curves_skipped") or {}
    if skipped:
        out += Markup('<p class="ch-src">') + html("Not drawn: " + "; ".join(
            f"{_CURVE_NAMES.get(k, k)} ({v})" for k, v in skipped.items()) + ".") + Markup("</p>")
    return out


def slice_confusions(r: dict[str, Any], sl: dict[str, Any], limit: int = 12) -> Markup:
    """Per-slice confusion matrices, folded away (a slice column may have many values)."""
    rows = [row for row in sl["rows"] if row.get("confusion")]
    if not rows or not r.get("labels"):
        return Markup("")
    tables = [charts.confusion_table(r["labels"], row["confusion"], caption=f"{sl['column']} = {row['value']} "
                                     f"({row['n']:,} rows).", positive=r.get("positive")) for row in rows[:limit]]
    more = Markup('<p class="ch-src">') + html(f"{len(rows) - limit} more in the evidence record.") + \
        Markup("</p>") if len(rows) > limit else Markup("")
    return (Markup('<details class="ch-confusions"><summary>') + html(f"Confusion matrices by {sl['column']}")
            + Markup("</summary>") + Markup("").join(tables) + more + Markup("</details>"))


def group_confusions(block: dict[str, Any], first: bool = True) -> Markup:
    """Each group's confusion-matrix counts (binary classification), one row per group, folded away beneath
    the group table: the counts behind every rate above. The first table of a page explains the columns,
    the others say what they hold."""
    rows = [g for g in block["groups"] if g.get("confusion")]
    if not rows:
        return Markup("")
    body = []
    for g in rows:
        (tn, fp), (fn, tp) = g["confusion"]
        body.append(Markup("<tr><td>") + html(g["label"]) + Markup(
            f"</td><td>{tn:,}</td><td>{fp:,}</td><td>{fn:,}</td><td>{tp:,}</td><td>{g['n']:,}</td></tr>"))
    return (Markup('<details class="ch-confusions"><summary>') + html(f"Confusion matrices by {block['label']}")
            + Markup('</summary><table class="ch-confusion"><caption>'
                     + ('True negatives, false positives, false negatives and true positives of each group (rows: '
                        'the group; the rates above are ratios of these counts).' if first else
                        'The counts behind the rates above.')
                     + '</caption><thead><tr><th>Group</th><th>TN</th><th>FP</th>'
                     '<th>FN</th><th>TP</th><th>n</th></tr></thead><tbody>')
            + Markup("").join(body) + Markup("</tbody></table></details>"))


def fairness_chart(block: dict[str, Any]) -> Markup:
    """The block's first group metric (usually the selection rate) for every group."""
    if not block["metrics"] or not block["groups"]:
        return Markup("")
    m = block["metrics"][0]
    groups = [(g["label"], g["n"], g["small"]) for g in block["groups"]]
    values = [g["metrics"].get(m["name"]) for g in block["groups"]]
    return Markup('<figure class="ch-fig">') + charts.group_bars(
        groups, values, label=f"{m['title']} by {block['label']}", metric=m["title"]) + Markup("</figure>")


def _globals() -> dict[str, Any]:
    return {
        "num": num, "count": count, "money": money, "pct": pct, "interval": interval, "short": short,
        "seconds": seconds, "pvalue": pvalue, "when": when, "quantity": quantity, "link": link, "prose": prose, "heat_step": charts.heat_step, "gib": _gib,
        "metric_chart": metric_chart, "fairness_chart": fairness_chart,
        "evaluation_charts": evaluation_charts, "slice_confusions": slice_confusions,
        "group_confusions": group_confusions,
        "charts": charts, **HELPERS,
    }


_PLAIN_CALLS: set[Any] = set()
"""Helper functions that need nothing from the template context: called directly."""


class _Context(Context):
    """Calls Charter's own helpers directly, skipping Jinja's per-call checks for context-aware callables."""

    def call(self, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if obj in _PLAIN_CALLS:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return obj(*args, **kwargs)
        return super().call(obj, *args, **kwargs)


class _Environment(Environment):
    context_class = _Context
    """Attribute access on the view model's dicts without the AttributeError round trip.

    ``{{ uc.title }}`` on a dict makes Jinja try ``getattr`` first and fall back to
    ``uc["title"]``; the view model is all dicts and pages are rendered 2 × N
    times, so keys are looked up first here. (Templates iterate dicts with
    ``dictsort``, never ``.items()``, so a key never hides a dict method.)
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _env(markdown: bool) -> Environment:
    env = _Environment(
        loader=PackageLoader("charter", "templates/site"),
        autoescape=True,
        finalize=md_finalize if markdown else html_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    helpers = _globals()
    env.globals.update(helpers)
    _PLAIN_CALLS.update(f for f in helpers.values() if callable(f) and not isinstance(f, type)
                        and f.__class__.__name__ == "function")
    env.filters.update({"yaml": _yaml_str, "slug": _slug, "md": md, "html": html, "trusted": _trusted})
    return env


@cache
def markdown_env() -> Environment:
    return _env(markdown=True)


@cache
def html_env() -> Environment:
    return _env(markdown=False)


_BLANK_RE = re.compile(r"\n[ \t]*\n+")


def _tidy(text: str) -> str:
    """One raw HTML block: no blank lines (Markdown would end the block there), no line breaks
    beside block-level tags (a large portfolio's pages are smaller without them), one trailing newline."""
    head, sep, body = text.partition("---\n")
    if head == "" and sep:  # front matter
        fm, sep2, rest = body.partition("---\n")
        return "---\n" + fm + sep2 + join_block_lines(_BLANK_RE.sub("\n", rest).strip("\n")) + "\n"
    return join_block_lines(_BLANK_RE.sub("\n", text).strip("\n")) + "\n"


_BLOCK_TAGS = frozenset("html head body meta link script title style div nav header main article section aside "
                        "footer ul ol li form table thead tbody tr td th h1 h2 h3 h4 h5 h6 p dl dt dd figure "
                        "figcaption !doctype".split())
_BETWEEN_TAGS = re.compile(r"<(/?)([!\w-]+)[^>]*>\n(?=<(/?)([!\w-]+))")


def _join(m: re.Match[str]) -> str:
    if m.group(2).lower() in _BLOCK_TAGS or m.group(4).lower() in _BLOCK_TAGS:
        return m.group(0)[:-1]
    return m.group(0)


def join_block_lines(html_text: str) -> str:
    """Drop the line breaks between two tags when either is block-level.

    White space beside a block's start or end tag begins or ends a line and is never
    rendered; between inline elements it stays. Text with a <pre> or <textarea> is
    left alone.
    """
    if "<pre" in html_text or "<textarea" in html_text:
        return html_text
    return _BETWEEN_TAGS.sub(_join, html_text)


def usecase_url(uc_id: str) -> str:
    """The use case's page from the site's root (links name files: the site opens from disk)."""
    return f"usecases/{uc_id}/index.html"


def render_usecase(uc: dict[str, Any], *, as_of: str, ledger: dict[str, Any]) -> RenderedPage:
    """The use case's page: its AI system card, then its audit report."""
    title = f"{uc['id']} · system card and audit report"
    page = html_env().get_template("usecase.md.j2").render(as_of=as_of, ledger=ledger, uc=uc, page_title=title)
    facts = f"{uc['id']} · {uc['stage']['name']} · {uc['tier']['name']} · {uc['team']['name']}"
    if uc["tags"]:
        facts += " · " + ", ".join(uc["tags"])
    short = {"title": str(html(uc["title"])),
             "text": f"<p>{html(uc['summary'])}</p><p>{html(facts)}</p>"}
    known = {w.lower() for w in search_words(short["title"] + " " + short["text"])}
    return RenderedPage(f"usecases/{uc['id']}/index.md", _tidy(page), fast=True, title=title, search=short,
                        search_sections=search_sections(page, str(html(uc["title"])), known))


SEARCHED_SECTIONS = (("fairness", "Fairness", '<h2 id="fairness"', '<h2 id="drift"'),
                     ("drift", "Drift", '<h2 id="drift"', '<h2 id="limitations"'),
                     ("gates", "Gate decisions", '<h3 id="gates"', '<h3 id="approvals"'))
"""The sections of a use case's page the search index holds whole: (anchor, title, start, end)."""

_TAG = re.compile(r"<[^>]*>")
_WORD_EDGES = "()[]{}<>,.;:!?\"'`·—–→×≥≤<>✔✖⚠◐■⛔"
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-z]+);")
_NOT_A_WORD = re.compile(r"[-+−]?[\d.,]+%?|[0-9a-f]{8,}|n=.*", re.S)
"""Bare numbers, short hashes and group sizes (``n=1,204``)."""


def search_words(html_text: str) -> list[str]:
    """The distinct words of some escaped HTML, in order: no markup, punctuation, bare numbers or duplicates.

    The text is the page's escaped HTML, so tags are the only ``<…>`` in it; entities
    (quotes around ids, escaped ``<`` of user text) are dropped like punctuation, and so
    are short hashes (evidence ids: the lineage, which is not indexed, explains them).
    """
    seen: set[str] = set()
    out: list[str] = []
    for raw in _ENTITY.sub(" ", _TAG.sub(" ", html_text)).split():
        word = raw.strip(_WORD_EDGES)
        low = word.lower()
        if low in seen or len(word) < 2 or _NOT_A_WORD.fullmatch(word):
            continue
        seen.add(low)
        out.append(word)
    return out


def search_sections(page: str, title: str, known: Set[str] = frozenset()) -> list[dict[str, str]]:
    """Search entries for the fairness, drift and gate sections of a rendered use-case page.

    Most of these sections is tables of numbers and verdict sentences that repeat
    from row to row, and every reader's browser loads the whole index, so each entry
    is the section's distinct words (checks, groups, metrics, features, requirement
    ids, waivers, people): enough to find the use case, a fraction of the size.
    Words in ``known`` (lower case: those of the use case's short entry) are left out,
    as the short entry finds the use case by them already.
    """
    out = []
    for anchor, name, start, end in SEARCHED_SECTIONS:
        i = page.find(start)
        j = page.find(end, i + 1) if i >= 0 else -1
        if i < 0 or j < 0:
            continue
        words = [w for w in search_words(page[i:j]) if w.lower() not in known]
        if words:
            out.append({"anchor": anchor, "title": f"{title} — {name}", "text": " ".join(words)})
    return out


SCATTER_FILE = "assets/charter/prioritisation.svg"


def _portfolio_pages(ctx: dict[str, Any]) -> tuple[list[RenderedPage], dict[str, bytes]]:
    env = markdown_env()
    ucs = {u["id"]: u for u in ctx["usecases"]}
    pf = ctx["portfolio"]
    size = pf["page_size"]
    ranked = [ucs[i] for i in pf["ranked_ids"]]
    # Up to a page of use cases the chart is inline; beyond, it is a local SVG file the
    # home page embeds, so the home page stays small and quick to build.
    inline = len(ranked) <= size
    prefix = "" if inline else "../../"
    points = [charts.Point(u["scores"]["feasibility"], u["scores"]["value"], f"{u['title']} ({u['id']})",
                           href=prefix + usecase_url(u["id"]), cls=f"ch-stage-{_slug(u['stage']['id'])}", key=u["id"])
              for u in ranked if u.get("scores")]
    scatter = charts.scatter(points, label="Business value against feasibility", x_label="Feasibility (1–5)",
                             y_label="Business value (1–5)", standalone=not inline,
                             quadrants=("Strategic bets", "Quick wins", "Deprioritise", "Easy but small"))
    files: dict[str, bytes] = {}
    if not inline:
        files[SCATTER_FILE] = str(scatter).encode("utf-8")
        scatter = Markup(f'<object type="image/svg+xml" data="{SCATTER_FILE}" width="560" height="380" '
                         f'aria-label="Business value against feasibility">'
                         f'<a href="usecases/index.html">All use cases</a></object>')
    pages = [RenderedPage("index.md", env.get_template("home.md.j2").render(
        ctx, top=ranked[:size], scatter=scatter, more=len(ranked) > size))]
    by_id = sorted(ctx["usecases"], key=lambda u: u["id"])
    n_pages = pf["pages"]
    listing = html_env().get_template("usecases.md.j2")
    for i in range(n_pages):
        path = "usecases/index.md" if i == 0 else f"usecases/page-{i + 1}.md"
        title = "All use cases" if i == 0 else f"All use cases, page {i + 1}"
        text = listing.render(ctx, processes=ctx["maturity"]["processes"], rows=by_id[i * size:(i + 1) * size],
                              page=i + 1, n_pages=n_pages, first=i * size + 1, page_title=title)
        pages.append(RenderedPage(path, _tidy(text), fast=True, title=title,
                                  meta={"search": {"exclude": True}, "hide": ["navigation", "toc"]}))
    return pages, files


def render_global(ctx: dict[str, Any]) -> RenderResult:
    """The portfolio-wide pages (home, use-case index, maturity, OKRs, reference) and the stylesheet."""
    from importlib.resources import files

    from .reference import examples_context, reference_context

    env = markdown_env()
    out = RenderResult()
    pages, assets = _portfolio_pages(ctx)
    out.pages.extend(pages)
    out.files.update(assets)
    mat = ctx["maturity"]
    mat_chart = charts.heatmap([t["team"] for t in mat["teams"]], [p["name"] for p in mat["processes"]],
                               [t["cells"] for t in mat["teams"]], label="Average maturity level by team and process",
                               max_value=mat["max_level"] or 1, cell_w=84)
    dist_chart = charts.heatmap([p["name"] for p in mat["per_process"]],
                                [f"Level {lv}" for lv in range(mat["max_level"] + 1)],
                                [_dist_row(p, mat["max_level"]) for p in mat["per_process"]],
                                label="Use cases at each maturity level, per process",
                                max_value=max([x for p in mat["per_process"] for x in p["distribution"]] or [1]),
                                cell_w=56, digits=0)
    out.pages.append(RenderedPage("maturity.md", env.get_template("maturity.md.j2").render(
        ctx, team_chart=mat_chart, dist_chart=dist_chart)))
    out.pages.append(RenderedPage("okrs.md", env.get_template("okrs.md.j2").render(ctx)))
    out.pages.append(RenderedPage("reference/spec.md", env.get_template("spec.md.j2").render(
        ctx, ref=reference_context(), examples=examples_context())))
    out.pages.append(RenderedPage("reference/submit.md", env.get_template("submit.md.j2").render(ctx)))
    for asset in ("charter.css", "charter.js"):
        out.files[f"assets/charter/{asset}"] = files("charter").joinpath(f"templates/assets/{asset}").read_bytes()
    return out


def render_site(ctx: dict[str, Any]) -> RenderResult:
    """Every page of the site, in a stable order (the build renders use cases in parallel instead)."""
    out = render_global(ctx)
    for uc in ctx["usecases"]:
        out.pages.append(render_usecase(uc, as_of=ctx["as_of"], ledger=ctx["ledger"]))
    return out


def _dist_row(p: dict[str, Any], max_level: int) -> list[float | None]:
    return [float(p["counts"][lv]) if lv in p["counts"] else None for lv in range(max_level + 1)]
