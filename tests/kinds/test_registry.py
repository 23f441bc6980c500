"""The runner-kind table is the one place a runner name is looked up."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

from charter.kinds import runners

SRC = Path(__file__).resolve().parents[2] / "src" / "charter"
BUILTIN_NAMES = {k.name for k in runners.BUILTIN}

# Requirement kinds share three names with runners ("fairness", "data-contract",
# "drift"): comparisons of a `.kind` are theirs.


def _own_module(rel: str, name: str) -> bool:
    kind = runners.get(name)
    return rel == "kinds/runners/" + Path(type(kind).__module__.replace(".", "/")).name + ".py"


def _names_in(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n.value in BUILTIN_NAMES}


def _is_runner_lookup(node: ast.Call) -> bool:
    """A call that picks evidence or a kind by runner name (`view.by_runner("evaluate")`, `runners.get("drift")`)."""
    callee = ast.unparse(node.func)
    name = callee.rpartition(".")[2]
    return name.startswith("by_runner") or (name in ("get", "find", "section_of")
                                            and callee.rpartition(".")[0].endswith(("runners", "runner_kinds")))


def _is_requirement_kind(node: ast.Compare) -> bool:
    return any(isinstance(side, ast.Attribute) and side.attr == "kind" for side in [node.left, *node.comparators])


def test_no_runner_name_in_a_conditional_outside_its_kind_module():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and not _is_requirement_kind(node):
                names = _names_in(node)
            elif isinstance(node, ast.MatchValue):
                names = _names_in(node)
            elif isinstance(node, ast.Call) and _is_runner_lookup(node):
                names = set().union(*(_names_in(a) for a in [*node.args, *(k.value for k in node.keywords)]))
            else:
                continue
            for name in names:
                if not _own_module(rel, name):
                    found.append(f"{rel}:{node.lineno}: '{name}'")
    assert not found, "runner names in conditionals (ask the kind instead):\n" + "\n".join(found)


def test_the_grep_finds_what_it_should(tmp_path):
    # the check above must see all three shapes of a runner-name conditional
    code = ('if r == "evaluate": pass\nx = [j for j in js if j.runner in ("drift", "x")]\ny = 1 if a != "fairness" else 2\n'
            'z = ctx.view.by_runner("data-contract")\nk = runner_kinds.get(name="sklearn-train")\nw = d.get("drift")\n')
    tree = ast.parse(code)
    hits = {n for node in ast.walk(tree) if isinstance(node, ast.Compare) for n in _names_in(node)}
    hits |= {n for node in ast.walk(tree) if isinstance(node, ast.Call) and _is_runner_lookup(node)
             for a in [*node.args, *(k.value for k in node.keywords)] for n in _names_in(a)}
    assert hits == {"evaluate", "drift", "fairness", "data-contract", "sklearn-train"}


# --- import structure --------------------------------------------------------------------

UPWARD = ("charter.engine.plan", "charter.engine.executor", "charter.loading.crossref", "charter.loading.loader",
          "charter.validation", "charter.cli")


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, module_level: bool) -> set[str]:
    """Modules a file imports (TYPE_CHECKING blocks excluded; function bodies only when not module_level)."""
    mod = _module(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if module_level and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(child, ast.Import):
                out.update(a.name for a in child.names if a.name.startswith("charter"))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("charter"):
                    out.add(target)
                    out.update(f"{target}.{a.name}" for a in child.names)  # `from . import x` imports a module
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return out


def _graph(*, module_level: bool) -> dict[str, set[str]]:
    files = {_module(p): p for p in SRC.rglob("*.py")}
    return {m: {i for i in _imports(p, module_level=module_level) if i in files and i != m} for m, p in files.items()}


def test_jobs_and_kinds_import_neither_the_planner_nor_the_validator_nor_the_cli():
    graph = _graph(module_level=False)
    bad = [f"{m} → {i}" for m, deps in graph.items() if m.startswith(("charter.jobs", "charter.kinds"))
           for i in deps if i.startswith(UPWARD)]
    assert not bad, bad


def test_kinds_import_no_backend():
    """A kind reaches its backend by name when a job runs: importing the table stays cheap."""
    graph = _graph(module_level=False)
    bad = [f"{m} → {i}" for m, deps in graph.items() if m.startswith("charter.kinds")
           for i in deps if i.startswith("charter.jobs.") and i != "charter.jobs.base"]
    assert not bad, bad


def test_no_import_cycle_through_kinds_jobs_or_the_engine():
    graph = _graph(module_level=True)
    scope = ("charter.kinds", "charter.jobs", "charter.engine")
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def strong(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 and any(c.startswith(scope) for c in comp):
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    assert not cycles, cycles


# --- the table -----------------------------------------------------------------------------


def test_every_builtin_kind_is_complete_and_its_spec_model_in_the_job_union():
    from charter.spec import known
    from charter.spec.usecase import Job

    union = set(typing.get_args(typing.get_args(Job)[0]))
    for kind in runners.BUILTIN:
        assert kind.spec_model in union, kind.name
        assert kind.name in typing.get_args(kind.spec_model.model_fields["runner"].annotation)
        assert kind.result_version and kind.description and kind.backend.startswith("charter.jobs.")
        assert kind.section in ("contracts", "training", "evaluation", "fairness", "drift", "generative")
    assert known.RUNNERS == runners.descriptions()
    assert known.TRAINING_RUNNERS == runners.training() == ("sklearn-train", "text-finetune", "text-linear-probe")


def test_unknown_runner():
    import pytest

    assert runners.find("nope") is None and runners.section_of("nope") is None
    with pytest.raises(runners.UnknownRunner, match="unknown runner 'nope'"):
        runners.get("nope")


def test_result_reads_a_record_typed():
    from charter.kinds.runners.drift import DriftResult

    payload = {"reference": "a", "current": "b", "schema_changes": {"added": [], "removed": [], "retyped": []},
               "features": [], "drift_share": 0.0, "drifted": False, "thresholds": {"psi": 0.1}}
    kind = runners.get("drift")
    res = kind.result(payload)
    assert isinstance(res, DriftResult) and res.drift_share == 0.0
    assert kind.result({}) is None and kind.result({"reference": 1}) is None
    assert kind.format(res)[0] == "  b vs a: drift share 0.0000 (no drift)"


def test_gate_and_plan_errors_are_the_error_hierarchy_s_under_their_old_names():
    from charter import errors
    from charter.engine.plan import PlanError
    from charter.gates import GateError
    from charter.gates.evaluate import GateError as GateErrorOfEvaluate

    assert GateError is GateErrorOfEvaluate is errors.GateError and PlanError is errors.PlanError
    assert issubclass(GateError, ValueError) and GateError("x").exit_code == errors.EXIT_INVALID


def test_requirement_kinds_find_their_jobs_by_section():
    from charter.kinds import requirements

    sections = {name: getattr(__import__(k.judge.__module__, fromlist=["SECTION"]), "SECTION", None)
                for name, k in requirements.KINDS.items()}
    known = {k.section for k in runners.all_kinds()}
    assert {s for s in sections.values() if s is not None} <= known
    assert runners.in_section([], "drift") == []


def test_text_config_fields_listed_for_validation_match_the_config() -> None:
    import dataclasses

    from charter.kinds.runners.text_finetune import TEXT_CONFIG_FIELDS
    from charter.textmodels.config import TextTrainConfig

    assert TEXT_CONFIG_FIELDS == tuple(f.name for f in dataclasses.fields(TextTrainConfig))
