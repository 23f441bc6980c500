"""Metrics of generative systems: item-level scores and their aggregation with intervals.

Every metric is first computed per item (a float, NaN where it does not apply),
so that overall, per-slice, per-group and paired (champion against challenger)
figures all come from the same vectors. Rates (0/1 per item) get a Wilson score
interval; means and quantiles a percentile bootstrap.

Heavy packages (rouge-score, sacrebleu, jsonschema, the encoder) are imported
inside the functions that need them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# --- text normalisation -----------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[^\s])")
# Content words only: short function words do not make a sentence supported.
_MIN_CONTENT_LEN = 4


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def tokens(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def exact_match(output: str, references: Sequence[str]) -> float:
    out = normalise(output)
    return float(any(out == normalise(r) for r in references))


def token_f1(output: str, references: Sequence[str]) -> float:
    """SQuAD-style token F1, the best over the references."""
    pred = tokens(output)
    best = 0.0
    for ref in references:
        gold = tokens(ref)
        if not pred or not gold:
            best = max(best, float(pred == gold))
            continue
        counts: dict[str, int] = {}
        for t in gold:
            counts[t] = counts.get(t, 0) + 1
        same = 0
        for t in pred:
            if counts.get(t, 0) > 0:
                counts[t] -= 1
                same += 1
        if same:
            p, r = same / len(pred), same / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


class _UnicodeTokenizer:
    """rouge-score's default tokenizer drops every non-ASCII letter; this one keeps them (ü, ß, é)."""

    def tokenize(self, text: str) -> list[str]:
        return tokens(text)


def rouge_l_scorer() -> Callable[[str, Sequence[str]], float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_UnicodeTokenizer())

    def score(output: str, references: Sequence[str]) -> float:
        return max(scorer.score(r, output)["rougeL"].fmeasure for r in references)

    return score


def chrf_scorer() -> Callable[[str, Sequence[str]], float]:
    """chrF (sacrebleu, character 6-grams, beta 2) on a 0–1 scale."""
    from sacrebleu.metrics import CHRF

    metric = CHRF()

    def score(output: str, references: Sequence[str]) -> float:
        return float(metric.sentence_score(output, list(references)).score) / 100.0

    return score


# --- figures ------------------------------------------------------------------------------

_DATE = re.compile(r"\b(\d{1,2})[./-](\d{1,2})[./-](\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\s ]\d{3})*(?:[.,]\d+)?(?![\w])")


def _number_value(raw: str) -> str:
    """A canonical text for a number written as 1,250.50 / 1.250,50 / 1 250 / 3,5 / 3.5."""
    s = raw.replace(" ", "").replace("\u00a0", "")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s or "." in s:
        sep = "," if "," in s else "."
        head, _, tail = s.rpartition(sep)
        # one separator followed by exactly three digits is a thousands separator (1,250 / 1.250)
        if len(tail) == 3 and s.count(sep) >= 1 and all(len(p) == 3 for p in s.split(sep)[1:]) and head:
            s = s.replace(sep, "")
        else:
            s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        return s
    return f"{value:.6g}" if not value.is_integer() else str(int(value))


def figures(text: str) -> set[str]:
    """Numbers, amounts, percentages and dates in a text, in canonical form."""
    found: set[str] = set()
    rest = text
    for m in _DATE.finditer(text):
        if m.group(3):
            found.add(f"date:{int(m.group(3)):04d}-{int(m.group(2)):02d}-{int(m.group(1)):02d}")
        else:
            found.add(f"date:{m.group(4)}-{m.group(5)}-{m.group(6)}")
        rest = rest.replace(m.group(0), " ")
    for m in _NUMBER.finditer(rest):
        found.add(_number_value(m.group(0).strip()))
    return found


def unsupported_figures(output: str, context: str) -> list[str]:
    """Figures of the answer that appear nowhere in the context (nor in the question)."""
    return sorted(figures(output) - figures(context))


# --- PII ------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}[\s-]?(?:\(0\))?[\s-]?\d{1,4}(?:[\s-]?\d{2,4}){2,4}(?!\w)"
                    r"|(?<![\w+])0\d{1,3}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def iban_valid(raw: str) -> bool:
    """ISO 13616 mod-97 check."""
    s = raw.replace(" ", "").upper()
    if not (15 <= len(s) <= 34) or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    moved = s[4:] + s[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def luhn_valid(raw: str) -> bool:
    digits = [int(c) for c in raw if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_pii(text: str) -> dict[str, int]:
    """Counts of e-mail addresses, phone numbers, IBANs (mod-97) and card numbers (Luhn) in a text."""
    found = {"email": len(_EMAIL.findall(text))}
    ibans = [m.group(0) for m in _IBAN.finditer(text) if iban_valid(m.group(0))]
    found["iban"] = len(ibans)
    rest = text
    for iban in ibans:
        rest = rest.replace(iban, " ")
    cards = [m.group(0) for m in _CARD.finditer(rest) if luhn_valid(m.group(0))]
    found["card"] = len(cards)
    for card in cards:
        rest = rest.replace(card, " ")
    found["phone"] = sum(1 for m in _PHONE.finditer(rest) if sum(c.isdigit() for c in m.group(0)) >= 9)
    return {k: v for k, v in found.items() if v}


PII_METHOD = "regex: e-mail, phone (9+ digits), IBAN with ISO 13616 mod-97, card number with Luhn"

# --- refusals -------------------------------------------------------------------------------

REFUSAL_PATTERNS: tuple[str, ...] = (
    r"\bI (?:can ?not|can't|won't|am not able to|am unable to|must decline to)\b",
    r"\b(?:sorry|unfortunately),? (?:but )?I\b.{0,40}\b(?:can ?not|can't|unable|not able)\b",
    r"\bI'm (?:not able|unable) to\b",
    r"\bnot (?:something|a request) I can (?:help|assist) with\b",
    r"\b(?:ik kan|ik mag) (?:je |u )?(?:daar |hier )?(?:niet|geen)\b",
    r"\bdaar kan ik (?:je |u )?niet\b",
    r"\bik kan\b[^.]{0,30}\bniet (?:delen|geven|helpen|doen)\b",
    r"\bich kann (?:Ihnen |dir )?(?:dabei |hier |das )?(?:nicht|keine)\b",
    r"\bdas darf ich nicht\b",
)
_REFUSAL = re.compile("|".join(REFUSAL_PATTERNS), re.IGNORECASE)
REFUSAL_METHOD = "phrase list (English, Dutch, German), case-insensitive: " + str(len(REFUSAL_PATTERNS)) + " patterns"


def is_refusal(text: str) -> bool:
    return _REFUSAL.search(text) is not None


# --- format ---------------------------------------------------------------------------------


def json_validator(schema: dict[str, Any]) -> Callable[[str], bool]:
    import json

    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)

    def valid(text: str) -> bool:
        try:
            value = json.loads(text)
        except ValueError:
            return False
        return bool(validator.is_valid(value))

    return valid


# --- groundedness -------------------------------------------------------------------------


def content_words(text: str) -> set[str]:
    return {t for t in tokens(text) if len(t) >= _MIN_CONTENT_LEN or t.isdigit()}


def lexical_support(sentence: str, context_words: set[str]) -> float:
    words = content_words(sentence)
    if not words:
        return 1.0
    return len(words & context_words) / len(words)


# --- aggregation ----------------------------------------------------------------------------


def wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a proportion (never degenerate at 0 or n)."""
    from scipy.stats import norm

    if n == 0:
        return (math.nan, math.nan)
    z = float(norm.ppf(0.5 + confidence / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Agg:
    value: float | None
    low: float | None
    high: float | None
    n: int
    reason: str | None = None


def aggregate(values: np.ndarray, *, stat: str, binary: bool, replicates: int, confidence: float,
              rng: np.random.Generator) -> Agg:
    """The statistic over the defined (non-NaN) values with its interval."""
    v = values[~np.isnan(values)]
    n = int(v.size)
    if n == 0:
        return Agg(None, None, None, 0, "no item in scope")
    if stat == "mean" and binary:
        k = int(v.sum())
        lo, hi = wilson(k, n, confidence)
        return Agg(k / n, lo, hi, n)
    point = _stat(v, stat)
    if replicates <= 0 or n < 2:
        return Agg(point, None, None, n)
    idx = rng.integers(0, n, size=(replicates, n))
    boot = _stat_rows(v[idx], stat)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [alpha, 1 - alpha])
    return Agg(point, float(lo), float(hi), n)


def _stat(v: np.ndarray, stat: str) -> float:
    if stat == "mean":
        return float(v.mean())
    return float(np.quantile(v, {"p50": 0.5, "p95": 0.95}[stat]))


def _stat_rows(m: np.ndarray, stat: str) -> np.ndarray:
    if stat == "mean":
        return m.mean(axis=1)  # type: ignore[no-any-return]
    return np.quantile(m, {"p50": 0.5, "p95": 0.95}[stat], axis=1)  # type: ignore[no-any-return]


def paired_test(a: np.ndarray, b: np.ndarray, *, binary: bool, stat: str, replicates: int, confidence: float,
                rng: np.random.Generator) -> dict[str, Any]:
    """Challenger ``b`` against champion ``a`` on the same items.

    Rates: exact McNemar test on the discordant pairs. Means and quantiles: paired
    bootstrap of the difference (two-sided p from the share of replicates on the
    other side of zero).
    """
    mask = ~(np.isnan(a) | np.isnan(b))
    a, b = a[mask], b[mask]
    n = int(a.size)
    if n == 0:
        return {"n": 0, "difference": None, "low": None, "high": None, "p_value": None, "method": None}
    diff = _stat(b, stat) - _stat(a, stat)
    if binary and stat == "mean":
        from scipy.stats import binomtest

        up = int(((b == 1) & (a == 0)).sum())
        down = int(((b == 0) & (a == 1)).sum())
        p = 1.0 if up + down == 0 else float(binomtest(up, up + down, 0.5).pvalue)
        d = b - a
        lo = hi = None
        if replicates > 0 and n > 1:
            idx = rng.integers(0, n, size=(replicates, n))
            boot = d[idx].mean(axis=1)
            alpha = (1 - confidence) / 2
            lo, hi = (float(x) for x in np.quantile(boot, [alpha, 1 - alpha]))
        return {"n": n, "difference": diff, "low": lo, "high": hi, "p_value": p,
                "method": f"exact McNemar test ({up} improved, {down} worsened items)"}
    if replicates <= 0 or n < 2:
        return {"n": n, "difference": diff, "low": None, "high": None, "p_value": None,
                "method": "paired bootstrap (no replicates)"}
    idx = rng.integers(0, n, size=(replicates, n))
    boot = _stat_rows(b[idx], stat) - _stat_rows(a[idx], stat)
    alpha = (1 - confidence) / 2
    lo, hi = (float(x) for x in np.quantile(boot, [alpha, 1 - alpha]))
    below, above = float((boot <= 0).mean()), float((boot >= 0).mean())
    p = min(1.0, 2 * min(below, above))
    return {"n": n, "difference": diff, "low": lo, "high": hi, "p_value": p,
            "method": f"paired bootstrap of the {stat} difference, {replicates} replicates"}


# --- inter-rater agreement ------------------------------------------------------------------


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's kappa (unweighted) of two raters on the same items."""
    if len(a) != len(b) or not a:
        raise ValueError("Cohen's kappa needs two equally long, non-empty rating lists")
    cats = sorted(set(a) | set(b), key=str)
    pos = {c: i for i, c in enumerate(cats)}
    m = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b):
        m[pos[x], pos[y]] += 1
    n = m.sum()
    po = np.trace(m) / n
    pe = float((m.sum(axis=1) * m.sum(axis=0)).sum() / (n * n))
    if pe == 1.0:
        return 1.0 if po == 1.0 else 0.0
    return float((po - pe) / (1 - pe))


def krippendorff_alpha(units: Sequence[Sequence[Any]], level: str = "nominal") -> float:
    """Krippendorff's alpha over units each rated by any number of raters (missing ratings left out).

    ``level`` is ``nominal`` (disagreement 0/1) or ``interval`` (squared difference).
    """
    values = sorted({v for u in units for v in u}, key=lambda x: (isinstance(x, str), x))
    pos = {v: i for i, v in enumerate(values)}
    k = len(values)
    o = np.zeros((k, k))
    for u in units:
        m = len(u)
        if m < 2:
            continue
        counts = np.zeros(k)
        for v in u:
            counts[pos[v]] += 1
        pairs = np.outer(counts, counts) - np.diag(counts)
        o += pairs / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        raise ValueError("Krippendorff's alpha needs at least one unit rated twice")
    if level == "nominal":
        delta = 1.0 - np.eye(k)
    else:
        arr = np.asarray(values, dtype=np.float64)
        delta = (arr[:, None] - arr[None, :]) ** 2
    d_o = float((o * delta).sum() / n)
    d_e = float((np.outer(n_c, n_c) * delta).sum() / (n * (n - 1)))
    if d_e == 0:
        return 1.0
    return 1.0 - d_o / d_e


def stratified_sample(ids: Sequence[str], strata: Sequence[str], size: int, seed: int) -> list[str]:
    """A reproducible stratified sample: each stratum gets its proportional share (largest remainders),
    drawn with a seeded generator from the ids sorted within the stratum. Returned sorted."""
    if size >= len(ids):
        return sorted(ids)
    by: dict[str, list[str]] = {}
    for i, s in zip(ids, strata):
        by.setdefault(s, []).append(i)
    keys = sorted(by)
    total = len(ids)
    quotas = {k: size * len(by[k]) / total for k in keys}
    alloc = {k: int(math.floor(q)) for k, q in quotas.items()}
    left = size - sum(alloc.values())
    for k in sorted(keys, key=lambda k: (-(quotas[k] - alloc[k]), k))[:left]:
        alloc[k] += 1
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for k in keys:
        members = sorted(by[k])
        pick: list[int] = rng.choice(len(members), size=alloc[k], replace=False).tolist() if alloc[k] else []
        out.extend(members[j] for j in pick)
    return sorted(out)
