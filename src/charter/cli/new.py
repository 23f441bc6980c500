"""`charter new usecase ID --task TYPE [--data CSV] ...`: a use case spec written for you.

Asks at a terminal for the decisions it cannot infer (task, team, owner, risk
tier, the target and the sensitive attributes); without a terminal they must be
given as options, and a usage error lists the choices.

Exit codes: 0 written · 2 bad or missing options, or a spec that already exists.
Example: charter new usecase churn --task binary-classification --data customers.csv
         --target churned --team retention --owner ana-lopez --risk limited --sensitive age_band,sex
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import add_repo_arg, find_root
from .main import EXIT_OK, UsageError


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["usecase"], help="what to create")
    p.add_argument("id", help="the new use case's id (also its folder name)")
    p.add_argument("--task", metavar="TYPE", help="binary-classification, multiclass-classification, "
                   "text-classification, regression, ranking or generation")
    p.add_argument("--title", help="display title (default: from the id)")
    p.add_argument("--team", metavar="T", help="the owning team (a team id of governance/organisation.yaml)")
    p.add_argument("--owner", metavar="PERSON", help="the accountable owner: a person holding product-manager")
    p.add_argument("--risk", metavar="TIER", help="the risk tier (an id of governance/policy.yaml)")
    p.add_argument("--data", metavar="CSV", type=Path,
                   help="the data file: copied into the use case's folder, its sha256 pinned, its contract inferred")
    p.add_argument("--data-owner", metavar="PERSON", help="the person accountable for the data (default: --owner)")
    p.add_argument("--target", metavar="COL", help="the label column (default: a column named target, label, y, "
                   "class or outcome)")
    p.add_argument("--positive-label", metavar="VALUE", help="binary classification: the label that counts as "
                   "positive (default: 1, true or yes when the target has them)")
    p.add_argument("--sensitive", metavar="COL,...", type=_columns,
                   help="the sensitive attributes (confirms or replaces the proposal; '' for none)")
    p.add_argument("--predictions", metavar="COL|CSV",
                   help="evaluate given predictions instead of training: a column of --data, or a CSV file "
                        "with the target and a prediction column")
    p.add_argument("--prediction-column", metavar="COL", help="the prediction or score column of a --predictions file")
    p.add_argument("--current", metavar="CSV", type=Path, help="a later batch of the same data: adds a drift job")
    p.add_argument("--text", metavar="COL", help="text classification: the column with the text")
    p.add_argument("--no-input", action="store_true", help="never ask, even in a terminal")
    add_repo_arg(p)


def _columns(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


@dataclass(frozen=True)
class Decided:
    inputs: Any
    target: str | None
    positive_label: Any
    text_column: str | None
    sensitive: list[str]
    withheld: list[str]
    messages: list[str]


def request_from(args: argparse.Namespace) -> Any:
    from ..scaffolding.usecase import Request

    return Request(id=args.id, task=args.task, title=args.title, team=args.team, owner=args.owner,
                   data_owner=args.data_owner, risk=args.risk, data=args.data, current=args.current,
                   predictions=args.predictions, prediction_column=args.prediction_column, target=args.target,
                   positive_label=args.positive_label, text=args.text, sensitive=args.sensitive)


def decide(repo: Any, req: Any, prompter: Any | None) -> Decided:
    """Fill in what the options left open: by asking when there is a prompter, else a UsageError."""
    from ..metrics.catalog import TaskType
    from ..scaffolding import usecase as uc
    from ..scaffolding.infer import propose_sensitive
    from ..scaffolding.prompt import PromptAborted

    messages: list[str] = []
    try:
        uc.check_id(req.id)
        if (repo.root / "usecases" / req.id / "usecase.yaml").exists():
            raise uc.ScaffoldError(f"usecases/{req.id}/usecase.yaml already exists")
        ch = uc.choices(repo)
        uc.check_decisions(req, ch)
        missing = uc.missing_decisions(req)
        if missing and prompter is None:
            raise UsageError(uc.usage_for_missing(missing, ch))
        asks = {"task": ("Task type?", ch.tasks), "team": ("Owning team?", ch.teams),
                "owner": ("Accountable owner (product-manager)?", ch.owners), "risk": ("Risk tier?", ch.tiers)}
        for name in missing:
            question, options = asks[name]
            setattr(req, name, prompter.choose(question, options))  # type: ignore[union-attr]
        inputs = uc.profile_inputs(req)
        columns = inputs.columns()
        target = uc.guess_target(req, inputs)
        needs_target = req.task in uc.TRAINABLE or req.task == TaskType.TEXT.value or req.predictions is not None
        if inputs.data is not None and target is None and needs_target:
            if prompter is None:
                raise UsageError(f"name the target (label) column with --target; columns: {', '.join(columns)}")
            target = prompter.value("Target (label) column?", columns)
        if target is not None and req.target is None:
            messages.append(f"target: {target}")
        if target is not None:
            uc.check_target(req, inputs, target)
        positive: Any = None
        if req.task == TaskType.BINARY.value:
            if inputs.data is not None and target is not None:
                positive = uc.guess_positive_label(req, inputs, target)
                if positive is None:
                    values = [str(v) for v in uc.target_values(inputs, target)]
                    if prompter is None:
                        raise UsageError(f"say which value of '{target}' is positive with --positive-label; "
                                         f"values: {', '.join(values)}")
                    positive = uc.parse_label(prompter.value(f"Positive label of '{target}'?", values),
                                              uc.target_values(inputs, target), target)
            elif req.positive_label is not None:
                positive = _literal(req.positive_label)
        text_column = uc.guess_text_column(req, inputs, target) if req.task == TaskType.TEXT.value else None
        if req.task == TaskType.TEXT.value and inputs.data is not None and text_column is None and prompter:
            text_column = prompter.value("Column with the text?", columns)
        proposed = [c for c in propose_sensitive(columns) if c != target]
        withheld: list[str] = []
        if req.sensitive is not None:
            sensitive = uc.check_sensitive(req.sensitive, inputs)
        elif inputs.data is not None and prompter is not None:
            if proposed:
                prompter.say(f"proposed sensitive attributes (from the column names): {', '.join(proposed)}")
            sensitive = uc.check_sensitive(
                prompter.pick_many("Sensitive attributes?", proposed, [c for c in columns if c != target]), inputs)
        else:
            sensitive, withheld = [], proposed
            if proposed:
                messages.append(f"proposed sensitive attributes (from the column names): {', '.join(proposed)}; "
                                f"not included: confirm them with --sensitive {','.join(proposed)}")
        if target is not None and target in sensitive:
            raise UsageError(f"the target '{target}' cannot also be a sensitive attribute")
    except uc.ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    except PromptAborted as exc:
        raise UsageError(f"{exc}; nothing was written") from None
    return Decided(inputs, target, positive, text_column, sensitive, withheld, messages)


def _literal(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        return text


def write(root: Path, scaffold: Any) -> list[str]:
    """Copy the data and write the spec; on failure remove what was written. Returns the paths written."""
    from ..validation import atomic_write_text

    written: list[Path] = []
    folder = root / Path(scaffold.path).parent
    made_folder = not folder.exists()
    try:
        for copy in scaffold.copies:
            dest = root / copy.dest
            if dest.exists():
                raise UsageError(f"{copy.dest} already exists")
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
            os.close(fd)
            try:
                shutil.copyfile(copy.source, tmp)
                os.replace(tmp, dest)
            finally:
                Path(tmp).unlink(missing_ok=True)
            written.append(dest)
        spec = root / scaffold.path
        atomic_write_text(spec, scaffold.text)
        written.append(spec)
    except BaseException:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        if made_folder:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return [p.relative_to(root).as_posix() for p in written]


def run(args: argparse.Namespace) -> int:
    from ..loading.loader import load_repository
    from ..scaffolding.prompt import Prompter
    from ..scaffolding.usecase import ScaffoldError, build, codeowners_text
    from ..validation import atomic_write_text

    root = find_root(Path(args.repo))
    repo = load_repository(root, check_data=False)
    interactive = not args.no_input and sys.stdin.isatty()
    prompter = Prompter(sys.stdin, sys.stdout) if interactive else None
    req = request_from(args)
    decided = decide(repo, req, prompter)
    try:
        scaffold = build(repo, req, decided.inputs, target=decided.target, positive_label=decided.positive_label,
                         text_column=decided.text_column, sensitive=decided.sensitive,
                         withheld=decided.withheld)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    for line in decided.messages:
        print(line)
    for rel in write(root, scaffold):
        print(f"created {rel}")
    if scaffold.jobs:
        print(f"jobs: {', '.join(scaffold.jobs)}")
    for note in scaffold.notes:
        print(f"note: {note}")
    owners = codeowners_text(root)
    if owners is None:
        print("note: .github/CODEOWNERS not updated: the repository has invalid specs (run charter validate)")
    else:
        target, text = owners
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            atomic_write_text(target, text)
            shown = target.relative_to(root) if root in target.parents else target
            print(f"updated {shown}")
    print(f"next: replace the lines marked REPLACE, then run: charter validate {Path(scaffold.path).parent}")
    return EXIT_OK
