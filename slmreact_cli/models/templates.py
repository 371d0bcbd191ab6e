"""Chat-template repairs applied when a tokenizer is loaded."""
from __future__ import annotations

import re

# Some GGUF exports escape the tool-call example as Python format text, `{{"name": ...}}`, inside
# a Jinja string literal; the model then copies the doubled braces into its calls.
_DOUBLED_OPEN = re.compile(r'\{\{(\s*\\?"name\\?")')
_DOUBLED_CLOSE = re.compile(r"(<args-json-object>)\}\}")


def fix_chat_template(template: str) -> str:
    """Turn a doubled-brace tool-call example into the single-brace JSON the parser expects."""
    return _DOUBLED_CLOSE.sub(r"\1}", _DOUBLED_OPEN.sub(r"{\1", template))
