"""How code mode is chosen: a profile's `mode = "code"`, or `--mode code`, which overrides it."""
import subprocess
import sys

from slmreact_cli.config import load_profiles
from slmreact_cli.models.fake import ScriptedEngine
from slmreact_cli.session import Session, SessionOptions
from slmreact_cli.tool_loading import load_registry
from slmreact_cli.worker import ToolRunner

from conftest import DATA


def _session(profile, mode=None):
    registry = load_registry([str(DATA / "sample_tools.py")])
    return Session(profile, ScriptedEngine(), registry, ToolRunner(registry), SessionOptions(mode=mode, log=False))


def test_a_profile_can_choose_code_mode(home):
    cfg = home / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[profiles.coder]\nsource = "x/y"\nmode = "code"\n')
    profile = load_profiles()["coder"]
    assert profile.mode == "code"
    session = _session(profile)
    assert session.settings.mode == "code" and session.agent.code is not None
    assert _session(profile, mode="react").agent.code is None


def test_the_flag_chooses_code_mode_over_the_profile(home):
    profile = load_profiles()["qwen2.5-coder-0.5b"]
    assert profile.mode == "react"
    session = _session(profile, mode="code")
    assert session.agent.code is not None
    assert session.agent.code.system["content"].startswith("You answer the user's question. You work in steps")


def test_an_unknown_mode_is_one_line_and_exit_2(home):
    proc = subprocess.run([sys.executable, "-m", "slmreact_cli", "ask", "--mode", "python", "hi"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--mode must be react, native or code" in proc.stderr
