"""Generate the benchmark tasks of one split by running the domain tools for real.

Every task is built by a builder that picks fictional records, asks a question about them in one of
several phrasings, and executes the shortest plan that answers it, step by step: the expected answer
is the plan's result, never typed in. A task records its kind, the features it exercises, its
minimum number of steps (rounds of tool calls; independent calls share a round) and calls, the tool
modules to load (its domain, its fixed distractor domain of the same split, and the arithmetic
module: 20 tools), the plan, and what score.py needs (`answer`, `check`, `tolerance`).

The same `Task` objects, with their thoughts, feed the adapter traces (bench/adapter/make_traces.py).

Follow-up conversations (two questions, the second referring to the first answer) go to
data/followups_<split>.jsonl for validation and test.

Usage: python bench/tasks/generate.py [--split validation test train] [--per-kind N] [--seed 0]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from specs import BY_KEY, CURRENCIES, SPLITS, Domain  # noqa: E402

from slmreact_cli.worker import result_text  # noqa: E402

KINDS = ["single", "chain2", "chain3", "combine", "parallel", "list", "currency", "nested", "no_tool", "error"]
PER_KIND = {"validation": 8, "test": 12, "train": 40}
FOLLOWUPS = {"validation": 9, "test": 12}  # two-question conversations per split
ARITH = "bench/tasks/arith.py"
NOT_AVAILABLE = ["not", "unknown", "unavailable", "unable", "cannot", "can't", "couldn't", "don't", "doesn't",
                 "isn't", "wasn't", "didn't", "invalid", "n/a", "nonexistent", "unrecognized", "no data",
                 "no information", "no record", "no such", "no match", "no results"]
UNIT_WORDS = {"km": "kilometres", "mi": "miles", "m": "metres", "ft": "feet", "L": "litres", "gal": "gallons",
              "kg": "kilograms", "lb": "pounds", "g": "grams", "oz": "ounces", "t": "tonnes",
              "short tons": "short tons", "min": "minutes", "h": "hours", "ha": "hectares", "acres": "acres",
              "m²": "square metres", "ft²": "square feet", "cm": "centimetres", "in": "inches", "GL": "gigalitres",
              "million gal": "million gallons", "MWh": "megawatt-hours", "GJ": "gigajoules", "nmi": "nautical miles",
              "km/h": "kilometres per hour", "mph": "miles per hour"}

# General questions (no tool needed), disjoint between splits: (question, accepted answers, answer sentence).
GENERAL = {
    "test": [("What is the capital of Canada?", ["Ottawa"], "The capital of Canada is Ottawa."),
             ("Which planet is known as the Red Planet?", ["Mars"], "Mars is known as the Red Planet."),
             ("Who painted the Mona Lisa?", ["Leonardo", "da Vinci"], "Leonardo da Vinci painted the Mona Lisa."),
             ("What gas do plants take in from the air for photosynthesis?", ["carbon dioxide", "CO2"],
              "Plants take in carbon dioxide."),
             ("What is the largest planet in our solar system?", ["Jupiter"], "Jupiter is the largest planet."),
             ("In which country are the pyramids of Giza?", ["Egypt"], "The pyramids of Giza are in Egypt."),
             ("What is the chemical symbol for iron?", ["Fe"], "The chemical symbol for iron is Fe."),
             ("Who developed the theory of general relativity?", ["Einstein"],
              "Albert Einstein developed general relativity."),
             ("Which ocean lies between Africa and Australia?", ["Indian"], "The Indian Ocean lies between them."),
             ("What is the hardest natural mineral?", ["diamond"], "Diamond is the hardest natural mineral."),
             ("On which continent is Kenya?", ["Africa"], "Kenya is in Africa."),
             ("What is the longest river in South America?", ["Amazon"], "The Amazon is the longest river there."),
             ("Good afternoon! Who are you?", ["assistant", "help", "hello", "good afternoon"],
              "Good afternoon! I am an assistant; how can I help?")],
    "validation": [("What is the capital of Italy?", ["Rome"], "The capital of Italy is Rome."),
                   ("Who wrote Pride and Prejudice?", ["Austen"], "Jane Austen wrote Pride and Prejudice."),
                   ("What is the chemical symbol for silver?", ["Ag"], "The chemical symbol for silver is Ag."),
                   ("Which planet is famous for its bright rings?", ["Saturn"], "Saturn is famous for its rings."),
                   ("What is the main language spoken in Mexico?", ["Spanish"], "Spanish is the main language."),
                   ("Which metal is liquid at room temperature?", ["mercury"], "Mercury is liquid at room temperature."),
                   ("In which city is the Eiffel Tower?", ["Paris"], "The Eiffel Tower is in Paris."),
                   ("Which animal is called the ship of the desert?", ["camel"], "The camel is called that."),
                   ("Hi there, thanks for your help earlier!", ["welcome", "glad", "pleasure", "happy"],
                    "You are welcome, glad to help!")],
    "train": [("What is the capital of Spain?", ["Madrid"], "The capital of Spain is Madrid."),
              ("Who wrote Hamlet?", ["Shakespeare"], "William Shakespeare wrote Hamlet."),
              ("What is the capital of Australia?", ["Canberra"], "The capital of Australia is Canberra."),
              ("Who was the first person to walk on the Moon?", ["Armstrong"],
               "Neil Armstrong was the first person to walk on the Moon."),
              ("Which element has the chemical symbol O?", ["oxygen"], "O is the symbol for oxygen."),
              ("What is the tallest mountain on Earth?", ["Everest"], "Mount Everest is the tallest mountain."),
              ("Which country is famous for the maple leaf on its flag?", ["Canada"], "Canada has a maple leaf."),
              ("What do bees make?", ["honey"], "Bees make honey."),
              ("Which instrument has 88 keys?", ["piano"], "The piano has 88 keys."),
              ("What is the opposite of north?", ["south"], "The opposite of north is south."),
              ("Who composed the Moonlight Sonata?", ["Beethoven"], "Ludwig van Beethoven composed it."),
              ("Good morning! Can you help me today?", ["help", "morning", "yes", "of course"],
               "Good morning! Yes, I can help. What do you need?"),
              ("What is the largest desert in Africa?", ["Sahara"], "The Sahara is the largest desert in Africa."),
              ("Which season comes after winter?", ["spring"], "Spring comes after winter."),
              ("What is the capital of Germany?", ["Berlin"], "The capital of Germany is Berlin."),
              ("Who discovered penicillin?", ["Fleming"], "Alexander Fleming discovered penicillin."),
              ("What is the largest mammal on Earth?", ["blue whale"], "The blue whale is the largest mammal."),
              ("Which gas do humans need to breathe?", ["oxygen"], "Humans need oxygen to breathe."),
              ("What is the main ingredient of guacamole?", ["avocado"], "Guacamole is made mainly of avocado."),
              ("Which country gave the Statue of Liberty to the United States?", ["France"],
               "France gave the Statue of Liberty to the United States."),
              ("What is the currency of Japan?", ["yen"], "The currency of Japan is the yen."),
              ("Who painted The Starry Night?", ["van Gogh"], "Vincent van Gogh painted The Starry Night."),
              ("What is the fastest land animal?", ["cheetah"], "The cheetah is the fastest land animal."),
              ("In which country is Machu Picchu?", ["Peru"], "Machu Picchu is in Peru."),
              ("What is the chemical symbol for sodium?", ["Na"], "The chemical symbol for sodium is Na."),
              ("Which planet do we live on?", ["Earth"], "We live on Earth."),
              ("Thank you, that was useful!", ["welcome", "glad"], "You are welcome, glad it helped!"),
              ("What do caterpillars turn into?", ["butterflies", "moths", "butterfly"],
               "Caterpillars turn into butterflies or moths."),
              ("Which organ pumps blood around the body?", ["heart"], "The heart pumps blood around the body.")],
}


@lru_cache(maxsize=None)
def module(path: str):
    """A tool module imported from its path relative to the repository root."""
    full = ROOT / path
    spec = importlib.util.spec_from_file_location(f"bench_tasks_{full.stem}", full)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def domain_path(key: str) -> str:
    return f"bench/tasks/domains/{key}.py"


def fmt(value) -> str:
    return result_text(value)


@dataclass
class Step:
    thought: str
    calls: list[tuple[str, dict]]
    results: list[str]


@dataclass
class Task:
    question: str
    kind: str
    domain: str
    features: list[str]
    answer: object            # number, or list of accepted strings
    check: str
    steps: list[Step] = field(default_factory=list)
    final_thought: str = ""
    final_answer: str = ""
    tools: list[str] = field(default_factory=list)
    tolerance: float = 0.01
    abs_tol: float = 0.006  # an answer rounded to cents still passes

    @property
    def min_steps(self) -> int:
        return len(self.steps)

    @property
    def min_calls(self) -> int:
        return sum(len(s.calls) for s in self.steps)

    def record(self, task_id: str, split: str) -> dict:
        line = {"id": task_id, "question": self.question, "kind": self.kind, "domain": self.domain, "split": split,
                "features": self.features, "min_steps": self.min_steps, "min_calls": self.min_calls,
                "tools": self.tools, "answer": self.answer, "check": self.check,
                "expected": {"answer": self.answer,
                             "plan": [[[n, a] for n, a in s.calls] for s in self.steps],
                             "results": [s.results for s in self.steps]}}
        if self.check == "number":
            line["tolerance"] = self.tolerance
            line["abs_tol"] = self.abs_tol
        return line


class Runner:
    """Executes a task's calls against the loaded modules and records each step."""

    def __init__(self, paths: list[str]):
        self.funcs = {}
        for p in paths:
            mod = module(p)
            self.funcs.update({n: getattr(mod, n) for n in mod.__all__})
        self.steps: list[Step] = []

    def step(self, thought: str, calls: list[tuple[str, dict]]) -> list:
        values, texts = [], []
        for name, args in calls:
            try:
                value = self.funcs[name](**args)
                texts.append(fmt(value))
            except ValueError as exc:
                value = exc
                texts.append(f"Error: ValueError: {exc}")
            values.append(value)
        self.steps.append(Step(thought, calls, texts))
        return values


class Builder:
    """Question builders for one domain; each returns a finished Task."""

    def __init__(self, rng: random.Random, d: Domain, split: str, distractor: str, index: int | None = None):
        self.rng, self.d, self.split, self.index = rng, d, split, index  # index: which general question
        self.tools = [domain_path(d.key), domain_path(distractor), ARITH]
        self.mod = module(domain_path(d.key))
        self.records = list(getattr(self.mod, f"_{d.plural_slug.upper()}").values())
        self.run = Runner(self.tools)

    # helpers
    def pick(self, n: int = 1) -> list[dict]:
        return self.rng.sample(self.records, n)

    def say(self, *forms: str, **values) -> str:
        return self.rng.choice(forms).format(**values)

    def unit(self, u: str) -> str:
        return UNIT_WORDS.get(u, u)

    def finish(self, kind, features, answer, check, thought, final, **extra) -> Task:
        task = Task(question=self.question, kind=kind, domain=self.d.key, features=features, answer=answer,
                    check=check, steps=self.run.steps, final_thought=thought, final_answer=final, tools=self.tools)
        for k, v in extra.items():
            setattr(task, k, v)
        return task

    def tool(self, what: str) -> str:
        d = self.d
        return {"find": f"find_{d.slug}", "get": f"get_{d.slug}", "main": f"get_{d.slug}_{d.main.field}",
                "other": f"get_{d.slug}_{d.other.field}", "partner": f"get_{d.partner_slug}",
                "list": f"list_{d.plural_slug}", "convert": f"convert_{d.slug}_fee",
                "quote": f"quote_{d.plural_slug}"}[what]

    def fee_of(self, record: dict) -> float:
        return record[f"{self.d.fee.replace(' ', '_').replace('-', '_')}_fee"]

    def currency(self) -> tuple[str, str]:
        code = self.rng.choice([c for c in CURRENCIES if c != self.d.currency])
        return code, CURRENCIES[code][0]

    # ---- kinds ----
    def single(self) -> Task:
        d, (r,) = self.d, self.pick()
        variant = self.rng.choice(["main", "other", "alt"])
        if variant == "alt":
            u = self.unit(d.main.alt_unit)
            self.question = self.say("What is the {l} of {e} {i} in {u}?", "How many {u} is the {l} of {e} {i}?",
                                     "Give me the {l} of the {e} with id {i}, in {u}.", l=d.main.label, e=d.entity,
                                     i=r["id"], u=u)
            (v,) = self.run.step(f"I need the {d.main.label} of {r['id']} in {u}; the tool takes the unit "
                                 f"\"{d.main.alt_unit}\" directly.",
                                 [(self.tool("main"), {"ident": r["id"], "unit": d.main.alt_unit})])
            return self.finish("single", ["enum_arg", "optional_arg", "unit"], v, "number",
                               f"{fmt(v)} {d.main.alt_unit} is the {d.main.label} in {u}, which the question asks for.",
                               f"The {d.main.label} of {d.entity} {r['id']} is {fmt(v)} {u}.")
        m = d.main if variant == "main" else d.other
        self.question = self.say("What is the {l} of {e} {i}?", "Give me the {l} of the {e} with id {i}.",
                                 "{E} {i}: what is its {l}?", l=m.label, e=d.entity, E=d.entity.capitalize(), i=r["id"])
        (v,) = self.run.step(f"I need the {m.label} of {d.entity} {r['id']}; {self.tool(variant)} gives it.",
                             [(self.tool(variant), {"ident": r["id"]})])
        return self.finish("single", [] if variant == "main" else ["similar_tools"], v, "number",
                           f"{fmt(v)} {m.unit} is the {m.label} the question asks for.",
                           f"The {m.label} of {d.entity} {r['id']} is {fmt(v)} {m.unit}.")

    def chain2(self) -> Task:
        d, (r,) = self.d, self.pick()
        variant = self.rng.choice(["by_name", "partner_name", "partner_measure"])
        if variant == "by_name":
            alt = self.rng.random() < 0.4
            unit_code = d.main.alt_unit if alt else d.main.unit
            u = self.unit(unit_code)
            self.question = self.say("What is the {l} of {n}{tail}?", "How large is the {l} of the {e} called {n}{tail}?",
                                     "I'm looking at {n}. What is its {l}{tail}?", l=d.main.label, n=r["name"],
                                     e=d.entity, tail=f" in {u}" if alt else "")
            (ident,) = self.run.step(f"The question names the {d.entity} {r['name']}, so first I need its id; then "
                                     f"its {d.main.label}.", [(self.tool("find"), {"name": r["name"]})])
            args = {"ident": ident, **({"unit": unit_code} if alt else {})}
            (v,) = self.run.step(f"{r['name']} has id {ident}. Next I get the {d.main.label} of {ident}"
                                 f"{' in ' + unit_code if alt else ''}.", [(self.tool("main"), args)])
            return self.finish("chain2", ["name_to_id"] + (["unit", "optional_arg"] if alt else []), v, "number",
                               f"{fmt(v)} {unit_code} answers the question.",
                               f"The {d.main.label} of {r['name']} is {fmt(v)} {u}.")
        rec, partner = self._record_then_partner(r)
        if variant == "partner_name":
            self.question = self.say("Who is the {p} of {e} {i}?", "Which {p} is assigned to {e} {i}?",
                                     "Name the {p} of the {e} with id {i}.", p=d.partner, e=d.entity, i=r["id"])
            return self.finish("chain2", ["record_field", "text_result"], [partner["name"]], "text",
                               f"The {d.partner} {partner['id']} is {partner['name']}, which answers the question.",
                               f"The {d.partner} of {d.entity} {r['id']} is {partner['name']}.")
        pm = d.partner_measure
        v = partner[pm.field]
        self.question = self.say("What is the '{l}' figure of the {p} of {e} {i}?",
                                 "According to their record, what is the {l} of the {p} assigned to {e} {i}?",
                                 l=pm.label, p=d.partner, e=d.entity, i=r["id"])
        return self.finish("chain2", ["record_field"], v, "number",
                           f"The {d.partner} has {fmt(v)} {pm.label}; that answers the question.",
                           f"The {d.partner} of {d.entity} {r['id']}, {partner['name']}, has {fmt(v)} {pm.label}.")

    def _record_then_partner(self, r: dict, ident: str | None = None) -> tuple[dict, dict]:
        d, key = self.d, f"{self.d.partner_slug}_id"
        (rec,) = self.run.step(f"First I need the record of {d.entity} {ident or r['id']}; it names its {d.partner}.",
                               [(self.tool("get"), {"ident": ident or r["id"]})])
        (partner,) = self.run.step(f"The record says the {d.partner} is {rec[key]}. Next I look up {d.partner} "
                                   f"{rec[key]}.", [(self.tool("partner"), {"ident": rec[key]})])
        return rec, partner

    def chain3(self) -> Task:
        d, (r,) = self.d, self.pick()
        variant = self.rng.choice(["partner_by_name", "fee_percent"])
        if variant == "partner_by_name":
            pm = d.partner_measure
            self.question = self.say("What is the '{l}' figure of the {p} responsible for {n}?",
                                     "{n} has a {p}. What is that {p}'s {l}, according to their record?",
                                     l=pm.label, p=d.partner, n=r["name"])
            (ident,) = self.run.step(f"First I need the id of {r['name']}; then its record, which names the "
                                     f"{d.partner}.", [(self.tool("find"), {"name": r["name"]})])
            key = f"{d.partner_slug}_id"
            (rec,) = self.run.step(f"{r['name']} is {ident}. Next I get the record of {ident} for its {d.partner}.",
                                   [(self.tool("get"), {"ident": ident})])
            (partner,) = self.run.step(f"The {d.partner} of {ident} is {rec[key]}. Next I look up {rec[key]}.",
                                       [(self.tool("partner"), {"ident": rec[key]})])
            v = partner[pm.field]
            return self.finish("chain3", ["name_to_id", "record_field"], v, "number",
                               f"{partner['name']} has {fmt(v)} {pm.label}, which the question asks for.",
                               f"The {d.partner} of {r['name']}, {partner['name']}, has {fmt(v)} {pm.label}.")
        code, name = self.currency()
        pct = self.rng.choice([5, 10, 12.5, 15, 20, 25, 30, 40])
        self.question = self.say("What is {p}% of the {f} fee of {e} {i}, in {c}?",
                                 "The {f} fee at {e} {i} is in {lc}. Converted to {c} ({cc}), what is {p}% of it?",
                                 p=pct, f=d.fee, e=d.entity, i=r["id"], c=name, cc=code, lc=d.currency)
        (rec,) = self.run.step(f"First I need the {d.fee} fee of {r['id']}, from its record.",
                               [(self.tool("get"), {"ident": r["id"]})])
        fee = self.fee_of(rec)
        (conv,) = self.run.step(f"The fee is {fmt(fee)} {d.currency}. Next I convert {fmt(fee)} {d.currency} to "
                                f"{code}.", [(self.tool("convert"), {"amount": fee, "to_currency": code})])
        (v,) = self.run.step(f"{fmt(fee)} {d.currency} is {fmt(conv)} {code}. Next I take {pct}% of {fmt(conv)}.",
                             [("percent_of", {"percent": pct, "value": conv})])
        return self.finish("chain3", ["record_field", "currency", "percent"], v, "number",
                           f"{pct}% of {fmt(conv)} {code} is {fmt(v)} {code}; that answers the question.",
                           f"{pct}% of the {d.fee} fee of {r['id']} is {fmt(v)} {code}.")

    def combine(self) -> Task:
        d = self.d
        a, b = self.pick(2)
        if self.rng.random() < 0.5:
            m = d.main
            while a[m.field] == b[m.field]:
                a, b = self.pick(2)
            if a[m.field] < b[m.field]:
                a, b = b, a
            self.question = self.say("How much greater is the {l} of {e} {a} than that of {e} {b}?",
                                     "By how many {u} does the {l} of {e} {a} exceed the {l} of {e} {b}?",
                                     l=m.label, e=d.entity, a=a["id"], b=b["id"], u=self.unit(m.unit))
            va, vb = self.run.step(f"I need the {m.label} of {a['id']} and of {b['id']}; the two lookups are "
                                   "independent.", [(self.tool("main"), {"ident": a["id"]}),
                                                    (self.tool("main"), {"ident": b["id"]})])
            (v,) = self.run.step(f"{a['id']} has {fmt(va)} {m.unit} and {b['id']} has {fmt(vb)} {m.unit}. Next I "
                                 f"subtract {fmt(vb)} from {fmt(va)}.",
                                 [("subtract_values", {"a": va, "b": vb})])
            return self.finish("combine", ["difference"], v, "number",
                               f"The difference is {fmt(v)} {m.unit}, which the question asks for.",
                               f"The {m.label} of {a['id']} exceeds that of {b['id']} by {fmt(v)} {m.unit}.")
        o = d.other
        self.question = self.say("What is the combined {l} of {e} {a} and {e} {b}?",
                                 "Add up the {l} of {e}s {a} and {b}.", l=o.label, e=d.entity, a=a["id"], b=b["id"])
        va, vb = self.run.step(f"I need the {o.label} of {a['id']} and of {b['id']}; both lookups are independent.",
                               [(self.tool("other"), {"ident": a["id"]}), (self.tool("other"), {"ident": b["id"]})])
        (v,) = self.run.step(f"They are {fmt(va)} and {fmt(vb)} {o.unit}. Next I add them.",
                             [("add_values", {"values": [va, vb]})])
        return self.finish("combine", ["sum", "similar_tools", "list_arg"], v, "number",
                           f"Together they have {fmt(v)} {o.unit}; that answers the question.",
                           f"The combined {o.label} is {fmt(v)} {o.unit}.")

    def parallel(self) -> Task:
        d = self.d
        if self.rng.random() < 0.5:
            rs, o = self.pick(3), d.other
            ids = [r["id"] for r in rs]
            self.question = self.say("What is the total {l} of {e}s {a}, {b} and {c}?",
                                     "Sum the {l} over the {e}s {a}, {b} and {c}.", l=o.label, e=d.entity, a=ids[0],
                                     b=ids[1], c=ids[2])
            values = self.run.step(f"I need the {o.label} of {', '.join(ids)}; the three lookups are independent, "
                                   "so I make them together.", [(self.tool("other"), {"ident": i}) for i in ids])
            (v,) = self.run.step(f"The values are {', '.join(fmt(x) for x in values)}. Next I add them in one call.",
                                 [("add_values", {"values": values})])
            return self.finish("parallel", ["list_arg", "sum"], v, "number",
                               f"The total is {fmt(v)} {o.unit}, which the question asks for.",
                               f"The total {o.label} of {', '.join(ids)} is {fmt(v)} {o.unit}.")
        a, b = self.pick(2)
        m = d.main
        if a[m.field] < b[m.field]:
            a, b = b, a
        self.question = self.say("How much larger is the {l} of {n1} than that of {n2}?",
                                 "Compare {n1} and {n2}: by how much does the {l} of the first exceed the second's?",
                                 l=m.label, n1=a["name"], n2=b["name"])
        ia, ib = self.run.step(f"I need the ids of {a['name']} and {b['name']}; the two lookups are independent.",
                               [(self.tool("find"), {"name": a["name"]}), (self.tool("find"), {"name": b["name"]})])
        va, vb = self.run.step(f"They are {ia} and {ib}. Next I get the {m.label} of both.",
                               [(self.tool("main"), {"ident": ia}), (self.tool("main"), {"ident": ib})])
        (v,) = self.run.step(f"{ia} has {fmt(va)} {m.unit} and {ib} has {fmt(vb)} {m.unit}. Next I subtract.",
                             [("subtract_values", {"a": va, "b": vb})])
        return self.finish("parallel", ["name_to_id", "difference"], v, "number",
                           f"The difference is {fmt(v)} {m.unit}; that answers the question.",
                           f"The {m.label} of {a['name']} is larger by {fmt(v)} {m.unit}.")

    def listing(self) -> Task:
        d, m = self.d, self.d.main
        cat = self.rng.choice(d.categories)
        in_cat = sorted(r[m.field] for r in self.records if r[d.category] == cat)
        label = d.category.replace("_", " ")
        if self.rng.random() < 0.5 and len(in_cat) >= 2:
            bound = in_cat[-1]  # the largest value: exactly one name, unless two share it
            if bound != in_cat[-2]:
                self.question = self.say("Which {c} {es} have a {l} of at least {x} {u}?",
                                         "List the {es} with {k} {c} and a {l} of {x} {u} or more.", c=cat,
                                         es=d.plural, l=m.label, x=bound, u=m.unit, k=label)
                (names,) = self.run.step(f"I need the {d.plural} with {label} {cat} and {m.label} at least {bound}; "
                                         "the list tool takes both filters.",
                                         [(self.tool("list"), {d.category: cat, f"min_{m.field}": bound})])
                if len(names) == 1:
                    return self.finish("list", ["enum_arg", "optional_arg", "list_result", "text_result"], names,
                                       "text", f"Only {names[0]} matches, which answers the question.",
                                       f"Only {names[0]} has a {m.label} of at least {bound} {m.unit}.")
                self.run.steps.clear()
        self.question = self.say("How many {c} {es} are there?", "Count the {es} whose {k} is {c}.",
                                 "How many {es} have {k} {c}?", c=cat, es=d.plural, k=label)
        (names,) = self.run.step(f"I need the {d.plural} with {label} {cat}; the list tool gives their names.",
                                 [(self.tool("list"), {d.category: cat})])
        return self.finish("list", ["enum_arg", "list_result"], len(names), "number",
                           f"The list has {len(names)} names: {', '.join(names)}. That answers the question.",
                           f"There are {len(names)} {cat} {d.plural}.", tolerance=0, abs_tol=0)

    def currency_task(self) -> Task:
        d, (r,) = self.d, self.pick()
        if self.rng.random() < 0.6:
            code, name = self.currency()
            self.question = self.say("How much is one {f} at {e} {i} in {c}?",
                                     "What does a {f} for {e} {i} cost in {c} ({cc})?",
                                     "Convert the {f} fee of {e} {i} to {cc}.", f=d.fee, e=d.entity, i=r["id"],
                                     c=name, cc=code)
            (rec,) = self.run.step(f"First I need the {d.fee} fee of {r['id']}, from its record; then I convert it "
                                   f"to {code}.", [(self.tool("get"), {"ident": r["id"]})])
            fee = self.fee_of(rec)
            (v,) = self.run.step(f"The fee is {fmt(fee)} {d.currency}. Next I convert {fmt(fee)} {d.currency} to "
                                 f"{code}.", [(self.tool("convert"), {"amount": fee, "to_currency": code})])
            return self.finish("currency", ["record_field", "currency", "enum_arg"], v, "number",
                               f"{fmt(fee)} {d.currency} is {fmt(v)} {code}, which the question asks for.",
                               f"One {d.fee} at {r['id']} costs {fmt(v)} {code}.")
        pct = self.rng.choice([5, 8, 10, 15, 20, 25, 35])
        self.question = self.say("What is a {p}% discount worth on the {f} fee of {e} {i}, in {lc}?",
                                 "How many {lc} is {p}% of the {f} fee at {e} {i}?", p=pct, f=d.fee, e=d.entity,
                                 i=r["id"], lc=d.currency)
        (rec,) = self.run.step(f"First I need the {d.fee} fee of {r['id']}, from its record.",
                               [(self.tool("get"), {"ident": r["id"]})])
        fee = self.fee_of(rec)
        (v,) = self.run.step(f"The fee is {fmt(fee)} {d.currency}. Next I take {pct}% of {fmt(fee)}.",
                             [("percent_of", {"percent": pct, "value": fee})])
        return self.finish("currency", ["record_field", "percent"], v, "number",
                           f"{pct}% of {fmt(fee)} is {fmt(v)} {d.currency}; that answers the question.",
                           f"A {pct}% discount is worth {fmt(v)} {d.currency}.")

    def nested(self) -> Task:
        d = self.d
        a, b = self.pick(2)
        na, nb = self.rng.randint(2, 9), self.rng.randint(1, 6)
        order = {a["id"]: na, b["id"]: nb}
        convert = self.rng.random() < 0.4
        code, name = self.currency()
        tail = f" in {name}" if convert else f" in {d.currency}"
        self.question = self.say("What is the total {f} fee for {na} {per}s at {e} {a} and {nb} {per}s at {e} {b}"
                                 "{tail}?", "Quote me {na} {per}s for {e} {a} plus {nb} for {e} {b}{tail}.",
                                 f=d.fee, na=na, nb=nb, per=d.fee_per, e=d.entity, a=a["id"], b=b["id"], tail=tail)
        (total,) = self.run.step(f"The quote tool takes the whole order as one object: {na} for {a['id']} and {nb} "
                                 f"for {b['id']}.", [(self.tool("quote"), {"order": order})])
        if not convert:
            return self.finish("nested", ["nested_arg"], total, "number",
                               f"The total is {fmt(total)} {d.currency}, which the question asks for.",
                               f"The total {d.fee} fee is {fmt(total)} {d.currency}.")
        (v,) = self.run.step(f"The total is {fmt(total)} {d.currency}. Next I convert {fmt(total)} to {code}.",
                             [(self.tool("convert"), {"amount": total, "to_currency": code})])
        return self.finish("nested", ["nested_arg", "currency"], v, "number",
                           f"{fmt(total)} {d.currency} is {fmt(v)} {code}; that answers the question.",
                           f"The total {d.fee} fee is {fmt(v)} {code}.")

    def no_tool(self) -> Task:
        pool = GENERAL[self.split]
        q, accepted, sentence = pool[self.index % len(pool)] if self.index is not None else self.rng.choice(pool)
        self.question = q
        return self.finish("no_tool", ["no_call"], accepted, "text",
                           "No tool is needed for this; I know the answer.", sentence)

    def error(self) -> Task:
        d = self.d
        known = {r["id"] for r in self.records}
        bad_id = next(f"{d.id_prefix}-{n}" for n in iter(lambda: self.rng.randint(100, 999), None)
                      if f"{d.id_prefix}-{n}" not in known)
        variant = self.rng.choice(["id", "name", "fee"])
        if variant == "name":
            bad = f"{self.rng.choice(['Morrow', 'Hadley', 'Brisket', 'Calder', 'Foxglove', 'Wendle'])} {d.name_noun}"
            self.question = self.say("What is the {l} of {n}?", "How big is the {l} of the {e} called {n}?",
                                     l=d.main.label, n=bad, e=d.entity)
            (err,) = self.run.step(f"First I need the id of {bad}.", [(self.tool("find"), {"name": bad})])
            what = f"the {d.main.label} of {bad}"
        elif variant == "fee":
            code, name = self.currency()
            self.question = self.say("How much is the {f} fee of {e} {i} in {c}?", f=d.fee, e=d.entity, i=bad_id,
                                     c=name)
            (err,) = self.run.step(f"First I need the record of {bad_id} for its fee.",
                                   [(self.tool("get"), {"ident": bad_id})])
            what = f"the {d.fee} fee of {bad_id}"
        else:
            self.question = self.say("What is the {l} of {e} {i}?", "{E} {i}: what is its {l}?", l=d.other.label,
                                     e=d.entity, E=d.entity.capitalize(), i=bad_id)
            (err,) = self.run.step(f"I need the {d.other.label} of {bad_id}.",
                                   [(self.tool("other"), {"ident": bad_id})])
            what = f"the {d.other.label} of {bad_id}"
        return self.finish("error", ["unknown_id"], NOT_AVAILABLE, "text",
                           f"The tool says: {err}. No other tool can give {what}, so the information is not "
                           "available.", f"Sorry, {what} is not available: the registry has no such {d.entity}.")


BUILDERS = {"single": Builder.single, "chain2": Builder.chain2, "chain3": Builder.chain3,
            "combine": Builder.combine, "parallel": Builder.parallel, "list": Builder.listing,
            "currency": Builder.currency_task, "nested": Builder.nested, "no_tool": Builder.no_tool,
            "error": Builder.error}


def partner_domain(split: str, domain: str) -> str:
    """The fixed distractor of a domain in the benchmark files: the next domain of its split. One tool
    set per domain keeps a run to one `batch` call (one model load and prompt prefill) per domain."""
    keys = SPLITS[split]
    return keys[(keys.index(domain) + 1) % len(keys)]


def build(rng: random.Random, split: str, kind: str, domain: str | None = None, fixed: bool = False,
          index: int | None = None) -> Task:
    """One task of a kind, on a domain of the split (random if not given), with one distractor domain
    of the same split: the fixed partner, or a random one (the adapter corpus, for variety)."""
    keys = SPLITS[split]
    domain = domain or rng.choice(keys)
    distractor = partner_domain(split, domain) if fixed else rng.choice([k for k in keys if k != domain])
    return BUILDERS[kind](Builder(rng, BY_KEY[domain], split, distractor, index))


def generate(split: str, per_kind: int, seed: int = 0) -> list[dict]:
    """Tasks balanced across kinds, domains cycled so each is used about equally."""
    rng = random.Random(f"{split}-{seed}")
    keys = SPLITS[split]
    lines, n = [], 0
    for kind in KINDS:
        for i in range(per_kind):
            task = build(rng, split, kind, keys[(n + i) % len(keys)], fixed=True, index=i)
            lines.append(task.record(f"{split}_{kind}_{i + 1:03d}", split))
        n += per_kind
    return lines


def followup(rng: random.Random, split: str, domain: str) -> dict:
    """A two-question conversation whose second question refers to the first answer ("that", "its").
    Both answers are executed; the second is the one scored."""
    b = Builder(rng, BY_KEY[domain], split, partner_domain(split, domain))
    d, (r,) = b.d, b.pick()
    (v,) = b.run.step("", [(b.tool("main"), {"ident": r["id"]})])
    first = b.say("What is the {l} of {e} {i}?", "Give me the {l} of {e} {i}.", l=d.main.label, e=d.entity,
                  i=r["id"])
    variant = rng.choice(["unit", "percent", "partner"])
    if variant == "unit":
        second = f"And what is that in {b.unit(d.main.alt_unit)}?"
        (answer,) = b.run.step("", [(b.tool("main"), {"ident": r["id"], "unit": d.main.alt_unit})])
        check = "number"
    elif variant == "percent":
        pct = rng.choice([10, 15, 20, 25, 40])
        second = b.say("What is {p}% of that?", "And {p} percent of it?", p=pct)
        (answer,) = b.run.step("", [("percent_of", {"percent": pct, "value": v})])
        check = "number"
    else:
        second = b.say("Who is its {p}?", "And which {p} does it have?", p=d.partner)
        (rec,) = b.run.step("", [(b.tool("get"), {"ident": r["id"]})])
        (partner,) = b.run.step("", [(b.tool("partner"), {"ident": rec[f"{d.partner_slug}_id"]})])
        answer, check = partner["name"], "text"
    line = {"questions": [first, second], "kind": f"followup_{variant}", "domain": domain, "split": split,
            "tools": b.tools, "answer": answer, "check": check,
            "expected": {"plan": [[[n, a] for n, a in s.calls] for s in b.run.steps],
                         "results": [s.results for s in b.run.steps]}}
    if check == "number":
        line.update(tolerance=0.01, abs_tol=0.006)
    return line


def generate_followups(split: str, n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(f"{split}-followups-{seed}")
    keys = SPLITS[split]
    return [{"id": f"{split}_followup_{i + 1:03d}", **followup(rng, split, keys[i % len(keys)])} for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", nargs="+", default=["validation", "test"], choices=list(SPLITS))
    ap.add_argument("--per-kind", type=int, default=0, help="tasks per kind (default: 8 validation, 12 test, "
                                                            "40 train)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", default=str(HERE / "data"))
    a = ap.parse_args()
    Path(a.out_dir).mkdir(parents=True, exist_ok=True)
    for split in a.split:
        lines = generate(split, a.per_kind or PER_KIND[split], a.seed)
        path = Path(a.out_dir) / f"{split}.jsonl"
        with open(path, "w") as fh:
            for line in lines:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        print(f"wrote {len(lines)} tasks to {path}", file=sys.stderr)
        if split != "train":
            path = Path(a.out_dir) / f"followups_{split}.jsonl"
            with open(path, "w") as fh:
                for line in generate_followups(split, FOLLOWUPS[split], a.seed):
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            print(f"wrote {FOLLOWUPS[split]} conversations to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
