"""The `chat-completions` runner against a local OpenAI-compatible server on 127.0.0.1 that the test starts.

Retries on 429 and 5xx, the rate limit, the budget stop, malformed responses, an unreachable
server and missing settings end in clear reasons (no traceback); the outputs are written in
the recorded-outputs format `generative-eval` reads, only when every item has its line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from charter.cli.main import main
from charter.jobs.generative_data import parse_outputs

ROOT = Path(__file__).resolve().parents[2]
UC = "chat-pilot"
KEY = "sk-test-not-a-real-key"
TEMPLATE = "Answer from the handbook passage only.\nPassage: {{context}}\n"
ITEMS = [{"id": f"q{i}", "input": f"What is the fee for product {i}?", "context": f"Product {i} costs EUR {i}0.",
          "references": [f"EUR {i}0."]} for i in range(1, 5)]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds before answering (a slow server)."""


@dataclass
class Script:
    """Replies the server gives in order (then good completions); what it received."""

    replies: list[Reply] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)


def completion(text: str, prompt_tokens: int = 50, completion_tokens: int = 10, model: str = "pilot-llm") -> dict:
    return {"id": "x", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}}


@contextmanager
def serving() -> Iterator[tuple[str, Script]]:
    """A chat-completions server on 127.0.0.1 (an ephemeral port) in a thread, and its script."""
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            script.received.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            script.times.append(time.monotonic())
            reply = script.replies.pop(0) if script.replies else Reply()
            time.sleep(reply.delay)
            payload = reply.body if reply.body is not None else completion(
                f"The fee is stated in the passage: {body['messages'][-1]['content']}")
            raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    with serving() as served:
        yield served


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_repo(tmp: Path, *, budget: float = 5.0, rps: float = 500.0, retries: int = 3, timeout: float = 5,
              job_extra: dict[str, Any] | None = None) -> Path:
    root = tmp / "repo"
    shutil.copytree(ROOT / "governance", root / "governance")
    (root / "governance/okrs.yaml").unlink()  # its key results point at the example's other use cases
    allow_file = root / "governance/allowlist.yaml"
    allow = yaml.safe_load(allow_file.read_text())
    allow["runners"].append("chat-completions")
    allow["prices"].append({"model": "pilot-llm", "currency": "EUR", "inputPerThousandTokens": 0.01,
                            "outputPerThousandTokens": 0.03})
    allow["endpoints"] = [{"id": "staging-llm", "baseUrl": "http://127.0.0.1:9/", "baseUrlEnv": "PILOT_LLM_URL",
                           "apiKeyEnv": "PILOT_LLM_KEY", "models": ["pilot-llm"], "requestsPerSecond": rps,
                           "timeoutSeconds": timeout, "maxRetries": retries, "backoffSeconds": 0.01}]
    allow_file.write_text(yaml.safe_dump(allow, sort_keys=False))
    uc_dir = root / "usecases" / UC
    (uc_dir / "data").mkdir(parents=True)
    eval_set = "".join(json.dumps(i) + "\n" for i in ITEMS).encode()
    (uc_dir / "data/eval.jsonl").write_bytes(eval_set)
    (uc_dir / "data/prompt.txt").write_text(TEMPLATE)
    base = yaml.safe_load((ROOT / "usecases/mortgage-document-assistant/usecase.yaml").read_text())
    spec = {k: base[k] for k in ("apiVersion", "kind", "businessUnit", "team", "riskTier", "owners", "task")}
    job = {"id": "generate", "runner": "chat-completions", "endpoint": "staging-llm", "evalSets": ["eval"],
           "promptTemplate": "prompt",
           "system": {"model": "pilot-llm", "promptVersion": "p1", "promptTemplateSha256": _sha(TEMPLATE.encode()),
                      "decoding": {"temperature": 0.2, "maxTokens": 100}},
           "budget": budget, **(job_extra or {})}
    spec.update({"id": UC, "title": "Chat pilot", "summary": "A pilot of drafted answers.", "stage": "proposed",
                 "data": [{"id": "eval", "path": "data/eval.jsonl", "sha256": _sha(eval_set), "owner": "rafael-mendes",
                           "description": "Four questions.", "personalData": False},
                          {"id": "prompt", "path": "data/prompt.txt", "sha256": _sha(TEMPLATE.encode()),
                           "owner": "rafael-mendes", "description": "The prompt template.", "personalData": False}],
                 "jobs": [job]})
    (uc_dir / "usecase.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def run_job(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    code = main(["run", UC, "--jobs", "1", "--repo", str(root)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    records = sorted((root / "evidence/records" / UC / "generate").glob("*.json"))
    assert records, (code, text)
    return json.loads(records[-1].read_text()), text


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, server: tuple[str, Script]) -> Script:
    url, script = server
    monkeypatch.setenv("PILOT_LLM_URL", url)
    monkeypatch.setenv("PILOT_LLM_KEY", KEY)
    return script


def _outputs(root: Path) -> Path | None:
    found = sorted((root / ".charter/artifacts").rglob("outputs.jsonl")) if (root / ".charter").exists() else []
    return found[-1] if found else None


def test_outputs_are_recorded_after_a_429_retry(tmp_path: Path, env: Script, capsys: pytest.CaptureFixture[str]) -> None:
    env.replies = [Reply(429, {"error": "slow down"}, {"Retry-After": "0"})]
    root = make_repo(tmp_path)
    rec, _ = run_job(root, capsys)
    assert rec["status"] == "pass", rec["reason"]
    assert main(["show", UC, "--repo", str(root)]) == 0
    shown = capsys.readouterr().out
    assert "via endpoint staging-llm" in shown and "4 of 4 items" in shown and "1 retries" in shown
    res = rec["results"]
    assert res["retries"] == 1 and res["items"] == 4 and res["answered"] == 4 and res["errors"] == 0
    assert len(env.received) == 5  # one refused, then one per item
    first = env.received[0]
    assert first["path"] == "/v1/chat/completions" and first["auth"] == f"Bearer {KEY}"
    body = first["body"]
    assert body["model"] == "pilot-llm" and body["temperature"] == 0.2 and body["max_tokens"] == 100
    assert body["messages"][0] == {"role": "system", "content": TEMPLATE.replace("{{context}}", ITEMS[0]["context"])}
    assert body["messages"][1] == {"role": "user", "content": ITEMS[0]["input"]}
    assert res["tokens"] == {"input": 200, "output": 40}
    assert res["cost"] == pytest.approx(200 * 0.01 / 1000 + 40 * 0.03 / 1000)
    assert KEY not in json.dumps(rec)  # the key is never recorded
    path = _outputs(root)
    assert path is not None and _sha(path.read_bytes()) == res["outputs_sha256"]
    assert rec["deterministic"] is False  # a model's answers are not reproduced byte for byte
    art = {a["name"]: a for a in rec["artifacts"]}
    assert "outputs" in art
    outputs = parse_outputs(path, "outputs", {i["id"]: "eval" for i in ITEMS})  # the format generative-eval reads
    assert [o.id for o in outputs.values()] == [i["id"] for i in ITEMS]
    assert all(o.model == "pilot-llm" and o.prompt_version == "p1" and o.error is None for o in outputs.values())
    assert outputs["q1"].input_tokens == 50 and outputs["q1"].output_tokens == 10


def test_an_item_still_failing_after_the_retries_is_recorded_with_its_error(
        tmp_path: Path, env: Script, capsys: pytest.CaptureFixture[str]) -> None:
    env.replies = [Reply(200), Reply(503, {"error": "down"}), Reply(502, b"bad gateway"), Reply(500, {})]
    root = make_repo(tmp_path, retries=2)
    rec, _ = run_job(root, capsys)
    assert rec["status"] == "pass", rec["reason"]
    res = rec["results"]
    assert res["errors"] == 1 and res["retries"] == 2 and res["answered"] == 4
    path = _outputs(root)
    assert path is not None
    outputs = parse_outputs(path, "outputs", {i["id"]: "eval" for i in ITEMS})
    assert outputs["q2"].error == "HTTP 500 after 2 retries" and outputs["q2"].output == ""
    assert outputs["q1"].error is None and outputs["q3"].error is None


def test_the_run_stops_before_the_budget_is_exceeded_and_writes_nothing(
        tmp_path: Path, env: Script, capsys: pytest.CaptureFixture[str]) -> None:
    # worst case per request ≈ (≈ 280 bytes) × 0.00001 + 100 × 0.00003 ≈ 0.0059; each costs 0.0008
    root = make_repo(tmp_path, budget=0.008)
    rec, _ = run_job(root, capsys)
    assert rec["status"] == "fail"
    assert "budget" in rec["reason"] and "no outputs were written" in rec["reason"]
    res = rec["results"]
    assert 0 < res["answered"] < 4 and len(env.received) == res["answered"]
    assert res["cost"] <= 0.008 and res["stopped"]
    assert _outputs(root) is None and not rec["artifacts"]


def test_a_malformed_response_is_a_clear_error(tmp_path: Path, env: Script, capsys: pytest.CaptureFixture[str]) -> None:
    env.replies = [Reply(200, {"choices": []})]
    root = make_repo(tmp_path)
    rec, _ = run_job(root, capsys)
    assert rec["status"] == "error"
    assert "malformed response" in rec["reason"] and "item 'q1'" in rec["reason"]
    assert _outputs(root) is None


def test_a_response_without_token_counts_is_a_clear_error(tmp_path: Path, env: Script,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    body = completion("ok")
    del body["usage"]
    env.replies = [Reply(200, body)]
    rec, _ = run_job(make_repo(tmp_path), capsys)
    assert rec["status"] == "error" and "usage.prompt_tokens" in rec["reason"]


def test_a_body_that_is_not_json_is_a_clear_error(tmp_path: Path, env: Script,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    env.replies = [Reply(200, b"<html>proxy login</html>")]
    rec, _ = run_job(make_repo(tmp_path), capsys)
    assert rec["status"] == "error" and "not JSON" in rec["reason"]


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PILOT_LLM_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("PILOT_LLM_KEY", KEY)
    rec, text = run_job(make_repo(tmp_path), capsys)
    assert rec["status"] == "error"
    assert f"cannot reach the endpoint at http://127.0.0.1:{port}" in rec["reason"]
    assert _outputs(tmp_path / "repo") is None


def test_a_refused_key_and_a_missing_key_are_clear_errors(tmp_path: Path, env: Script, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    env.replies = [Reply(401, {"error": "bad key"})]
    rec, _ = run_job(make_repo(tmp_path), capsys)
    assert rec["status"] == "error" and "HTTP 401" in rec["reason"] and "API key" in rec["reason"]
    monkeypatch.delenv("PILOT_LLM_KEY")
    shutil.rmtree(tmp_path / "repo")
    rec, _ = run_job(make_repo(tmp_path), capsys)
    assert rec["status"] == "error" and "PILOT_LLM_KEY" in rec["reason"] and "not set" in rec["reason"]


def test_requests_respect_the_rate_limit(tmp_path: Path, env: Script, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, rps=10)
    rec, _ = run_job(root, capsys)
    assert rec["status"] == "pass", rec["reason"]
    # the client spaces request starts by 1/10 s; arrival times at the server jitter under load
    assert len(env.times) == 4 and env.times[-1] - env.times[0] >= 0.2


def test_the_rate_limiter_waits_out_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    from charter.jobs import chat_completions as cc

    clock = [100.0]
    slept: list[float] = []
    monkeypatch.setattr(cc.time, "monotonic", lambda: clock[0])

    def sleep(s: float) -> None:
        slept.append(round(s, 6))
        clock[0] += s

    limiter = cc.RateLimit(4.0, sleep)
    limiter.wait()          # first request: no wait
    clock[0] += 0.1
    limiter.wait()          # 0.1 s after: waits the remaining 0.15 s
    clock[0] += 0.5
    limiter.wait()          # later than the interval: no wait
    assert slept == [0.15]


def test_a_use_case_cannot_set_the_address_or_an_undeclared_endpoint(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, job_extra={"baseUrl": "http://attacker.example/"})
    assert main(["validate", "--no-cache", str(root)]) != 0
    assert "baseUrl" in capsys.readouterr().out
    shutil.rmtree(root)
    root = make_repo(tmp_path, job_extra={"endpoint": "elsewhere"})
    assert main(["validate", "--no-cache", str(root)]) != 0
    assert "unknown endpoint 'elsewhere'" in capsys.readouterr().out
    shutil.rmtree(root)
    root = make_repo(tmp_path, job_extra={"promptTemplate": "eval"})
    assert main(["validate", "--no-cache", str(root)]) != 0
    assert "promptTemplateSha256" in capsys.readouterr().out


def test_the_system_card_shows_the_recorded_outputs_run(tmp_path: Path, env: Script,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from charter.site.build import build_site

    root = make_repo(tmp_path)
    rec, _ = run_job(root, capsys)
    assert rec["status"] == "pass", rec["reason"]
    report = build_site(root, out=tmp_path / "out", run_mkdocs=False, jobs=1)
    page = (report.docs_dir / f"usecases/{UC}/index.md").read_text()
    section = page.split('id="gen-generate"', 1)[1]
    res = rec["results"]
    assert f"4 of 4 items answered by <code>pilot-llm</code>" in section
    assert f"through endpoint <code>staging-llm</code> ({res['base_url']})" in section
    assert f"<code>{res['outputs_sha256']}</code>" in section and KEY not in page


def test_an_interrupted_run_writes_no_outputs(tmp_path: Path, env: Script, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from charter.jobs import chat_completions as cc

    real = cc._post
    calls = [0]

    def post(ep: Any, body: bytes) -> Any:
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return real(ep, body)

    monkeypatch.setattr(cc, "_post", post)
    root = make_repo(tmp_path)
    try:
        code = main(["run", UC, "--jobs", "1", "--repo", str(root)])
    except KeyboardInterrupt:
        code = 130
    capsys.readouterr()
    assert code != 0 and calls[0] == 3
    assert not list(root.rglob("outputs.jsonl")) and not list(root.rglob(".outputs.jsonl.*"))
    assert not list((root / "evidence/records").rglob("*.json")) if (root / "evidence/records").exists() else True


def test_a_request_that_times_out_is_retried(tmp_path: Path, env: Script, capsys: pytest.CaptureFixture[str]) -> None:
    env.replies = [Reply(200, delay=1.5)]
    rec, _ = run_job(make_repo(tmp_path, timeout=0.5), capsys)
    assert rec["status"] == "pass", rec["reason"]
    assert rec["results"]["retries"] == 1 and rec["results"]["errors"] == 0 and rec["results"]["answered"] == 4
