"""The settings path: a profile and the flags become the loop's AgentSettings, each default written once."""
from dataclasses import fields

import pytest

from slmreact_cli.config import Generation, Profile
from slmreact_cli.models.base import Sampling
from slmreact_cli.settings import AgentSettings, SessionOptions


def test_a_profile_with_no_settings_gives_the_loops_defaults():
    assert AgentSettings.from_profile(Profile(name="p", source="x/y")) == AgentSettings(model_name="p")


def test_every_profile_setting_reaches_the_loop():
    profile = Profile(name="tuned", source="x/y", stop=["END"], mode="native", constrained=False, redraws=0,
                      grounding=False, history="full", disabled_guards=["repeats"], calling_format="template",
                      generation=Generation(temperature=0.7, top_p=0.9, top_k=40, max_new_tokens=99, seed=7))
    assert AgentSettings.from_profile(profile) == AgentSettings(
        stop=("END",), mode="native", constrained=False, redraws=0, grounding=False, history="full",
        disabled_guards=frozenset({"repeats"}), calling_format="template", max_new_tokens=99,
        sampling=Sampling(temperature=0.7, top_p=0.9, top_k=40, seed=7), model_name="tuned")


def test_flags_override_the_profile_and_unset_flags_leave_it():
    profile = Profile(name="p", source="x/y", mode="code", constrained=False)
    given = AgentSettings.from_profile(profile, SessionOptions(max_steps=3, constrained=True).overrides())
    assert (given.max_steps, given.constrained, given.mode) == (3, True, "code")
    unset = AgentSettings.from_profile(profile, SessionOptions().overrides())
    assert (unset.max_steps, unset.constrained, unset.mode) == (AgentSettings.max_steps, False, "code")


def test_an_unknown_override_is_an_error():
    with pytest.raises(TypeError, match="max_stepz"):
        AgentSettings.from_profile(Profile(name="p", source="x/y"), {"max_stepz": 3})


def test_session_options_override_only_settings_fields():
    assert set(SessionOptions().overrides()) <= {f.name for f in fields(AgentSettings)}
