"""Unit conversion for length, area, mass, volume, time, speed and temperature."""

__all__ = ["convert_units"]

# Each unit maps to (dimension, factor to the dimension's base unit).
_UNITS = {
    "mm": ("length", 0.001), "cm": ("length", 0.01), "m": ("length", 1.0), "km": ("length", 1000.0),
    "in": ("length", 0.0254), "ft": ("length", 0.3048), "yd": ("length", 0.9144), "mi": ("length", 1609.344),
    "mg": ("mass", 1e-6), "g": ("mass", 0.001), "kg": ("mass", 1.0), "t": ("mass", 1000.0),
    "oz": ("mass", 0.028349523125), "lb": ("mass", 0.45359237),
    "ml": ("volume", 0.001), "l": ("volume", 1.0), "gal": ("volume", 3.785411784),
    "m/s": ("speed", 1.0), "km/h": ("speed", 1 / 3.6), "mph": ("speed", 0.44704),
    "s": ("time", 1.0), "min": ("time", 60.0), "h": ("time", 3600.0), "day": ("time", 86400.0),
    "week": ("time", 604800.0),
    "acre": ("area", 4046.8564224), "ha": ("area", 10000.0),
}
_LENGTH_NAMES = {"mm": "millimetre", "cm": "centimetre", "m": "metre", "km": "kilometre", "in": "inch",
                 "ft": "foot", "yd": "yard", "mi": "mile"}
# Square units from the lengths: "m2", also written m^2, m², sq m, square metre(s), square meter(s).
_UNITS.update({f"{u}2": ("area", _UNITS[u][1] ** 2) for u in _LENGTH_NAMES})
_ALIASES = {
    "meter": "m", "meters": "m", "metre": "m", "metres": "m", "kilometer": "km", "kilometers": "km",
    "kilometre": "km", "kilometres": "km", "centimeter": "cm", "centimeters": "cm", "millimeter": "mm",
    "millimeters": "mm", "inch": "in", "inches": "in", "foot": "ft", "feet": "ft", "yard": "yd", "yards": "yd",
    "mile": "mi", "miles": "mi", "gram": "g", "grams": "g", "kilogram": "kg", "kilograms": "kg", "tonne": "t",
    "tonnes": "t", "ounce": "oz", "ounces": "oz", "pound": "lb", "pounds": "lb", "lbs": "lb", "liter": "l",
    "liters": "l", "litre": "l", "litres": "l", "milliliter": "ml", "milliliters": "ml", "gallon": "gal",
    "gallons": "gal", "kph": "km/h", "celsius": "c", "fahrenheit": "f", "kelvin": "k",
    "millimetre": "mm", "millimetres": "mm", "centimetre": "cm", "centimetres": "cm", "millilitre": "ml",
    "millilitres": "ml", "miles per hour": "mph", "kilometres per hour": "km/h", "kilometers per hour": "km/h",
    "metres per second": "m/s", "meters per second": "m/s", "degrees celsius": "c", "degrees fahrenheit": "f",
    "sec": "s", "secs": "s", "second": "s", "seconds": "s", "mins": "min", "minute": "min", "minutes": "min",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "d": "day", "days": "day", "wk": "week", "weeks": "week",
    "acres": "acre", "hectare": "ha", "hectares": "ha",
}


def _square_aliases() -> dict[str, str]:
    aliases = {}
    for short, name in _LENGTH_NAMES.items():
        plural = {"inch": "inches", "foot": "feet"}.get(name, name + "s")
        for word in {name, plural, name.replace("metre", "meter"), plural.replace("metre", "meter")}:
            aliases[f"square {word}"] = f"{short}2"
        for form in (f"{short}^2", f"{short}²", f"sq {short}", f"sq. {short}", f"sq{short}"):
            aliases[form] = f"{short}2"
    return aliases


_ALIASES.update(_square_aliases())
_TEMPERATURES = ("c", "f", "k")


def _canonical(unit: str) -> str:
    key = " ".join(unit.lower().replace("°", "").split())
    key = _ALIASES.get(key, key)
    if key in _UNITS or key in _TEMPERATURES:
        return key
    raise ValueError(f"unknown unit {unit!r}; known units: {', '.join([*_UNITS, 'C', 'F', 'K'])}")


def _celsius(value: float, unit: str) -> float:
    return {"c": value, "f": (value - 32) * 5 / 9, "k": value - 273.15}[unit]


def convert_units(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a quantity between units of length, area, mass, volume, time, speed or temperature.

    Args:
        value: The amount to convert.
        from_unit: The unit of the amount, e.g. "km", "m2", "lb", "l", "h", "mph" or "C".
        to_unit: The unit to convert to, of the same dimension, e.g. "mi", "ft2", "kg", "gal", "min", "km/h" or "F".
    """
    source, target = _canonical(from_unit), _canonical(to_unit)
    if source in _TEMPERATURES and target in _TEMPERATURES:
        celsius = _celsius(value, source)
        return {"c": celsius, "f": celsius * 9 / 5 + 32, "k": celsius + 273.15}[target]
    if source in _TEMPERATURES or target in _TEMPERATURES or _UNITS[source][0] != _UNITS[target][0]:
        raise ValueError(f"cannot convert {from_unit} to {to_unit}: they measure different things")
    return value * _UNITS[source][1] / _UNITS[target][1]
