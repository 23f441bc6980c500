from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import site_fixture


@pytest.fixture(scope="session")
def fixture_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site fixture repository, written once per session (tests must not modify it)."""
    return site_fixture.write_repo(tmp_path_factory.mktemp("site-repo"))


@pytest.fixture(scope="session")
def fixture_repo(fixture_root: Path):  # type: ignore[no-untyped-def]
    from charter.loading.loader import load_repository

    repo = load_repository(fixture_root)
    assert repo.ok, [str(d) for d in repo.errors]
    return repo


@pytest.fixture(scope="session")
def fixture_ctx(fixture_repo):  # type: ignore[no-untyped-def]
    from charter.site.context import build_context

    return build_context(site_fixture.site_inputs(fixture_repo))


@pytest.fixture(scope="session")
def built_site(fixture_root: Path, fixture_repo, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The fixture site built with MkDocs (hand-made evidence), once per session."""
    from charter.site.build import build_site

    out = tmp_path_factory.mktemp("site-build")
    report = build_site(fixture_root, out=out, repo=fixture_repo, gather=site_fixture.site_inputs, strict=True)
    assert report.ok, report.errors
    return report


REPO_ROOT = HERE.parent.parent


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The example repository's site (Aldermoor, its committed evidence), built once per session."""
    from charter.site.build import build_site

    report = build_site(REPO_ROOT, out=tmp_path_factory.mktemp("example-build"))
    assert report.ok, report.errors
    return report
