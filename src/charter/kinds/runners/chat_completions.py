"""Runner kind ``chat-completions``: produce recorded outputs from an OpenAI-compatible chat endpoint.

Execution: :mod:`charter.jobs.chat_completions`. The job names an endpoint declared in
the allowlist's ``endpoints`` (its base URL from the environment or the allowlist, its
API key from the environment variable the allowlist names); the eval sets and the
prompt template are data sources; the endpoint's declaration and the price table
enter the evidence id. The outputs are the job's ``outputs`` artifact, in the
recorded-outputs format ``generative-eval`` reads. A model's answers are not
reproducible, so the kind is not deterministic.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...spec.generative import ChatCompletionsJob
from ...spec.usecase import UseCase
from ._shared import ResultModel, num, table, warnings_text
from .base import PHASE_TRAIN, Checker, Loc, Reads, RunnerKind, dump_spec
from .generative import check_system_data, price_table

OUTPUTS_ARTIFACT = "outputs"
OUTPUTS_FILE = "outputs.jsonl"

DECODING = {"temperature": "temperature", "topP": "top_p", "maxTokens": "max_tokens", "seed": "seed",
            "stop": "stop", "presencePenalty": "presence_penalty", "frequencyPenalty": "frequency_penalty"}
"""Decoding parameters of the system version → the chat API's request fields."""


class ChatCompletionsResult(ResultModel):
    endpoint: str
    base_url: str
    """Scheme, host, port and path prefix called (never credentials)."""
    system: dict[str, Any]
    eval_sets: dict[str, int]
    """Data source → items sent."""
    items: int
    answered: int
    """Items with an output (or a recorded error) when the run ended."""
    errors: int
    """Items recorded with an error (still failing after the retries)."""
    retries: int
    tokens: dict[str, int]
    cost: float
    currency: str
    budget: float
    stopped: str | None = None
    """Why the run stopped before answering every item (the budget); no outputs are written then."""
    outputs_sha256: str | None = None
    latency_ms: dict[str, float] = {}
    warnings: list[str] = []


def endpoint_of(repo: Any, endpoint_id: str) -> Any:
    allow = getattr(repo, "allowlist", None)
    return next((e for e in (allow.endpoints if allow else []) if e.id == endpoint_id), None)


class ChatCompletions(RunnerKind[ChatCompletionsResult]):
    name = "chat-completions"
    description = ("Calls an OpenAI-compatible chat endpoint declared under governance on eval sets and records "
                   "the outputs (retries, rate limit, budget cap).")
    spec_model = ChatCompletionsJob
    result_model = ChatCompletionsResult
    result_version = "1"
    backend = "charter.jobs.chat_completions"
    packages = ()
    phase = PHASE_TRAIN
    section = "generative"
    deterministic: ClassVar[bool] = False

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        ep = endpoint_of(repo, job.endpoint)
        return Reads(spec={"endpoint": dump_spec(ep), "prices": price_table(repo)},
                     data=list(dict.fromkeys([*job.eval_sets, job.prompt_template])))

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        check_system_data(check, uc, loc, [(["evalSets", i], d) for i, d in enumerate(job.eval_sets)]
                          + [(["promptTemplate"], job.prompt_template)])
        src = uc.source(job.prompt_template)
        if src is not None and src.sha256 != job.system.prompt_template_sha256:
            check.err("CH034", loc + ["system", "promptTemplateSha256"],
                      f"the prompt template '{job.prompt_template}' is pinned at sha256 {src.sha256}, not the "
                      f"system's promptTemplateSha256", "the system version must name the template it sends")
        for key in job.system.decoding:
            if key not in DECODING:
                check.err("CH034", loc + ["system", "decoding", key], f"decoding parameter '{key}' is not one a "
                          "chat endpoint accepts", f"known: {', '.join(DECODING)}", at_key=True)
        if not isinstance(job.system.decoding.get("maxTokens"), int):
            check.err("CH034", loc + ["system", "decoding"], "a chat-completions job needs an integer "
                      "`decoding.maxTokens`: the budget cap is checked against the longest answer it allows")
        repo = getattr(check, "repo", None)
        if repo is None:
            return
        allow = getattr(repo, "allowlist", None)
        endpoints = [e.id for e in (allow.endpoints if allow else [])]
        if not check.ref(loc + ["endpoint"], job.endpoint, endpoints, "endpoint"):
            return
        ep = endpoint_of(repo, job.endpoint)
        if ep.models and job.system.model not in ep.models:
            check.err("CH034", loc + ["system", "model"], f"endpoint '{job.endpoint}' does not serve model "
                      f"'{job.system.model}'", f"allowed there: {', '.join(ep.models)}")
        if not any(p.get("model") == job.system.model for p in price_table(repo)):
            check.err("CH034", loc + ["system", "model"], f"model '{job.system.model}' has no price in the "
                      "allowlist's `prices`", "the budget cap needs its token prices")

    def format(self, result: ChatCompletionsResult) -> list[str]:
        s = result.system
        out = [f"  {s.get('model')} / prompt {s.get('promptVersion')} via endpoint {result.endpoint} "
               f"({result.base_url}): {result.answered} of {result.items} items, {result.errors} errors, "
               f"{result.retries} retries"]
        rows = [["eval set", "items"]] + [[k, str(v)] for k, v in result.eval_sets.items()]
        out.extend(table(rows))
        out.append(f"  tokens: " + ", ".join(f"{k} {v}" for k, v in sorted(result.tokens.items()))
                   + f"; cost {result.currency} {num(result.cost)} of a budget of {num(result.budget)}")
        if result.latency_ms:
            out.append("  latency ms: " + ", ".join(f"{k} {num(v)}" for k, v in sorted(result.latency_ms.items())))
        if result.stopped:
            out.append(f"  stopped: {result.stopped}")
        if result.outputs_sha256:
            out.append(f"  outputs sha256 {result.outputs_sha256} (artifact '{OUTPUTS_ARTIFACT}')")
        out.extend(warnings_text(result.warnings))
        return out


KIND = ChatCompletions()
