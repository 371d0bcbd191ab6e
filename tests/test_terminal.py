"""A real terminal: tmux runs `slmreact` on the embedded 0.5B; we type into it and read the screen."""
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from conftest import SMALL_PROFILE

pytestmark = [pytest.mark.model, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

SEED = "What is the square root of the difference between 32^2 and 54?"


class Tmux:
    def __init__(self, command: str, env: dict):
        self.name = f"slmreact-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "140", "-y", "60",
                        f"env {exports} {command}; sleep 30"], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-3000", "-t", self.name],
                              capture_output=True, text=True).stdout

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, predicate, timeout: float) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.5)
        raise AssertionError(f"timed out; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal(home):
    env = {"SLMREACT_HOME": str(home), "SLMREACT_CACHE_DIR": os.environ["SLMREACT_CACHE_DIR"],
           "TERM": "xterm-256color", "PYTHONPATH": os.pathsep.join(sys.path)}
    t = Tmux(f"{sys.executable} -m slmreact_cli chat --model {SMALL_PROFILE}", env)
    yield t
    t.close()


def test_seed_question_panels_and_ctrl_c(terminal):
    terminal.wait_for(lambda s: "/help for commands" in s and "›" in s, timeout=600)
    terminal.send(SEED, "Enter")
    screen = terminal.wait_for(lambda s: "tokens/s" in s or "No answer" in s, timeout=300)
    for title in ("Thought · step 1", "Action · step 1", "Function call · step 1", "Observation · step 1", "Answer"):
        assert title in screen, title
    assert '"name": "calculate"' in screen and "31.14" in screen

    marker = screen.count("›")
    terminal.send("Write a long story about the history of every planet, in great detail.", "Enter")
    terminal.wait_for(lambda s: "Thinking · step 1" in s, timeout=120)
    pressed = time.time()
    terminal.send("C-c")
    screen = terminal.wait_for(lambda s: "interrupted" in s and s.count("›") > marker, timeout=30)
    assert time.time() - pressed < 10
    terminal.send("/exit", "Enter")
