"""A tool using every JSON-schema type that tools use, for the grammar tests."""
from typing import Literal, Optional


def book_trip(city: str, nights: int, budget: float, refundable: bool, guests: list[str],
              extras: dict[str, int], room: Literal["single", "double", "suite"],
              note: Optional[str] = None) -> str:
    """Book a hotel stay.

    Args:
        city: Destination city.
        nights: Number of nights.
        budget: Maximum price per night in euros.
        refundable: Whether the booking must be refundable.
        guests: Names of the guests.
        extras: Extra items and how many of each, e.g. {"breakfast": 2}.
        room: The room type.
        note: An optional note for the hotel.
    """
    return f"booked {room} in {city}"
