"""Approvals and waivers that carry authority: every attack of a pull request on them fails closed.

An approval approves a review digest (results, data, judging spec sections) and,
where the policy says so, carries the approver's SSH signature; a waiver must be
within the authority the policy grants its kind. Each test is one attack.
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

sys.path.insert(0, str(Path(__file__).parents[1] / "gates"))

from support import ORGANISATION, POLICY, TODAY, USECASE, GovRepo, drift_results, fairness_results  # noqa: E402

from charter import signing  # noqa: E402
from charter.approvals import approval_message, waiver_message  # noqa: E402
from charter.cli.main import main  # noqa: E402
from charter.gates import decide  # noqa: E402

PEOPLE = ("cleo", "ben", "bea")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for person in PEOPLE:
        key = Ed25519PrivateKey.generate()
        path = folder / person
        path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()))
        out[person] = path
    return out


def public(path: Path) -> str:
    return signing.public_key_of(signing.load_private_key(path)).openssh() + f" {path.name}@acme"


def organisation(keys: dict[str, Path]) -> dict[str, Any]:
    org = copy.deepcopy(ORGANISATION)
    for p in org["people"]:
        if p["id"] in keys:
            p["signingKeys"] = [public(keys[p["id"]])]
    return org


def policy(**extra: Any) -> dict[str, Any]:
    pol = copy.deepcopy(POLICY)
    pol["approvals"] = {"signedFor": ["production"]}
    pol["waivers"] = [
        {"kind": "fairness", "roles": ["ml-auditor"], "maxDays": 180},
        {"kind": "drift", "roles": ["ml-auditor", "product-manager"], "maxDays": 90},
    ]
    pol.update(extra)
    return pol


def make(tmp_path: Path, keys: dict[str, Path], pol: dict[str, Any] | None = None,
         uc: dict[str, Any] | None = None) -> GovRepo:
    g = GovRepo(tmp_path / "repo", copy.deepcopy(uc or USECASE), pol or policy(), organisation(keys))
    g.record_all()
    return g


def signed_entry(g: GovRepo, key: Path, *, by: str, role: str, stage: str = "production", uc_id: str = "churn",
                 date: str = "2026-02-15") -> dict[str, Any]:
    entry: dict[str, Any] = {"stage": stage, "by": by, "role": role, "date": date,
                             "evidence": g.review_digest(uc_id, stage)}
    entry["signature"] = signing.sign(approval_message(uc_id, entry), signing.load_private_key(key))
    return entry


def sign_off(g: GovRepo, keys: dict[str, Path], uc_id: str = "churn") -> None:
    uc = g.usecases[uc_id]
    uc["approvals"] = [signed_entry(g, keys["cleo"], by="cleo", role="product-manager", uc_id=uc_id),
                       signed_entry(g, keys["ben"], by="ben", role="ml-auditor", uc_id=uc_id)]
    g.write_usecase(uc)


def gate(g: GovRepo, stage: str = "production", today: dt.date = TODAY, uc_id: str = "churn"):
    return decide(g.load(require_valid=False), g.store, uc_id, stage, today)


def req(decision: Any, rid: str) -> Any:
    return next(r for r in decision.requirements if r.id == rid)


def codes(g: GovRepo) -> list[tuple[str, str, str]]:
    repo = g.load(require_valid=False)
    return [(d.code, d.path, d.message) for d in repo.diagnostics if d.severity == "error"]


# --- signed approvals ---------------------------------------------------------------------------


def test_signed_approvals_on_the_current_review_pass(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    d = gate(g)
    assert d.passed, [(r.id, r.reason) for r in d.requirements if r.status != "pass"]
    assert req(d, "production-sign-off").details["valid"][0]["signed"] is True
    assert d.review_digest == g.review_digest()
    assert not codes(g)


def test_unsigned_approval_where_signatures_are_required_fails(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    uc = g.usecases["churn"]
    del uc["approvals"][0]["signature"]  # a name-only approval, as a pull request would add it
    g.write_usecase(uc)
    r = req(gate(g), "production-sign-off")
    assert r.status == "fail"
    assert "approval by 'cleo' is not signed, and the policy requires a signature" in r.reason
    assert r.details["rejected"][0]["signature"] == "missing"
    assert r.command is not None and r.command.endswith("--key PATH")


def test_signature_copied_to_another_use_case_fails(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    other = copy.deepcopy(USECASE)
    other["id"] = "churn-copy"
    g.write_usecase(other)
    g.record_all("churn-copy")
    sign_off(g, keys)  # signed for churn
    copied = copy.deepcopy(g.usecases["churn"]["approvals"])
    for entry in copied:  # on the other use case's current review digest: only the signature is copied
        entry["evidence"] = g.review_digest("churn-copy", "production")
    other["approvals"] = copied
    g.write_usecase(other)
    r = req(gate(g, uc_id="churn-copy"), "production-sign-off")
    assert r.status == "fail" and "signature that does not verify" in r.reason
    assert "does not match the signed content" in r.reason
    assert req(gate(g), "production-sign-off").status == "pass"  # the original still counts


def test_signature_copied_to_another_stage_fails(tmp_path: Path, keys: dict[str, Path]) -> None:
    pol = policy()
    pol["stages"][2]["requires"].append({"id": "pilot-sign-off", "kind": "approval", "role": "product-manager"})
    pol["approvals"] = {"signedFor": ["pilot", "production"]}
    g = make(tmp_path, keys, pol)
    sign_off(g, keys)
    uc = g.usecases["churn"]
    moved = copy.deepcopy(uc["approvals"][0])
    moved["stage"] = "pilot"
    moved["evidence"] = g.review_digest("churn", "pilot")
    uc["approvals"].append(moved)
    g.write_usecase(uc)
    r = req(gate(g, "pilot"), "pilot-sign-off")
    assert r.status == "fail" and "does not match the signed content" in r.reason


@pytest.mark.parametrize("field, value", [("date", "2026-02-20"), ("expires", "2099-01-01"),
                                          ("evidence", "e" * 64)])
def test_field_altered_after_signing_fails(tmp_path: Path, keys: dict[str, Path], field: str, value: str) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    uc = g.usecases["churn"]
    target = uc["approvals"][1]  # ben, ml-auditor
    target[field] = value
    g.write_usecase(uc)
    r = req(gate(g), "auditor-sign-off")
    assert r.status == "fail"
    assert "approval by 'ben' has a signature that does not verify" in r.reason, r.reason


def test_signed_with_another_persons_key_fails(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    uc = g.usecases["churn"]
    uc["approvals"][1] = signed_entry(g, keys["bea"], by="ben", role="ml-auditor")  # bea signs as ben
    g.write_usecase(uc)
    r = req(gate(g), "auditor-sign-off")
    assert r.status == "fail" and "which is not one of the approver's listed keys" in r.reason
    assert r.details["rejected"][0]["signature"] == "invalid"


def test_a_forged_signature_is_reported_by_the_validator(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    uc = g.usecases["churn"]
    uc["approvals"][1]["date"] = "2026-02-20"
    g.write_usecase(uc)
    repo = g.load(require_valid=False)
    found = [d for d in repo.diagnostics if d.code == "CH043"]
    assert found and found[0].path == "approvals[1].signature" and "does not verify" in found[0].message


def test_a_bad_signing_key_is_a_validation_error(tmp_path: Path, keys: dict[str, Path]) -> None:
    org = organisation(keys)
    org["people"][1]["signingKeys"] = ["ssh-rsa AAAAB3NzaC1yc2E ben@acme"]
    g = GovRepo(tmp_path / "repo", copy.deepcopy(USECASE), policy(), org)
    assert any(c == "CH043" and "only ssh-ed25519" in m for c, _p, m in codes(g))


# --- what an approval approves -------------------------------------------------------------------


def test_a_record_edited_after_approval_makes_it_stale(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    assert gate(g).passed
    # same evidence id, other numbers: the record a pull request rewrites
    g.record("fairness", results=fairness_results(ratio=(0.99, 0.98, 1.0)))
    d = gate(g)
    r = req(d, "production-sign-off")
    assert r.status == "fail" and "is stale: it approved review digest" in r.reason
    assert d.evidence_hash == g.bundle_hash()  # the evidence ids did not change; the digest did


def test_a_threshold_loosened_after_approval_makes_it_stale(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    before = g.bundle_hash()
    uc = g.usecases["churn"]
    uc["evaluation"]["threshold"] = 0.5
    g.write_usecase(uc)
    r = req(gate(g), "auditor-sign-off")
    assert r.status == "fail" and "is stale" in r.reason
    assert g.bundle_hash() == before  # the evaluation threshold is in no job's evidence id


def test_a_fairness_limit_loosened_after_approval_makes_it_stale(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    uc = g.usecases["churn"]
    uc["fairness"][0]["min"] = 0.85  # tighter passes validation; the approvers reviewed 0.8
    g.write_usecase(uc)
    assert req(gate(g), "production-sign-off").status == "fail"


def _upgrade(monkeypatch: pytest.MonkeyPatch, g: GovRepo) -> None:
    """A new minor version of every package a runner depends on: new evidence ids for those jobs."""
    import charter.engine.plan as plan

    monkeypatch.setattr(plan, "package_versions", lambda dists, *rule: {d: "99.0" for d in dists})
    g._plans = {}


def test_an_upgrade_with_identical_results_keeps_every_approval(tmp_path: Path, keys: dict[str, Path],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    old_ids = {p.job_id: p.evidence_id for p in g.planned()}
    _upgrade(monkeypatch, g)
    new_ids = {p.job_id: p.evidence_id for p in g.planned()}
    assert old_ids != new_ids  # the upgrade changed evidence ids...
    g.record_all()  # ...and the re-run reproduced the same results
    d = gate(g)
    assert d.passed, [(r.id, r.reason) for r in d.requirements if r.status != "pass"]
    assert d.evidence_hash != g.usecases["churn"]["approvals"][0]["evidence"]


def test_an_upgrade_that_changes_results_stales_exactly_the_affected_approvals(
        tmp_path: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    g = make(tmp_path, keys)
    other = copy.deepcopy(USECASE)
    other["id"] = "churn-two"
    g.write_usecase(other)
    g.record_all("churn-two")
    sign_off(g, keys)
    sign_off(g, keys, "churn-two")
    _upgrade(monkeypatch, g)
    g.record_all()  # churn reproduces its results
    g.record_all("churn-two", drift=drift_results(share=0.1))  # churn-two's drift results change
    assert gate(g).passed
    d = gate(g, uc_id="churn-two")
    stale = {r.id for r in d.requirements if r.status == "fail"}
    assert stale == {"production-sign-off", "auditor-sign-off"}
    assert all("is stale" in req(d, rid).reason for rid in stale)


def test_approve_with_key_signs_and_the_gate_counts_it(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    for by, role in (("cleo", "product-manager"), ("ben", "ml-auditor")):
        assert main(["approve", "churn", "--repo", str(g.root), "--stage", "production", "--by", by, "--role", role,
                     "--key", str(keys[by]), "--note", "Reviewed."]) == 0
    g.usecases["churn"] = g.load(require_valid=False).usecases["churn"].model_dump(mode="json", by_alias=True,
                                                                                   exclude_none=True)
    d = gate(g, today=dt.date.today())
    assert req(d, "production-sign-off").status == "pass" and req(d, "auditor-sign-off").status == "pass"
    text = (g.root / "usecases/churn/usecase.yaml").read_text()
    assert "signature: |" in text and "-----BEGIN SSH SIGNATURE-----" in text


def test_approve_refuses_a_key_that_is_not_the_approvers(tmp_path: Path, keys: dict[str, Path], capsys) -> None:
    g = make(tmp_path, keys)
    code = main(["approve", "churn", "--repo", str(g.root), "--stage", "production", "--by", "cleo", "--role",
                 "product-manager", "--key", str(keys["bea"])])
    assert code == 2 and "is not one of 'cleo''s signing keys" in capsys.readouterr().err


def test_approve_without_key_is_refused_where_signatures_are_required(tmp_path: Path, keys: dict[str, Path],
                                                                      capsys) -> None:
    g = make(tmp_path, keys)
    code = main(["approve", "churn", "--repo", str(g.root), "--stage", "production", "--by", "cleo", "--role",
                 "product-manager"])
    assert code == 2 and "requires signed approvals" in capsys.readouterr().err


def test_approve_replace_keeps_one_approval_per_person(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    args = ["approve", "churn", "--repo", str(g.root), "--stage", "production", "--by", "cleo", "--role",
            "product-manager", "--key", str(keys["cleo"])]
    assert main(args) == 0
    g.record("drift", results=drift_results(share=0.1))  # new results: a new review
    assert main([*args, "--replace", "--date", "2026-11-30"]) == 0
    approvals = g.load(require_valid=False).usecases["churn"].approvals
    assert len(approvals) == 1 and approvals[0].date == dt.date(2026, 11, 30) and approvals[0].signature
    assert main([*args[:6], "--by", "ben", "--role", "ml-auditor", "--key", str(keys["ben"])]) == 0
    text = (g.root / "usecases/churn/usecase.yaml").read_text()
    assert "\n\n\n" not in text and text.count("-----BEGIN SSH SIGNATURE-----") == 2


# --- clean lineage --------------------------------------------------------------------------------


def test_dirty_evidence_does_not_satisfy_a_stage_requiring_clean_lineage(tmp_path: Path,
                                                                         keys: dict[str, Path]) -> None:
    g = GovRepo(tmp_path / "repo", copy.deepcopy(USECASE), policy(lineage={"cleanFor": ["production"]}),
                organisation(keys))
    g.record_all(git_dirty=True)
    sign_off(g, keys)
    d = gate(g)
    r = req(d, "production-quality")
    assert r.status == "error" and "evidence from a dirty work tree cannot satisfy stage 'production'" in r.reason
    assert "was produced from uncommitted changes" in r.reason and r.command == "charter run churn --force"
    assert gate(g, "pilot").requirements  # pilot does not require clean lineage
    assert all(x.status != "error" or "dirty" not in x.reason for x in gate(g, "pilot").requirements)
    g.record_all(git_dirty=None)  # unknown lineage is not clean either
    assert "unknown work tree" in req(gate(g), "production-quality").reason
    g.record_all(git_dirty=False)
    sign_off(g, keys)
    assert gate(g).passed


# --- waivers with authority -------------------------------------------------------------------------


def waive(g: GovRepo, **w: Any) -> None:
    uc = g.usecases["churn"]
    entry = {"owner": "ben", "reason": "Re-weighting in progress.", "ticket": "RISK-9", "expires": "2026-05-01",
             "date": "2026-02-15", **w}
    uc["waivers"] = [entry]
    g.write_usecase(uc)


def _failing_fairness(g: GovRepo, keys: dict[str, Path]) -> None:
    g.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    sign_off(g, keys)


def test_an_authorised_waiver_applies(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    _failing_fairness(g, keys)
    waive(g, requirement="sex-parity")
    assert not codes(g)
    d = gate(g)
    assert req(d, "production-fairness").status == "waived" and d.passed


def test_a_waiver_by_an_owner_without_the_role_is_an_error_and_not_applied(tmp_path: Path,
                                                                          keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    _failing_fairness(g, keys)
    waive(g, requirement="sex-parity", owner="ana")  # a data scientist waives her own fairness finding
    found = [(c, p) for c, p, m in codes(g) if c == "CH042"]
    assert found == [("CH042", "waivers[requirement='sex-parity'].owner")]
    assert "'ana' (data-scientist) does not hold a role allowed to waive 'fairness'" in codes(g)[0][2]
    d = gate(g)
    r = req(d, "production-fairness")
    assert r.status == "fail" and not d.passed and not d.applied_waivers
    assert d.refused_waivers and d.refused_waivers[0]["ticket"] == "RISK-9"
    assert any("refused" in n for n in d.notes)


def test_an_over_long_waiver_is_an_error_and_not_applied(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    _failing_fairness(g, keys)
    waive(g, requirement="sex-parity", expires="2099-01-01")
    found = [(c, p, m) for c, p, m in codes(g) if c == "CH042"]
    assert [p for _c, p, _m in found] == ["waivers[requirement='sex-parity'].expires"]
    assert "the policy allows at most 180 days for 'fairness' waivers" in found[0][2]
    assert req(gate(g), "production-fairness").status == "fail"


def test_an_over_long_waiver_without_a_date_is_measured_from_today(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    _failing_fairness(g, keys)
    waive(g, requirement="sex-parity", expires="2099-01-01")
    del g.usecases["churn"]["waivers"][0]["date"]
    g.write_usecase(g.usecases["churn"])
    assert any(c == "CH042" and "from today" in m for c, _p, m in codes(g))
    assert req(gate(g), "production-fairness").status == "fail"


def test_the_auditor_sign_off_cannot_be_waived_unless_the_policy_says_so(tmp_path: Path,
                                                                        keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    waive(g, requirement="auditor-sign-off", expires="2026-03-30")
    found = [(c, p, m) for c, p, m in codes(g) if c == "CH042"]
    assert [p for _c, p, _m in found] == ["waivers[requirement='auditor-sign-off'].requirement"]
    assert "approval (sign-off) requirements cannot be waived" in found[0][2]
    r = req(gate(g), "auditor-sign-off")
    assert r.status == "fail"
    # without waiver rules in the policy (legacy), approvals still cannot be waived
    pol = policy()
    del pol["waivers"]
    g.write_governance(pol, organisation(keys))
    assert any(c == "CH042" for c, _p, _m in codes(g)) and req(gate(g), "auditor-sign-off").status == "fail"
    # the policy may allow it, explicitly
    pol = policy()
    pol["waivers"].append({"kind": "approval", "roles": ["ml-auditor"], "maxDays": 60})
    g.write_governance(pol, organisation(keys))
    assert not [c for c, _p, _m in codes(g) if c == "CH042"]
    assert req(gate(g), "auditor-sign-off").status == "waived"


def test_a_waiver_of_a_kind_no_rule_covers_is_refused(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    waive(g, requirement="production-quality", expires="2026-03-30")
    assert any(c == "CH042" and "requirements of kind 'metric' cannot be waived" in m for c, _p, m in codes(g))
    assert req(gate(g), "production-quality").status == "pass"  # judged, not waived


def test_rules_per_risk_tier(tmp_path: Path, keys: dict[str, Path]) -> None:
    pol = policy()
    pol["waivers"] = [{"kind": "drift", "riskTiers": ["minimal"], "roles": ["product-manager"], "maxDays": 365},
                      {"kind": "drift", "riskTiers": ["high"], "roles": ["ml-auditor"], "maxDays": 30}]
    g = make(tmp_path, keys, pol)
    waive(g, requirement="production-drift", owner="cleo", expires="2026-03-10")
    assert any(c == "CH042" and "'cleo' (product-manager)" in m for c, _p, m in codes(g))


def test_signed_waivers(tmp_path: Path, keys: dict[str, Path]) -> None:
    pol = policy()
    pol["waivers"][0]["signed"] = True
    g = make(tmp_path, keys, pol)
    _failing_fairness(g, keys)
    waive(g, requirement="sex-parity")
    assert any(c == "CH042" and "need `approvedBy`" in m for c, _p, m in codes(g))
    assert req(gate(g), "production-fairness").status == "fail"
    uc = g.usecases["churn"]
    w = uc["waivers"][0]
    w["approvedBy"] = "bea"
    message = waiver_message("churn", w)
    w["signature"] = signing.sign(message, signing.load_private_key(keys["bea"]))
    g.write_usecase(uc)
    assert not codes(g)
    assert req(gate(g), "production-fairness").status == "waived"
    w["expires"] = "2026-06-01"  # extended after signing
    g.write_usecase(uc)
    assert any(c == "CH042" and p.endswith("].signature") for c, p, _m in codes(g))
    assert req(gate(g), "production-fairness").status == "fail"


def test_approve_waiver_signs_the_waivers_of_a_ticket(tmp_path: Path, keys: dict[str, Path], capsys) -> None:
    pol = policy()
    pol["waivers"][0]["signed"] = True
    g = make(tmp_path, keys, pol)
    _failing_fairness(g, keys)
    waive(g, requirement="sex-parity")
    base = ["approve", "churn", "--repo", str(g.root), "--waiver", "RISK-9"]
    assert main([*base, "--by", "cleo", "--key", str(keys["cleo"])]) == 2  # a product manager may not grant it
    assert "may not grant 'fairness' waivers" in capsys.readouterr().err
    assert main([*base, "--by", "bea", "--key", str(keys["ben"])]) == 2  # not bea's key
    assert main([*base, "--by", "bea", "--key", str(keys["bea"])]) == 0
    repo = g.load(require_valid=False)
    assert not [d for d in repo.diagnostics if d.severity == "error"]
    w = repo.usecases["churn"].waivers[0]
    assert w.approved_by == "bea" and w.signature is not None
    assert req(decide(repo, g.store, "churn", "production", TODAY), "production-fairness").status == "waived"


@pytest.mark.skipif(__import__("shutil").which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")
def test_an_approval_signature_verifies_with_ssh_keygen(tmp_path: Path, keys: dict[str, Path]) -> None:
    import subprocess

    g = make(tmp_path, keys)
    entry = signed_entry(g, keys["ben"], by="ben", role="ml-auditor")
    (tmp_path / "allowed").write_text(f"ben {public(keys['ben'])}\n")
    (tmp_path / "approval.sig").write_text(entry["signature"])
    proc = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(tmp_path / "allowed"), "-I", "ben", "-n",
                           signing.NAMESPACE, "-s", str(tmp_path / "approval.sig")],
                          input=approval_message("churn", entry), capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_job_limit_loosened_after_approval_makes_it_stale(tmp_path: Path, keys: dict[str, Path]) -> None:
    g = make(tmp_path, keys)
    sign_off(g, keys)
    uc = g.usecases["churn"]
    uc["data"][0]["contract"]["columns"]["tenure"]["min"] = -100  # the contract loosened...
    g.write_usecase(uc)
    g.record_all()  # ...and the re-run passes with the same results
    r = req(gate(g), "production-sign-off")
    assert r.status == "fail" and "is stale" in r.reason
