"""Re-running the whole example repository with nothing changed: must take under 2 s.

Usage: python benchmarks/bench_rerun.py [--repo PATH] [--repeat N]

The first `charter run` brings the evidence up to date (not timed; it may train
models). Then `charter run` is timed end to end as a user runs it – a fresh
process: interpreter start, validation (cached), loading the specs, planning,
and one store look-up per job – and must execute no job. Prints the best of N
and PASS/FAIL against the 2 s budget.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BUDGET_S = 2.0
ROOT = Path(__file__).resolve().parent.parent


def charter(repo: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "charter", "run", "--repo", str(repo), *args],
                         capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=ROOT, help="governance repository (default: the example)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    elapsed, first = charter(args.repo, "--format", "json")
    if first.returncode == 2:
        print(first.stderr, file=sys.stderr)
        print("FAIL: the specs are invalid", file=sys.stderr)
        return 1
    report = json.loads(first.stdout)
    print(f"warm-up run: {report['counts']} in {elapsed:.2f}s")
    times = []
    jobs = 0
    for _ in range(args.repeat):
        elapsed, out = charter(args.repo, "--format", "json")
        data = json.loads(out.stdout)
        if data["counts"].get("ran", 0):
            print(f"FAIL: a re-run with nothing changed executed {data['counts']['ran']} job(s)")
            return 1
        jobs = len(data["jobs"])
        times.append(elapsed)
    best = min(times)
    verdict = "PASS" if best < BUDGET_S else "FAIL"
    print(f"re-run, nothing changed: {jobs} jobs, all cached; best {best:.3f}s, median "
          f"{sorted(times)[len(times) // 2]:.3f}s of {len(times)} (budget {BUDGET_S:.1f}s): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
