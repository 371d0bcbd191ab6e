"""The test run's cache of tool descriptions (described_tools.py): what it keeps, what it describes
again, and that what it hands back is what a worker describes."""
from described_tools import HOSTILE, DescriptionCache
from slmreact_cli.tool_loading import load_registry
from slmreact_cli.tools import describe_module, module_ref

from conftest import SAMPLE


class RecordingDescribe:
    """A describe_modules that records each batch it is given; a module named `broken*` is an error."""

    def __init__(self):
        self.batches: list[list[str]] = []

    def __call__(self, modules):
        self.batches.append([spec for spec, _ in modules])
        for spec, ref in modules:
            if "broken" in spec:
                yield f"tools module {spec} failed to import", []
            else:
                yield None, [{"name": ref.module_name, "description": "d", "parameters": {}, "defaults": {}}]


def cache_in(root, together=()):
    describe = RecordingDescribe()
    return DescriptionCache(describe, root=root, together=[str(p) for p in together]), describe


def load(cache, *paths):
    return list(cache.describe_modules([(str(p), module_ref(str(p))) for p in paths]))


def write(path, text="def f(): pass\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_file_under_the_root_is_described_once_and_each_load_gets_its_own_copy(tmp_path):
    cache, describe = cache_in(tmp_path)
    tools = write(tmp_path / "tools.py")
    first = load(cache, tools)
    first[0][1][0]["description"] = "changed by a test"
    assert load(cache, tools) == [(None, [{"name": module_ref(str(tools)).module_name, "description": "d",
                                           "parameters": {}, "defaults": {}}])]
    assert describe.batches == [[str(tools)]]


def test_only_unknown_modules_go_to_one_worker_and_the_order_is_kept(tmp_path):
    cache, describe = cache_in(tmp_path)
    a, b, c = (write(tmp_path / f"{name}.py") for name in "abc")
    load(cache, a, c)
    descriptions = load(cache, a, b, c)
    assert [entries[0]["name"] for _, entries in descriptions] == [module_ref(str(p)).module_name for p in (a, b, c)]
    assert describe.batches == [[str(a), str(c)], [str(b)]]


def test_changed_outside_hostile_dotted_and_failed_modules_are_described_every_time(tmp_path):
    cache, describe = cache_in(tmp_path / "repo")
    changed = write(tmp_path / "repo" / "changed.py")
    outside = write(tmp_path / "written_by_a_test.py")
    hostile = write(tmp_path / "repo" / HOSTILE / "prints_at_import.py")
    broken = write(tmp_path / "repo" / "broken.py")
    load(cache, changed, outside, hostile, broken)
    write(changed, "def g(): pass\n")
    load(cache, changed, outside, hostile, broken)
    for _ in range(2):
        list(cache.describe_modules([("json", module_ref("json"))]))
    assert describe.batches[1] == [str(p) for p in (changed, outside, hostile, broken)]
    assert describe.batches[2:] == [["json"], ["json"]]


def test_described_ahead_files_outside_the_root_errors_and_dotted_names_are_kept(tmp_path):
    cache, describe = cache_in(tmp_path / "repo")
    outside, broken = write(tmp_path / "shared_tools.py"), write(tmp_path / "broken_tools.py")
    cache.describe_ahead([str(outside), str(broken), "json"])
    assert load(cache, outside, broken)[1] == (f"tools module {broken} failed to import", [])
    list(cache.describe_modules([("json", module_ref("json"))]))
    assert describe.batches == [[str(outside), str(broken), "json"]]


def test_modules_described_together_go_to_the_worker_first_when_one_of_them_is_loaded(tmp_path):
    common = [write(tmp_path / f"common_{i}.py") for i in range(3)]
    cache, describe = cache_in(tmp_path, together=common)
    other = write(tmp_path / "other.py")
    load(cache, other)
    assert [entries[0]["name"] for _, entries in load(cache, common[1], other)] == \
        [module_ref(str(p)).module_name for p in (common[1], other)]
    load(cache, *common)
    assert describe.batches == [[str(other)], [str(common[0]), str(common[2]), str(common[1])]]


def test_the_run_wide_cache_hands_back_what_a_worker_describes(tool_descriptions):
    load_registry([SAMPLE])  # described by now, if not before
    known = len(tool_descriptions.described)
    kept = load_registry([SAMPLE])
    assert len(tool_descriptions.described) == known  # no worker this time
    error, entries = describe_module(SAMPLE, module_ref(SAMPLE))  # what the worker runs, here
    assert error is None
    assert [(t.name, t.description, t.parameters, t.defaults) for t in kept.tools.values()] == \
        [(e["name"], e["description"], e["parameters"], e["defaults"]) for e in entries]
