"""`charter approve USECASE --stage STAGE --by PERSON --role ROLE`: sign off the current evidence.

Appends ``{stage, by, role, date, evidence}`` to the use case's ``approvals``,
where ``evidence`` is the hash of the evidence bundle the gate reads now. The
spec is edited in ruamel.yaml's round-trip mode, so comments, key order, quoting
and indentation stay as they were; the result is parsed again with Charter's own
loader before it replaces the file (atomically, keeping its permissions).

Refused (exit 2) when the person does not hold the role, the stage is unknown or
the expiry is not in the future; refused (exit 1) when the evidence is missing,
stale or errored: nobody can approve evidence that does not exist.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from .common import add_repo_arg, find_root
from .main import EXIT_FAIL, EXIT_INVALID, EXIT_OK, UsageError


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("usecase", metavar="USECASE")
    p.add_argument("--stage", required=True, help="stage the approval is for")
    p.add_argument("--by", required=True, metavar="PERSON", help="person id of the approver (governance/organisation)")
    p.add_argument("--role", required=True, help="role the approver signs in")
    p.add_argument("--expires", metavar="DATE", help="last day the approval counts (YYYY-MM-DD)")
    p.add_argument("--note", help="what was reviewed, conditions, links")
    add_repo_arg(p)


def _check_person(repo: Any, person_id: str, role: str) -> None:
    from ..diagnostics import did_you_mean, known_list

    org = repo.organisation
    people = {p.id: p for p in org.people} if org is not None else {}
    roles = {r.id for r in org.roles} if org is not None else set()
    if role not in roles:
        raise UsageError(f"unknown role '{role}' ({did_you_mean(role, roles) or 'roles: ' + known_list(roles)})")
    person = people.get(person_id)
    if person is None:
        hint = did_you_mean(person_id, people) or "people: " + known_list(people)
        raise UsageError(f"unknown person '{person_id}' ({hint})")
    if role not in person.roles:
        holders = sorted(p.id for p in people.values() if role in p.roles)
        raise UsageError(f"'{person_id}' does not hold the role '{role}' (holds: {', '.join(person.roles)}); "
                         f"people with that role: {', '.join(holders) or 'nobody'}")


def guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, sequence dash offset) as the file writes them (defaults: 2, 0)."""
    mapping = offset = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, nxt in zip(lines, lines[1:], strict=False):
        stripped = line.rstrip()
        if not stripped.endswith(":") or stripped.lstrip().startswith("- "):
            continue
        here = len(line) - len(line.lstrip())
        there = len(nxt) - len(nxt.lstrip())
        if nxt.lstrip().startswith("- "):
            offset = there - here if offset is None and there >= here else offset
        elif there > here and mapping is None:
            mapping = there - here
        if mapping is not None and offset is not None:
            break
    return mapping or 2, offset or 0


def _move_trailing_comment(prev: Any, new: Any) -> None:
    """Full-line comments after the last item belong before the next key: keep them after the new item."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if not hasattr(prev, "ca") or not prev:
        return
    last = list(prev.keys())[-1]
    slot = prev.ca.items.get(last)
    token = slot[2] if slot and len(slot) > 2 else None
    if token is None or "\n" not in token.value:
        return
    eol, _, rest = token.value.partition("\n")
    if not rest:
        return
    if eol.strip():
        token.value = eol + "\n"
    else:
        slot[2] = None
    new_last = list(new.keys())[-1]
    new.ca.items[new_last] = [None, None, CommentToken("\n" + rest, CommentMark(0), None), None]


def append_approval(text: str, entry: dict[str, Any]) -> str:
    """The spec text with ``entry`` appended to ``approvals`` (created before ``meta`` when absent)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    mapping, offset = guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    doc = yaml.load(text)
    item = CommentedMap()
    for key, value in entry.items():
        if value is not None:
            item[key] = value
    approvals = doc.get("approvals")
    if approvals is None:
        approvals = CommentedSeq()
        keys = list(doc.keys())
        position = keys.index("meta") if "meta" in keys else len(keys)
        doc.insert(position, "approvals", approvals)
    elif not isinstance(approvals, list):
        raise UsageError("'approvals' in the spec is not a list")
    if isinstance(approvals, CommentedSeq) and approvals.fa.flow_style():
        approvals.fa.set_block_style()
    if approvals:
        _move_trailing_comment(approvals[-1], item)
    approvals.append(item)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def atomic_replace(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _reparse(rel: str, text: str) -> Any:
    from ..loading import yaml12
    from ..loading.shape import ShapeContext, validate_shape
    from ..spec.usecase import UseCase

    data = yaml12.to_python(yaml12.compose_nodes(text))
    model, diags = validate_shape(UseCase, ShapeContext(rel, text, data))
    if model is None:
        raise RuntimeError(f"the edited spec no longer validates: {diags[0].path}: {diags[0].message}")
    return model


def run(args: argparse.Namespace) -> int:
    from ..diagnostics import did_you_mean
    from ..engine.plan import plan_usecase
    from ..engine.store import EvidenceStore, evidence_bundle_hash
    from ..gates.evidence import EvidenceView
    from ..resolve import effective_requirements, stage_index
    from .gate import load_valid, parse_date

    today = dt.date.today()
    expires = parse_date(args.expires, "--expires")
    if expires is not None and expires <= today:
        raise UsageError(f"--expires {expires} is not in the future")
    root = find_root(Path(args.repo))
    repo = load_valid(root, "approve")
    if repo is None:
        return EXIT_INVALID
    uc = repo.usecases.get(args.usecase)
    if uc is None:
        raise UsageError(f"unknown use case '{args.usecase}'" +
                         (f" ({hint})" if (hint := did_you_mean(args.usecase, repo.usecases)) else ""))
    if stage_index(repo.policy, args.stage) < 0:
        ids = [s.id for s in repo.policy.stages]
        hint = did_you_mean(args.stage, ids) or "stages: " + ", ".join(ids)
        raise UsageError(f"unknown stage '{args.stage}' ({hint})")
    _check_person(repo, args.by, args.role)

    planned = plan_usecase(repo, uc)
    view = EvidenceView(EvidenceStore(root), planned)
    problems = view.problems()
    if problems:
        print(f"charter approve: refused: the evidence of '{uc.id}' is not current, so there is nothing to approve yet",
              file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        print(f"run `charter run {uc.id}`, review the new evidence, then approve", file=sys.stderr)
        return EXIT_FAIL
    bundle = evidence_bundle_hash(planned)
    for a in uc.approvals:
        if (a.stage, a.by, a.role, a.evidence) == (args.stage, args.by, args.role, bundle) and \
                (a.expires is None or a.expires >= today):
            print(f"'{args.by}' already approved this evidence ({bundle[:12]}) for '{args.stage}' on {a.date}; "
                  "nothing to do")
            return EXIT_OK
    wanted = [r.requirement for r in effective_requirements(repo.policy, uc, args.stage)
              if r.requirement.kind == "approval" and r.requirement.role == args.role]
    if not wanted:
        print(f"charter approve: note: stage '{args.stage}' does not require an approval by '{args.role}' "
              f"for '{uc.id}'; recording it anyway", file=sys.stderr)

    rel = repo.usecase_files[uc.id]
    path = root / rel
    text = path.read_text(encoding="utf-8")
    entry = {"stage": args.stage, "by": args.by, "role": args.role, "date": today, "evidence": bundle,
             "expires": expires, "note": args.note}
    new_text = append_approval(text, entry)
    model = _reparse(rel, new_text)
    if len(model.approvals) != len(uc.approvals) + 1 or model.approvals[-1].evidence != bundle:
        raise RuntimeError("the edited spec does not hold exactly the new approval")
    atomic_replace(path, new_text)
    print(f"recorded: {args.by} ({args.role}) approves '{uc.id}' for '{args.stage}' on evidence {bundle[:12]} "
          f"in {rel}")
    return EXIT_OK
