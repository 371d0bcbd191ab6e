"""Which session questions refer back to the conversation."""
import pytest

from slmreact_cli.guards.history import recent, refers_back


@pytest.mark.parametrize("question", ["And what is twice that?", "How many ounces is that?", "Add 16 to it.",
                                      "What about in kilograms?", "and in pounds", "Now divide the result by 4.",
                                      "Do the same for Mars."])
def test_follow_ups_refer_back(question):
    assert refers_back(question)


@pytest.mark.parametrize("question", ["What is the capital of France?", "What is 7 times 8?",
                                      "How many days are there from 2025-02-01 to 2025-03-01?",
                                      "Who wrote the play Romeo and Juliet?", "What is the mass of Mars in pounds?"])
def test_questions_that_stand_alone_do_not(question):
    assert not refers_back(question)


def test_recent_keeps_the_last_exchanges_whole():
    history = []
    for i in range(4):
        history += [{"role": "user", "content": f"Question: Q{i}"}, {"role": "assistant", "content": f"A{i}"}]
    assert recent(history, 2) == history[4:]
    assert recent(history[:2], 2) == history[:2]
