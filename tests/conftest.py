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


@pytest.fixture(scope="session", autouse=True)
def tool_descriptions():
    """Every load of the repository's tool modules in this test run reuses their first description
    (see described_tools.py): describing starts a worker process that imports transformers. The
    shipped tools, the examples and the tools in tests/data, which many test modules load, are
    described together."""
    import slmreact_cli.tool_loading as tool_loading
    from described_tools import AT_IMPORT, DescriptionCache

    common = [*sorted((ROOT / "tools").glob("[!_]*.py")), *sorted((ROOT / "examples").glob("*.py")),
              *sorted(DATA.glob("*_tools.py")),
              *sorted(p for p in (DATA / "hostile").glob("*.py") if not p.match(AT_IMPORT))]
    cache = DescriptionCache(tool_loading.describe_modules, together=[str(p) for p in common])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tool_loading, "describe_modules", cache.describe_modules)
        yield cache


@pytest.fixture
def tools_described_once(tool_descriptions):
    """Kept for the tests that ask for it: every test now shares the descriptions (tool_descriptions)."""
    return tool_descriptions


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

    profile = resolve_model(SMALL_PROFILE).model_copy(update={"engine": "transformers", "reasoning_adapter": None,
                                                              "adapter": None})
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
