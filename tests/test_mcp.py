"""MCP tool servers as tool sources: a stdio server (tests/data/mcp_server.py, written with the SDK's
MCPServer) and the same server over streamable HTTP, started here on a free local port. The CLI
runs over the scripted engine; one test has the real 0.5B answer through an MCP tool."""
import json
import shlex
import socket
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from slmreact_cli.loop.calling import calls_schema
from slmreact_cli.cli import app
from slmreact_cli.errors import ConfigError, ToolLoadError
from slmreact_cli.mcp.registry import McpTool
from slmreact_cli.mcp.schema import ArgumentChecker, tool_parameters
from slmreact_cli.mcp.servers import from_config, from_flag, session_servers
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply
from slmreact_cli.session import open_tools

from conftest import DATA, SAMPLE, SMALL_PROFILE
from console_script import slmreact

SERVER = DATA / "mcp_server.py"
STDIO = shlex.join([sys.executable, str(SERVER)])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the MCP test server ended (exit code {process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the MCP test server did not start listening")


@pytest.fixture(scope="module")
def http_url():
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(SERVER), "--http", str(port), "--name", "web"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_listening(port, process)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def stdio_tools(tmp_path_factory):
    """The sample tools and the stdio server, whose `add` clashes with the sample `add`; no user
    config file."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLMREACT_HOME", str(tmp_path_factory.mktemp("home")))
        registry, runner = open_tools([SAMPLE], [STDIO], timeout=30)
    yield registry, runner
    runner.close()


def scripted(monkeypatch, *replies: str) -> ScriptedEngine:
    """The engine every session of this test loads: replies for reasoning turns, in order."""
    engine = ScriptedEngine(replies=[ScriptedReply(text) for text in replies])
    monkeypatch.setattr("slmreact_cli.models.loader.load_engine", lambda profile, progress=None: engine)
    return engine


def ask_json(*args: str) -> tuple[dict, object]:
    result = CliRunner().invoke(app, ["ask", "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return json.loads(result.stdout), result


def calls_of(record: dict) -> list[dict]:
    return [call for step in record["steps"] for call in step["calls"]]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slmreact_cli", *args], capture_output=True, text=True, timeout=300)


# ---- which servers ----------------------------------------------------------------------------------

def test_a_flag_is_a_url_or_a_command_line():
    url = from_flag("http://127.0.0.1:8931/mcp")
    assert (url.url, url.command, url.name) == ("http://127.0.0.1:8931/mcp", (), "mcp_8931")
    command = from_flag("npx -y @modelcontextprotocol/server-filesystem '/tmp/my notes'")
    assert command.command == ("npx", "-y", "@modelcontextprotocol/server-filesystem", "/tmp/my notes")
    assert command.name == "server_filesystem"
    assert from_flag(STDIO).name == "mcp_server"
    with pytest.raises(ConfigError, match="the command is empty"):
        from_flag("  ")
    with pytest.raises(ConfigError, match="cannot split the command"):
        from_flag("python 'server.py")


def test_config_tables_are_checked_and_names_made_unique(home):
    home.mkdir(parents=True)
    config = home / "config" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'[[mcp]]\nname = "facts"\ncommand = {json.dumps(STDIO)}\nenv = {{ LANG = "C" }}\n'
                      'tools = ["add"]\n\n[[mcp]]\nname = "facts"\nurl = "http://localhost:9/mcp"\n')
    first, second, third = session_servers([STDIO])
    assert (first.name, first.env, first.allowed) == ("facts", {"LANG": "C"}, ("add",))
    assert (second.name, second.url) == ("facts_2", "http://localhost:9/mcp")
    assert third.name == "mcp_server"
    with pytest.raises(ConfigError, match=r"entry 1: unknown key 'cmd'"):
        from_config({"name": "x", "cmd": "y"}, "config.toml [[mcp]] entry 1")
    with pytest.raises(ConfigError, match="give either command or url"):
        from_config({"command": "a", "url": "http://b/mcp"}, "here")
    with pytest.raises(ConfigError, match="not an http"):
        from_config({"url": "ftp://example.org"}, "here")


# ---- schemas ----------------------------------------------------------------------------------------

def test_references_are_inlined_and_titles_dropped_for_prompts_and_grammar():
    schema = {"type": "object", "title": "moveArguments",
              "$defs": {"Point": {"type": "object", "title": "Point",
                                  "properties": {"x": {"type": "number", "title": "X"}}}},
              "properties": {"to": {"$ref": "#/$defs/Point", "description": "Where."},
                             "title": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}},
              "required": ["to"]}
    assert tool_parameters(schema) == {
        "type": "object", "required": ["to"],
        "properties": {"to": {"type": "object", "properties": {"x": {"type": "number"}}, "description": "Where."},
                       "title": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}}}


def test_arguments_are_checked_with_the_json_schema():
    checker = ArgumentChecker("add", {"type": "object", "properties": {"a": {"type": "integer"},
                                                                       "b": {"type": "integer"}},
                                      "required": ["a", "b"]})
    assert checker.check({"a": "2", "b": 3}) == {"a": 2, "b": 3}
    with pytest.raises(ValueError) as problem:
        checker.check({"a": "two", "c": 1})
    message = str(problem.value)
    assert message.startswith("invalid arguments for add: c: unknown argument")
    assert "'b' is a required property" in message and "a: 'two' is not of type 'integer'" in message
    assert message.endswith("(expected: a, b)")


# ---- listing and calls --------------------------------------------------------------------------------

def test_server_tools_join_the_registry_with_a_prefix_only_where_names_clash(stdio_tools):
    registry, _ = stdio_tools
    names = registry.names()
    assert names[:6] == ["lookup", "add", "hang", "quit_process", "hard_exit", "huge"]  # the Python tools first
    assert "mcp_server_add" in names and "capital_of" in names and "word_count" in names
    word_count = registry.get("word_count")
    assert isinstance(word_count, McpTool) and word_count.target == ("mcp_server", "word-count")
    assert word_count.signature_line() == "word_count(text: str, unique: bool = optional)"
    assert registry.get("distance").signature_line() == "distance(start: dict, end: dict)"
    import xgrammar

    xgrammar.Grammar.from_json_schema(json.dumps(calls_schema(registry)))  # the calling grammar compiles


def test_calls_results_and_tool_errors(stdio_tools):
    _, runner = stdio_tools
    assert runner.call("mcp_server_add", {"a": 2, "b": "40"}).text == "42"
    assert runner.call("add", {"x": 1, "y": 2}).text == "3"  # the Python add keeps its name
    assert runner.call("word_count", {"text": "to be or not to be", "unique": True}).text == "4"
    assert runner.call("distance", {"start": {"x": 0, "y": 0}, "end": {"x": 3, "y": 4}}).text == "5.0"
    failed = runner.call("capital_of", {"country": "Atlantis"})
    assert not failed.ok and failed.text == "ToolError: Error executing tool capital_of: no capital known for 'Atlantis'"
    refused = runner.call("capital_of", {"city": "Paris"})
    assert not refused.ok and refused.text.startswith("ValueError: invalid arguments for capital_of: city: unknown argument")


def test_tools_lists_config_and_flag_servers_over_stdio_and_http(home, http_url):
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[[mcp]]\nname = "web"\nurl = "{http_url}"\ntools = ["add", "capital_of"]\n')
    result = CliRunner().invoke(app, ["tools", "--json", "--mcp", STDIO])
    assert result.exit_code == 0, result.output
    names = [tool["function"]["name"] for tool in json.loads(result.stdout)["tools"]]
    assert {"web_add", "web_capital_of", "mcp_server_add", "mcp_server_capital_of", "word_count"} <= set(names)
    assert "web_word_count" not in names and "word_count" in names  # the allow-list leaves it out


# ---- whole questions through the CLI -----------------------------------------------------------------

def test_a_question_answered_through_a_stdio_tool_with_its_tool_error(home, monkeypatch):
    engine = scripted(monkeypatch, 'Thought: I look both up.\nAction: capital_of(country="Peru")\n'
                                   'Action: capital_of(country="Mars")', "Answer: Lima; Mars has none.")
    record, result = ask_json("--mcp", STDIO, "What are the capitals of Peru and Mars?")
    assert result.exit_code == 0
    assert calls_of(record) == [
        {"name": "capital_of", "arguments": {"country": "Peru"}, "result": "Lima"},
        {"name": "capital_of", "arguments": {"country": "Mars"},
         "error": "ToolError: Error executing tool capital_of: no capital known for 'Mars'"}]
    assert "ToolError" in record["steps"][0]["observation"]
    assert "capital_of(country: str)" in engine.calls[0].messages[0]["content"]  # the prompt lists it
    assert engine.unused() == []
    logged = json.loads(CliRunner().invoke(app, ["logs", "--json"]).stdout)[-1]
    assert [e["name"] for e in logged["events"] if e["type"] == "tool_call"] == ["capital_of", "capital_of"]


def test_a_slow_call_past_the_timeout_is_an_observation_and_the_server_stays_usable(home, monkeypatch):
    scripted(monkeypatch, "Action: slow(seconds=600)", "Action: add(a=2, b=3)", "Answer: 5")
    record, result = ask_json("--mcp", STDIO, "--tool-timeout", "2", "Wait 600 seconds, then add 2 and 3.")
    assert result.exit_code == 0
    slow, add = calls_of(record)
    assert slow["error"] == "TimeoutError: slow did not finish within 2 s and was cancelled on its MCP server"
    assert add["result"] == "5"
    assert record["answer"] == "5"


def test_a_server_that_dies_mid_session_is_an_observation_and_starts_again(home, monkeypatch):
    scripted(monkeypatch, "Action: die()", "Action: add(a=1, b=1)", "Answer: 2")
    record, result = ask_json("--mcp", STDIO, "End the server, then add 1 and 1.")
    assert result.exit_code == 0
    died, added = calls_of(record)
    assert died["error"] == ("ServerGone: the MCP server 'mcp_server' ended or closed the connection; "
                             "the next call connects again")
    assert added["result"] == "2"


def test_http_server_calls_with_a_batch_allow_list(home, monkeypatch, http_url, tmp_path):
    scripted(monkeypatch, 'Action: planet_population(planet="Zorblax")', "Answer: 48213 people.",
             'Action: add(a=48213, b=1)', "Answer: not allowed")
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": 1, "question": "How many people live on Zorblax?"}\n'
                         '{"id": 2, "question": "What is 48213 plus 1?"}\n')
    result = CliRunner().invoke(app, ["batch", str(questions), "--mcp", http_url, "--approve", "planet_population"])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert calls_of(first) == [{"name": "planet_population", "arguments": {"planet": "Zorblax"}, "result": "48213"}]
    assert calls_of(second)[0]["error"] == "the user declined to run this call"


def test_the_readme_server_example_lists_and_answers(home, tmp_path):
    from conftest import ROOT

    section = (ROOT / "README.md").read_text().split("## MCP tool servers", 1)[1]
    server = tmp_path / "weather_server.py"
    server.write_text(section.split("```python\n", 1)[1].split("```", 1)[0])
    registry, runner = open_tools([SAMPLE], [shlex.join([sys.executable, str(server)])])
    try:
        assert registry.get("forecast").target == ("weather_server", "forecast")
        assert runner.call("forecast", {"city": "Oslo"}).text == "rain, 9 C"
    finally:
        runner.close()


# ---- servers that cannot be used: one line, exit 2 ------------------------------------------------

def test_bad_servers_are_one_clear_line(home):
    port = _free_port()
    cases = {
        "no-such-mcp-server --stdio": "MCP server 'no_such_mcp_server' (no-such-mcp-server --stdio): cannot be used: "
                                      "cannot run 'no-such-mcp-server': No such file or directory",
        shlex.join([sys.executable, "-c", "import sys; sys.exit('bad token')"]):
            "cannot be used: Connection closed (its error output ends: bad token)",
        f"http://127.0.0.1:{port}/mcp": f"MCP server 'mcp_{port}' (http://127.0.0.1:{port}/mcp): cannot be used: "
                                        "ConnectError: All connection attempts failed",
    }
    for value, message in cases.items():
        run = slmreact("tools", "--mcp", value)  # the console script's main, in this process
        assert run.code == 2, run.err
        assert message in run.err
        assert run.err.count("\n") == 1 and "Traceback" not in run.err


def test_an_allow_list_naming_a_missing_tool_is_an_error(home):
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[[mcp]]\nname = "facts"\ncommand = {json.dumps(STDIO)}\ntools = ["add", "multiply"]\n')
    with pytest.raises(ToolLoadError, match=r"MCP server 'facts' has no tool 'multiply' \(it has: add, "):
        open_tools([SAMPLE], None)


# ---- the real model ----------------------------------------------------------------------------------

@pytest.mark.model
def test_the_small_model_answers_through_an_mcp_tool(home):
    proc = cli("ask", "--model", SMALL_PROFILE, "--mcp", STDIO, "--json", "How many people live on the planet Zorblax?")
    record = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert {"name": "planet_population", "arguments": {"planet": "Zorblax"}, "result": "48213"} in calls_of(record)
    assert "48213" in record["answer"].replace(",", "")
