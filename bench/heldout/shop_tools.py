"""Held-out tools for checking that the agent's methods carry over: a small shop and its staff.

Deterministic, offline, fictional on purpose (a model cannot answer from memory). Bad input raises
ValueError with a readable message.
"""

_STOCK = {"lantern": 42, "rope": 130, "compass": 17, "tent": 9, "kettle": 56}
_PRICE = {"lantern": 18.5, "rope": 4.25, "compass": 31.0, "tent": 149.0, "kettle": 22.75}
_MANAGER = {"Ines": "Tomasz", "Tomasz": "Aiko", "Aiko": "Rafael", "Bruno": "Aiko"}
_DISCOUNT = {"SPRING10": 10, "LOYAL25": 25}


def _item(table: dict, item: str):
    if item.lower() not in table:
        raise ValueError(f"unknown item: {item!r}; known: {', '.join(sorted(table))}")
    return table[item.lower()]


def get_stock(item: str) -> int:
    """Return how many units of an item the shop has in stock.

    Args:
        item: The item's name in lower case, e.g. "rope".
    """
    return _item(_STOCK, item)


def get_price(item: str) -> float:
    """Return the price of one unit of an item, in dollars.

    Args:
        item: The item's name in lower case, e.g. "rope".
    """
    return _item(_PRICE, item)


def get_manager(employee: str) -> str:
    """Return the name of an employee's direct manager.

    Args:
        employee: The employee's first name, e.g. "Bruno".
    """
    if employee.title() not in _MANAGER:
        raise ValueError(f"no manager on record for {employee!r}")
    return _MANAGER[employee.title()]


def discount_percent(code: str) -> int:
    """Return the discount, in per cent, that a voucher code gives.

    Args:
        code: The voucher code, e.g. "SPRING10".
    """
    if code.upper() not in _DISCOUNT:
        raise ValueError(f"invalid voucher code: {code!r}")
    return _DISCOUNT[code.upper()]


def multiply(a: float, b: float) -> float:
    """Multiply two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a * b


def subtract(a: float, b: float) -> float:
    """Subtract the second number from the first.

    Args:
        a: The number to subtract from.
        b: The number to subtract.
    """
    return a - b
