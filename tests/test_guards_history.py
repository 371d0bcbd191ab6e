"""The history guard: which earlier exchanges a question sees, and what fits the context window.
(Which questions refer back is tested in test_followup.py.)"""
from slmreact_cli.guards.history import earlier_exchanges, fit_to_window

SYSTEM = {"role": "system", "content": "s"}


def exchange(i: int, native: bool = False) -> list[dict]:
    question = f"q{i}" if native else f"Question: q{i}"
    return [{"role": "user", "content": question}, {"role": "assistant", "content": "x" * 100}]


def count(messages: list[dict]) -> int:
    return sum(len(m["content"]) for m in messages)


def test_a_question_that_stands_alone_sees_no_earlier_exchange():
    history = exchange(1) + exchange(2)
    assert earlier_exchanges(history, "What is 7 times 8?", "auto") == []
    assert earlier_exchanges(history, "And twice that?", "auto") == history
    assert earlier_exchanges(history, "What is 7 times 8?", "full") == history


def test_the_oldest_questions_are_left_out_until_the_prompt_fits():
    base = [SYSTEM, *exchange(1), *exchange(2), *exchange(3), {"role": "user", "content": "Question: now"}]
    tail = [{"role": "assistant", "content": "Thought:"}]
    fitted = fit_to_window(base, tail, count, budget=150)
    assert [m["content"] for m in fitted.base if m["role"] == "user"] == ["Question: q3", "Question: now"]
    assert (fitted.messages_cut, fitted.questions_cut, fitted.fits) == (4, 2, True)
    assert fitted.note == "context window nearly full: left the 2 oldest question(s) out of the prompt"
    assert len(base) == 8  # the caller's list is left as it was


def test_native_histories_are_cut_at_their_questions_too():
    turn = [{"role": "assistant", "content": "", "tool_calls": []}, {"role": "tool", "content": "7"}]
    base = [SYSTEM, *exchange(1, native=True)[:1], *turn, *exchange(1, native=True)[1:], *exchange(2, native=True),
            {"role": "user", "content": "now"}]
    fitted = fit_to_window(base, [], count, budget=120)
    assert fitted.base == [SYSTEM, *exchange(2, native=True), {"role": "user", "content": "now"}]
    assert fitted.messages_cut == 4


def test_a_prompt_that_fits_is_left_alone_and_one_that_cannot_says_so():
    base = [SYSTEM, *exchange(1), {"role": "user", "content": "Question: now"}]
    fitted = fit_to_window(base, [], count, budget=1000)
    assert fitted.base == base and fitted.note is None and fitted.fits
    too_long = fit_to_window(base, [{"role": "assistant", "content": "y" * 500}], count, budget=100)
    assert too_long.base == [SYSTEM, base[-1]] and not too_long.fits


def test_without_trimming_only_the_fit_is_checked():
    base = [SYSTEM, *exchange(1), {"role": "user", "content": "Question: now"}]
    fitted = fit_to_window(base, [], count, budget=50, trim=False)
    assert fitted.base == base and fitted.questions_cut == 0 and not fitted.fits
