"""Conversations that outlast the process, through the CLI on a scripted engine: `ask -c`, `ask --cid`,
`chat --resume [ID]` and `chat --load FILE`. A continued conversation must give the model the same
prompt that a follow-up in one session gets."""
import json

import pytest

from console_script import scripted, slmreact  # noqa: F401 - `scripted` is a fixture
from slmreact_cli.logs import recent_questions
from slmreact_cli.models.fake import ScriptedReply

FIRST = "What is 6 times 7?"
FOLLOW_UP = "What is twice that?"


def program(code):
    return ScriptedReply(f" I compute it.\nAction:\n```python\n{code}\n```\n")


# Per mode: the first question (one tool call, then its answer) and the follow-up's answer.
SCRIPTS = {
    "react": ([ScriptedReply('Action: calculate(expression="6*7")'), ScriptedReply(" 42 answers it.\nAnswer: 42")],
              [ScriptedReply(" Twice 42 is 84.\nAnswer: 84")]),
    "native": ([ScriptedReply("I will compute it.\n<tool_call>"),
                ScriptedReply('{"name": "calculate", "arguments": {"expression": "6*7"}}\n</tool_call>'),
                ScriptedReply("It is 42.")],
               [ScriptedReply("Twice that is 84.")]),
    "code": ([program('print(calculate(expression="6*7"))'), ScriptedReply(" 42 answers it.\nAnswer: 42")],
             [ScriptedReply(" Twice 42 is 84.\nAnswer: 84")]),
}


def one_line_error(run, *words):
    assert run.code == 2, (run.out, run.err)
    assert run.err.startswith("error:") and run.err.count("\n") == 1, run.err
    assert "Traceback" not in run.err
    for word in words:
        assert word in run.err, run.err


# ---- every question has a conversation id ------------------------------------------------------------

def test_each_ask_and_each_batch_line_starts_a_conversation_and_a_chat_keeps_one(scripted, tmp_path):
    scripted([ScriptedReply("Answer: 1"), ScriptedReply("Answer: 2"), ScriptedReply("Answer: 3"), ScriptedReply("Answer: 4"),
              ScriptedReply("Answer: 5"), ScriptedReply("Answer: 6"), ScriptedReply("Answer: 7")])
    assert slmreact("ask", "one?").code == 0
    assert slmreact("ask", "two?").code == 0
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "question": "three?"}\n{"id": 2, "question": "four?"}\n')
    assert slmreact("batch", str(source)).code == 0
    assert slmreact("chat", lines=["five?", "six?", "/reset", "seven?"]).code == 0
    ids = [row["conversation_id"] for row in recent_questions(10)]
    assert all(ids) and len(ids) == 7
    assert len(set(ids[:4])) == 4  # ask, ask, batch line, batch line
    assert ids[4] == ids[5] != ids[6]  # one chat; /reset starts a new conversation


# ---- ask -c and ask --cid ----------------------------------------------------------------------------

def in_session_prompt(scripted, mode):
    """The follow-up's prompt when both questions are asked in one chat session."""
    first, second = SCRIPTS[mode]
    engine = scripted(first + second)
    run = slmreact("chat", "--no-log", "--mode", mode, lines=[FIRST, FOLLOW_UP])
    assert run.code == 0 and engine.unused() == [], run.out
    return engine.calls[-1].messages


@pytest.mark.parametrize("mode", ["react", "native", "code"])
def test_ask_continue_gives_the_model_the_prompt_of_an_in_session_follow_up(scripted, mode):
    expected = in_session_prompt(scripted, mode)
    first, second = SCRIPTS[mode]
    engine = scripted(first + second)
    assert slmreact("ask", "--mode", mode, FIRST).code == 0
    run = slmreact("ask", "--mode", mode, "-c", "--json", FOLLOW_UP)
    assert run.code == 0, run.err
    assert "84" in json.loads(run.out)["answer"] and engine.unused() == []
    assert engine.calls[-1].messages == expected
    assert any("42" in m["content"] for m in expected[1:-1])  # the earlier trace is in the prompt
    first_row, second_row = recent_questions(2)
    assert first_row["conversation_id"] == second_row["conversation_id"]


def test_a_question_that_does_not_refer_back_runs_on_its_own_as_in_a_session(scripted):
    engine = scripted(SCRIPTS["react"][0] + [ScriptedReply("Answer: Paris")])
    slmreact("ask", FIRST)
    assert slmreact("ask", "-c", "What is the capital of France?").code == 0
    assert [m["role"] for m in engine.calls[-1].messages] == ["system", "user", "assistant"]
    assert len({row["conversation_id"] for row in recent_questions(2)}) == 1  # still logged in the same conversation


def test_cid_continues_the_given_conversation_not_the_last(scripted):
    engine = scripted([ScriptedReply("Answer: 42"), ScriptedReply("Answer: Paris"), ScriptedReply("Answer: 84")])
    slmreact("ask", FIRST)
    slmreact("ask", "What is the capital of France?")
    first, _ = recent_questions(2)
    assert slmreact("ask", "--cid", first["conversation_id"], FOLLOW_UP).code == 0
    prompt = " ".join(m["content"] for m in engine.calls[-1].messages)
    assert FIRST in prompt and "France" not in prompt
    assert recent_questions(1)[0]["conversation_id"] == first["conversation_id"]


def test_an_unknown_cid_or_an_empty_log_is_one_line_before_any_model_loads(scripted):
    engine = scripted([])
    one_line_error(slmreact("ask", "-c", FOLLOW_UP), "no conversation to continue")
    one_line_error(slmreact("ask", "--cid", "nosuchid", FOLLOW_UP), "no conversation 'nosuchid'")
    one_line_error(slmreact("chat", "--resume", "nosuchid"), "no conversation 'nosuchid'")
    assert engine.calls == []


def test_an_unanswered_question_stays_out_of_the_continued_history(scripted):
    engine = scripted([ScriptedReply('Action: calculate(expression="6*7")'), ScriptedReply("Answer: 84")])
    assert slmreact("ask", "--max-steps", "1", FIRST).code == 1
    assert slmreact("ask", "-c", FOLLOW_UP).code == 0
    assert [m["role"] for m in engine.calls[-1].messages] == ["system", "user", "assistant"]


def test_continuing_in_another_mode_gives_the_questions_and_answers_only(scripted):
    engine = scripted(SCRIPTS["react"][0] + SCRIPTS["native"][1])
    slmreact("ask", FIRST)
    assert slmreact("ask", "--mode", "native", "-c", FOLLOW_UP).code == 0
    assert engine.calls[-1].messages[1:] == [{"role": "user", "content": FIRST},
                                             {"role": "assistant", "content": "42"},
                                             {"role": "user", "content": FOLLOW_UP}]


# ---- chat --resume -------------------------------------------------------------------------------------

def test_resume_shows_the_last_exchanges_and_continues_the_conversation(scripted):
    engine = scripted([ScriptedReply("Answer: 1"), ScriptedReply("Answer: 2"), ScriptedReply("Answer: 3"), ScriptedReply("Answer: 4"),
                       ScriptedReply("Answer: 8")])
    slmreact("chat", lines=["First?", "Second?", "Third?", "Fourth?"])
    conversation = recent_questions(1)[0]["conversation_id"]
    run = slmreact("chat", "--resume", lines=["What is twice that?"])
    assert run.code == 0, run.err
    assert f"continuing conversation {conversation}: 4 earlier question(s), the last 3 below" in run.out
    assert "› Second?" in run.out and "› Fourth?" in run.out and "First?" not in run.out
    prompt = " ".join(m["content"] for m in engine.calls[-1].messages)
    assert "Fourth?" in prompt and "First?" not in prompt  # the last three exchanges, as in a session
    assert recent_questions(1)[0]["conversation_id"] == conversation and recent_questions(1)[0]["answer"] == "8"


def test_resume_with_an_id_and_then_save_keeps_the_whole_conversation(scripted, tmp_path):
    scripted([ScriptedReply("Answer: 42"), ScriptedReply("Answer: Paris"), ScriptedReply("Answer: 84")])
    slmreact("ask", FIRST)
    slmreact("ask", "What is the capital of France?")
    first = recent_questions(2)[0]["conversation_id"]
    saved = tmp_path / "saved.json"
    run = slmreact("chat", "--resume", first, lines=[FOLLOW_UP, f"/save {saved}"])
    assert run.code == 0 and "France" not in run.out
    records = json.loads(saved.read_text())
    assert [(r["question"], r["answer"]) for r in records] == [(FIRST, "42"), (FOLLOW_UP, "84")]
    assert all(r["history"]["mode"] == "react" for r in records)


def test_resume_and_load_together_or_an_id_without_resume_is_one_line(scripted, tmp_path):
    scripted([])
    one_line_error(slmreact("chat", "--resume", "--load", str(tmp_path / "x.json")), "--load", "--resume")
    one_line_error(slmreact("chat", "abc123"), "--resume")


# ---- chat --load ---------------------------------------------------------------------------------------

def test_a_json_save_loads_back_with_the_in_session_history(scripted, tmp_path):
    expected = in_session_prompt(scripted, "react")
    first, second = SCRIPTS["react"]
    engine = scripted(first + second)
    saved = tmp_path / "session.json"
    assert slmreact("chat", "--no-log", lines=[FIRST, f"/save {saved}"]).code == 0
    run = slmreact("chat", "--load", str(saved), lines=[FOLLOW_UP])
    assert run.code == 0, run.err
    assert f"loaded {saved}" in run.out and f"› {FIRST}" in run.out
    assert engine.calls[-1].messages == expected
    assert engine.unused() == []


def test_a_markdown_save_loads_back_its_questions_and_answers(scripted, tmp_path):
    engine = scripted(SCRIPTS["react"][0] + [ScriptedReply("Answer: Paris"), ScriptedReply("Answer: 84")])
    saved = tmp_path / "session.md"
    slmreact("chat", "--no-log", lines=[FIRST, "What is the capital of France?", f"/save {saved}"])
    assert slmreact("chat", "--load", str(saved), lines=[FOLLOW_UP]).code == 0
    assert engine.calls[-1].messages[1:] == [
        {"role": "user", "content": f"Question: {FIRST}"}, {"role": "assistant", "content": "Answer: 42"},
        {"role": "user", "content": "Question: What is the capital of France?"},
        {"role": "assistant", "content": "Answer: Paris"},
        {"role": "user", "content": f"Question: {FOLLOW_UP}"}, {"role": "assistant", "content": "Thought:"}]


@pytest.mark.parametrize("name, text, words", [
    ("missing.json", None, ["cannot read", "missing.json"]),
    ("bad.json", "{not json", ["not valid JSON"]),
    ("object.json", '{"question": "q"}', ["not a transcript saved by /save"]),
    ("item.json", '[{"answer": "a"}]', ["item 1"]),
    ("empty.md", "# notes\n\nnothing here\n", ["holds no saved questions"]),
])
def test_a_file_that_is_no_save_is_one_line(scripted, tmp_path, name, text, words):
    engine = scripted([])
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    one_line_error(slmreact("chat", "--load", str(path)), *words)
    assert engine.calls == []
