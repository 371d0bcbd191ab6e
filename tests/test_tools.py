"""The registry (schemas, validation, broken modules) and the isolated runner (faults)."""
import pytest

from slmreact_cli.errors import ToolLoadError
from slmreact_cli.paths import bundled
from slmreact_cli.tool_loading import load_registry
from slmreact_cli.worker import ToolRunner

from conftest import DATA, write_module

SAMPLE = str(DATA / "sample_tools.py")

GOOD = '''
def area(width: float, height: float) -> float:
    """Area of a rectangle.

    Args:
        width: Width in metres.
        height: Height in metres.
    """
    return width * height
'''


def test_default_tools_load():
    registry = load_registry(None)
    assert {"calculate", "convert_units", "add_days", "days_between"} <= set(registry.names())


def test_dotted_module_name(written):
    assert load_registry(["mytools_pkg_mod"]).names() == ["area"]  # written's folder is on the import path


def test_schema_and_coercion():
    registry = load_registry([SAMPLE])
    add = registry.get("add")
    assert add.parameters["properties"]["x"] == {"type": "integer", "description": "The first integer."}
    assert add.validate({"x": "3", "y": 4}) == {"x": 3, "y": 4}
    with pytest.raises(ValueError, match="y: Field required"):
        add.validate({"x": 1})
    with pytest.raises(ValueError, match="unknown argument"):
        add.validate({"x": 1, "y": 2, "z": 3})


TYPED = '''
from typing import Literal, Optional

def pick(mode: Literal["fast", "slow"], limit: Optional[int] = None, tags: list[str] = None, flag: bool = False) -> str:
    """Pick something.

    Args:
        mode: The mode.
        limit: An optional limit.
        tags: Some tags.
        flag: A flag.
    """
    return mode
'''

PARTIAL = GOOD + '''
def nodoc(x: int) -> int:
    return x

def nohints(x):
    """Has a docstring.

    Args:
        x: a value
    """
    return x

def _private(x: int) -> int:
    """Hidden."""
    return x
'''

ASYNC = '''
import asyncio

async def slow_double(x: int) -> int:
    """Double a number, asynchronously.

    Args:
        x: The number.
    """
    await asyncio.sleep(0.01)
    return 2 * x
'''

BARE = "".join(f"def f{i}(x):\n    return x\n" for i in range(5))


BROKEN = [
    ("def broken(:\n    pass\n", "syntax error at line 1"),
    ("import module_that_does_not_exist_xyz\n", "cannot import 'module_that_does_not_exist_xyz'"),
    ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
    ("X = 1\n", "has no usable functions"),
    ("def gen(n: int):\n    '''Numbers.\n\n    Args:\n        n: how many\n    '''\n    yield n\n",
     "generator functions are not supported"),
]


@pytest.fixture(scope="module")
def written(tmp_path_factory, tool_descriptions):
    """The modules the tests below load (the broken ones by their source), written once into a folder on
    the import path and described by one worker ahead of the tests."""
    folder = tmp_path_factory.mktemp("toolmods")
    sources = {"typed": TYPED, "partial": PARTIAL, "asynctools": ASYNC, "bare": BARE, "one": GOOD, "two": GOOD}
    paths = {name: write_module(folder, name, source) for name, source in sources.items()}
    paths.update({source: write_module(folder, f"broken{i}", source) for i, (source, _) in enumerate(BROKEN)})
    write_module(folder, "mytools_pkg_mod", GOOD)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(folder))
        tool_descriptions.describe_ahead([*paths.values(), "mytools_pkg_mod"])
        yield paths


def test_literal_optional_and_containers(written):
    tool = load_registry([written["typed"]]).get("pick")
    assert tool.parameters["properties"]["mode"]["enum"] == ["fast", "slow"]
    assert tool.validate({"mode": "fast", "limit": "5", "flag": "true"}) == {"mode": "fast", "limit": 5, "flag": True}
    with pytest.raises(ValueError):
        tool.validate({"mode": "medium"})


def test_undocumented_function_is_skipped_with_a_reason(written):
    registry = load_registry([written["partial"]])
    assert registry.names() == ["area"]
    reasons = {s.name: s.reason for s in registry.skipped}
    assert set(reasons) == {"nodoc", "nohints"}
    assert "docstring" in reasons["nodoc"] and "type hints" in reasons["nohints"]


@pytest.mark.parametrize("source, message", BROKEN)
def test_broken_modules_give_one_clear_error(written, source, message):
    with pytest.raises(ToolLoadError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_registry([written[source]])


def test_a_module_of_unusable_functions_names_three_and_counts_the_rest(written):
    with pytest.raises(ToolLoadError, match=r"has no usable functions \(f0: .*; f1: .*; f2: .*; and 2 more\)"):
        load_registry([written["bare"]])


def test_missing_file_and_name_clash(tools_dir, written):
    with pytest.raises(ToolLoadError, match="not found"):
        load_registry([str(tools_dir / "nope.py")])
    with pytest.raises(ToolLoadError, match="clash: 'area'"):
        load_registry([written["one"], written["two"]])


def test_async_tools_are_supported(written):
    registry = load_registry([written["asynctools"]])
    with ToolRunner(registry) as runner:
        assert runner.call("slow_double", {"x": 21}).text == "42"


@pytest.fixture(scope="module")
def runner():
    with ToolRunner(load_registry([SAMPLE]), timeout=1.0, max_chars=1000) as r:
        yield r


def test_fault_raise(runner):
    result = runner.call("lookup", {"key": "nope"})
    assert not result.ok and result.text == "ValueError: no such key: 'nope'"


def test_fault_hang_is_stopped_and_the_next_call_works(runner):
    result = runner.call("hang", {"seconds": 60})
    assert not result.ok and result.text.startswith("TimeoutError") and result.seconds < 5
    assert runner.call("add", {"x": 1, "y": 2}).text == "3"


def test_fault_sys_exit_and_os_exit(runner):
    assert runner.call("quit_process", {"code": 3}).text == "SystemExit: 3"
    crashed = runner.call("hard_exit", {"code": 7})
    assert not crashed.ok and "exit code 7" in crashed.text
    assert runner.call("add", {"x": 2, "y": 2}).text == "4"


def test_fault_huge_result_is_truncated(runner):
    result = runner.call("huge", {"megabytes": 10})
    assert result.ok and result.truncated_chars == 10 * 1024 * 1024 - 1000
    assert len(result.text) < 1100 and "more characters not shown" in result.text


def test_unknown_tool_and_bad_arguments(runner):
    assert "valid tools are: lookup, add" in runner.call("nope", {}).text
    assert runner.call("add", {"x": "seven", "y": 1}).text.startswith("ValueError: invalid arguments for add")


def test_shipped_units_tool_reads_spelled_out_and_british_units():
    convert_units = load_registry([str(bundled("tools") / "units.py")]).get("convert_units").func
    assert convert_units(500, "millilitres", "litres") == pytest.approx(0.5)
    assert convert_units(30, "miles per hour", "kilometres per hour") == pytest.approx(48.28032)
    assert convert_units(100, "Degrees  Celsius", "°F") == pytest.approx(212)
    assert convert_units(14.4, "m^2", "square feet") == pytest.approx(155.00031)
    assert convert_units(1, "sq mi", "acres") == pytest.approx(640)
    assert convert_units(1, "hectare", "m²") == pytest.approx(10000)
    assert convert_units(90, "minutes", "hours") == pytest.approx(1.5)
    assert convert_units(2, "weeks", "days") == pytest.approx(14)
    with pytest.raises(ValueError, match="measure different things"):
        convert_units(30, "mph", "kg")
