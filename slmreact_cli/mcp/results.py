"""A tool call's reply from an MCP server, as the text the model reads.

Text blocks are joined by newlines; an image, audio or resource block the model cannot read is
named in brackets; a reply with only structured content is that content as JSON. A reply the server
marks as an error is an error the model sees as `ToolError: <its text>`.
"""
from __future__ import annotations

import json
from typing import Any


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", None)
    if kind == "text":
        return block.text
    if kind in ("image", "audio"):
        return f"[{kind}: {getattr(block, 'mime_type', None) or 'unknown type'}]"
    if kind == "resource":
        resource = block.resource
        text = getattr(resource, "text", None)
        return text if text is not None else f"[resource: {resource.uri}]"
    if kind == "resource_link":
        return f"[resource: {block.uri}]"
    return f"[{kind or type(block).__name__} content]"


def reply_text(result: Any) -> tuple[bool, str]:
    """(ok, text) of a CallToolResult."""
    parts = [_block_text(block) for block in result.content or []]
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts = [json.dumps(structured, ensure_ascii=False, default=str)]
    text = "\n".join(parts)
    if result.is_error:
        return False, f"ToolError: {text.strip() or '(no message)'}"
    return True, text
