"""The `openai` engine: a model served over an OpenAI-compatible API (vLLM, llama.cpp's server,
llama-cpp-python's server, Ollama), behind the same contract as the in-process engines.

The role becomes a per-request choice: the profile names the served model (or LoRA module) for
each role, plus any extra request fields for each (llama.cpp's server takes per-request LoRA
scales). Where the server keeps one prompt cache for both roles (one model name, the adapter
picked by a request field), the first request after a switch is sent with `cache_prompt: false`,
so states computed with the adapter on never serve a call with it off.

Two ways to send a prompt:
- `api = "chat"`: messages as they are; a final assistant message is continued where the server
  supports it (vLLM with `prefill_body`; recent llama-server builds; Ollama where the template
  leaves the last message open).
- `api = "completions"`: the prompt text is rendered here from the model's own chat template
  (`template`), so the server sees exactly the bytes an in-process engine would.

Text in a message that looks like a control token (`<|im_end|>`) is broken with a word joiner
before it is sent: the server tokenizes the prompt with its control tokens, and message text must
not close a turn there.

Error text from the server or the network is shown to the user and written to the log, so secrets
are taken out first: the API key's value, `Bearer ...` tokens and `Authorization:` headers.
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator, Sequence

from ..config import Profile, ServerSettings
from ..errors import ConfigError, EngineUnavailable, ModelError
from .base import Engine, LoadProgress, Message, NewText, Piece, Request, Role, Sampling
from .templates import escape_control_texts

MAX_STOPS = 4  # the OpenAI API accepts at most four stop strings; the rest are matched here
REDACTED = "[redacted]"
_AUTHORIZATION = re.compile(r"""(["']?(?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]+""", re.IGNORECASE)
_BEARER = re.compile(r"\b(bearer)\s+[^\s\"',;}]+", re.IGNORECASE)
_KEY_LIKE = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")


def api_key(server: ServerSettings) -> str:
    """The key from the environment variable the profile names, else from the profile, else a
    placeholder (local servers take any key)."""
    return os.environ.get(server.api_key_env) or server.api_key or "sk-no-key-required"


class OpenAIEngine(Engine):
    name = "openai"

    def __init__(self, client: Any, server: ServerSettings, *, model_id: str, context_length: int,
                 template: Any = None):
        super().__init__()
        self.client = client
        self.server = server
        self.model_id = model_id
        self.context_length = context_length
        self.lora_roles = frozenset({"calling"} if server.adapter_model or server.adapter_body else ())
        self.supports_grammar = server.grammar != "none"
        self._template = template
        self._last_role: Role | None = None

    @classmethod
    def load(cls, profile: Profile, progress: LoadProgress | None = None, *,
             http_client: Any = None) -> "OpenAIEngine":
        """Connects and checks the server; `http_client` replaces the network (tests)."""
        server = profile.server
        if server is None:
            raise ConfigError(f"profile {profile.name!r}: engine = \"openai\" needs a [server] table "
                              "with base_url and model")
        try:
            import openai
        except ImportError:
            raise EngineUnavailable('the openai engine needs the openai package: pip install "openai>=1.40"') from None
        template = None
        if server.api == "completions":
            template = _load_template(profile)
        client = openai.OpenAI(base_url=server.base_url, api_key=api_key(server), timeout=server.timeout,
                               max_retries=server.max_retries, http_client=http_client)
        engine = cls(client, server, model_id=server.model, context_length=profile.max_seq_length,
                     template=template)
        engine.check_server()
        return engine

    # ---- server checks ------------------------------------------------------------------
    def check_server(self) -> None:
        """Fail at load, with one line, when the server is unreachable or lacks the model."""
        served = [m.id for m in self._call(lambda: self.client.models.list()).data]
        wanted = [m for m in (self.server.model, self.server.adapter_model) if m]
        missing = [m for m in wanted if served and m not in served]
        # Some servers (llama.cpp's, with one model) answer to any name; only a list that names
        # other models proves a name wrong.
        if missing and len(served) > 1:
            raise ModelError(f"the server at {self.server.base_url} does not serve {', '.join(missing)} "
                             f"(it serves: {', '.join(served)})")

    def _call(self, request):
        """`request()`, with failures as one-line ModelErrors from which secrets are removed."""
        try:
            return self._request(request)
        except ModelError as exc:
            raise ModelError(redact(str(exc), api_key(self.server))) from None

    def _request(self, request):
        import openai

        url = self.server.base_url
        try:
            return request()
        except openai.APITimeoutError:
            raise ModelError(f"the model server at {url} did not answer within {self.server.timeout:g} s") from None
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise ModelError(f"cannot reach the model server at {url}: {_one_line(cause)}") from None
        except openai.AuthenticationError:
            raise ModelError(f"the model server at {url} refused the API key "
                             f"(set it in ${self.server.api_key_env})") from None
        except openai.APIStatusError as exc:
            raise ModelError(f"the model server at {url} answered {exc.status_code}: "
                             f"{_one_line(_error_message(exc))}") from None

    # ---- prompts ------------------------------------------------------------------------
    def render(self, messages: Sequence[Message], tools: list[dict] | None = None) -> str:
        if self._template is None:
            raise ModelError("this profile sends chat messages; it has no template to render a prompt")
        return self._template.render(messages, tools)

    def compile_grammar(self, json_schema: dict) -> Any:
        """The request fields that constrain the output to `json_schema`, or None."""
        kind = self.server.grammar
        if kind == "json_schema":  # llama.cpp's server
            return {"json_schema": json_schema}
        if kind == "response_format":  # vLLM, Ollama, OpenAI
            return {"response_format": {"type": "json_schema",
                                        "json_schema": {"name": "calls", "schema": json_schema, "strict": True}}}
        if kind == "gbnf":  # llama-cpp-python's server takes a GBNF grammar
            try:
                from llama_cpp.llama_grammar import json_schema_to_gbnf
            except ImportError:
                return None  # the calling step falls back to repair
            return {"grammar": json_schema_to_gbnf(json.dumps(json_schema))}
        return None

    def _body(self, role: Role, sampling: Sampling, grammar: Any, continuing: bool) -> dict:
        server = self.server
        body: dict[str, Any] = dict(server.body)
        body.update(server.adapter_body if role == "calling" else server.base_body)
        if sampling.top_k and sampling.temperature > 0:
            body.setdefault("top_k", sampling.top_k)
        if continuing and server.api == "chat":
            body.update(server.prefill_body)
        if grammar:
            body.update(grammar)
        switched = self._last_role is not None and self._last_role != role
        if server.shared_prompt_cache and (switched or not self.prefix_cache_enabled):
            body["cache_prompt"] = False
        self._last_role = role
        return body

    # ---- generation ---------------------------------------------------------------------
    def _pieces(self, request: Request) -> Iterator[Piece]:
        """One piece per streamed chunk (empty ones too, so that Ctrl-C is seen between chunks).
        The server samples and counts: its usage figures, where it sends them, are reported."""
        server = self.server
        sampling = request.sampling
        messages = escape_control_texts(request.messages)  # the server parses control tokens in the text it is sent
        model = (server.adapter_model or server.model) if request.role == "calling" else server.model
        continuing = bool(messages) and messages[-1]["role"] == "assistant"
        common: dict[str, Any] = dict(
            model=model, max_tokens=request.max_new_tokens, temperature=sampling.temperature, top_p=sampling.top_p,
            stream=True, extra_body=self._body(request.role, sampling, request.grammar, continuing))
        if server.server_stop and request.stop:
            common["stop"] = list(request.stop)[:MAX_STOPS]
        if sampling.seed is not None:
            common["seed"] = sampling.seed
        if server.stream_usage:
            common["stream_options"] = {"include_usage": True}
        if server.api == "completions":
            prompt = self.render(messages, request.tools)
            send = lambda: self.client.completions.create(prompt=prompt, **common)  # noqa: E731
        else:
            chat_tools = [t if "function" in t else {"type": "function", "function": t} for t in request.tools or []]
            if chat_tools:
                common["tools"] = chat_tools
            send = lambda: self.client.chat.completions.create(messages=list(messages), **common)  # noqa: E731
        estimate = self.count_tokens(messages)  # the prompt's length, where the server does not say
        request.prompt_tokens, request.new_tokens = estimate, 0
        new_text = NewText()
        text, chunks, usage = "", 0, None
        calls: dict[int, dict] = {}
        response = self._call(send)
        try:
            for chunk in self._iterate(response):
                if chunk.choices:
                    choice = chunk.choices[0]
                    piece = choice.text if server.api == "completions" else (choice.delta.content or "")
                    if server.api == "chat":
                        for call in choice.delta.tool_calls or []:
                            slot = calls.setdefault(call.index or 0, {"name": "", "arguments": ""})
                            if call.function is not None:
                                slot["name"] += call.function.name or ""
                                slot["arguments"] += call.function.arguments or ""
                        request.trailer = _tool_call_text(calls)
                    if choice.finish_reason:
                        request.end = _finish_reason(choice, bool(common.get("stop")))
                    if piece:
                        chunks += 1
                        text += piece
                usage = getattr(chunk, "usage", None) or usage
                request.prompt_tokens = getattr(usage, "prompt_tokens", 0) or estimate
                request.new_tokens = getattr(usage, "completion_tokens", 0) or chunks
                request.cached_tokens = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0) or 0
                yield Piece(new_text.update(text))
        finally:
            response.close()

    def _iterate(self, response) -> Iterator[Any]:
        """The stream's chunks, with network failures mid-stream turned into one-line errors."""
        iterator = iter(response)
        while True:
            try:
                chunk = self._call(lambda: next(iterator))
            except StopIteration:
                return
            except ModelError:
                raise
            except Exception as exc:  # httpx read errors surface raw from the iterator
                raise ModelError(redact(f"the model server at {self.server.base_url} broke off the stream: "
                                        f"{_one_line(exc)}", api_key(self.server))) from None
            yield chunk

    def reset_cache(self) -> None:
        self._last_role = None


def _finish_reason(choice: Any, server_had_stops: bool) -> str:
    """Our reason for the server's finish. "stop" from the server means end of sequence unless it
    also matched stop strings; vLLM says which (`stop_reason`: the string, or None for the end)."""
    if choice.finish_reason == "length":
        return "length"
    if choice.finish_reason == "stop" and server_had_stops:
        matched = getattr(choice, "stop_reason", "unknown")
        return "eos" if matched is None else "stop"
    return "eos"


def _tool_call_text(calls: dict[int, dict]) -> str:
    """Native tool calls from the API, in the chat template's own text form."""
    return "".join(f"<tool_call>\n{json.dumps({'name': c['name'], 'arguments': _arguments(c['arguments'])})}"
                   f"\n</tool_call>" for c in calls.values())


def _arguments(raw: str) -> Any:
    try:
        return json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return raw


def _error_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", exc))


def redact(text: str, key: str | None = None) -> str:
    """`text` without secrets: the key's value wherever it appears, the credential of any
    `Authorization:` header or `Bearer` token, and anything shaped like an OpenAI key."""
    if key and len(key) >= 4:
        text = text.replace(key, REDACTED)
    text = _AUTHORIZATION.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _KEY_LIKE.sub(REDACTED, text)


def _one_line(value: Any) -> str:
    text = " ".join(str(value).split())
    return text[:300] or type(value).__name__


def _load_template(profile: Profile):
    """The chat template for `api = "completions"`: from a profile's GGUF (embedded or a file) or a
    Jinja file."""
    from pathlib import Path

    from .templates import ChatTemplate

    spec = profile.server.template
    if not spec:
        raise ConfigError(f"profile {profile.name!r}: api = \"completions\" needs server.template "
                          "(a profile name, a .gguf file or a .jinja file) to render prompts")
    path = Path(spec).expanduser()
    if spec.endswith(".jinja"):
        if not path.is_file():
            raise ConfigError(f"profile {profile.name!r}: template file not found: {path}")
        return ChatTemplate(path.read_text(encoding="utf-8"))
    if spec.endswith(".gguf"):
        if not path.is_file():
            raise ConfigError(f"profile {profile.name!r}: template file not found: {path}")
        return ChatTemplate.from_gguf(path)
    from ..config import resolve_model
    from .sources import gguf_path

    source = resolve_model(spec)
    found = gguf_path(source)
    if found is None:
        raise ConfigError(f"profile {profile.name!r}: template profile {spec!r} has no GGUF file to read "
                          "a chat template from")
    return ChatTemplate.from_gguf(found)
