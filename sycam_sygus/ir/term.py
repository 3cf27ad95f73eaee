"""The typed, immutable, hash-consed intermediate representation every later stage uses.

A node is an operator applied to children. Leaves are `var` (a parameter of the synth-fun,
`param` = its name), `const` (`param` = a Fraction, int, bool or str) and `hole` (a grammar
non-terminal, `param` = its name). `pow` and `topk` carry their numeral in `param`.
`to_sygus` prints a term as SyGuS text (answers, reports, logs): v2.1 literals, negatives as `(- x)`.
Structurally equal nodes are the same object, so `is`/`==` are O(1) and nodes key dicts cheaply.
"""
from __future__ import annotations

import threading
import weakref
from fractions import Fraction
from typing import Iterator

from ..core.sorts import Sort
from ..core.text import literal_text

REAL = Sort("Real")
INT = Sort("Int")
BOOL = Sort("Bool")

class Term:
    """One IR node. Build with `app`, `var`, `const`, `hole`; never call the class directly."""

    __slots__ = ("op", "args", "sort", "param", "size", "_hash", "__weakref__")
    _table: "weakref.WeakValueDictionary[tuple, Term]" = weakref.WeakValueDictionary()
    _lock = threading.Lock()

    op: str
    args: tuple["Term", ...]
    sort: Sort
    param: object
    size: int

    def __new__(cls, op: str, args: tuple["Term", ...], sort: Sort, param: object = None) -> "Term":
        key = (op, args, sort, type(param), param)
        with cls._lock:
            node = cls._table.get(key)
            if node is None:
                node = object.__new__(cls)
                object.__setattr__(node, "op", op)
                object.__setattr__(node, "args", args)
                object.__setattr__(node, "sort", sort)
                object.__setattr__(node, "param", param)
                object.__setattr__(node, "size", 1 + sum(a.size for a in args))
                object.__setattr__(node, "_hash", hash(key))
                cls._table[key] = node
        return node

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("IR terms are immutable")

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other

    def __reduce__(self):
        return (Term, (self.op, self.args, self.sort, self.param))

    def __repr__(self) -> str:
        return f"Term({to_sygus(self)})"

    def walk(self) -> Iterator["Term"]:
        """Every node of the term, children before parents (each distinct node once)."""
        seen: set[int] = set()
        stack: list[tuple[Term, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in seen:
                continue
            if expanded or not node.args:
                seen.add(id(node))
                yield node
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.args))


def app(op: str, args: tuple[Term, ...] | list[Term], sort: Sort, param: object = None) -> Term:
    """An operator application (`param` only for `pow`/`topk` exponents)."""
    return Term(op, tuple(args), sort, param)


def var(name: str, sort: Sort = REAL) -> Term:
    return Term("var", (), sort, name)


def hole(nonterminal: str, sort: Sort) -> Term:
    return Term("hole", (), sort, nonterminal)


def const(value: object, sort: Sort | None = None) -> Term:
    """A constant; Real values are stored as Fractions so 0.5 and 1/2 are one node."""
    if isinstance(value, bool):
        return Term("const", (), sort or BOOL, value)
    if isinstance(value, (float, Fraction)) or sort == REAL:
        return Term("const", (), sort or REAL, Fraction(value))
    if isinstance(value, int):
        return Term("const", (), sort or INT, value)
    return Term("const", (), sort or Sort("String"), value)


def substitute(term: Term, mapping: dict[Term, Term]) -> Term:
    """Replace nodes by mapping (e.g. holes or vars by terms), bottom-up, sharing results."""
    done: dict[Term, Term] = {}
    for node in term.walk():
        if node in mapping:
            done[node] = mapping[node]
        elif node.args:
            done[node] = Term(node.op, tuple(done[a] for a in node.args), node.sort, node.param)
        else:
            done[node] = node
    return done[term]


def to_sygus(term: Term) -> str:
    """The term as one line of SyGuS text."""
    text: dict[Term, str] = {}
    for node in term.walk():
        if node.op in ("var", "hole"):
            text[node] = str(node.param)
        elif node.op == "const" and node.sort.name == "BitVec":  # an int below 2^width, written in binary
            text[node] = f"#b{int(node.param):0{int(node.sort.indices[0])}b}"
        elif node.op == "const":
            text[node] = literal_text(node.param, node.sort.name)
        else:
            parts = [node.op] + [text[a] for a in node.args]
            if node.param is not None:
                parts.append(str(node.param))
            text[node] = "(" + " ".join(parts) + ")"
    return text[term]
