"""Phase 2: meaning. References across files, ranges, allowlists, policy coherence."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..diagnostics import did_you_mean, known_list
from ..kinds import requirements as requirement_kinds
from ..kinds.requirements import loosening
from ..kinds import runners
from ..metrics.catalog import FAIRNESS_METRICS, MODEL_METRICS, TaskType, applies, metrics_for_task
from ..resolve import fairness_check_loosening, get_stage, get_tier, stage_index
from ..spec import known
from ..spec.common import PROCESS_IDS
from ..spec.usecase import Features, UseCase
from .files import PathEscape, resolve_inside
from .shape import ShapeContext

Loc = list[str | int]


class _Checker:
    def __init__(self, repo: Any, check_data: bool, today: dt.date) -> None:
        self.repo = repo
        self.check_data = check_data
        self.today = today
        org = self.org = repo.organisation or repo.salvaged.get("Organisation")
        self.people_complete = repo.organisation is not None or (
            org is not None and not repo.salvaged_dropped.get("Organisation"))
        """Whether ``people`` is everyone the organisation declares (not when a person was dropped for errors)."""
        self.dropped = repo.salvaged_ids
        self.people = {p.id: p for p in org.people} if org else {}
        self.roles = {r.id for r in org.roles} if org else set(known_roles())
        self.teams = {t.id for t in org.teams} if org else set()
        self.units = {b.id for b in org.business_units} if org else set()
        okr_sets = list(repo.okrs) + list(repo.salvaged.get("OKRs", []))
        self.krs = {kr.id for s in okr_sets for o in s.objectives for kr in o.key_results}
        pol = repo.policy
        self.stages = [s.id for s in pol.stages] if pol else []
        self.tiers = [t.id for t in pol.risk_tiers] if pol else []
        mm = repo.maturity
        self.max_level = {p.id: max(lv.level for lv in p.levels) for p in mm.processes} if mm else {}
        al = repo.allowlist or repo.salvaged.get("Allowlist")
        self.runners = set(al.runners) if al else set(runners.names())
        self.estimators = {e.name: e for e in al.estimators} if al else {}
        self.models = {m.id: m for m in al.models} if al else {}
        self.text_params = dict(al.text_params) if al else {}
        self.ctx: ShapeContext | None = None

    # -- plumbing -----------------------------------------------------------------------

    def use(self, rel: str) -> None:
        sf = self.repo.files[rel]
        self.ctx = ShapeContext(rel, sf.text, sf.data)

    def err(self, code: str, loc: Loc, message: str, hint: str | None = None, *, severity: str = "error",
            at_key: bool = False) -> None:
        assert self.ctx is not None
        self.repo.diagnostics.append(self.ctx.diag(code, loc, message, hint, severity=severity, at_key=at_key))

    def ref(self, loc: Loc, value: str, known_ids: Iterable[str], what: str) -> bool:
        ids = list(known_ids)
        if value in ids:
            return True
        if what == "use case" and value in self.repo.broken_usecase_ids:
            return False  # its own file already reports the problem
        if value in self.dropped:
            return False  # an item dropped for its shape errors: its own file reports them
        hint = did_you_mean(value, ids) or (f"known {what}s: {known_list(ids)}" if ids else f"no {what}s are declared")
        self.err("CH020", loc, f"unknown {what} '{value}'", hint)
        return False

    def unique(self, items: list[Any], loc: Loc, what: str, key: str = "id") -> None:
        counts = Counter(getattr(i, key) for i in items)
        for index, item in enumerate(items):
            value = getattr(item, key)
            if counts[value] > 1 and index != next(j for j, x in enumerate(items) if getattr(x, key) == value):
                self.err("CH022", loc + [index, key], f"duplicate {what} id '{value}'", "ids must be unique")

    def person(self, loc: Loc, pid: str, role: str | None = None) -> None:
        if self.org is None and self._has_kind("Organisation"):
            return  # the organisation file is too broken to say who exists; it reports why
        if not self.ref(loc, pid, self.people, "person"):
            return
        if role is not None and role not in self.people[pid].roles:
            holders = sorted(p.id for p in self.people.values() if role in p.roles)
            self.err("CH021", loc, f"'{pid}' does not hold the role '{role}' (holds: {', '.join(self.people[pid].roles)})",
                     f"people with that role: {known_list(holders)}" if holders else f"nobody holds '{role}' yet")

    # -- governance ---------------------------------------------------------------------

    def _has_kind(self, kind: str) -> bool:
        return any(isinstance(sf.data, dict) and sf.data.get("kind") == kind for sf in self.repo.files.values())

    def organisation(self) -> None:
        org = self.org  # a salvaged one too: the rest of a file with one bad item is still checked
        if org is None or (self.repo.organisation is None and self.repo.salvaged_dropped.get("Organisation")):
            return  # items were dropped: the salvaged lists' indices are not the file's
        self.use(self._file_of("Organisation"))
        self.unique(org.roles, ["roles"], "role")
        self.unique(org.business_units, ["businessUnits"], "business unit")
        self.unique(org.teams, ["teams"], "team")
        self.unique(org.people, ["people"], "person")
        for i, r in enumerate(org.roles):
            if r.id not in known_roles():
                self.err("CH013", ["roles", i, "id"], f"'{r.id}' is not one of the eight MLOps roles",
                         did_you_mean(r.id, known_roles()) or f"roles: {', '.join(known_roles())}", severity="warning")
        for i, t in enumerate(org.teams):
            self.ref(["teams", i, "businessUnit"], t.business_unit, self.units, "business unit")
        from ..signing import SigningError, parse_public_key

        seen_keys: dict[bytes, str] = {}
        for i, p in enumerate(org.people):
            self.ref(["people", i, "team"], p.team, self.teams, "team")
            for j, role in enumerate(p.roles):
                self.ref(["people", i, "roles", j], role, self.roles, "role")
            for j, line in enumerate(p.signing_keys):
                try:
                    key = parse_public_key(line)
                except SigningError as exc:
                    self.err("CH043", ["people", i, "signingKeys", j], f"signing key of '{p.id}': {exc}",
                             "list OpenSSH ed25519 public keys: the line of `ssh-keygen -t ed25519`'s .pub file")
                    continue
                other = seen_keys.setdefault(key.blob, p.id)
                if other != p.id:
                    self.err("CH043", ["people", i, "signingKeys", j],
                             f"the signing key {key.fingerprint} of '{p.id}' is also listed for '{other}'",
                             "a key identifies one person: each approver signs with their own")

    def maturity(self) -> None:
        mm = self.repo.maturity
        if mm is None:
            return
        self.use(self._file_of("MaturityModel"))
        self.unique(mm.processes, ["processes"], "process")
        self.unique(mm.organisation_stages, ["organisationStages"], "organisation stage")
        declared = [p.id for p in mm.processes]
        for i, p in enumerate(mm.processes):
            if p.id not in PROCESS_IDS:
                self.err("CH013", ["processes", i, "id"], f"'{p.id}' is not one of the seven MLOps processes",
                         did_you_mean(p.id, PROCESS_IDS) or f"processes: {', '.join(PROCESS_IDS)}")
            levels = sorted(lv.level for lv in p.levels)
            if levels != list(range(len(levels))):
                self.err("CH013", ["processes", i, "levels"], f"levels must run 0, 1, 2, … without gaps; got {levels}")
        for pid in PROCESS_IDS:
            if pid not in declared:
                self.err("CH011", ["processes"], f"the maturity model lacks the process '{pid}'")

    def okrs(self) -> None:
        seen: dict[str, str] = {}
        for rel, sf in self.repo.files.items():
            if sf.data.get("kind") != "OKRs":
                continue
            model = next((s for s in self.repo.okrs if _same(s, sf.data)), None)
            if model is None:
                continue
            self.use(rel)
            self.unique(model.objectives, ["objectives"], "objective")
            linked = {kr for uc in self.repo.usecases.values() for kr in uc.okrs}
            for i, o in enumerate(model.objectives):
                self.person(["objectives", i, "owner"], o.owner)
                buckets = {kr.bucket for kr in o.key_results}
                is_ai = any(kr.measured_by is not None or kr.id in linked for kr in o.key_results)
                if is_ai and ("ai-proxy" not in buckets or not buckets & {"north-star", "product-health"}):
                    missing = "an ai-proxy" if "ai-proxy" not in buckets else "a north-star or product-health"
                    self.err("CH036", ["objectives", i], f"objective '{o.id}' is served by AI use cases but has no "
                             f"{missing} key result",
                             "a good AI OKR measures the model (ai-proxy) and the product it serves",
                             severity="warning")
                for j, kr in enumerate(o.key_results):
                    loc: Loc = ["objectives", i, "keyResults", j]
                    if kr.id in seen:
                        self.err("CH022", loc + ["id"], f"key result id '{kr.id}' is also used in {seen[kr.id]}")
                    seen[kr.id] = rel
                    if kr.measured_by is not None:
                        mb = kr.measured_by
                        if self.ref(loc + ["measuredBy", "useCase"], mb.use_case, self.repo.usecases, "use case"):
                            self.metric_name(loc + ["measuredBy", "metric"], mb.metric,
                                             self.repo.usecases[mb.use_case])

    def policy(self) -> None:
        pol = self.repo.policy
        if pol is None:
            return
        self.use(self._file_of("Policy"))
        self.unique(pol.stages, ["stages"], "stage")
        self.unique(pol.risk_tiers, ["riskTiers"], "risk tier")
        for i, s in enumerate(pol.stages):
            self.requirements(["stages", i, "requires"], s.requires, None)
        for i, t in enumerate(pol.risk_tiers):
            if t.max_stage is not None:
                self.ref(["riskTiers", i, "maxStage"], t.max_stage, self.stages, "stage")
            for stage_id, reqs in t.requires.items():
                if not self.ref(["riskTiers", i, "requires", stage_id], stage_id, self.stages, "stage"):
                    continue
                self.requirements(["riskTiers", i, "requires", stage_id], reqs, None)
                stage = get_stage(pol, stage_id)
                base = {r.id: r for r in stage.requires} if stage else {}
                for j, r in enumerate(reqs):
                    if r.id in base and (why := loosening(base[r.id], r)):
                        self.err("CH031", ["riskTiers", i, "requires", stage_id, j],
                                 f"risk tier '{t.id}' loosens the stage requirement '{r.id}': {why}",
                                 "a risk tier may only add or tighten requirements")
        for i, sid in enumerate(pol.approvals.signed_for):
            self.ref(["approvals", "signedFor", i], sid, self.stages, "stage")
        for i, sid in enumerate(pol.lineage.clean_for):
            self.ref(["lineage", "cleanFor", i], sid, self.stages, "stage")
        for i, rule in enumerate(pol.waivers or ()):
            loc: Loc = ["waivers", i]
            self.ref(loc + ["kind"], rule.kind, requirement_kinds.KINDS, "requirement kind")
            for j, tid in enumerate(rule.risk_tiers):
                self.ref(loc + ["riskTiers", j], tid, self.tiers, "risk tier")
            for j, role in enumerate(rule.roles):
                self.ref(loc + ["roles", j], role, self.roles, "role")
            if rule.signed and self.people and not any(
                    set(rule.roles) & set(p.roles) and p.signing_keys for p in self.people.values()):
                self.err("CH031", loc + ["signed"], f"'{rule.kind}' waivers must be signed, but nobody holding "
                         f"{', '.join(rule.roles)} lists a signing key", "add signingKeys to those people",
                         severity="warning")
        for i, d in enumerate(pol.fairness.defaults):
            info = FAIRNESS_METRICS.get(d.metric)
            if info is None:
                self.err("CH026", ["fairness", "defaults", i, "metric"], f"unknown fairness metric '{d.metric}'",
                         did_you_mean(d.metric, FAIRNESS_METRICS))
            else:
                self.bounds(["fairness", "defaults", i], d.metric, d.min, d.max, info)

    def allowlist(self) -> None:
        al = self.repo.allowlist
        if al is None:
            return
        self.use(self._file_of("Allowlist"))
        for i, r in enumerate(al.runners):
            if runners.find(r) is None:
                self.err("CH028", ["runners", i], f"'{r}' is not a runner Charter provides",
                         did_you_mean(r, runners.names()) or f"runners: {', '.join(runners.names())}")
        for i, e in enumerate(al.estimators):
            if e.name not in known.ESTIMATORS:
                self.err("CH029", ["estimators", i, "name"], f"'{e.name}' is not an estimator Charter provides",
                         did_you_mean(e.name, known.ESTIMATORS) or f"estimators: {known_list(known.ESTIMATORS)}")
        for i, m in enumerate(al.models):
            if (m.package is None) == (m.path is None):
                self.err("CH013", ["models", i], "give exactly one of 'package' or 'path'")
            elif m.package is not None and m.package not in known.MODEL_PACKAGES:
                self.err("CH029", ["models", i, "package"], f"'{m.package}' is not a model package Charter knows",
                         f"known: {', '.join(known.MODEL_PACKAGES)}")
            elif m.path is not None:
                try:
                    resolve_inside(self.repo.root, self.repo.root, m.path)
                except PathEscape as exc:
                    self.err("CH025", ["models", i, "path"], f"'{m.path}': {exc}")

    def param_rule_bounds(self) -> None:
        """An allowlist rule whose range is empty: blamed here, not on the use cases it rejects."""
        al = self.repo.allowlist
        if al is None:
            return
        self.use(self._file_of("Allowlist"))
        for i, e in enumerate(al.estimators):
            for pname, rule in e.params.items():
                if rule.min is not None and rule.max is not None and rule.min > rule.max:
                    self.err("CH031", ["estimators", i, "params", pname, "max"],
                             f"{e.name}.{pname}: max {rule.max:g} is below min {rule.min:g}; no value is allowed",
                             "swap the bounds, or remove the parameter to disallow it")
        for pname, rule in al.text_params.items():
            if rule.min is not None and rule.max is not None and rule.min > rule.max:
                self.err("CH031", ["textParams", pname, "max"],
                         f"textParams.{pname}: max {rule.max:g} is below min {rule.min:g}; no value is allowed",
                         "swap the bounds, or remove the setting to disallow it")
        from ..kinds.runners.text_finetune import text_param_names, text_param_field

        for pname in al.text_params:
            if text_param_field(pname) is None:
                self.err("CH029", ["textParams", pname], f"'{pname}' is not a text training setting Charter knows",
                         did_you_mean(pname, text_param_names()) or f"settings: {known_list(text_param_names())}",
                         at_key=True)

    def jobs_policy(self) -> None:
        """Job budgets: the default must fit under the maximum a job may ask for."""
        pol = self.repo.policy
        if pol is None:
            return
        self.use(self._file_of("Policy"))
        j = pol.jobs
        if j.timeout_seconds > j.max_timeout_seconds:
            self.err("CH031", ["jobs", "timeoutSeconds"],
                     f"the default job budget {j.timeout_seconds} s exceeds jobs.maxTimeoutSeconds "
                     f"({j.max_timeout_seconds} s)", "raise maxTimeoutSeconds or lower timeoutSeconds")

    def job_budgets(self, uc: UseCase, rel: str) -> None:
        """A job may ask for a longer budget than the policy default, up to the policy maximum."""
        from ..spec.governance import jobs_settings

        self.use(rel)
        top = jobs_settings(self.repo.policy).max_timeout_seconds
        for i, job in enumerate(uc.jobs):
            asked = getattr(job, "timeout_seconds", None)  # a registered kind's spec model may not have one
            if asked is not None and asked > top:
                self.err("CH013", ["jobs", i, "timeoutSeconds"],
                         f"job '{job.id}' asks for a {asked} s budget; the policy allows at most "
                         f"{top} s (jobs.maxTimeoutSeconds)", f"set timeoutSeconds to {top} or less")

    def feature_groups(self, uc: UseCase, rel: str) -> None:
        """A training column is either numeric or categorical, and listed once: the pipeline
        would otherwise encode it twice."""
        self.use(rel)
        for i, job in enumerate(uc.jobs):
            features = getattr(job, "features", None)
            if not isinstance(features, Features):
                continue
            seen: dict[str, str] = {}
            for group in ("numeric", "categorical"):
                for k, name in enumerate(getattr(features, group)):
                    if name not in seen:
                        seen[name] = group
                        continue
                    where = f"twice under '{group}'" if seen[name] == group else f"under both '{seen[name]}' and '{group}'"
                    self.err("CH022", ["jobs", i, "features", group, k], f"feature '{name}' is listed {where}",
                             "list each column once, under numeric or categorical")

    # -- shared pieces ------------------------------------------------------------------

    def metric_name(self, loc: Loc, name: str, uc: UseCase | None) -> bool:
        if uc is not None and uc.task is not None:
            allowed = metrics_for_task(uc.task.type)
            if name in allowed or name == "primary" or applies(name, uc.task.type):
                return True
            if name in MODEL_METRICS:
                self.err("CH026", loc, f"metric '{name}' does not apply to {uc.task.type.value}",
                         f"metrics for {uc.task.type.value}: {', '.join(allowed)}")
                return False
            self.err("CH026", loc, f"unknown metric '{name}'", did_you_mean(name, allowed) or f"metrics: {', '.join(allowed)}")
            return False
        if name in MODEL_METRICS or name == "primary":
            return True
        self.err("CH026", loc, f"unknown metric '{name}'", did_you_mean(name, MODEL_METRICS))
        return False

    def bounds(self, loc: Loc, name: str, lo: float | None, hi: float | None, info: Any) -> None:
        for key, value in (("min", lo), ("max", hi)):
            if value is not None and not info.in_range(value):
                self.err("CH027", loc + [key], f"{value:g} is outside the range of {name} {info.range_text()}",
                         f"{info.title}: {'higher' if info.greater_is_better else 'lower'} is better")
        if lo is not None and hi is not None and lo > hi:
            self.err("CH013", loc, f"min {lo:g} is greater than max {hi:g}")

    def requirements(self, loc: Loc, reqs: list[Any], uc: UseCase | None) -> None:
        self.unique(reqs, loc, "requirement")
        for j, r in enumerate(reqs):
            requirement_kinds.crossref(self, loc + [j], r, uc)

    # -- use cases ----------------------------------------------------------------------

    def usecase(self, uc: UseCase, rel: str) -> None:
        self.use(rel)
        folder = Path(rel).parent.name
        if uc.id != folder:
            self.err("CH035", ["id"], f"id '{uc.id}' does not match its folder 'usecases/{folder}'",
                     f"rename the folder or set id: {folder}")
        if self.units:
            self.ref(["businessUnit"], uc.business_unit, self.units, "business unit")
        if self.teams:
            self.ref(["team"], uc.team, self.teams, "team")
        if self.stages:
            if self.ref(["stage"], uc.stage, self.stages, "stage"):
                self.tier_stage(uc)
        if self.tiers:
            self.ref(["riskTier"], uc.risk_tier, self.tiers, "risk tier")
        for role, pids in uc.owner_ids().items():
            if self.ref(["owners", role], role, self.roles, "role") and self.people:
                value = uc.owners[role]
                for k, pid in enumerate(pids):
                    self.person(["owners", role] + ([] if isinstance(value, str) else [k]), pid, role)
        for i, kr in enumerate(uc.okrs):
            self.ref(["okrs", i], kr, self.krs, "key result")
        self.definition(uc)
        self.data(uc)
        self.jobs(uc)
        self.fairness(uc)
        self.gates(uc)
        self.approvals(uc)
        if uc.maturity is not None:
            for pid, level in uc.maturity.by_process().items():
                top = self.max_level.get(pid)
                if top is not None and level > top:
                    self.err("CH013", ["maturity", pid], f"level {level} does not exist for '{pid}' (highest: {top})")
        if uc.prioritisation is not None:
            for k, other in enumerate(uc.prioritisation.cannibalises):
                self.ref(["prioritisation", "cannibalises", k], other, self.repo.usecases, "use case")

    def tier_stage(self, uc: UseCase) -> None:
        pol = self.repo.policy
        tier = get_tier(pol, uc.risk_tier)
        if tier is not None and tier.max_stage is not None:
            if stage_index(pol, uc.stage) > stage_index(pol, tier.max_stage):
                self.err("CH013", ["stage"], f"risk tier '{tier.id}' allows at most stage '{tier.max_stage}'",
                         tier.description.splitlines()[0] if tier.description else None)

    def definition(self, uc: UseCase) -> None:
        if uc.task is None or uc.evaluation is None:
            return
        task = uc.task.type
        ev = uc.evaluation
        if self.metric_name(["evaluation", "primaryMetric"], ev.primary_metric, uc):
            info = MODEL_METRICS[ev.primary_metric]
            if not info.in_range(ev.threshold):
                self.err("CH027", ["evaluation", "threshold"],
                         f"{ev.threshold:g} is outside the range of {ev.primary_metric} {info.range_text()}",
                         f"thresholds are numbers in {info.range_text()} for this metric ({ev.primary_metric})")
        for i, m in enumerate(ev.secondary_metrics):
            self.metric_name(["evaluation", "secondaryMetrics", i], m, uc)
        if task is TaskType.BINARY and uc.task.positive_label is None:
            self.err("CH011", ["task"], "binary classification needs 'positiveLabel'",
                     "the label value that counts as positive, for example 1")

    def data(self, uc: UseCase) -> None:
        self.unique(uc.data, ["data"], "data source")
        base = self.repo.root / Path(self.repo.usecase_files[uc.id]).parent
        for i, d in enumerate(uc.data):
            loc: Loc = ["data", i]
            if self.people:
                self.person(loc + ["owner"], d.owner)
            contract = d.contract
            columns = contract.columns if contract else None
            if contract is not None and columns is not None:
                for k, a in enumerate(d.sensitive_attributes):
                    if a not in columns:
                        self.err("CH033", loc + ["sensitiveAttributes", k], f"'{a}' is not a column of the contract",
                                 did_you_mean(a, columns))
                for name, col in columns.items():
                    if col.pattern is not None:
                        try:
                            re.compile(col.pattern)
                        except re.error as exc:
                            self.err("CH013", loc + ["contract", "columns", name, "pattern"],
                                     f"invalid regular expression: {exc}")
                    if col.min is not None and col.max is not None and col.min > col.max:
                        self.err("CH013", loc + ["contract", "columns", name], f"min {col.min:g} is greater than max {col.max:g}")
                rows = contract.rows
                if rows and rows.min is not None and rows.max is not None and rows.min > rows.max:
                    self.err("CH013", loc + ["contract", "rows"], f"min {rows.min} is greater than max {rows.max}")
            try:
                path = resolve_inside(self.repo.root, base, d.path)
            except PathEscape as exc:
                self.err("CH025", loc + ["path"], f"'{d.path}': {exc}", "data files live inside the repository")
                continue
            if not path.is_file() and not path.is_dir():
                self.err("CH023", loc + ["path"], f"data file '{d.path}' does not exist",
                         f"looked for {path.relative_to(self.repo.root.resolve()).as_posix()}")
                continue
            if self.check_data:
                try:
                    actual = self.repo.hashes.sha256(path)
                except OSError as exc:
                    self.err("CH008", loc + ["path"], f"cannot read '{d.path}': {exc.strerror}")
                    continue
                except ValueError as exc:  # a data set folder without partitions, or with a link
                    self.err("CH023", loc + ["path"], f"data set folder '{d.path}': {exc}")
                    continue
                if actual != d.sha256:
                    self.err("CH024", loc + ["sha256"], f"'{d.path}' does not match its pinned sha256",
                             f"the file's sha256 is {actual}; if the change is intended, pin the new hash")

    def columns_of(self, uc: UseCase, data_id: str) -> dict[str, Any] | None:
        src = uc.source(data_id)
        return dict(src.contract.columns) if src and src.contract else None

    def column(self, loc: Loc, uc: UseCase, data_id: str, name: str) -> None:
        cols = self.columns_of(uc, data_id)
        if cols is not None and name not in cols:
            self.err("CH033", loc, f"'{name}' is not a column of '{data_id}'",
                     did_you_mean(name, cols) or f"columns: {known_list(cols)}")

    def jobs(self, uc: UseCase) -> None:
        """Each job: allowed, retrainable if it trains, then its kind's own checks."""
        self.unique(uc.jobs, ["jobs"], "job")
        for i, job in enumerate(uc.jobs):
            loc: Loc = ["jobs", i]
            if job.runner not in self.runners:
                self.err("CH028", loc + ["runner"], f"runner '{job.runner}' is not on the governance allowlist",
                         f"allowed: {', '.join(sorted(self.runners))}")
            kind = runners.find(job.runner)
            if kind is None:
                continue
            if uc.third_party and kind.predicts:
                self.err("CH034", loc + ["runner"], "a third-party system cannot be retrained",
                         "evaluate its precomputed predictions with 'predictions: {data: ...}'")
            kind.crossref(self, uc, job, loc)

    def fairness(self, uc: UseCase) -> None:
        self.unique(uc.fairness, ["fairness"], "fairness check")
        sensitive = {a for d in uc.data for a in d.sensitive_attributes}
        for i, c in enumerate(uc.fairness):
            loc: Loc = ["fairness", i]
            info = FAIRNESS_METRICS.get(c.metric)
            if info is None:
                self.err("CH026", loc + ["metric"], f"unknown fairness metric '{c.metric}'",
                         did_you_mean(c.metric, FAIRNESS_METRICS) or f"metrics: {known_list(FAIRNESS_METRICS)}")
            else:
                if uc.task is not None and uc.task.type not in info.tasks:
                    self.err("CH026", loc + ["metric"], f"'{c.metric}' does not apply to {uc.task.type.value}")
                self.bounds(loc, c.metric, c.min, c.max, info)
                if self.repo.policy is not None:
                    for d in self.repo.policy.fairness.defaults:
                        why = fairness_check_loosening(d.metric, d.min, d.max, c)
                        if why and not self._waived(uc, c.id):
                            self.err("CH032", loc, f"fairness check '{c.id}' loosens the policy: {why}",
                                     f"tighten it, or add a waiver for requirement '{c.id}'")
            for k, a in enumerate(c.sensitive_attributes):
                if a not in sensitive:
                    self.err("CH033", loc + ["sensitiveAttributes", k],
                             f"'{a}' is not declared as a sensitive attribute of any data source",
                             did_you_mean(a, sensitive) or "list it under data[].sensitiveAttributes")

    def gates(self, uc: UseCase) -> None:
        pol = self.repo.policy
        for stage_id, reqs in uc.gates.items():
            loc: Loc = ["gates", stage_id]
            if self.stages and not self.ref(loc, stage_id, self.stages, "stage"):
                continue
            self.requirements(loc, reqs, uc)
            if pol is None:
                continue
            base: dict[str, Any] = {}
            stage = get_stage(pol, stage_id)
            if stage is not None:
                base.update({r.id: r for r in stage.requires})
            tier = get_tier(pol, uc.risk_tier)
            if tier is not None:
                base.update({r.id: r for r in tier.requires.get(stage_id, [])})
            for j, r in enumerate(reqs):
                if r.id in base and (why := loosening(base[r.id], r)) and not self._waived(uc, r.id, stage_id):
                    self.err("CH032", loc + [j], f"'{r.id}' loosens the organisation's requirement: {why}",
                             f"a use case may only tighten policy; to relax it, add a waiver for '{r.id}' with a reason, ticket and expiry")

    def _waived(self, uc: UseCase, req_id: str, stage_id: str | None = None) -> bool:
        return any(w.requirement == req_id and (w.stage is None or stage_id is None or w.stage == stage_id)
                   and w.expires >= self.today for w in uc.waivers)

    def approvals(self, uc: UseCase) -> None:
        for i, a in enumerate(uc.approvals):
            loc: Loc = ["approvals", i]
            if self.stages:
                self.ref(loc + ["stage"], a.stage, self.stages, "stage")
            if self.people:
                self.person(loc + ["by"], a.by, a.role)
            if a.date > self.today:
                self.err("CH040", loc + ["date"], f"approval dated in the future ({a.date})")
            if a.expires is not None and a.expires < self.today:
                self.err("CH041", loc + ["expires"], f"approval by '{a.by}' expired on {a.expires}",
                         "it no longer counts; ask for a new approval", severity="warning")
        pol = self.repo.policy
        from ..approvals import approval_problem, waiver_problems

        for i, a in enumerate(uc.approvals):
            if self.people and a.by in self.people and a.role in self.people[a.by].roles and \
                    (problem := approval_problem(self.repo, uc.id, a)) is not None:
                # the gate rejects it (fail closed); the validator says so where it is written
                self.err("CH043", ["approvals", i, "signature" if a.signature is not None else "by"], problem,
                         f"sign it: `charter approve {uc.id} --stage {a.stage} --by {a.by} --role {a.role} "
                         "--key PATH --replace`", severity="warning")
        for i, w in enumerate(uc.waivers):
            loc = ["waivers", i]
            if self.people:
                self.person(loc + ["owner"], w.owner)
                if w.approved_by is not None:
                    self.person(loc + ["approvedBy"], w.approved_by)
            for fld, message in waiver_problems(self.repo, uc, w, self.today):
                self.err("CH042", loc + [fld] if fld != "signature" or w.signature is not None else loc, message,
                         "the policy's `waivers:` rules say who may waive which requirement kind, for how long "
                         "and whether signed")
            stages = [w.stage] if w.stage else self.stages
            if w.stage and self.stages:
                self.ref(loc + ["stage"], w.stage, self.stages, "stage")
            if pol is not None:
                from ..resolve import effective_fairness_checks, effective_requirements

                ids = {r.requirement.id for s in stages for r in effective_requirements(pol, uc, s)}
                ids |= {c.id for c in effective_fairness_checks(pol, uc)}
                self.ref(loc + ["requirement"], w.requirement, ids, "requirement")
            if w.expires < self.today:
                self.err("CH041", loc + ["expires"], f"waiver of '{w.requirement}' expired on {w.expires}",
                         "it no longer applies; renew it or meet the requirement", severity="warning")

    def _file_of(self, kind: str) -> str:
        return next(rel for rel, sf in self.repo.files.items() if sf.data.get("kind") == kind)


def _same(model: Any, data: dict) -> bool:
    objs = data.get("objectives")
    return isinstance(objs, list) and [o.get("id") for o in objs if isinstance(o, dict)] == [o.id for o in model.objectives]


def known_roles() -> tuple[str, ...]:
    from ..spec.common import ROLE_IDS

    return ROLE_IDS


def check_repository(repo: Any, *, check_data: bool = True, today: dt.date | None = None) -> None:
    c = _Checker(repo, check_data, today or dt.date.today())
    c.organisation()
    c.maturity()
    c.policy()
    c.allowlist()
    c.param_rule_bounds()
    c.jobs_policy()
    c.okrs()
    for uc_id, uc in repo.usecases.items():
        c.usecase(uc, repo.usecase_files[uc_id])
        c.feature_groups(uc, repo.usecase_files[uc_id])
        c.job_budgets(uc, repo.usecase_files[uc_id])
