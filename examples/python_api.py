"""slmreact from Python: your own functions as tools, one answer as a record, and events as they come.

Run it with `python examples/python_api.py` (it loads the default model). The tools run in a
separate worker process, which imports this file again to find them: that is why everything that
runs lives under `if __name__ == "__main__":` at the end.
"""
from pathlib import Path

from slmreact import Agent, events

CALCULATOR = Path(__file__).resolve().parent.parent / "tools" / "calculator.py"  # a module, as with --tools

RATES = {("EUR", "JPY"): 162.4, ("USD", "EUR"): 0.92}


def get_exchange_rate(base: str, quote: str) -> float:
    """Return how many units of the quote currency one unit of the base currency buys.

    Args:
        base: Three-letter code of the currency converted from, e.g. "EUR".
        quote: Three-letter code of the currency converted to, e.g. "JPY".
    """
    if (base, quote) not in RATES:
        raise ValueError(f"no rate for {base} to {quote}; known: {', '.join(b + '/' + q for b, q in RATES)}")
    return RATES[(base, quote)]


def main(engine=None) -> None:
    """`engine` replaces the model (the tests pass a scripted one)."""
    with Agent(tools=[get_exchange_rate, str(CALCULATOR)], engine=engine) as agent:
        record = agent.ask("How many yen is 20 euros?")
        print("answer:", record["answer"])
        print("calls:", [call["name"] for step in record["steps"] for call in step["calls"]])

        for event in agent.stream("And how many euros is 50 US dollars?"):
            if isinstance(event, events.ToolCall):
                print(f"ran {event.name}({event.arguments}) -> {event.result or event.error}")
            elif isinstance(event, events.Answer):
                print("answer:", event.text)


if __name__ == "__main__":
    main()
