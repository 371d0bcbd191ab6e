"""Which numbers in a tool call or an Answer count as coming from the question or an observation."""
from slmreact_cli.guards.grounding import (dropped_exponents, is_grounded, known_numbers, known_words, numbers_in,
                                    scientific_numbers, ungrounded_numbers, unrelated_call)


def test_numbers_are_read_with_separators_exponents_and_signs():
    assert [v for _, v in numbers_in("2,047,300 people, 6.417e+23 kg, -125 days, x2")] == [2047300, 6.417e23, -125]


def test_dates_split_into_their_parts():
    known = known_numbers(["starts on 2024-05-06"])
    assert ungrounded_numbers({"date": "2024-05-06"}, known) == []
    assert ungrounded_numbers({"date": "2024-06-15"}, known) == ["15"]  # a date worked out in the head


def test_roundings_percentages_and_scientific_parts_are_grounded():
    known = known_numbers(["31.144823", "a 15% tip", "1.414706336e+24"])
    assert is_grounded("31.14", 31.14, known)
    assert is_grounded("0.15", 0.15, known)
    assert is_grounded("1.41e24", 1.41e24, known)
    assert ungrounded_numbers({"expression": "1.414706336 * 10**24"}, known) == []


def test_small_integers_and_powers_of_ten_pass_and_others_do_not():
    known = known_numbers(["250 euros"])
    assert ungrounded_numbers({"expression": "250 * 2 / 1000"}, known) == []
    assert ungrounded_numbers({"expression": "250 * 12", "n": 156.25, "flag": True}, known) == ["12", "156.25"]


def test_number_words_count_and_answers_get_no_constants():
    known = known_numbers(["How many tents does one dollar buy? A dozen."])
    assert is_grounded("1", 1, known, constants=False) and is_grounded("12", 12, known, constants=False)
    assert not is_grounded("0", 0, known, constants=False) and is_grounded("0", 0, known)


def test_a_call_none_of_whose_values_relates_to_the_question_or_results_is_unrelated():
    question = ["How many times does the letter 'e' appear in 'the eleventh hour never ends'?"]
    known, words = known_numbers(question), known_words(question)
    assert unrelated_call({"planet": "Earth"}, known, words) == ['"Earth"']
    assert unrelated_call({"base": "USD", "quote": "EUR"}, known, words) == ['"USD"', '"EUR"']
    assert unrelated_call({"text": "the eleventh hour never ends", "letter": "e"}, known, words) == []


def test_codes_that_start_like_a_question_word_numbers_and_short_values_relate():
    question = ["How many Japanese yen would I get for 250 euros?", "156.25"]
    known, words = known_numbers(question), known_words(question)
    assert unrelated_call({"base": "EUR", "quote": "JPY"}, known, words) == []  # "EUR" starts "euros"
    assert unrelated_call({"expression": "250 * 156.25"}, known, words) == []
    assert unrelated_call({"expression": "sqrt(99)"}, known, words) == ['"sqrt(99)"']
    assert unrelated_call({"from_unit": "kg", "to_unit": "lb"}, known, words) == []  # too short to judge
    assert unrelated_call({}, known, words) == []
    # a value an error listed ("known: Mercury, Venus") is related once that error is among the texts
    assert unrelated_call({"planet": "Venus"}, known,
                          known_words([*question, "unknown planet; known: Mercury, Venus"])) == []


def test_an_answer_with_a_results_mantissa_alone_drops_its_exponent():
    seen = scientific_numbers(["5.1971e+24", "and 12"])
    assert seen == {5.1971: "5.1971e+24"}
    assert dropped_exponents("The answer is 5.1971 kg.", seen) == [("5.1971", "5.1971e+24")]
    assert dropped_exponents("About 5.2 kg.", seen) == [("5.2", "5.1971e+24")]
    assert dropped_exponents("The answer is 5.1971e+24 kg.", seen) == []
    assert dropped_exponents("It is 5.1971 × 10^24 kg, or 5.1971*10**24.", seen) == []
    assert dropped_exponents("24 kg and 12 more", seen) == []
