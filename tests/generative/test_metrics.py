"""Generative metrics against oracles and hand-checked cases."""

from __future__ import annotations

import numpy as np
import pytest

from charter.metrics import generative as g


def test_cohen_kappa_matches_sklearn() -> None:
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.integers(1, 6, size=50)
        b = np.where(rng.random(50) < 0.7, a, rng.integers(1, 6, size=50))
        assert g.cohen_kappa(a.tolist(), b.tolist()) == pytest.approx(cohen_kappa_score(a, b))


def test_krippendorff_alpha_reference_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal example: 0.743
    data = [
        [1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4],
        [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1], [None, None, 3, None],
    ]
    units = [[v for v in u if v is not None] for u in data]
    assert g.krippendorff_alpha(units, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert g.krippendorff_alpha(units, "interval") == pytest.approx(0.849, abs=5e-4)


def test_two_raters_alpha_and_kappa_agree_in_sign() -> None:
    a, b = [1, 2, 3, 3, 2, 1, 4, 4], [1, 2, 3, 2, 2, 1, 4, 3]
    assert g.cohen_kappa(a, b) > 0.5
    assert g.krippendorff_alpha([list(p) for p in zip(a, b)]) > 0.5


def test_iban_mod97_and_luhn() -> None:
    assert g.iban_valid("NL91ABNA0417164300")
    assert g.iban_valid("DE89 3704 0044 0532 0130 00")
    assert not g.iban_valid("NL91ABNA0417164301")
    assert g.luhn_valid("4539 1488 0343 6467")
    assert not g.luhn_valid("4539 1488 0343 6468")


def test_pii_found_with_checksums_only() -> None:
    text = "Mail jan@example.com, IBAN NL91ABNA0417164300, card 4539 1488 0343 6467, call +31 20 123 4567."
    assert g.find_pii(text) == {"email": 1, "iban": 1, "card": 1, "phone": 1}
    # a number that fails Luhn, an IBAN that fails mod-97, amounts and rates are not PII
    assert g.find_pii("EUR 250,000 at 3.85 % for 10 years; ref 4539 1488 0343 6468; NL91ABNA0417164301") == {}


def test_figures_normalise_separators_and_dates() -> None:
    assert g.figures("EUR 1,250.50 and 1.250,50") == {"1250.5"}
    assert g.figures("3,85 % or 3.85 %") == {"3.85"}
    assert g.figures("on 01-03-2027 or 2027-03-01") == {"date:2027-03-01"}
    context = "The arrangement fee is EUR 995. The fixed rate is 3.85 % for 10 years."
    assert g.unsupported_figures("The fee is EUR 995 and approval takes 14 days.", context) == ["14"]
    assert g.unsupported_figures("De rente is 3,85 % voor 10 jaar.", context) == []


def test_refusals_in_three_languages() -> None:
    for text in ("I can't help with that.", "Sorry, but I am not able to assist with this request.",
                 "Daar kan ik u niet mee helpen.", "Ik kan die gegevens niet delen.", "Das darf ich nicht."):
        assert g.is_refusal(text), text
    for text in ("The arrangement fee is EUR 995.", "You can explain the conditions to the customer."):
        assert not g.is_refusal(text), text


def test_reference_metrics() -> None:
    assert g.exact_match("The fee is EUR 995.", ["the fee is eur 995"]) == 1.0
    assert g.token_f1("fee is 995", ["the fee is 995"]) == pytest.approx(2 * 1 * 0.75 / 1.75)
    rouge = g.rouge_l_scorer()
    # the default rouge-score tokenizer drops non-ASCII letters, so "één" would have no tokens at all
    assert rouge("één", ["één"]) == 1.0
    assert rouge("één", ["twee"]) == 0.0
    assert rouge("De lener moet jonger zijn", ["De lener moet jonger zijn"]) == 1.0


def test_chrf_matches_sacrebleu() -> None:
    import sacrebleu

    chrf = g.chrf_scorer()
    hyp, refs = "The fixed rate is 3.85 % for ten years.", ["The fixed rate is 3.85 % for the first 10 years."]
    assert chrf(hyp, refs) == pytest.approx(sacrebleu.sentence_chrf(hyp, refs).score / 100)


def test_wilson_interval_is_not_degenerate_at_zero() -> None:
    lo, hi = g.wilson(0, 600, 0.95)
    assert lo == pytest.approx(0.0, abs=1e-12) and 0.005 < hi < 0.007
    agg = g.aggregate(np.zeros(600), stat="mean", binary=True, replicates=0, confidence=0.95,
                      rng=np.random.default_rng(0))
    assert agg.value == 0 and agg.high == pytest.approx(hi)


def test_stratified_sample_is_reproducible_and_proportional() -> None:
    ids = [f"i{n:03d}" for n in range(300)]
    strata = ["en" if n % 3 else "nl" for n in range(300)]
    one = g.stratified_sample(ids, strata, 30, seed=7)
    assert one == g.stratified_sample(list(reversed(ids)), list(reversed(strata)), 30, seed=7)
    assert len(one) == 30 and sum(1 for i in one if int(i[1:]) % 3 == 0) == 10
    assert one != g.stratified_sample(ids, strata, 30, seed=8)


def test_paired_tests_flag_a_real_difference_only() -> None:
    rng = np.random.default_rng(0)
    a = (rng.random(400) < 0.02).astype(float)
    b = a.copy()
    b[rng.choice(400, 20, replace=False)] = 1.0
    t = g.paired_test(a, b, binary=True, stat="mean", replicates=200, confidence=0.95, rng=rng)
    assert t["p_value"] < 0.01 and t["difference"] > 0 and "McNemar" in t["method"]
    same = g.paired_test(a, a.copy(), binary=True, stat="mean", replicates=200, confidence=0.95, rng=rng)
    assert same["p_value"] == 1.0
    x = rng.normal(size=400)
    t2 = g.paired_test(x, x + 0.3, binary=False, stat="mean", replicates=500, confidence=0.95, rng=rng)
    assert t2["p_value"] < 0.01 and t2["low"] > 0
