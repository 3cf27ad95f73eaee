"""SMT-LIB 2.6 meaning of Core, Ints, Reals, BitVectors and Strings operators on Python scalars.

Integers are Python ints (unbounded: nothing wraps), Reals are Fractions, bit-vectors of width w
are ints in [0, 2^w), strings are str, booleans bool. `UNDEFINED` (None) stands for a value the
standard leaves open (integer division by zero); operators propagate it.

`scalar_operator(op, tags)` returns `(function, result_tag)` for an operator name as the IR
spells it (indexed ones as `(_ extract 7 0)`) and the argument tags: a bit-vector's tag is its
width, other sorts' tags are their names ("Int", "Real", "Bool", "String").
"""
from __future__ import annotations

import functools
from fractions import Fraction
from typing import Callable, Sequence

UNDEFINED = None


class UnsupportedOperator(ValueError):
    """An operator this backend has no semantics for (regular expressions, arrays, ...)."""


def _fold(binary: Callable) -> Callable:
    """An n-ary left-associative operator from a binary one."""
    def apply(*args):
        result = args[0]
        for arg in args[1:]:
            result = binary(result, arg)
        return result
    return apply


def _chain(relation: Callable) -> Callable:
    """An n-ary chainable relation (`(< a b c)` = a < b and b < c)."""
    return lambda *args: all(relation(a, b) for a, b in zip(args, args[1:]))


def _implies(*args):
    result = args[-1]
    for premise in reversed(args[:-1]):
        result = (not premise) or result
    return result


def _div(m: int, n: int):
    """SMT-LIB integer division: m = n*q + r with 0 <= r < |n|."""
    if n == 0:
        return UNDEFINED
    return (m - m % abs(n)) // n


def _mod(m: int, n: int):
    return UNDEFINED if n == 0 else m % abs(n)


def _real_div(a, b):
    return UNDEFINED if b == 0 else Fraction(a) / Fraction(b)


def _minus(*args):
    return -args[0] if len(args) == 1 else _fold(lambda a, b: a - b)(*args)


# ---------------------------------------------------------------- strings


def _str_at(s: str, i: int) -> str:
    return s[i] if 0 <= i < len(s) else ""


def _substr(s: str, i: int, n: int) -> str:
    if not 0 <= i < len(s) or n <= 0:
        return ""
    return s[i:i + n]


def _indexof(s: str, t: str, i: int) -> int:
    if not 0 <= i <= len(s):
        return -1
    return s.find(t, i)


def _replace(s: str, t: str, u: str) -> str:
    return u + s if t == "" else s.replace(t, u, 1)


def _replace_all(s: str, t: str, u: str) -> str:
    return s if t == "" else s.replace(t, u)


def _is_digits(s: str) -> bool:
    return s != "" and all("0" <= c <= "9" for c in s)


def _to_int(s: str) -> int:
    return int(s) if _is_digits(s) else -1


def _from_int(n: int) -> str:
    return str(n) if n >= 0 else ""


def _to_code(s: str) -> int:
    return ord(s) if len(s) == 1 else -1


def _from_code(n: int) -> str:
    return chr(n) if 0 <= n <= 0x2FFFF else ""


STRINGS: dict[str, tuple[Callable, str]] = {
    "str.++": (lambda *a: "".join(a), "String"),
    "str.len": (len, "Int"),
    "str.at": (_str_at, "String"),
    "str.substr": (_substr, "String"),
    "str.prefixof": (lambda s, t: t.startswith(s), "Bool"),
    "str.suffixof": (lambda s, t: t.endswith(s), "Bool"),
    "str.contains": (lambda s, t: t in s, "Bool"),
    "str.indexof": (_indexof, "Int"),
    "str.replace": (_replace, "String"),
    "str.replace_all": (_replace_all, "String"),
    "str.is_digit": (lambda s: len(s) == 1 and "0" <= s <= "9", "Bool"),
    "str.to_int": (_to_int, "Int"),
    "str.from_int": (_from_int, "String"),
    "str.to_code": (_to_code, "Int"),
    "str.from_code": (_from_code, "String"),
    "str.<": (_chain(lambda a, b: a < b), "Bool"),
    "str.<=": (_chain(lambda a, b: a <= b), "Bool"),
}


# ---------------------------------------------------------------- bit-vectors


def _bitvector_operators(w: int) -> dict[str, tuple[Callable, object]]:
    """The fixed-width operators on width-w bit-vectors (ints in [0, 2^w))."""
    mask = (1 << w) - 1
    top = 1 << (w - 1)

    def signed(x: int) -> int:
        return x - (1 << w) if x & top else x

    def udiv(s: int, t: int) -> int:
        return mask if t == 0 else s // t

    def urem(s: int, t: int) -> int:
        return s if t == 0 else s % t

    def neg(x: int) -> int:
        return -x & mask

    def sdiv(s: int, t: int) -> int:
        ns, nt = bool(s & top), bool(t & top)
        q = udiv(neg(s) if ns else s, neg(t) if nt else t)
        return neg(q) if ns != nt else q

    def srem(s: int, t: int) -> int:
        ns, nt = bool(s & top), bool(t & top)
        r = urem(neg(s) if ns else s, neg(t) if nt else t)
        return neg(r) if ns else r

    def smod(s: int, t: int) -> int:
        ns, nt = bool(s & top), bool(t & top)
        u = urem(neg(s) if ns else s, neg(t) if nt else t)
        if u == 0 or ns == nt:
            return neg(u) if ns and u else u
        return (t - u) & mask if ns else (u + t) & mask

    def shl(s: int, t: int) -> int:
        return 0 if t >= w else (s << t) & mask

    def lshr(s: int, t: int) -> int:
        return 0 if t >= w else s >> t

    def ashr(s: int, t: int) -> int:
        return (signed(s) >> min(t, w)) & mask

    return {
        "bvnot": (lambda x: x ^ mask, w),
        "bvneg": (neg, w),
        "bvand": (_fold(lambda a, b: a & b), w),
        "bvor": (_fold(lambda a, b: a | b), w),
        "bvxor": (_fold(lambda a, b: a ^ b), w),
        "bvadd": (_fold(lambda a, b: (a + b) & mask), w),
        "bvmul": (_fold(lambda a, b: (a * b) & mask), w),
        "bvsub": (lambda a, b: (a - b) & mask, w),
        "bvnand": (lambda a, b: (a & b) ^ mask, w),
        "bvnor": (lambda a, b: (a | b) ^ mask, w),
        "bvxnor": (lambda a, b: (a ^ b) ^ mask, w),
        "bvudiv": (udiv, w),
        "bvurem": (urem, w),
        "bvsdiv": (sdiv, w),
        "bvsrem": (srem, w),
        "bvsmod": (smod, w),
        "bvshl": (shl, w),
        "bvlshr": (lshr, w),
        "bvashr": (ashr, w),
        "bvcomp": (lambda a, b: int(a == b), 1),
        "bvult": (lambda a, b: a < b, "Bool"),
        "bvule": (lambda a, b: a <= b, "Bool"),
        "bvugt": (lambda a, b: a > b, "Bool"),
        "bvuge": (lambda a, b: a >= b, "Bool"),
        "bvslt": (lambda a, b: signed(a) < signed(b), "Bool"),
        "bvsle": (lambda a, b: signed(a) <= signed(b), "Bool"),
        "bvsgt": (lambda a, b: signed(a) > signed(b), "Bool"),
        "bvsge": (lambda a, b: signed(a) >= signed(b), "Bool"),
        "bv2nat": (lambda a: a, "Int"),
    }


def _indexed(name: str, indices: list[int], w: int | None) -> tuple[Callable, object]:
    """`(_ name i ...)` applied to a width-w bit-vector (or an Int for int2bv / nat2bv)."""
    if name == "extract":
        i, j = indices
        return (lambda x: (x >> j) & ((1 << (i - j + 1)) - 1)), i - j + 1
    if name in ("int2bv", "nat2bv"):
        n = indices[0]
        return (lambda x: x % (1 << n)), n
    if w is None:
        raise UnsupportedOperator(f"'{name}' needs a bit-vector argument")
    n = indices[0]
    if name == "zero_extend":
        return (lambda x: x), w + n
    if name == "sign_extend":
        return (lambda x: x | (((1 << n) - 1) << w) if x >> (w - 1) else x), w + n
    if name == "repeat":
        return (lambda x: sum(x << (w * k) for k in range(n))), w * n
    mask = (1 << w) - 1
    r = n % w
    if name == "rotate_left":
        return (lambda x: ((x << r) | (x >> (w - r))) & mask), w
    if name == "rotate_right":
        return (lambda x: ((x >> r) | (x << (w - r))) & mask), w
    raise UnsupportedOperator(f"no semantics for the indexed operator '{name}'")


def _concat(tags: Sequence[object]) -> tuple[Callable, object]:
    widths = [int(t) for t in tags]

    def apply(*parts):
        result = 0
        for part, width in zip(parts, widths):
            result = (result << width) | part
        return result

    return apply, sum(widths)


# ---------------------------------------------------------------- the table


CORE: dict[str, Callable] = {
    "not": lambda a: not a,
    "and": lambda *a: all(a),
    "or": lambda *a: any(a),
    "xor": _fold(lambda a, b: a != b),
    "=>": _implies,
    "=": _chain(lambda a, b: a == b),
    "distinct": lambda *a: len(set(a)) == len(a),
}
ARITHMETIC: dict[str, Callable] = {
    "+": lambda *a: sum(a[1:], a[0]),
    "-": _minus,
    "*": _fold(lambda a, b: a * b),
    "div": _fold(lambda a, b: UNDEFINED if a is UNDEFINED else _div(a, b)),
    "mod": _mod,
    "abs": abs,
    "/": _fold(lambda a, b: UNDEFINED if a is UNDEFINED else _real_div(a, b)),
    "to_real": Fraction,
    "to_int": lambda a: int(a // 1),
    "is_int": lambda a: Fraction(a).denominator == 1,
    "<=": _chain(lambda a, b: a <= b),
    "<": _chain(lambda a, b: a < b),
    ">=": _chain(lambda a, b: a >= b),
    ">": _chain(lambda a, b: a > b),
}
BOOLEAN_RESULT = frozenset({"not", "and", "or", "xor", "=>", "=", "distinct", "<=", "<", ">=", ">", "is_int"})


def parse_indexed(op: str) -> tuple[str, list[int]]:
    """`(_ extract 7 0)` -> ("extract", [7, 0]); a plain name -> (name, [])."""
    if op.startswith("(_ ") and op.endswith(")"):
        name, *indices = op[3:-1].split()
        return name, [int(i) for i in indices]
    return op, []


@functools.lru_cache(maxsize=None)
def scalar_operator(op: str, tags: tuple[object, ...]) -> tuple[Callable, object]:
    """The scalar function of `op` on arguments with these tags, and its result's tag."""
    name, indices = parse_indexed(op)
    width = tags[0] if tags and isinstance(tags[0], int) else None
    if indices or name == "divisible":
        if name == "divisible":
            return (lambda x: x % indices[0] == 0), "Bool"
        return _indexed(name, indices, width)
    if name == "ite":
        return (lambda c, a, b: a if c else b), tags[1]
    if name in CORE:
        return CORE[name], "Bool"
    if name == "concat":
        return _concat(tags)
    if width is not None and name.startswith("bv"):
        table = _bitvector_operators(width)
        if name in table:
            return table[name]
    if name in STRINGS:
        return STRINGS[name]
    if name in ARITHMETIC:
        if name in BOOLEAN_RESULT:
            return ARITHMETIC[name], "Bool"
        real = name in ("/", "to_real") or "Real" in tags
        return ARITHMETIC[name], "Real" if real else "Int"
    raise UnsupportedOperator(f"no semantics for the operator '{name}'")
