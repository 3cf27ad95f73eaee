"""The examples backend: the enumeration part of the engine's port, where an "image" is an example.

A value is a `Column`: one scalar per example (see semantics.py for the scalar types) and the
sort's tag. The enumerator's `TermValues` and `value_key` work on it unchanged, so observational
equivalence over the examples is the engine's value-level equivalence. User `define-fun`s are
operators too: applying one evaluates its body on the argument columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple, Sequence

from ...core.sorts import Sort
from ...ir import Term
from .semantics import UNDEFINED, scalar_operator


class Column(NamedTuple):
    """A term's values on a list of examples; `tag` is the bit-vector width or the sort's name."""

    tag: object
    items: tuple


def sort_tag(sort: Sort) -> object:
    """A bit-vector's width, or the sort's name."""
    return int(sort.indices[0]) if sort.name == "BitVec" else sort.name


@dataclass(frozen=True)
class Macro:
    """A user `define-fun`, lowered: parameter names and the body over them."""

    params: tuple[str, ...]
    body: Term


class ExamplesBackend:
    """Terminals, constants and operators evaluated on a fixed list of input points."""

    forwards = 0  # no model: nothing is ever passed forward

    def __init__(self, points: Sequence[Mapping[str, object]], sorts: Mapping[str, Sort],
                 macros: Mapping[str, Macro] | None = None):
        self.points = list(points)
        self.sorts = dict(sorts)
        self.macros = dict(macros or {})

    def images(self) -> int:
        """How many points (examples) the backend holds."""
        return len(self.points)

    def terminal(self, name: str, images: Sequence[int]) -> Column:
        """A parameter's value at each of the points."""
        return Column(sort_tag(self.sorts[name]), tuple(self.points[i][name] for i in images))

    def terminal_cost(self, name: str, images: Sequence[int]) -> int:
        """Terminals are read from the points: no cost."""
        return 0

    def constant(self, value: object, images: Sequence[int], sort: Sort | None = None) -> Column:
        """A constant repeated once per point (exact: Int, Fraction, bit-vector int, str, bool)."""
        tag = sort_tag(sort) if sort is not None else type(value).__name__
        return Column(tag, (value,) * len(images))

    def apply(self, op: str, args: Sequence[Column], param: int | None = None) -> Column:
        """An operator (theory or user define-fun) applied point-wise."""
        if op in self.macros:
            macro = self.macros[op]
            return evaluate(macro.body, dict(zip(macro.params, args)), self, len(args[0].items) if args else 0)
        function, tag = scalar_operator(op, tuple(a.tag for a in args))
        if op == "ite":
            return Column(tag, tuple(UNDEFINED if c is UNDEFINED else (a if c else b)
                                     for c, a, b in zip(*(a.items for a in args))))
        columns = [a.items for a in args]
        if not any(UNDEFINED in items for items in columns):
            return Column(tag, tuple(map(function, *columns)))
        return Column(tag, tuple(UNDEFINED if UNDEFINED in row else function(*row) for row in zip(*columns)))

    def value_key(self, value: Column) -> bytes:
        """Equal exactly when the values are equal at every point."""
        return repr(value).encode()


def evaluate(term: Term, env: Mapping[str, Column], backend: ExamplesBackend, count: int,
             calls: Mapping[str, Callable[[list[Column]], Column]] | None = None) -> Column:
    """A term's column with its variables bound by `env`; `calls` interprets extra functions
    (the synth-fun, in constraints). `count` is the number of points."""
    calls = calls or {}
    done: dict[Term, Column] = {}
    for node in term.walk():
        args = [done[a] for a in node.args]
        if node.op == "var":
            done[node] = env[str(node.param)]
        elif node.op == "const":
            done[node] = backend.constant(node.param, range(count), node.sort)
        elif node.op in calls:
            done[node] = calls[node.op](args)
        else:
            done[node] = backend.apply(node.op, args)
    return done[term]
