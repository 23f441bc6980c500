"""Partitioned data sets: a folder of Parquet files standing for one data source.

A data source's ``path`` may name a folder instead of a file. Its partitions are
the ``.parquet``/``.pq`` files under it (sub-folders included, as Hive-style
``year=2026/part-0.parquet`` layouts write them), in the order of their POSIX
paths relative to the folder; hidden and bookkeeping files (``.crc``,
``_SUCCESS``, ``_metadata``: names starting with ``.`` or ``_``) are not
partitions. A symbolic link anywhere under the folder is refused: a partition
must not lead outside the repository.

The pinned ``sha256`` of a partitioned source is :func:`dataset_sha256`: the
sha256 over ``<relative path>\\0<file sha256>\\n`` of each partition, the form
:func:`charter.io.fs.tree_sha256` uses for artifact folders, so renaming,
adding, removing or changing any partition changes it. ``charter validate``
checks it like a file's; the runners check it again before they read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from ..io.fs import file_sha256

PARTITION_SUFFIXES = (".parquet", ".pq")


class DatasetError(ValueError):
    """A folder that is not a usable partitioned data set (no partitions, a symbolic link)."""


def _is_partition(name: str) -> bool:
    return not name.startswith((".", "_")) and name.lower().endswith(PARTITION_SUFFIXES)


def is_dataset(path: Path) -> bool:
    """Whether ``path`` is a folder (a partitioned data set; :func:`partitions` says whether it is usable)."""
    return Path(path).is_dir()


def partitions(path: Path) -> list[Path]:
    """The partition files of a data set folder, sorted by relative POSIX path; DatasetError if none or a link."""
    root = Path(path)
    if root.is_symlink():
        raise DatasetError(f"'{root.name}' is a symbolic link; a partitioned data set must be a real folder")
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in list(dirs) + list(files):
            if (here / name).is_symlink():
                rel = (here / name).relative_to(root).as_posix()
                raise DatasetError(f"'{rel}' is a symbolic link; partitions must be regular files inside the folder")
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in files:
            if _is_partition(name):
                p = here / name
                found.append((p.relative_to(root).as_posix(), p))
    if not found:
        raise DatasetError(f"the folder '{root.name}' holds no Parquet partition (*.parquet)")
    return [p for _, p in sorted(found)]


def partition_name(root: Path, part: Path) -> str:
    """A partition's name in reports: its POSIX path relative to the data set folder."""
    return Path(part).relative_to(root).as_posix()


def dataset_sha256(path: Path, file_hash: Callable[[Path], str] = file_sha256) -> str:
    """sha256 of a partitioned data set (see the module docstring); ``file_hash`` may be a caching one."""
    root = Path(path)
    h = hashlib.sha256()
    for part in partitions(root):
        h.update(partition_name(root, part).encode("utf-8") + b"\0")
        h.update(file_hash(part).encode() + b"\n")
    return h.hexdigest()


def data_sha256(path: Path) -> str:
    """The pinned-hash form of a data source: a file's sha256, or a data set folder's :func:`dataset_sha256`."""
    return dataset_sha256(path) if is_dataset(path) else file_sha256(path)


__all__ = ["DatasetError", "PARTITION_SUFFIXES", "data_sha256", "dataset_sha256", "is_dataset", "partition_name",
           "partitions"]
