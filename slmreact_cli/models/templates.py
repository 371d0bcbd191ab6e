"""Chat templates: the doubled-brace repair, and rendering a GGUF's template without a tokenizer.

Engines that build the prompt text themselves (llama.cpp in process, an OpenAI-compatible
server's plain completions endpoint) render the model's own Jinja template here, so every engine
sees the same bytes for the same messages.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Sequence

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

        env = jinja2.Environment(loader=jinja2.BaseLoader(), trim_blocks=True, lstrip_blocks=True)
        env.filters["tojson"] = lambda value, **kw: json.dumps(value, ensure_ascii=False)
        env.globals["raise_exception"] = lambda message: (_ for _ in ()).throw(jinja2.TemplateError(message))
        self._template = env.from_string(fix_chat_template(source))

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
        messages = list(messages)
        continuing = bool(messages) and messages[-1]["role"] == "assistant"
        text = self._template.render(messages=messages, tools=tools,
                                     add_generation_prompt=generation_prompt and not continuing,
                                     bos_token="", eos_token="")
        if continuing:  # cut the rendered text right after the final message's content
            final = messages[-1]["content"]
            text = text[: text.rindex(final) + len(final)]
        return text
