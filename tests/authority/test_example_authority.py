"""The example's authority: approvers' keys, signed production approvals, clean lineage, waiver rules."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from charter import signing
from charter.approvals import approve, waiver_problems
from charter.engine.store import EvidenceStore
from charter.gates import decide
from charter.loading.loader import load_repository

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "tests" / "fixtures" / "keys"


def test_every_approver_lists_the_key_whose_private_half_is_a_fixture() -> None:
    repo = load_repository(ROOT)
    approvers = [p for p in repo.organisation.people if {"ml-auditor", "product-manager"} & set(p.roles)]
    assert approvers
    for person in approvers:
        private = signing.load_private_key(KEYS / person.id)
        listed = [signing.parse_public_key(k).blob for k in person.signing_keys]
        assert listed == [signing.public_key_of(private).blob], person.id
    # private halves live only here, one per approver
    assert sorted(p.name for p in KEYS.iterdir() if p.name != "README.md") == sorted(p.id for p in approvers)


def test_the_example_policy_requires_signed_approvals_clean_lineage_and_waiver_authority() -> None:
    repo = load_repository(ROOT)
    assert repo.policy.approvals.signed_for == ["production"]
    assert repo.policy.lineage.clean_for == ["production"]
    assert not any(r.kind == "approval" for r in repo.policy.waivers or ())
    today = dt.date(2026, 12, 1)
    for uc in repo.usecases.values():
        for w in uc.waivers:
            assert waiver_problems(repo, uc, w, today) == [], (uc.id, w.ticket)


def test_signing_the_example_approvals_keeps_its_gate_outcomes(tmp_path: Path) -> None:
    """What scripts/sign_example_approvals.py does, on a copy: credit passes with its age waivers, vendor fails."""
    for folder in ("governance", "usecases", "evidence"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    today = dt.date.today()
    repo = load_repository(tmp_path)
    for uc_id, uc in sorted(repo.usecases.items()):
        for a in uc.approvals:
            out = approve(load_repository(tmp_path), EvidenceStore(tmp_path), uc_id, stage=a.stage, by=a.by,
                          role=a.role, today=today, expires=a.expires, note=a.note, key=KEYS / a.by, date=a.date,
                          replace=True)
            assert out.status in ("recorded", "unchanged"), out.problems
    repo = load_repository(tmp_path)
    assert not repo.errors and not [d for d in repo.diagnostics if d.code == "CH043"]
    store = EvidenceStore(tmp_path)
    credit = decide(repo, store, "credit-default-risk", today=today)
    assert credit.passed, [(r.id, r.reason) for r in credit.requirements if r.status not in ("pass", "waived")]
    assert {w["requirement"] for w in credit.applied_waivers} == {"age-decline-parity", "age-error-parity"}
    assert not decide(repo, store, "vendor-fraud-score-audit", today=today).passed
