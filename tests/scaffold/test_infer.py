"""Contracts inferred from CSV files, as the data-contract runner reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from charter.scaffolding.infer import InferenceError, infer, infer_together, propose_sensitive

CSV = """\
customer_id,branch_code,age,income,children,active,joined,segment,comment,score
CUST-000001,007,34,2500.5,0,true,2024-01-03,retail,called about the fee waiver and a new card,0.12
CUST-000002,012,51,,2,false,2024-02-11,premium,asked to close the savings account next month,0.80
CUST-000003,007,29,3100.25,,true,2024-03-09,retail,wants a mortgage appointment in the branch soon,0.45
CUST-000004,031,66,1800,1,,2024-03-30,business,complained about card delivery taking three weeks,1
CUST-000005,012,45,4200.75,3,true,2024-04-02,retail,,0.5
CUST-000006,007,38,2900,0,false,2024-05-17,premium,moved abroad and needs online banking access,0.33
"""


def test_types_ranges_categories_nulls_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(CSV, encoding="utf-8")
    profile = infer(path)
    assert profile.rows == 6 and len(profile.sha256) == 64
    c = {name: col.contract() for name, col in profile.columns.items()}
    assert c["customer_id"] == {"type": "string", "unique": True, "pattern": "CUST\\-[0-9]{6}"}
    assert c["branch_code"] == {"type": "category", "allowed": ["007", "012", "031"]}  # leading zeros kept
    assert c["age"] == {"type": "integer", "min": 29, "max": 66}
    assert c["income"] == {"type": "float", "nullable": True, "min": 1800.0, "max": 4200.75}
    assert c["children"] == {"type": "integer", "nullable": True, "min": 0, "max": 3}
    assert c["active"] == {"type": "boolean", "nullable": True}
    assert c["joined"] == {"type": "date"}
    assert c["segment"] == {"type": "category", "allowed": ["business", "premium", "retail"]}
    assert c["comment"] == {"type": "string", "nullable": True}
    assert profile.columns["comment"].free_text
    assert c["score"] == {"type": "float", "min": 0.12, "max": 1.0}
    assert profile.columns["customer_id"].id_like


def test_binary_integers_become_allowed_values(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("x,label\n1,0\n2,1\n3,1\n", encoding="utf-8")
    assert infer(path).columns["label"].contract() == {"type": "integer", "allowed": [0, 1]}


def test_two_batches_share_one_contract(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("id,amount,kind\n1,5,x\n2,7,y\n3,9,x\n", encoding="utf-8")
    b.write_text("id,amount,kind\n1,11,z\n2,,y\n3,2,z\n", encoding="utf-8")
    ref, cur = infer_together(a, b)
    assert ref.contract() == cur.contract()
    assert ref.columns["amount"].contract() == {"type": "integer", "nullable": True, "min": 2, "max": 11}
    assert ref.columns["kind"].allowed == ("x", "y", "z")
    assert ref.sha256 != cur.sha256
    b.write_text("id,amount\n1,2\n", encoding="utf-8")
    with pytest.raises(InferenceError, match="missing: kind"):
        infer_together(a, b)


@pytest.mark.parametrize("content,message", [
    (b"", "empty"), (b"a,b\n", "no rows"), (b"a,a\n1,2\n", "duplicate"), (b"a\n\xff\xfe\n", "UTF-8"),
])
def test_unreadable_files_are_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(InferenceError, match=message):
        infer(path)


def test_sensitive_attributes_are_proposed_from_names() -> None:
    cols = ["age", "driver_age_band", "Sex", "genderIdentity", "ethnicity", "customer_nationality_group",
            "religion", "disability_status", "marital_status", "mileage", "page_views", "average", "message",
            "usage", "income"]
    assert propose_sensitive(cols) == ["age", "driver_age_band", "Sex", "genderIdentity", "ethnicity",
                                       "customer_nationality_group", "religion", "disability_status",
                                       "marital_status"]
