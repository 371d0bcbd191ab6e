"""The code-mode interpreter on its own: what programs can do, what is refused and why, the bounds,
and random programs (Hypothesis) that must never raise, import or touch a file."""
import ast
import os
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slmreact_cli.code.interpreter import Interpreter
from slmreact_cli.code.values import Limits, ProgramError

RATES = {("JPY", "USD"): 0.0067, ("EUR", "USD"): 1.1}


class Tools:
    """Tools as the loop hands them over: a call takes a name and an arguments dict."""

    def __init__(self):
        self.calls = []

    def __call__(self, name, arguments):
        self.calls.append((name, arguments))
        if name == "get_rate":
            return RATES[(arguments["source"], arguments["target"])]
        if name == "price":
            return {"apple": 3, "pear": 5}[arguments["item"]]
        raise ProgramError(f"{name} failed: ValueError: no data")


PARAMS = {"get_rate": ["source", "target"], "price": ["item"], "broken": ["x"]}


def interpreter(**limits):
    tools = Tools()
    return Interpreter(PARAMS, tools, Limits(**limits)), tools


def run(source, **limits):
    it, tools = interpreter(**limits)
    return it.run(source), tools


# ---- what programs can do --------------------------------------------------------------------------

def test_chained_call_and_arithmetic_print_and_final_expression():
    result, tools = run("r = get_rate('JPY', 'USD')\nprint(round(r * 1800, 2))\nr * 2")
    assert result.error is None
    assert result.output == "12.06\n" and result.value == "0.0134"
    assert tools.calls == [("get_rate", {"source": "JPY", "target": "USD"})]


def test_loop_comprehension_fstring_and_sum_of_tool_results():
    source = ("items = ['apple', 'pear', 'apple']\ntotal = 0\nfor item in items:\n    total += price(item=item)\n"
              "prices = {i: price(i) for i in set(items)}\nprint(f'{total:.1f}', sorted(prices.items()))\n"
              "sum(x * 2 for x in range(4) if x % 2)")
    result, tools = run(source)
    assert result.error is None, result.error
    assert result.output == "11.0 [('apple', 3), ('pear', 5)]\n" and result.value == "8"
    assert len(tools.calls) == 5


def test_math_by_module_and_by_bare_name_and_from_import():
    result, _ = run("import math\nfrom math import sqrt as root\nprint(math.sqrt(32**2 - 54), root(4), sqrt(9), pi > 3)")
    assert result.error is None and result.output == "31.144823004794873 2.0 3.0 True\n"


def test_math_needs_no_import():
    assert run("math.sqrt(16) + math.pi")[0].value == repr(4 + 3.141592653589793)


def test_def_and_lambda_that_are_not_tools_run():
    result, _ = run("def double(x, k=2):\n    return x * k\nprint(double(4), sorted([3, 1, 2], key=lambda v: -v))")
    assert result.error is None and result.output == "8 [3, 2, 1]\n"


def test_variables_persist_between_programs_of_one_question():
    it, _ = interpreter()
    assert it.run("rate = get_rate('EUR', 'USD')").error is None
    assert it.run("print(rate * 10)").output == "11.0\n"


def test_a_program_that_prints_nothing_reports_its_variables():
    result, _ = run("a = 2\nb = a * 21")
    assert result.output == "" and result.value is None and result.assigned == {"a": "2", "b": "42"}


# ---- errors the model reads ------------------------------------------------------------------------

def test_name_error_lists_the_tools():
    result, _ = run("print(get_rates('JPY', 'USD'))")
    assert result.error == "line 1: NameError: name 'get_rates' is not defined. The tools are: get_rate, price, broken"


def test_syntax_error_names_the_line():
    result, _ = run("x = 1\nexchange rate = get_rate('JPY', 'USD')")
    assert result.error.startswith("line 2: SyntaxError:") and "exchange rate" in result.error


def test_plain_text_instead_of_code_is_a_syntax_error():
    result, tools = run("I will look up the exchange rate first.")
    assert result.error.startswith("line 1: SyntaxError") and tools.calls == []


def test_a_tool_failure_ends_the_program_with_its_message_after_earlier_output():
    result, _ = run("print('before')\nbroken(1)\nprint('after')")
    assert result.output == "before\n" and result.error == "line 2: broken failed: ValueError: no data"


def test_the_programs_own_exceptions_come_back_as_one_line():
    assert run("x = [1, 2][5]")[0].error == "line 1: IndexError: list index out of range"
    assert run("d = {}\nd['k']")[0].error == "line 2: KeyError: 'k'"
    assert run("1 / 0")[0].error == "line 1: ZeroDivisionError: division by zero"


def test_wrong_tool_arity_and_placeholders_are_refused_before_the_call():
    result, tools = run("get_rate('JPY', 'USD', 'EUR')")
    assert "takes 2 argument(s) (source, target), 3 given" in result.error and tools.calls == []
    result, tools = run("price(item=...)")
    assert "item=... is a placeholder" in result.error and tools.calls == []


def test_a_dict_attribute_points_to_the_subscript():
    assert run("d = {'price': 3}\nd.price")[0].error.endswith("use x['price']")


# ---- refused constructs: one line each, and nothing runs -------------------------------------------

REFUSED = {
    "import os": "import os is not available",
    "import math, subprocess": "import subprocess is not available",
    "from os import path": "from os import path is not available",
    "import price\nprice.get('apple')": "import price is not needed: price is a tool, already defined as a function",
    "from math import system": "from math import system is not available",
    "x = (1).__class__": "the attribute __class__ is not available",
    "x = __builtins__": "the name __builtins__ is not available",
    "def get_rate(source, target):\n    return 0.5": "def get_rate would replace the tool get_rate",
    "get_rate = lambda source, target: 0.5": "get_rate is a tool: call it, do not assign to it",
    "for price in [1, 2]:\n    pass": "price is a tool: call it, do not assign to it",
    "class Rate:\n    pass": "class is not available",
    "while True:\n    pass": "while loops are not available",
    "open('/etc/passwd').read()": "open is not available",
    "eval('1 + 1')": "eval is not available",
    "exec('x = 1')": "exec is not available",
    "__import__('os')": "imports are not available",
    "getattr(1, 'real')": "getattr is not available",
    "try:\n    x = 1\nexcept Exception:\n    pass": "try is not available",
    "with x as y:\n    pass": "with is not available",
    "global x": "global is not available",
    "x = 1\ndel x": "del is not available",
    "raise ValueError('no')": "raise is not available",
    "input('rate?')": "input is not available",
    "@decorate\ndef f():\n    pass": "decorators are not available",
}


@pytest.mark.parametrize("source", list(REFUSED))
def test_refused_construct_gives_its_reason_and_runs_nothing(source):
    result, tools = run(f"print('ran')\nget_rate('JPY', 'USD')\n{source}")
    assert REFUSED[source] in result.error and result.error.startswith("line ")
    assert result.output == "" and tools.calls == []


def test_imports_of_the_tools_themselves_change_nothing():
    result, tools = run("from functions import get_rate\nprint(get_rate('EUR', 'USD'))")
    assert result.error is None and result.output == "1.1\n" and len(tools.calls) == 1


def test_format_fields_cannot_reach_attributes():
    result, _ = run("'{0.__class__}'.format(1)")
    assert "format field" in result.error
    assert run("print('{:.2f}'.format(3.14159))")[0].output == "3.14\n"


def test_only_chosen_methods_of_plain_data():
    assert "has no attribute or method 'encode'" in run("'abc'.encode()")[0].error
    assert run("x = [3, 1]\nx.sort()\nx")[0].value == "[1, 3]"


# ---- bounds ------------------------------------------------------------------------------------------

def test_operation_count_is_bounded():
    result, _ = run("t = 0\nfor i in range(10000):\n    t += i", operations=1000)
    assert "more than 1000 steps" in result.error


def test_huge_numbers_strings_and_ranges_are_refused_before_they_are_built():
    assert "too large" in run("x = 2 ** 10 ** 8")[0].error
    assert "too large" in run("x = 'ab' * 10 ** 9")[0].error
    assert "too large" in run("x = list(range(10 ** 9))")[0].error
    assert "too large" in run("x = [1]\nfor i in range(40):\n    x.extend(x)")[0].error
    assert "too large" in run("x = ['y' * 100000] * 1000\nprint(x)")[0].error
    assert "above 1000" in run("f'{1:999999999}'")[0].error
    assert "round to more than" in run("round(5, -10 ** 9)")[0].error
    assert run("d = {}\nd['self'] = d\nprint(d)")[0].output == "{'self': {...}}\n"


def test_output_is_cut_at_its_limit():
    result, _ = run("for i in range(100):\n    print('x' * 10)", output_chars=50)
    assert len(result.output) == 50 and result.truncated


def test_tool_calls_per_program_are_bounded():
    result, tools = run("for i in range(10):\n    price('apple')", tool_calls=3)
    assert "more than 3 tool calls" in result.error and len(tools.calls) == 3


def test_recursion_of_the_programs_own_functions_is_bounded():
    assert "nested deeper than" in run("def f(n):\n    return f(n + 1)\nf(0)")[0].error


def test_time_is_bounded():
    result, _ = run("t = 0\nfor i in range(1000000):\n    t += i", seconds=0.0, operations=10 ** 7)
    assert "ran longer than" in result.error


# ---- random programs ---------------------------------------------------------------------------------

FRAGMENTS = [
    "x", "y", "i", "get_rate", "price", "broken", "math", "sqrt", "print", "open", "eval", "exec", "__import__",
    "os", "sys", "subprocess", "import", "from", "as", "def", "lambda", "class", "while", "for", "in", "if",
    "else", "return", "with", "try", "except", "global", "__class__", "__globals__", "__subclasses__",
    "__builtins__", "getattr", "type", "range", "len", "sorted", "sum", "str", "format", "'{0.__class__}'",
    "'%s'", "'JPY'", "'USD'", "'apple'", "'x'", "0", "1", "2", "10", "9999999", "-3", "1.5", "1e308",
    "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "+", "-", "*", "**", "/", "//", "%", "<<", "==", "<",
    "not", "and", "or", "...", "\n", "\n    ", " ", "f'{x}'", "f'{x:>9999}'", "'.format'", "system",
    "read", "write", "'/tmp/slmreact-fuzz-marker'", "'w'",
]


def _real_imports(source):
    """The imports in a program that would bring in a module other than math, or names other than tools."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name != "math" for a in node.names):
            found.append(node)
        if isinstance(node, ast.ImportFrom) and node.module != "math" and any(a.name not in PARAMS for a in node.names):
            found.append(node)
    return found


def _assert_safe(source, marker):
    it, _ = interpreter(operations=5000)
    result = it.run(source)  # must not raise
    assert not os.path.exists(marker), source
    assert not any(isinstance(v, types.ModuleType) for v in it.globals.vars.values()), source
    if _real_imports(source):
        assert result.error is not None, source


# Whole statements, harmless and hostile, so that many random programs parse and run some way.
STATEMENTS = [
    "x = get_rate('JPY', 'USD')", "y = price('apple') * 3", "print(x, y)", "x = sqrt(abs(y)) + 1",
    "for i in range(3):\n    y = y + i", "if x > 1:\n    print('big')\nelse:\n    print('small')",
    "z = [i ** 2 for i in range(5)]", "print(f'{x:.2f}')", "x = broken(1)", "x = 1 / 0", "import math",
    "import os", "import sys", "import subprocess", "from os import system", "from pathlib import Path",
    "os = __import__('os')", "os.system('touch /tmp/slmreact-fuzz-marker')",
    "open('/tmp/slmreact-fuzz-marker', 'w').write('x')", "Path('/tmp/slmreact-fuzz-marker').write_text('x')",
    "system('touch /tmp/slmreact-fuzz-marker')", "subprocess.run(['touch', '/tmp/slmreact-fuzz-marker'])",
    "x = ().__class__.__bases__[0].__subclasses__()", "x = eval('1')", "exec('y = 2')", "x = print.fn",
    "x = get_rate.interpreter", "g = (lambda: 0).scope", "while True:\n    pass", "x = 'ab' * 10 ** 9",
    "x = 2 ** 2 ** 40", "del x", "y = [1] * 10",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(STATEMENTS),
                          st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12).map(" ".join)),
                min_size=1, max_size=8).map("\n".join))
def test_random_programs_never_raise_import_or_open(source):
    _assert_safe(source, "/tmp/slmreact-fuzz-marker")


TEMPLATES = [
    "import {m}\n{m}.system('touch /tmp/slmreact-fuzz-marker')",
    "from {m} import system\nsystem('touch /tmp/slmreact-fuzz-marker')",
    "f = open('/tmp/slmreact-fuzz-marker', 'w')\nf.write('{m}')",
    "x = __import__('{m}')",
    "x = ().__class__.__bases__[0].__subclasses__()",
    "x = [c for c in ().{m}]",
    "eval(\"__import__('{m}')\")",
    "print(getattr(get_rate, '{m}'))",
    "x = get_rate.{m}",
    "x = print.{m}\nx('{m}')",
    "x = math.{m}",
    "x = {m}",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TEMPLATES),
       st.sampled_from(["os", "sys", "subprocess", "builtins", "io", "pathlib", "__globals__", "__code__",
                        "__self__", "fn", "owner", "interpreter", "func_globals", "_call_tool", "members"]))
def test_escape_attempts_fail_with_a_message(template, module):
    source = template.format(m=module)
    it, _ = interpreter()
    result = it.run(source)
    assert not os.path.exists("/tmp/slmreact-fuzz-marker")
    if source.startswith("x = math."):
        return  # math.fn and friends are plain errors; none is an escape (checked below)
    assert result.error is not None, source


def test_internals_of_handed_out_functions_are_out_of_reach():
    for source in ("print.fn", "get_rate.interpreter", "math.members", "(lambda: 1).scope", "sqrt.fn"):
        result, _ = run(source)
        assert result.error is not None and result.value is None, source


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(source):
    it, _ = interpreter(operations=5000)
    result = it.run(source)
    assert result.error is None or result.error.strip()
