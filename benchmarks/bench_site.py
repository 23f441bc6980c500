"""Site build speed and size for a synthetic portfolio of 1,000 use cases.

Targets (issue 6): `charter build` of 1,000 use cases (a system card and an audit
report each, plus the portfolio, maturity, OKR and reference pages and the
exports) takes under 15 s and the site stays under 40 MB.

The repository is generated in a temporary folder: valid specs (five jobs each:
data contract, training, evaluation with two slice columns, fairness over two
sensitive attributes and their intersection, drift), evidence records written
through the engine's store layout under the planned evidence ids (so every
record is fresh), and a hash-chained ledger with one run entry per record. The
build then does everything `charter build` does: load and validate the specs,
plan, read the evidence, decide the gates (current and next stage), verify the
ledger, render, and run MkDocs-Material.

``--with-reference`` also measures a plain MkDocs-Material build of the same
generated pages with every page in the navigation and without Charter's plugin
(slow: the navigation makes it grow with the square of N).

    python benchmarks/bench_site.py [--n 1000] [--with-reference] [--keep DIR]

Site size is the sum of the files' sizes (what a deployment copies); the size on
disk (``du``) is printed beside it and is larger on 4 KiB-block file systems, as
each use case has two folders (its page and its model card).

Measured on the project's 2-CPU sandbox (shared), 1,000 use cases:

    charter build:   9.9–13.5 s wall (16.0–21.9 s CPU with both worker processes, load average 1.2–2.4)
                    39.8 MB in files (54.5 MB on disk)
    reference:     184.2 s wall, 1,323.7 MB: plain MkDocs-Material on the same pages,
                   every page in the navigation, no Charter plugin (measured earlier)

Issue 9 (one assessment per use case, the rule beside every verdict): the benchmark
writes its ledger through the engine's ``Ledger`` API (schema 2, hash-chained) and
checks that it verifies before building, so the "ledger" step verifies every record
(a ledger in the old format was refused at its first line, which made the step look
six times faster). Side by side with the code before (98f8099), same session,
alternating, on the shared machine with load average 15–22 (wall times are not
comparable there): CPU 8.0–9.2 s now against 8.2–8.5 s before, mkdocs step CPU
1.1–1.8 s against 1.6–1.9 s; 39.4 MB against 38.1 MB (each verdict cell now carries
the sentence of the rule that decided it). Generating the repository with fsync per
ledger entry took 100 s; fsync is skipped while generating (not what is measured).

Issue 14 (the site opens from disk): links name files (``use_directory_urls: false``),
the search index was written twice (``search_index.json`` for http, ``search_index.js``
for file://: +0.45 MB; now once, see below), the use-case list carries its filter values, and each use case
has search entries for its fairness, drift and gate sections. Those entries keep a
section's distinct words without numbers, short hashes, the words of the use case's
own entry, and words found in the section of more than a fifth of a large portfolio
(at least 50 use cases): this benchmark's use cases are alike, so few of its entries
remain, where a varied portfolio keeps more. Offsetting that, the shared chrome and
the fast pages drop the line breaks beside block-level tags and the content-tab
script. 39.46 MB before, 39.87 MB after.

Under 40 MB again (45.5 MB with the fairness records the runner writes now: per-group
intervals and confusion counts, the judged views). What each change saved, in file sizes:

* the JSON export ``charter.site/v2`` gives each value once (``exports/<id>.json``
  11.60 → 8.39 MB): a judged view's unjudged disparities (1.62 MB; the page shows the
  judged ones, the record holds all), the group ``metrics`` that repeated ``rates``
  (0.33), each result's evidence id and freshness (the ``evidence`` entry of its job,
  0.29), flags that are false by default (0.29), column lists (0.22), a decision's
  evidence bundle when it is the use case's (0.12), a metric's first verdict given twice
  (0.11), derived block labels, small-group copies and included-group lists (0.2);
* one search index, the script (−0.44 MB): over http ``charter.js`` answers the theme's
  request for the JSON with the script's JSON part;
* the theme's inline icons on the generated pages are empty ``<svg>`` elements drawn by
  rules the build appends to ``charter.css`` (masks of the same shapes, −0.95 MB;
  screenshots identical), and its inline set-up script runs from ``charter.js``
  (with the generator tag, −0.38 MB);
* one-paragraph texts without a wrapper, the group count tables' caption spelled out
  once a page, a decision's evidence bundle in full once (−0.50 MB);
* model cards: a metric per line (a YAML flow mapping), no ``verified: false`` (−0.25 MB).

Side by side with the code before (7ba5820), same session, alternating, five pairs at
load average 1.2–2.4: 11.2, 12.7, 13.5, 9.9, 11.5 s wall (17.2, 20.0, 21.9, 16.0, 18.5 s
CPU) now against 13.9, 14.9, 12.4, 11.1, 10.1 s (19.8, 23.3, 20.3, 16.9, 15.6 s CPU)
before: medians 11.5 against 12.4 s wall, 18.5 against 19.8 s CPU (three more pairs at
load 3–6 agree: 15.3–20.5 s CPU against 16.7–21.5 s).

Where the time went, and what was done about it (per 1,000 use cases):

* Python-Markdown and Material's page template cost ~35 ms per rich page, and the
  theme's chrome is ~6.5 KB per page. The per-use-case pages are therefore raw
  HTML in Markdown files: the plugin skips the parser for them, renders the chrome
  once and assembles each page from it, and keeps them out of the navigation.
  With a system card and an audit report on separate pages the chrome alone was
  13 MB and the site 46 MB, so each use case has one page holding both (the audit
  report is ``usecases/<id>/#audit``).
* The gates locate every requirement's line in its spec for annotations (a YAML
  parse per decision); the site shows no line numbers and skips that.
* Evidence records are parsed once (the ledger's verification reads them all;
  the per-use-case work reuses them) and the cyclic garbage collector is paused.
* The per-use-case work (evidence lookup, gate decisions, page, exports) runs in
  forked worker processes; pages and exports are written from threads.
* Search gets one entry per use case; the home page's prioritisation chart is a
  separate local SVG above 100 use cases; unused search stemmers and source maps
  are not shipped.

A use case is ~37 KB here (its page ~26 KB of which ~4.7 KB the theme's chrome, JSON
~8.4 KB, model card ~2.1 KB). The
example repository's richest use cases (ten slices, seventeen fairness groups,
long card texts) are about twice that, so a portfolio of 1,000 of those would
exceed 40 MB; the budget is set by what each page shows, not by the portfolio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "site"))

import site_fixture as fixture

TARGET_S = 15.0
TARGET_MB = 40.0
AS_OF = dt.date(2026, 3, 1)
STAGES = ["proposed", "experimentation", "pilot", "production"]
TEAMS = ["analytics", "model-risk"]


# A portfolio's mix: proposals have no jobs yet, experiments train and evaluate,
# pilots and production use cases run every job.
STAGE_MIX = [("proposed", 0.25), ("experimentation", 0.30), ("pilot", 0.25), ("production", 0.20)]


def _stage(i: int, n: int) -> str:
    edge = 0.0
    for stage, share in STAGE_MIX:
        edge += share
        if (i + 0.5) / n <= edge:
            return stage
    return STAGE_MIX[-1][0]


def _spec(i: int, n: int, rng: random.Random) -> dict[str, Any]:
    uid = f"uc-{i:04d}"
    stage = _stage((i * 7919) % n, n)  # interleaved, deterministic
    tier = "high" if i % 3 == 0 else "minimal"
    words = ("This model supports staff decisions with a documented scope, known limitations and a human "
             "reviewer who can override it; it is monitored monthly.")
    return fixture._doc(
        "UseCase", id=uid, title=f"Use case {i}: {rng.choice(['churn', 'fraud', 'demand', 'pricing'])} model",
        summary=f"Synthetic use case {i} for the site benchmark. It predicts an outcome for retail customers.",
        businessUnit="retail", team=TEAMS[i % 2], stage=stage, riskTier=tier,
        owners={"product-manager": "cleo", "data-scientist": "ana"}, tags=["benchmark", f"group-{i % 7}"],
        task={"type": "binary-classification", "target": "churned", "positiveLabel": 1,
              "description": "Flag customers likely to leave."},
        evaluation={"primaryMetric": "roc_auc", "threshold": 0.75, "secondaryMetrics": ["recall", "precision"]},
        data=[fixture.SOURCE, {"id": "recent", "path": "data/customers.csv", "sha256": fixture.CSV_SHA,
                               "description": "Recent customers.", "owner": "ana", "personalData": True}],
        businessImpact={"kpi": "Retention", "measurement": "Monthly cohorts.",
                        "valuePerYear": float(rng.randrange(10, 5000) * 1000)},
        consumption={"mode": "batch", "consumers": ["CRM"]},
        maturity={p: rng.randrange(0, 4) for p in ("development", "operationalisation", "continuous-training",
                                                     "model-deployment", "prediction-serving",
                                                     "continuous-monitoring", "management")},
        prioritisation={"strategicAlignment": rng.randrange(1, 6), "dataReadiness": rng.randrange(1, 6),
                        "technicalReadiness": rng.randrange(1, 6), "risk": rng.randrange(1, 6)},
        okrs=["churn-auc"] if i % 5 == 0 else [],
        jobs=_jobs(stage),
        fairness=[{"id": "sex-parity", "sensitiveAttributes": ["sex"], "metric": "demographic_parity_ratio",
                   "min": 0.8, "affectedGroups": "Women and men offered retention deals.",
                   "rationale": "Retention offers are a benefit; the four-fifths rule applies."}],
        card={f: words for f in ("intendedUse", "outOfScopeUse", "limitations", "ethicalConsiderations",
                                  "misuseAndEdgeCases", "contentWarnings", "humanOversight",
                                  "regulatoryJustification")},
    )


def _jobs(stage: str) -> list[dict[str, Any]]:
    if stage == "proposed":
        return []
    jobs = [{"id": "contract", "runner": "data-contract"},
            {"id": "train", "runner": "sklearn-train", "data": "customers", "features": {"numeric": ["tenure"]},
             "estimator": {"name": "LogisticRegression", "params": {"C": 1.0}}},
            {"id": "evaluate", "runner": "evaluate", "predictions": {"job": "train"},
             "slices": ["age_band", "region"]},
            {"id": "fairness", "runner": "fairness", "predictions": {"job": "train"}},
            {"id": "drift", "runner": "drift", "reference": "customers", "current": "recent"}]
    return jobs if stage in ("pilot", "production") else jobs[:3]


def _results(runner: str, rng: random.Random) -> dict[str, Any]:
    """Result payloads shaped like the runners' output for a binary classifier.

    Every metric the evaluate runner computes for the task, overall and for each
    slice (two columns, 3 and 4 values); fairness over two sensitive attributes
    (2 and 3 groups) and their intersection (6 groups) with every group metric,
    every disparity and its extremes; drift over 8 features.
    """
    from charter.metrics.catalog import TaskType, fairness_metrics_for_task, metrics_for_task

    def e(v: float, w: float = 0.04) -> dict[str, Any]:
        return {"value": v + rng.random() * 1e-4, "low": v - w + rng.random() * 1e-4,
                "high": v + w + rng.random() * 1e-4, "reason": None}

    if runner == "data-contract":
        return fixture._contract()
    if runner == "sklearn-train":
        return {"estimator": "LogisticRegression", "params": {"C": 1.0, "max_iter": 1000},
                "features": ["tenure", "income", "region", "products", "tickets", "age_band"], "target": "churned",
                "n_train": 15000, "n_test": 5000, "labels": [0, 1], "predictions_artifact": "predictions",
                "model_artifact": "model"}
    if runner == "evaluate":
        auc = 0.7 + rng.random() * 0.2
        names = metrics_for_task(TaskType.BINARY)
        slices = {col: {v: {"n": 600 + 37 * k, "metrics": {m: e(auc - 0.02 * k) for m in names}}
                        for k, v in enumerate(vals)}
                  for col, vals in (("age_band", ["old", "young", "middle"]),
                                    ("region", ["north", "south", "east", "west"]))}
        return {"task": "binary-classification", "source": "job:train", "n": 5000, "labels": [0, 1],
                "metrics": {m: e(auc) for m in names}, "confusion_matrix": [[3610, 390], [512, 488]],
                "slices": slices, "bootstrap": {"replicates": 1000, "confidence": 0.95, "seed": 0,
                                                "interval": "percentile", "method": "row resampling"}}
    if runner == "fairness":
        group_metrics = ["accuracy", "fnr", "fpr", "precision", "selection_rate", "tpr"]
        disparities = fairness_metrics_for_task(TaskType.BINARY)

        def block(attrs: list[str], labels: list[str]) -> dict[str, Any]:
            # what a fairness record holds per group since result version 4: rates with Wilson intervals
            # and the group's confusion matrix; and the judged view the policy's gate reads
            groups = []
            for k, lab in enumerate(labels):
                n = 120 + 233 * k
                metrics = {m: round(0.2 + rng.random() * 0.6, 6) for m in group_metrics}
                pos = n // 5
                tp = int(pos * metrics["tpr"])
                fp = int((n - pos) * metrics["fpr"])
                groups.append({"group": dict(zip(attrs, lab.split(" × "))), "label": lab, "n": n, "small": False,
                               "metrics": metrics,
                               "intervals": {m: [round(v - 0.04, 6), round(v + 0.04, 6)] for m, v in metrics.items()},
                               "confusion": [[n - pos - fp, fp], [pos - tp, tp]]})
            disp = {d: e(0.85) if d.endswith("ratio") else e(0.05, 0.03) for d in disparities}
            extremes = {d: {"metric": "selection_rate", "min_group": labels[0], "max_group": labels[-1]}
                        for d in disparities}
            view = {"min_group_size": 30, "include_small_groups": False, "reference_group": None,
                    "included": labels, "excluded": [], "disparities": disp, "extremes": extremes}
            return {"attributes": attrs, "groups": groups, "disparities": disp, "extremes": extremes,
                    "views": [view]}

        ages = ["old", "young", "middle"]
        return {"task": "binary-classification", "source": "job:train", "min_group_size": 30,
                "results": [block(["sex"], ["female", "male"]), block(["age_band"], ages),
                            block(["sex", "age_band"], [f"{s} × {a}" for s in ("female", "male") for a in ages])],
                "bootstrap": {"replicates": 1000, "confidence": 0.95, "seed": 0}}
    features = [{"name": f, "kind": "numeric", "method": "psi", "statistic": round(rng.random() * 0.2, 6),
                 "p_value": round(rng.random(), 6), "psi": None, "threshold": 0.1, "drifted": k < 2}
                for k, f in enumerate(["tenure", "income", "products", "tickets", "balance", "logins", "calls",
                                       "age"])]
    return {"reference": "customers", "current": "recent", "schema_changes": {"added": [], "removed": [],
                                                                              "retyped": []},
            "features": features, "drift_share": 0.25, "drifted": False,
            "thresholds": {"psi": 0.1, "ks": 0.05, "chi2": 0.05, "drift_share": 0.5}}


def make_repo(root: Path, n: int, seed: int = 0) -> dict[str, int]:
    """Write specs, data, evidence records and the ledger; returns counts."""
    from charter.engine.ledger import Ledger
    from charter.engine.store import EvidenceStore
    from charter.loading.loader import load_repository

    rng = random.Random(seed)
    fixture.write_repo(root)
    shutil.rmtree(root / "usecases")
    okrs = fixture.OKRS
    okrs["objectives"][0]["keyResults"][0]["measuredBy"]["useCase"] = "uc-0000"
    (root / "governance" / "okrs.yaml").write_text(yaml.safe_dump(okrs, sort_keys=False))
    for i in range(n):
        spec = _spec(i, n, rng)
        folder = root / "usecases" / spec["id"]
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "customers.csv").write_text(fixture.CSV)
        (folder / "usecase.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    repo = load_repository(root)
    if not repo.ok:
        raise SystemExit("synthetic specs are invalid:\n" + "\n".join(str(d) for d in repo.errors[:5]))
    store = EvidenceStore(root)
    ledger = Ledger(root)
    records = 0
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # durability is not what is measured: generating 5,000 entries stays quick
    try:
        records = _write_evidence(repo, store, ledger, rng)
    finally:
        os.fsync = real_fsync
    # the build's "ledger" step must verify a valid chain over every record, not stop at a bad first line
    check = ledger.verify(store=store)
    if not check.ok or check.records_checked != records:
        raise SystemExit("the generated ledger does not verify: " + "; ".join(p.message for p in check.problems[:3]))
    return {"usecases": len(repo.usecases), "records": records}


def _write_evidence(repo: Any, store: Any, ledger: Any, rng: random.Random) -> int:
    from charter.artifacts.ledger import RunEntry
    from charter.engine.plan import plan_usecase
    from charter.engine.store import record_bytes
    from charter.evidence.records import EvidenceRecord

    records = 0
    for uid in sorted(repo.usecases):
        for p in plan_usecase(repo, repo.usecases[uid]):
            rec = EvidenceRecord(
                id=p.evidence_id, use_case=uid, job=p.job_id, runner=p.runner, status="pass", inputs=p.inputs,
                lineage={"git_commit": "c0ffee" + "0" * 34, "git_dirty": False, "charter_version": "0.1.0",
                         "python": "3.11.7", "platform": "Linux-x86_64"},
                started_at="2026-02-20T10:00:00+00:00", finished_at=f"2026-02-20T10:{records % 60:02d}:02+00:00",
                duration_s=2.0, results=_results(p.runner, rng))
            stored = store.put(rec)  # the engine's write-once record file
            data = record_bytes(rec)
            assert stored.sha256 == hashlib.sha256(data).hexdigest()
            records += 1
            # the engine's own ledger API (current schema, hash-chained, head anchor rewritten)
            at = f"2026-02-20T10:{records % 60:02d}:{records % 59:02d}.000000+00:00"
            run = RunEntry(use_case=uid, job=p.job_id, runner=p.runner, evidence_id=p.evidence_id, status="pass",
                           record_sha256=hashlib.sha256(data).hexdigest(), duration_s=2.0)
            ledger.append("run", run.model_dump(mode="json"), at=at)
    return records


def _cpu() -> float:
    """CPU seconds of this process and of the workers it waited for."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def _du(folder: Path) -> int:
    """Disk usage in bytes (allocated blocks), as `du` reports it."""
    total = 0
    for dirpath, _dirs, names in os.walk(folder):
        total += os.lstat(dirpath).st_blocks * 512
        for name in names:
            total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def charter_build(root: Path) -> dict[str, Any]:
    from charter.site.build import build_site, tree_size

    wall, cpu = time.perf_counter(), _cpu()
    report = build_site(root, as_of=AS_OF)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    if not report.ok:
        raise SystemExit("build failed: " + "; ".join(report.errors[:5]))
    size, files = tree_size(report.site_dir)
    return {"wall": wall, "cpu": cpu, "bytes": size, "files": files, "du": _du(report.site_dir),
            "timings": report.timings, "cpu_steps": report.cpu, "pages": report.pages, "fast": report.fast_pages,
            "site": report.site_dir, "docs": report.docs_dir}


def reference_build(docs: Path, out: Path, site_name: str) -> dict[str, Any]:
    """Plain MkDocs-Material on the same pages: default navigation (every page listed), no Charter plugin."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from charter.site.build import tree_size

    cfg = out / "mkdocs.yml"
    out.mkdir(parents=True, exist_ok=True)
    cfg.write_text(yaml.safe_dump({
        "site_name": site_name, "docs_dir": str(docs), "site_dir": str(out / "site"),
        "theme": {"name": "material", "font": False, "features": ["navigation.tabs"]},
        "plugins": ["search"], "markdown_extensions": ["tables", "attr_list", "admonition", {"toc": {"permalink": True}}],
        "extra_css": ["assets/charter/charter.css"],
    }))
    import logging

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    wall, cpu = time.perf_counter(), _cpu()
    build(load_config(str(cfg)))
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    size, files = tree_size(out / "site")
    return {"wall": wall, "cpu": cpu, "bytes": size, "files": files, "du": _du(out / "site")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="use cases (default 1000)")
    ap.add_argument("--with-reference", action="store_true",
                    help="also build the same pages with plain MkDocs-Material, every page in the navigation")
    ap.add_argument("--keep", type=Path, help="generate the repository here and keep it")
    args = ap.parse_args()
    import material  # noqa: F401
    import mkdocs.commands.build  # noqa: F401

    import charter.site.build  # noqa: F401  (import time is not part of the build measured)

    tmp = None
    if args.keep:
        root = args.keep
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
    else:
        tmp = tempfile.TemporaryDirectory()
        root = Path(tmp.name)
    try:
        start = time.perf_counter()
        counts = make_repo(root, args.n)
        print(f"generated {counts['usecases']} use cases, {counts['records']} evidence records "
              f"in {time.perf_counter() - start:.1f} s")
        r = charter_build(root)
        mb = r["bytes"] / 1e6
        ok_t, ok_s = r["wall"] < TARGET_S, mb < TARGET_MB
        print(f"pages: {r['pages']} ({r['fast']} on the fast path), files in the site: {r['files']:,}")
        print("steps (wall / CPU): " + ", ".join(f"{k} {v:.2f}/{r['cpu_steps'][k]:.2f} s"
                                                 for k, v in r["timings"].items()))
        print(f"charter build:  {r['wall']:6.2f} s wall ({r['cpu']:.2f} s CPU)   "
              f"[{'PASS' if ok_t else 'FAIL'}: target < {TARGET_S:.0f} s]")
        print(f"site size:      {mb:6.1f} MB in files ({r['du'] / 1e6:.1f} MB on disk)   "
              f"[{'PASS' if ok_s else 'FAIL'}: target < {TARGET_MB:.0f} MB]")
        if args.with_reference:
            ref = reference_build(r["docs"], root / "reference", "Reference")
            print(f"reference (plain MkDocs-Material, all pages in the nav, no Charter plugin): "
                  f"{ref['wall']:.1f} s wall ({ref['cpu']:.1f} s CPU), {ref['bytes'] / 1e6:.1f} MB in files "
                  f"({ref['du'] / 1e6:.1f} MB on disk)")
        load = os.getloadavg()[0]
        print(f"load average during the run: {load:.1f} on {os.cpu_count()} CPUs")
        return 0 if ok_t and ok_s else 1
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
