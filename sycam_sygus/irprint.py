"""SyGuS text for IR terms (answers, reports, logs): v2.1 literals, negatives as `(- x)`."""
from __future__ import annotations

from fractions import Fraction

from .ir import Term


def literal(value: object, sort_name: str) -> str:
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


def to_sygus(term: Term) -> str:
    """The term as one line of SyGuS text."""
    text: dict[Term, str] = {}
    for node in term.walk():
        if node.op in ("var", "hole"):
            text[node] = str(node.param)
        elif node.op == "const" and node.sort.name == "BitVec":  # an int below 2^width, written in binary
            text[node] = f"#b{int(node.param):0{int(node.sort.indices[0])}b}"
        elif node.op == "const":
            text[node] = literal(node.param, node.sort.name)
        else:
            parts = [node.op] + [text[a] for a in node.args]
            if node.param is not None:
                parts.append(str(node.param))
            text[node] = "(" + " ".join(parts) + ")"
    return text[term]
