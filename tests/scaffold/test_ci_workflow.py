"""The governance CI workflow, run for real: `examples/ci/governance.yml` and the one `charter init` writes.

A temporary governance repository (`charter init` plus a use case, with its evidence) gets a
base commit on `main` and a pull-request commit that adds a second use case at a stage its
gate refuses and loosens the first one's threshold. The CI workspace is a depth-1 clone of the
pull request, as `actions/checkout` makes it. Each `run:` block of the workflow then runs in
order with bash, with the variables GitHub sets (GITHUB_EVENT_NAME, GITHUB_BASE_REF,
GITHUB_SHA, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT…), the job's and the step's `env:`, and its
`if:` evaluated (always(), success(), steps.X.outcome, env.X, hashFiles). Only the steps that
are GitHub actions (`uses:`) are skipped; `pip install` and `gh` are stand-ins that record
their arguments, and `charter` is this checkout's. The test then checks what the run leaves:
the step summary, the gate's annotations, the JUnit and diff reports, the pull-request
comment, and that the artifact upload's `path:` names what the build really wrote.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from ruamel.yaml import YAML

from charter.artifacts.diff import DiffReport
from charter.site.mkdocs_build import configured_dirs

ROOT = Path(__file__).resolve().parents[2]
PR_NUMBER = 7
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env.update(GIT_ENV, NO_COLOR="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               PYTHONPATH=str(ROOT / "src"))
    return env


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, (args, out.stderr)
    return out.stdout.strip()


def charter(cwd: Path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "charter", *args], cwd=cwd, env=_env(), capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, (args, out.stdout[-3000:], out.stderr[-3000:])
    return out.stdout


def _csv(path: Path, seed: int, n: int = 200) -> Path:
    rng = np.random.default_rng(seed)
    income = rng.normal(3000, 600, n).round(2)
    label = ((income < 2900).astype(int) ^ (rng.random(n) < 0.15)).astype(int)
    pd.DataFrame({
        "age_band": rng.choice(["18-30", "31-50", "51+"], n),
        "sex": rng.choice(["female", "male"], n),
        "region": rng.choice(["north", "south"], n),
        "income": income,
        "score": np.clip(0.5 + (2900 - income) / 2000 + rng.normal(0, 0.15, n), 0, 1).round(4),
        "label": label,
    }).to_csv(path, index=False)
    return path


def _new_usecase(repo: Path, uc_id: str, data: Path, sensitive: str) -> None:
    # given predictions (the `score` column): evaluation, slices and fairness without training
    charter(repo, "new", "usecase", uc_id, "--task", "binary-classification", "--data", str(data), "--target",
            "label", "--predictions", "score", "--team", "my-team", "--owner", "my-name", "--risk", "limited",
            "--sensitive", sensitive, "--no-input")


@dataclass
class Origin:
    path: Path
    base: str
    head: str


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    """The governance repository as GitHub holds it: `main` (the base) and the pull request's branch."""
    tmp = tmp_path_factory.mktemp("ci")
    repo = tmp / "origin"
    charter(tmp, "init", str(repo), "--org", "Acme Mutual")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")  # as GitHub: fetch a commit by its sha
    _new_usecase(repo, "churn", _csv(tmp / "customers.csv", 1), "sex")
    charter(repo, "run")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "churn")
    base = git(repo, "rev-parse", "HEAD")

    git(repo, "checkout", "-q", "-b", "add-loans")
    _new_usecase(repo, "loans", _csv(tmp / "applications.csv", 2), "age_band,sex")
    spec = repo / "usecases" / "loans" / "usecase.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "\nstage: proposed\n" in text
    spec.write_text(text.replace("\nstage: proposed\n", "\nstage: experimentation\n"), encoding="utf-8")
    churn = repo / "usecases" / "churn" / "usecase.yaml"
    text = churn.read_text(encoding="utf-8")
    [threshold] = re.findall(r"^  threshold: (\S+)", text, flags=re.M)
    churn.write_text(text.replace(f"  threshold: {threshold}", "  threshold: 0.6"), encoding="utf-8")
    assert float(threshold) > 0.6
    charter(repo, "run")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add loans; loosen churn's threshold")
    return Origin(repo, base, git(repo, "rev-parse", "HEAD"))


# --- GitHub's expressions, as far as the workflows use them --------------------------------------------

_TOKEN = re.compile(r"""\s*(?:(?P<str>'[^']*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<fn>always|success|failure|cancelled)\(\)
                        |hashFiles\('(?P<glob>[^']*)'\)|(?P<num>\d+)|(?P<ctx>[A-Za-z_][\w.-]*))""", re.X)


@dataclass
class Run:
    workspace: Path
    github: dict[str, Any]
    env: dict[str, str]
    outcomes: dict[str, str] = field(default_factory=dict)
    failed: bool = False

    def lookup(self, name: str) -> Any:
        head, _, rest = name.partition(".")
        if head == "env":
            return self.env.get(rest, "")
        if head == "steps":
            step, _, prop = rest.partition(".")
            assert prop == "outcome", name
            return self.outcomes.get(step)
        if head == "github":
            value: Any = self.github
            for part in rest.split("."):
                if not isinstance(value, dict):
                    return None
                if part not in value:
                    assert name.startswith("github.event."), f"unknown context {name}"
                    return None
                value = value[part]
            return value
        raise AssertionError(f"the test does not know the context '{name}'")

    def evaluate(self, expression: str) -> Any:
        """An expression's value; fails the test on any construct it does not know (never guesses)."""
        pieces, pos = [], 0
        expression = expression.strip()
        while pos < len(expression):
            m = _TOKEN.match(expression, pos)
            assert m and m.end() > pos, f"cannot read '{expression[pos:]}'"
            pos = m.end()
            if m["str"] is not None:
                pieces.append(repr(m["str"][1:-1]))
            elif m["op"]:
                pieces.append({"&&": " and ", "||": " or ", "!": " not "}.get(m["op"], m["op"]))
            elif m["fn"]:
                pieces.append(repr({"always": True, "success": not self.failed, "failure": self.failed,
                                    "cancelled": False}[m["fn"]]))
            elif m["glob"] is not None:
                files = sorted(self.workspace.glob(m["glob"]))
                digest = hashlib.sha256(b"".join(p.read_bytes() for p in files if p.is_file())).hexdigest()
                pieces.append(repr(digest if files else ""))
            elif m["num"]:
                pieces.append(m["num"])
            else:
                pieces.append(repr(self.lookup(m["ctx"])))
        return eval("".join(pieces), {"__builtins__": {}}, {})  # noqa: S307 - tokens built above, no names

    def substitute(self, value: str) -> str:
        def one(m: re.Match[str]) -> str:
            v = self.evaluate(m.group(1))
            return "" if v is None else str(v)
        return re.sub(r"\$\{\{(.*?)\}\}", one, value)


def _stand_ins(folder: Path, log: Path) -> None:
    """`charter` from this checkout; `pip` and `gh` that record their arguments (no PyPI, no GitHub API)."""
    folder.mkdir()
    scripts = {
        "charter": f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m charter \"$@\"\n",
        "pip": f"#!/bin/sh\nprintf 'pip %s\\n' \"$*\" >> {shlex.quote(str(log))}\n",
        "gh": f"#!/bin/sh\nprintf 'gh %s\\n' \"$*\" >> {shlex.quote(str(log))}\n",
    }
    for name, text in scripts.items():
        (folder / name).write_text(text, encoding="utf-8")
        (folder / name).chmod(0o755)


def _shell(name: str | None, script: Path) -> list[str]:
    """The command GitHub runs a `run:` block with (ubuntu runners)."""
    if name is None:
        return ["bash", "-e", str(script)]
    known = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], "sh": ["sh", "-e", str(script)]}
    if name in known:
        return known[name]
    assert "{0}" in name, f"the test does not know the shell '{name}'"
    return [part.replace("{0}", str(script)) for part in shlex.split(name)]


def _workflow(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _run_workflow(wf: dict[str, Any], origin: Origin, tmp: Path) -> tuple[Run, list[dict[str, Any]], Path]:
    workspace = tmp / "workspace"
    git(tmp, "clone", "-q", "--depth", "1", "--no-tags", "--branch", "add-loans", f"file://{origin.path}",
        str(workspace))
    assert git(workspace, "rev-parse", "HEAD") == origin.head
    assert subprocess.run(["git", "cat-file", "-e", f"{origin.base}^{{commit}}"], cwd=workspace,
                          capture_output=True).returncode != 0, "the clone is not shallow"
    gh_files = {name: tmp / name for name in ("step_summary.md", "output", "env", "path")}
    for f in gh_files.values():
        f.write_text("")
    log = tmp / "stand-ins.log"
    _stand_ins(tmp / "bin", log)
    github = {"event_name": "pull_request", "token": "test-token", "ref": f"refs/pull/{PR_NUMBER}/merge",
              "sha": origin.head, "base_ref": "main", "head_ref": "add-loans",
              "event": {"pull_request": {"number": PR_NUMBER, "base": {"sha": origin.base, "ref": "main"},
                                         "head": {"sha": origin.head, "ref": "add-loans"}}}}
    env = {**_env(), "PATH": f"{tmp / 'bin'}{os.pathsep}{os.environ['PATH']}", "CI": "true",
           "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main",
           "GITHUB_HEAD_REF": "add-loans", "GITHUB_SHA": origin.head, "GITHUB_REF": github["ref"],
           "GITHUB_WORKSPACE": str(workspace), "GITHUB_REPOSITORY": "acme/governance",
           "GITHUB_STEP_SUMMARY": str(gh_files["step_summary.md"]), "GITHUB_OUTPUT": str(gh_files["output"]),
           "GITHUB_ENV": str(gh_files["env"]), "GITHUB_PATH": str(gh_files["path"]), "RUNNER_TEMP": str(tmp)}
    [job] = wf["jobs"].values()
    run = Run(workspace, github, env)
    for key, value in (job.get("env") or {}).items():
        env[key] = run.substitute(str(value))
    results = []
    for i, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {i}"
        condition = step.get("if", "success()")
        wanted = bool(run.evaluate(condition.removeprefix("${{").removesuffix("}}")))
        if "uses" in step or not wanted:
            outcome = "skipped"
            results.append({"name": name, "outcome": outcome, "step": step})
            if step.get("id"):
                run.outcomes[step["id"]] = outcome
            continue
        script = step["run"]
        assert "${{" not in script, f"{name}: an expression inside run: is a script injection risk; use env:"
        step_env = {**env, **{k: run.substitute(str(v)) for k, v in (step.get("env") or {}).items()}}
        path = tmp / f"step-{i}.sh"
        path.write_text(script, encoding="utf-8")
        shell = _shell(step.get("shell"), path)
        out = subprocess.run(shell, cwd=workspace, env=step_env, capture_output=True, text=True, timeout=900)
        outcome = "success" if out.returncode == 0 else "failure"
        if outcome == "failure" and not step.get("continue-on-error"):
            run.failed = True
        if step.get("id"):
            run.outcomes[step["id"]] = outcome
        results.append({"name": name, "outcome": outcome, "stdout": out.stdout, "stderr": out.stderr,
                        "step": step})
    return run, results, log


@pytest.mark.slow
def test_the_example_workflow_runs_on_a_pull_request(origin: Origin, tmp_path: Path) -> None:
    # `charter init` writes the same workflow (test_the_init_workflow_is_the_example_workflow): one run covers both
    wf = _workflow(ROOT / "examples" / "ci" / "governance.yml")
    assert "pull_request" in wf["on"] and "pull_request_target" not in wf["on"]
    run, results, log = _run_workflow(wf, origin, tmp_path)
    by_name = {r["name"]: r for r in results}
    failing = [r for r in results if r["outcome"] == "failure" and r["step"].get("id") != "gate"]
    assert not failing, "\n\n".join(f"{r['name']}:\n{r['stdout'][-2000:]}\n{r['stderr'][-3000:]}" for r in failing)
    ran = [r for r in results if r["outcome"] != "skipped"]
    assert all("uses" not in r["step"] for r in ran)
    assert [r["name"] for r in results if r["outcome"] == "skipped"] == [
        r["name"] for r in results if "uses" in r["step"]], "a run: step was skipped"

    def step(pattern: str) -> dict[str, Any]:
        [found] = [r for r in results if re.search(pattern, r["name"])]
        return found

    def report(r: dict[str, Any]) -> str:
        return f"{r['name']}: {r['outcome']}\n{r.get('stdout', '')[-2000:]}\n{r.get('stderr', '')[-3000:]}"

    # every step but the gate succeeds: the base commit was fetched into the shallow clone, the ledger
    # extends the base's, the evidence the pull request introduced reproduces
    for r in ran:
        if r["step"].get("id") == "gate":
            continue
        assert r["outcome"] == "success", report(r)
    assert git(run.workspace, "cat-file", "-t", origin.base) == "commit"
    reproduced = step("Reproduce")["stdout"]
    assert re.search(r"^loans +evaluate .* reproduced +reproduced: introduced since the base", reproduced,
                     flags=re.M), reproduced

    # the gate fails the step (loans cannot enter experimentation) with an annotation on the spec
    gate = next(r for r in results if r["step"].get("id") == "gate")
    assert gate["outcome"] == "failure", report(gate)
    annotations = [line for line in gate["stdout"].splitlines() if line.startswith("::")]
    assert annotations, gate["stdout"]
    for line in annotations:
        m = re.match(r"::(error|warning|notice) file=([^,]+),line=(\d+)", line)
        assert m, line
        path = run.workspace / m[2]
        assert path.is_file() and int(m[3]) <= len(path.read_text(encoding="utf-8").splitlines()), line
    assert any("file=usecases/loans/usecase.yaml" in a and a.startswith("::error") for a in annotations)

    # the reports
    junit = ET.parse(run.workspace / "reports" / "gate.xml").getroot()
    cases = junit.findall(".//testcase")
    assert cases and any(c.find("failure") is not None for c in cases)
    diff_json = DiffReport.model_validate_json((run.workspace / "reports" / "diff.json").read_text(encoding="utf-8"))
    assert diff_json.base_commit == origin.base
    assert {u.id: u.status for u in diff_json.use_cases} == {"churn": "changed", "loans": "added"}
    summary = Path(run.env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "Charter gate" in summary and "**loans**" in summary  # the gate's Markdown
    diff_md = (run.workspace / "reports" / "diff.md").read_text(encoding="utf-8")
    assert diff_md in summary
    assert "personal data: yes; sensitive attributes: age\\_band, sex" in diff_md
    assert re.search(r"⚠️ evaluation threshold of roc\\_auc [\d.]+ → 0\.6 \\\(loosened\\\)", diff_md), diff_md
    [churn] = [u for u in diff_json.use_cases if u.id == "churn"]
    assert [(c.kind, c.direction, c.after) for c in churn.changes if c.warn] == [("evaluation", "loosened", 0.6)]
    assert "definition → definition" not in diff_md

    # the stand-ins: what is installed exists, and the comment carries the diff
    calls = log.read_text(encoding="utf-8").splitlines()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    [install] = [c for c in calls if c.startswith("pip ")]
    m = re.fullmatch(r"pip install ([\w.-]+)\[([\w,]+)\]", install)
    assert m and m[1] == project["name"], install
    assert set(m[2].split(",")) <= set(project["optional-dependencies"]), install
    assert f"gh pr comment {PR_NUMBER} --body-file reports/diff.md --edit-last" in calls, calls

    # the site is built, and the artifact upload keeps what the build wrote
    _, site_dir = configured_dirs(run.workspace)
    assert (site_dir / "index.html").is_file(), report(by_name.get("Build the governance site", gate))
    [upload] = [r["step"] for r in results if "upload-artifact" in str(r["step"].get("uses", ""))]
    paths = [p.strip() for p in str(upload["with"]["path"]).splitlines() if p.strip()]
    for p in paths:
        assert (run.workspace / p).exists(), f"the artifact upload names {p}, which the run did not write"
    kept = [(run.workspace / p).resolve() for p in paths]
    assert any(site_dir == k or site_dir.is_relative_to(k) for k in kept), (paths, site_dir)
    assert any((run.workspace / "reports").resolve() == k for k in kept), paths


def test_the_init_workflow_is_the_example_workflow() -> None:
    """`charter init` writes the example CI (apart from the heading comment): a fix to one is a fix to both."""
    from charter.scaffolding.init import render

    written = render("Acme")[1][".github/workflows/governance.yml"].decode("utf-8")
    example = (ROOT / "examples" / "ci" / "governance.yml").read_text(encoding="utf-8")

    def body(text: str) -> list[str]:
        return text.split("\nname: governance\n", 1)[1].splitlines()

    assert body(written) == body(example)


def test_changed_paths_in_a_shallow_clone_without_a_merge_base(tmp_path: Path) -> None:
    """What the workflow's checkout gives `charter run --changed-since`: the pull request's commit and the fetched
    base commit, no history in between (so no merge base)."""
    from charter.io.git import changed_paths

    src = tmp_path / "src"
    src.mkdir()
    git(src, "init", "-q", "-b", "main")
    git(src, "config", "uploadpack.allowAnySHA1InWant", "true")
    (src / "a.txt").write_text("a\n")
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", "base")
    base = git(src, "rev-parse", "HEAD")
    for i in range(2):  # history between the base and the pull request's commit
        (src / f"b{i}.txt").write_text("b\n")
        git(src, "add", "-A")
        git(src, "commit", "-q", "-m", f"pr {i}")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{src}", str(clone))
    git(clone, "fetch", "-q", "--no-tags", "--depth=1", "origin", base)
    assert subprocess.run(["git", "merge-base", base, "HEAD"], cwd=clone, capture_output=True).returncode != 0
    (clone / "c.txt").write_text("untracked\n")
    assert changed_paths(clone, base) == ["b0.txt", "b1.txt", "c.txt"]
