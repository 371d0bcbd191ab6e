"""Saved defaults in config.toml (tools, approve, system, max_steps, mode), flags over them, and
`slmreact config`, which shows each setting with where it came from. Through the CLI, with a
scripted model and the real tools, worker and approval."""
import json
import shutil
import sys

import pytest

from cli_scripted import SMALL, invoke, scripted  # noqa: F401 - scripted is a fixture
from conftest import CALCULATOR, SAMPLE
from slmreact_cli.errors import ConfigError
from slmreact_cli.execution import DECLINED
from slmreact_cli.models.fake import ScriptedReply


@pytest.fixture
def config(home):
    """Writes the user's config.toml (lines of TOML) beside the sample tools; its path. The tools are
    a link to tests/data/sample_tools.py where links can be made, so that their description is the
    one the test run keeps (conftest tool_descriptions), and a copy elsewhere."""
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        (path.parent / "sample_tools.py").symlink_to(SAMPLE)
    except OSError:
        shutil.copy(SAMPLE, path.parent / "sample_tools.py")

    def write(*lines: str):
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


SAVED = ('tools = ["sample_tools.py"]', 'approve = ["lookup"]', 'system = "Always answer in French."',
         "max_steps = 5", 'mode = "code"', f'default = "{SMALL}"')


def shown(*args):
    result = invoke("config", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---- slmreact config ----------------------------------------------------------------------------

def test_config_without_a_file_shows_the_defaults_and_the_profiles_mode(home):
    out = shown()
    settings = out["settings"]
    assert out["config_file"] == str(home / "config" / "config.toml")
    assert settings["model"] == {"value": "qwen2.5-coder-1.5b", "source": "default"}
    assert settings["approve"] == {"value": "never", "source": "default"}
    assert settings["max_steps"] == {"value": 8, "source": "default"}
    assert settings["system"] == {"value": "", "source": "default"}
    assert settings["mode"] == {"value": "react", "source": "profile qwen2.5-coder-1.5b"}
    assert [p.rsplit("/", 1)[-1] for p in settings["tools"]["value"]] == ["calculator.py", "dates.py", "units.py"]


def test_config_shows_saved_values_with_their_file_and_flags_over_them(config):
    path = config(*SAVED)
    settings = shown()["settings"]
    assert {name: s["source"] for name, s in settings.items()} == {name: str(path) for name in settings}
    assert settings["tools"]["value"] == [str(path.parent / "sample_tools.py")]  # relative to the config file
    assert settings["approve"]["value"] == ["lookup"]
    assert settings["system"]["value"] == "Always answer in French."
    assert (settings["max_steps"]["value"], settings["mode"]["value"], settings["model"]["value"]) == (5, "code", SMALL)

    settings = shown("--max-steps", "8", "--mode", "react", "-t", CALCULATOR, "--no-approve",
                     "-m", "qwen2.5-coder-1.5b")["settings"]
    assert settings["max_steps"] == {"value": 8, "source": "flag"}  # a flag equal to the default still wins
    assert settings["mode"] == {"value": "react", "source": "flag"}
    assert settings["tools"] == {"value": [CALCULATOR], "source": "flag"}
    assert settings["approve"] == {"value": "never", "source": "flag"}
    assert settings["model"] == {"value": "qwen2.5-coder-1.5b", "source": "flag"}
    assert settings["system"]["source"] == str(path)


def test_config_table_names_each_source(config):
    config('mode = "native"')
    result = invoke("config", "--max-steps", "3")
    assert result.exit_code == 0
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") == 4}
    assert "flag" in rows["max_steps"] and "3" in rows["max_steps"]
    assert "config.toml" in result.stdout and "native" in rows["mode"]
    assert "default" in rows["approve"]


@pytest.mark.parametrize("line, key", [
    ('max_steps = "5"', "max_steps"), ("max_steps = 0", "max_steps"), ("max_steps = 65", "max_steps"),
    ('approve = "sometimes"', "approve"), ("approve = 3", "approve"), ("approve = [1]", "approve"),
    ('tools = "my_tools.py"', "tools"), ("tools = []", "tools"), ('mode = "fast"', "mode"), ("system = 1", "system"),
    ("colour = 1", "colour"),
])
def test_a_bad_saved_value_is_one_line_naming_the_key_and_the_file(config, monkeypatch, capsys, line, key):
    from slmreact_cli.cli import main

    path = config(line)
    monkeypatch.setattr(sys, "argv", ["slmreact", "ask", "What is 6*7?"])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {path}: ")
    assert key in err


# ---- ask, batch and tools run with the saved defaults ---------------------------------------------

def test_ask_runs_with_the_saved_tools_steps_system_and_mode(config, scripted):
    config('tools = ["sample_tools.py"]', "max_steps = 1", 'system = "Always answer in French."',
           'mode = "react"')
    opened = scripted([ScriptedReply('Action: lookup(key="a")')])
    result = invoke("ask", "--json", "--no-log", "What is stored under a?")
    record = json.loads(result.stdout)
    assert result.exit_code == 1 and record["answer"] is None  # one step, then the step limit
    assert record["steps"][0]["calls"] == [{"name": "lookup", "arguments": {"key": "a"}, "result": "10"}]
    system = opened.engine.calls[0].messages[0]["content"]
    assert "Use only the tools listed below, each with its own arguments.\n\nAlways answer in French.\n\nTools:" in system
    assert "lookup(key: str)" in system and "calculate(" not in system
    assert opened.engine.unused() == []


def test_flags_override_the_saved_defaults(config, scripted):
    config('tools = ["sample_tools.py"]', "max_steps = 1", 'mode = "native"')
    opened = scripted([ScriptedReply('Action: calculate(expression="6*7")'), ScriptedReply("Answer: 42")])
    result = invoke("ask", "--json", "--no-log", "-t", CALCULATOR, "--max-steps", "2", "--mode", "react",
                    "What is 6*7?")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer"] == "42"
    options = opened.options[0]
    assert (options.tools, options.max_steps, options.mode) == ([CALCULATOR], 2, "react")
    assert "calculate(expression: str)" in opened.engine.calls[0].messages[0]["content"]


def test_saved_system_text_reaches_native_and_code_prompts(config, scripted):
    config('system = "Always answer in French."', 'mode = "native"')
    opened = scripted([ScriptedReply("Quarante-deux.")])
    assert invoke("ask", "--json", "--no-log", "What is 6*7?").exit_code == 0
    assert opened.engine.calls[0].messages[0]["content"].endswith("\n\nAlways answer in French.")

    config('system = "Always answer in French."', 'mode = "code"')
    opened = scripted([ScriptedReply(" Rien à calculer.\nAnswer: quarante-deux")])
    result = invoke("ask", "--json", "--no-log", "What is 6*7?")
    assert json.loads(result.stdout)["answer"] == "quarante-deux"
    assert "\n\nAlways answer in French.\n\nTools:\n```python" in opened.engine.calls[0].messages[0]["content"]


def test_without_a_saved_system_text_the_prompt_is_unchanged(config, scripted):
    from slmreact_cli.prompts import reasoning_system_prompt
    from slmreact_cli.tool_loading import load_registry

    opened = scripted([ScriptedReply("Answer: 42")])
    assert invoke("ask", "--json", "--no-log", "-t", SAMPLE, "What is 6*7?").exit_code == 0
    assert opened.engine.calls[0].messages[0]["content"] == reasoning_system_prompt(load_registry([SAMPLE]))


def test_a_saved_allow_list_runs_those_tools_and_asks_about_the_others(config, scripted):
    config('tools = ["sample_tools.py"]', 'approve = ["lookup"]')
    scripted([ScriptedReply('Action: lookup(key="a")\nAction: add(x=1, y=2)'), ScriptedReply("Answer: 10")])
    result = invoke("ask", "--json", "--no-log", "What is under a, and 1+2?", input="n\n")
    calls = json.loads(result.stdout)["steps"][0]["calls"]  # the question went to stderr
    assert calls[0] == {"name": "lookup", "arguments": {"key": "a"}, "result": "10"}
    assert calls[1]["name"] == "add" and calls[1]["error"] == DECLINED
    assert "Run add(" in result.stderr and "Run lookup(" not in result.stderr
    assert "[y]es / [n]o / [a]lways for this tool: " in result.stderr


def test_no_approve_overrides_a_saved_always(config, scripted):
    config('tools = ["sample_tools.py"]', 'approve = "always"')
    opened = scripted([ScriptedReply('Action: lookup(key="a")'), ScriptedReply("Answer: 10")])
    result = invoke("ask", "--json", "--no-log", "What is under a?", input="y\n")
    assert "Run lookup(" in result.stderr and result.exit_code == 0
    assert opened.approvers[0] is not None

    opened = scripted([ScriptedReply('Action: lookup(key="a")'), ScriptedReply("Answer: 10")])
    result = invoke("ask", "--json", "--no-log", "--no-approve", "What is under a?")
    assert "Run lookup(" not in result.stderr and result.exit_code == 0
    assert opened.approvers == [None]


def test_batch_takes_the_saved_allow_list_and_its_flag_wins(config, scripted, tmp_path):
    config('tools = ["sample_tools.py"]', 'approve = ["lookup"]')
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": 1, "question": "What is 1+2?"}\n')
    scripted([ScriptedReply("Action: add(x=1, y=2)"), ScriptedReply("Answer: no")])
    result = invoke("batch", str(questions), "--no-log")
    assert json.loads(result.stdout)["steps"][0]["calls"][0]["error"] == DECLINED

    scripted([ScriptedReply("Action: add(x=1, y=2)"), ScriptedReply("Answer: 3")])
    result = invoke("batch", str(questions), "--no-log", "--approve", "add")
    assert json.loads(result.stdout)["steps"][0]["calls"][0]["result"] == "3"


def test_batch_with_a_saved_always_says_that_no_call_runs(config, scripted, tmp_path):
    config('tools = ["sample_tools.py"]', 'approve = "always"')
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": 1, "question": "What is 1+2?"}\n')
    scripted([ScriptedReply("Action: add(x=1, y=2)"), ScriptedReply("Answer: no")])
    result = invoke("batch", str(questions), "--no-log")
    assert "batch has no one to ask, so no tool call runs" in result.stderr
    assert json.loads(result.stdout)["steps"][0]["calls"][0]["error"] == DECLINED


def test_a_saved_allow_list_with_an_unknown_tool_is_an_error_naming_the_file(config, scripted):
    path = config('tools = ["sample_tools.py"]', 'approve = ["lokup"]')
    scripted([])
    result = invoke("ask", "--no-log", "What is under a?")
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).startswith(f"approve in {path} names unknown tool(s) lokup")


def test_slmreact_alone_starts_chat_with_the_saved_defaults(config, scripted, monkeypatch):
    import slmreact_cli.repl as repl

    config('tools = ["sample_tools.py"]', "max_steps = 3", 'approve = "always"')
    opened = scripted([])
    sessions = []
    monkeypatch.setattr(repl, "run_repl", lambda session, console, verbose=False, **_: sessions.append(session))
    result = invoke()
    assert result.exit_code == 0, result.output
    assert opened.options[0].max_steps == 3 and opened.options[0].tools[0].endswith("config/sample_tools.py")
    assert opened.approvers[0] is not None and "lookup" in sessions[0].registry.names()


def test_tools_command_lists_the_saved_tools(config):
    config('tools = ["sample_tools.py"]')
    names = [t["function"]["name"] for t in json.loads(invoke("tools", "--json").stdout)["tools"]]
    assert "lookup" in names and "calculate" not in names
    names = [t["function"]["name"] for t in json.loads(invoke("tools", "--json", "-t", CALCULATOR).stdout)["tools"]]
    assert names == ["calculate"]
