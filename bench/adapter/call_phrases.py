"""Action text for calling-step examples: how a reasoning turn asks for calls it did not write as calls.

The loop hands the calling step only Actions that are not already valid calls, so these are the
other ways a small model writes them: plain sentences in the domain's words ("Get the beam range of
LH-438 in miles"), several like calls in one sentence, values named by where they came from ("the
fee in the record", "that station"), enum values as words (`unit="miles"`, "kodats"), numbers as
words, and calls with unquoted, positional or `key: value` arguments or a made-up argument name
(`loose_call`, from the schema alone). `no_fit` and `general_no_fit` write Actions no listed tool
fits. Used by make_calls.py; the expected calls never come from here, only their wording.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent / "tasks"))

import generate as G  # noqa: E402  (bench/tasks/generate.py)
from specs import BY_KEY, CURRENCIES, Domain  # noqa: E402

from slmreact_cli.prompts import format_call  # noqa: E402

ROLES = ["find", "get", "main", "other", "partner", "list", "convert", "quote"]
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
                10: "ten", 15: "fifteen", 20: "twenty", 25: "twenty-five", 30: "thirty", 35: "thirty-five",
                40: "forty"}
WRONG_NAMES = ["id", "query", "input", "value_", "key"]  # argument names a model makes up
SERVICES = ["Search the web for {what}.", "Send an email to {who} about {what}.", "Translate '{name}' into French.",
            "Book a visit to {name} for next Tuesday.", "Show a map of {name}.", "Set a reminder to check {name} "
            "tomorrow.", "Look up today's date.", "Post a message about {name} to the team chat.",
            "web_search(query=\"{what}\")", "send_email(to=\"{who}\", subject=\"{what}\")"]
MISSING_ARITHMETIC = ["Divide {a} by {b}.", "Take the square root of {a}.", "Round {a} to the nearest ten.",
                      "divide_values(a={a}, b={b})"]



def tidy(value):
    """A value as the target writes it: whole floats as integers, as the observations show them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tidy(v) for v in value]
    return value


def num(value) -> str:
    return G.fmt(tidy(value))


def listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def loose_call(rng: random.Random, name: str, args: dict) -> str | None:
    """A call written the way a small model gets it wrong: positional or `key: value` arguments with
    unquoted text, a list spread over positions, a made-up argument name, or words around it."""
    def raw(v):
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {num(c)}" for k, c in v.items()) + "}"
        if isinstance(v, list):
            return ", ".join(num(x) for x in v)
        return num(v) if isinstance(v, (int, float)) else str(v)

    forms = ["positional", "colon", "with", "words"]
    if len(args) == 1 and isinstance(next(iter(args.values())), str):
        forms.append("renamed")
    form = rng.choice(forms)
    if form == "positional":
        return f"{name}({', '.join(raw(v) for v in args.values())})"
    if form == "colon":
        return f"{name}({', '.join(f'{k}: {raw(v)}' for k, v in args.items())})"
    if form == "with":
        return f"Call {name} with " + listing([f"{k} {raw(v)}" for k, v in args.items()]) + "."
    if form == "words":
        return f"{name.replace('_', ' ')} for {listing([raw(v) for v in args.values()])}"
    (key, value), = args.items()
    return format_call(name, {rng.choice([w for w in WRONG_NAMES if w != key]): value})


class DomainPhrases:
    """Action text for calls of one domain's tools and the arithmetic tools, in a reasoning turn's words."""

    def __init__(self, rng: random.Random, d: Domain, split: str):
        self.rng, self.d = rng, d
        builder = G.Builder(random.Random(0), d, split, d.key)
        self.role = {builder.tool(r): r for r in ROLES}
        self.records = builder.records
        self.fee_key = f"{d.fee.replace(' ', '_').replace('-', '_')}_fee"

    def say(self, *forms: str, **values) -> str:
        return self.rng.choice(forms).format(**values)

    # ---- one call ----
    def call(self, name: str, args: dict, last: str) -> tuple[str, bool]:
        """(Action text, whether a value is given indirectly) for one call."""
        r = self.rng.random()
        referred = self.by_reference(name, args, last) if r < 0.4 else None
        if referred:
            return referred, True
        enum = self.enum_words(name, args) if 0.75 <= r < 0.88 else None
        if enum:
            return enum, True
        if r < 0.88:
            return self.words(name, args)
        return loose_call(self.rng, name, args), False

    def words(self, name: str, args: dict) -> tuple[str, bool]:
        d, role = self.d, self.role.get(name, name)
        if role == "find":
            return self.say("Find the id of {n}.", "Look up the {e} called {n}.", "Get the id of the {e} named {n}.",
                            "find {n}", n=args["name"], e=d.entity), False
        if role == "get":
            return self.say("Get the record of {e} {i}.", "Look up the full record of {i}.",
                            "Fetch the details of {e} {i}.", "record of {i}", e=d.entity, i=args["ident"]), False
        if role in ("main", "other"):
            m = d.main if role == "main" else d.other
            unit = args.get("unit")
            word = G.UNIT_WORDS.get(unit, unit) if unit else ""
            tail = f" in {word}" if unit else ""
            return self.say("Get the {l} of {e} {i}{t}.", "Look up the {l} of {i}{t}.", "{l} of {i}{t}",
                            "Find out the {l} of the {e} with id {i}{t}.", l=m.label, e=d.entity, i=args["ident"],
                            t=tail), bool(unit) and word != unit
        if role == "partner":
            return self.say("Look up {p} {i}.", "Get the record of {p} {i}.", "Fetch the details of {p} {i}.",
                            p=d.partner, i=args["ident"]), False
        if role == "list":
            cat = args[d.category]
            bound = args.get(f"min_{d.main.field}")
            if bound is None:
                return self.say("List the {c} {es}.", "Get the names of all {c} {es}.", "list {es} with {k} {c}",
                                c=cat, es=d.plural, k=d.category.replace("_", " ")), False
            return self.say("List the {c} {es} with a {l} of at least {x} {u}.",
                            "Get the {c} {es} whose {l} is {x} {u} or more.", c=cat, es=d.plural, l=d.main.label,
                            x=num(bound), u=d.main.unit), False
        if role == "convert":
            code = args["to_currency"]
            target, indirect = (CURRENCIES[code][0], True) if self.rng.random() < 0.6 else (code, False)
            return self.say("Convert {a} {c} to {t}.", "Change {a} {c} into {t}.", "How much is {a} {c} in {t}?",
                            a=num(args["amount"]), c=d.currency, t=target), indirect
        if role == "quote":
            (a, na), (b, nb) = list(args["order"].items())[:2]
            in_words = self.rng.random() < 0.4 and na in NUMBER_WORDS and nb in NUMBER_WORDS
            na, nb = (NUMBER_WORDS[na], NUMBER_WORDS[nb]) if in_words else (na, nb)
            return self.say("Quote {na} {per}s for {e} {a} and {nb} {per}s for {e} {b}.",
                            "Get a quote for {na} {per}s at {a} and {nb} at {b}.",
                            "Price an order of {na} {per}s at {e} {a} plus {nb} at {b}.",
                            na=na, nb=nb, per=d.fee_per, e=d.entity, a=a, b=b), in_words
        return self.arithmetic(name, args)

    def arithmetic(self, name: str, args: dict) -> tuple[str, bool]:
        if name == "add_values":
            return self.say("Add {v}.", "Sum {v}.", "Add up {v} in one call.", "Work out {v} added together.",
                            v=listing([num(x) for x in args["values"]])), False
        if name == "subtract_values":
            return self.say("Subtract {b} from {a}.", "Compute {a} minus {b}.", "Work out the difference {a} - {b}.",
                            a=num(args["a"]), b=num(args["b"])), False
        if name == "multiply_values":
            return self.say("Multiply {a} by {b}.", "Compute {a} times {b}.", a=num(args["a"]), b=num(args["b"])), False
        if name == "percent_of":
            p = tidy(args["percent"])
            if p in NUMBER_WORDS and self.rng.random() < 0.3:
                return f"Work out {NUMBER_WORDS[p]} percent of {num(args['value'])}.", True
            return self.say("Take {p}% of {v}.", "Work out {p} percent of {v}.", "Compute {p} per cent of {v}.",
                            p=num(p), v=num(args["value"])), False
        raise ValueError(f"no phrasing for {name}")

    def enum_words(self, name: str, args: dict) -> str | None:
        """A call whose enum value is written as a word, which the schema rejects."""
        d, role = self.d, self.role.get(name)
        if role == "main" and args.get("unit") and G.UNIT_WORDS.get(args["unit"], args["unit"]) != args["unit"]:
            return format_call(name, {**args, "unit": G.UNIT_WORDS[args["unit"]]})
        if role == "convert":
            return format_call(name, {**args, "to_currency": CURRENCIES[args["to_currency"]][0]})
        if role == "list":
            return format_call(name, {**args, d.category: args[d.category].capitalize()})
        return None

    def by_reference(self, name: str, args: dict, last: str) -> str | None:
        """The call with its value named by where it came from in the last observation."""
        d, role = self.d, self.role.get(name)
        try:
            record = json.loads(last) if last.startswith("{") else {}
        except ValueError:
            record = {}
        if role in ("main", "other", "get") and args.get("ident") == last:
            if role == "get":
                return self.say("Get the record of that {e}.", "Fetch its full record.", e=d.entity)
            m = d.main if role == "main" else d.other
            unit = args.get("unit")
            tail = f" in {G.UNIT_WORDS.get(unit, unit)}" if unit else ""
            return self.say("Get the {l} of that {e}{t}.", "Now look up its {l}{t}.", l=m.label, e=d.entity, t=tail)
        if role == "partner" and record.get(f"{d.partner_slug}_id") == args["ident"]:
            return self.say("Look up the {p} named in the record.", "Get the record of its {p}.", p=d.partner)
        if role == "convert":
            code = args["to_currency"]
            target = self.rng.choice([code, CURRENCIES[code][0]])
            if record.get(self.fee_key) == args["amount"]:
                return self.say("Convert the {f} fee from the record to {t}.", "Convert its {f} fee into {t}.",
                                f=d.fee, t=target)
            if last == num(args["amount"]):
                return self.say("Convert the total to {t}.", "Convert that amount to {t}.", t=target)
        if name == "percent_of":
            p = num(args["percent"])
            if record.get(self.fee_key) == args["value"]:
                return self.say("Take {p}% of the {f} fee in the record.", "Work out {p} percent of its {f} fee.",
                                p=p, f=d.fee)
            if last == num(args["value"]):
                return self.say("Take {p}% of that amount.", "Work out {p} percent of the result.", p=p)
        if name in ("add_values", "subtract_values"):
            values = args["values"] if name == "add_values" else [args["a"], args["b"]]
            shown = [line.rsplit(" -> ", 1)[-1] for line in last.splitlines()]
            if shown == [num(v) for v in values]:
                if name == "add_values":
                    return self.say("Add the {n} values above.", "Sum the results above in one call.",
                                    n=NUMBER_WORDS[len(values)])
                return self.say("Subtract the second value from the first.",
                                "Take the first result minus the second.")
        return None

    # ---- one step ----
    def merged(self, calls: list[tuple[str, dict]], last: str) -> tuple[str, bool] | None:
        """Several calls of one tool, differing in one value, asked for in one sentence."""
        names = {n for n, _ in calls}
        role = self.role.get(calls[0][0])
        if len(names) > 1 or role not in ("find", "main", "other"):
            return None
        d = self.d
        if role == "find":
            return self.say("Find the ids of {n}.", "Look up the ids of {n}.",
                            n=listing([a["name"] for _, a in calls])), False
        if any(set(a) != {"ident"} for _, a in calls):
            return None
        m = d.main if role == "main" else d.other
        ids = [a["ident"] for _, a in calls]
        if [line.rsplit(" -> ", 1)[-1] for line in last.splitlines()] == ids:
            return self.say("Get the {l} of both.", "Now get the {l} of each of them.", l=m.label), True
        return self.say("Get the {l} of {e}s {ids}.", "Look up the {l} of {ids}.", "{l} of {ids}",
                        l=m.label, e=d.entity, ids=listing(ids)), False

    def then(self, name: str, args: dict) -> str | None:
        """The next, dependent step as a reasoning turn announces it, without its values."""
        d, role = self.d, self.role.get(name)
        if role in ("main", "other"):
            return f"then get its {(d.main if role == 'main' else d.other).label}"
        return {"get": "then get its record", "partner": f"then look up its {d.partner}",
                "convert": f"then convert that to {args.get('to_currency')}",
                "percent_of": f"then take {num(args.get('percent', 0))}% of the result",
                "add_values": "then add the results", "subtract_values": "then subtract the second from the first",
                }.get(role or name)

    def no_fit(self, loaded: set[str], other_domains: list[str]) -> str:
        """An Action that no tool of the set does."""
        d = self.d
        record = self.rng.choice(self.records)
        choice = self.rng.random()
        if choice < 0.35:
            return self.rng.choice(SERVICES).format(what=f"news about {record['name']}", name=record["name"],
                                                    who=f"the {d.partner} of {record['id']}")
        if choice < 0.6:
            a, b = record[d.main.field], record[d.other.field]
            return self.rng.choice(MISSING_ARITHMETIC).format(a=num(a), b=num(b))
        if choice < 0.8:
            fee = num(record[self.fee_key])
            return self.say("Convert {a} {c} to US dollars.", "Change {a} {c} into euros (EUR).",
                            "convert_{s}_fee(amount={a}, to_currency=\"USD\")", a=fee, c=d.currency, s=d.slug)
        other = BY_KEY[self.rng.choice(other_domains)]
        name = f"get_{other.slug}"
        assert name not in loaded
        return self.say("{call}", "Use {n} for {i}.", call=format_call(name, {"ident": f"{other.id_prefix}-"
                                                                         f"{self.rng.randint(100, 999)}"}),
                        n=name, i=f"{other.id_prefix}-{self.rng.randint(100, 999)}")


def general_no_fit(rng: random.Random, question: str) -> str:
    """An Action that looks up general knowledge, which none of the tools hold."""
    q = question.rstrip("?!.")
    return rng.choice([f"Look up: {q}.", f"Search for the answer to '{question}'", f"search(query=\"{q}\")",
                       f"Find out {q[0].lower()}{q[1:]}.", "Look it up."])


