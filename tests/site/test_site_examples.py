"""The spec reference's examples: every block is cut from an example spec that validates.

The example use cases (``charter/site/examples``) are validated here with the loader
``charter validate`` uses, data hashes included, in a repository written by
``charter init`` whose allowlist is the example organisation's (it adds the ranking
and generative runners and the hosted models they name) and whose OKR set is the
examples' own. Every section of a use case and every runner kind has a block, each
block is the same YAML as the spec it was cut from, and the page shows them all.
"""

from __future__ import annotations

import html
import re
import shutil
from importlib.resources import files
from pathlib import Path

import yaml

from charter.kinds import runners
from charter.site.reference import EXAMPLES, examples_context, models_order

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = Path(str(files("charter").joinpath("site/examples")))


def test_every_example_validates_in_a_new_repository(tmp_path: Path) -> None:
    from charter.loading.loader import load_repository
    from charter.scaffolding.init import init_repository

    root = tmp_path / "repo"
    init_repository(root, "Example Org")
    allow = yaml.safe_load((ROOT / "governance/allowlist.yaml").read_text())
    # The example organisation does not allow `chat-completions` (its evidence must reproduce offline);
    # the reference shows the runner with the endpoint its governance would declare.
    allow["runners"].append("chat-completions")
    allow["endpoints"] = [{"id": "staging-llm", "baseUrl": "https://llm.staging.example", "apiKeyEnv": "STAGING_LLM_KEY",
                           "models": ["hosted-llm-medium-2026-09"]}]
    (root / "governance/allowlist.yaml").write_text(yaml.safe_dump(allow, sort_keys=False))
    shutil.copy(EXAMPLES_DIR / "governance/okrs.yaml", root / "governance/okrs.yaml")
    for uc in EXAMPLES:
        shutil.copytree(EXAMPLES_DIR / "usecases" / uc, root / "usecases" / uc)
    repo = load_repository(root, check_data=True)
    assert [str(d) for d in repo.diagnostics] == []
    assert sorted(repo.usecases) == sorted(EXAMPLES)


def test_every_section_and_every_runner_kind_has_an_example() -> None:
    ctx = examples_context()
    shown = {k for s in ctx["sections"] for k in s["keys"]} | {"jobs"}
    assert shown == set(models_order())
    assert [j["kind"] for j in ctx["jobs"]] == [k.name for k in runners.all_kinds()]


def test_every_block_is_the_yaml_of_its_spec() -> None:
    ctx = examples_context()
    specs = {uc: yaml.safe_load((EXAMPLES_DIR / "usecases" / uc / "usecase.yaml").read_text()) for uc in EXAMPLES}
    for s in ctx["sections"]:
        block = yaml.safe_load(s["yaml"])
        assert block == {k: specs[s["from"]][k] for k in s["keys"]}, s["keys"]
    for j in ctx["jobs"]:
        (job,) = yaml.safe_load(j["yaml"])["jobs"]
        assert job["runner"] == j["kind"] and job in specs[j["from"]]["jobs"]
    okrs = yaml.safe_load((EXAMPLES_DIR / "governance/okrs.yaml").read_text())
    assert yaml.safe_load(ctx["okrs"]) == okrs


def test_the_spec_reference_page_shows_every_example(built_site) -> None:  # type: ignore[no-untyped-def]
    page = (built_site.site_dir / "reference/spec.html").read_text()
    ctx = examples_context()
    shown = [html.unescape(b) for b in re.findall(r'<pre class="ch-example"><code[^>]*>(.*?)</code></pre>', page, re.S)]
    assert shown == [s["yaml"] for s in ctx["sections"]] + [ctx["okrs"]] + [j["yaml"] for j in ctx["jobs"]]
    for kind in runners.all_kinds():
        assert f'id="ex-job-{kind.name}"' in page
