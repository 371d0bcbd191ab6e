"""Calling-step examples for the function-calling adapter: an Action in, the JSON list of calls out.

Each example is one request of react mode's calling step as the loop makes it: the calling prompt
over the tool set (`prompts.calling_system_prompt`), the question, the observations so far and the
step's Action lines (`prompts.calling_user_message`), and, as the target, the JSON list of calls the
step should write. The Actions are the ones the calling step really receives: the loop takes an
Action that already is a valid call as it is, so every Action here is something else (plain words,
a call with unquoted or positional values, wrong argument names, enum values written as words, a
value that only the observations give; worded by call_phrases.py), and each is checked not to pass
that shortcut.

The calls come from executed plans of the task generator (bench/tasks/generate.py) over the domains
of one split, so they are the domains' real tools with values that ran. A step of a plan becomes one
example, with the results of the steps before it as observations. Covered: one call; several
independent calls in one Action; enum, optional, nested-object and list arguments (a list argument
is one call, however the Action lists its values); values the Action gives indirectly (units and
currencies by name, numbers in words, "that station", "the fee in the record"); an Action that asks
for this step and a dependent next one (only this step's calls); and `[]` where no listed tool fits
(a service no tool offers, arithmetic the tools lack, a currency outside the enum, a tool that is not
loaded, a general-knowledge lookup). A share of examples (by default a tenth) comes from the
original made-up tools of bench/adapter/train_tools.py, with Actions written from the schema alone.

Every target is checked as the loop would check it: the calls validate against the tools' schemas
(`CallingStep.validation_errors`, the validation the tool worker runs too) and `parse_calls` reads the
target back as the same calls.

The corpus uses the train domains only; `CallsCorpus("validation", ...)` gives the held-out examples
of bench/adapter/calls_eval.py. Test domains are never used.

Output: one JSON line per example, with "messages" (the calling step's request) and "segments"
([[target, true]]), the form bench/adapter/tokenize_traces.py reads, beside the example's fields.

Usage: python bench/adapter/make_calls.py [--n 3000] [--seed 0] [--train-tools-share 0.1]
                                          [--out bench/adapter/data/calls.jsonl]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tasks"))

import generate as G  # noqa: E402  (bench/tasks/generate.py)
from call_phrases import SERVICES, DomainPhrases, general_no_fit, loose_call, tidy  # noqa: E402
from specs import BY_KEY, SPLITS  # noqa: E402

from slmreact_cli.loop.calling import CallingStep  # noqa: E402
from slmreact_cli.models.fake import ScriptedEngine  # noqa: E402
from slmreact_cli.parsing import parse_action, parse_calls  # noqa: E402
from slmreact_cli.prompts import calling_system_prompt, calling_user_message, format_call, results_text  # noqa: E402
from slmreact_cli.tool_loading import load_registry  # noqa: E402
from slmreact_cli.tools import Registry  # noqa: E402

TRAIN_TOOLS = "bench/adapter/train_tools.py"
CORPUS_SPLITS = ("train", "validation")  # validation for calls_eval.py only; never test
# How often each kind of task supplies the step; no_tool tasks give general-knowledge `[]` examples.
KIND_WEIGHTS = {"single": 12, "chain2": 14, "chain3": 12, "combine": 12, "parallel": 14, "list": 10,
                "currency": 10, "nested": 10, "no_tool": 4, "error": 5}
NO_FIT_SHARE = 0.12      # an Action no listed tool fits, in an otherwise ordinary context
DEPENDENT_SHARE = 0.15   # an Action that also asks for the next, dependent step (where there is one)


@dataclass
class Example:
    """One calling-step request and the calls it should give."""

    source: str              # "domain" (bench/tasks) or "train_tools"
    kind: str                # the task kind, or the train_tools pattern
    domain: str
    split: str
    modules: list[str]       # tool module paths, relative to the repository root
    tool_order: list[str]    # the registry's tools in the order the prompt lists them
    question: str
    observations: list[str]  # each earlier step's observation, as the loop keeps them
    actions: list[str]       # the step's Action lines
    calls: list[dict]        # the expected calls, arguments in schema order
    features: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        """The Action text the calling step puts in its request."""
        return "\n".join(self.actions)

    @property
    def target(self) -> str:
        return json.dumps(self.calls, ensure_ascii=False)

    def messages(self, registry: Registry) -> list[dict]:
        return [{"role": "system", "content": calling_system_prompt(registry)},
                calling_user_message(self.question, self.observations, self.action)]

    def record(self, registry: Registry) -> dict:
        return {**asdict(self), "messages": self.messages(registry), "target": self.target,
                "segments": [[self.target, True]]}

    @classmethod
    def from_record(cls, line: dict) -> "Example":
        return cls(**{k: line[k] for k in cls.__dataclass_fields__})


class ToolSets:
    """Every tool of a split's modules, loaded once (one worker), and registries over any of them in
    any order."""

    def __init__(self, modules: list[str]):
        loaded = load_registry([str(ROOT / m) for m in modules])
        self.tools = loaded.tools
        self.names_of = {m: [n for n, t in loaded.tools.items() if t.module == ref]
                         for m, ref in zip(modules, loaded.modules)}

    def registry(self, order: list[str]) -> Registry:
        return Registry(tools={n: self.tools[n] for n in order})


def split_modules(split: str, train_tools: bool = False) -> list[str]:
    if split not in CORPUS_SPLITS:
        raise ValueError(f"calling-step examples come from {' or '.join(CORPUS_SPLITS)} domains, not {split!r}")
    return [G.domain_path(k) for k in SPLITS[split]] + [G.ARITH] + ([TRAIN_TOOLS] if train_tools else [])


def schema_features(calls: list[dict], registry: Registry) -> list[str]:
    """What the calls exercise, read from the tools' schemas."""
    found = ["one_call" if len(calls) == 1 else "parallel" if calls else "no_fit"]
    for call in calls:
        params = registry.tools[call["name"]].parameters
        props, required = params.get("properties", {}), params.get("required", [])
        for key, value in call["arguments"].items():
            spec = props[key]
            found += (["enum"] if "enum" in spec else []) + (["optional"] if key not in required else [])
            found += ["nested"] if isinstance(value, dict) else ["list_arg"] if isinstance(value, list) else []
    return list(dict.fromkeys(found))


def in_schema_order(calls: list[tuple[str, dict]], registry: Registry) -> list[dict]:
    """Calls as JSON objects, arguments in the order of the tool's schema (the grammar's order)."""
    out = []
    for name, args in calls:
        order = list(registry.tools[name].parameters.get("properties", {}))
        out.append({"name": name, "arguments": {k: tidy(args[k]) for k in order if k in args}})
    return out


class CallsCorpus:
    """Examples of one split, drawn with one seeded generator."""

    def __init__(self, split: str, seed: int = 0, train_tools_share: float = 0.0, shuffle_tools: bool = True,
                 fixed_distractor: bool = False):
        self.split = split
        self.rng = random.Random(f"calls-{split}-{seed}")
        self.train_tools_share = train_tools_share
        self.shuffle_tools = shuffle_tools
        self.fixed_distractor = fixed_distractor
        self.sets = ToolSets(split_modules(split, train_tools=train_tools_share > 0))
        self.redrawn = 0  # Actions drawn again because the loop would have taken them as calls

    def examples(self, n: int):
        made = 0
        while made < n:
            legacy = self.train_tools_share > 0 and self.rng.random() < self.train_tools_share
            example = self.train_tools_example() if legacy else self.domain_example()
            if example is not None:
                made += 1
                yield example

    def check(self, example: Example) -> bool:
        """True if the calling step gets this Action and reads the target as the expected calls; a
        target the tools' schemas reject is a bug here, and raises."""
        registry = self.sets.registry(example.tool_order)
        step = CallingStep(ScriptedEngine(), registry, constrained=False)
        errors = step.validation_errors(example.calls)
        if errors:
            raise AssertionError(f"{example.kind} example with invalid calls: {'; '.join(errors)}")
        parsed = parse_calls(example.target, step.tool_params)
        if not parsed.ok or parsed.calls != example.calls or parsed.repairs:
            raise AssertionError(f"the target does not read back as its calls: {example.target}")
        if step.from_action_text(example.actions) is not None:
            self.redrawn += 1
            return False
        example.features = list(dict.fromkeys(schema_features(example.calls, registry) + example.features))
        return True

    def order(self, modules: list[str]) -> list[str]:
        names = [n for m in modules for n in self.sets.names_of[m]]
        if self.shuffle_tools:
            self.rng.shuffle(names)
        return names

    def domain_example(self) -> Example | None:
        rng = self.rng
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        task = G.build(rng, self.split, kind, fixed=self.fixed_distractor)
        d = BY_KEY[task.domain]
        phrases = DomainPhrases(rng, d, self.split)
        order = self.order(task.tools)
        example = Example("domain", task.kind, task.domain, self.split, task.tools, order, task.question, [], [], [])
        if not task.steps:
            example.actions = [general_no_fit(rng, task.question)]
            return example if self.check(example) else None
        # several calls, or one call with a list, are drawn twice as often: the calling step miscounts them
        weights = [2 if len(s.calls) > 1 or any(isinstance(v, list) for _, a in s.calls for v in a.values()) else 1
                   for s in task.steps]
        index = rng.choices(range(len(task.steps)), weights=weights)[0]
        for step in task.steps[:index]:
            lines = [(format_call(n, a), text) for (n, a), text in zip(step.calls, step.results)]
            example.observations.append(results_text(lines).strip())
        last = example.observations[-1] if example.observations else ""
        calls = task.steps[index].calls
        if rng.random() < NO_FIT_SHARE:
            others = [k for k in SPLITS[self.split] if G.domain_path(k) not in task.tools]
            example.actions = [phrases.no_fit(set(order), others)]
            example.features = ["no_fit"]
            return example if self.check(example) else None
        example.calls = in_schema_order(calls, self.sets.registry(order))
        for _ in range(4):  # an Action the loop would take as it is gets drawn again
            example.actions, indirect = self.phrase_step(phrases, calls, last)
            example.features = ["indirect"] if indirect else []
            following = task.steps[index + 1].calls if index + 1 < len(task.steps) else []
            then = phrases.then(*following[0]) if following else None
            if then and rng.random() < DEPENDENT_SHARE and not example.actions[-1].endswith(")"):
                example.actions[-1] = f"{example.actions[-1].rstrip('.')}, {then}."
                example.features.append("dependent")
            if self.check(example):
                return example
        return None

    def phrase_step(self, phrases: DomainPhrases, calls: list[tuple[str, dict]], last: str) -> tuple[list[str], bool]:
        """The Action lines of one step: one sentence for several like calls, or a line per call (one of
        them, at times, already a valid call)."""
        if len(calls) > 1 and self.rng.random() < 0.5:
            merged = phrases.merged(calls, last)
            if merged:
                return [merged[0]], merged[1]
        lines, indirect = [], False
        for name, args in calls:
            text, by_value = phrases.call(name, args, last)
            lines.append(text)
            indirect |= by_value
        if len(lines) > 1 and self.rng.random() < 0.3:
            i = self.rng.randrange(len(lines))
            lines[i] = format_call(*calls[i])
        return lines, indirect

    def train_tools_example(self) -> Example | None:
        """A step of an original pattern over train_tools.py, its Action written from the schema alone."""
        import make_traces

        rng = self.rng
        pattern = rng.choices(list(make_traces.WEIGHTS), weights=list(make_traces.WEIGHTS.values()))[0]
        trace = getattr(make_traces.Patterns(rng), pattern)()
        steps, observations = self.pattern_steps(trace["segments"])
        own = self.sets.names_of[TRAIN_TOOLS]
        needed = list(dict.fromkeys([n for n in trace["needed"] if n in own]
                                    + [c["name"] for _, calls in steps for c in calls]))
        # a general question must not look answerable by a listed tool (get_capital)
        pool = [n for n in own if n not in needed and (steps or n not in make_traces.NEVER_WITH_GENERAL)]
        order = needed + rng.sample(pool, rng.randint(3, 7))
        rng.shuffle(order)
        example = Example("train_tools", pattern, "train_tools", self.split, [TRAIN_TOOLS], order,
                          trace["question"], [], [], [])
        if not steps:
            example.actions = [general_no_fit(rng, trace["question"])]
            return example if self.check(example) else None
        seen, calls = rng.choice(steps)
        example.observations = observations[:seen]
        if rng.random() < NO_FIT_SHARE:
            example.actions = [rng.choice(SERVICES).format(what=trace["question"].rstrip("?"), name="the warehouse",
                                                            who="the manager")]
            return example if self.check(example) else None
        example.calls = in_schema_order([(c["name"], c["arguments"]) for c in calls], self.sets.registry(order))
        for _ in range(4):  # an Action the loop would take as it is gets drawn again
            example.actions = [loose_call(rng, c["name"], c["arguments"]) for c in example.calls]
            if self.check(example):
                return example
        return None

    def pattern_steps(self, segments: list[list]) -> tuple[list[tuple[int, list[dict]]], list[str]]:
        """A make_traces trace's steps (how many observations came before, the calls) and its
        observations. A step the loop refused (untrained) adds its observation but is no example."""
        params = {n: list(t.parameters.get("properties", {})) for n, t in self.sets.tools.items()}
        steps, observations = [], []
        for text, trained in segments:
            if text.startswith("\nObservation: "):
                observations.append(text.removeprefix("\nObservation: ").strip())
            elif trained and "\nAction: " in text:
                lines = [line.removeprefix("Action: ") for line in text.splitlines() if line.startswith("Action: ")]
                calls = [call for line in lines for call in parse_action(line, params) or []]
                if len(calls) != len(lines):
                    raise AssertionError(f"make_traces wrote an Action that is not a call: {text!r}")
                steps.append((len(observations), calls))
        return steps, observations


def write_corpus(path: Path, n: int, seed: int, train_tools_share: float) -> CallsCorpus:
    corpus = CallsCorpus("train", seed, train_tools_share)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        for example in corpus.examples(n):
            fh.write(json.dumps(example.record(corpus.sets.registry(example.tool_order)), ensure_ascii=False) + "\n")
    return corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-tools-share", type=float, default=0.1,
                    help="share of examples over bench/adapter/train_tools.py (0: train domains only)")
    ap.add_argument("--out", default=str(HERE / "data" / "calls.jsonl"))
    args = ap.parse_args()
    if args.n < 1 or not 0 <= args.train_tools_share <= 1:
        ap.error("--n must be positive and --train-tools-share between 0 and 1")
    corpus = write_corpus(Path(args.out), args.n, args.seed, args.train_tools_share)
    print(f"wrote {args.n} examples to {args.out} ({corpus.redrawn} Actions drawn again: the loop would "
          "have taken them as calls)", file=sys.stderr)


if __name__ == "__main__":
    main()
