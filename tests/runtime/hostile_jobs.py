"""Repositories with slow, hostile jobs for the run-time bound tests (budgets, interrupts, crashes)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import repo_builder as rb

EVIL_PATTERN = "(a|aa)+$"
"""Backtracks catastrophically on a run of a's that does not end the value: each value hits the per-value limit."""


def evil_values(n: int) -> list[str]:
    return ["a" * 30 + f"!{i:05d}" for i in range(n)]


def hostile_repo(root: Path, *, jobs_policy: dict[str, Any] | None = None, timeout_seconds: int | None = None,
                 rows: int = 4000, light: tuple[str, ...] = ()) -> Path:
    """Use case 'slow': a data contract whose pattern backtracks on every one of ``rows`` values (minutes
    of matching with the per-value limit alone). ``light``: quick use cases next to it."""
    policy = copy.deepcopy(rb.POLICY)
    if jobs_policy is not None:
        policy["jobs"] = jobs_policy
    rb.build_repo(root, policy=policy)
    for uc_id in light:
        spec = rb.credit_usecase(uc_id)
        # a generous budget of their own: starting a fresh worker (pandas, pandera) takes seconds
        spec["jobs"] = [{**j, "timeoutSeconds": 300} for j in spec["jobs"] if j["runner"] in ("data-contract", "drift")]
        rb.add_credit(root, n=200, uc_id=uc_id, spec=spec)
    frame = rb.credit_frame(rows)
    frame["customer_id"] = evil_values(rows)
    rb.write_frame(root, "slow", "data/applications.csv", frame)
    spec = rb.credit_usecase("slow")
    spec["data"] = spec["data"][:1]
    spec["data"][0]["contract"]["columns"]["customer_id"]["pattern"] = EVIL_PATTERN
    job: dict[str, Any] = {"id": "contract", "runner": "data-contract", "data": ["applications"]}
    if timeout_seconds is not None:
        job["timeoutSeconds"] = timeout_seconds
    spec["jobs"] = [job]
    rb.write_usecase(root, spec)
    return root
