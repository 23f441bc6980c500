"""Backend of ``chat-completions``: call an OpenAI-compatible chat endpoint for every eval item.

* **Where it calls.** The endpoint is the allowlist's, by the job's key; the base URL is
  the environment variable the allowlist names (when set) or its ``baseUrl``; the API
  key is read from the environment variable the allowlist names and sent as a bearer
  token. Nothing of the address or the key comes from a use case, and the key is never
  recorded.
* **How hard.** Requests go one at a time, at most ``requestsPerSecond`` starting per
  second. A 429, a 5xx or a timeout is retried up to ``maxRetries`` times with
  exponential backoff (``Retry-After`` wins, up to 60 s); an item still failing is
  recorded with its ``error`` (the evaluation counts it in the error rate). Any other
  HTTP status (401, 404...), an unreachable server or a response that is not a chat
  completion stops the job with a clear reason.
* **How much.** Before each request its worst case (the request's UTF-8 bytes as input
  tokens, ``maxTokens`` output tokens, × the price table) is checked against what is
  left of ``budget``; the run stops before it could exceed it.
* **What it writes.** Only when every item has its line: the ``outputs`` artifact
  (``outputs.jsonl``, one line per item in eval-set order: ``id, output, latencyMs,
  inputTokens, outputTokens, model, promptVersion, error?``), written atomically. A run
  that stops or is interrupted writes nothing.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any

from ..io.fs import atomic_write
from ..kinds.runners.chat_completions import DECODING, OUTPUTS_ARTIFACT, OUTPUTS_FILE, ChatCompletionsResult
from .base import JobContext, JobError, JobOutput, file_sha256
from .generative_data import EvalItem, load_eval_set

CHAT_PATH = "/v1/chat/completions"
MAX_RETRY_AFTER = 60.0
MESSAGE_OVERHEAD_TOKENS = 8
"""Tokens a chat template may add per message (role markers): counted in the worst case."""

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    shown: str
    """The URL as recorded: scheme, host, port, path; no credentials, query or fragment."""
    api_key: str | None
    requests_per_second: float
    timeout: float
    max_retries: int
    backoff: float


class Transient(Exception):
    """A failure worth retrying (429, 5xx, timeout); ``wait`` is the server's Retry-After, if any."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def resolve_endpoint(ctx: JobContext, endpoint_id: str, env: dict[str, str]) -> Endpoint:
    allow = ctx.allowlist
    ep = next((e for e in (allow.endpoints if allow else []) if e.id == endpoint_id), None)
    if ep is None:
        raise JobError(f"endpoint '{endpoint_id}' is not declared in the allowlist's `endpoints`")
    base = env.get(ep.base_url_env) if ep.base_url_env else None
    where = f"environment variable {ep.base_url_env}" if base else "the allowlist's baseUrl"
    base = base or ep.base_url
    if not base:
        raise JobError(f"endpoint '{endpoint_id}': environment variable {ep.base_url_env} (its base URL) is not set "
                       "and the allowlist declares no baseUrl")
    parts = urllib.parse.urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise JobError(f"endpoint '{endpoint_id}': the base URL from {where} is not an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise JobError(f"endpoint '{endpoint_id}': the base URL from {where} must not carry credentials, a query "
                       "or a fragment (the API key comes from its own environment variable)")
    port = f":{parts.port}" if parts.port else ""
    prefix = parts.path.rstrip("/")
    if prefix.endswith("/v1"):
        prefix = prefix[:-3]
    shown = f"{parts.scheme}://{parts.hostname}{port}{prefix}"
    key = None
    if ep.api_key_env:
        key = env.get(ep.api_key_env)
        if not key:
            raise JobError(f"endpoint '{endpoint_id}': environment variable {ep.api_key_env} (its API key) is not set")
    return Endpoint(ep.id, shown + CHAT_PATH, shown, key, ep.requests_per_second, ep.timeout_seconds,
                    ep.max_retries, ep.backoff_seconds)


def render(template: str, item: EvalItem) -> list[dict[str, str]]:
    """The chat messages for one item (plain substitution: a template cannot run anything)."""
    text = template.replace("{{context}}", item.context or "")
    if "{{input}}" in text:
        return [{"role": "user", "content": text.replace("{{input}}", item.input)}]
    return [{"role": "system", "content": text}, {"role": "user", "content": item.input}]


def decoding_fields(decoding: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in decoding.items():
        if key not in DECODING:
            raise JobError(f"decoding parameter '{key}' is not one a chat endpoint accepts")
        out[DECODING[key]] = value
    return out


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value))) if value is not None else None
    except ValueError:
        return None


def _post(ep: Endpoint, body: bytes) -> tuple[dict[str, Any], float]:
    """One request: the decoded JSON body and the latency in ms; Transient for what is worth retrying."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if ep.api_key:
        headers["Authorization"] = f"Bearer {ep.api_key}"
    request = urllib.request.Request(ep.url, data=body, headers=headers, method="POST")
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=ep.timeout) as response:  # noqa: S310 (http/https only)
            raw = response.read()
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
        if status == 429 or status >= 500:
            raise Transient(f"HTTP {status}", _retry_after(exc.headers)) from None
        hint = " (check the API key in the endpoint's environment variable)" if status in (401, 403) else ""
        raise JobError(f"endpoint refused the request: HTTP {status} {exc.reason}{hint}") from None
    except TimeoutError:
        raise Transient(f"no answer within {ep.timeout:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise Transient(f"no answer within {ep.timeout:g} s") from None
        raise JobError(f"cannot reach the endpoint at {ep.shown}: {exc.reason}") from None
    except (ConnectionError, OSError) as exc:
        raise JobError(f"cannot reach the endpoint at {ep.shown}: {exc}") from None
    latency = (time.monotonic() - start) * 1000
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise JobError(f"the endpoint at {ep.shown} answered with a body that is not JSON") from None
    if not isinstance(data, dict):
        raise JobError(f"the endpoint at {ep.shown} answered with JSON that is not an object")
    return data, latency


def _completion(data: dict[str, Any], where: str) -> tuple[str, int, int, str | None]:
    """Text, prompt tokens, completion tokens and reported model of a chat completion; JobError otherwise."""
    choices = data.get("choices")
    message = choices[0].get("message") if isinstance(choices, list) and choices and isinstance(choices[0], dict) \
        else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise JobError(f"{where}: malformed response: no text at choices[0].message.content")
    usage = data.get("usage")
    counts: list[int] = []
    for k in ("prompt_tokens", "completion_tokens"):
        t = usage.get(k) if isinstance(usage, dict) else None
        if not isinstance(t, int) or isinstance(t, bool) or t < 0:
            raise JobError(f"{where}: malformed response: no token counts in usage.prompt_tokens and "
                           "usage.completion_tokens (the cost and the budget need them)")
        counts.append(t)
    model = data.get("model")
    return content, counts[0], counts[1], model if isinstance(model, str) else None


class RateLimit:
    """At most ``per_second`` request starts per second."""

    def __init__(self, per_second: float, sleep: Sleep) -> None:
        self.interval = 1.0 / per_second
        self.sleep = sleep
        self.last: float | None = None

    def wait(self) -> None:
        now = time.monotonic()
        if self.last is not None and now - self.last < self.interval:
            self.sleep(self.interval - (now - self.last))
            now = time.monotonic()
        self.last = now


def _quantile(values: list[float], q: float) -> float:
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def run(ctx: JobContext, *, env: dict[str, str] | None = None, sleep: Sleep = time.sleep) -> JobOutput:
    import os

    job = ctx.job
    system = job.system
    ep = resolve_endpoint(ctx, job.endpoint, dict(os.environ) if env is None else env)
    price = next((p for p in (ctx.allowlist.prices if ctx.allowlist else []) if p.model == system.model), None)
    if price is None:
        raise JobError(f"model '{system.model}' has no price in the allowlist's `prices`: the budget needs it")
    max_tokens = system.decoding.get("maxTokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
        raise JobError("the system's `decoding.maxTokens` must be a positive integer: the budget cap needs it")
    template_path = ctx.data_path(job.prompt_template)
    try:
        template = template_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise JobError(f"prompt template '{ctx.source(job.prompt_template).path}' is not UTF-8") from None
    if file_sha256(template_path) != system.prompt_template_sha256:
        raise JobError(f"prompt template '{ctx.source(job.prompt_template).path}' does not have the system's "
                       "promptTemplateSha256")

    items: list[EvalItem] = []
    sets: dict[str, int] = {}
    first: dict[str, str] = {}
    for data_id in job.eval_sets:
        loaded = load_eval_set(ctx, data_id)
        for it in loaded:
            if it.id in first:
                raise JobError(f"item id '{it.id}' is in both '{first[it.id]}' and '{data_id}': ids must be unique "
                               "across the eval sets of one outputs file")
            first[it.id] = data_id
        sets[data_id] = len(loaded)
        items.extend(loaded)

    decoding = decoding_fields(dict(system.decoding))
    limiter = RateLimit(ep.requests_per_second, sleep)
    in_price, out_price = price.input_per_thousand_tokens / 1000, price.output_per_thousand_tokens / 1000
    spent, retries, errors = 0.0, 0, 0
    tokens = {"input": 0, "output": 0}
    lines: list[str] = []
    latencies: list[float] = []
    reported: dict[str, int] = {}
    stopped: str | None = None
    for it in items:
        body = json.dumps({"model": system.model, "messages": render(template, it), **decoding},
                          ensure_ascii=False).encode("utf-8")
        worst = (len(body) + MESSAGE_OVERHEAD_TOKENS * 2) * in_price + max_tokens * out_price
        if spent + worst > job.budget:
            stopped = (f"the budget of {price.currency} {job.budget:g} could be exceeded by the next request "
                       f"(spent {spent:.6f}, worst case {worst:.6f}) after {len(lines)} of {len(items)} items")
            break
        where = f"item '{it.id}'"
        attempt = 0
        while True:
            limiter.wait()
            try:
                data, latency = _post(ep, body)
                break
            except Transient as exc:
                if attempt >= ep.max_retries:
                    errors += 1
                    lines.append(_line(it.id, "", 0.0, 0, 0, system, f"{exc} after {attempt} retries"))
                    data = None
                    break
                wait = exc.wait if exc.wait is not None else ep.backoff * (2 ** attempt)
                attempt += 1
                retries += 1
                sleep(wait)
            except JobError as exc:
                raise JobError(f"endpoint '{ep.id}', {where}: {exc}") from None
        if data is None:
            continue
        text, n_in, n_out, model = _completion(data, f"endpoint '{ep.id}', {where}")
        if model is not None and model != system.model:
            reported[model] = reported.get(model, 0) + 1
        spent += n_in * in_price + n_out * out_price
        tokens["input"] += n_in
        tokens["output"] += n_out
        latencies.append(latency)
        lines.append(_line(it.id, text, latency, n_in, n_out, system,
                           None if text.strip() else "the endpoint returned an empty answer"))
        errors += 0 if text.strip() else 1

    warnings = [f"the endpoint reported model '{m}' for {n} item(s); the outputs are recorded as "
                f"'{system.model}', the model requested" for m, n in sorted(reported.items())]
    outputs_sha = None
    artifacts: dict[str, str] = {}
    if stopped is None:
        path = ctx.artifact_dir / OUTPUTS_FILE
        atomic_write(path, "".join(line + "\n" for line in lines))
        outputs_sha = file_sha256(path)
        artifacts[OUTPUTS_ARTIFACT] = OUTPUTS_FILE
    result = ChatCompletionsResult(
        endpoint=ep.id, base_url=ep.shown, system=system.model_dump(mode="json", by_alias=True, exclude_none=True),
        eval_sets=sets, items=len(items), answered=len(lines), errors=errors, retries=retries, tokens=tokens,
        cost=spent, currency=price.currency, budget=job.budget, stopped=stopped, outputs_sha256=outputs_sha,
        latency_ms={"p50": _quantile(latencies, 0.5), "p95": _quantile(latencies, 0.95)} if latencies else {},
        warnings=warnings)
    if stopped is not None:
        return JobOutput("fail", f"stopped before the budget: {stopped}; no outputs were written", result)
    return JobOutput("pass", None, result, artifacts=artifacts)


def _line(item_id: str, output: str, latency: float, n_in: int, n_out: int, system: Any, error: str | None) -> str:
    obj: dict[str, Any] = {"id": item_id, "output": output, "latencyMs": round(latency, 1), "inputTokens": n_in,
                           "outputTokens": n_out, "model": system.model, "promptVersion": system.prompt_version}
    if error is not None:
        obj["error"] = error
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)
