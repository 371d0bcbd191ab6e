"""The engines behind one contract (base.Engine) and what loads them: profile to engine in
loader.py, model and adapter files, chat templates, grammars and prompt-state caches. Nothing here
knows the ReAct protocol; the loops in loop/ and code/loop.py use only the `Engine` contract."""
