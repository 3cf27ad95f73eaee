"""Positions and sorts: the vocabulary every layer shares (the front end, the IR, the engine, backends).

Positions never take part in equality, so a printed and re-parsed script equals the original.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in a source file."""

    line: int
    col: int


NOWHERE = Pos(0, 0)


def position_field() -> Pos:
    """A dataclass field for a node's source position (default NOWHERE, never compared)."""
    return field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Sort:
    """`Int`, `(_ BitVec 32)` (indices), `(Array Int Int)` (params), or a user sort name."""

    name: str
    indices: tuple[int | str, ...] = ()
    params: tuple["Sort", ...] = ()
    pos: Pos = position_field()
