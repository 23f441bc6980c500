"""`charter gate [USECASE ...] [--stage STAGE]`: may each use case be in (or enter) a stage?

Exit codes:

* 0 when every requirement of every stage asked about passes or is waived;
* 1 when any fails or lacks evidence. A prohibited use case (its risk tier allows
  no stage beyond the first) fails closed on any stage beyond it, ``--stage next``
  included; at the stage it is allowed (``proposed``) its decision passes and
  exits 0, but the report says PROHIBITED, never PASSED: it is recorded, and not
  eligible for promotion;
* 2 when the specs are invalid (gates are never judged on invalid specs) or the
  command is misused.

``--no-fail`` reports without failing. Every use case is assessed (its declared
stage and its next one, :func:`charter.assessment.assess`), so the text and
JSON reports name each use case's portfolio state and end with the portfolio's
counts per state, the same states and numbers the site and ``charter show``
give.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from .common import (  # noqa: F401  (load_valid, parse_date… are imported from here by other verbs)
    add_format_arg,
    add_repo_arg,
    find_root,
    git_prefix,
    load_valid,
    parse_date,
    select_usecases,
    write_output,
)
from .main import EXIT_FAIL, EXIT_INVALID, EXIT_OK, UsageError

NEXT = "next"


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("usecases", nargs="*", metavar="USECASE", help="use case ids (default: all)")
    p.add_argument("--stage", metavar="STAGE",
                   help="stage to ask about (default: each use case's declared stage; 'next': the stage it would be "
                        "promoted to)")
    add_format_arg(p, ["text", "json", "junit", "github", "markdown"])
    p.add_argument("--no-fail", action="store_true", help="report only: exit 0 even when a gate fails")
    p.add_argument("--record", action="store_true", help="append each decision to the evidence ledger")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--on", metavar="DATE", help="judge expiries as of this date (YYYY-MM-DD; default: today)")
    p.add_argument("--verbose", "-v", action="store_true", help="text format: show every requirement in full")
    add_repo_arg(p)


def stage_for(repo: Any, uc: Any, asked: str | None) -> str | None:
    from ..diagnostics import did_you_mean
    from ..gates import next_stage
    from ..resolve import stage_index

    policy = repo.policy
    if asked is None:
        return uc.stage
    if asked == NEXT and stage_index(policy, NEXT) < 0:
        return next_stage(policy, uc)
    if stage_index(policy, asked) < 0:
        ids = [s.id for s in policy.stages]
        raise UsageError(f"unknown stage '{asked}' ({did_you_mean(asked, ids) or 'stages: ' + ', '.join(ids)})")
    return asked


def decisions_for(repo: Any, store: Any, ids: list[str], asked: str | None, today: dt.date | None,
                  ) -> tuple[list[Any], dict[str, Any]]:
    """Each use case's assessment, and the decision for the stage asked about (read from it when it is the
    declared or the next stage)."""
    from ..assessment import assess
    from ..gates import GateError, decide
    from ..gates.evidence import CachingStore

    cached = CachingStore(store)
    decisions, assessments = [], {}
    for uc_id in ids:
        uc = repo.usecases[uc_id]
        stage = stage_for(repo, uc, asked)
        a = assessments[uc_id] = assess(repo, cached, uc, today)
        if stage is None:
            if len(ids) == 1:
                raise UsageError(f"'{uc_id}' is at '{uc.stage}': there is no stage to promote it to")
            print(f"charter gate: skipped '{uc_id}': at '{uc.stage}', there is no next stage", file=sys.stderr)
            continue
        decision = a.decision_for(stage)
        if decision is None and stage in (a.stage, a.next_stage):
            raise UsageError("; ".join(a.notes) or f"'{uc_id}' cannot be judged at '{stage}'")
        if decision is None:
            try:
                decision = decide(repo, cached, uc, stage, a.as_of, planned=[j.planned for j in a.jobs])
            except GateError as exc:
                raise UsageError(str(exc)) from None
        decisions.append(decision)
    return decisions, assessments


def run(args: argparse.Namespace) -> int:
    from ..assessment import states_line
    from ..engine.store import EvidenceStore
    from ..report import gates as report

    today = parse_date(args.on, "--on")
    root = find_root(Path(args.repo))
    repo = load_valid(root, "gate", args.format)
    if repo is None:
        return EXIT_INVALID
    ids = select_usecases(repo, args.usecases)
    decisions, assessments = decisions_for(repo, EvidenceStore(root), ids, args.stage, today)

    if args.format == "text":
        color = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = report.format_text(decisions, color=color, verbose=args.verbose, assessments=assessments)
    elif args.format == "github":
        text = report.format_github(decisions, path_prefix=git_prefix(root))
    elif args.format == "json":
        text = report.format_json(decisions, assessments)
    elif args.format == "markdown":
        text = report.format_markdown(decisions, assessments=assessments)
    else:
        text = report.FORMATTERS[args.format](decisions)
    summary = f"{report.summary_line(decisions, report.prohibited_of(assessments))}\nportfolio: {states_line(a.state for a in assessments.values())}"
    if args.output:
        write_output(args.output, text)
        print(summary, file=sys.stderr)
    elif text:
        print(text)
    if args.format == "github" and not args.output:
        print(summary, file=sys.stderr)

    if args.record:
        from ..engine.ledger import Ledger

        ledger = Ledger(root)
        for d in decisions:
            ledger.append_decision(d.to_dict())
    failed = any(not d.passed for d in decisions)
    return EXIT_FAIL if failed and not args.no_fail else EXIT_OK
