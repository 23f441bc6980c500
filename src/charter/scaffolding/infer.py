"""A data contract inferred from a CSV file: types, ranges, categories, nullability, uniqueness.

Inference reads every column as text first and decides its type from the values,
as the data-contract runner will read it: a column of ``007``-style codes stays
``string`` (the runner reads string columns as text, keeping the leading zeros),
whole numbers are ``integer`` even with missing values, ISO dates are ``date``.
pandera's own ``infer_schema`` works on pandas dtypes after parsing, which loses
exactly those distinctions, and it infers neither categories nor uniqueness.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_CATEGORIES = 20
"""A text column with at most this many distinct values (and repeats) is a category."""
TEXT_MIN_MEAN_LENGTH = 30
"""A text column whose values average at least this many characters is free text."""
MAX_INFER_BYTES = 512 * 1024 * 1024

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_BOOL = {"true": True, "false": False}
_ID_CODE = re.compile(r"^([A-Za-z]+[-_]?)(\d+)$")

# Column-name tokens that suggest a protected characteristic (GDPR Art. 9, EU equality law).
SENSITIVE_TOKENS = ("age", "sex", "gender", "race", "racial", "ethnic", "ethnicity", "nationality", "national",
                    "citizenship", "religion", "religious", "belief", "disability", "disabled", "marital",
                    "pregnancy", "pregnant", "orientation", "sexuality", "caste", "birthplace")
SENSITIVE_PREFIXES = ("ethnic", "nationalit", "religio", "disab", "marital", "pregnan", "sexual", "gender")
_ID_TOKENS = ("id", "uuid", "guid", "key", "index", "idx")


class InferenceError(ValueError):
    """The file cannot be read as a table."""


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    type: str
    """Charter's contract type: string, integer, float, boolean, date or category."""
    nullable: bool
    unique: bool
    distinct: int
    min: float | int | None = None
    max: float | int | None = None
    allowed: tuple[Any, ...] | None = None
    pattern: str | None = None
    mean_length: float = 0.0
    id_like: bool = False

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "float")

    @property
    def free_text(self) -> bool:
        return self.type == "string" and self.mean_length >= TEXT_MIN_MEAN_LENGTH

    def contract(self) -> dict[str, Any]:
        """The column's entry under ``contract.columns``."""
        out: dict[str, Any] = {"type": self.type}
        if self.nullable:
            out["nullable"] = True
        if self.unique:
            out["unique"] = True
        if self.allowed is not None:
            out["allowed"] = list(self.allowed)
        elif self.numeric:
            if self.min is not None:
                out["min"] = self.min
            if self.max is not None:
                out["max"] = self.max
        if self.pattern is not None:
            out["pattern"] = self.pattern
        return out


@dataclass(frozen=True)
class DataProfile:
    path: Path
    sha256: str
    rows: int
    columns: dict[str, ColumnProfile] = field(default_factory=dict)

    def contract(self) -> dict[str, Any]:
        return {"columns": {name: c.contract() for name, c in self.columns.items()}}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def looks_sensitive(name: str) -> bool:
    tokens = _tokens(name)
    return any(t in SENSITIVE_TOKENS or t.startswith(SENSITIVE_PREFIXES) for t in tokens)


def propose_sensitive(columns: list[str]) -> list[str]:
    """Columns whose names suggest a protected characteristic (a proposal for a person to confirm)."""
    return [c for c in columns if looks_sensitive(c)]


def _looks_like_id(name: str) -> bool:
    tokens = _tokens(name)
    return bool(tokens) and tokens[-1] in _ID_TOKENS


def read_text_frame(path: Path) -> Any:
    """Every cell as text (missing cells as NA), so types are decided from the values."""
    import pandas as pd

    if not path.is_file():
        raise InferenceError(f"{path} is not a file")
    if path.stat().st_size > MAX_INFER_BYTES:
        raise InferenceError(f"{path} is larger than {MAX_INFER_BYTES // (1024 * 1024)} MB")
    if path.suffix.lower() not in (".csv", ".tsv"):
        raise InferenceError(f"{path.name}: expected a .csv (or .tsv) file")
    try:
        df = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",", dtype=str,
                         encoding="utf-8", encoding_errors="strict", keep_default_na=True, low_memory=False)
    except UnicodeDecodeError as exc:
        raise InferenceError(f"{path.name} is not valid UTF-8 (byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise InferenceError(f"{path.name} is empty: no columns to read") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise InferenceError(f"{path.name} cannot be read as CSV: {str(exc).strip()}") from None
    df.columns = [str(c) for c in df.columns]
    header = _header(path, "\t" if path.suffix.lower() == ".tsv" else ",")
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InferenceError(f"{path.name} has duplicate column names: {', '.join(dupes)}")
    if df.empty:
        raise InferenceError(f"{path.name} has no rows")
    return df


def _header(path: Path, sep: str) -> list[str]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh, delimiter=sep), [])


def _number(text: str) -> float:
    return float(text)


def _profile_column(name: str, values: Any, n_rows: int) -> ColumnProfile:
    present = values.dropna()
    present = present[present.str.strip() != ""]
    nullable = len(present) < n_rows
    distinct_values = present.unique().tolist()
    distinct = len(distinct_values)
    unique = distinct == n_rows and n_rows > 1 and not nullable
    id_like = _looks_like_id(name)
    if distinct == 0:
        return ColumnProfile(name, "string", True, False, 0, id_like=id_like)
    stripped = [str(v).strip() for v in distinct_values]
    if all(v.lower() in _BOOL for v in stripped):
        return ColumnProfile(name, "boolean", nullable, False, distinct)
    if all(_INT.match(v) for v in stripped):
        leading_zero = any(len(v.lstrip("+-")) > 1 and v.lstrip("+-").startswith("0") for v in stripped)
        if not leading_zero:
            ints = sorted({int(v) for v in stripped})
            allowed = tuple(ints) if len(ints) <= 2 and not id_like else None
            return ColumnProfile(name, "integer", nullable, unique and id_like, distinct, ints[0], ints[-1],
                                 allowed=allowed, id_like=id_like)
    elif all(_FLOAT.match(v) or _INT.match(v) for v in stripped):
        floats = [_number(v) for v in stripped]
        if all(math.isfinite(f) for f in floats):
            return ColumnProfile(name, "float", nullable, False, distinct, min(floats), max(floats))
    if all(_DATE.match(v) for v in stripped):
        return ColumnProfile(name, "date", nullable, unique and id_like, distinct)
    mean_length = float(present.str.len().mean())
    if not unique and distinct <= MAX_CATEGORIES and distinct < len(present) and mean_length < TEXT_MIN_MEAN_LENGTH:
        return ColumnProfile(name, "category", nullable, False, distinct, allowed=tuple(sorted(stripped)),
                             mean_length=mean_length)
    pattern = None
    if unique:
        codes = [_ID_CODE.match(v) for v in stripped]
        if all(codes):
            prefixes = {m.group(1) for m in codes if m}
            widths = {len(m.group(2)) for m in codes if m}
            if len(prefixes) == 1 and len(widths) == 1:
                pattern = f"{re.escape(prefixes.pop())}[0-9]{{{widths.pop()}}}"
    return ColumnProfile(name, "string", nullable, unique, distinct, pattern=pattern, mean_length=mean_length,
                         id_like=id_like or unique)


def profile_frame(df: Any, path: Path, sha256: str) -> DataProfile:
    columns = {name: _profile_column(name, df[name], len(df)) for name in df.columns}
    return DataProfile(path=path, sha256=sha256, rows=len(df), columns=columns)


def infer(path: Path) -> DataProfile:
    """The profile of one CSV file: its sha256 and each column's contract."""
    return profile_frame(read_text_frame(path), path, sha256_file(path))


def infer_together(reference: Path, current: Path) -> tuple[DataProfile, DataProfile]:
    """Profiles of two batches of the same data with one contract that both satisfy.

    The contract is inferred from both files, so the later batch passes its contract
    check where its ranges or categories widen, and drift (not the contract) reports
    the shift. Uniqueness is judged per file."""
    import pandas as pd

    ref, cur = read_text_frame(reference), read_text_frame(current)
    if list(ref.columns) != list(cur.columns):
        missing = [c for c in ref.columns if c not in cur.columns]
        extra = [c for c in cur.columns if c not in ref.columns]
        detail = "; ".join(p for p in (f"missing: {', '.join(missing)}" if missing else "",
                                       f"extra: {', '.join(extra)}" if extra else "") if p) or "order differs"
        raise InferenceError(f"{current.name} does not have the columns of {reference.name} ({detail})")
    both = pd.concat([ref, cur], ignore_index=True)
    joint = profile_frame(both, reference, "")
    ref_p, cur_p = profile_frame(ref, reference, sha256_file(reference)), profile_frame(cur, current,
                                                                                       sha256_file(current))
    merged = {}
    for name, col in joint.columns.items():
        unique = ref_p.columns[name].unique and cur_p.columns[name].unique
        merged[name] = ColumnProfile(col.name, col.type, col.nullable, unique and col.type in ("string", "integer"),
                                     col.distinct, col.min, col.max, col.allowed,
                                     col.pattern if unique else None, col.mean_length,
                                     col.id_like or ref_p.columns[name].id_like)
    return (DataProfile(reference, ref_p.sha256, ref_p.rows, merged),
            DataProfile(current, cur_p.sha256, cur_p.rows, dict(merged)))
