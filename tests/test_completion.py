"""Shell completion (Typer's, as `slmreact --install-completion` sets it up) and the REPL's
completer: profiles, tool files, modes and slash commands complete."""
import os

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from cli_scripted import invoke


def complete(monkeypatch, line: str) -> list[str]:
    """What bash completion offers for the last word of `line` (a trailing space: a new word)."""
    words = line.split(" ")
    monkeypatch.setenv("_SLMREACT_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", line)
    monkeypatch.setenv("COMP_CWORD", str(len(words) - 1))
    result = invoke()
    assert result.exit_code == 0, result.output
    return result.stdout.split()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "weather_tools.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "model.gguf").write_text("")
    (tmp_path / "wtools").mkdir()
    (tmp_path / "wtools" / "extra.py").write_text("")
    (tmp_path / ".hidden.py").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_root_offers_completion_setup(home, monkeypatch):
    # Typer asks shellingham which shell runs pytest; detached from a terminal there is none to find.
    import shellingham

    monkeypatch.setattr(shellingham, "detect_shell", lambda *args, **kwargs: ("bash", "/bin/bash"))
    result = invoke("--show-completion")
    assert result.exit_code == 0 and "_SLMREACT_COMPLETE=complete_bash" in result.stdout, \
        (result.exception, result.output)
    assert "--install-completion" in invoke("--help").stdout


def test_modes_complete(home, monkeypatch):
    assert complete(monkeypatch, "slmreact ask --mode ") == ["react", "native", "code"]
    assert complete(monkeypatch, "slmreact chat --mode co") == ["code"]


def test_profiles_complete_shipped_and_saved_ones(home, monkeypatch, folder):
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[profiles.qwen-mine]\nsource = "x/y"\n')
    assert complete(monkeypatch, "slmreact ask -m qwen2.5-coder") == ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
    assert "qwen-mine" in complete(monkeypatch, "slmreact batch --model qwen")
    assert complete(monkeypatch, "slmreact ask -m mod") == ["model.gguf"]  # a .gguf file too
    assert complete(monkeypatch, "slmreact models rm qwen2.5-coder-0") == ["qwen2.5-coder-0.5b"]


def test_a_broken_config_completes_nothing_and_raises_nothing(home, monkeypatch):
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("not [ toml")
    assert complete(monkeypatch, "slmreact ask -m qwen") == []


def test_tool_files_complete_as_py_files_and_folders(home, monkeypatch, folder):
    assert complete(monkeypatch, "slmreact ask -t w") == ["weather_tools.py", "wtools/"]
    assert complete(monkeypatch, "slmreact tools --tools wtools/") == ["wtools/extra.py"]
    assert complete(monkeypatch, "slmreact chat -t .h") == [".hidden.py"]
    assert complete(monkeypatch, "slmreact chat -t nosuch/") == []
    absolute = complete(monkeypatch, f"slmreact ask -t {folder}/we")
    assert absolute == [f"{folder}/weather_tools.py"]


def test_tool_files_complete_from_the_home_folder(home, monkeypatch, folder):
    monkeypatch.setenv("HOME", str(folder))
    assert complete(monkeypatch, "slmreact ask -t ~/wt") == ["~/wtools/"]


# ---- the REPL's completer -------------------------------------------------------------------------

def repl_completions(text: str) -> list[str]:
    from slmreact_cli.repl import ReplCompleter

    completer = ReplCompleter(["lookup", "add"])
    return [c.text for c in completer.get_completions(Document(text), CompleteEvent(completion_requested=True))]


def test_repl_completes_slash_commands_and_their_arguments(folder):
    assert repl_completions("/he") == ["/help"]
    assert set(repl_completions("/")) >= {"/help", "/tools", "/verbose", "/save", "/exit"}
    assert repl_completions("/verbose o") == ["on", "off"]
    assert repl_completions("/verbose of") == ["off"]
    assert repl_completions("/save wea") == ["ther_tools.py"]  # prompt-toolkit completes the rest of the name
    assert repl_completions("/reset x") == []
    assert repl_completions("what is loo") == ["lookup"]
    assert os.getcwd() == str(folder)
