"""What makes evidence stale, and how `run` and `status` say so: spec keys by name, package upgrades by the
policy's rule, and artifacts a fresh checkout lacks."""

from __future__ import annotations

import copy
import json
import shutil
from importlib import metadata

import pytest
import repo_builder as rb

from charter.cli.main import main
from charter.engine import hashing
from charter.engine.executor import run
from charter.engine.plan import plan_repository
from charter.engine.store import EvidenceStore


def _status(root, capsys, *ids):  # type: ignore[no-untyped-def]
    capsys.readouterr()
    main(["status", *ids, "--repo", str(root), "--format", "json"])
    return {r["job"]: r for r in json.loads(capsys.readouterr().out)["jobs"]}


def _edit(root, change):  # type: ignore[no-untyped-def]
    path = root / "usecases/credit/usecase.yaml"
    spec = json.loads(path.read_text())
    change(spec)
    path.write_text(json.dumps(spec, indent=2))


def test_status_and_run_name_the_spec_keys_that_changed(tmp_path, capsys):
    root = rb.credit_repo(tmp_path / "r")
    assert run(rb.load(root), jobs=1).ok

    def change(spec):  # type: ignore[no-untyped-def]
        jobs = {j["id"]: j for j in spec["jobs"]}
        jobs["train"]["estimator"]["params"]["C"] = 0.5
        jobs["evaluate"]["bootstrap"]["seed"] = 11

    _edit(root, change)
    rows = _status(root, capsys)
    assert rows["train"]["why"] == "changed: its spec section (estimator.params.C)"
    assert rows["evaluate"]["why"] == "changed: its spec section (bootstrap.seed), upstream job 'train'"
    assert rows["fairness"]["why"] == "changed: upstream job 'train'"
    assert not rows["contract"]["would_run"]
    report = run(rb.load(root), jobs=1)
    whys = {j.job: j.why for j in report.runs if not j.cached}
    assert whys["train"] == rows["train"]["why"] and whys["evaluate"] == rows["evaluate"]["why"]


def test_a_record_whose_kept_spec_was_altered_names_no_keys(tmp_path, capsys):
    """The kept spec is not part of the id: one that does not hash to the id's spec names nothing."""
    root = rb.credit_repo(tmp_path / "r")
    assert run(rb.load(root), jobs=1).ok
    store = EvidenceStore(root)
    planned = {p.job_id: p for p in plan_repository(rb.load(root))}
    rec = store.get("credit", "train", planned["train"].evidence_id)
    assert rec is not None and rec.spec is not None
    assert hashing.sha256_json(rec.spec) == rec.inputs.spec_sha256
    from charter.gates.evidence import spec_changes

    forged = rec.model_copy(update={"spec": {**rec.spec, "useCase": "other"}})
    assert spec_changes(planned["train"].spec, forged) == []
    changed = copy.deepcopy(planned["train"].spec)
    changed["job"]["split"]["seed"] = 8
    assert spec_changes(changed, rec) == ["split.seed"]


def test_a_current_job_re_created_for_its_artifacts_says_so(tmp_path, capsys):
    """A fresh checkout has the records but not the models: the job that re-creates one is named, never silent."""
    root = rb.credit_repo(tmp_path / "r")
    assert run(rb.load(root), jobs=1).ok
    shutil.rmtree(root / ".charter")  # what a fresh clone lacks: artifacts are local
    _edit(root, lambda spec: [j for j in spec["jobs"] if j["id"] == "evaluate"][0]["bootstrap"].update(seed=9))
    rows = _status(root, capsys)
    assert rows["train"]["would_run"] and "re-creates the artifacts job 'evaluate' reads" in rows["train"]["why"]
    assert rows["evaluate"]["why"] == "changed: its spec section (bootstrap.seed)"
    assert not rows["fairness"]["would_run"] and not rows["contract"]["would_run"]
    capsys.readouterr()
    assert main(["run", "--repo", str(root), "--format", "json", "--jobs", "1"]) == 0
    ran = {j["job"]: j["why"] for j in json.loads(capsys.readouterr().out)["jobs"] if not j["cached"]}
    assert set(ran) == {"train", "evaluate"}
    assert ran["train"] == rows["train"]["why"]


def _with_staleness(rule: str, overrides: dict | None = None) -> dict:
    policy = copy.deepcopy(rb.POLICY)
    policy["reproduction"] = {"packageStaleness": rule, **({"packageStalenessFor": overrides} if overrides else {})}
    return policy


@pytest.fixture
def fake_upgrade(monkeypatch):  # type: ignore[no-untyped-def]
    """Pretend scikit-learn was upgraded to another release of the same major.minor (or another minor)."""
    real = metadata.version(dist := "scikit-learn")

    def upgrade(new: str) -> None:
        hashing.full_version.cache_clear()
        monkeypatch.setattr(hashing.metadata, "version",
                            lambda d, _v=metadata.version: new if d == dist else _v(d))

    yield real, upgrade
    hashing.full_version.cache_clear()


def _bump(version: str, part: int) -> str:
    nums = [int(x) for x in version.split("+")[0].split(".")[:3]] + [0, 0]
    nums[part] += 1
    return ".".join(str(n) for n in nums[:3])


@pytest.mark.parametrize(("rule", "part", "stale"), [
    ("minor", 2, False), ("minor", 1, True), ("major", 1, False), ("major", 0, True),
    ("patch", 2, True), ("never", 0, False)])
def test_the_policy_decides_which_package_upgrades_make_evidence_stale(tmp_path, capsys, fake_upgrade, rule, part,
                                                                       stale):
    real, upgrade = fake_upgrade
    root = rb.build_repo(tmp_path / "r", policy=_with_staleness(rule))
    rb.add_credit(root)
    assert run(rb.load(root), jobs=1).ok
    recorded = EvidenceStore(root).latest("credit", "train")
    assert recorded is not None and recorded.lineage.packages["scikit-learn"] == real  # the full version, always
    new = _bump(real, part)
    upgrade(new)
    rows = _status(root, capsys)
    assert rows["train"]["would_run"] is stale
    if stale:
        assert "package scikit-learn (" in rows["train"]["why"] and rows["train"]["why"].startswith("changed:")
    assert not rows["contract"]["would_run"]  # its numbers do not depend on scikit-learn


def test_a_per_package_rule_overrides_the_default(tmp_path, capsys, fake_upgrade):
    real, upgrade = fake_upgrade
    root = rb.build_repo(tmp_path / "r", policy=_with_staleness("minor", {"scikit-learn": "patch"}))
    rb.add_credit(root)
    assert run(rb.load(root), jobs=1).ok
    upgrade(_bump(real, 2))
    rows = _status(root, capsys)
    assert rows["train"]["would_run"] and "package scikit-learn" in rows["train"]["why"]


def test_an_unknown_staleness_rule_is_a_validation_error(tmp_path, capsys):
    root = rb.build_repo(tmp_path / "r", policy=_with_staleness("sometimes"))
    rb.add_credit(root)
    assert main(["validate", "--no-cache", str(root)]) != 0
    out = capsys.readouterr()
    assert "packageStaleness" in out.out + out.err
