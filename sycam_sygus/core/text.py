"""SyGuS v2.1 spellings shared by both printers (the AST printer and the IR's `to_sygus`): symbols,
sorts and constant values.
"""
from __future__ import annotations

import re
from fractions import Fraction

from .sorts import Sort

_SIMPLE_SYMBOL = re.compile(r"[A-Za-z~!@$%^&*_+=<>.?/\-][0-9A-Za-z~!@$%^&*_+=<>.?/\-]*")
_NEGATIVE_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")
# Words the grammar reads as keywords or literals where a symbol may also stand.
_RESERVED = frozenset(("let", "forall", "exists", "!", "_", "as", "Constant", "Variable", "par",
                       "true", "false"))


def sort_text(sort: Sort) -> str:
    """`Int`, `(_ BitVec 32)`, `(Array Int Int)`, `(-> Real Real)`."""
    head = indexed_text(sort.name, sort.indices) if sort.indices else symbol_text(sort.name)
    if not sort.params:
        return head
    return f"({head} {' '.join(map(sort_text, sort.params))})"


def symbol_text(name: str) -> str:
    """A symbol, quoted when its bare spelling would read back differently."""
    if _SIMPLE_SYMBOL.fullmatch(name) and name not in _RESERVED and not _NEGATIVE_NUMBER.fullmatch(name):
        return name
    if "|" in name or "\\" in name:
        raise ValueError(f"symbol {name!r} cannot be written in SyGuS: it contains '|' or '\\'")
    return f"|{name}|"


def indexed_text(name: str, indices: tuple[int | str, ...]) -> str:
    """`(_ NAME i j)`."""
    written = " ".join(str(index) if isinstance(index, int) else symbol_text(index) for index in indices)
    return f"(_ {symbol_text(name)} {written})"


def literal_text(value: object, sort_name: str) -> str:
    """A constant as SyGuS v2.1 text: `2.5`, `(- 3)`, `(/ 1 3)`, `true`, `"a""b"`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, Fraction) or sort_name == "Real":
        value = Fraction(value)
        magnitude = abs(value)
        if magnitude.denominator == 1:
            text = f"{magnitude.numerator}.0"
        elif _is_finite_decimal(magnitude.denominator):
            text = _decimal_text(magnitude)
        else:
            text = f"(/ {magnitude.numerator}.0 {magnitude.denominator}.0)"
        return f"(- {text})" if value < 0 else text
    return f"(- {abs(value)})" if value < 0 else str(value)


def _is_finite_decimal(denominator: int) -> bool:
    for p in (2, 5):
        while denominator % p == 0:
            denominator //= p
    return denominator == 1


def _decimal_text(value: Fraction) -> str:
    digits = 0
    while (value * 10**digits).denominator != 1:
        digits += 1
    scaled = (value * 10**digits).numerator
    whole, frac = divmod(scaled, 10**digits)
    return f"{whole}.{frac:0{digits}d}"
