"""The `openai` engine against a real OpenAI-compatible server: llama-cpp-python's server on the
embedded 0.5B GGUF, started here on 127.0.0.1 and stopped at the end (the tests marked `model`).
Request shaping (adapter switch, cache rule, grammar fields) is checked on recorded requests, and
an unreachable or silent server on a local port, without a model."""
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import httpx
import pytest

pytest.importorskip("openai")

from conftest import SMALL_PROFILE  # noqa: E402
from console_script import slmreact as console_slmreact  # noqa: E402
from slmreact_cli.config import Profile, ServerSettings, resolve_model  # noqa: E402
from slmreact_cli.models.base import Usage  # noqa: E402
from slmreact_cli.models.sources import gguf_path  # noqa: E402
from slmreact_cli.models.openai_api import OpenAIEngine  # noqa: E402
from test_cli_real import SEED, numbers, slmreact  # noqa: E402

COUNT = [{"role": "system", "content": "You are helpful."},
         {"role": "user", "content": "Count from 1 to 20 separated by commas."}]
ALIAS = "qwen-0.5b"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    pytest.importorskip("llama_cpp.server.app", reason="needs llama-cpp-python[server]")
    model = gguf_path(resolve_model(SMALL_PROFILE))
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "4096", "--model_alias", ALIAS],
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the llama.cpp server exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2).read()
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the llama.cpp server did not start within 120 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def server_profile(url: str, **server) -> Profile:
    settings = {"base_url": url, "model": ALIAS, "api": "completions", "template": SMALL_PROFILE,
                "grammar": "gbnf", "body": {"repeat_penalty": 1.0}, **server}
    return Profile(name="srv", engine="openai", server=ServerSettings(**settings))


def write_config(home, url: str, **server) -> None:
    settings = server_profile(url, **server).server.model_dump(exclude_none=True)
    lines = ["[profiles.srv]", 'engine = "openai"', "", "[profiles.srv.server]"]
    lines += [f"{key} = {json.dumps(value) if not isinstance(value, dict) else _inline(value)}"
              for key, value in settings.items() if value != {}]
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("\n".join(lines) + "\n")


def _inline(table: dict) -> str:
    return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items()) + "}"


@pytest.fixture(scope="module")
def engine(server_url):
    return OpenAIEngine.load(server_profile(server_url))


# ---- the real server ---------------------------------------------------------------------------

@pytest.mark.model
def test_ask_seed_question_through_the_server(home, server_url):
    write_config(home, server_url)
    proc = slmreact("ask", "--json", "--model", "srv", SEED)
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout)
    assert record["model"] == "srv"
    assert any(abs(v - 31.1448) < 0.01 for v in numbers(record["answer"])), record
    assert [c["name"] for s in record["steps"] for c in s["calls"]][:1] == ["calculate"]


@pytest.mark.model
def test_streams_text_in_pieces_and_reports_usage(engine):
    items = list(engine.stream(COUNT, max_new_tokens=30))
    chunks, usage = items[:-1], items[-1]
    assert isinstance(usage, Usage) and usage.new_tokens > 5
    assert len(chunks) > 5 and all(isinstance(c, str) for c in chunks)
    assert "".join(chunks).startswith("1, 2, 3")


@pytest.mark.model
def test_stop_strings_end_generation_and_are_not_returned(engine):
    stopped = engine.generate(COUNT, stop=["6,"], max_new_tokens=40)
    assert stopped.usage.stop_reason == "stop"
    assert stopped.text.rstrip().endswith("5,") and "6" not in stopped.text
    # the same through the server's own stop handling
    server_side = OpenAIEngine.load(server_profile(engine.server.base_url, server_stop=True))
    again = server_side.generate(COUNT, stop=["6,"], max_new_tokens=40)
    assert again.text == stopped.text and again.usage.stop_reason == "stop"


@pytest.mark.model
def test_assistant_prefill_is_continued(engine):
    text = engine.generate(COUNT + [{"role": "assistant", "content": "1, 2, 3, 4,"}], max_new_tokens=8).text
    assert text.lstrip().startswith("5")


@pytest.mark.model
def test_grammar_constrains_the_output(engine):
    schema = {"type": "array", "items": {"type": "object", "properties": {"name": {"const": "calculate"},
              "arguments": {"type": "object", "properties": {"expression": {"type": "string"}},
                            "required": ["expression"], "additionalProperties": False}},
              "required": ["name", "arguments"], "additionalProperties": False}, "maxItems": 2}
    grammar = engine.compile_grammar(schema)
    messages = [{"role": "user", "content": "Write a haiku about the sea."}]
    text = engine.generate(messages, grammar=grammar, max_new_tokens=60).text
    calls = json.loads(text)
    assert isinstance(calls, list) and all(c["name"] == "calculate" for c in calls)


# ---- failures: one line, no traceback --------------------------------------------------------

def _assert_one_line_failure(run, *fragments, code=2):
    assert run.code == code, run.err[-2000:]
    err = run.err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err


def test_server_that_is_down_gives_one_line_naming_the_url(home):
    url = f"http://127.0.0.1:{free_port()}/v1"
    write_config(home, url, max_retries=0, timeout=5)
    run = console_slmreact("ask", "--model", "srv", "What is 2 + 2?")  # the console script's main, in this process
    _assert_one_line_failure(run, "cannot reach the model server", url)  # at load: exit 2, like a bad model


@pytest.fixture
def silent_server():
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held, stop = [], threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_server_that_times_out_gives_one_line(home, silent_server):
    write_config(home, silent_server, max_retries=0, timeout=1.5)
    started = time.monotonic()
    run = console_slmreact("ask", "--model", "srv", "What is 2 + 2?")
    _assert_one_line_failure(run, "did not answer within 1.5 s", silent_server)
    assert time.monotonic() - started < 30


@pytest.mark.model
def test_api_key_comes_from_the_environment_and_is_never_logged(home, server_url, monkeypatch):
    write_config(home, server_url)
    monkeypatch.setenv("SLMREACT_API_KEY", "sk-secret-4242")
    proc = slmreact("ask", "--verbose", "--model", "srv", "What is 6 times 7? Use the calculator.")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "sk-secret-4242" not in proc.stdout + proc.stderr
    for path in home.rglob("*"):
        if path.is_file():
            assert b"sk-secret-4242" not in path.read_bytes(), path


# ---- request shaping, on recorded requests ----------------------------------------------------

class Recorder:
    """An httpx transport that records request bodies and streams a fixed completion back."""

    def __init__(self, text: str = "ok", tool_call: dict | None = None):
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.text = text
        self.tool_call = tool_call

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": [{"id": "base", "object": "model"},
                                                                        {"id": "fc-lora", "object": "model"}]})
        body = json.loads(request.content)
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        kind = "chat.completion.chunk" if "messages" in body else "text_completion"
        piece = {"delta": {"content": self.text}} if "messages" in body else {"text": self.text}
        if self.tool_call and "tools" in body:  # a server that parses the template's tool calls itself
            args = json.dumps(self.tool_call["arguments"])
            piece = {"delta": {"tool_calls": [{"index": 0, "id": "c1", "type": "function", "function": {
                "name": self.tool_call["name"], "arguments": args[:5]}}]}}
            rest = {"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": args[5:]}}]},
                    "finish_reason": None}
        events = [{"id": "1", "object": kind, "created": 0, "model": body["model"],
                   "choices": [{"index": 0, **piece, "finish_reason": None}]},
                  *([{"id": "1", "object": kind, "created": 0, "model": body["model"], "choices": [rest]}]
                    if self.tool_call and "tools" in body else []),
                  {"id": "1", "object": kind, "created": 0, "model": body["model"],
                   "choices": [{"index": 0, **({"delta": {}} if "messages" in body else {"text": ""}),
                                "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12}}]
        stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        return httpx.Response(200, text=stream, headers={"content-type": "text/event-stream"})


def recorded_engine(monkeypatch, recorder: Recorder | None = None, **server) -> tuple[OpenAIEngine, Recorder]:
    recorder = recorder or Recorder()
    settings = {"base_url": "http://gpu-box:8000/v1", "model": "base", **server}
    profile = Profile(name="rec", engine="openai", server=ServerSettings(**settings))
    monkeypatch.setenv("SLMREACT_API_KEY", "sk-from-env")
    engine = OpenAIEngine.load(profile, http_client=httpx.Client(transport=httpx.MockTransport(recorder)))
    return engine, recorder


def test_adapter_switch_maps_to_the_served_model(monkeypatch):
    engine, rec = recorded_engine(monkeypatch, adapter_model="fc-lora",
                                  prefill_body={"continue_final_message": True, "add_generation_prompt": False})
    messages = [{"role": "user", "content": "hi"}]
    engine.generate(messages, role="reasoning")
    engine.generate(messages, role="calling")
    engine.generate(messages + [{"role": "assistant", "content": "Thought:"}])
    assert [b["model"] for b in rec.bodies] == ["base", "fc-lora", "base"]
    assert "continue_final_message" not in rec.bodies[0] and rec.bodies[2]["continue_final_message"] is True
    assert all(h["authorization"] == "Bearer sk-from-env" for h in rec.headers)
    assert all("cache_prompt" not in b for b in rec.bodies)  # separate models keep separate caches


def test_shared_prompt_cache_is_bypassed_on_every_adapter_switch(monkeypatch):
    engine, rec = recorded_engine(monkeypatch, base_body={"lora": [{"id": 0, "scale": 0.0}]},
                                  adapter_body={"lora": [{"id": 0, "scale": 1.0}]}, shared_prompt_cache=True,
                                  grammar="json_schema")
    messages = [{"role": "user", "content": "hi"}]
    for role in ("reasoning", "reasoning", "calling", "calling", "reasoning"):
        engine.generate(messages, role=role,
                        grammar=engine.compile_grammar({"type": "array"}) if role == "calling" else None)
    assert [b["lora"][0]["scale"] for b in rec.bodies] == [0.0, 0.0, 1.0, 1.0, 0.0]
    assert [b.get("cache_prompt", True) for b in rec.bodies] == [True, True, False, True, False]
    assert rec.bodies[2]["json_schema"] == {"type": "array"} and "json_schema" not in rec.bodies[0]


def test_unknown_served_model_is_a_one_line_error(monkeypatch):
    from slmreact_cli.errors import ModelError

    with pytest.raises(ModelError, match="does not serve no-such-adapter"):
        recorded_engine(monkeypatch, adapter_model="no-such-adapter")


def test_native_tool_calls_from_the_api_come_back_in_the_template_form(monkeypatch):
    from slmreact_cli.parsing import parse_calls

    call = {"name": "calculate", "arguments": {"expression": "2 + 2"}}
    engine, rec = recorded_engine(monkeypatch, Recorder(text="", tool_call=call))
    schema = {"type": "function", "function": {"name": "calculate", "description": "math",
                                               "parameters": {"type": "object", "properties": {}}}}
    gen = engine.generate([{"role": "user", "content": "2+2?"}], tools=[schema])
    assert rec.bodies[0]["tools"] == [schema]
    assert parse_calls(gen.text).calls == [call]
