"""The reasoning and calling prompts, built from the registry alone."""
from slmreact_cli.paths import bundled
from slmreact_cli.prompts import calling_system_prompt, example_tools, reasoning_system_prompt
from slmreact_cli.tool_loading import load_registry

DATES = str(bundled("tools") / "dates.py")
CALCULATOR = str(bundled("tools") / "calculator.py")


def examples(prompt: str) -> str:
    return prompt.split("Format examples", 1)[1]


def test_format_examples_call_tools_that_take_arguments():
    """A copied example call with a placeholder argument is caught; a copied `today()` would run."""
    registry = load_registry([DATES, CALCULATOR])
    assert next(iter(registry.tools)) == "today"
    assert [t.name for t in example_tools(registry)][:2] == ["add_days", "days_between"]
    shown = examples(reasoning_system_prompt(registry))
    assert "today()" not in shown
    assert 'Action: add_days(date="...", days=<int>)' in shown
    assert '"name": "add_days"' in calling_system_prompt(registry).split("Example:", 1)[1]


def test_prompts_name_only_the_users_tools_and_do_not_change_between_calls():
    registry = load_registry([CALCULATOR])
    prompt = reasoning_system_prompt(registry)
    assert prompt == reasoning_system_prompt(load_registry([CALCULATOR]))  # a fresh load, the same text
    assert "calculate(expression=\"...\")" in examples(prompt)
    assert "get_" not in prompt
