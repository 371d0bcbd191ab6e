"""The shipped calculator: arithmetic only, never eval()."""
import pytest

from slmreact_cli.paths import bundled
from slmreact_cli.tool_loading import load_registry


@pytest.fixture(scope="module")
def calculate():
    return load_registry([str(bundled("tools") / "calculator.py")]).get("calculate").func


def test_arithmetic_and_functions(calculate):
    assert calculate("sqrt(32^2 - 54)") == pytest.approx(31.144823, rel=1e-6)
    assert calculate("(3 + 4) * 2.5") == 17.5
    assert calculate("17.5 / 100 * 2480") == pytest.approx(434)
    assert calculate("2 × 3 ÷ 4") == 1.5


@pytest.mark.parametrize("expression, message", [
    ("__import__('os').system('true')", "unsupported expression element|unknown name"),
    ("open('/etc/passwd')", "unknown name|unsupported"),
    ("2 ** 100000", "too large"),
    ("10 ** 400", "too large"),
    ("(99 ** 64) ** 64", "too large"),
    ("1 / 0", "division by zero"),
    ("who wrote Romeo and Juliet", "cannot parse"),
    ("", "empty"),
])
def test_anything_but_arithmetic_is_refused(calculate, expression, message):
    with pytest.raises(ValueError, match=message):
        calculate(expression)


@pytest.mark.parametrize("expression", ["2026-11-26", "2025-03-01 + 100", "10:30 - 9:15"])
def test_a_date_or_a_time_is_not_read_as_a_subtraction(calculate, expression):
    """"2026-11-26" parses as 2026 - 11 - 26 = 1989: a small model's slip, refused instead."""
    with pytest.raises(ValueError, match="is a date or a time"):
        calculate(expression)
