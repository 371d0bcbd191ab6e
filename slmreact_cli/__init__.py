"""slmreact: a command-line ReAct agent that answers questions with a small local model and the user's
Python functions. The entry point is `cli.main` (also `python -m slmreact_cli`); the map of the
modules is docs/architecture.md. Importing the package loads nothing: no model, no tools."""
