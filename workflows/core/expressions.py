"""Sandboxed expressions and ``{{ }}`` templates for node config (DESIGN §4).

Why simpleeval: it evaluates Python's own ``ast`` against a whitelist of node types, so the syntax
is familiar, there is no ``eval`` or bytecode, and every node passes one ``_eval`` where we count
steps. Jinja2's sandbox is a whole template language (loops, filters: more to bound), CEL has no
mature pure-Python implementation, asteval is a near-complete interpreter (statements, loops), and
jmespath only queries data (no arithmetic or string building).

Rules on top of simpleeval:

* Parsing and static checks (node types, names, ``_`` attributes, depth, length) happen once per
  expression string; the result is cached, so the engine's hot path only walks a cached tree.
* Cost is bounded by steps, not time: each node visited is a step, and every ``ITEMS_PER_STEP``
  characters or items an operation builds or scans is another, so both time and memory of one
  evaluation stay bounded (``MAX_STEPS``). Strings and lists are capped at ``MAX_STRING_LENGTH``,
  exponents at ``MAX_POWER``, integers at ``MAX_INT_BITS`` - checked *before* computing.
* ``a.b`` on an object reads key ``b`` first (simpleeval's ATTR_INDEX_FALLBACK, with the priority
  reversed so data keys such as ``items`` or ``count`` win over methods). Only a short list of
  non-mutating methods is reachable: the ``str`` methods in ``STR_METHODS``, ``get/keys/values/items``
  on objects and ``count/index`` on lists. Nothing can mutate the scope.
* Templates: ``{{`` opens an expression, which ends at the first ``}}`` that is outside string
  literals and outside ``()``/``[]``/``{}`` opened inside it, so ``{{ {'a': {'b': 1}} }}`` and
  ``{{ '}}' }}`` work. A ``}}`` with no ``{{`` is literal text when rendering, but check_template
  reports it (write ``{{ '}}' }}`` for a literal one).
* f-strings, lambdas, ``:=``, ``*``/``**`` call unpacking, bitwise operators and ``%`` on strings
  are refused; ``str(x)`` gives the same text a template would insert; ``true``/``false``/``null``
  are accepted beside Python's spellings.
"""

from __future__ import annotations

import ast
import difflib
import functools
import json
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import simpleeval

MAX_EXPRESSION_LENGTH = 2_000
MAX_STEPS = 10_000
MAX_DEPTH = 100  # nesting of the syntax tree; keeps evaluation far from Python's recursion limit
MAX_STRING_LENGTH = 100_000  # characters of a string, items of a list, built by one operation
MAX_POWER = 1_000  # largest exponent of **
MAX_INT_BITS = 4_096  # about 1,230 decimal digits
MAX_ROUND_DIGITS = 100  # round(x, -10**7) would compute 10**10**7
ITEMS_PER_STEP = 100  # building or scanning this many characters or items costs one more step

#: The names an expression may start from (DESIGN §4); the last three are the seed documents' aliases.
NAMESPACES = (
    "input", "steps", "vars", "instance", "item", "index", "iteration", "input_data", "step_outputs", "context",
)  # fmt: skip
#: JSON spellings, for people who write conditions the way they write the graph.
CONSTANTS = {"true": True, "false": False, "null": None}
_WHERE_AVAILABLE = {"item": "inside a map", "index": "inside a map", "iteration": "inside a loop"}


class ExpressionError(ValueError):
    """A user-facing problem with an expression: ``str(e)`` says what is wrong and what to do.

    ``expression`` is the offending expression text and ``path`` the dotted position of the string
    inside the value given to :func:`render` (both ``None`` when unknown).
    """

    def __init__(self, message: str, expression: str | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.path = path


# --------------------------------------------------------------------------- values and messages


def kind(value: Any) -> str:
    """The JSON name of a value's type, for messages ("null", "number", "object"...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, (set, frozenset)):
        return "set"
    if callable(value):
        return "function"
    return type(value).__name__


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


def to_text(value: Any) -> str:
    """What a template inserts for a value: null → "", booleans → true/false, objects → JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return json.dumps(plain(value), separators=(",", ":"), ensure_ascii=False, default=_json_default)
    return str(value)


def plain(value: Any) -> Any:
    """Lazy read-only views of the scope (``steps``, ``step_outputs``) as plain dicts, so a
    template that returns a whole namespace yields JSON-ready data."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


class _OutputsView(Mapping):
    """``step_outputs``: node id → output, read through ``steps`` only when asked."""

    def __init__(self, steps: Mapping[str, Mapping[str, Any]]):
        self._steps = steps

    def __getitem__(self, node_id: str) -> Any:
        return self._steps[node_id].get("output")

    def __iter__(self) -> Iterator[str]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)


def _describe(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _listing(names: Any, limit: int = 10) -> str:
    names = [str(n) for n in names]
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} in all)"


def _suggestion(name: str, candidates: Any) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _missing_field(container: Mapping, key: Any, owner: str) -> ExpressionError:
    if not container:
        return ExpressionError(f"no field {key!r} in {owner} (it is empty)")
    return ExpressionError(
        f"no field {key!r} in {owner} (fields: {_listing(container)})" + _suggestion(str(key), list(container))
    )


def _check_size(size: int, what: str = "characters or items") -> None:
    if size > MAX_STRING_LENGTH:
        raise ExpressionError(f"the result would be {size:,} {what} long; the limit is {MAX_STRING_LENGTH:,}")


def _too_many_steps() -> ExpressionError:
    return ExpressionError(
        f"expression took more than {MAX_STEPS:,} steps; simplify it or do the work in a task handler"
    )


# --------------------------------------------------------------------------- operators


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
        _check_size(len(a) + len(b))
    return a + b


def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise ExpressionError(f"the product would exceed {MAX_INT_BITS:,} bits (about 1,230 digits)")
    elif isinstance(a, (str, list, tuple)) and isinstance(b, int):
        _check_size(len(a) * b)
    elif isinstance(b, (str, list, tuple)) and isinstance(a, int):
        _check_size(len(b) * a)
    return a * b


def _pow(a: Any, b: Any) -> Any:
    if isinstance(b, (int, float)) and abs(b) > MAX_POWER:
        raise ExpressionError(f"exponent {b:,} is too large; the limit is {MAX_POWER:,}")
    if isinstance(a, int) and isinstance(b, int) and b > 0 and (abs(a).bit_length() - 1) * b > MAX_INT_BITS:
        raise ExpressionError(f"{a} ** {b} would exceed {MAX_INT_BITS:,} bits (about 1,230 digits)")
    result = a**b
    if isinstance(result, complex):
        raise ExpressionError("a negative number to a fractional power has no real value")
    return result


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise ExpressionError("'%' formatting of strings is not available; use + or a {{ }} template")
    return a % b


_OPERATORS: dict[type, Callable[..., Any]] = {
    **simpleeval.DEFAULT_OPERATORS,
    ast.Add: _add,
    ast.Mult: _mul,
    ast.Pow: _pow,
    ast.Mod: _mod,
}
_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.USub: "-", ast.UAdd: "+", ast.Not: "not", ast.Eq: "==", ast.NotEq: "!=",
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in",
    ast.Is: "is", ast.IsNot: "is not",
}  # fmt: skip


# --------------------------------------------------------------------------- functions


def _keys(obj: Any) -> list:
    if not isinstance(obj, Mapping):
        raise ExpressionError(f"keys() needs an object, got {kind(obj)}")
    return list(obj)


def _values(obj: Any) -> list:
    if not isinstance(obj, Mapping):
        raise ExpressionError(f"values() needs an object, got {kind(obj)}")
    return list(obj.values())


def _items(obj: Mapping) -> list:
    return list(obj.items())


def _get(obj: Any, key: Any, default: Any = None) -> Any:
    """Like ``obj[key]`` but ``default`` when the key or index is missing (or ``obj`` is null)."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    if isinstance(obj, (list, tuple, str)) and isinstance(key, int) and not isinstance(key, bool):
        return obj[key] if -len(obj) <= key < len(obj) else default
    raise ExpressionError(f"get() needs an object or a list, got {kind(obj)}")


def _contains(container: Any, item: Any) -> bool:
    if container is None:
        return False
    return item in container


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _join(items: Any, sep: str = "") -> str:
    if not isinstance(sep, str):
        raise ExpressionError(f"join() needs a string separator, got {kind(sep)}")
    if isinstance(items, Mapping) or not isinstance(items, (list, tuple, str)):
        raise ExpressionError(f"join() needs a list, got {kind(items)}")
    texts = [to_text(x) for x in items]
    _check_size(sum(map(len, texts)) + len(sep) * max(len(texts) - 1, 0), "characters")
    return sep.join(texts)


def _text_arg(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ExpressionError(f"{name}() needs a string, got {kind(value)}")
    return value


def _split(text: Any, sep: str | None = None, maxsplit: int = -1) -> list[str]:
    return _text_arg("split", text).split(sep, maxsplit)


def _lower(text: Any) -> str:
    return _text_arg("lower", text).lower()


def _upper(text: Any) -> str:
    return _text_arg("upper", text).upper()


def _strip(text: Any, chars: str | None = None) -> str:
    return _text_arg("strip", text).strip(chars)


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    found = text.count(old) if count < 0 else min(count, text.count(old))
    _check_size(len(text) + found * (len(new) - len(old)), "characters")
    return text.replace(old, new, count)


def _round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ExpressionError(f"round() takes at most {MAX_ROUND_DIGITS} digits, got {ndigits:,}")
    return round(number, ndigits)


def _sum(values: Any) -> Any:
    # No ``start`` argument: sum(lists, []) would build a list of unbounded size before any check.
    return sum(values)


#: Every function an expression may call. All are pure and deterministic (no time, no randomness).
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len, "min": min, "max": max, "sum": _sum, "abs": abs, "round": _round, "int": int,
    "float": float, "str": to_text, "bool": bool, "sorted": sorted, "any": any, "all": all,
    "list": list, "dict": dict, "lower": _lower, "upper": _upper, "strip": _strip,
    "contains": _contains, "keys": _keys, "values": _values, "get": _get, "coalesce": _coalesce,
    "join": _join, "split": _split,
}  # fmt: skip
#: O(1) functions whose arguments' sizes are not charged as steps.
_CHEAP_FUNCTIONS = frozenset({"len", "get", "coalesce", "bool"})

#: Methods reachable on strings (nothing that pads, formats or encodes: those build unbounded text).
STR_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold", "swapcase",
    "startswith", "endswith", "find", "rfind", "index", "rindex", "count", "split", "rsplit",
    "splitlines", "partition", "rpartition", "removeprefix", "removesuffix", "replace", "isdigit",
    "isalpha", "isalnum", "isspace", "islower", "isupper", "isnumeric", "isdecimal",
})  # fmt: skip
_DICT_METHODS: dict[str, Callable[..., Any]] = {"get": _get, "keys": _keys, "values": _values, "items": _items}
_LIST_METHODS = frozenset({"count", "index"})
_SIZED = (str, list, tuple, dict, set, frozenset)


# --------------------------------------------------------------------------- parsing and static checks

_ALLOWED_NODES = frozenset({
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Subscript,
    ast.Slice, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword,
    ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.GeneratorExp,
    ast.comprehension, *_SYMBOLS, ast.And, ast.Or,
})  # fmt: skip
_REFUSED = {
    ast.Lambda: "lambda functions are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.JoinedStr: "f-strings are not allowed; use + or a {{ }} template",
    ast.Starred: "* unpacking is not allowed",
    ast.SetComp: "set comprehensions are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.MatMult: "the @ operator is not allowed",
    **dict.fromkeys(
        (ast.BitAnd, ast.BitOr, ast.BitXor, ast.Invert, ast.LShift, ast.RShift),
        "bitwise operators are not allowed; use and / or / not",
    ),
}
_CONSTANT_TYPES = (str, int, float, bool, type(None))


def _static_check(tree: ast.Expression) -> None:
    bound: set[str] = set()  # comprehension variables, allowed anywhere in the expression
    loads: list[ast.Name] = []
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:  # iterative: a 2,000-character expression can be 2,000 levels deep
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested more than {MAX_DEPTH} levels deep; split it up")
        node_type = type(node)
        if node_type not in _ALLOWED_NODES:
            raise ExpressionError(_REFUSED.get(node_type, f"{node_type.__name__} is not allowed in an expression"))
        if node_type is ast.Constant and not isinstance(node.value, _CONSTANT_TYPES):
            raise ExpressionError(f"{type(node.value).__name__} literals are not allowed")
        elif node_type is ast.Name:
            if node.id.startswith("_"):
                raise ExpressionError(f"names starting with '_' are not allowed ({node.id})")
            if isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            else:
                loads.append(node)
        elif node_type is ast.Attribute and node.attr.startswith("_"):
            raise ExpressionError(f"attributes starting with '_' are not allowed ({node.attr})")
        elif node_type is ast.keyword and node.arg is None:
            raise ExpressionError("** unpacking of arguments is not allowed")
        elif node_type is ast.Call:
            _check_callee(node.func)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    known = set(NAMESPACES) | set(FUNCTIONS) | set(CONSTANTS) | bound
    for name in loads:
        if name.id not in known:
            raise ExpressionError(
                f"unknown name '{name.id}'{_suggestion(name.id, known)} (names: {', '.join(NAMESPACES)})"
            )


def _check_callee(func: ast.AST) -> None:
    if isinstance(func, ast.Name):
        if func.id in FUNCTIONS:
            return
        if func.id in NAMESPACES:
            raise ExpressionError(f"'{func.id}' is not a function")
        raise ExpressionError(
            f"unknown function '{func.id}'{_suggestion(func.id, FUNCTIONS)} (functions: {', '.join(FUNCTIONS)})"
        )
    if not isinstance(func, ast.Attribute):
        raise ExpressionError("only named functions and methods can be called")


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> ast.AST:
    """Parse and check once per distinct expression string (the engine's hot path reuses it)."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is {len(text):,} characters long; the limit is {MAX_EXPRESSION_LENGTH:,}")
    source = text.strip()
    if not source:
        raise ExpressionError("the expression is empty")
    try:
        with warnings.catch_warnings():  # e.g. SyntaxWarning for "x is 1": the user sees errors only
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"syntax error {_where(text, source, e)}: {e.msg}") from None
    except (ValueError, MemoryError, RecursionError) as e:
        raise ExpressionError(f"cannot parse the expression: {e}") from None
    _static_check(tree)
    return tree.body


def _where(text: str, source: str, error: SyntaxError) -> str:
    if not error.offset or not error.lineno:
        return "at the end"
    lines = source.splitlines(keepends=True)
    at = sum(map(len, lines[: error.lineno - 1])) + error.offset - 1  # 0-based, in source
    if at >= len(source.rstrip()):
        return "at the end"
    return f"at character {at + 1 + len(text) - len(text.lstrip())} ({source[at : at + 20]!r})"


def _compiled(text: Any) -> ast.AST:
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {kind(text)}", expression=repr(text))
    try:
        return _compile(text)
    except ExpressionError as e:
        e.expression = text
        raise


def check_expression(text: str) -> None:
    """Parse and check an expression without evaluating it (for validation at save time)."""
    stripped = text.strip() if isinstance(text, str) else ""
    if stripped.startswith("{{") and stripped.endswith("}}"):
        # it parses (a set inside a set), but only ever fails at run time: a template written
        # where the field is an expression itself (a condition, a map's items)
        try:
            single = _scan(stripped).single
        except ExpressionError:
            single = None
        what = f"{single}," if single else "it"
        raise ExpressionError(f"this field is an expression already: write {what} without {{{{ }}}}", expression=text)
    _compiled(text)


# --------------------------------------------------------------------------- the evaluator


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    """simpleeval with step counting, JSON-minded attribute access and messages that name the path.

    Only data (the scope), ``FUNCTIONS`` and the whitelisted methods are reachable, so simpleeval's
    per-node scan for forbidden functions (``_check_disallowed_items``) is skipped: it would walk
    every list and dict read from the scope on every node visit.
    """

    def __init__(self) -> None:
        super().__init__(operators=dict(_OPERATORS), functions=dict(FUNCTIONS), names={})
        self.functions.pop("tuple", None)  # added by EvalWithCompoundTypes; keep in line with FUNCTIONS
        self.functions.pop("set", None)
        self._steps = 0

    def run(self, text: str, tree: ast.AST, scope: Mapping[str, Any]) -> Any:
        self.names = scope
        self._steps = 0
        try:
            return self.eval(text, previously_parsed=tree)
        finally:
            self.names = {}  # don't keep the instance's data alive between calls

    def _charge(self, size: int) -> None:
        if size >= ITEMS_PER_STEP:
            self._steps += size // ITEMS_PER_STEP
            if self._steps > MAX_STEPS:
                raise _too_many_steps()

    def _eval(self, node: ast.AST) -> Any:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise _too_many_steps()
        return self.nodes[type(node)](node)

    def _eval_name(self, node: ast.Name) -> Any:
        name = node.id
        try:
            return self.names[name]
        except KeyError:
            pass
        if name in self.functions:
            return self.functions[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in _WHERE_AVAILABLE:
            raise ExpressionError(f"'{name}' is only available {_WHERE_AVAILABLE[name]}")
        raise ExpressionError(f"'{name}' is not available here (available: {_listing(self.names)})")

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        obj = self._eval(node.value)
        name = node.attr
        if isinstance(obj, Mapping):
            try:
                return obj[name]
            except KeyError:
                pass
            method = _DICT_METHODS.get(name)
            if method is None:
                raise _missing_field(obj, name, _describe(node.value))
            self._charge(len(obj))
            return functools.partial(method, obj)
        if isinstance(obj, str) and name in STR_METHODS:
            self._charge(len(obj))
            return functools.partial(_replace, obj) if name == "replace" else getattr(obj, name)
        if isinstance(obj, (list, tuple)) and name in _LIST_METHODS:
            self._charge(len(obj))
            return getattr(obj, name)
        owner = _describe(node.value)
        if obj is None:
            raise ExpressionError(f"{owner} is null, so it has no field '{name}'")
        if isinstance(obj, (list, tuple)):
            raise ExpressionError(f"{owner} is a list, so it has no field '{name}'; use an index such as {owner}[0]")
        if isinstance(obj, str):
            raise ExpressionError(
                f"{owner} is a string, so it has no field '{name}' (string methods: {', '.join(sorted(STR_METHODS))})"
            )
        raise ExpressionError(f"{owner} is {_article(kind(obj))}, so it has no field '{name}'")

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        container = self._eval(node.value)
        key = self._eval(node.slice)
        if isinstance(key, slice):
            if not isinstance(container, (list, tuple, str)):
                raise ExpressionError(f"{_describe(node.value)} is {_article(kind(container))} and cannot be sliced")
            result = container[key]  # a zero step raises ValueError: caught in evaluate()
            self._charge(len(result))
            return result
        if isinstance(container, Mapping):
            try:
                return container[key]
            except KeyError:
                raise _missing_field(container, key, _describe(node.value)) from None
            except TypeError:
                raise ExpressionError(f"{_article(kind(key))} cannot be a key of {_describe(node.value)}") from None
        if isinstance(container, (list, tuple, str)):
            if not isinstance(key, int) or isinstance(key, bool):
                raise ExpressionError(
                    f"{_describe(node.value)} is {_article(kind(container))}; its index must be a whole number, "
                    f"got {kind(key)}"
                )
            try:
                return container[key]
            except IndexError:
                raise ExpressionError(
                    f"index {key} is out of range for {_describe(node.value)} (length {len(container)}); "
                    "get(list, index, default) returns a default instead"
                ) from None
        raise ExpressionError(f"{_describe(node.value)} is {_article(kind(container))} and cannot be indexed")

    def _eval_call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name):  # the static check allows only known names here
            name = node.func.id
            func = self.functions[name]
        else:
            name = node.func.attr
            func = self._eval(node.func)
            if not callable(func):
                raise ExpressionError(f"{_describe(node.func)} is {_article(kind(func))}, not a function")
        args = [self._eval(a) for a in node.args]
        kwargs = {k.arg: self._eval(k.value) for k in node.keywords}
        if name not in _CHEAP_FUNCTIONS:
            for value in (*args, *kwargs.values()):
                if isinstance(value, _SIZED):
                    self._charge(len(value))
        try:
            result = func(*args, **kwargs)
        except ExpressionError:
            raise
        except (TypeError, ValueError, ArithmeticError, LookupError) as e:
            raise ExpressionError(f"{name}(): {e}") from None
        if isinstance(result, _SIZED):
            _check_size(len(result))
            self._charge(len(result))
        elif type(result) is int and result.bit_length() > MAX_INT_BITS:  # int('f' * 100000, 16)
            raise ExpressionError(f"{name}() would return more than {MAX_INT_BITS:,} bits (about 1,230 digits)")
        return result

    def _eval_binop(self, node: ast.BinOp) -> Any:
        left = self._eval(node.left)
        right = self._eval(node.right)
        try:
            result = self.operators[type(node.op)](left, right)
        except ExpressionError:
            raise
        except ZeroDivisionError:
            raise ExpressionError(f"division by zero in {_describe(node)}") from None
        except OverflowError:
            raise ExpressionError(f"the result of {_describe(node)} is too large") from None
        except TypeError:
            symbol = _SYMBOLS[type(node.op)]
            both_objects = isinstance(left, Mapping) and isinstance(right, Mapping)
            hint = "; merge objects with {**a, **b}" if both_objects else ""
            raise ExpressionError(
                f"cannot apply '{symbol}' to {kind(left)} and {kind(right)} in {_describe(node)}{hint}"
            ) from None
        if isinstance(result, (str, list, tuple)):
            self._charge(len(result))
        return result

    def _eval_unaryop(self, node: ast.UnaryOp) -> Any:
        operand = self._eval(node.operand)
        try:
            return self.operators[type(node.op)](operand)
        except TypeError:
            raise ExpressionError(f"cannot apply '{_SYMBOLS[type(node.op)]}' to {kind(operand)}") from None

    def _eval_compare(self, node: ast.Compare) -> Any:
        left = self._eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self._eval(comparator)
            op_type = type(op)
            if isinstance(right, _SIZED):  # comparing or searching sequences is O(n)
                if op_type in (ast.In, ast.NotIn):
                    if not isinstance(right, (dict, set, frozenset)):
                        self._charge(len(right))
                elif isinstance(left, _SIZED):
                    self._charge(min(len(left), len(right)))
            try:
                if not self.operators[op_type](left, right):
                    return False
            except TypeError:
                raise ExpressionError(
                    f"cannot compare {kind(left)} with {kind(right)} using '{_SYMBOLS[op_type]}'"
                ) from None
            left = right
        return True

    def _eval_dict(self, node: ast.Dict) -> Any:
        result = super()._eval_dict(node)
        if None in node.keys:  # {**a, ...} copies a whole object
            self._charge(len(result))
        return result

    def _eval_comprehension(self, node: ast.AST) -> Any:
        try:
            return super()._eval_comprehension(node)
        except simpleeval.IterableTooLong:
            raise ExpressionError(
                f"a comprehension produced more than {simpleeval.MAX_COMPREHENSION_LENGTH:,} items"
            ) from None
        except TypeError as e:  # the only TypeError left unwrapped: looping over a non-iterable
            found = re.search(r"'(\w+)' object is not iterable", str(e))
            what = _PYTHON_KINDS.get(found.group(1), found.group(1)) if found else "that value"
            raise ExpressionError(f"a comprehension can loop over a list, a string or an object, not {what}") from None


_PYTHON_KINDS = {
    "int": "a number", "float": "a number", "bool": "a boolean", "NoneType": "null",
    "builtin_function_or_method": "a function", "function": "a function", "functools.partial": "a function",
}  # fmt: skip


def _article(noun: str) -> str:
    return noun if noun in ("null",) else ("an " if noun[0] in "aeiou" else "a ") + noun


_local = threading.local()


def _evaluator() -> _Evaluator:
    # One evaluator per thread: it holds per-call state (names, step count) and is costly to build.
    evaluator = getattr(_local, "evaluator", None)
    if evaluator is None:
        evaluator = _local.evaluator = _Evaluator()
    return evaluator


def evaluate(text: str, scope: Mapping[str, Any]) -> Any:
    """Evaluate a bare expression (a condition, a switch value) against a scope from build_scope."""
    tree = _compiled(text)
    try:
        return _evaluator().run(text, tree, scope)
    except ExpressionError as e:
        e.expression = text
        raise
    except RecursionError:
        raise ExpressionError("expression is nested too deeply", expression=text) from None
    except ZeroDivisionError:
        raise ExpressionError("division by zero", expression=text) from None
    except simpleeval.InvalidExpression as e:
        raise ExpressionError(str(e), expression=text) from None
    except Exception as e:  # a safety net: the engine must only ever see ExpressionError
        raise ExpressionError(f"cannot evaluate the expression: {e}", expression=text) from None


# --------------------------------------------------------------------------- templates


class _Template(NamedTuple):
    segments: tuple[tuple[bool, str], ...]  # (is_expression, text)
    single: str | None  # the expression, when the string is exactly one {{ }} (whitespace around allowed)
    stray: int  # index of the first '}}' outside any {{ }}, or -1


@functools.lru_cache(maxsize=4096)
def _scan(text: str) -> _Template:
    segments: list[tuple[bool, str]] = []
    stray = -1
    position = 0
    while True:
        start = text.find("{{", position)
        if stray < 0:
            stray = text.find("}}", position, len(text) if start < 0 else start)
        if start < 0:
            break
        end = _find_close(text, start + 2)
        if end < 0:
            raise ExpressionError(
                f"'{{{{' at character {start + 1} is not closed by '}}}}' "
                "(check for an unclosed quote or bracket inside it)"
            )
        if start > position:
            segments.append((False, text[position:start]))
        segments.append((True, text[start + 2 : end].strip()))
        position = end + 2
    if position < len(text):
        segments.append((False, text[position:]))
    expressions = [piece for is_expression, piece in segments if is_expression]
    literal = "".join(piece for is_expression, piece in segments if not is_expression)
    single = expressions[0] if len(expressions) == 1 and not literal.strip() else None
    return _Template(tuple(segments), single, stray)


def _find_close(text: str, position: int) -> int:
    """Index of the ``}}`` closing an expression that starts at ``position``, or -1."""
    depth = 0
    quote = ""
    n = len(text)
    while position < n:
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0 and text.startswith("}}", position):
                return position
            depth = max(depth - 1, 0)  # an unbalanced ')' is left for the parser to report
        position += 1
    return -1


def has_template(text: str) -> bool:
    return "{{" in text


def check_template(text: str) -> None:
    """Check every ``{{ }}`` in a string, and that its braces balance."""
    if "{{" not in text and "}}" not in text:  # most config strings: skip the scanner and its cache
        return
    try:
        template = _scan(text)
    except ExpressionError as e:
        e.expression = text
        raise
    if template.stray >= 0:
        raise ExpressionError(
            f"'}}}}' at character {template.stray + 1} has no opening '{{{{' "
            "(write {{ '}}' }} for a literal '}}')",
            expression=text,
        )
    for is_expression, piece in template.segments:
        if is_expression:
            _compiled(piece)


def _render_text(text: str, scope: Mapping[str, Any]) -> Any:
    if "{{" not in text:
        return text
    template = _scan(text)
    if template.single is not None:
        return plain(evaluate(template.single, scope))
    return "".join(to_text(evaluate(piece, scope)) if is_expr else piece for is_expr, piece in template.segments)


def interpolate(text: str, scope: Mapping[str, Any], *, escape: Callable[[str], str] | None = None) -> str:
    """Render a template as text, passing each inserted value's :func:`to_text` through ``escape``
    (the literal text around it is left alone): a mail's HTML body escapes what the instance's data
    says but not the markup its author wrote. Unlike :func:`render`, a lone ``{{ expr }}`` gives text too."""
    template = _scan(text) if "{{" in text else _Template(((False, text),), None, -1)
    out = []
    for is_expression, piece in template.segments:
        if is_expression:
            value = to_text(plain(evaluate(piece, scope)))
            out.append(escape(value) if escape is not None else value)
        else:
            out.append(piece)
    return "".join(out)


def render(value: Any, scope: Mapping[str, Any]) -> Any:
    """Render the templates in every string nested in ``value`` (dict keys are not rendered).

    A string that is exactly one ``{{ expr }}`` (whitespace around allowed) becomes the expression's
    value with its type; otherwise each ``{{ }}`` is replaced by :func:`to_text` of its value. On
    error, ``ExpressionError.path`` is the dotted position of the string inside ``value``.
    """
    if isinstance(value, str):
        return _render_text(value, scope)
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            try:
                result[key] = render(item, scope)
            except ExpressionError as e:
                e.path = _join_path(str(key), e.path)
                raise
        return result
    if isinstance(value, (list, tuple)):
        rendered = []
        for index, item in enumerate(value):
            try:
                rendered.append(render(item, scope))
            except ExpressionError as e:
                e.path = _join_path(str(index), e.path)
                raise
        return rendered
    return value


def _join_path(head: str, tail: str | None) -> str:
    return f"{head}.{tail}" if tail else head


def iter_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string nested in dicts and lists, with its dotted path (``path.key``, ``path.0``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from iter_strings(item, f"{path}.{index}" if path else str(index))


# --------------------------------------------------------------------------- scope

_ABSENT: Any = object()


def build_scope(
    *,
    input: Mapping[str, Any],  # noqa: A002 - the namespace's name in expressions
    steps: Mapping[str, Mapping[str, Any]],
    vars: Mapping[str, Any],  # noqa: A002
    instance: Mapping[str, Any],
    item: Any = _ABSENT,
    index: Any = _ABSENT,
    iteration: Any = _ABSENT,
) -> dict[str, Any]:
    """The names an expression sees. ``steps`` maps node id → {"output": ..., "status": ...}."""
    scope: dict[str, Any] = {
        "input": input,
        "steps": steps,
        "vars": vars,
        "instance": instance,
        "input_data": input,
        "step_outputs": _OutputsView(steps),
        "context": vars,
    }
    if item is not _ABSENT:
        scope["item"] = item
    if index is not _ABSENT:
        scope["index"] = index
    if iteration is not _ABSENT:
        scope["iteration"] = iteration
    return scope
