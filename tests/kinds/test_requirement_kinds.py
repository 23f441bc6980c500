"""The registry of requirement kinds: one module per kind, one table, no kind name in other modules' conditionals."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from charter.kinds import requirements as registry
from charter.kinds.requirements import KINDS
from charter.kinds.requirements.base import Basis, Rule, judge_value
from charter.evidence.records import Estimate
from charter.spec.governance import FairnessPolicy, Policy, approval_validity, fairness_settings
from charter.spec.requirements import REQUIREMENT_KINDS, Requirement

SRC = Path(registry.__file__).resolve().parents[3]
KIND_DIR = Path(registry.__file__).resolve().parent

# Conditionals on a requirement kind in files this change does not own; each is listed so the
# test fails on any new one. Remove an entry when its file dispatches through the registry.
PENDING: set[tuple[str, str]] = set()


def test_every_kind_is_registered_once_and_builds_the_spec_union() -> None:
    assert tuple(KINDS) == REQUIREMENT_KINDS == ("definition", "metric", "fairness", "data-contract", "drift",
                                                 "maturity", "documentation", "approval", "evidence",
                                                 "exposure",
                                                 "generative-metric", "generative-regression")
    union = typing.get_args(typing.get_args(Requirement)[0])
    assert union == tuple(k.model for k in KINDS.values())
    for name, kind in KINDS.items():
        assert typing.get_args(kind.model.model_fields["kind"].annotation) == (name,)
        module = kind.judge.__module__
        assert module.startswith("charter.kinds.requirements."), module
        # everything a kind knows lives in its own module
        for fn in (kind.judge, kind.crossref, kind.loosening, kind.describe, kind.locate):
            assert fn.__module__ == module, (name, fn)
        assert kind.model.__module__ == module


def test_each_kind_module_is_named_after_its_kind() -> None:
    files = {p.stem for p in KIND_DIR.glob("*.py")} - {"__init__", "base"}
    assert files == {n.replace("-", "_") for n in KINDS}


def test_registry_dispatch() -> None:
    from charter.spec.requirements import DriftRequirement, MetricRequirement

    base = MetricRequirement(id="m", kind="metric", metric="roc_auc", min=0.8)
    looser = MetricRequirement(id="m", kind="metric", metric="roc_auc", min=0.7)
    assert registry.loosening(base, looser) == "min 0.7 is below the policy's 0.8"
    assert registry.loosening(looser, base) is None
    drift = DriftRequirement(id="m", kind="drift", max_drift_share=0.3)
    assert registry.loosening(base, drift) == "it changes the requirement's kind from 'metric' to 'drift'"
    assert registry.describe(base) == "roc_auc ≥ 0.8"
    assert registry.describe(drift) == "drift share ≤ 0.3"


def _kind_conditionals(tree: ast.AST) -> list[str]:
    """Requirement kind names compared with a `kind`, and requirement models in isinstance()."""
    names = set(KINDS)
    models = {k.model.__name__ for k in KINDS.values()}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            about_kind = any((isinstance(o, ast.Attribute) and o.attr == "kind") or
                             (isinstance(o, ast.Name) and o.id == "kind") for o in operands)
            if about_kind:
                for o in operands:
                    consts = o.elts if isinstance(o, (ast.Tuple, ast.List, ast.Set)) else [o]
                    found += [c.value for c in consts if isinstance(c, ast.Constant) and c.value in names]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            for arg in ast.walk(node):
                if isinstance(arg, ast.Name) and arg.id in models:
                    found.append(arg.id)
    return found


def test_no_requirement_kind_name_in_a_conditional_outside_its_module() -> None:
    offenders: set[tuple[str, str]] = set()
    for path in sorted((SRC / "charter").rglob("*.py")):
        if KIND_DIR in path.parents:
            continue
        rel = path.relative_to(SRC).as_posix()
        for name in _kind_conditionals(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.add((rel, name))
    assert offenders - PENDING == set(), "dispatch through charter.kinds.requirements instead"
    assert PENDING <= offenders, f"no longer needed, remove from PENDING: {PENDING - offenders}"


def test_the_grep_sees_a_kind_chain() -> None:
    tree = ast.parse('if r.kind == "metric":\n    pass\nelif kind in ("drift", "x"):\n    pass\n'
                     "ok = isinstance(r, ApprovalRequirement)\n")
    assert sorted(_kind_conditionals(tree)) == ["ApprovalRequirement", "drift", "metric"]


def test_policy_supplies_its_own_defaults() -> None:
    assert fairness_settings(None) == FairnessPolicy()
    assert fairness_settings(None).min_group_size == FairnessPolicy.model_fields["min_group_size"].default
    assert approval_validity(None) == Policy.model_fields["approval_validity_days"].default


@pytest.mark.parametrize("path", ["charter/gates", "charter/kinds", "charter/resolve.py", "charter/report/gates.py",
                                  "charter/spec/requirements.py", "charter/loading/crossref.py"])
def test_no_caller_writes_a_policy_default(path: str) -> None:
    root = SRC / path
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    for f in files:
        text = f.read_text(encoding="utf-8")
        for needle in ("else 30", "else 365", "DEFAULT_MIN_GROUP_SIZE"):
            assert needle not in text, (f, needle)


def test_interval_rule_names_the_rule_that_decided() -> None:
    """A point estimate within the check's limit, a bound beyond it: the interval's rule decided."""
    est = Estimate(value=0.007, low=0.001, high=0.012)
    basis = Basis(True, "fairness check 'age-dp'", interval_from="risk-tier:high", confidence=0.95,
                  inconclusive="decide")  # the straddling interval is decided by the bound
    part = judge_value("age-dp", "demographic_parity_difference", est, [("<=", 0.01, "max")], basis, False,
                       ("rec",), ["demographic_parity_difference"], subject="age-dp")
    assert part.status == "fail"
    assert part.rule is not None
    assert (part.rule.source, part.rule.basis, part.rule.comparator, part.rule.limit, part.rule.value) == (
        "risk-tier:high", "upper bound of the 95 % interval", "<=", 0.01, 0.012)
    assert part.rule.text.startswith(
        "demographic_parity_difference upper bound 0.012 of the 95 % interval > 0.01 (max of fairness check "
        "'age-dp'; risk tier high requires the interval bound; point estimate 0.007); the 95 % interval "
        "[0.001, 0.012] straddles 0.01: inconclusive")
    assert part.to_dict()["rule"]["source"] == "risk-tier:high"
    # the same value failing on its point estimate is the check's own limit
    point = judge_value("age-dp", "demographic_parity_difference", Estimate(value=0.02, low=0.01, high=0.03),
                        [("<=", 0.01, "max")], basis, False, (), [], subject="age-dp")
    assert point.rule is not None and point.rule.source == "fairness check 'age-dp'"
