"""`charter approve USECASE --stage STAGE --by PERSON --role ROLE [--key PATH]`: sign off the current evidence.

Parses the arguments, calls :func:`charter.approvals.approve` and prints what it
did. ``--key`` signs the approval with the approver's ed25519 private key (one
of their ``signingKeys``); stages the policy lists under ``approvals.signedFor``
require it. Exit 2 when the person does not hold the role, the stage is unknown,
the key is not theirs or the dates are wrong; exit 1 when the evidence is
missing, stale or errored: nobody can approve evidence that does not exist.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from .common import add_repo_arg, find_root, parse_date, require_valid
from .main import EXIT_FAIL, EXIT_OK


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("usecase", metavar="USECASE")
    p.add_argument("--stage", help="stage the approval is for (required unless --waiver)")
    p.add_argument("--by", required=True, metavar="PERSON", help="person id of the approver (governance/organisation)")
    p.add_argument("--role", help="role the approver signs in (required unless --waiver)")
    p.add_argument("--expires", metavar="DATE", help="last day the approval counts (YYYY-MM-DD)")
    p.add_argument("--note", help="what was reviewed, conditions, links")
    p.add_argument("--key", metavar="PATH", help="sign with this OpenSSH ed25519 private key (one of the "
                   "approver's signingKeys; required for stages the policy lists under approvals.signedFor)")
    p.add_argument("--date", metavar="DATE", help="the approval's date (YYYY-MM-DD, default today; never in the "
                   "future), when recording a review made earlier")
    p.add_argument("--waiver", metavar="TICKET", help="instead of approving evidence, grant (sign) the use case's "
                   "waivers with this ticket as --by, with --key: sets their approvedBy and signature")
    p.add_argument("--replace", action="store_true",
                   help="replace this person's earlier approvals for the stage and role instead of adding one")
    add_repo_arg(p)


def run(args: argparse.Namespace) -> int:
    from ..approvals import approve
    from ..engine.store import EvidenceStore
    from ..errors import UsageError

    today = dt.date.today()
    if args.waiver is not None:
        return _sign_waivers(args, today)
    missing = [o for o, v in (("--stage", args.stage), ("--role", args.role)) if v is None]
    if missing:
        raise UsageError(f"{' and '.join(missing)} required (or --waiver TICKET to sign waivers)")
    expires = parse_date(args.expires, "--expires")
    date = parse_date(args.date, "--date")
    if expires is not None and expires <= today:  # before loading: a typo should not wait for validation
        raise UsageError(f"--expires {expires} is not in the future")
    root = find_root(Path(args.repo))
    repo = require_valid(root, "approve")
    out = approve(repo, EvidenceStore(root), args.usecase, stage=args.stage, by=args.by, role=args.role,
                  today=today, expires=expires, note=args.note, key=Path(args.key) if args.key else None,
                  date=date, replace=args.replace)
    if out.status == "refused":
        print(f"charter approve: refused: the evidence of '{out.use_case}' is not current, so there is nothing to "
              "approve yet", file=sys.stderr)
        for p in out.problems:
            print(f"  - {p}", file=sys.stderr)
        print(f"run `charter run {out.use_case}`, review the new evidence, then approve", file=sys.stderr)
        return EXIT_FAIL
    if out.status == "unchanged":
        print(f"'{out.by}' already approved this evidence ({out.evidence[:12]}) for '{out.stage}' on "
              f"{out.approved_on}; nothing to do")
        return EXIT_OK
    if not out.required:
        print(f"charter approve: note: stage '{out.stage}' does not require an approval by '{out.role}' "
              f"for '{out.use_case}'; recording it anyway", file=sys.stderr)
    signed = "signed" if out.signed else "unsigned"
    replaced = f", replacing {out.replaced} earlier" if out.replaced else ""
    print(f"recorded: {out.by} ({out.role}) approves '{out.use_case}' for '{out.stage}' on review digest "
          f"{out.evidence[:12]} ({signed}{replaced}) in {out.file}")
    return EXIT_OK


def _sign_waivers(args: argparse.Namespace, today: dt.date) -> int:
    from ..approvals import sign_waivers
    from ..errors import UsageError

    if args.key is None:
        raise UsageError("--waiver needs --key PATH: a waiver is granted by its approver's signature")
    from ..loading.loader import load_repository

    root = find_root(Path(args.repo))
    loaded = load_repository(root)
    # waivers without authority yet (CH042: not yet signed) are what signing fixes; any other error stops here
    if any(d.code != "CH042" for d in loaded.errors):
        loaded = require_valid(root, "approve")
    repo = loaded
    out = sign_waivers(repo, args.usecase, ticket=args.waiver, by=args.by, key=Path(args.key), today=today)
    print(f"signed: {out.by} grants waiver {out.ticket} of " + ", ".join(f"'{r}'" for r in out.signed)
          + f" in {out.file}")
    for p in out.problems:
        print(f"charter approve: note: {p}", file=sys.stderr)
    return EXIT_FAIL if out.problems else EXIT_OK
