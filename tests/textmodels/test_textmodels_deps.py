"""The package imports without the ``text`` extra and says how to install it when needed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from charter import textmodels
from charter.textmodels import MissingExtraError, require_text_extras
from charter.textmodels.deps import INSTALL_HINT, MISSING_EXTRA_MESSAGE


def test_install_hint_names_the_text_extra() -> None:
    assert INSTALL_HINT == "pip install 'charter-governance[text]'"


@pytest.mark.parametrize("missing", ["torch", "transformers"])
def test_require_text_extras_names_the_missing_package(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # makes `import missing` raise ImportError

    with pytest.raises(MissingExtraError) as caught:
        require_text_extras()

    assert caught.value.package == missing
    assert str(caught.value) == MISSING_EXTRA_MESSAGE.format(package=missing, extra="text", hint=INSTALL_HINT)
    assert f"'{missing}'" in str(caught.value)
    assert "pip install 'charter-governance[text]'" in str(caught.value)


def test_missing_extra_error_is_an_import_error() -> None:
    assert issubclass(MissingExtraError, ImportError)


def test_training_entry_points_raise_missing_extra_before_touching_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    for job in (textmodels.fine_tune, textmodels.linear_probe):
        with pytest.raises(MissingExtraError, match=r"'torch'.*charter-governance\[text\]"):
            job(["a"], ["x"], ["b"], ["y"], tmp_path)


def test_package_imports_without_torch_or_transformers() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["torch"] = None
        sys.modules["transformers"] = None
        import charter.textmodels as tm
        assert callable(tm.fine_tune) and callable(tm.linear_probe)
        assert tm.TextTrainConfig().epochs >= 1
        loaded = [name for name in ("torch", "transformers", "sklearn") if sys.modules.get(name) is not None]
        assert not loaded, loaded
        try:
            tm.require_text_extras()
        except tm.MissingExtraError as exc:
            print(exc)
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, env=_env())
    assert completed.returncode == 0, completed.stderr
    assert "charter-governance[text]" in completed.stdout


def _env() -> dict[str, str]:
    """The current environment with this checkout's ``src`` first on the path."""
    src = Path(textmodels.__file__).resolve().parents[2]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
