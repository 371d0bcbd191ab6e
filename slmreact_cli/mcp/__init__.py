"""MCP tool servers as tool sources.

A server is named with `--mcp "command args"` (stdio), `--mcp URL` (streamable HTTP) or a
`[[mcp]]` table in config.toml (`servers.py`). The tool worker holds one client per server
(`client.py`, run by `worker.serve`), lists the server's tools when it starts, and makes every call,
so a call's timeout, approval and log entry are those of a Python tool. The parent turns each listed
tool into a registry tool (`registry.py`): its JSON `inputSchema`, with references inlined, feeds
the prompts and the calling grammar, and arguments are checked against the schema itself with
`jsonschema` (`schema.py`). A server's reply becomes the text the model reads (`results.py`).

The `mcp` SDK is imported only by the worker, when a server is configured.
"""
