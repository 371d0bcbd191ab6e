"""Training tools for the reasoning adapter: fictional lookups, converters and calculators.

None of them is a tool of the dev set, the held-out sets or `tools/`: the adapter learns the loop's
habits (chain results, stop when the question is answered, report a failed lookup), not those tools.
The data is made up, so the model cannot answer from memory. Bad input raises ValueError.
"""
from __future__ import annotations

import ast
import datetime as _dt
import math
import operator

_HEIGHT_M = {"Mount Orrin": 4210, "Kestrel Peak": 3120, "Mount Hallow": 5876, "Greyspire": 2647, "Mount Tavel": 1893,
             "Ashcrown": 6321}
_RIVER_KM = {"Velda": 1284, "Sorrow Creek": 377, "Amberflow": 2416, "Tarn": 905, "Silverrun": 1562}
_TOWER_FT = {"Helix Tower": 1204, "Corbel House": 687, "Meridian Spire": 1552, "Lantern Hall": 433}
_ANIMAL_KG = {"glimmerfox": 7.4, "marsh ox": 612.0, "cliff hare": 2.9, "dune cat": 11.6, "river pony": 248.0}
_STOCK_USD = {"NVLX": 182.44, "QRTZ": 57.1, "BLMN": 311.9, "OKAP": 23.65, "TRVS": 96.2}
_EMPLOYEES = {"Brightwell": 5400, "Orland Mills": 820, "Caspia Labs": 12750, "Norvik Foods": 3310}
_CEO = {"Brightwell": "Dana Ferro", "Orland Mills": "Yusuf Amari", "Caspia Labs": "Lena Hart",
        "Norvik Foods": "Piet Koster"}
_SALARY = {"Dana Ferro": 412000, "Yusuf Amari": 268500, "Lena Hart": 530250, "Piet Koster": 198000,
           "Mara Quill": 84600, "Tomas Reyes": 71200}
_PRICE_PER_KG = {"saffron": 5200.0, "cardamom": 62.5, "walnuts": 14.2, "blue cheese": 23.8, "dates": 9.75}
_HOURLY = {"Mara Quill": 41.5, "Tomas Reyes": 33.25, "Ada Brun": 52.0, "Ivo Petran": 28.75}
_TEMP_C = {"Port Alder": 18.5, "Caldmere": -4.2, "Sunhollow": 31.7, "Brisk Harbor": 9.3, "Ostrava Vale": 22.1}
_CAPITAL = {"Veloria": "Ristan", "Quorland": "Bellhaven", "Sarnia Minor": "Oskel", "Tavoria": "Mirest"}
_AREA_KM2 = {"Veloria": 48210, "Quorland": 131600, "Sarnia Minor": 8930, "Tavoria": 71450}
_LAUNCH = {"Orbit X2": "2023-09-14", "Lumen Pad": "2024-02-03", "Nimbus 7": "2022-11-28", "Pebble Go": "2025-06-19"}
_PAGES = {"The Glass Orchard": 412, "North of Ember": 288, "A Map of Salt": 536, "Quiet Engines": 351}
_DISTANCE_KM = {frozenset({"Ristan", "Bellhaven"}): 742, frozenset({"Ristan", "Oskel"}): 318,
                frozenset({"Bellhaven", "Mirest"}): 1095, frozenset({"Oskel", "Mirest"}): 566}

_INVENTORY_KG = {"saffron": 3.5, "cardamom": 48.0, "walnuts": 310.0, "blue cheese": 76.5, "dates": 540.0}
_PARENT = {"Norvik Foods": "Brightwell", "Brightwell": "Caspia Labs", "Orland Mills": "Halcyon Trust",
           "Caspia Labs": "Halcyon Trust", "Pell & Daughters": "Orland Mills"}
_POINTS = {("SKY", "ORB"): 1.25, ("ORB", "SKY"): 0.8, ("ORB", "STR"): 0.4, ("STR", "ORB"): 2.5, ("SKY", "STR"): 0.5,
           ("STR", "SKY"): 2.0, ("SKY", "LUX"): 0.05, ("LUX", "ORB"): 30.0}
_LENGTH_M = {"m": 1.0, "km": 1000.0, "ft": 0.3048, "mi": 1609.344, "cm": 0.01, "in": 0.0254}
_WEIGHT_KG = {"kg": 1.0, "g": 0.001, "lb": 0.45359237, "oz": 0.028349523125, "t": 1000.0}


def _lookup(table: dict, key: str, what: str):
    for name, value in table.items():
        if name.lower() == key.strip().lower():
            return value
    raise ValueError(f"unknown {what}: {key!r}")


def get_mountain_height(mountain: str) -> float:
    """Return the height of a mountain in metres.

    Args:
        mountain: Name of the mountain, e.g. "Mount Orrin".
    """
    return _lookup(_HEIGHT_M, mountain, "mountain")


def get_river_length(river: str) -> float:
    """Return the length of a river in kilometres.

    Args:
        river: Name of the river, e.g. "Velda".
    """
    return _lookup(_RIVER_KM, river, "river")


def get_tower_height(tower: str) -> float:
    """Return the height of a tower in feet.

    Args:
        tower: Name of the tower, e.g. "Helix Tower".
    """
    return _lookup(_TOWER_FT, tower, "tower")


def get_animal_weight(animal: str) -> float:
    """Return the average weight of an animal species in kilograms.

    Args:
        animal: Common name of the species, e.g. "marsh ox".
    """
    return _lookup(_ANIMAL_KG, animal, "animal")


def get_stock_price(ticker: str) -> float:
    """Return the price of one share of a company, in US dollars.

    Args:
        ticker: The stock's ticker symbol: NVLX, QRTZ, BLMN, OKAP or TRVS.
    """
    if ticker.upper() not in _STOCK_USD:
        raise ValueError(f"unknown ticker: {ticker!r}; known: {', '.join(_STOCK_USD)}")
    return _STOCK_USD[ticker.upper()]


def get_employee_count(company: str) -> int:
    """Return how many people a company employs.

    Args:
        company: Name of the company, e.g. "Brightwell".
    """
    return _lookup(_EMPLOYEES, company, "company")


def get_ceo(company: str) -> str:
    """Return the name of a company's chief executive.

    Args:
        company: Name of the company, e.g. "Brightwell".
    """
    return _lookup(_CEO, company, "company")


def get_salary(person: str) -> float:
    """Return a person's yearly salary in US dollars.

    Args:
        person: Full name of the person, e.g. "Dana Ferro".
    """
    return _lookup(_SALARY, person, "person")


def get_price_per_kg(product: str) -> float:
    """Return the price of one kilogram of a food product, in US dollars.

    Args:
        product: Name of the product in lower case, e.g. "walnuts".
    """
    return _lookup(_PRICE_PER_KG, product, "product")


def get_hourly_wage(worker: str) -> float:
    """Return what a worker earns per hour, in US dollars.

    Args:
        worker: Full name of the worker, e.g. "Ada Brun".
    """
    return _lookup(_HOURLY, worker, "worker")


def get_temperature(city: str) -> float:
    """Return the current temperature in a city, in degrees Celsius.

    Args:
        city: Name of the city, e.g. "Port Alder".
    """
    return _lookup(_TEMP_C, city, "city")


def get_capital(country: str) -> str:
    """Return the capital city of a country.

    Args:
        country: Name of the country, e.g. "Veloria".
    """
    return _lookup(_CAPITAL, country, "country")


def get_country_area(country: str) -> float:
    """Return the land area of a country in square kilometres.

    Args:
        country: Name of the country, e.g. "Veloria".
    """
    return _lookup(_AREA_KM2, country, "country")


def get_launch_date(product: str) -> str:
    """Return the date a product went on sale, as YYYY-MM-DD.

    Args:
        product: Name of the product, e.g. "Orbit X2".
    """
    return _lookup(_LAUNCH, product, "product")


def get_page_count(title: str) -> int:
    """Return the number of pages of a book.

    Args:
        title: Title of the book, e.g. "Quiet Engines".
    """
    return _lookup(_PAGES, title, "book")


def get_inventory(product: str) -> float:
    """Return how many kilograms of a food product the warehouse holds.

    Args:
        product: Name of the product in lower case, e.g. "walnuts".
    """
    return _lookup(_INVENTORY_KG, product, "product")


def get_parent_company(company: str) -> str:
    """Return the name of the company that owns a company.

    Args:
        company: Name of the company, e.g. "Norvik Foods".
    """
    return _lookup(_PARENT, company, "company")


def get_points_rate(program_from: str, program_to: str) -> float:
    """Return how many points of one loyalty program one point of another program converts to.

    Args:
        program_from: Code of the program converted from: SKY, ORB, STR or LUX.
        program_to: Code of the program converted to: SKY, ORB, STR or LUX.
    """
    codes = {"SKY", "ORB", "STR", "LUX"}
    for code in (program_from, program_to):
        if code.upper() not in codes:
            raise ValueError(f"unknown program: {code!r}; known: {', '.join(sorted(codes))}")
    key = (program_from.upper(), program_to.upper())
    if key not in _POINTS:
        raise ValueError(f"no conversion from {program_from} to {program_to}")
    return _POINTS[key]


def get_road_distance(city_a: str, city_b: str) -> float:
    """Return the road distance between two cities in kilometres.

    Args:
        city_a: One city, e.g. "Ristan".
        city_b: The other city, e.g. "Oskel".
    """
    key = frozenset({city_a.strip().title(), city_b.strip().title()})
    if key not in _DISTANCE_KM:
        raise ValueError(f"no road distance known between {city_a!r} and {city_b!r}")
    return _DISTANCE_KM[key]


def convert_length(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a length from one unit to another.

    Args:
        value: The length to convert.
        from_unit: Unit of the value: m, km, ft, mi, cm or in.
        to_unit: Unit wanted: m, km, ft, mi, cm or in.
    """
    for unit in (from_unit, to_unit):
        if unit not in _LENGTH_M:
            raise ValueError(f"unknown length unit: {unit!r}; known: {', '.join(_LENGTH_M)}")
    return round(value * _LENGTH_M[from_unit] / _LENGTH_M[to_unit], 4)


def convert_weight(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a weight from one unit to another.

    Args:
        value: The weight to convert.
        from_unit: Unit of the value: kg, g, lb, oz or t.
        to_unit: Unit wanted: kg, g, lb, oz or t.
    """
    for unit in (from_unit, to_unit):
        if unit not in _WEIGHT_KG:
            raise ValueError(f"unknown weight unit: {unit!r}; known: {', '.join(_WEIGHT_KG)}")
    return round(value * _WEIGHT_KG[from_unit] / _WEIGHT_KG[to_unit], 4)


def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert a temperature from degrees Celsius to degrees Fahrenheit.

    Args:
        celsius: The temperature in degrees Celsius.
    """
    return round(celsius * 9 / 5 + 32, 2)


def add_weeks(date: str, weeks: int) -> str:
    """Return the date a number of weeks after a given date.

    Args:
        date: Starting date, as YYYY-MM-DD.
        weeks: Number of weeks to add; may be negative.
    """
    try:
        start = _dt.date.fromisoformat(date)
    except ValueError:
        raise ValueError(f"not a YYYY-MM-DD date: {date!r}") from None
    return (start + _dt.timedelta(weeks=weeks)).isoformat()


def weeks_between(start: str, end: str) -> float:
    """Return the number of weeks from one date to another, to two decimals.

    Args:
        start: First date, as YYYY-MM-DD.
        end: Second date, as YYYY-MM-DD.
    """
    try:
        a, b = _dt.date.fromisoformat(start), _dt.date.fromisoformat(end)
    except ValueError:
        raise ValueError(f"dates must be YYYY-MM-DD: {start!r}, {end!r}") from None
    return round((b - a).days / 7, 2)


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.Mod: operator.mod, ast.USub: operator.neg}


def _arith(node):
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.left), _arith(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.operand))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sqrt" and len(node.args) == 1:
        return math.sqrt(_arith(node.args[0]))
    raise ValueError("only numbers, + - * / ** %, parentheses and sqrt() are allowed")


def _evaluate(expression: str) -> float:
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None
    value = _arith(tree)
    return round(value, 6) if isinstance(value, float) else value


def evaluate(expression: str) -> float:
    """Evaluate an arithmetic expression.

    Args:
        expression: Numbers with + - * / ** %, parentheses and sqrt(), e.g. "(12 + 3) * 4".
    """
    return _evaluate(expression)


def calc(expr: str) -> float:
    """Compute the value of a math expression.

    Args:
        expr: The expression, e.g. "2 * (7 + 5)".
    """
    return _evaluate(expr)


def sum_of(a: float, b: float) -> float:
    """Return a + b.

    Args:
        a: First number.
        b: Second number.
    """
    return round(a + b, 6)


def difference(a: float, b: float) -> float:
    """Return a - b.

    Args:
        a: The number to subtract from.
        b: The number to subtract.
    """
    return round(a - b, 6)


def product(a: float, b: float) -> float:
    """Return a * b.

    Args:
        a: First factor.
        b: Second factor.
    """
    return round(a * b, 6)


def quotient(a: float, b: float) -> float:
    """Return a / b.

    Args:
        a: The dividend.
        b: The divisor, not zero.
    """
    if b == 0:
        raise ValueError("division by zero")
    return round(a / b, 6)
