"""Optional dependencies of the text models: torch and transformers.

They are heavy, so the base install of ``charter`` does not pull them in; the
extra ``text`` does. Nothing in this package imports them at module level, so
``import charter.textmodels`` works everywhere and the error only appears when
a text job actually runs.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRA_NAME = "text"
INSTALL_HINT = f"pip install 'charter-governance[{EXTRA_NAME}]'"
# Import names, in the order they are checked (torch first: transformers needs it).
REQUIRED_MODULES: tuple[str, ...] = ("torch", "transformers")

MISSING_EXTRA_MESSAGE = (
    "text models need the optional package {package!r}, which is not installed; install the '{extra}' extra: {hint}"
)


class MissingExtraError(ImportError):
    """An optional package needed for text models is not installed."""

    def __init__(self, package: str) -> None:
        super().__init__(MISSING_EXTRA_MESSAGE.format(package=package, extra=EXTRA_NAME, hint=INSTALL_HINT))
        self.package = package
        self.extra = EXTRA_NAME


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # includes sys.modules[name] = None
        raise MissingExtraError(name) from exc


def require_text_extras() -> tuple[ModuleType, ModuleType]:
    """Return ``(torch, transformers)`` or raise :class:`MissingExtraError`."""
    torch, transformers = (_import(name) for name in REQUIRED_MODULES)
    return torch, transformers
