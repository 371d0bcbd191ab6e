"""The tool worker against hostile tools: late replies, forks, stray children, memory, the working folder."""
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from slmreact_cli.tool_loading import load_registry
from slmreact_cli.worker import ToolRunner

from conftest import DATA

HOSTILE = DATA / "hostile"
TRICKS = str(HOSTILE / "process_tricks.py")
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX process semantics")


@pytest.fixture(scope="module")
def tricks():
    return load_registry([TRICKS])


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler for one test, whatever handler earlier code in this process left."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_an_interrupted_call_never_answers_a_later_one(tricks, python_sigint):
    """Ctrl-C while a tool is still running: the tool's late result must not become the next call's."""
    with ToolRunner(tricks, timeout=30) as runner:
        assert runner.call("add", {"x": 1, "y": 1}).text == "2"  # the worker is up
        interrupt = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        with pytest.raises(KeyboardInterrupt):
            interrupt.start()
            runner.call("slow_value", {"seconds": 5})
        interrupt.join()
        assert runner.call("add", {"x": 1, "y": 2}).text == "3"
        assert runner.call("add", {"x": 2, "y": 2}).text == "4"


@posix_only
def test_a_tool_that_forks_without_exiting_leaves_one_worker_answering(tricks):
    with ToolRunner(tricks, timeout=30) as runner:
        assert runner.call("fork_and_return", {}).text == "parent"
        assert [runner.call("add", {"x": i, "y": 1}).text for i in range(3)] == ["1", "2", "3"]


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@posix_only
def test_a_timed_out_tool_takes_the_processes_it_started_with_it(tricks, tmp_path):
    pid_file = tmp_path / "child.pid"
    with ToolRunner(tricks, timeout=2) as runner:
        assert runner.call("add", {"x": 1, "y": 0}).text == "1"  # the worker is up: the tool has its 2 s
        result = runner.call("start_child_and_hang", {"pid_file": str(pid_file)})
        assert not result.ok and result.text.startswith("TimeoutError")
        assert runner.call("add", {"x": 1, "y": 1}).text == "2"
    pid = int(pid_file.read_text())
    try:
        deadline = time.monotonic() + 15
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(pid), "the tool's child process outlived the stopped tool"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(sys.platform != "linux", reason="the limit is enforced by Linux")
def test_a_tool_that_allocates_past_the_memory_limit_gets_a_memory_error(tricks):
    with ToolRunner(tricks, memory_limit_mb=512) as runner:
        result = runner.call("allocate", {"megabytes": 2048})
        assert not result.ok and result.text.startswith("MemoryError")
        assert runner.call("allocate", {"megabytes": 16}).text == str(16 * 1024 * 1024)


def test_a_module_in_the_working_folder_does_not_shadow_the_standard_library(tmp_path, monkeypatch):
    marker = tmp_path / "shadow-module-ran"
    (tmp_path / "json.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    registry = load_registry([TRICKS])
    with ToolRunner(registry) as runner:
        assert runner.call("add", {"x": 20, "y": 22}).text == "42"
    assert not marker.exists()


def test_a_function_imported_by_another_module_never_replaces_a_tool():
    """imports_search.py does `from re import search`: the tool `search` stays search_tool.py's."""
    registry = load_registry([str(HOSTILE / "search_tool.py"), str(HOSTILE / "imports_search.py")])
    assert sorted(registry.names()) == ["count_words", "search"]
    with ToolRunner(registry) as runner:
        assert runner.call("search", {"text": "cats"}).text == "found cats"
        assert runner.call("count_words", {"text": "a b c"}).text == "3"


def test_a_tool_writing_to_the_process_streams_does_not_disturb_the_channel(tricks):
    """The calls travel on their own connection: a tool that writes to file descriptor 1 or reads
    file descriptor 0 leaves them intact."""
    with ToolRunner(tricks) as runner:
        assert runner.call("noisy", {"x": 5}).text == "5"
        assert runner.call("noisy", {"x": 6}).text == "6"
