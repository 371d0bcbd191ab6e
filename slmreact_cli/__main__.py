"""`python -m slmreact_cli`: the same Typer app as the `slmreact` command (cli.main)."""
from .cli import main

main()
