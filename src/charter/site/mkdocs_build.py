"""Run MkDocs programmatically on the generated docs folder.

The configuration is the repository's ``mkdocs.yml`` when it has one (its site
name, theme options, navigation, extra pages), otherwise Charter's default
(``charter/templates/mkdocs.yml``). Charter then sets the docs and site folders
and adds its plugin instance (:mod:`.plugin`) before building, so the offline
settings and the fast path apply whatever the file says.

A repository's ``mkdocs.yml`` is untrusted like its specs: a pull request can edit
it, and MkDocs runs code it names (``hooks:``, plugins and Markdown extensions are
imported, ``!!python/name`` tags resolve objects, ``custom_dir`` and
``extra_templates`` are Jinja templates with Python's reach). So by default it may
hold only data, Charter's theme (Material) and plugin (with ``search``) and the
Markdown extensions in :data:`ALLOWED_EXTENSIONS`; :func:`config_problems` lists
anything else and the build refuses it, before MkDocs reads the file, unless the
configuration is trusted (``charter build --trust-config``, for trusted branches only).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    check_config(cfg)  # before the build writes to (or empties) the folders it names
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


# Settings that are data only: names, URLs, folders, navigation, colours, CSS.
ALLOWED_KEYS = frozenset({
    "site_name", "site_url", "site_description", "site_author", "copyright", "repo_url", "repo_name",
    "edit_uri", "edit_uri_template", "docs_dir", "site_dir", "use_directory_urls", "strict", "nav",
    "not_in_nav", "exclude_docs", "draft_docs", "validation", "extra", "extra_css", "theme", "plugins",
    "markdown_extensions", "dev_addr", "watch", "remote_branch", "remote_name",
})
# Material's options; not custom_dir (templates) nor static_templates (renders named templates).
ALLOWED_THEME_KEYS = frozenset({"name", "language", "locale", "features", "palette", "font", "icon", "logo",
                                "favicon", "direction"})
THEME = "material"
ALLOWED_PLUGINS = frozenset({"search", "offline", "charter"})
# Python-Markdown's own extensions: nothing is imported from the repository or elsewhere.
ALLOWED_EXTENSIONS = frozenset({"abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes",
                                "md_in_html", "meta", "nl2br", "sane_lists", "smarty", "tables", "toc"})
TRUST_HINT = ("remove it, or pass --trust-config to run the configuration as written "
              "(only on trusted branches: a pull request could put code there)")

_trusted: ContextVar[bool] = ContextVar("charter_trust_mkdocs_config", default=False)


@contextmanager
def trusting_config(trust: bool) -> Iterator[None]:
    """Within the block, builds run the repository's mkdocs.yml as written."""
    token = _trusted.set(trust)
    try:
        yield
    finally:
        _trusted.reset(token)


class UntrustedConfig(Exception):
    """The repository's mkdocs.yml names code or settings Charter does not run by default."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path, self.problems = path, problems
        super().__init__(f"{path.name}: " + "; ".join(problems) + f" — {TRUST_HINT}")


class MkDocsConfigError(Exception):
    """MkDocs refused the configuration (a missing folder, a wrong type): the user's to fix."""


class _Audit(yaml.SafeLoader):
    """Reads mkdocs.yml as data, noting tags instead of resolving them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.tags: list[str] = []


def _tagged(loader: _Audit, suffix: str, node: yaml.Node) -> None:
    tag = "!!" + node.tag.removeprefix("tag:yaml.org,2002:") if node.tag.startswith("tag:yaml.org,2002:") else node.tag
    loader.tags.append(f"{tag} (line {node.start_mark.line + 1})")
    return None


def _env_tag(loader: _Audit, node: yaml.Node) -> Any:
    # MkDocs' !ENV [NAME, default]: data, whatever the environment holds
    return None


_Audit.add_multi_constructor("", _tagged)
_Audit.add_multi_constructor("tag:yaml.org,2002:python/", _tagged)
_Audit.add_constructor("!ENV", _env_tag)
_Audit.add_constructor("!relative", _env_tag)


def _names(value: Any, what: str, problems: list[str]) -> list[tuple[str, Any]]:
    """(name, options) of a plugins or markdown_extensions list."""
    items = value if isinstance(value, list) else [value] if isinstance(value, (str, dict)) else []
    if value is not None and not isinstance(value, (list, str, dict)):
        problems.append(f"'{what}' is not a list")
    out: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, dict):
            out.extend((str(k), v) for k, v in item.items())
        else:
            problems.append(f"'{what}' holds {item!r}, not a name")
    return out


# The repository's own folders: a docs or site folder there would be overwritten or emptied.
OWN_FOLDERS = frozenset({".git", ".github", "governance", "usecases", "evidence", "site", "schemas", "src"})


def _folder_problem(key: str, value: Any, root: Path) -> str | None:
    """docs_dir and site_dir are emptied and rewritten: strictly inside the repository,
    away from its own files (``site_dir: .`` would delete the checkout)."""
    if not isinstance(value, str) or not value.strip():
        return f"'{key}' is not a folder name"
    real_root = root.resolve()
    target = (real_root / value).resolve()
    if real_root not in target.parents:
        return f"'{key}: {value}' is not a folder inside the repository"
    top = target.relative_to(real_root).parts[0]
    if top in OWN_FOLDERS or (real_root / top).is_file():
        return f"'{key}: {value}' is among the repository's own files (the build empties it)"
    return None


def _markup_paths(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, str):
        if "<" in value:
            yield f"'{where or '.'}'"
    elif isinstance(value, dict):
        for k, v in value.items():
            path = f"{where}.{k}" if where else str(k)
            yield from _markup_paths(str(k), path)
            yield from _markup_paths(v, path)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _markup_paths(v, f"{where}[{i}]")


def config_problems(text: str, root: Path | None = None) -> list[str]:
    """What in an mkdocs.yml Charter does not run untrusted (empty: data only); with
    ``root``, also docs and site folders that are not the build's to empty."""
    loader = _Audit(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        return [f"it is not valid YAML ({str(exc).splitlines()[0]})"]
    finally:
        loader.dispose()
    problems = [f"the tag {t} makes MkDocs import Python code" if "python/" in t else f"the tag {t} is not data"
                for t in loader.tags]
    if data is None:
        return problems
    if not isinstance(data, dict):
        return problems + ["it is not a mapping"]
    for key in sorted(str(k) for k in data):
        if key not in ALLOWED_KEYS:
            why = {"hooks": "hooks are Python files MkDocs runs", "INHERIT": "it reads another configuration file",
                   "extra_templates": "templates run with Python's reach",
                   "extra_javascript": "scripts would run in every reader's browser"}.get(key, "not a data setting")
            problems.append(f"'{key}' is not allowed ({why})")
    markup = sorted(set(_markup_paths(data, "")))
    if markup:
        problems.append(f"{', '.join(markup[:5])} holds '<' (MkDocs puts these settings into every page unescaped)")
    if isinstance(data.get("extra"), dict) and "analytics" in data["extra"]:
        problems.append("'extra.analytics' is not allowed (it loads a third party's script on every page)")
    if isinstance(data.get("extra"), dict) and "polyfills" in data["extra"]:
        problems.append("'extra.polyfills' is not allowed (scripts would run in every reader's browser)")
    for key in ("docs_dir", "site_dir"):
        if root is not None and key in data and (folder := _folder_problem(key, data[key], root)) is not None:
            problems.append(folder)
    theme = data.get("theme")
    theme_map = {"name": theme} if isinstance(theme, str) else theme if isinstance(theme, dict) else None
    if theme is not None and theme_map is None:
        problems.append("'theme' is neither a name nor a mapping")
    if theme_map is not None:
        if theme_map.get("name") != THEME:
            problems.append(f"theme '{theme_map.get('name')}' is not allowed (Charter builds with '{THEME}')")
        for key in sorted(str(k) for k in theme_map if str(k) not in ALLOWED_THEME_KEYS):
            why = " (its templates run with Python's reach)" if key in ("custom_dir", "static_templates") else ""
            problems.append(f"'theme.{key}' is not allowed{why}")
    for name, _ in _names(data.get("plugins"), "plugins", problems):
        if name not in ALLOWED_PLUGINS:
            problems.append(f"plugin '{name}' is not allowed (plugins are Python code; Charter runs only 'search' and 'offline')")
    for name, _ in _names(data.get("markdown_extensions"), "markdown_extensions", problems):
        short = name.removeprefix("markdown.extensions.")
        if short not in ALLOWED_EXTENSIONS:
            problems.append(f"Markdown extension '{name}' is not allowed (extensions are imported Python code; "
                            f"allowed: {', '.join(sorted(ALLOWED_EXTENSIONS))})")
    return problems


def check_config(cfg: Path) -> None:
    """Refuse an untrusted configuration that names code. Raises UntrustedConfig."""
    if cfg == default_config_file() or _trusted.get():
        return
    try:
        text = cfg.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UntrustedConfig(cfg, [f"it cannot be read ({exc})"]) from None
    problems = config_problems(text, cfg.parent)
    if problems:
        raise UntrustedConfig(cfg, problems)


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
    check_config(cfg)  # before MkDocs reads it: loading the config already imports hooks and plugins
    overrides: dict[str, Any] = {"docs_dir": str(docs_dir), "site_dir": str(site_dir), "strict": strict}
    if cfg != root / "mkdocs.yml" and site_name:
        overrides["site_name"] = site_name
    if dev_addr:
        overrides["dev_addr"] = dev_addr
    from mkdocs.exceptions import Abort, ConfigurationError

    with _captured() as handler:
        try:
            config = load_config(config_file=str(cfg), **overrides)
        except (Abort, ConfigurationError) as exc:
            told = [r.getMessage() for r in handler.records if r.levelno >= logging.ERROR]
            raise MkDocsConfigError("; ".join(told) or str(exc) or type(exc).__name__) from None
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
