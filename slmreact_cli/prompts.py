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

Thought: reason step by step about what you know and what you still need.
Action: call one of the tools below as a function call with keyword arguments, then write PAUSE and stop.
  You may write several Action lines at once when the calls do not depend on each other's results.
Observation: the result of your Action. It is given to you in the next message; never write it yourself.
Answer: when you know the answer, write "Answer:" followed by the answer in one sentence.

Rules:
- Use a tool for every fact you are not sure of, every unit or currency conversion and every calculation beyond one-digit arithmetic. Never compute or convert in your head: each number in the Answer must come from an Observation or from the question.
- Copy numbers from observations exactly; pass them on as arguments to the next call when needed.
- If the question needs no tool, write the Answer right away.
- If a tool returns an error you cannot fix by changing the arguments, write an Answer that says the information is not available and why.
- Use only the tools listed here."""


def _placeholder(spec: dict) -> str:
    kind = spec.get("type")
    if "enum" in spec:
        return json.dumps(spec["enum"][0])
    return {"integer": "<int>", "number": "<number>", "boolean": "<true or false>", "array": "[...]",
            "object": "{...}"}.get(kind, '"..."')


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


def reasoning_system_prompt(registry: Registry) -> str:
    tools = "\n".join(describe_tool(t) for t in registry.tools.values())
    first = next(iter(registry.tools.values()), None)
    example = ""
    if first is not None:
        example = f"""

Format example (the arguments and the result are placeholders):
Question: a question that needs {first.name}
Thought: I need {first.name} for this.
Action: {example_call(first)}
PAUSE
Observation: 42
Thought: The observation answers the question.
Answer: The result is 42."""
    return f"{REASONING_RULES}\n\nTools:\n{tools}{example}"


def question_message(question: str) -> dict:
    return {"role": "user", "content": f"Question: {question}"}


TURN_PREFIX = "Thought:"  # each reasoning turn starts here, so the model stays in the protocol


def observation_text(text: str) -> str:
    """How tool results enter the scratchpad, right after the model's PAUSE."""
    return f"Observation: {text}\n"


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
    first = next(iter(registry.tools.values()), None)
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
