"""Run MkDocs programmatically on the generated docs folder.

The configuration is the repository's ``mkdocs.yml`` when it has one (its site
name, theme options, navigation, extra pages), otherwise Charter's default
(``charter/templates/mkdocs.yml``). Charter then sets the docs and site folders
and adds its plugin instance (:mod:`.plugin`) before building, so the offline
settings and the fast path apply whatever the file says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from .plugin import CharterPlugin

DEFAULT_DOCS_DIR = "build/docs"
DEFAULT_SITE_DIR = "build/site"


def default_config_file() -> Path:
    return Path(str(files("charter").joinpath("templates/mkdocs.yml")))


def config_file(root: Path) -> Path:
    own = root / "mkdocs.yml"
    return own if own.is_file() else default_config_file()


class _Tolerant(yaml.SafeLoader):
    """Reads mkdocs.yml for two keys, ignoring tags such as !!python/name (MkDocs resolves those)."""


_Tolerant.add_multi_constructor("", lambda loader, suffix, node: None)
_Tolerant.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def configured_dirs(root: Path) -> tuple[Path, Path]:
    """(docs_dir, site_dir) as the repository's mkdocs.yml sets them, else build/docs and build/site."""
    cfg = config_file(root)
    data: dict[str, Any] = {}
    if cfg.parent == root:
        try:
            loaded = yaml.load(cfg.read_text(encoding="utf-8"), Loader=_Tolerant)
            data = loaded if isinstance(loaded, dict) else {}
        except (OSError, yaml.YAMLError):
            data = {}
    docs = root / str(data.get("docs_dir") or DEFAULT_DOCS_DIR)
    site = root / str(data.get("site_dir") or DEFAULT_SITE_DIR)
    return docs.resolve(), site.resolve()


@dataclass
class MkDocsResult:
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _captured() -> Iterator[_Collect]:
    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def load(root: Path, docs_dir: Path, site_dir: Path, *, site_name: str | None, strict: bool,
         plugin: CharterPlugin, dev_addr: str | None = None) -> Any:
    from mkdocs.config import load_config

    cfg = config_file(root)
    overrides: dict[str, Any] = {"docs_dir": str(docs_dir), "site_dir": str(site_dir), "strict": strict}
    if cfg != root / "mkdocs.yml" and site_name:
        overrides["site_name"] = site_name
    if dev_addr:
        overrides["dev_addr"] = dev_addr
    config = load_config(config_file=str(cfg), **overrides)
    config.plugins["charter"] = plugin
    return config


@contextmanager
def _build_date(as_of: str | None) -> Iterator[None]:
    """MkDocs dates the sitemap with SOURCE_DATE_EPOCH when set: use the decision date, so bytes repeat."""
    import datetime as dt
    import os

    if not as_of or "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    day = dt.datetime.combine(dt.date.fromisoformat(as_of), dt.time(), tzinfo=dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(day.timestamp()))
    try:
        yield
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


def run_build(config: Any, *, as_of: str | None = None) -> MkDocsResult:
    """mkdocs.commands.build.build with its log captured (only the CLI prints)."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort, BuildError

    result = MkDocsResult()
    with _captured() as handler, _build_date(as_of):
        try:
            build(config)
        except (Abort, BuildError) as exc:
            result.errors.append(str(exc) or type(exc).__name__)
    for r in handler.records:
        (result.errors if r.levelno >= logging.ERROR else result.warnings).append(r.getMessage())
    return result
