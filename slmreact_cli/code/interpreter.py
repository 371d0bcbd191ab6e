"""Runs the model's program by walking its syntax tree; nothing reaches `exec` or `eval`.

Allowed: assignments, arithmetic, comparisons, `if`, `for` over bounded ranges and data, `break`
and `continue`, comprehensions, f-strings, subscripts, chosen methods of plain data (values.py),
`math` (its members also by bare name: `sqrt(2)`), a short list of builtins, `def` and `lambda` of names that are not tools, and calls of the
registered tools, which go back to the caller (`call_tool`) and from there to the worker process.
Refused before anything runs: see refusals.py. Bounded: evaluated nodes, the program's own time,
printed text, tool calls per program, and the size of numbers, strings and lists.

Variables persist from one program to the next (one Interpreter per question), so a later step
can use what an earlier one computed.

Why not smolagents' LocalPythonExecutor: it runs tools as in-process callables rather than in the
worker, allows `while`, classes, `try`, several imported modules and any non-dunder attribute of
any object, stops a timed-out program by abandoning its thread, and brings dependencies
(huggingface-hub, requests, pillow) the CLI does not otherwise need. The surface needed here is
small enough to walk ourselves, with every reachable callable handed out explicitly.
"""
from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .refusals import refusal
from .values import (BINARY_OPERATORS, COMPARISONS, UNARY_OPERATORS, Builtin, Limits, LimitReached, MathModule,
                     ProgramError, SafeCallable, binary_op, check_format_spec, check_text_size, check_value, method)

ToolCaller = Callable[[str, dict], Any]  # (tool name, arguments) -> value; raises ProgramError on failure


@dataclass
class RunResult:
    output: str = ""  # what the program printed
    value: str | None = None  # the final expression's value, when it is not None
    error: str | None = None  # "line N: Kind: message"
    assigned: dict[str, str] = field(default_factory=dict)  # names the program set, shown when it prints nothing
    truncated: bool = False


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


class Scope:
    def __init__(self, parent: Scope | None = None):
        self.vars: dict[str, Any] = {}
        self.parent = parent

    def find(self, name: str) -> Scope | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope
            scope = scope.parent
        return None


class ToolFunction(SafeCallable):
    """A tool as a Python function: positional arguments take the schema's parameter order."""

    def __init__(self, name: str, params: list[str], interpreter: Interpreter):
        self.name, self.params, self.interpreter = name, params, interpreter

    def __call__(self, *args, **kwargs):
        if len(args) > len(self.params):
            raise ProgramError(f"TypeError: {self.name}() takes {len(self.params)} argument(s) "
                               f"({', '.join(self.params)}), {len(args)} given")
        arguments = dict(zip(self.params, args))
        for key, value in kwargs.items():
            if key in arguments:
                raise ProgramError(f"TypeError: {self.name}() got two values for {key}")
            arguments[key] = value
        for key, value in arguments.items():
            if value is Ellipsis:
                raise ProgramError(f"{key}=... is a placeholder, not a value: call {self.name} with real values")
            if isinstance(value, SafeCallable):
                raise ProgramError(f"TypeError: {key} of {self.name} is a function; call it and pass its result")
        return self.interpreter.call_tool(self.name, arguments)


class UserFunction(SafeCallable):
    """A `def` or `lambda` of the program, run by the interpreter when called (also from sorted, map)."""

    def __init__(self, name: str, args: ast.arguments, body: list[ast.stmt] | ast.expr, scope: Scope,
                 interpreter: Interpreter):
        self.name, self.args, self.body, self.scope, self.interpreter = name, args, body, scope, interpreter
        defaults = [interpreter.eval(d, scope) for d in args.defaults]
        self.positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        self.defaults = dict(zip(self.positional[len(self.positional) - len(defaults):], defaults))
        self.keyword_only = {a.arg: (interpreter.eval(d, scope) if d is not None else None)
                             for a, d in zip(args.kwonlyargs, args.kw_defaults)}
        if args.vararg or args.kwarg:
            raise ProgramError(f"*args and **kwargs are not available in {name}")

    def _bind(self, args: tuple, kwargs: dict) -> Scope:
        if len(args) > len(self.positional):
            raise ProgramError(f"TypeError: {self.name}() takes {len(self.positional)} positional argument(s), "
                               f"{len(args)} given")
        local = Scope(self.scope)
        local.vars.update(zip(self.positional, args))
        for key, value in kwargs.items():
            if key not in self.positional and key not in self.keyword_only:
                raise ProgramError(f"TypeError: {self.name}() got an unexpected argument {key!r}")
            local.vars[key] = value
        for key, value in [*self.defaults.items(), *self.keyword_only.items()]:
            local.vars.setdefault(key, value)
        missing = [p for p in [*self.positional, *self.keyword_only] if p not in local.vars]
        if missing:
            raise ProgramError(f"TypeError: {self.name}() is missing {', '.join(missing)}")
        return local

    def __call__(self, *args, **kwargs):
        interpreter = self.interpreter
        if interpreter.depth >= interpreter.limits.call_depth:
            raise LimitReached(f"calls nested deeper than {interpreter.limits.call_depth}")
        local = self._bind(args, kwargs)
        interpreter.depth += 1
        try:
            if isinstance(self.body, ast.expr):
                return interpreter.eval(self.body, local)
            try:
                interpreter.run_block(self.body, local)
            except _Return as ret:
                return ret.value
            return None
        finally:
            interpreter.depth -= 1


class Interpreter:
    def __init__(self, tools: dict[str, list[str]], call_tool: ToolCaller, limits: Limits = Limits()):
        """`tools`: each tool's parameter names in order; `call_tool` runs one call and returns its value."""
        self.limits = limits
        self._call_tool = call_tool
        self.tools = {name: ToolFunction(name, params, self) for name, params in tools.items()}
        self.math = MathModule(limits)
        self.globals = Scope()
        self.builtins = self._builtins()
        self.depth = 0
        self._reset_counters()

    # ---- running a program ------------------------------------------------------------------------
    def run(self, source: str) -> RunResult:
        """Run one program; every failure, ours or the program's, ends up in `RunResult.error`."""
        self._reset_counters()
        result = self._result = RunResult()
        try:
            tree = ast.parse(source, mode="exec")
        except SyntaxError as exc:
            line = (exc.text or "").strip()
            result.error = f"line {exc.lineno}: SyntaxError: {exc.msg}" + (f": {line}" if line else "")
            return result
        except (ValueError, RecursionError, MemoryError) as exc:
            result.error = f"SyntaxError: the program cannot be parsed ({type(exc).__name__})"
            return result
        refused = refusal(tree, set(self.tools))
        if refused:
            result.error = refused
            return result
        body = tree.body
        try:
            if body and isinstance(body[-1], ast.Expr):
                self.run_block(body[:-1], self.globals)
                self.line = body[-1].lineno
                value = self.eval(body[-1].value, self.globals)
                if value is not None:
                    result.value = value if isinstance(value, str) else repr(value)
            else:
                self.run_block(body, self.globals)
        except (_Break, _Continue):
            result.error = f"line {self.line}: SyntaxError: break or continue outside a loop"
        except _Return:
            result.error = f"line {self.line}: SyntaxError: return outside a function"
        except ProgramError as exc:
            result.error = f"line {self.line}: {exc}"
        except RecursionError:
            result.error = f"line {self.line}: the program is nested too deeply"
        except Exception as exc:  # the program's own error (ZeroDivisionError, KeyError, ...)
            message = str(exc).strip()
            result.error = f"line {self.line}: {type(exc).__name__}" + (f": {message}" if message else "")
        if not result.output and result.value is None and result.error is None:
            result.assigned = {n: _short_repr(self.globals.vars[n]) for n in self._assigned
                               if n in self.globals.vars and not isinstance(self.globals.vars[n], SafeCallable)}
        return result

    def _reset_counters(self) -> None:
        self.operations = 0
        self.tool_calls = 0
        self.tool_seconds = 0.0
        self.started = time.perf_counter()
        self.line = 0
        self.depth = 0
        self._assigned: list[str] = []

    def _tick(self) -> None:
        self.operations += 1
        if self.operations > self.limits.operations:
            raise LimitReached(f"the program took more than {self.limits.operations} steps; "
                               "loop over less data or split the work")
        if self.operations % 256 == 0:
            own = time.perf_counter() - self.started - self.tool_seconds
            if own > self.limits.seconds:
                raise LimitReached(f"the program ran longer than {self.limits.seconds:g} s")

    def call_tool(self, name: str, arguments: dict) -> Any:
        if self.tool_calls >= self.limits.tool_calls:
            raise LimitReached(f"more than {self.limits.tool_calls} tool calls in one program")
        self.tool_calls += 1
        start = time.perf_counter()
        try:
            return self._call_tool(name, arguments)
        finally:
            self.tool_seconds += time.perf_counter() - start

    # ---- statements -------------------------------------------------------------------------------
    def run_block(self, body: list[ast.stmt], scope: Scope) -> None:
        for statement in body:
            self.exec(statement, scope)

    def exec(self, node: ast.stmt, scope: Scope) -> None:
        self._tick()
        self.line = getattr(node, "lineno", self.line)
        handler = getattr(self, f"_exec_{type(node).__name__}", None)
        if handler is None:
            raise ProgramError(f"{type(node).__name__} statements are not available")
        handler(node, scope)

    def _exec_Expr(self, node: ast.Expr, scope: Scope) -> None:
        self.eval(node.value, scope)

    def _exec_Assign(self, node: ast.Assign, scope: Scope) -> None:
        value = self.eval(node.value, scope)
        for target in node.targets:
            self.assign(target, value, scope)

    def _exec_AnnAssign(self, node: ast.AnnAssign, scope: Scope) -> None:
        if node.value is not None:
            self.assign(node.target, self.eval(node.value, scope), scope)

    def _exec_AugAssign(self, node: ast.AugAssign, scope: Scope) -> None:
        if isinstance(node.target, ast.Name):
            current = self._load_name(node.target.id, scope)
        elif isinstance(node.target, ast.Subscript):
            current = self._subscript(self.eval(node.target.value, scope), self.eval(node.target.slice, scope))
        else:
            raise ProgramError("only names and items can be updated with +=")
        self.assign(node.target, self._binary(node.op, current, self.eval(node.value, scope)), scope)

    def _exec_If(self, node: ast.If, scope: Scope) -> None:
        self.run_block(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def _exec_For(self, node: ast.For, scope: Scope) -> None:
        for item in self._iterable(self.eval(node.iter, scope)):
            self._tick()
            self.assign(node.target, item, scope)
            try:
                self.run_block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.run_block(node.orelse, scope)

    def _exec_Pass(self, node: ast.Pass, scope: Scope) -> None:
        pass

    def _exec_Break(self, node: ast.Break, scope: Scope) -> None:
        raise _Break()

    def _exec_Continue(self, node: ast.Continue, scope: Scope) -> None:
        raise _Continue()

    def _exec_Return(self, node: ast.Return, scope: Scope) -> None:
        raise _Return(None if node.value is None else self.eval(node.value, scope))

    def _exec_Assert(self, node: ast.Assert, scope: Scope) -> None:
        if not self.eval(node.test, scope):
            message = "" if node.msg is None else f": {self.eval(node.msg, scope)}"
            raise ProgramError(f"AssertionError{message}")

    def _exec_FunctionDef(self, node: ast.FunctionDef, scope: Scope) -> None:
        self._set(node.name, UserFunction(node.name, node.args, node.body, scope, self), scope)

    def _exec_Import(self, node: ast.Import, scope: Scope) -> None:
        for alias in node.names:  # only `import math` passes the refusals
            self._set(alias.asname or alias.name, self.math, scope)

    def _exec_ImportFrom(self, node: ast.ImportFrom, scope: Scope) -> None:
        for alias in node.names:  # math's members, or tools, which exist already
            value = self.math.attribute(alias.name) if node.module == "math" else self.tools[alias.name]
            if alias.asname or node.module == "math":
                self._set(alias.asname or alias.name, value, scope)

    # ---- names and targets ------------------------------------------------------------------------
    def _set(self, name: str, value: Any, scope: Scope) -> None:
        scope.vars[name] = value
        if scope is self.globals and name not in self._assigned:
            self._assigned.append(name)

    def assign(self, target: ast.expr, value: Any, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            self._set(target.id, value, scope)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self._iterable(value)
            if len(items) != len(target.elts):
                raise ProgramError(f"ValueError: expected {len(target.elts)} values to unpack, got {len(items)}")
            for element, item in zip(target.elts, items):
                self.assign(element, item, scope)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, scope)
            if not isinstance(container, (list, dict)):
                raise ProgramError(f"TypeError: items of a {type(container).__name__} cannot be assigned")
            container[self.eval(target.slice, scope)] = value
            check_value(container, self.limits)
        else:
            raise ProgramError("only names, tuples of names and items can be assigned to")

    def _load_name(self, name: str, scope: Scope) -> Any:
        found = scope.find(name)
        if found is not None:
            return found.vars[name]
        if name in self.tools:
            return self.tools[name]
        if name in self.builtins:
            return self.builtins[name]
        if name == "math":  # available without the import, as the prompt says
            return self.math
        if name in self.math.members:  # small models write sqrt(...) without the import
            return self.math.members[name]
        raise ProgramError(f"NameError: name {name!r} is not defined. The tools are: "
                           f"{', '.join(self.tools) or '(none)'}")

    # ---- expressions ------------------------------------------------------------------------------
    def eval(self, node: ast.expr, scope: Scope) -> Any:
        self._tick()
        handler = getattr(self, f"_eval_{type(node).__name__}", None)
        if handler is None:
            raise ProgramError(f"{type(node).__name__} expressions are not available")
        return handler(node, scope)

    def _eval_Constant(self, node: ast.Constant, scope: Scope) -> Any:
        if isinstance(node.value, bytes):
            raise ProgramError("bytes are not available: use str")
        return check_value(node.value, self.limits)

    def _eval_Name(self, node: ast.Name, scope: Scope) -> Any:
        return self._load_name(node.id, scope)

    def _eval_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> Any:
        value = self.eval(node.value, scope)
        self.assign(node.target, value, scope)
        return value

    def _binary(self, op: ast.operator, left: Any, right: Any) -> Any:
        return binary_op(type(op), left, right, self.limits)

    def _eval_BinOp(self, node: ast.BinOp, scope: Scope) -> Any:
        return self._binary(node.op, self.eval(node.left, scope), self.eval(node.right, scope))

    def _eval_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Any:
        return UNARY_OPERATORS[type(node.op)](self.eval(node.operand, scope))

    def _eval_BoolOp(self, node: ast.BoolOp, scope: Scope) -> Any:
        value = None
        for operand in node.values:
            value = self.eval(operand, scope)
            if isinstance(node.op, ast.And) != bool(value):
                return value
        return value

    def _eval_Compare(self, node: ast.Compare, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator, scope)
            if not COMPARISONS[type(op)](left, right):
                return False
            left = right
        return True

    def _eval_IfExp(self, node: ast.IfExp, scope: Scope) -> Any:
        return self.eval(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def _eval_Call(self, node: ast.Call, scope: Scope) -> Any:
        function = self.eval(node.func, scope)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self._iterable(self.eval(arg.value, scope)))
            else:
                args.append(self.eval(arg, scope))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            value = self.eval(keyword.value, scope)
            if keyword.arg is None:
                if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                    raise ProgramError("TypeError: ** needs a dict with text keys")
                kwargs.update(value)
            else:
                kwargs[keyword.arg] = value
        if not isinstance(function, SafeCallable):
            raise ProgramError(f"TypeError: a {type(function).__name__} is not callable")
        return check_value(function(*args, **kwargs), self.limits)

    def _eval_Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        owner = self.eval(node.value, scope)
        if isinstance(owner, MathModule):
            return owner.attribute(node.attr)
        return method(owner, node.attr, self.limits)

    def _subscript(self, owner: Any, key: Any) -> Any:
        if not isinstance(owner, (str, list, tuple, dict, range)):
            raise ProgramError(f"TypeError: a {type(owner).__name__} cannot be indexed")
        return owner[key]

    def _eval_Subscript(self, node: ast.Subscript, scope: Scope) -> Any:
        return self._subscript(self.eval(node.value, scope), self.eval(node.slice, scope))

    def _eval_Slice(self, node: ast.Slice, scope: Scope) -> Any:
        parts = [None if part is None else self.eval(part, scope) for part in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def _elements(self, nodes: list[ast.expr], scope: Scope) -> list[Any]:
        items: list[Any] = []
        for element in nodes:
            if isinstance(element, ast.Starred):
                items.extend(self._iterable(self.eval(element.value, scope)))
            else:
                items.append(self.eval(element, scope))
        return check_value(items, self.limits)

    def _eval_List(self, node: ast.List, scope: Scope) -> Any:
        return self._elements(node.elts, scope)

    def _eval_Tuple(self, node: ast.Tuple, scope: Scope) -> Any:
        return tuple(self._elements(node.elts, scope))

    def _eval_Set(self, node: ast.Set, scope: Scope) -> Any:
        return set(self._elements(node.elts, scope))

    def _eval_Dict(self, node: ast.Dict, scope: Scope) -> Any:
        result: dict = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                unpacked = self.eval(value, scope)
                if not isinstance(unpacked, dict):
                    raise ProgramError("TypeError: ** needs a dict")
                result.update(unpacked)
            else:
                result[self.eval(key, scope)] = self.eval(value, scope)
        return check_value(result, self.limits)

    def _eval_JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> Any:
        return check_value("".join(str(self.eval(part, scope)) for part in node.values), self.limits)

    def _eval_FormattedValue(self, node: ast.FormattedValue, scope: Scope) -> Any:
        value = check_text_size(self.eval(node.value, scope), self.limits)
        if node.conversion != -1:
            value = {ord("r"): repr, ord("s"): str, ord("a"): ascii}[node.conversion](value)
        spec = "" if node.format_spec is None else self.eval(node.format_spec, scope)
        check_format_spec(spec, self.limits)
        return format(value, spec)

    def _eval_Lambda(self, node: ast.Lambda, scope: Scope) -> Any:
        return UserFunction("<lambda>", node.args, node.body, scope, self)

    def _comprehension(self, generators: list[ast.comprehension], scope: Scope, produce: Callable[[Scope], None]):
        def level(index: int, inner: Scope) -> None:
            if index == len(generators):
                produce(inner)
                return
            generator = generators[index]
            for item in self._iterable(self.eval(generator.iter, inner)):
                self._tick()
                self.assign(generator.target, item, inner)
                if all(self.eval(test, inner) for test in generator.ifs):
                    level(index + 1, inner)

        level(0, Scope(scope))

    def _eval_ListComp(self, node: ast.ListComp, scope: Scope) -> Any:
        items: list[Any] = []
        self._comprehension(node.generators, scope, lambda inner: items.append(self.eval(node.elt, inner)))
        return check_value(items, self.limits)

    _eval_GeneratorExp = _eval_ListComp  # evaluated at once: sum(x for x in ...) works the same

    def _eval_SetComp(self, node: ast.SetComp, scope: Scope) -> Any:
        items: set[Any] = set()
        self._comprehension(node.generators, scope, lambda inner: items.add(self.eval(node.elt, inner)))
        return check_value(items, self.limits)

    def _eval_DictComp(self, node: ast.DictComp, scope: Scope) -> Any:
        items: dict[Any, Any] = {}

        def produce(inner: Scope) -> None:
            items[self.eval(node.key, inner)] = self.eval(node.value, inner)

        self._comprehension(node.generators, scope, produce)
        return check_value(items, self.limits)

    def _iterable(self, value: Any) -> list | tuple | range | str:
        """What `for` and unpacking may walk: plain data only, taken as a list (dict: its keys)."""
        if isinstance(value, (list, tuple, range, str)):
            return value
        if isinstance(value, (dict, set, frozenset)) or type(value).__name__ in ("dict_keys", "dict_values",
                                                                               "dict_items"):
            return list(value)
        raise ProgramError(f"TypeError: a {type(value).__name__} cannot be looped over")

    # ---- builtins ---------------------------------------------------------------------------------
    def _print(self, *args: Any, sep: Any = " ", end: Any = "\n") -> None:
        check_text_size([*args, sep, end], self.limits)
        text = str(sep if sep is not None else " ").join(str(a) for a in args) + str(end if end is not None else "\n")
        room = self.limits.output_chars - len(self._result.output)
        if room <= 0:
            self._result.truncated = True
            return
        if len(text) > room:
            text, self._result.truncated = text[:room], True
        self._result.output += text

    def _builtins(self) -> dict[str, Builtin]:
        limits = self.limits

        def bounded_range(*args: Any) -> range:
            return check_value(range(*args), limits)

        def safe_pow(base: Any, exponent: Any, modulo: Any = None) -> Any:
            if modulo is not None:
                return pow(base, exponent, modulo)
            return binary_op(ast.Pow, base, exponent, limits)

        def text_size(*args: Any, **_: Any) -> None:
            check_text_size(list(args), limits)

        def numeric_sum(items: Any, start: Any = 0) -> Any:
            if not isinstance(start, (int, float)):
                raise ProgramError("TypeError: sum adds numbers; use + or a comprehension for lists and text")
            return sum(items, start)

        def safe_round(number: Any, ndigits: Any = None) -> Any:
            if isinstance(ndigits, int) and abs(ndigits) > limits.format_width:  # round(5, -10**9) computes 10**10**9
                raise LimitReached(f"round to more than {limits.format_width} digits")
            return round(number, ndigits)

        def safe_format(value: Any, spec: str = "") -> str:
            check_format_spec(str(spec), limits)
            return format(value, spec)

        def safe_isinstance(value: Any, kinds: Any) -> bool:
            kinds = tuple(k.fn if isinstance(k, Builtin) else k for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
            if not all(isinstance(k, type) for k in kinds):
                raise ProgramError("TypeError: isinstance needs types such as int, float or str")
            return isinstance(value, kinds)

        table: dict[str, Callable[..., Any]] = {
            "print": self._print, "len": len, "round": safe_round, "min": min, "max": max, "sum": numeric_sum, "abs": abs,
            "sorted": sorted, "range": bounded_range, "int": int, "float": float, "str": str, "bool": bool,
            "list": list, "dict": dict, "set": set, "tuple": tuple, "any": any, "all": all, "divmod": divmod,
            "pow": safe_pow, "format": safe_format, "isinstance": safe_isinstance, 
            "chr": chr, "ord": ord,
            "enumerate": lambda *a, **k: list(enumerate(*a, **k)), "zip": lambda *a: list(zip(*a)),
            "reversed": lambda seq: list(reversed(seq)), "map": lambda f, *its: list(map(f, *its)),
            "filter": lambda f, it: list(filter(f, it)),
        }
        builtins = {name: Builtin(name, fn) for name, fn in table.items()}
        builtins["str"] = Builtin("str", str, before=text_size)
        builtins["repr"] = Builtin("repr", repr, before=text_size)
        return builtins


def _short_repr(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
