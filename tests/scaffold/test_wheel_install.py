"""Charter works from its built wheel, in any folder, with no file of this repository on the path.

The test builds the wheel from a copy of the sources, installs it into a fresh virtual
environment and runs `init → new usecase --data → validate → run → gate → build` in an
empty temporary folder. Installing torch, scikit-learn and the rest from PyPI would take
minutes, so the fresh environment sees the dependencies already installed for this
interpreter through a filtered overlay: every entry of their site-packages except Charter's
own (its package, its dist-info and the editable install's .pth or finder).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a wheel is built from (pyproject.toml names README.md as the long description).
SOURCES = ("pyproject.toml", "README.md", "src")


def _in_venv(path: Path) -> bool:
    """Inside a virtual environment (CI's `.venv` lives in the checkout, but none of its files is the repository's)."""
    return any((folder / "pyvenv.cfg").is_file() for folder in path.parents)


def _site_dirs() -> list[Path]:
    dirs = [Path(p) for p in site.getsitepackages()]
    dirs += [Path(p) for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    out: list[Path] = []
    for d in dirs:
        d = d.resolve()
        if d.is_dir() and d not in out and (not d.is_relative_to(ROOT) or _in_venv(d)):
            out.append(d)
    return out


def _is_charter(entry: Path) -> bool:
    """Charter's own files in a site-packages: its package, metadata, and editable-install hooks."""
    name = entry.name.lower()
    if name == "charter" or name.startswith(("charter_governance", "charter-governance")):
        return True
    if "charter" in name and (name.startswith("__editable__") or name.endswith(".pth")):
        return True
    if name.endswith(".pth") and entry.is_file():
        # a .pth that puts a folder holding a `charter` package on the path (a hand-made editable install)
        for line in entry.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "import")) and (Path(line) / "charter").exists():
                return True
    return False


def _overlay(dest: Path) -> list[Path]:
    """One folder per site-packages of this interpreter, of symlinks to everything but Charter."""
    made = []
    for i, d in enumerate(_site_dirs()):
        folder = dest / f"deps-{i}"
        folder.mkdir(parents=True)
        for entry in sorted(d.iterdir()):
            if not _is_charter(entry):
                (folder / entry.name).symlink_to(entry)
        made.append(folder)
    return made


def _fresh_venv(tmp: Path) -> tuple[Path, Path]:
    """(python, site-packages) of a new virtual environment that sees the dependencies, not Charter."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  check=True, capture_output=True, text=True, env=_clean_env(),
                                  timeout=60).stdout.strip())
    # addsitedir (not a bare path line) so the dependencies' own .pth files are processed too
    lines = [f"import site; site.addsitedir({str(folder)!r})" for folder in _overlay(tmp / "overlay")]
    (purelib / "zz-dependencies.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return python, purelib


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env.update(PYTHONNOUSERSITE="1", NO_COLOR="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def _build_wheel(tmp: Path) -> Path:
    src = tmp / "source"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for part in SOURCES:
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, src / part, ignore=ignore)
        else:
            shutil.copyfile(ROOT / part, src / part)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                          "--disable-pip-version-check", "-q", "-w", str(tmp / "dist"), str(src)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    wheels = sorted((tmp / "dist").glob("charter_governance-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.slow
def test_the_wheel_in_a_fresh_venv_runs_init_to_build_in_an_empty_folder(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    wheel = _build_wheel(tmp_path)
    python, purelib = _fresh_venv(tmp_path)
    env = _clean_env()
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                                "--disable-pip-version-check", str(wheel)],
                               capture_output=True, text=True, env=env, timeout=300)
    assert installed.returncode == 0, installed.stderr[-3000:]

    work = tmp_path / "empty"
    work.mkdir()
    probe = subprocess.run([str(python), "-c", "import charter, json, sys; "
                            "print(json.dumps({'file': charter.__file__, 'path': sys.path}))"],
                           cwd=work, capture_output=True, text=True, env=env, timeout=60)
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout)
    assert Path(seen["file"]).resolve().is_relative_to(purelib.resolve()), seen["file"]
    for entry in seen["path"]:
        p = Path(entry or work).resolve()
        assert not p.is_relative_to(ROOT) or _in_venv(p), f"a path of this repository is on sys.path: {entry}"
        if p != purelib.resolve():
            assert not (p / "charter").exists(), f"another copy of charter is on sys.path: {entry}"

    charter = python.parent / "charter"
    assert charter.is_file(), "the wheel installs no `charter` command"

    def run(*args: str, cwd: Path) -> str:
        out = subprocess.run([str(charter), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
        assert out.returncode == 0, (args, out.stdout[-3000:], out.stderr[-3000:])
        assert "Traceback" not in out.stderr
        return out.stdout

    rng = np.random.default_rng(3)
    n = 240
    income = rng.normal(3000, 600, n).round(2)
    pd.DataFrame({
        "age_band": rng.choice(["18-30", "31-50", "51+"], n),
        "region": rng.choice(["north", "south"], n),
        "income": income,
        "defaulted": ((income < 2900).astype(int) ^ (rng.random(n) < 0.1)).astype(int),
    }).to_csv(tmp_path / "loans.csv", index=False)

    run("init", "--org", "Acme Mutual", cwd=work)
    assert (work / "governance" / "organisation.yaml").is_file()
    made = run("new", "usecase", "loan-default", "--task", "binary-classification", "--data",
               str(tmp_path / "loans.csv"), "--target", "defaulted", "--team", "my-team", "--owner", "my-name",
               "--risk", "limited", "--sensitive", "age_band", "--no-input", cwd=work)
    assert "created usecases/loan-default/usecase.yaml" in made
    assert (work / "usecases" / "loan-default" / "data" / "loans.csv").is_file()
    run("validate", "--strict", cwd=work)
    run("codeowners", "--check", cwd=work)
    ran = json.loads(run("run", "--format", "json", cwd=work))
    jobs = ran["jobs"] if isinstance(ran, dict) else ran
    assert jobs and all(j["status"] == "pass" for j in jobs), jobs
    assert list((work / "evidence" / "records" / "loan-default").rglob("*.json"))
    gate = run("gate", "--format", "json", cwd=work)
    assert "loan-default" in gate
    run("build", cwd=work)
    index = work / "build" / "site" / "index.html"
    assert index.is_file()
    assert "Acme Mutual" in index.read_text(encoding="utf-8")
    assert list((work / "build" / "site").rglob("loan-default*")), "the use case has no page"
    # the packaged example comes with the wheel too
    run("init", str(tmp_path / "example"), "--example", cwd=tmp_path)
    run("validate", cwd=tmp_path / "example")
