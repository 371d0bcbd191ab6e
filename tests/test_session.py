"""open_session on a given engine: the profile and the flags set the loop, and each run opens with Started."""
import pytest

from conftest import CALCULATOR, SMALL_PROFILE
from slmreact_cli.events import Answer, Started
from slmreact_cli.models.fake import ScriptedReply, ScriptedEngine
from slmreact_cli.session import SessionOptions, open_session


@pytest.fixture
def no_model(monkeypatch):
    import slmreact_cli.models.loader as loader

    def refuse(*args, **kwargs):
        raise AssertionError("open_session loaded a model although it was given an engine")

    monkeypatch.setattr(loader, "load_engine", refuse)


def test_a_given_engine_answers_and_each_run_opens_with_started(home, no_model):
    engine = ScriptedEngine(replies=[ScriptedReply("Answer: 42"), ScriptedReply("Answer: 5")])
    options = SessionOptions(model=SMALL_PROFILE, tools=[CALCULATOR], log=False, max_steps=3, mode="native")
    with open_session(options, engine=engine) as session:
        assert session.engine is engine
        assert (session.settings.max_steps, session.settings.mode, session.settings.model_name) == \
            (3, "native", SMALL_PROFILE)
        first, second = [], []
        session.ask("What is 6 times 7?", first.append)
        session.ask("What is 2 plus 3?", second.append)
    assert first[0] == Started("What is 6 times 7?", SMALL_PROFILE) and isinstance(first[-1], Answer)
    assert second[0] == Started("What is 2 plus 3?", SMALL_PROFILE)
    assert [e for e in first + second if isinstance(e, Started)] == [first[0], second[0]]
    assert engine.unused() == []
