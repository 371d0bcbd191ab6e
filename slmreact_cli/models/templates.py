"""Chat templates: the doubled-brace repair, and rendering a GGUF's template without a tokenizer.

Engines that build the prompt text themselves (llama.cpp in process, an OpenAI-compatible
server's plain completions endpoint) render the model's own Jinja template here, so every engine
sees the same bytes for the same messages. A template is code from a model file, so it runs in
Jinja's immutable sandbox: it can format the messages and nothing else.

`prompt_pieces` splits a rendered prompt into the template's own text, where control tokens such
as `<|im_end|>` are meant, and message text, where the same characters are only characters: a tool
result or a question can then never close a turn or open a forged system message.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import ModelError

# Some GGUF exports escape the tool-call example as Python format text, `{{"name": ...}}`, inside
# a Jinja string literal; the model then copies the doubled braces into its calls.
_DOUBLED_OPEN = re.compile(r'\{\{(\s*\\?"name\\?")')
_DOUBLED_CLOSE = re.compile(r"(<args-json-object>)\}\}")


def fix_chat_template(template: str) -> str:
    """Turn a doubled-brace tool-call example into the single-brace JSON the parser expects."""
    return _DOUBLED_CLOSE.sub(r"\1}", _DOUBLED_OPEN.sub(r"{\1", template))


class ChatTemplate:
    """A repaired Jinja chat template. A final assistant message is continued, not closed."""

    def __init__(self, source: str):
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        env = ImmutableSandboxedEnvironment(loader=jinja2.BaseLoader(), trim_blocks=True, lstrip_blocks=True,
                                            extensions=["jinja2.ext.loopcontrols"])
        env.filters["tojson"] = lambda value, **kw: json.dumps(value, ensure_ascii=False)
        env.globals["raise_exception"] = lambda message: (_ for _ in ()).throw(jinja2.TemplateError(message))
        try:
            self._template = env.from_string(fix_chat_template(source))
        except jinja2.TemplateError as exc:
            raise ModelError(f"the chat template cannot be parsed: {exc}") from None

    @classmethod
    def from_gguf(cls, path: str | Path) -> "ChatTemplate":
        """The template stored in a GGUF file's metadata. Reading the metadata parses the whole
        header (seconds for a large vocabulary), so the text is kept in the cache, keyed by file."""
        from ..paths import cache_dir

        path = Path(path)
        try:
            stat = path.stat()
        except OSError as exc:
            raise ModelError(f"cannot read the chat template of {path}: {exc.strerror}") from None
        key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
        cached = cache_dir() / "templates" / f"{path.stem}-{key}.jinja"
        if cached.is_file():
            return cls(cached.read_text(encoding="utf-8"))
        from gguf import GGUFReader

        try:
            field = GGUFReader(str(path)).get_field("tokenizer.chat_template")
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the chat template of {path}: {exc}") from None
        if field is None:
            raise ModelError(f"{path} has no chat template in its GGUF metadata")
        source = field.contents()
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(source, encoding="utf-8")
        tmp.replace(cached)
        return cls(source)

    def render(self, messages: Sequence[dict[str, Any]], tools: list[dict] | None = None,
               generation_prompt: bool = True) -> str:
        """The prompt text. `generation_prompt=False` renders the messages alone (a prefix of any
        longer conversation that starts with them)."""
        import jinja2

        messages = list(messages)
        continuing = bool(messages) and messages[-1]["role"] == "assistant"
        try:
            text = self._template.render(messages=messages, tools=tools,
                                         add_generation_prompt=generation_prompt and not continuing,
                                         bos_token="", eos_token="")
        except jinja2.exceptions.SecurityError as exc:
            raise ModelError(f"the chat template tried an unsafe operation: {exc}") from None
        if continuing:  # cut the rendered text right after the final message's content
            final = messages[-1]["content"]
            text = text[: text.rindex(final) + len(final)]
        return text


# Stand-ins for message text while the template renders: private-use characters no template
# treats specially and no message holds.
_STAND_IN = "\ue000slmreact-message-{}\ue001"
_STAND_IN_PATTERN = re.compile("\ue000slmreact-message-(\\d+)\ue001")
_WORD_JOINER = "\u2060"

Piece = tuple[str, bool]  # (text, control tokens in it are meant)


def prompt_pieces(messages: Sequence[dict[str, Any]], render: Callable[[list[dict[str, Any]]], str],
                  control_texts: Callable[[str], list[str]]) -> list[Piece]:
    """The prompt of `render(messages)` as pieces to tokenize one after another.

    Message contents with no control-token text (`control_texts` finds none) stay inside the
    template's text, so ordinary prompts tokenize exactly as one string. A content that holds
    such text is rendered as a stand-in and returned as its own piece, marked as plain text.
    Where the template changes a content (so the stand-in does not give back the same prompt),
    each control-token text in it is broken with a word joiner instead."""
    messages = list(messages)
    hostile = {i for i, m in enumerate(messages)
               if isinstance(m.get("content"), str) and m["content"] and control_texts(m["content"])}
    if not hostile:
        return [(render(messages), True)]
    marked = render([dict(m, content=_STAND_IN.format(i)) if i in hostile else m for i, m in enumerate(messages)])
    pieces: list[Piece] = []
    start = 0
    for match in _STAND_IN_PATTERN.finditer(marked):
        pieces.append((marked[start:match.start()], True))
        pieces.append((messages[int(match.group(1))]["content"], False))
        start = match.end()
    pieces.append((marked[start:], True))
    pieces = [(text, special) for text, special in pieces if text]
    if "".join(text for text, _ in pieces) == render(messages):
        return pieces
    escaped = [dict(m, content=_break_control_texts(m["content"], control_texts(m["content"])))
               if i in hostile else m for i, m in enumerate(messages)]
    return [(render(escaped), True)]


def _break_control_texts(text: str, found: list[str]) -> str:
    for token in sorted(set(found), key=len, reverse=True):
        text = text.replace(token, token[0] + _WORD_JOINER + token[1:])
    return text


# Control tokens as ChatML, Llama 3 and Phi write them: "<|im_end|>", "<|eot_id|>", "<|end|>".
_CONTROL_LIKE = re.compile(r"<\|[^|<>\s]{1,48}\|>")


def escape_control_texts(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages with every control-token-like text in their contents broken by a word joiner.
    For prompts a server tokenizes (an OpenAI-compatible API), where message text cannot be kept
    apart from the template's own control tokens."""
    def escape(message: dict[str, Any]) -> dict[str, Any]:
        content = message.get("content")
        if not isinstance(content, str) or "<|" not in content:
            return message
        return dict(message, content=_break_control_texts(content, _CONTROL_LIKE.findall(content)))

    return [escape(m) for m in messages]
