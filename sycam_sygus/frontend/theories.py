"""Signature tables of the SMT-LIB 2.6 theories SyGuS files use, and of the SYCAM logic.

A signature is a function from argument sorts (and the identifier's numeral indices) to the
result sort; it raises `SignatureError` naming what it expected. The sort checker looks
operators up here after user-declared functions, so a user `define-fun` may shadow any of them.
"""
from __future__ import annotations

from typing import Callable

from ..core import logic
from ..core.text import sort_text
from .ast import Sort

BOOL = Sort("Bool")
INT = Sort("Int")
REAL = Sort("Real")
STRING = Sort("String")
REGLAN = Sort("RegLan")

Signature = Callable[[tuple[Sort, ...], tuple[int, ...]], Sort]

# Sorts every logic knows: name -> (number of numeral indices, number of sort parameters).
BUILTIN_SORTS = {
    "Bool": (0, 0),
    "Int": (0, 0),
    "Real": (0, 0),
    "String": (0, 0),
    "RegLan": (0, 0),
    "BitVec": (1, 0),
    "Array": (0, 2),
}


class SignatureError(Exception):
    """An operator applied to arguments its signature rejects; `argument` is the 0-based culprit."""

    def __init__(self, message: str, argument: int | None = None):
        super().__init__(message)
        self.message = message
        self.argument = argument


def bitvec(width: int) -> Sort:
    """The sort `(_ BitVec width)`."""
    return Sort("BitVec", (width,))


def bv_width(sort: Sort) -> int | None:
    """The width of a bit-vector sort, or None for any other sort."""
    if sort.name == "BitVec" and len(sort.indices) == 1 and not sort.params:
        return int(sort.indices[0])
    return None


def is_numeric(sort: Sort) -> bool:
    return sort == INT or sort == REAL


def join(expected: Sort, actual: Sort) -> Sort | None:
    """The common sort of two argument sorts: equal sorts, or Real when Int meets Real (the
    standard's leniency for mixed Int/Real arithmetic); None if they do not agree."""
    if expected == actual:
        return expected
    if is_numeric(expected) and is_numeric(actual):
        return REAL
    return None


def accepts(expected: Sort, actual: Sort) -> bool:
    """Whether a value of sort `actual` may stand where `expected` is required (Int as Real)."""
    return expected == actual or (expected == REAL and actual == INT)


# ---------------------------------------------------------------- signature builders


def _arity_text(low: int, high: int | None) -> str:
    if high == low:
        return f"{low} argument" + ("" if low == 1 else "s")
    if high is None:
        return f"at least {low} arguments"
    return f"{low} to {high} arguments"


def _check_arity(name: str, args: tuple[Sort, ...], low: int, high: int | None) -> None:
    if len(args) < low or (high is not None and len(args) > high):
        raise SignatureError(f"'{name}' expects {_arity_text(low, high)}, got {len(args)}")


def _no_indices(name: str, indices: tuple[int, ...]) -> None:
    if indices:
        raise SignatureError(f"'{name}' takes no indices")


def fixed(name: str, params: tuple[Sort, ...], result: Sort) -> Signature:
    """A monomorphic signature `(params) -> result`."""

    def signature(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
        _no_indices(name, indices)
        _check_arity(name, args, len(params), len(params))
        for i, (want, got) in enumerate(zip(params, args)):
            if not accepts(want, got):
                raise SignatureError(
                    f"argument {i + 1} of '{name}' has sort {sort_text(got)}, expected {sort_text(want)}", i)
        return result

    return signature


def uniform(name: str, low: int, high: int | None, allowed: Callable[[Sort], bool], what: str,
            result: Callable[[Sort], Sort] | None = None) -> Signature:
    """All arguments share one sort (Int and Real join to Real) for which `allowed` holds;
    the result is that sort, or `result(sort)`."""

    def signature(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
        _no_indices(name, indices)
        _check_arity(name, args, low, high)
        common = args[0]
        for i, got in enumerate(args):
            if not allowed(got):
                raise SignatureError(f"argument {i + 1} of '{name}' has sort {sort_text(got)}, expected {what}", i)
            joined = join(common, got)
            if joined is None:
                raise SignatureError(
                    f"argument {i + 1} of '{name}' has sort {sort_text(got)}, expected {sort_text(common)}"
                    " like the first argument", i)
            common = joined
        return result(common) if result else common

    return signature


def _ite(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
    _no_indices("ite", indices)
    _check_arity("ite", args, 3, 3)
    if args[0] != BOOL:
        raise SignatureError(f"the condition of 'ite' has sort {sort_text(args[0])}, expected Bool", 0)
    joined = join(args[1], args[2])
    if joined is None:
        raise SignatureError(
            f"the branches of 'ite' have sorts {sort_text(args[1])} and {sort_text(args[2])}; they must agree", 2)
    return joined


def _any(sort: Sort) -> bool:
    return True


def _bool(sort: Sort) -> bool:
    return sort == BOOL


def _to_bool(sort: Sort) -> Sort:
    return BOOL


def _to_bv1(sort: Sort) -> Sort:
    return bitvec(1)


def _is_bv(sort: Sort) -> bool:
    return bv_width(sort) is not None


CORE: dict[str, Signature] = {
    "not": fixed("not", (BOOL,), BOOL),
    "=>": uniform("=>", 2, None, _bool, "Bool"),
    "and": uniform("and", 1, None, _bool, "Bool"),
    "or": uniform("or", 1, None, _bool, "Bool"),
    "xor": uniform("xor", 2, None, _bool, "Bool"),
    "=": uniform("=", 2, None, _any, "any sort", _to_bool),
    "distinct": uniform("distinct", 2, None, _any, "any sort", _to_bool),
    "ite": _ite,
}
CORE_CONSTANTS = {"true": BOOL, "false": BOOL}


def _real_result(sort: Sort) -> Sort:
    return REAL


def _divisible(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
    if len(indices) != 1 or indices[0] < 1:
        raise SignatureError("'divisible' needs one positive numeral index, written (_ divisible n)")
    return fixed("divisible", (INT,), BOOL)(args, ())


ARITHMETIC: dict[str, Signature] = {
    "+": uniform("+", 2, None, is_numeric, "Int or Real"),
    "-": uniform("-", 1, None, is_numeric, "Int or Real"),
    "*": uniform("*", 2, None, is_numeric, "Int or Real"),
    "/": uniform("/", 2, None, is_numeric, "Int or Real", _real_result),
    "div": uniform("div", 2, None, lambda s: s == INT, "Int"),
    "mod": fixed("mod", (INT, INT), INT),
    "abs": fixed("abs", (INT,), INT),
    "to_real": fixed("to_real", (INT,), REAL),
    "to_int": fixed("to_int", (REAL,), INT),
    "is_int": fixed("is_int", (REAL,), BOOL),
    "divisible": _divisible,
    **{op: uniform(op, 2, None, is_numeric, "Int or Real", _to_bool) for op in ("<=", "<", ">=", ">")},
}


# ---------------------------------------------------------------- bit-vectors


def _bv_same(name: str, low: int, high: int | None, result: Callable[[Sort], Sort] | None = None) -> Signature:
    return uniform(name, low, high, _is_bv, "a bit-vector", result)


def _concat(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
    _no_indices("concat", indices)
    _check_arity("concat", args, 2, None)
    for i, got in enumerate(args):
        if bv_width(got) is None:
            raise SignatureError(f"argument {i + 1} of 'concat' has sort {sort_text(got)}, expected a bit-vector", i)
    return bitvec(sum(bv_width(a) for a in args))


def _indexed_bv(name: str, count: int, width: Callable[[int, tuple[int, ...]], int]) -> Signature:
    """A one-argument bit-vector operator with `count` numeral indices and computed result width."""

    def signature(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
        if len(indices) != count:
            raise SignatureError(f"'{name}' needs {count} numeral ind{'ex' if count == 1 else 'ices'}, "
                                 f"written (_ {name} {' '.join(['n'] * count)})")
        _check_arity(name, args, 1, 1)
        source = bv_width(args[0])
        if source is None:
            raise SignatureError(f"the argument of '{name}' has sort {sort_text(args[0])}, expected a bit-vector", 0)
        return bitvec(width(source, indices))

    return signature


def _extract_width(m: int, indices: tuple[int, ...]) -> int:
    i, j = indices
    if not m > i >= j >= 0:
        raise SignatureError(f"(_ extract {i} {j}) needs {m} > {i} >= {j} >= 0 for a (_ BitVec {m}) argument")
    return i - j + 1


def _repeat_width(m: int, indices: tuple[int, ...]) -> int:
    if indices[0] < 1:
        raise SignatureError("(_ repeat i) needs i >= 1")
    return m * indices[0]


def _int_to_bv(name: str) -> Signature:
    def signature(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
        if len(indices) != 1:
            raise SignatureError(f"'{name}' needs one numeral index, written (_ {name} n)")
        fixed(name, (INT,), INT)(args, ())
        return bitvec(indices[0])

    return signature


def _bv2nat(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
    _no_indices("bv2nat", indices)
    _check_arity("bv2nat", args, 1, 1)
    if bv_width(args[0]) is None:
        raise SignatureError(f"the argument of 'bv2nat' has sort {sort_text(args[0])}, expected a bit-vector", 0)
    return INT


BITVECTORS: dict[str, Signature] = {
    **{op: _bv_same(op, 1, 1) for op in ("bvnot", "bvneg")},
    **{op: _bv_same(op, 2, None) for op in ("bvand", "bvor", "bvadd", "bvmul", "bvxor")},
    **{op: _bv_same(op, 2, 2) for op in (
        "bvudiv", "bvurem", "bvshl", "bvlshr", "bvsub", "bvnand", "bvnor", "bvxnor",
        "bvsdiv", "bvsrem", "bvsmod", "bvashr")},
    "bvcomp": _bv_same("bvcomp", 2, 2, _to_bv1),
    **{op: _bv_same(op, 2, 2, _to_bool) for op in (
        "bvult", "bvule", "bvugt", "bvuge", "bvslt", "bvsle", "bvsgt", "bvsge")},
    "concat": _concat,
    "extract": _indexed_bv("extract", 2, _extract_width),
    "zero_extend": _indexed_bv("zero_extend", 1, lambda m, ix: m + ix[0]),
    "sign_extend": _indexed_bv("sign_extend", 1, lambda m, ix: m + ix[0]),
    "rotate_left": _indexed_bv("rotate_left", 1, lambda m, ix: m),
    "rotate_right": _indexed_bv("rotate_right", 1, lambda m, ix: m),
    "repeat": _indexed_bv("repeat", 1, _repeat_width),
    "bv2nat": _bv2nat,
    "nat2bv": _int_to_bv("nat2bv"),
    "int2bv": _int_to_bv("int2bv"),
}


# ---------------------------------------------------------------- strings (SMT-LIB 2.6 names)


def _re_loop(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
    if len(indices) not in (1, 2):
        raise SignatureError("'re.loop' needs numeral indices, written (_ re.loop i j)")
    return fixed("re.loop", (REGLAN,), REGLAN)(args, ())


def _re_power(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
    if len(indices) != 1:
        raise SignatureError("'re.^' needs one numeral index, written (_ re.^ n)")
    return fixed("re.^", (REGLAN,), REGLAN)(args, ())


STRINGS: dict[str, Signature] = {
    "str.++": uniform("str.++", 2, None, lambda s: s == STRING, "String"),
    "str.len": fixed("str.len", (STRING,), INT),
    "str.<": uniform("str.<", 2, None, lambda s: s == STRING, "String", _to_bool),
    "str.<=": uniform("str.<=", 2, None, lambda s: s == STRING, "String", _to_bool),
    "str.at": fixed("str.at", (STRING, INT), STRING),
    "str.substr": fixed("str.substr", (STRING, INT, INT), STRING),
    "str.prefixof": fixed("str.prefixof", (STRING, STRING), BOOL),
    "str.suffixof": fixed("str.suffixof", (STRING, STRING), BOOL),
    "str.contains": fixed("str.contains", (STRING, STRING), BOOL),
    "str.indexof": fixed("str.indexof", (STRING, STRING, INT), INT),
    "str.replace": fixed("str.replace", (STRING, STRING, STRING), STRING),
    "str.replace_all": fixed("str.replace_all", (STRING, STRING, STRING), STRING),
    "str.replace_re": fixed("str.replace_re", (STRING, REGLAN, STRING), STRING),
    "str.replace_re_all": fixed("str.replace_re_all", (STRING, REGLAN, STRING), STRING),
    "str.is_digit": fixed("str.is_digit", (STRING,), BOOL),
    "str.to_code": fixed("str.to_code", (STRING,), INT),
    "str.from_code": fixed("str.from_code", (INT,), STRING),
    "str.to_int": fixed("str.to_int", (STRING,), INT),
    "str.from_int": fixed("str.from_int", (INT,), STRING),
    "str.to_re": fixed("str.to_re", (STRING,), REGLAN),
    "str.in_re": fixed("str.in_re", (STRING, REGLAN), BOOL),
    "re.*": fixed("re.*", (REGLAN,), REGLAN),
    "re.+": fixed("re.+", (REGLAN,), REGLAN),
    "re.opt": fixed("re.opt", (REGLAN,), REGLAN),
    "re.comp": fixed("re.comp", (REGLAN,), REGLAN),
    "re.range": fixed("re.range", (STRING, STRING), REGLAN),
    **{op: uniform(op, 2, None, lambda s: s == REGLAN, "RegLan") for op in ("re.++", "re.union", "re.inter")},
    "re.diff": fixed("re.diff", (REGLAN, REGLAN), REGLAN),
    "re.loop": _re_loop,
    "re.^": _re_power,
}
STRING_CONSTANTS = {"re.none": REGLAN, "re.all": REGLAN, "re.allchar": REGLAN}


# ---------------------------------------------------------------- arrays


def _select(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
    _no_indices("select", indices)
    _check_arity("select", args, 2, 2)
    array = args[0]
    if array.name != "Array" or len(array.params) != 2:
        raise SignatureError(f"the first argument of 'select' has sort {sort_text(array)}, expected an Array", 0)
    if not accepts(array.params[0], args[1]):
        raise SignatureError(f"the index of 'select' has sort {sort_text(args[1])}, "
                             f"expected {sort_text(array.params[0])}", 1)
    return array.params[1]


def _store(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
    _no_indices("store", indices)
    _check_arity("store", args, 3, 3)
    array = args[0]
    if array.name != "Array" or len(array.params) != 2:
        raise SignatureError(f"the first argument of 'store' has sort {sort_text(array)}, expected an Array", 0)
    for i, want in ((1, array.params[0]), (2, array.params[1])):
        if not accepts(want, args[i]):
            raise SignatureError(f"argument {i + 1} of 'store' has sort {sort_text(args[i])}, "
                                 f"expected {sort_text(want)}", i)
    return array


ARRAYS: dict[str, Signature] = {"select": _select, "store": _store}


# ---------------------------------------------------------------- SYCAM (CAM-THEORY §2)


def _with_numeral(name: str) -> Signature:
    """`(pow x n)` / `(topk x n)`: the checker verifies separately that n is a numeral literal."""

    def signature(args: tuple[Sort, ...], indices: tuple[int, ...]) -> Sort:
        _no_indices(name, indices)
        _check_arity(name, args, 2, 2)
        if not accepts(REAL, args[0]):
            raise SignatureError(f"the first argument of '{name}' has sort {sort_text(args[0])}, expected Real", 0)
        return REAL

    return signature


SYCAM: dict[str, Signature] = {
    # `+ - * /` keep their arithmetic signatures (element-wise on vectors); these are new or widened.
    "abs": uniform("abs", 1, 1, is_numeric, "Int or Real"),
    "relu": uniform("relu", 1, 1, is_numeric, "Real", _real_result),
    **{op: fixed(op, (REAL,), REAL) for op in logic.CHANNELWIDE},
    **{op: _with_numeral(op) for op in logic.WITH_NUMERAL},
}


def operators(logic_name: str) -> dict[str, Signature]:
    """Every theory operator a file of this logic may use (SYCAM extends the arithmetic)."""
    table = {**CORE, **ARITHMETIC, **BITVECTORS, **STRINGS, **ARRAYS}
    if logic_name == "SYCAM":
        table.update(SYCAM)
    return table


def constants() -> dict[str, Sort]:
    """Theory constants written as bare symbols."""
    return {**CORE_CONSTANTS, **STRING_CONSTANTS}


def literal_sort(kind: str, text: str) -> Sort:
    """The sort of a literal: numerals Int, decimals Real, `#x`/`#b` bit-vectors of 4/1 bits per digit."""
    if kind == "numeral":
        return INT
    if kind == "decimal":
        return REAL
    if kind == "hex":
        return bitvec(4 * len(text))
    if kind == "binary":
        return bitvec(len(text))
    if kind == "bool":
        return BOOL
    if kind == "string":
        return STRING
    raise ValueError(f"unknown literal kind {kind!r}")
