"""Write one tool module per domain of specs.py into bench/tasks/domains/.

The data is made up and deterministic (each domain seeds its own generator with its key), so the
modules are the same on every run. Every module has the same eight kinds of tool, named after its
entity so that several modules load side by side:

    find_<entity>(name)                              the id of a named entity
    get_<entity>(<entity>_id)                        the full record (its partner id feeds the next call)
    get_<entity>_<main>(<entity>_id, unit=...)       the main quantity, in either of two units (enum, optional)
    get_<entity>_<other>(<entity>_id)                a similar quantity (a tool to tell apart from the one above)
    get_<partner>(<partner>_id)                      the linked record
    list_<entities>(<category>, min_<main>=None)     names matching an enum and an optional bound
    convert_<entity>_fee(amount, to_currency)        the local fictional currency into another
    quote_<entities>(order)                          the fee for a nested {id: count} object

Unknown ids and names raise ValueError with a message the model can read.

Usage: python bench/tasks/build_domains.py   (rewrites bench/tasks/domains/*.py)
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from specs import CURRENCIES, DOMAINS, Domain, Measure  # noqa: E402

ENTITIES = 8
PARTNERS = 5
WORDS = ["Amber", "Brine", "Cobalt", "Dusk", "Ember", "Fallow", "Gull", "Harrow", "Iris", "Juniper", "Kestrel",
         "Lattice", "Marrow", "Nettle", "Orrery", "Pewter", "Quarry", "Rook", "Saltmarsh", "Thistle", "Umber",
         "Vesper", "Wicker", "Yarrow", "Zephyr", "Bracken", "Cinder", "Drift", "Ferrow", "Gannet", "Hollin",
         "Inkwell", "Jasper", "Kelp", "Lodestar", "Mistral", "Northwick", "Oakum", "Pellam", "Quill", "Ravel",
         "Sorrel", "Tamber", "Undertow", "Veldt", "Wrenna", "Yewdale", "Zinnia"]
FIRST = ["Alder", "Brisa", "Corin", "Delphine", "Esko", "Fenna", "Gideon", "Halla", "Ilse", "Joram", "Kaia", "Linus",
         "Mirela", "Nils", "Odette", "Pavo", "Quenby", "Rasmus", "Selka", "Tobin", "Ulla", "Vesna", "Wystan", "Yara"]
LAST = ["Ashgrove", "Brenning", "Calloway", "Dunmore", "Eskildsen", "Fairweather", "Grisell", "Holloway", "Imbert",
        "Jesperin", "Kettleby", "Lundqvist", "Marchetti", "Norwood", "Oyelaran", "Pennick", "Quartermain", "Rosswell",
        "Strand", "Thorvald", "Underhill", "Vanterpool", "Whitlock", "Zellweger"]
OBJECTS = ["Northern Star", "Grey Heron", "Saltwind", "Morning Tide", "Copper Kettle", "Silver Wake", "Blue Lantern"]


def _value(rng: random.Random, m: Measure) -> float | int:
    v = rng.uniform(m.low, m.high)
    return int(round(v)) if m.decimals == 0 else round(v, m.decimals)


def make_data(d: Domain) -> tuple[dict, dict, dict]:
    """(entities, partners, rates): records keyed by id, and the local currency's rates."""
    rng = random.Random(d.key)
    partner_ids = [f"{d.partner_prefix}-{n}" for n in rng.sample(range(10, 99), PARTNERS)]
    if d.partner_kind == "person":
        people = rng.sample([(f, l) for f in FIRST for l in LAST], PARTNERS)
        partner_names = [f"{f} {l}" for f, l in people]
    else:
        partner_names = rng.sample(OBJECTS, PARTNERS)
    partners = {pid: {"id": pid, "name": name, d.partner_measure.field: _value(rng, d.partner_measure)}
                for pid, name in zip(partner_ids, partner_names)}
    words = rng.sample(WORDS, ENTITIES)
    ids = [f"{d.id_prefix}-{n}" for n in rng.sample(range(100, 999), ENTITIES)]
    entities = {}
    for i, (eid, word) in enumerate(zip(ids, words)):
        entities[eid] = {"id": eid, "name": f"{word} {d.name_noun}", d.category: d.categories[i % len(d.categories)],
                         d.main.field: _value(rng, d.main), d.other.field: _value(rng, d.other),
                         f"{d.partner_slug}_id": partner_ids[i % PARTNERS],
                         f"{d.fee.replace(' ', '_').replace('-', '_')}_fee": round(rng.uniform(4, 400), 2),
                         "fee_currency": d.currency}
    standard = CURRENCIES[d.currency][1]
    rates = {code: round(per / standard, 6) for code, (_, per) in CURRENCIES.items()}
    return entities, partners, rates


def fee_key(d: Domain) -> str:
    return f"{d.fee.replace(' ', '_').replace('-', '_')}_fee"


def _literal(values) -> str:
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"


def render(d: Domain) -> str:
    entities, partners, rates = make_data(d)
    e, es, p, m, o, pm = d.slug, d.plural_slug, d.partner_slug, d.main, d.other, d.partner_measure
    cur_name = CURRENCIES[d.currency][0]
    example_id, example_name = next(iter(entities)), next(iter(entities.values()))["name"]
    example_pid = next(iter(partners))
    tools = [f"find_{e}", f"get_{e}", f"get_{e}_{m.field}", f"get_{e}_{o.field}", f"get_{p}", f"list_{es}",
             f"convert_{e}_fee", f"quote_{es}"]
    units = _literal([m.unit, m.alt_unit])
    return f'''"""{d.title}: fictional {d.plural}, their {d.partner}s and {d.fee} fees.

Generated by bench/tasks/build_domains.py from specs.py; the data is made up. Fees are in
{cur_name} ({d.currency}). Unknown ids and names raise ValueError.
"""
from __future__ import annotations

from typing import Literal

__all__ = {tools!r}

_{es.upper()} = {entities!r}
_{p.upper()}S = {partners!r}
# One {d.currency} in each currency.
_RATES = {rates!r}
_FACTOR = {m.factor!r}  # {m.alt_unit} per {m.unit}


def _{e}(ident: str) -> dict:
    record = _{es.upper()}.get(ident.strip().upper())
    if record is None:
        raise ValueError(f"unknown {d.entity} id: {{ident!r}}")
    return record


def find_{e}(name: str) -> str:
    """Look up the id of a {d.entity} by its name.

    Args:
        name: The {d.entity}'s name, e.g. "{example_name}".
    """
    for ident, record in _{es.upper()}.items():
        if record["name"].lower() == name.strip().lower():
            return ident
    raise ValueError(f"no {d.entity} named {{name!r}}")


def get_{e}(ident: str) -> dict:
    """The full record of a {d.entity}: id, name, {d.category.replace('_', ' ')}, {m.label} ({m.unit}), {o.label} ({o.unit}), the id of its {d.partner}, and the {d.fee} fee per {d.fee_per} in {d.currency}.

    Args:
        ident: The {d.entity} id, e.g. "{example_id}".
    """
    return dict(_{e}(ident))


def get_{e}_{m.field}(ident: str, unit: {units} = {m.unit!r}) -> float:
    """The {m.label} of a {d.entity}, in {m.unit} or {m.alt_unit}.

    Args:
        ident: The {d.entity} id, e.g. "{example_id}".
        unit: The unit of the result ({m.unit} if not given).
    """
    value = _{e}(ident)["{m.field}"]
    return value if unit == {m.unit!r} else round(value * _FACTOR, 2)


def get_{e}_{o.field}(ident: str) -> float:
    """The {o.label} of a {d.entity}, in {o.unit}.

    Args:
        ident: The {d.entity} id, e.g. "{example_id}".
    """
    return _{e}(ident)["{o.field}"]


def get_{p}(ident: str) -> dict:
    """The record of a {d.partner}: id, name and {pm.label} ({pm.unit}).

    Args:
        ident: The {d.partner} id, e.g. "{example_pid}".
    """
    record = _{p.upper()}S.get(ident.strip().upper())
    if record is None:
        raise ValueError(f"unknown {d.partner} id: {{ident!r}}")
    return dict(record)


def list_{es}({d.category}: {_literal(d.categories)}, min_{m.field}: float | None = None) -> list[str]:
    """The names of the {d.plural} of one {d.category.replace('_', ' ')}, optionally only those whose {m.label} is at least a bound.

    Args:
        {d.category}: The {d.category.replace('_', ' ')} to list.
        min_{m.field}: Smallest {m.label} to include, in {m.unit}; all if not given.
    """
    return [r["name"] for r in _{es.upper()}.values() if r["{d.category}"] == {d.category}
            and (min_{m.field} is None or r["{m.field}"] >= min_{m.field})]


def convert_{e}_fee(amount: float, to_currency: {_literal(list(rates))}) -> float:
    """Convert an amount of {cur_name} ({d.currency}), the currency of {d.entity} fees, into another currency.

    Args:
        amount: The amount in {d.currency}.
        to_currency: The currency code to convert to.
    """
    return round(amount * _RATES[to_currency], 2)


def quote_{es}(order: dict[str, int]) -> float:
    """The total {d.fee} fee, in {d.currency}, for an order of several {d.plural}.

    Args:
        order: For each {d.entity} id, the number of {d.fee_per}s, e.g. {{"{example_id}": 2}}.
    """
    return round(sum(_{e}(ident)["{fee_key(d)}"] * count for ident, count in order.items()), 2)
'''


def main() -> None:
    out = HERE / "domains"
    out.mkdir(exist_ok=True)
    (out / "__init__.py").write_text('"""Generated tool modules, one per domain (see ../build_domains.py)."""\n')
    for d in DOMAINS:
        (out / f"{d.key}.py").write_text(render(d))
    print(f"wrote {len(DOMAINS)} modules to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
