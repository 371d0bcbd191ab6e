"""Prompt text, built from the tool registry only.

The reasoning prompt keeps the original protocol (Thought, Action, PAUSE, Observation, Answer).
Tools are described by signature, a one-line description and their arguments, never as Python
objects. The worked examples use the user's own first tool, so they name no tool that does not
exist. Every string here is a pure function of the registry: byte-identical from step to step,
so the engine's prefix cache serves it after the first question.
"""
from __future__ import annotations

import json

from .tools import Registry, Tool

REASONING_RULES = """\
You answer the user's question. You work in a loop of Thought, Action, PAUSE and Observation, and you finish with an Answer.

Thought: what the question asks, what the observations already tell you, and what is still missing.
Action: one tool call written as a function call with keyword arguments, then PAUSE. Write several Action lines only for calls that do not depend on each other.
Observation: the result of the Action. It is given to you; never write it yourself.
Answer: the final answer in one sentence, once every part of the question is solved.

Rules:
- Split the question into steps. Each step that needs a fact, a conversion or arithmetic is one tool call; pass the result of one step as an argument of the next.
- Before you answer, check that the observations answer the whole question, not only its first step.
- Never compute or convert in your head: every number in the Answer must come from an Observation or from the question. Arithmetic on numbers you already have (applying a rate, a sum, a difference) is a calculation: use a calculation tool if one is listed.
- If no tool is needed (general knowledge, a greeting), write the Answer right away from your own knowledge.
- If a tool returns an error and no listed tool can give that information, answer that the information is not available. Never substitute other data.
- Use only the tools listed below, each with its own arguments."""


_PLACEHOLDERS = {"integer": "<int>", "number": "<number>", "boolean": "<true or false>", "array": "[...]",
                 "object": "{...}", "string": '"..."'}


def _placeholder(spec: dict) -> str:
    if "enum" in spec:
        return json.dumps(spec["enum"][0])
    return _PLACEHOLDERS.get(spec.get("type"), _PLACEHOLDERS["string"])


def example_placeholders(action: str) -> list[str]:
    """The format examples' stand-ins (`<int>`, `"..."`) written in an Action. Such an Action is not
    a valid call, and the calling step would otherwise fill the gaps with values of its own."""
    return [p for p in dict.fromkeys(_PLACEHOLDERS.values()) if p in action]


def describe_tool(tool: Tool) -> str:
    """Signature, description, and one line per argument."""
    summary = " ".join(tool.description.split())
    lines = [f"- {tool.signature_line()}: {summary}"]
    for arg, spec in tool.parameters.get("properties", {}).items():
        if spec.get("description"):
            lines.append(f"    {arg}: {' '.join(spec['description'].split())}")
    return "\n".join(lines)


def example_call(tool: Tool) -> str:
    props = tool.parameters.get("properties", {})
    required = tool.parameters.get("required", list(props))
    args = ", ".join(f"{a}={_placeholder(props[a])}" for a in required if a in props)
    return f"{tool.name}({args})"


def example_tools(registry: Registry) -> list[Tool]:
    """The tools the format examples call: those that take a required argument come first. Small
    models copy an example's call verbatim; a copied call with a placeholder argument is caught,
    while a copied call of a tool without arguments (`today()`) would run and pass for an answer."""
    tools = list(registry.tools.values())
    return sorted(tools, key=lambda t: not t.parameters.get("required"))


def with_user_rules(rules: str, user_rules: str) -> str:
    """A prompt's rules followed by the user's own (`system` in config.toml) as a paragraph of their
    own. Without any, the rules are returned unchanged, so the prompt stays byte-identical."""
    user_rules = user_rules.strip()
    return f"{rules}\n\n{user_rules}" if user_rules else rules


def reasoning_system_prompt(registry: Registry, user_rules: str = "") -> str:
    """The examples' thoughts after an observation weigh the result against the question. Worded as
    steps ("12 is only the first step"), they led small models to add a second step to one-step
    questions (15% of 360, then "54 * 2")."""
    tools = "\n".join(describe_tool(t) for t in registry.tools.values())
    example = ""
    listed = example_tools(registry)
    if listed:
        first, second = listed[0], listed[min(1, len(listed) - 1)]
        example = f"""

Format examples (arguments and results are placeholders).
A question that takes one step:
Question: ...
Thought: I need one fact.
Action: {example_call(first)}
PAUSE
Observation: 12
Thought: 12 is what the question asks for.
Answer: The answer is 12.

A question that takes two steps:
Question: ...
Thought: First I need the first fact.
Action: {example_call(first)}
PAUSE
Observation: 12
Thought: 12 is not yet what the question asks for; next I use 12.
Action: {example_call(second)}
PAUSE
Observation: 30
Thought: 30 is what the question asks for.
Answer: The answer is 30."""
    return f"{with_user_rules(REASONING_RULES, user_rules)}\n\nTools:\n{tools}{example}"


def question_message(question: str) -> dict:
    return {"role": "user", "content": f"Question: {question}"}


TURN_PREFIX = "Thought:"  # each reasoning turn starts here, so the model stays in the protocol
# After two steps that only repeated earlier calls, the next turn is started for the model as an answer.
ANSWER_PREFIX = "Answer:"  # a turn started as the answer itself
# After an Answer with numbers from nowhere, the next turn is started on the observations themselves.
REANSWER_PREFIX = "Thought: The observations say"
STUCK_PREFIX = "Thought: More tool calls will not add anything new, so I answer with what the observations show.\nAnswer:"


def observation_text(text: str) -> str:
    """How tool results enter the scratchpad, right after the model's PAUSE."""
    return f"Observation: {text}\n"


def format_call(name: str, arguments: dict) -> str:
    """A call as observations and notes write it: `name(key="value", n=3)`."""
    return f"{name}({', '.join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in arguments.items())})"


def results_text(results: list[tuple[str, str]]) -> str:
    """One step's (call, result) pairs as its observation: a lone result as is, several one per line."""
    if len(results) == 1:
        return results[0][1]
    return "\n" + "\n".join(f"{call} -> {result}" for call, result in results)


CALLING_RULES = """\
You turn an Action into tool calls. Reply with a JSON list of calls and nothing else, in this form:
[{{"name": "<tool name>", "arguments": {{"<argument>": <value>}}}}]
Use only the tools below, with arguments that match their JSON schemas. Take values from the Action, the question and the observations so far. Include only calls whose argument values are all known now. Reply [] if no tool fits the Action.

### Tools:
{schemas}

Example: for the Action "{example_action}" the reply is
[{example_json}]"""


def calling_system_prompt(registry: Registry) -> str:
    schemas = "\n".join(json.dumps({"name": t.name, "description": " ".join(t.description.split()),
                                    "parameters": t.parameters}, ensure_ascii=False)
                        for t in registry.tools.values())
    first = next(iter(example_tools(registry)), None)
    example_action = example_call(first) if first else "none"
    example_json = ""
    if first is not None:
        props = first.parameters.get("properties", {})
        required = first.parameters.get("required", list(props))
        args = ", ".join(f'"{a}": {_placeholder(props[a])}' for a in required if a in props)
        example_json = f'{{"name": "{first.name}", "arguments": {{{args}}}}}'
    return CALLING_RULES.format(schemas=schemas, example_action=example_action, example_json=example_json)


def calling_user_message(question: str, observations: list[str], action: str) -> dict:
    seen = "\n".join(f"- {o}" for o in observations) or "- (none yet)"
    return {"role": "user",
            "content": f"### Query:\nQuestion: {question}\nObservations so far:\n{seen}\nAction: {action}"}


# The calling step in the model's own tool-call format (calling_format = "template"): the chat
# template appends the tools' schemas and its `<tool_call>` format to this system message, and the
# user message is calling_user_message's.
TEMPLATE_CALLING_SYSTEM = """\
You turn an Action into tool calls. Call the tools the Action asks for, with argument values taken \
from the Action, the question and the observations so far. Make only calls whose argument values are \
all known now. If no tool fits the Action, reply "No tool fits." without a tool call."""

# Native mode's counterpart: the answer is started for a model that only repeats earlier calls.
NATIVE_STUCK_PREFIX = "The tool results so far answer the question. The answer is"

NATIVE_SYSTEM = """\
You answer the user's question. Call a tool whenever you need a fact, a conversion or a calculation; \
call one tool at a time and wait for its result. Never compute or convert in your head. When the tool \
results answer the whole question, reply with the answer in one sentence, without a tool call. If a \
tool returns an error that no listed tool can work around, say that the information is not available."""
