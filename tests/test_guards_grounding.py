"""The grounding guard's notes: a call or an Answer with numbers from nowhere, each questioned once.
(The number reading itself is tested in test_grounding.py.)"""
from slmreact_cli.guards.grounding import STRAY_ADVICE, UNRELATED_ADVICE, Grounding, answer_note, call_note
from slmreact_cli.guards.repeats import call_key


def grounding(*texts: str, enabled: bool = True) -> Grounding:
    g = Grounding(set(), set(), enabled=enabled)
    g.learn(list(texts))
    return g


def test_a_call_with_a_number_from_nowhere_is_questioned():
    g = grounding("Question: What is 7 times 8?")
    note = call_note("calculate", {"expression": "7 * 12"}, g)
    assert note == f'12 in calculate(expression="7 * 12") comes from neither the question nor an observation{STRAY_ADVICE}'
    assert call_note("calculate", {"expression": "7 * 8"}, g) is None


def test_a_call_already_questioned_or_with_grounding_off_passes():
    g = grounding("Question: What is 7 times 8?")
    g.warned.add(call_key("calculate", {"expression": "7 * 12"}))
    assert call_note("calculate", {"expression": "7 * 12"}, g) is None
    off = grounding("Question: What is 7 times 8?", enabled=False)
    assert call_note("calculate", {"expression": "7 * 12"}, off) is None


def test_a_call_about_something_else_is_questioned():
    g = grounding("Question: How many letters r are in strawberry?")
    note = call_note("get_planet_mass", {"planet": "Earth"}, g)
    assert note == f'"Earth" in get_planet_mass(planet="Earth") comes from neither the question nor an observation{UNRELATED_ADVICE}'
    assert call_note("count_letter", {"word": "strawberry", "letter": "r"}, g) is None


def test_an_answer_with_a_stray_number_or_a_dropped_exponent_is_questioned():
    g = grounding("Question: What is the mass of Mars?", "6.4171e+23")
    assert answer_note("The mass is 6.4171e+23 kg.", g) is None
    assert "6.4171 in the Answer is 6.4171e+23 without its exponent" in answer_note("It is 6.4171 kg.", g)
    assert answer_note("It is 42 kg.", g).startswith("Error: 42 in the Answer comes from neither the question")


def test_the_answer_is_questioned_once():
    g = grounding("Question: What is 7 times 8?", "56")
    assert g.question_answer("It is 57.") is not None
    assert g.question_answer("It is 58.") is None  # the second Answer is final
    assert answer_note("It is 57.", grounding("56", enabled=False)) is None


def test_the_words_of_an_error_are_learned():
    g = grounding("Question: convert 5 to the currency of Japan")
    assert call_note("convert", {"currency": "JPY"}, g) is not None
    g.learn_words("Error: ValueError: unknown currency; known: JPY, EUR")
    assert call_note("convert", {"currency": "JPY"}, g) is None


def test_the_count_of_a_list_result_is_grounded():
    grounding = Grounding(known=set(), warned=set())
    grounding.learn(["Count the telescopes whose site is island.", '["Drift Scope", "Bracken Scope"]'])
    assert answer_note("There are 2 island telescopes.", grounding) is None
    grounding = Grounding(known=set(), warned=set())
    grounding.learn(['{"branches": ["North", "East", "West"]}'])
    assert answer_note("It has 3 branches.", grounding) is None
    assert answer_note("It has 4 branches.", grounding) is not None
