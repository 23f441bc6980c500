"""`charter build` on a pull request's mkdocs.yml: data only, unless the branch is trusted.

MkDocs imports what its configuration names while loading it (hooks, plugins,
Markdown extensions, ``!!python/name`` tags) and renders ``custom_dir`` templates
with Python's reach, so a pull request adding ``hooks: [evil.py]`` ran code in CI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from charter.site.mkdocs_build import config_problems, default_config_file

FIXTURE = Path(__file__).resolve().parent / "spec" / "fixture"
ROOT = Path(__file__).resolve().parents[1]
EVIL = "import pathlib\npathlib.Path(__file__).with_name('PWNED').write_text('ran')\n"

HOSTILE = {
    "hooks": "site_name: X\nhooks: [evil.py]\n",
    "plugin": "site_name: X\nplugins:\n  - search\n  - evil\n",
    "extension": "site_name: X\nmarkdown_extensions:\n  - tables\n  - evil\n",
    "extension-by-mapping": "site_name: X\nmarkdown_extensions:\n  - evil: {x: 1}\n",
    "python-tag": "site_name: X\nmarkdown_extensions:\n  - toc:\n      slugify: !!python/name:evil.slug\n",
    "python-object": "site_name: X\nextra: !!python/object/apply:os.system [id]\n",
    "custom-dir": "site_name: X\ntheme:\n  name: material\n  custom_dir: overrides\n",
    "other-theme": "site_name: X\ntheme: readthedocs\n",
    "extra-templates": "site_name: X\nextra_templates: [evil.html]\n",
    "extra-javascript": "site_name: X\nextra_javascript: [evil.js]\n",
    "inherit": "INHERIT: other.yml\nsite_name: X\n",
    "markup-in-site-name": "site_name: X<script>window.__pwned=1</script>\n",
    "markup-in-nav": "site_name: X\nnav:\n  - '<img src=x onerror=alert(1)>': index.md\n",
    "analytics": "site_name: X\nextra:\n  analytics: {provider: google, property: G-X}\n",
    # Material puts extra.polyfills into every page's <head> as scripts
    "polyfills": "site_name: X\nextra:\n  polyfills: ['https://evil.example/x.js']\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_code_in_mkdocs_yml_is_named(name: str) -> None:
    problems = config_problems(HOSTILE[name])
    assert problems, name


def test_data_only_configurations_pass() -> None:
    assert config_problems(default_config_file().read_text()) == []
    assert config_problems((ROOT / "mkdocs.yml").read_text(), ROOT) == []  # the example builds pull requests as is
    assert config_problems("site_name: !ENV [SITE, x]\nplugins:\n  - search: {lang: en}\n"
                           "markdown_extensions:\n  - markdown.extensions.tables\n  - toc: {permalink: true}\n") == []
    assert config_problems("site_name: X\nuse_directory_urls: false\nplugins:\n  - search\n  - offline\n") == []


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(FIXTURE, dest)
    (dest / "evil.py").write_text(EVIL)
    (dest / "mkdocs.yml").write_text("site_name: X\nhooks: [evil.py]\n")
    return dest


def charter(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "charter", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_build_refuses_hooks_without_running_them(repo: Path) -> None:
    out = charter("build", cwd=repo)
    assert out.returncode == 2, out.stdout + out.stderr
    assert not (repo / "PWNED").exists()
    assert "'hooks' is not allowed" in out.stderr and "--trust-config" in out.stderr
    assert "Traceback" not in out.stderr and not (repo / "build/site").exists()


def test_trust_config_runs_the_configuration_as_written(repo: Path) -> None:
    out = charter("build", "--trust-config", cwd=repo)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (repo / "PWNED").read_text() == "ran"


def test_a_configuration_mkdocs_rejects_is_a_user_error(repo: Path) -> None:
    (repo / "mkdocs.yml").write_text("site_name: X\ntheme:\n  name: material\n  custom_dir: missing\n")
    out = charter("build", "--trust-config", cwd=repo)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "custom_dir" in out.stderr and "internal error" not in out.stderr


@pytest.mark.parametrize("setting", ["site_dir: .", "site_dir: ..", "site_dir: /tmp", "site_dir: governance",
                                     "docs_dir: usecases/churn", "site_dir: evidence", "site_dir: mkdocs.yml/x",
                                     "docs_dir: ''", "site_dir: [a]"])
def test_folders_the_build_empties_stay_away_from_the_repository(repo: Path, setting: str) -> None:
    assert config_problems(f"site_name: X\n{setting}\n", repo)
    assert config_problems("site_name: X\nsite_dir: out/site\ndocs_dir: build/docs\n", repo) == []


def test_build_refuses_to_empty_the_checkout(repo: Path) -> None:
    (repo / "mkdocs.yml").write_text("site_name: X\nsite_dir: .\n")
    out = charter("build", cwd=repo)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "'site_dir: .' is not a folder inside the repository" in out.stderr
    assert (repo / "governance/policy.yaml").is_file() and not (repo / "build").exists()
