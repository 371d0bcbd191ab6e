"""Synthetic ReAct traces for the reasoning adapter, run for real against bench/adapter/train_tools.py.

Each trace is a question, the Thought / Action / PAUSE / Observation steps that answer it, and the
Answer, written in the loop's own scratchpad format under the loop's own system prompt (built by
`prompts.reasoning_system_prompt` from a random subset of the training tools, in random order, so
the adapter sees tools of every kind in every position). Every Observation is the real result of
running the call. The kinds of question are those of any tool-using assistant: one lookup, one
calculation, a lookup then a conversion or a rate applied to a quantity, two lookups combined, a
lookup whose result names the next one, a failed lookup, and questions no tool is needed for.

Most traces (by default all but a fifth) come from the *train* domains of the generated benchmark
(bench/tasks/): the task generator's own executed plans over those tool modules, with every kind of
question it asks (single calls, dependent chains, records whose field feeds the next call,
independent calls in one step, list, unit, currency and percentage chains, enum, optional, nested
and list arguments, unknown ids, questions needing no tool), under a system prompt listing the
task's domain, a distractor train domain and the arithmetic tools. Validation and test domains
never enter the corpus.

Output: one JSON line per trace, {"pattern", "system", "question", "segments": [[text, trained], ...]}
(domain traces add "domain"); the segments concatenated are the assistant message, and `trained`
marks the text the model writes.

Usage: python bench/adapter/make_traces.py [--n 5000] [--legacy-share 0.2] [--compound-share 0] [--seed 0]
                                           [--out bench/adapter/data/traces.jsonl]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from slmreact_cli.guards.grounding import STRAY_ADVICE  # noqa: E402
from slmreact_cli.prompts import format_call, observation_text, reasoning_system_prompt, results_text  # noqa: E402
from slmreact_cli.tools import Registry  # noqa: E402
from slmreact_cli.tool_loading import load_registry  # noqa: E402
from slmreact_cli.worker import result_text  # noqa: E402

import train_tools as T  # noqa: E402

sys.path.insert(0, str(HERE.parent / "tasks"))
import compound as C  # noqa: E402  (bench/tasks/compound.py)
import generate as G  # noqa: E402  (bench/tasks/generate.py)

REGISTRY = load_registry([str(HERE / "train_tools.py")])
EXPRESSION_TOOLS = {"evaluate": "expression", "calc": "expr"}
BINARY_TOOLS = {"+": "sum_of", "-": "difference", "*": "product", "/": "quotient"}
GENERAL = [("What is the capital of Japan?", "The capital of Japan is Tokyo."),
           ("Who wrote Romeo and Juliet?", "William Shakespeare wrote Romeo and Juliet."),
           ("How many legs does a spider have?", "A spider has eight legs."),
           ("What colour do you get by mixing blue and yellow?", "Mixing blue and yellow gives green."),
           ("Hello! How are you?", "Hello! I am fine, thank you. How can I help you?"),
           ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au."),
           ("Which planet is closest to the Sun?", "Mercury is the planet closest to the Sun."),
           ("What language is spoken in Brazil?", "Portuguese is the main language spoken in Brazil."),
           ("How many days are in a week?", "A week has seven days."),
           ("What is the largest ocean on Earth?", "The Pacific Ocean is the largest ocean on Earth."),
           ("Thanks for your help!", "You are welcome!"),
           ("What is the boiling point of water at sea level in Celsius?",
            "Water boils at 100 degrees Celsius at sea level.")]
UNKNOWN = {"mountain": ["Mount Pell", "Cinder Horn"], "river": ["Oxbow", "Lark River"], "tower": ["Obelisk Nine"],
           "animal": ["snow lynx"], "company": ["Halvard Group", "Pinecrest"], "person": ["Rosa Vint"],
           "product": ["truffles", "Zephyr One"], "worker": ["Karl Enz"], "city": ["Northwold", "Tessaly"],
           "country": ["Maravia", "Ostland"], "book": ["Paper Tides"]}


# One lookup answers the question: (table, tool, argument, question(s), first thought, last thought, answer).
SINGLE_LOOKUPS = {
    "mountain": (T._HEIGHT_M, "get_mountain_height", "mountain", ["How tall is {x}?", "What is the height of {x}?"],
                 "I need the height of {x}.", "{x} is {v} m high, which is what the question asks for.",
                 "{x} is {v} metres tall."),
    "river": (T._RIVER_KM, "get_river_length", "river", ["How long is the {x} river?"], "I need the length of the {x}.",
              "The {x} is {v} km long; that answers the question.", "The {x} is {v} km long."),
    "tower": (T._TOWER_FT, "get_tower_height", "tower", ["How high is {x} in feet?"],
              "I need the height of {x}; the tool gives feet.", "{x} is {v} ft high, already in feet, so I can answer.",
              "{x} is {v} feet high."),
    "employees": (T._EMPLOYEES, "get_employee_count", "company",
                  ["How many people work at {x}?", "How many employees does {x} have?"],
                  "I need the number of employees of {x}.", "{x} employs {v} people; that is the answer.",
                  "{x} has {v} employees."),
    "ceo": (T._CEO, "get_ceo", "company", ["Who runs {x}?"], "I need the chief executive of {x}.",
            "The chief executive of {x} is {v}; that answers the question.", "{v} runs {x}."),
    "capital": (T._CAPITAL, "get_capital", "country", ["What is the capital of {x}?"],
                "{x} is not a country I know, so I look up its capital.",
                "The capital of {x} is {v}, which is what the question asks for.", "The capital of {x} is {v}."),
    "pages": (T._PAGES, "get_page_count", "title", ["How many pages does '{x}' have?"],
              "I need the page count of '{x}'.",
              "'{x}' has {v} pages; that is the answer.", "'{x}' has {v} pages."),
    "temp": (T._TEMP_C, "get_temperature", "city", ["What is the temperature in {x} right now, in Celsius?"],
             "I need the current temperature in {x}.", "It is {v} degrees Celsius in {x}, which is what the question "
             "asks for.", "It is {v} °C in {x}."),
    "launch": (T._LAUNCH, "get_launch_date", "product", ["When did the {x} go on sale?"],
               "I need the launch date of the {x}.", "The {x} went on sale on {v}; that answers the question.",
               "The {x} went on sale on {v}."),
}


class Trace:
    """Builds one trace step by step, running every call for real."""

    def __init__(self, rng: random.Random, question: str, needed: list[str]):
        self.rng, self.question, self.needed = rng, question, list(needed)
        self.segments: list[list] = []
        self.first = True

    def _thought(self, text: str) -> None:
        # The loop writes "Thought:" and the model goes on from there.
        self.segments.append(["Thought:", False])
        self.segments.append([f" {text}", True])

    def step(self, thought: str, calls: list[tuple[str, dict]]) -> list[str]:
        """One step with its calls; returns each call's result text (errors as "Error: ...")."""
        if not self.first:
            self.segments.append(["\n", False])
        self.first = False
        self._thought(thought)
        actions = "".join(f"\nAction: {format_call(n, a)}" for n, a in calls)
        self.segments.append([actions + "\nPAUSE", True])
        lines, texts = [], []
        for name, args in calls:
            try:
                text = result_text(getattr(T, name)(**args))
            except ValueError as exc:
                text = f"Error: ValueError: {exc}"
            texts.append(text)
            lines.append((format_call(name, args), text))
        self.segments.append(["\n" + observation_text(results_text(lines).strip()).rstrip("\n"), False])
        return texts

    def refused(self, thought: str, call: tuple[str, dict], stray: str) -> None:
        """A step with a number from nowhere and the loop's note about it: shown, never trained, so
        the adapter learns the recovery, not the slip."""
        if not self.first:
            self.segments.append(["\n", False])
        self.first = False
        self.segments.append([f"Thought: {thought}\nAction: {format_call(*call)}\nPAUSE", False])
        note = (f"Error: {stray} in {format_call(*call)} comes from neither the question nor an observation"
                f"{STRAY_ADVICE}")
        self.segments.append(["\n" + observation_text(note).rstrip("\n"), False])

    def answer(self, thought: str, answer: str) -> dict:
        if not self.first:
            self.segments.append(["\n", False])
        self._thought(f"{thought}\nAnswer: {answer}")
        return {"question": self.question, "needed": self.needed, "segments": self.segments}


def num(text: str) -> float | int:
    """A result as an argument, written as the result was (56, not 56.0)."""
    value = float(text)
    return int(value) if value.is_integer() and "e" not in text.lower() else value


class Patterns:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.arith = rng.choice(["expression", "expression", "binary"])
        self.expr_tool = rng.choice(list(EXPRESSION_TOOLS))

    # arithmetic in the style this tool set offers
    def arith_call(self, a, op: str, b) -> tuple[str, dict]:
        if self.arith == "binary":
            return BINARY_TOOLS[op], {"a": a, "b": b}
        return self.expr_tool, {EXPRESSION_TOOLS[self.expr_tool]: f"{a} {op} {b}"}

    def arith_tools(self, *ops: str) -> list[str]:
        return [BINARY_TOOLS[o] for o in ops] if self.arith == "binary" else [self.expr_tool]

    def pick(self, table: dict):
        return self.rng.choice(list(table))

    # ---- patterns: each returns a finished trace dict ----
    def single_lookup(self):
        kind = self.rng.choice(list(SINGLE_LOOKUPS))
        table, tool, arg, questions, thought, done, answer = SINGLE_LOOKUPS[kind]
        x = self.pick(table)
        question = questions[0] if len(questions) == 1 else self.rng.choice(questions)
        t = Trace(self.rng, question.format(x=x), [tool])
        v = t.step(thought.format(x=x), [(tool, {arg: x})])[0]
        return t.answer(done.format(x=x, v=v), answer.format(x=x, v=v))

    def single_arithmetic(self):
        r = self.rng
        kind = r.choice(["percent", "times", "sum", "sqrt", "divide"])
        a, b = r.randint(12, 980), r.randint(2, 95)
        if kind == "percent" and self.arith == "expression":
            q = f"What is {b}% of {a}?"
            call = (self.expr_tool, {EXPRESSION_TOOLS[self.expr_tool]: f"{a} * {b} / 100"})
            need = [self.expr_tool]
        elif kind == "sqrt" and self.arith == "expression":
            x, y = r.randint(20, 60), r.randint(10, 300)
            q = f"What is the square root of {x}^2 plus {y}?"
            call = (self.expr_tool, {EXPRESSION_TOOLS[self.expr_tool]: f"sqrt({x}**2 + {y})"})
            need = [self.expr_tool]
        else:
            op, word = r.choice([("*", "times"), ("+", "plus"), ("-", "minus"), ("/", "divided by")])
            q = r.choice([f"What is {a} {word} {b}?", f"Calculate {a} {word} {b}."])
            call = self.arith_call(a, op, b)
            need = self.arith_tools(op)
        t = Trace(r, q, need)
        v = t.step("This is arithmetic, so I use the calculation tool.", [call])[0]
        return t.answer(f"{v} is the result the question asks for.", f"The answer is {v}.")

    def lookup_convert(self):
        r = self.rng
        kind = r.choice(["mountain", "river", "tower", "animal", "temp"])
        if kind == "temp":
            c = self.pick(T._TEMP_C)
            t = Trace(r, f"How warm is it in {c} in degrees Fahrenheit?", ["get_temperature", "celsius_to_fahrenheit"])
            v = t.step(f"First I need the temperature in {c}; the tool gives Celsius, then I convert it to Fahrenheit.",
                       [("get_temperature", {"city": c})])[0]
            f = t.step(f"It is {v} °C in {c}. The question wants Fahrenheit, so next I convert {v} °C.",
                       [("celsius_to_fahrenheit", {"celsius": num(v)})])[0]
            return t.answer(f"{v} °C is {f} °F, which answers the question.", f"It is {f} °F in {c}.")
        if kind in ("mountain", "river", "tower"):
            table, tool, arg, unit, what = {
                "mountain": (T._HEIGHT_M, "get_mountain_height", "mountain", "m", "height"),
                "river": (T._RIVER_KM, "get_river_length", "river", "km", "length"),
                "tower": (T._TOWER_FT, "get_tower_height", "tower", "ft", "height")}[kind]
            x = self.pick(table)
            target, word = r.choice([(u, w) for u, w in [("ft", "feet"), ("mi", "miles"), ("m", "metres"),
                                                         ("km", "kilometres")] if u != unit])
            q = r.choice([f"What is the {what} of {x} in {word}?", f"How many {word} is the {what} of {x}?"])
            t = Trace(r, q, [tool, "convert_length"])
            v = t.step(f"First I need the {what} of {x}, which the tool gives in {unit}; then I convert it to {word}.",
                       [(tool, {arg: x})])[0]
            c = t.step(f"The {what} of {x} is {v} {unit}. It is not yet in {word}, so next I convert {v} {unit} to {target}.",
                       [("convert_length", {"value": num(v), "from_unit": unit, "to_unit": target})])[0]
            return t.answer(f"{v} {unit} is {c} {target}, which is what the question asks for.",
                            f"The {what} of {x} is {c} {word}.")
        x = self.pick(T._ANIMAL_KG)
        target, word = r.choice([("lb", "pounds"), ("g", "grams"), ("oz", "ounces")])
        t = Trace(r, r.choice([f"How much does a {x} weigh in {word}?", f"What is the weight of a {x} in {word}?"]),
                  ["get_animal_weight", "convert_weight"])
        v = t.step(f"First I need the weight of a {x}, which the tool gives in kg; then I convert it to {word}.",
                   [("get_animal_weight", {"animal": x})])[0]
        c = t.step(f"A {x} weighs {v} kg. The question wants {word}, so next I convert {v} kg to {target}.",
                   [("convert_weight", {"value": num(v), "from_unit": "kg", "to_unit": target})])[0]
        return t.answer(f"{v} kg is {c} {target}; that answers the question.", f"A {x} weighs {c} {word}.")

    def rate_times_quantity(self):
        r = self.rng
        kind = r.choice(["food", "wage", "shares", "monthly"])
        if kind == "food":
            x, k = self.pick(T._PRICE_PER_KG), r.choice([2, 3, 4.5, 7, 12, 0.5])
            q, tool, arg, first, what, op, n = (f"How much do {k} kg of {x} cost?", "get_price_per_kg", {"product": x},
                                                f"the price of one kilogram of {x}", "per kilogram", "*", k)
        elif kind == "wage":
            x, h = self.pick(T._HOURLY), r.choice([8, 20, 37.5, 40, 160])
            q, tool, arg, first, what, op, n = (f"How much does {x} earn for {h} hours of work?", "get_hourly_wage",
                                                {"worker": x}, f"{x}'s hourly wage", "per hour", "*", h)
        elif kind == "shares":
            x, s = self.pick(T._STOCK_USD), r.choice([10, 25, 150, 1200])
            q, tool, arg, first, what, op, n = (f"What are {s} shares of {x} worth?", "get_stock_price", {"ticker": x},
                                                f"the price of one {x} share", "per share", "*", s)
        else:
            x = self.pick(T._SALARY)
            q, tool, arg, first, what, op, n = (f"How much does {x} earn per month?", "get_salary", {"person": x},
                                                f"{x}'s yearly salary", "per year", "/", 12)
        t = Trace(r, q, [tool, *self.arith_tools(op)])
        v = t.step(f"First I need {first}; then I apply it to {n}.", [(tool, arg)])[0]
        word = "multiply" if op == "*" else "divide"
        c = t.step(f"That is {v} {what}. It is not yet the answer: next I {word} {v} by {n}.",
                   [self.arith_call(num(v), op, n)])[0]
        return t.answer(f"{c} is what the question asks for.", f"The answer is {c}.")

    def two_lookups(self):
        r = self.rng
        kind = r.choice(["mountain", "river", "employees", "area", "animal"])
        table, tool, arg, unit, noun, more = {
            "mountain": (T._HEIGHT_M, "get_mountain_height", "mountain", "m", "height", "taller"),
            "river": (T._RIVER_KM, "get_river_length", "river", "km", "length", "longer"),
            "employees": (T._EMPLOYEES, "get_employee_count", "company", "people", "staff", "more people"),
            "area": (T._AREA_KM2, "get_country_area", "country", "km²", "area", "larger"),
            "animal": (T._ANIMAL_KG, "get_animal_weight", "animal", "kg", "weight", "heavier")}[kind]
        x, y = r.sample(list(table), 2)
        op = r.choice(["-", "+"])
        if op == "-":
            q = {"mountain": f"How much taller is {x} than {y}?", "river": f"How much longer is the {x} than the {y}?",
                 "employees": f"How many more people work at {x} than at {y}?",
                 "area": f"How much larger is {x} than {y}?",
                 "animal": f"How much heavier is a {x} than a {y}?"}[kind]
        else:
            q = {"mountain": f"What is the combined height of {x} and {y}?",
                 "river": f"What is the total length of the {x} and the {y}?",
                 "employees": f"How many people work at {x} and {y} together?",
                 "area": f"What is the total area of {x} and {y}?",
                 "animal": f"What do a {x} and a {y} weigh together?"}[kind]
        t = Trace(r, q, [tool, *self.arith_tools(op)])
        if r.random() < 0.5:
            a, b = t.step(f"I need the {noun} of {x} and of {y}; the two lookups do not depend on each other.",
                          [(tool, {arg: x}), (tool, {arg: y})])
        else:
            a = t.step(f"First I need the {noun} of {x}, then the {noun} of {y}.", [(tool, {arg: x})])[0]
            if r.random() < 0.3:
                guess = str(r.randint(20, 900))
                t.refused(f"{x}: {a}. Next I combine it with {guess}.", self.arith_call(num(a), op, int(guess)), guess)
            b = t.step(f"{x}: {a} {unit}. I still need the {noun} of {y}.", [(tool, {arg: y})])[0]
        how = "subtract" if op == "-" else "add"
        c = t.step(f"I have {x}: {a} and {y}: {b}. The question wants {'the difference' if op == '-' else 'the sum'}, "
                   f"so next I {how} them.", [self.arith_call(num(a), op, num(b))])[0]
        return t.answer(f"{c} {unit} is what the question asks for.", f"The answer is {c} {unit}.")

    def linked_lookup(self):
        r = self.rng
        c = self.pick(T._CEO)
        monthly = r.random() < 0.4
        q = f"What does the chief executive of {c} earn per month?" if monthly else \
            r.choice([f"How much does the chief executive of {c} earn a year?", f"What is the salary of {c}'s CEO?"])
        t = Trace(r, q, ["get_ceo", "get_salary", *(self.arith_tools("/") if monthly else [])])
        who = t.step(f"First I need the name of {c}'s chief executive; then that person's salary.",
                     [("get_ceo", {"company": c})])[0]
        pay = t.step(f"The chief executive is {who}. That is not yet a salary, so next I look up {who}'s salary.",
                     [("get_salary", {"person": who})])[0]
        if not monthly:
            return t.answer(f"{who} earns {pay} dollars a year, which answers the question.",
                            f"{who}, the chief executive of {c}, earns {pay} dollars a year.")
        m = t.step(f"{who} earns {pay} dollars a year. The question wants a month, so next I divide {pay} by 12.",
                   [self.arith_call(num(pay), "/", 12)])[0]
        return t.answer(f"{m} dollars a month is what the question asks for.", f"{who} earns {m} dollars a month.")

    def capitals_distance(self):
        r = self.rng
        pairs = [tuple(sorted(p)) for p in T._DISTANCE_KM]  # sorted: a frozenset's order varies by process
        a, b = r.choice(pairs)
        inverse = {v: k for k, v in T._CAPITAL.items()}
        x, y = inverse[a], inverse[b]
        if r.random() < 0.5:
            x, y = y, x
        t = Trace(r, f"How far is it by road from the capital of {x} to the capital of {y}?",
                  ["get_capital", "get_road_distance"])
        ca, cb = t.step(f"First I need the capitals of {x} and {y}; the two lookups are independent.",
                        [("get_capital", {"country": x}), ("get_capital", {"country": y})])
        d = t.step(f"The capitals are {ca} and {cb}. Next I need the road distance between {ca} and {cb}.",
                   [("get_road_distance", {"city_a": ca, "city_b": cb})])[0]
        return t.answer(f"{d} km is the distance the question asks for.", f"It is {d} km by road from {ca} to {cb}.")

    def date_chain(self):
        r = self.rng
        p = self.pick(T._LAUNCH)
        w1, w2 = r.randint(2, 30), r.randint(2, 20)
        three = r.random() < 0.5
        if three:
            q = (f"The {p} went on sale, the first update came {w1} weeks later, and the second update came {w2} "
                 f"weeks after the first. On what date did the second update come?")
        else:
            q = f"What date is {w1} weeks after the {p} went on sale?"
        t = Trace(r, q, ["get_launch_date", "add_weeks"])
        d0 = t.step(f"First I need the launch date of the {p}.", [("get_launch_date", {"product": p})])[0]
        d1 = t.step(f"The {p} went on sale on {d0}. Next I add {w1} weeks to {d0}.",
                    [("add_weeks", {"date": d0, "weeks": w1})])[0]
        if not three:
            return t.answer(f"{d1} is {w1} weeks after the launch, which is what the question asks for.",
                            f"{w1} weeks after the {p} went on sale is {d1}.")
        d2 = t.step(f"The first update came on {d1}. That is not yet the second update: next I add {w2} weeks to {d1}.",
                    [("add_weeks", {"date": d1, "weeks": w2})])[0]
        return t.answer(f"The second update came on {d2}; that answers the question.",
                        f"The second update came on {d2}.")

    def weeks_until(self):
        r = self.rng
        p = self.pick(T._LAUNCH)
        end = f"{r.randint(2026, 2028)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        t = Trace(r, f"How many weeks are there from the launch of the {p} to {end}?",
                  ["get_launch_date", "weeks_between"])
        d0 = t.step(f"First I need the launch date of the {p}; then the weeks from it to {end}.",
                    [("get_launch_date", {"product": p})])[0]
        w = t.step(f"The {p} launched on {d0}. Next I count the weeks from {d0} to {end}.",
                   [("weeks_between", {"start": d0, "end": end})])[0]
        return t.answer(f"{w} weeks is what the question asks for.", f"There are {w} weeks from {d0} to {end}.")

    def failed_lookup(self):
        r = self.rng
        kind = r.choice(["mountain", "river", "company", "person", "product", "city", "country", "book", "ticker",
                         "convert"])
        if kind == "convert":
            x = self.pick(T._ANIMAL_KG)
            unit = r.choice(["stone", "grains"])
            t = Trace(r, f"How much does a {x} weigh in {unit}?", ["get_animal_weight", "convert_weight"])
            v = t.step(f"First I need the weight of a {x} in kg; then I convert it to {unit}.",
                       [("get_animal_weight", {"animal": x})])[0]
            err = t.step(f"A {x} weighs {v} kg. Next I convert {v} kg to {unit}.",
                         [("convert_weight", {"value": num(v), "from_unit": "kg", "to_unit": unit})])[0]
            return t.answer(f"The converter does not know {unit} ({err.split(': ', 2)[-1]}), and no other tool "
                            f"converts weights, so the weight in {unit} is not available.",
                            f"A {x} weighs {v} kg, but the tools cannot convert that to {unit}, so the weight in "
                            f"{unit} is not available.")
        if kind == "ticker":
            x = r.choice(["ZZTOP", "MOON", "ACME"])
            t = Trace(r, f"What is one share of {x} worth today?", ["get_stock_price"])
            err = t.step(f"I need the price of one {x} share.", [("get_stock_price", {"ticker": x})])[0]
            return t.answer(f"The tool does not know the ticker {x}, and no other tool gives share prices, so "
                            "the information is not available.", f"The share price of {x} is not available.")
        spec = {"mountain": ("get_mountain_height", "mountain", "How tall is {x}?", "the height of {x}"),
                "river": ("get_river_length", "river", "How long is the {x} river?", "the length of the {x}"),
                "company": ("get_employee_count", "company", "How many people work at {x}?", "the staff of {x}"),
                "person": ("get_salary", "person", "What is {x}'s yearly salary?", "{x}'s salary"),
                "product": ("get_price_per_kg", "product", "What does a kilogram of {x} cost?", "the price of {x}"),
                "city": ("get_temperature", "city", "What is the temperature in {x}?", "the temperature in {x}"),
                "country": ("get_country_area", "country", "What is the area of {x}?", "the area of {x}"),
                "book": ("get_page_count", "title", "How many pages does '{x}' have?", "the page count of '{x}'")}
        tool, arg, q, what = spec[kind]
        x = r.choice(UNKNOWN[{"company": "company", "person": "person", "product": "product", "book": "book"}.get(
            kind, kind)])
        what = what.format(x=x)
        t = Trace(r, q.format(x=x), [tool])
        t.step(f"I need {what}.", [(tool, {arg: x})])
        return t.answer(f"The tool does not know {x}, and no other tool gives {what}, so the information is "
                        "not available.", f"Sorry, {what} is not available: the tool has no data on {x}.")

    def general(self):
        r = self.rng
        q, a = r.choice(GENERAL)
        t = Trace(r, q, [])
        return t.answer("No tool is needed for this; I know the answer.", a)


    def stock_value(self):
        r = self.rng
        x = self.pick(T._INVENTORY_KG)
        t = Trace(r, r.choice([f"What is all the {x} in the warehouse worth?",
                               f"What is the total value, in dollars, of the {x} the warehouse holds?"]),
                  ["get_inventory", "get_price_per_kg", *self.arith_tools("*")])
        kg = t.step(f"First I need how much {x} the warehouse holds, then the price of one kilogram of {x}.",
                    [("get_inventory", {"product": x})])[0]
        if r.random() < 0.3:
            guess = str(r.randint(3, 60))
            t.refused(f"The warehouse holds {kg} kg. Next I multiply {kg} by {guess}.",
                      self.arith_call(num(kg), "*", int(guess)), guess)
        price = t.step(f"The warehouse holds {kg} kg of {x}. I still need the price per kilogram.",
                       [("get_price_per_kg", {"product": x})])[0]
        total = t.step(f"I have {kg} kg at {price} dollars per kg. Next I multiply {kg} by {price}.",
                       [self.arith_call(num(kg), "*", num(price))])[0]
        return t.answer(f"{total} dollars is what the question asks for.", f"The {x} in the warehouse is worth "
                        f"{total} dollars.")

    def ownership_chain(self):
        r = self.rng
        start = r.choice(["Norvik Foods", "Pell & Daughters", "Orland Mills", "Brightwell"])
        hops = r.choice([2, 2, 3])
        chain = [start]
        for _ in range(hops):
            chain.append(T._PARENT.get(chain[-1]))
        if None in chain:
            hops = chain.index(None) - 1
            chain = chain[:hops + 1]
        if hops < 2:
            return self.linked_lookup()
        q = {2: f"Which company owns the owner of {start}?",
             3: f"Who owns the company that owns the owner of {start}?"}[hops]
        t = Trace(r, q, ["get_parent_company"])
        owner = t.step(f"First I need the owner of {start}; then the owner of that company.",
                       [("get_parent_company", {"company": start})])[0]
        for hop in range(2, hops + 1):
            nxt = t.step(f"{start if hop == 2 else chain[hop - 2]} is owned by {owner}. That is not yet the answer: "
                         f"next I look up the owner of {owner}.", [("get_parent_company", {"company": owner})])[0]
            owner = nxt
        return t.answer(f"{owner} is the company the question asks for.", f"It is {owner}.")

    def points_exchange(self):
        r = self.rng
        names = {"SKY": "SkyMiles", "ORB": "Orbit points", "STR": "Star points", "LUX": "Lux credits"}
        n = r.choice([500, 1200, 80, 2500, 40])
        if r.random() < 0.5:
            a, b = r.choice([("SKY", "ORB"), ("ORB", "STR"), ("STR", "SKY"), ("SKY", "LUX")])
            t = Trace(r, f"How many {names[b]} ({b}) do I get for {n} {names[a]} ({a})?",
                      ["get_points_rate", *self.arith_tools("*")])
            rate = t.step(f"First I need the rate from {a} to {b}; then I apply it to {n}.",
                          [("get_points_rate", {"program_from": a, "program_to": b})])[0]
            got = t.step(f"One {a} point gives {rate} {b}. That is not yet the answer: next I multiply {n} by {rate}.",
                         [self.arith_call(n, "*", num(rate))])[0]
            return t.answer(f"{got} {b} is what the question asks for.", f"You get {got} {names[b]}.")
        a, b, c = r.choice([("SKY", "ORB", "STR"), ("ORB", "STR", "SKY"), ("STR", "SKY", "ORB"), ("LUX", "ORB", "SKY")])
        t = Trace(r, f"I have {n} {names[a]}. I convert them all to {names[b]}, then all of those to {names[c]}. "
                     f"How many {names[c]} do I end up with?", ["get_points_rate", *self.arith_tools("*")])
        r1 = t.step(f"First I need the rate from {a} to {b}.",
                    [("get_points_rate", {"program_from": a, "program_to": b})])[0]
        m1 = t.step(f"One {a} point gives {r1} {b}. Next I multiply {n} by {r1}.", [self.arith_call(n, "*", num(r1))])[0]
        r2 = t.step(f"{n} {a} is {m1} {b}. That is not yet {names[c]}: next I need the rate from {b} to {c}.",
                    [("get_points_rate", {"program_from": b, "program_to": c})])[0]
        m2 = t.step(f"One {b} point gives {r2} {c}. Next I multiply {m1} by {r2}.",
                    [self.arith_call(num(m1), "*", num(r2))])[0]
        return t.answer(f"{m2} {c} is what the question asks for.", f"You end up with {m2} {names[c]}.")

    def failed_code(self):
        r = self.rng
        bad = r.choice(["GLD", "PLT", "MRK", "ZEN"])
        a = r.choice(["SKY", "ORB", "STR"])
        t = Trace(r, f"How many {bad} points does one {a} point buy?", ["get_points_rate"])
        t.step(f"I need the rate from {a} to {bad}.", [("get_points_rate", {"program_from": a, "program_to": bad})])
        return t.answer(f"The tool does not know the program {bad}, and no other tool gives that rate, so the "
                        "information is not available.", f"The rate from {a} to {bad} is not available.")

    def dates_then_weeks(self):
        r = self.rng
        start = f"{r.randint(2023, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        w1, w2 = r.randint(2, 12), r.randint(2, 12)
        end = f"{r.randint(2027, 2028)}-{r.randint(1, 12):02d}-01"
        t = Trace(r, f"A course starts on {start}. The first term ends {w1} weeks after the start, and the second "
                     f"term ends {w2} weeks after the first. How many weeks are there from the end of the second term "
                     f"to {end}?", ["add_weeks", "weeks_between"])
        d1 = t.step(f"First I need the end of the first term: {w1} weeks after {start}.",
                    [("add_weeks", {"date": start, "weeks": w1})])[0]
        d2 = t.step(f"The first term ends on {d1}. Next I add {w2} weeks to {d1} for the second term.",
                    [("add_weeks", {"date": d1, "weeks": w2})])[0]
        w = t.step(f"The second term ends on {d2}. Next I count the weeks from {d2} to {end}.",
                   [("weeks_between", {"start": d2, "end": end})])[0]
        return t.answer(f"{w} weeks is what the question asks for.", f"There are {w} weeks from {d2} to {end}.")


WEIGHTS = {"single_lookup": 10, "single_arithmetic": 7, "lookup_convert": 10, "rate_times_quantity": 9,
           "two_lookups": 12, "linked_lookup": 6, "capitals_distance": 4, "date_chain": 6, "weeks_until": 3,
           "failed_lookup": 12, "general": 5, "stock_value": 6, "ownership_chain": 5, "points_exchange": 8,
           "failed_code": 4, "dates_then_weeks": 4}
NEVER_WITH_GENERAL = {"get_capital"}  # a general question must not look answerable by a listed tool


def make_trace(rng: random.Random) -> dict:
    patterns = Patterns(rng)
    name = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    trace = getattr(patterns, name)()
    needed = trace["needed"]
    pool = [n for n in REGISTRY.names() if n not in needed and n not in BINARY_TOOLS.values()
            and n not in EXPRESSION_TOOLS]
    if name == "general":
        pool = [n for n in pool if n not in NEVER_WITH_GENERAL]
    extra = rng.sample(pool, rng.randint(2, 6))
    arith = patterns.arith_tools("+", "-", "*", "/") if rng.random() < 0.8 or name == "single_arithmetic" else []
    names = list(dict.fromkeys(needed + extra + [a for a in arith if a not in needed]))
    registry = shuffled_registry(rng, {n: REGISTRY.tools[n] for n in names})
    return {"pattern": name, "system": reasoning_system_prompt(registry), "question": trace["question"],
            "segments": trace["segments"]}


# How often each kind of benchmark question appears among the domain traces.
DOMAIN_WEIGHTS = {"single": 10, "chain2": 14, "chain3": 12, "combine": 10, "parallel": 10, "list": 8,
                  "currency": 10, "nested": 8, "no_tool": 8, "error": 10}
_REGISTRIES: dict[str, Registry] = {}


def shuffled_registry(rng: random.Random, tools: dict) -> Registry:
    """The tools in a random order: the adapter sees each kind of tool in every position of the list."""
    names = list(tools)
    rng.shuffle(names)
    return Registry(tools={n: tools[n] for n in names})


def task_tools(task: "G.Task") -> dict:
    """Every tool of a generated task's modules (its domain, the distractor domain, the arithmetic)."""
    return {name: tool for path in task.tools for name, tool in _tools_of(path).items()}


def _tools_of(path: str) -> dict:
    if path not in _REGISTRIES:
        _REGISTRIES[path] = load_registry([str(G.ROOT / path)])
    return _REGISTRIES[path].tools


def task_segments(task: "G.Task") -> list[list]:
    """A generated task's executed plan in the scratchpad format: each step's thought and actions
    are trained, the observations are not."""
    segments: list[list] = []
    for step in task.steps:
        if segments:
            segments.append(["\n", False])
        segments += [["Thought:", False], [f" {step.thought}", True]]
        segments.append(["".join(f"\nAction: {format_call(n, a)}" for n, a in step.calls) + "\nPAUSE", True])
        lines = [(format_call(n, a), text) for (n, a), text in zip(step.calls, step.results)]
        segments.append(["\n" + observation_text(results_text(lines).strip()).rstrip("\n"), False])
    if segments:
        segments.append(["\n", False])
    segments += [["Thought:", False], [f" {task.final_thought}\nAnswer: {task.final_answer}", True]]
    return segments


def domain_trace(rng: random.Random) -> dict:
    """One trace from a train domain of the generated benchmark, tools listed in random order."""
    kind = rng.choices(list(DOMAIN_WEIGHTS), weights=list(DOMAIN_WEIGHTS.values()))[0]
    task = G.build(rng, "train", kind)
    registry = shuffled_registry(rng, task_tools(task))
    return {"pattern": task.kind, "domain": task.domain, "system": reasoning_system_prompt(registry),
            "question": task.question, "segments": task_segments(task)}


COMPOUND_THOUGHTS = ["The question gives every number, and {meaning} fits in one expression, so one {tool} call "
                     "computes it all.",
                     "All of this is arithmetic on the numbers in the question: I compute {meaning} in a single "
                     "expression.",
                     "No lookup is needed. One {tool} call with the whole expression gives {meaning}."]


def compound_trace(rng: random.Random) -> dict:
    """A question one expression answers (a train shape of bench/tasks/compound.py), answered with one
    call of an expression tool, beside the tools of a train-domain task, so the adapter learns not
    to split the arithmetic into a call per operation."""
    shape = rng.choice(C.TRAIN_SHAPES)
    question, expression, meaning = C.instance(shape, rng)
    calculator = rng.choice(list(EXPRESSION_TOOLS))
    t = Trace(rng, question, [calculator])
    v = t.step(rng.choice(COMPOUND_THOUGHTS).format(meaning=meaning, tool=calculator),
               [(calculator, {EXPRESSION_TOOLS[calculator]: expression})])[0]
    trace = t.answer(f"{v} is {meaning}, which is what the question asks for.", f"The answer is {v}.")
    task = G.build(rng, "train", rng.choice(list(DOMAIN_WEIGHTS)))
    registry = shuffled_registry(rng, task_tools(task) | {calculator: REGISTRY.tools[calculator]})
    return {"pattern": f"compound_{shape.name}", "system": reasoning_system_prompt(registry),
            "question": question, "segments": trace["segments"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--legacy-share", type=float, default=0.2,
                    help="share of traces from the original patterns over train_tools.py (0: train domains only)")
    ap.add_argument("--compound-share", type=float, default=0.0,
                    help="share of questions one expression answers (bench/tasks/compound.py train shapes)")
    ap.add_argument("--out", default=str(HERE / "data" / "traces.jsonl"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as fh:
        for _ in range(args.n):
            share = args.legacy_share  # 0 or 1 draw nothing extra: --legacy-share 1 gives the original corpus
            legacy = share >= 1 or (0 < share and rng.random() < share)
            if args.compound_share and rng.random() < args.compound_share:
                trace = compound_trace(rng)
            else:
                trace = make_trace(rng) if legacy else domain_trace(rng)
            fh.write(json.dumps(trace, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} traces to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
