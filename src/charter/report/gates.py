"""Gate decisions as text, JSON, JUnit XML, GitHub annotations or Markdown.

Every reporter takes the same list of :class:`~charter.gates.model.GateDecision`
and returns a string; only the CLI prints or writes it. Text from specs is
untrusted: JUnit goes through an XML serializer, annotations through GitHub's
escaping rules, and Markdown through :func:`md_text`, so a description holding
``<script>``, ``|`` or a newline cannot break a table or inject HTML.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..gates.model import GateDecision, RequirementResult
from .escape import safe_text
from .github import gh_data, gh_prop

if TYPE_CHECKING:
    from ..assessment import Assessment

SCHEMA_VERSION = 1
FORMATS = ("text", "json", "junit", "github", "markdown")

_SYMBOL = {"pass": "✔", "fail": "✘", "error": "!", "inconclusive": "?", "waived": "~"}
_EMOJI = {"pass": "✅", "fail": "❌", "error": "❌", "inconclusive": "❔", "waived": "⚠️"}
_LABEL = {"pass": "pass", "fail": "fail", "error": "error (evidence)", "inconclusive": "inconclusive (fails closed)",
          "waived": "waived"}
_RED, _GREEN, _YELLOW, _BOLD, _DIM, _RESET = "\033[31m", "\033[32m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"
_COLOR = {"pass": _GREEN, "fail": _RED, "error": _RED, "inconclusive": _RED, "waived": _YELLOW}


def totals(decisions: Sequence[GateDecision]) -> dict[str, int]:
    out = {"useCases": len(decisions), "passed": sum(d.passed for d in decisions), "pass": 0, "fail": 0,
           "inconclusive": 0, "waived": 0, "error": 0}
    out["failed"] = out["useCases"] - out["passed"]
    for d in decisions:
        for k, v in d.counts.items():
            out[k] += v
    return out


def summary_line(decisions: Sequence[GateDecision], prohibited: Iterable[str] = ()) -> str:
    """One line of counts; a prohibited use case's passing decision is counted as prohibited, not passed
    (its gate at the first stage records it, it does not clear it)."""
    t = totals(decisions)
    if not decisions:
        return "no use cases to gate"
    barred = {d.use_case for d in decisions if d.passed and d.use_case in set(prohibited)}
    passed = t["passed"] - len(barred)
    head = f"{passed} of {t['useCases']} use case{'s' * (t['useCases'] != 1)} passed their gate"
    if barred:
        head += f", {len(barred)} prohibited"
    inconclusive = f", {t['inconclusive']} inconclusive" if t["inconclusive"] else ""
    return f"{head} ({t['pass']} pass, {t['waived']} waived, {t['fail']} fail{inconclusive}, {t['error']} error)"


def prohibited_of(assessments: Mapping[str, Assessment] | None) -> set[str]:
    return {uc for uc, a in (assessments or {}).items() if a.prohibited}


def rule_text(r: RequirementResult) -> str | None:
    """The sentence saying which rule decided the verdict (what every reporter prints beside it)."""
    text = (r.rule or {}).get("text") if isinstance(r.rule, dict) else None
    return text if isinstance(text, str) and text else None


def rows_to_decide(r: RequirementResult) -> int | None:
    """How many more rows would make an inconclusive verdict decisive (the deciding part's estimate), if known."""
    details = r.details if isinstance(r.details, dict) else {}
    listed = details.get("parts")
    parts: list[Any] = listed if isinstance(listed, list) else [details]
    for part in parts:
        if isinstance(part, dict) and part.get("status", r.status) == "inconclusive":
            more = part.get("rowsToDecide")
            if isinstance(more, int) and not isinstance(more, bool) and more > 0:
                return more
    return None


def where_text(r: RequirementResult) -> str | None:
    """`file:line:column path` of the element the verdict points at."""
    if not r.file:
        return None
    pos = r.file + (f":{r.line}" if r.line else "") + (f":{r.column}" if r.line and r.column else "")
    return pos + (f" {r.path}" if r.path else "")


def _target(d: GateDecision) -> str:
    extra = [] if d.declared_stage in (None, d.stage) else [f"declared: {d.declared_stage}"]
    if d.risk_tier:
        extra.append(f"risk tier {d.risk_tier}")
    return f"{d.use_case} → {d.stage}" + (f" ({', '.join(extra)})" if extra else "")


# --- text -------------------------------------------------------------------------------


def format_text(decisions: Sequence[GateDecision], *, color: bool = False, verbose: bool = False,
                assessments: Mapping[str, Assessment] | None = None) -> str:
    """The text report; with ``assessments`` (use case id → its assessment) each use case's portfolio
    state is shown, a prohibited use case's passing decision reads PROHIBITED, and the portfolio's
    counts per state end the report."""
    from ..assessment import states_line

    def c(code: str, s: str) -> str:
        return f"{code}{s}{_RESET}" if color else s

    assessed = assessments or {}
    chunks = []
    for d in decisions:
        a = assessed.get(d.use_case)
        if a is not None and a.prohibited and d.passed:
            verdict = c(_RED + _BOLD, "PROHIBITED")  # passing 'proposed' is not a green light
        else:
            verdict = c(_GREEN + _BOLD, "PASSED") if d.passed else c(_RED + _BOLD, "FAILED")
        counts = ", ".join(f"{v} {k}" for k, v in d.counts.items() if v)
        lines = [f"{c(_BOLD, _target(d))}: {verdict} ({counts or 'no requirements'})"]
        if a is not None:
            lines.append(f"  state: {a.state_label}: {a.state_text}")
        width = max((len(r.id) for r in d.requirements), default=0)
        for r in d.requirements:
            rule = rule_text(r)
            if r.status == "pass" and not verbose:
                lines.append(f"  {c(_COLOR['pass'], _SYMBOL['pass'])} {r.id:<{width}}  {c(_DIM, r.reason)}")
                continue
            tag = c(_COLOR[r.status], f"{_SYMBOL[r.status]} {r.id:<{width}}")
            lines.append(f"  {tag}  {r.status}: {r.reason}")
            if rule:
                lines.append(f"  {'':<{width + 2}}  rule: {rule}")
            if r.status == "inconclusive" and (more := rows_to_decide(r)) is not None:
                lines.append(f"  {'':<{width + 2}}  decide: about {more:,} more rows would decide (approximate)")
            if r.command and r.status in ("fail", "error"):
                lines.append(f"  {'':<{width + 2}}  fix: {r.command}")
            if r.file and r.line and r.status in ("fail", "error", "inconclusive"):
                lines.append(f"  {'':<{width + 2}}  at: {where_text(r)} ({r.origin})")
        for note in d.notes:
            lines.append(f"  {c(_YELLOW, 'note:')} {note}")
        lines.append(f"  evidence {d.evidence_hash[:12]} · decided on {d.decided_on}")
        # each entry is one line: a newline or control character from a spec is shown escaped
        chunks.append("\n".join(safe_text(line, keep_sgr=color) for line in lines))
    tail = summary_line(decisions, prohibited_of(assessments))
    if assessments:
        tail += f"\nportfolio: {states_line(a.state for a in assessments.values())}"
    return "\n\n".join(chunks + [tail])


# --- JSON -------------------------------------------------------------------------------


def to_payload(decisions: Sequence[GateDecision], assessments: Mapping[str, Assessment] | None = None
               ) -> dict[str, Any]:
    out = {"schemaVersion": SCHEMA_VERSION, "passed": all(d.passed for d in decisions), "totals": totals(decisions),
           "decisions": [d.to_dict() for d in decisions]}
    if assessments:
        from ..assessment import count_states

        out["portfolio"] = {
            "states": dict(count_states(a.state for a in assessments.values())),
            "useCases": {uc: {"state": a.state, "text": a.state_text, "prohibited": a.prohibited}
                         for uc, a in sorted(assessments.items())}}
    return out


def format_json(decisions: Sequence[GateDecision], assessments: Mapping[str, Assessment] | None = None) -> str:
    return json.dumps(to_payload(decisions, assessments), indent=2, ensure_ascii=False, default=str)


def parse_json(text: str) -> list[GateDecision]:
    """Decisions back from :func:`format_json` (what a later CI step reads)."""
    return [GateDecision.from_dict(d) for d in json.loads(text)["decisions"]]


# --- JUnit XML --------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(value: Any) -> str:
    return _XML_INVALID.sub("\ufffd", "" if value is None else str(value))


def _requirement_text(r: RequirementResult) -> str:
    lines = [r.reason]
    if rule := rule_text(r):
        lines.append(f"rule: {rule}")
    if r.candidate is not None and r.threshold is not None:
        lines.append(f"candidate {r.candidate:g} {r.comparator or ''} threshold {r.threshold:g}"
                     + (f" (baseline {r.baseline:g})" if r.baseline is not None else ""))
    if r.description:
        lines.append(f"why: {r.description}")
    if r.command:
        lines.append(f"fix: {r.command}")
    if r.evidence:
        lines.append(f"evidence: {', '.join(r.evidence)}")
    if r.file:
        lines.append(f"at: {where_text(r)} ({r.origin})")
    return "\n".join(lines)


def format_junit(decisions: Sequence[GateDecision]) -> str:
    t = totals(decisions)
    suites = ET.Element("testsuites", {
        "name": "charter gate", "tests": str(t["pass"] + t["fail"] + t["inconclusive"] + t["error"] + t["waived"]),
        "failures": str(t["fail"] + t["inconclusive"]), "errors": str(t["error"]), "skipped": str(t["waived"]),
        "time": "0"})
    for d in decisions:
        c = d.counts
        suite = ET.SubElement(suites, "testsuite", {
            "name": _x(f"{d.use_case} → {d.stage}"), "tests": str(len(d.requirements)),
            "failures": str(c["fail"] + c["inconclusive"]),
            "errors": str(c["error"]), "skipped": str(c["waived"]), "time": "0",
            "timestamp": f"{d.decided_on}T00:00:00"})
        props = ET.SubElement(suite, "properties")
        for name, value in (("use-case", d.use_case), ("stage", d.stage), ("declared-stage", d.declared_stage),
                            ("risk-tier", d.risk_tier), ("evidence-hash", d.evidence_hash),
                            ("passed", str(d.passed).lower())):
            if value is not None:
                ET.SubElement(props, "property", {"name": name, "value": _x(value)})
        for r in d.requirements:
            case = ET.SubElement(suite, "testcase", {
                "name": _x(r.id), "classname": _x(f"charter.gate.{d.use_case}.{d.stage}"), "time": "0"})
            if r.file:
                case.set("file", _x(r.file))
                if r.line:
                    case.set("line", str(r.line))
            if r.status == "fail":
                el = ET.SubElement(case, "failure", {"message": _x(r.reason), "type": _x(r.kind)})
                el.text = _x(_requirement_text(r))
            elif r.status == "inconclusive":  # fails closed: a failure, typed so CI can tell it apart
                el = ET.SubElement(case, "failure", {"message": _x(f"inconclusive: {r.reason}"),
                                                     "type": "inconclusive"})
                el.text = _x(_requirement_text(r))
            elif r.status == "error":
                el = ET.SubElement(case, "error", {"message": _x(r.reason), "type": "evidence"})
                el.text = _x(_requirement_text(r))
            elif r.status == "waived":
                ET.SubElement(case, "skipped", {"message": _x(r.reason)})
            else:
                out = ET.SubElement(case, "system-out")
                out.text = _x(_requirement_text(r))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# --- GitHub workflow commands -----------------------------------------------------------


def format_github(decisions: Sequence[GateDecision], *, path_prefix: str = "") -> str:
    """``::error file=…,line=…,title=…::message`` per failing, errored or waived requirement.

    ``path_prefix`` is the governance repository's folder inside the git repository
    (GitHub resolves annotation paths from the top of the checkout).
    """
    out = []
    level = {"fail": "error", "error": "error", "inconclusive": "error", "waived": "notice"}
    for d in decisions:
        for r in d.requirements:
            if r.status == "pass":
                continue
            props = []
            if r.file:
                props.append(f"file={gh_prop(path_prefix + r.file)}")
                if r.line:
                    props.append(f"line={r.line}")
                    if r.column:
                        props.append(f"col={r.column}")
            props.append(f"title={gh_prop(f'gate {d.use_case} → {d.stage}: {r.id} ({r.status})')}")
            rule = rule_text(r)
            message = (("inconclusive (fails closed): " if r.status == "inconclusive" else "")
                       + r.reason + (f"\nrule: {rule}" if rule else "")
                       + (f"\nfix: {r.command}" if r.command and r.status != "waived" else ""))
            out.append(f"::{level[r.status]} {','.join(props)}::{gh_data(message)}")
            for w in r.details.get("expiredWaivers", []) if isinstance(r.details, dict) else []:
                wprops = [f"file={gh_prop(path_prefix + r.file)}"] if r.file else []
                ticket = w.get("ticket", "")
                wprops.append(f"title={gh_prop(f'expired waiver {ticket}')}")
                out.append(f"::warning {','.join(wprops)}::"
                           + gh_data(f"the waiver of '{r.id}' expired on {w.get('expires')} and no longer applies"))
    return "\n".join(out)


# --- Markdown ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~^$])")
_MENTION = re.compile(r"@(?=\w)")


def md_text(value: Any) -> str:
    """Untrusted text for a Markdown table cell or paragraph: one line, no HTML, no Markdown syntax, no @mentions."""
    text = " ".join(str(value).split())
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MENTION.sub("@&#8203;", text)


def html_text(value: Any) -> str:
    return html.escape(" ".join(str(value).split()), quote=True)


def md_code(value: str) -> str:
    """A command in a code span; backticks and pipes cannot occur in the ids commands are built from."""
    clean = " ".join(value.split()).replace("`", "'").replace("|", "/")
    return f"`{clean}`"


def _value(r: RequirementResult) -> str:
    if r.candidate is None:
        return ""
    s = f"{r.candidate:g}"
    if r.threshold is not None:
        op = "≥" if r.comparator == ">=" else "≤"
        s += f" {op} {r.threshold:g}" if r.status == "pass" else f" (needs {op} {r.threshold:g})"
    if r.baseline is not None:
        s += f", champion {r.baseline:g}"
    return md_text(s)


def format_markdown(decisions: Sequence[GateDecision], *, title: str = "Charter gate",
                    assessments: Mapping[str, Assessment] | None = None) -> str:
    """The Markdown report; with ``assessments`` a prohibited use case's passing decision reads ⛔ prohibited."""
    t = totals(decisions)
    barred = prohibited_of(assessments)

    def mark(d: GateDecision) -> str:
        return "⛔" if d.passed and d.use_case in barred else "✅" if d.passed else "❌"
    out = [f"## {'✅' if t['failed'] == 0 else '❌'} {md_text(title)}: {md_text(summary_line(decisions, barred))}", ""]
    if not decisions:
        return "\n".join(out) + "\n"
    out += ["| | Use case | Stage | Risk tier | ✅ Pass | ⚠️ Waived | ❌ Fail | ❔ Inconclusive | ❌ Error |",
            "|---|---|---|---|---:|---:|---:|---:|---:|"]
    for d in decisions:
        c = d.counts
        stage = md_text(d.stage)
        if d.declared_stage not in (None, d.stage):
            stage += f" (declared {md_text(d.declared_stage)})"
        out.append(f"| {mark(d)} | **{md_text(d.use_case)}** | {stage} "
                   f"| {md_text(d.risk_tier or '')} "
                   f"| {c['pass']} | {c['waived']} | {c['fail']} | {c['inconclusive']} | {c['error']} |")
    out.append("")
    for d in decisions:
        c = d.counts
        state = ("prohibited: not eligible for promotion" if mark(d) == "⛔" else "passed" if d.passed
                 else f"{c['fail']} failing, " + (f"{c['inconclusive']} inconclusive, " if c["inconclusive"] else "")
                 + f"{c['error']} without evidence")
        out += [f"<details{'' if d.passed else ' open'}>",
                f"<summary>{mark(d)} <b>{html_text(d.use_case)}</b> → {html_text(d.stage)}: "
                f"{html_text(state)}</summary>", ""]
        out += ["| | Requirement | Kind | Result | Value | Fix |", "|---|---|---|---|---|---|"]
        order = {"fail": 0, "error": 1, "inconclusive": 2, "waived": 3, "pass": 4}
        for r in sorted(d.requirements, key=lambda r: order[r.status]):
            fix = md_code(r.command) if r.command and r.status in ("fail", "error") else ""
            reason = md_text(r.reason)
            if rule := rule_text(r):
                reason += f" — rule: {md_text(rule)}"
            out.append(f"| {_EMOJI[r.status]} | {md_code(r.id)} | {md_text(r.kind)} | {reason} | {_value(r)} | {fix} |")
        out.append("")
        expired = [(r.id, w) for r in d.requirements for w in r.details.get("expiredWaivers", [])]
        for req_id, w in expired:
            out.append(f"> ⚠️ The waiver of {md_code(req_id)} ({md_text(w['ticket'])}) expired on "
                       f"{md_text(w['expires'])} and no longer applies.")
        if expired:
            out.append("")
        out += [f"Evidence {md_code(d.evidence_hash[:12])} · decided on {md_text(d.decided_on)}", "", "</details>", ""]
    return "\n".join(out)


FORMATTERS = {
    "json": format_json,
    "junit": format_junit,
    "github": format_github,
    "markdown": format_markdown,
}
