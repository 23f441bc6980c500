"""Reading data files safely: CSV (UTF-8) or Parquet, every problem a JobError.

Columns the contract declares as ``string`` or ``category`` are read as text, so
identifiers such as ``007`` keep their leading zeros. Other columns are inferred.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import JobError

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in CSV_SUFFIXES + PARQUET_SUFFIXES:
        if name.endswith(s):
            return s
    return path.suffix.lower()


def read_table(path: Path, *, contract: Any = None, label: str | None = None, columns: list[str] | None = None):  # type: ignore[no-untyped-def]
    """A DataFrame from a CSV or Parquet file; raises JobError with a readable reason."""
    import pandas as pd

    label = label or f"'{path.name}'"
    if path.is_dir():  # a partitioned data set, read whole (runners that scale read it partition by partition)
        from .partitioned import read_dataset

        return read_dataset(path, label=label, columns=columns)
    suffix = _suffix(path)
    text_cols = []
    if contract is not None:
        text_cols = [name for name, col in contract.columns.items() if col.type in ("string", "category")]
    try:
        if suffix in PARQUET_SUFFIXES:
            try:
                df = pd.read_parquet(path)
            except ImportError:
                raise JobError(f"{label}: reading Parquet needs 'pyarrow' (pip install pyarrow)") from None
        elif suffix in CSV_SUFFIXES:
            df = pd.read_csv(
                path,
                sep="\t" if suffix == ".tsv" else ",",
                encoding="utf-8",
                encoding_errors="strict",
                dtype={c: str for c in text_cols} or None,
                low_memory=False,
            )
        else:
            raise JobError(f"{label}: unsupported file type '{suffix}'; use CSV or Parquet")
    except JobError:
        raise
    except UnicodeDecodeError as exc:
        raise JobError(f"{label} is not valid UTF-8 (byte {exc.start}): {exc.reason}") from None
    except pd.errors.EmptyDataError:
        raise JobError(f"{label} is empty: no columns to read") from None
    except pd.errors.ParserError as exc:
        raise JobError(f"{label} cannot be parsed as CSV: {str(exc).strip()}") from None
    except (ValueError, OSError) as exc:
        raise JobError(f"{label} cannot be read: {exc}") from None
    df.columns = [str(c) for c in df.columns]
    if columns is not None:
        require_columns(df, columns, label)
    return df


def require_columns(df: Any, columns: list[str], label: str) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        raise JobError(f"{label} has no column(s) {', '.join(repr(c) for c in missing)}; columns: {', '.join(df.columns[:20])}")
