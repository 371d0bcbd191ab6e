import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SMALL_PROFILE = "qwen2.5-coder-0.5b"
SAMPLE = str(DATA / "sample_tools.py")
CALCULATOR = str(ROOT / "tools" / "calculator.py")


@pytest.fixture(scope="module")
def registry():
    """The sample tools and the shipped calculator: the registry the scripted-loop tests share."""
    from slmreact_cli.tool_loading import load_registry

    return load_registry([SAMPLE, CALCULATOR])


@pytest.fixture(scope="session")
def _described_tool_sets():
    return {}


@pytest.fixture
def tools_described_once(monkeypatch, _described_tool_sets):
    """Sessions opened by the CLI describe each set of tool modules once per test run: describing
    starts a worker process that imports transformers, about a second each time. Each session
    still starts its own tool worker; a module that fails to load fails every time."""
    import slmreact_cli.session as session_module

    load_registry = session_module.load_registry

    def described_once(specs, *args, **kwargs):
        if args or kwargs:
            return load_registry(specs, *args, **kwargs)
        key = tuple(specs or ())
        if key not in _described_tool_sets:
            _described_tool_sets[key] = load_registry(specs)
        return _described_tool_sets[key]

    monkeypatch.setattr(session_module, "load_registry", described_once)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An isolated SLMREACT_HOME (config, data) that still shares the real model cache."""
    monkeypatch.setenv("SLMREACT_HOME", str(tmp_path / "home"))
    if "SLMREACT_CACHE_DIR" not in os.environ:
        import platformdirs

        monkeypatch.setenv("SLMREACT_CACHE_DIR", platformdirs.user_cache_dir("slmreact"))
    return tmp_path / "home"


@pytest.fixture(scope="session")
def small_engine():
    """The real embedded 0.5B on CPU through transformers, base weights only, loaded once for the whole
    test session."""
    from slmreact_cli.config import resolve_model
    from slmreact_cli.models.loader import load_engine

    profile = resolve_model(SMALL_PROFILE).model_copy(update={"engine": "transformers", "reasoning_adapter": None})
    return load_engine(profile)


@pytest.fixture
def tools_dir(tmp_path):
    """A temporary folder to write tool modules into."""
    path = tmp_path / "toolmods"
    path.mkdir()
    return path


def write_module(folder: Path, name: str, source: str) -> str:
    path = folder / f"{name}.py"
    path.write_text(source)
    return str(path)
