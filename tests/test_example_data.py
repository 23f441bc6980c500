"""The committed example data sets match the seeded generator and look sane."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "scripts" / "generate_example_data.py"


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_example_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()

CREDIT = "usecases/credit-default-risk/data/loan_applications.csv"
CREDIT_Q3 = "usecases/credit-default-risk/data/loan_applications_2026q3.csv"
CLAIMS = "usecases/claims-cost-estimation/data/motor_claims.csv"
CLAIMS_Q3 = "usecases/claims-cost-estimation/data/motor_claims_2026q3.csv"
TICKETS = "usecases/support-ticket-routing/data/support_tickets.csv"
FRAUD = "usecases/vendor-fraud-score-audit/data/card_transactions_scored.csv"
CASH = "usecases/branch-cash-demand/data/branch_cash_daily.csv"
CHURN = "usecases/customer-churn-retention/data/customers.csv"
QUEUE = "usecases/claims-queue-prioritisation/data/claims_work_queue.csv"
COMPLAINTS = "usecases/complaint-category-routing/data/complaints.csv"

# file -> (rows, id column, non-null columns)
EXPECTED = {
    CREDIT: (20_000, "application_id", ["age", "age_band", "sex", "loan_amount", "term_months", "debt_to_income",
                                        "num_open_accounts", "num_delinquencies", "employment_type",
                                        "home_ownership", "region", "defaulted"]),
    CREDIT_Q3: (5_000, "application_id", ["age", "age_band", "sex", "loan_amount", "debt_to_income", "region",
                                          "employment_type", "defaulted"]),
    CLAIMS: (12_000, "claim_id", ["vehicle_age", "vehicle_value_eur", "driver_age", "driver_age_band", "region",
                                  "claim_type", "police_report", "prior_claims", "claim_cost_eur"]),
    CLAIMS_Q3: (3_000, "claim_id", ["driver_age_band", "claim_type", "claim_cost_eur"]),
    TICKETS: (3_000, "ticket_id", ["text", "queue", "language", "channel", "customer_segment"]),
    FRAUD: (30_000, "transaction_id", ["amount_eur", "merchant_category", "card_present", "hour_of_day",
                                       "customer_age_band", "customer_nationality_group", "vendor_score",
                                       "vendor_flag", "is_fraud"]),
    CASH: (21_600, None, ["branch_id", "date", "day_of_week", "is_holiday", "is_payday_week", "branch_size",
                          "urban", "region", "withdrawals_eur"]),
    CHURN: (8_000, "customer_id", ["tenure_months", "products_held", "digital_active", "complaints_12m",
                                   "age_band", "sex", "segment", "churned"]),
    QUEUE: (5_244, "claim_id", ["queue_id", "handling_site", "channel", "claim_type", "days_open", "urgency_grade",
                                "priority_score"]),
    COMPLAINTS: (6_000, "complaint_id", ["product", "channel", "money_disputed", "amount_disputed_eur",
                                         "unrecognised_transaction", "waiting_days", "age_band", "category"]),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("example-data")
    assert gen.main(["--out", str(root)]) == 0
    return root


@pytest.fixture(scope="module")
def frames(generated: Path) -> dict[str, pd.DataFrame]:
    return {rel: pd.read_csv(generated / rel) for rel in EXPECTED}


def test_every_data_set_is_covered():
    assert set(gen.DATASETS) == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_committed_file_is_byte_identical(generated: Path, rel: str):
    committed = REPO_ROOT / rel
    assert committed.is_file(), f"{rel} is not committed; run python scripts/generate_example_data.py"
    assert committed.read_bytes() == (generated / rel).read_bytes(), (
        f"{rel} differs from the generator output; run python scripts/generate_example_data.py"
    )


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_shape_ids_and_non_null(frames, rel: str):
    rows, id_col, non_null = EXPECTED[rel]
    df = frames[rel]
    assert len(df) == rows
    if id_col is not None:
        assert df[id_col].notna().all() and df[id_col].is_unique
    for col in non_null:
        assert df[col].notna().all(), f"{rel}: {col} has missing values"
    assert (REPO_ROOT / rel).stat().st_size < 3_000_000


def test_credit(frames):
    df, recent = frames[CREDIT], frames[CREDIT_Q3]
    assert list(df.columns) == list(recent.columns)
    assert df["application_id"].iloc[0] == "APP-000001"
    assert 0.10 <= df["defaulted"].mean() <= 0.14
    assert set(df["age_band"]) == set(gen.AGE_BANDS)
    assert set(df["term_months"]) == {12, 24, 36, 48, 60}
    assert df["age"].between(18, 80).all()
    assert df["debt_to_income"].between(0, 1.5).all()
    assert (df["income"].dropna() > 0).all()
    assert df["credit_history_years"].dropna().between(0, 50).all()
    assert df["num_open_accounts"].between(0, 30).all() and df["num_delinquencies"].between(0, 15).all()
    rates = df.groupby("age_band")["defaulted"].mean()
    assert rates["18-25"] > rates["36-50"]  # mild disparity via correlated features
    assert recent["income"].median() > df["income"].median() * 1.04
    assert (recent["employment_type"] == "self-employed").mean() > (df["employment_type"] == "self-employed").mean()
    assert set(recent["application_id"]).isdisjoint(df["application_id"])


def test_claims(frames):
    df = frames[CLAIMS]
    assert (df["claim_cost_eur"] > 0).all()
    assert df["claim_cost_eur"].mean() > df["claim_cost_eur"].median()  # right-skewed
    assert set(df["claim_type"]) == {"collision", "theft", "glass", "weather", "third-party"}
    assert 0 < df["days_to_report"].isna().mean() < 0.1
    assert (df["days_to_report"].dropna() >= 0).all()
    assert list(frames[CLAIMS_Q3].columns) == list(df.columns)


def test_tickets(frames):
    df = frames[TICKETS]
    assert set(df["queue"]) == {"cards", "loans", "online-banking", "fraud", "accounts"}
    shares = df["language"].value_counts(normalize=True)
    assert 0.65 <= shares["en"] <= 0.75 and 0.15 <= shares["de"] <= 0.25 and 0.07 <= shares["fr"] <= 0.13
    counts = df["queue"].value_counts()
    assert counts.max() > 2.5 * counts.min()  # imbalanced
    assert df["text"].nunique() > 0.9 * len(df)


def test_vendor_scores(frames):
    df = frames[FRAUD]
    assert 0.015 <= df["is_fraud"].mean() <= 0.03
    assert df["vendor_score"].between(0, 1).all()
    assert ((df["vendor_score"] >= 0.5).astype(int) == df["vendor_flag"]).all()
    legit = df[df["is_fraud"] == 0]
    fpr = legit.groupby("customer_nationality_group")["vendor_flag"].mean()
    assert fpr["non-eu"] > 3 * fpr["domestic"]


def test_branch_cash(frames):
    df = frames[CASH]
    assert df["branch_id"].nunique() == 40 and df["date"].nunique() == 540
    assert not df.duplicated(["branch_id", "date"]).any()
    assert (df["withdrawals_eur"] > 0).all()


def test_churn(frames):
    df = frames[CHURN]
    assert 0.12 <= df["churned"].mean() <= 0.22


def test_check_flags_a_modified_file(generated: Path, tmp_path: Path, capsys, monkeypatch):
    # Restrict --check to one small data set to keep the test fast.
    monkeypatch.setattr(gen, "DATASETS", {CHURN: gen.DATASETS[CHURN]})
    monkeypatch.setattr(gen, "TEXT_FILES", {})
    root = tmp_path / "root"
    (root / CHURN).parent.mkdir(parents=True)
    (root / CHURN).write_bytes((generated / CHURN).read_bytes())
    assert gen.main(["--check", "--out", str(root)]) == 0
    with open(root / CHURN, "a", encoding="utf-8") as fh:
        fh.write("CUST-999999,1,1,0.00,1,0,18-25,female,retail,0\n")
    assert gen.main(["--check", "--out", str(root)]) == 1
    assert CHURN in capsys.readouterr().err
