"""Code mode: the model writes a short Python program that calls the tools as functions; a small
interpreter of our own runs it (interpreter.py), and the loop (loop.py) turns it into the usual events."""
