from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import repo_builder as rb

from charter.engine.plan import plan_repository, plan_usecase
from charter.engine.store import evidence_bundle_hash


def _ids(root: Path) -> dict[str, str]:
    repo = rb.load(root)
    return {p.job_id: p.evidence_id for p in plan_repository(repo)}


def test_dependency_order_and_upstream_ids(tmp_path):
    root = rb.credit_repo(tmp_path / "r")
    repo = rb.load(root)
    planned = plan_usecase(repo, repo.usecases["credit"])
    order = [p.job_id for p in planned]
    assert order.index("contract") == 0
    assert order.index("train") < order.index("evaluate")
    assert order.index("train") < order.index("fairness")
    by = {p.job_id: p for p in planned}
    assert by["evaluate"].depends_on == ("train",)
    assert by["evaluate"].inputs.upstream == {"train": by["train"].evidence_id}
    assert by["train"].inputs.data["applications"] == repo.usecases["credit"].source("applications").sha256
    assert by["train"].inputs.seed == 7 and by["evaluate"].inputs.seed == 3
    assert by["drift"].inputs.data.keys() == {"applications", "recent"}
    assert set(by["train"].inputs.packages) >= {"scikit-learn", "pandas", "numpy"}
    assert by["train"].inputs.runner_version == "sklearn-train@1"
    # what reads a data source waits for the contract that checks it
    assert by["train"].depends_on == ("contract",)
    assert by["train"].inputs.upstream == {"contract": by["contract"].evidence_id}
    assert by["drift"].depends_on == ("contract",)
    assert by["contract"].depends_on == ()


def test_result_version_not_code_decides_the_id(tmp_path, monkeypatch):
    from charter.kinds import runners

    root = rb.credit_repo(tmp_path / "r")
    before = _ids(root)
    # a kind's declared result version is part of its ids (and of what consumes them) ...
    monkeypatch.setattr(type(runners.get("sklearn-train")), "result_version", "2")
    after = _ids(root)
    assert {j for j in before if before[j] != after[j]} == {"train", "evaluate", "fairness"}
    # ... its source code is not: nothing under src/ is hashed
    import charter.engine.hashing as hashing

    assert not hasattr(hashing, "code_version")


def test_ids_are_stable_and_ignore_prose(tmp_path):
    root = rb.credit_repo(tmp_path / "r")
    first = _ids(root)
    assert first == _ids(root)
    spec = rb.credit_usecase()
    spec["summary"] = "Another summary."
    spec["jobs"][1]["description"] = "Prose only."
    spec["data"][0]["description"] = "Different words."
    rb.write_usecase(root, spec)
    assert _ids(root) == first


def test_data_change_reruns_only_readers_and_downstream(tmp_path):
    root = rb.credit_repo(tmp_path / "r")
    before = _ids(root)
    frame = rb.credit_frame(200, seed=5)
    rb.write_frame(root, "credit", "data/recent.csv", frame)
    rb.write_usecase(root, rb.credit_usecase())  # re-pins sha256 ("auto")
    after = _ids(root)
    changed = {j for j in before if before[j] != after[j]}
    assert changed == {"drift"}
    # a change of the training data propagates to what reads its predictions
    rb.write_frame(root, "credit", "data/applications.csv", rb.credit_frame(400, seed=9))
    rb.write_usecase(root, rb.credit_usecase())
    again = _ids(root)
    assert {j for j in after if after[j] != again[j]} == {"contract", "train", "evaluate", "fairness", "drift"}


def test_spec_change_of_one_job_keeps_the_others(tmp_path):
    root = rb.credit_repo(tmp_path / "r")
    before = _ids(root)
    spec = rb.credit_usecase()
    spec["jobs"][2]["slices"] = ["region", "age_band"]
    rb.write_usecase(root, spec)
    after = _ids(root)
    assert {j for j in before if before[j] != after[j]} == {"evaluate"}


def test_evidence_id_is_the_hash_of_the_inputs(tmp_path):
    from charter.engine.hashing import canonical_json

    root = rb.credit_repo(tmp_path / "r")
    p = plan_repository(rb.load(root))[0]
    expected = hashlib.sha256(canonical_json(p.inputs.model_dump(mode="json")).encode()).hexdigest()
    assert p.evidence_id == expected
    assert "commit" not in json.dumps(p.inputs.model_dump(mode="json"))


def test_bundle_hash_order_independent(tmp_path):
    root = rb.credit_repo(tmp_path / "r")
    planned = plan_repository(rb.load(root))
    assert evidence_bundle_hash(planned) == evidence_bundle_hash(list(reversed(planned)))
    assert evidence_bundle_hash(planned) != evidence_bundle_hash(planned[:-1])
    assert evidence_bundle_hash(planned) == evidence_bundle_hash([(p.job_id, p.evidence_id) for p in planned])


def test_planning_imports_no_heavy_package(tmp_path):
    root = rb.credit_repo(tmp_path / "r")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from charter.loading.loader import load_repository\n"
        "from charter.engine.plan import plan_repository\n"
        "from charter.engine.store import EvidenceStore\n"
        f"repo = load_repository(Path({str(root)!r}))\n"
        "planned = plan_repository(repo)\n"
        "store = EvidenceStore(repo.root)\n"
        "[store.get(p.use_case, p.job_id, p.evidence_id) for p in planned]\n"
        "heavy = [m for m in ('pandas', 'sklearn', 'torch', 'scipy', 'pandera') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
