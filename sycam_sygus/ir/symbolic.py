"""The sympy bridge: IR <-> sympy, canonical forms, answer simplification, fast equivalence keys.

Semantics follow CAM-THEORY §2: a Real term is a per-channel vector and every element-wise
operator acts on each channel like the scalar operator, so any identity sympy proves over real
scalars holds element-wise. Channel-wide operators (`topk`, `softmax`, `normalize`) and
protected division are opaque sympy Functions that only carry rewrite rules sound for vectors.
"""
from __future__ import annotations

import functools
from fractions import Fraction
from typing import Callable, Hashable

import sympy

from ..core.sorts import Sort
from .term import BOOL, INT, REAL, Term, app, const, var


class Relu(sympy.Function):
    """max(x, 0) element-wise."""

    nargs = 1
    is_real = True
    is_nonnegative = True

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sympy.Max(x, 0)
        if isinstance(x, (Relu, sympy.Abs)) or x.is_nonnegative:
            return x
        if x.is_nonpositive:
            return sympy.S.Zero
        coefficient, rest = x.as_coeff_Mul()
        if coefficient.is_positive and coefficient != 1:  # relu(c·y) = c·relu(y) for c > 0
            return coefficient * cls(rest)
        return None


class ProtectedDiv(sympy.Function):
    """x / y element-wise with x / 0 = 0; an ordinary quotient only when y is a nonzero constant."""

    nargs = 2
    is_real = True

    @classmethod
    def eval(cls, x, y):
        if y.is_Number:
            return sympy.S.Zero if y.is_zero else x / y
        if x.is_zero:
            return sympy.S.Zero
        return None


class TopK(sympy.Function):
    """Keep the n largest channels of x, zero the rest (channel-wide; no rewrites)."""

    nargs = 2
    is_real = True


class Softmax(sympy.Function):
    """Softmax over channels (channel-wide; no rewrites)."""

    nargs = 1
    is_real = True
    is_positive = True


class Normalize(sympy.Function):
    """x / max_k |x_k|, 0 staying 0 (channel-wide)."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, x):
        if isinstance(x, Normalize):
            return x  # already scaled to max |x_k| = 1
        coefficient, rest = x.as_coeff_Mul()
        if coefficient.is_positive and coefficient != 1:  # invariant under positive scaling
            return cls(rest)
        return None


class Ite(sympy.Function):
    """Element-wise select. Not sympy's Piecewise: its evaluation recurses without end on
    conditions such as `Eq(4, TopK(2, 2))`, and the rewrites wanted here are done in `_ite`."""

    nargs = 3

    @classmethod
    def eval(cls, condition, then, otherwise):
        if condition == sympy.true:
            return then
        if condition == sympy.false or then == otherwise:
            return otherwise
        return None

    def _eval_is_real(self):
        return self.args[1].is_real and self.args[2].is_real


_COMPARE = {">=": sympy.Ge, "<=": sympy.Le, ">": sympy.Gt, "<": sympy.Lt}


def _symbol(name: str, sort: Sort) -> sympy.Symbol:
    if sort == INT:
        return sympy.Symbol(name, integer=True)
    if sort == REAL:
        return sympy.Symbol(name, real=True)
    return sympy.Symbol(name)


def _constant(value: object) -> sympy.Basic:
    if isinstance(value, bool):
        return sympy.true if value else sympy.false
    if isinstance(value, (int, Fraction)):
        value = Fraction(value)
        return sympy.Rational(value.numerator, value.denominator)
    raise ValueError(f"the sympy bridge handles numbers and Booleans, not {value!r}")


def _minus(args: list) -> sympy.Basic:
    return -args[0] if len(args) == 1 else args[0] - sympy.Add(*args[1:])


def _equal(args: list, boolean: bool) -> sympy.Basic:
    pairs = zip(args, args[1:])
    relation = sympy.Equivalent if boolean else sympy.Eq
    return sympy.And(*(relation(a, b) for a, b in pairs))


def _chain(relation: Callable) -> Callable[[list], sympy.Basic]:
    return lambda args: sympy.And(*(relation(a, b) for a, b in zip(args, args[1:])))


def _ite(condition: sympy.Basic, then: sympy.Basic, otherwise: sympy.Basic, sort: Sort) -> sympy.Basic:
    """`Ite`, recognising the `ite` spellings of relu and abs (a user define-fun ReLU must mean relu)."""
    if condition == sympy.true:
        return then
    if condition == sympy.false:
        return otherwise
    if isinstance(condition, (sympy.Ge, sympy.Gt, sympy.Le, sympy.Lt)):
        # f ⋈ 0 with f = lhs - rhs for >=, >, and rhs - lhs for <=, <; all patterns agree at f = 0.
        f = condition.lhs - condition.rhs if isinstance(condition, (sympy.Ge, sympy.Gt)) else \
            condition.rhs - condition.lhs
        patterns = {
            (f, 0): lambda: Relu(f), (0, -f): lambda: Relu(-f),
            (0, f): lambda: -Relu(-f), (-f, 0): lambda: -Relu(f),
            (f, -f): lambda: sympy.Abs(f), (-f, f): lambda: -sympy.Abs(f),
        }
        for (p, q), build in patterns.items():
            if then - p == 0 and otherwise - q == 0:
                return build()
    if sort == BOOL:
        return sympy.ITE(condition, then, otherwise)
    return Ite(condition, then, otherwise)


# sympy folds a number's power exactly: (pow 2.0 3000000000) would take many seconds and a
# billion-digit rational. Beyond this exponent a numeric base has no sympy form (ValueError).
FOLDED_EXPONENT_LIMIT = 1024


def _sympy_power(base: sympy.Basic, exponent: int) -> sympy.Basic:
    if base.is_Number and exponent > FOLDED_EXPONENT_LIMIT and base not in (0, 1, -1):
        raise ValueError(f"(pow {base} {exponent}): the exponent is too large to fold a constant exactly "
                         f"(at most {FOLDED_EXPONENT_LIMIT})")
    return base ** exponent


_TO_SYMPY: dict[str, Callable[[Term, list], sympy.Basic]] = {
    "var": lambda t, a: _symbol(str(t.param), t.sort),
    "const": lambda t, a: _constant(t.param),
    "+": lambda t, a: sympy.Add(*a),
    "-": lambda t, a: _minus(a),
    "*": lambda t, a: sympy.Mul(*a),
    "/": lambda t, a: functools.reduce(ProtectedDiv, a),
    "abs": lambda t, a: sympy.Abs(a[0]),
    "relu": lambda t, a: Relu(a[0]),
    "pow": lambda t, a: _sympy_power(a[0], int(t.param)),
    "topk": lambda t, a: TopK(a[0], sympy.Integer(int(t.param))),
    "softmax": lambda t, a: Softmax(a[0]),
    "normalize": lambda t, a: Normalize(a[0]),
    "ite": lambda t, a: _ite(*a, t.sort),
    "=": lambda t, a: _equal(a, t.args[0].sort == BOOL),
    **{op: (lambda relation: lambda t, a: _chain(relation)(a))(relation) for op, relation in _COMPARE.items()},
    "and": lambda t, a: sympy.And(*a),
    "or": lambda t, a: sympy.Or(*a),
    "not": lambda t, a: sympy.Not(a[0]),
}


def to_sympy(term: Term) -> sympy.Basic:
    """The term as a sympy expression over real symbols (Int terminals are integer symbols)."""
    done: dict[Term, sympy.Basic] = {}
    for node in term.walk():
        convert = _TO_SYMPY.get(node.op)
        if convert is None:
            raise ValueError(f"the sympy bridge has no meaning for '{node.op}' (only complete SYCAM terms)")
        done[node] = convert(node, [done[a] for a in node.args])
    return done[term]


# ---------------------------------------------------------------- sympy -> IR


def _number(value: sympy.Basic, sort: Sort) -> Term:
    fraction = Fraction(int(value.p), int(value.q)) if value.is_Rational else Fraction(float(value))
    if sort == INT and fraction.denominator == 1:
        return const(int(fraction), INT)
    return const(fraction, REAL)


def _operand_sort(args: tuple) -> Sort:
    return INT if all(a.is_integer for a in args) else REAL


def _from_add(expr: sympy.Add, sort: Sort) -> Term:
    """`a + b - c - d` as `(- (+ a b) c d)`: fewer nodes than multiplying by -1."""
    positive, negative = [], []
    for summand in expr.args:
        coefficient, _ = summand.as_coeff_Mul()
        (negative if coefficient.is_negative else positive).append(summand)
    pos_terms = [from_sympy(s, sort) for s in positive]
    neg_terms = [from_sympy(-s, sort) for s in negative]
    if not neg_terms:
        return app("+", pos_terms, sort)
    if not pos_terms:
        return app("-", [app("+", neg_terms, sort) if len(neg_terms) > 1 else neg_terms[0]], sort)
    head = pos_terms[0] if len(pos_terms) == 1 else app("+", pos_terms, sort)
    return app("-", [head, *neg_terms], sort)


def _from_mul(expr: sympy.Mul, sort: Sort) -> Term:
    coefficient, rest = expr.as_coeff_Mul()
    if coefficient == -1:
        return app("-", [from_sympy(rest, sort)], sort)
    factors = [from_sympy(f, sort) for f in sympy.Mul.make_args(rest)]
    if coefficient != 1:
        factors.insert(0, _number(coefficient, sort))
    return factors[0] if len(factors) == 1 else app("*", factors, sort)


def _from_pow(expr: sympy.Pow, sort: Sort) -> Term:
    base, exponent = expr.args
    if not (exponent.is_Integer and exponent >= 1):
        raise ValueError(f"{expr} has no SYCAM form (pow needs a numeral exponent >= 1)")
    return app("pow", [from_sympy(base, sort)], sort, int(exponent))


def _from_ite(expr: "Ite", sort: Sort) -> Term:
    condition, then, otherwise = expr.args
    return app("ite", [from_sympy(condition, BOOL), from_sympy(then, sort), from_sympy(otherwise, sort)], sort)


def _from_relational(op: str) -> Callable[[sympy.Basic, Sort], Term]:
    def convert(expr: sympy.Basic, sort: Sort) -> Term:
        operand = _operand_sort(expr.args)
        return app(op, [from_sympy(a, operand) for a in expr.args], BOOL)

    return convert


def _unary(op: str) -> Callable[[sympy.Basic, Sort], Term]:
    return lambda expr, sort: app(op, [from_sympy(expr.args[0], sort)], sort)


def _from_max(expr: sympy.Max, sort: Sort) -> Term:
    if len(expr.args) == 2 and sympy.S.Zero in expr.args:
        other = expr.args[0] if expr.args[1] == 0 else expr.args[1]
        return app("relu", [from_sympy(other, sort)], sort)
    raise ValueError(f"{expr} has no SYCAM form")


_FROM_SYMPY: dict[type, Callable[[sympy.Basic, Sort], Term]] = {
    sympy.Add: _from_add,
    sympy.Mul: _from_mul,
    sympy.Pow: _from_pow,
    Ite: _from_ite,
    sympy.Max: _from_max,
    sympy.Abs: _unary("abs"),
    Relu: _unary("relu"),
    Softmax: _unary("softmax"),
    Normalize: _unary("normalize"),
    ProtectedDiv: lambda e, s: app("/", [from_sympy(a, s) for a in e.args], s),
    TopK: lambda e, s: app("topk", [from_sympy(e.args[0], s)], s, int(e.args[1])),
    sympy.Ge: _from_relational(">="),
    sympy.Gt: _from_relational(">"),
    sympy.Le: _from_relational("<="),
    sympy.Lt: _from_relational("<"),
    sympy.Eq: _from_relational("="),
    sympy.And: lambda e, s: app("and", [from_sympy(a, BOOL) for a in e.args], BOOL),
    sympy.Or: lambda e, s: app("or", [from_sympy(a, BOOL) for a in e.args], BOOL),
    sympy.Not: lambda e, s: app("not", [from_sympy(e.args[0], BOOL)], BOOL),
    sympy.Equivalent: lambda e, s: app("=", [from_sympy(a, BOOL) for a in e.args], BOOL),
    sympy.ITE: lambda e, s: app("ite", [from_sympy(a, BOOL) for a in e.args], BOOL),
    sympy.Implies: lambda e, s: app("or", [app("not", [from_sympy(e.args[0], BOOL)], BOOL),
                                           from_sympy(e.args[1], BOOL)], BOOL),
}


def from_sympy(expr: sympy.Basic, sort: Sort) -> Term:
    """An IR term of `sort` for a sympy expression built from to_sympy's vocabulary."""
    if expr is sympy.true or expr is sympy.false:
        return const(bool(expr), BOOL)
    if isinstance(expr, sympy.Symbol):
        symbol_sort = INT if expr.is_integer else REAL if expr.is_real else BOOL
        return var(expr.name, symbol_sort)
    if expr.is_Number:
        return _number(expr, sort)
    convert = _FROM_SYMPY.get(type(expr))
    if convert is None:
        raise ValueError(f"{expr} ({type(expr).__name__}) has no SYCAM form")
    return convert(expr, sort)


def canonical(term: Term) -> Term:
    """The term in sympy's canonical form: equal results mean equal meaning (not conversely)."""
    return from_sympy(to_sympy(term), term.sort)


def simplify(term: Term) -> Term:
    """The smallest of the term, its canonical form and that form with common factors pulled out
    (for answers). No expansion: `(pow (+ a b) 9)` would explode."""
    expression = to_sympy(term)
    best = term
    for rewrite in (lambda e: e, sympy.factor_terms):
        candidate = from_sympy(rewrite(expression), term.sort)
        if candidate.size < best.size:
            best = candidate
    return best


# ---------------------------------------------------------------- fast equivalence keys
#
# The enumerator asks for keys of thousands of small terms; sympy costs about a millisecond per
# term, so keys come from a structural normaliser over the IR itself: sums and products are
# flattened, like terms collected, constants folded, commutative arguments sorted, and the
# same sound relu/abs/ite rules as above applied. Equal keys imply equal meaning.


def canonical_key(term: Term) -> Hashable:
    """A key equal for terms the structural normaliser identifies (memoised by term identity)."""
    return _normal(term)


def _order(term: Term) -> tuple[int, int]:
    return term.size, hash(term)


def _num(value: Fraction | int, sort: Sort) -> Term:
    value = Fraction(value)
    if sort == INT and value.denominator == 1:
        return const(int(value), INT)
    return const(value, REAL)


def _value(term: Term) -> Fraction | None:
    if term.op == "const" and isinstance(term.param, (int, Fraction)) and not isinstance(term.param, bool):
        return Fraction(term.param)
    return None


def _split(term: Term) -> tuple[Fraction, Term | None]:
    """(coefficient, rest) of a normal term; rest is None for a constant."""
    value = _value(term)
    if value is not None:
        return value, None
    if term.op == "*" and _value(term.args[0]) is not None:
        rest = term.args[1:]
        return _value(term.args[0]), rest[0] if len(rest) == 1 else app("*", rest, term.sort)
    return Fraction(1), term


def _flat(op: str, terms: tuple[Term, ...] | list[Term]) -> list[Term]:
    return [part for t in terms for part in (t.args if t.op == op else (t,))]


def _sum(terms: list[Term], sort: Sort) -> Term:
    coefficients: dict[Term, Fraction] = {}
    constant = Fraction(0)
    for summand in _flat("+", terms):
        coefficient, base = _split(summand)
        if base is None:
            constant += coefficient
        else:
            coefficients[base] = coefficients.get(base, Fraction(0)) + coefficient
    parts = [_scale(coefficients[b], b, sort) for b in sorted(coefficients, key=_order) if coefficients[b]]
    if constant or not parts:
        parts.append(_num(constant, sort))
    return parts[0] if len(parts) == 1 else app("+", parts, sort)


def _scale(coefficient: Fraction, base: Term, sort: Sort) -> Term:
    if coefficient == 1:
        return base
    factors = base.args if base.op == "*" else (base,)
    return app("*", (_num(coefficient, sort), *factors), sort)


def _product(factors: list[Term], sort: Sort) -> Term:
    coefficient = Fraction(1)
    exponents: dict[Term, int] = {}
    for factor in _flat("*", factors):
        value = _value(factor)
        if value is not None:
            coefficient *= value
        elif factor.op == "pow":
            exponents[factor.args[0]] = exponents.get(factor.args[0], 0) + int(factor.param)
        else:
            exponents[factor] = exponents.get(factor, 0) + 1
    if coefficient == 0 or not exponents:
        return _num(coefficient, sort)
    parts = [b if n == 1 else app("pow", (b,), sort, n) for b, n in sorted(exponents.items(), key=lambda i: _order(i[0]))]
    if len(parts) == 1 and parts[0].op == "+" and coefficient != 1:
        return _sum([_product([_num(coefficient, sort), t], sort) for t in parts[0].args], sort)
    if coefficient == 1:
        return parts[0] if len(parts) == 1 else app("*", parts, sort)
    return app("*", (_num(coefficient, sort), *parts), sort)


def _negate(term: Term) -> Term:
    return _product([_num(-1, term.sort), term], term.sort)


def _power(base: Term, exponent: int, sort: Sort) -> Term:
    value = _value(base)
    if value is not None and (exponent <= FOLDED_EXPONENT_LIMIT or value in (0, 1, -1)):  # as _sympy_power
        return _num(value ** exponent, sort)
    if base.op == "*":
        return _product([_power(f, exponent, sort) for f in base.args], sort)
    if base.op == "pow":
        return app("pow", base.args, sort, int(base.param) * exponent)
    return base if exponent == 1 else app("pow", (base,), sort, exponent)


def _nonnegative(term: Term) -> bool:
    return term.op in ("relu", "abs", "softmax") or (term.op == "pow" and int(term.param) % 2 == 0)


def _relu(term: Term, sort: Sort) -> Term:
    value = _value(term)
    if value is not None:
        return _num(max(value, Fraction(0)), sort)
    if _nonnegative(term):
        return term
    coefficient, base = _split(term)
    if coefficient > 0 and coefficient != 1:
        return _product([_num(coefficient, sort), _relu(base, sort)], sort)
    return app("relu", (term,), sort)


def _abs(term: Term, sort: Sort) -> Term:
    value = _value(term)
    if value is not None:
        return _num(abs(value), sort)
    if _nonnegative(term):
        return term
    coefficient, base = _split(term)
    if coefficient != 1:
        return _product([_num(abs(coefficient), sort), _abs(base, sort)], sort)
    return app("abs", (term,), sort)


def _divide(numerator: Term, denominator: Term, sort: Sort) -> Term:
    value = _value(denominator)
    if value is not None:
        return _num(0, sort) if value == 0 else _product([_num(1 / value, sort), numerator], sort)
    if _value(numerator) == 0:
        return _num(0, sort)
    return app("/", (numerator, denominator), sort)


def _compare(op: str, args: tuple[Term, ...]) -> Term:
    """Chains split into pairs; each pair as `f >= 0`, `f > 0` or `f = 0` with f a normal difference."""
    if len(args) > 2:
        return _connective("and", [_compare(op, pair) for pair in zip(args, args[1:])])
    left, right = args
    if left.sort == BOOL:
        return app(op, tuple(sorted(args, key=_order)), BOOL)
    if op in ("<=", "<"):
        left, right, op = right, left, {"<=": ">=", "<": ">"}[op]
    difference = _sum([left, _negate(right)], left.sort)
    value = _value(difference)
    if value is not None:
        return const({">=": value >= 0, ">": value > 0, "=": value == 0}[op], BOOL)
    if op == "=":
        difference = min(difference, _negate(difference), key=_order)
    return app(op, (difference, _num(0, difference.sort)), BOOL)


def _connective(op: str, args: list[Term]) -> Term:
    unit, absorbing = (True, False) if op == "and" else (False, True)
    parts: dict[Term, None] = {}
    for part in _flat(op, args):
        if part.op == "const" and part.param is absorbing:
            return const(absorbing, BOOL)
        if not (part.op == "const" and part.param is unit):
            parts[part] = None
    ordered = sorted(parts, key=_order)
    if not ordered:
        return const(unit, BOOL)
    return ordered[0] if len(ordered) == 1 else app(op, ordered, BOOL)


def _not(term: Term) -> Term:
    if term.op == "not":
        return term.args[0]
    if term.op == "const":
        return const(not term.param, BOOL)
    if term.op in (">=", ">"):  # not (f >= 0)  <=>  -f > 0 over the reals
        return app(">" if term.op == ">=" else ">=", (_negate(term.args[0]), term.args[1]), BOOL)
    return app("not", (term,), BOOL)


def _ite_normal(condition: Term, then: Term, otherwise: Term, sort: Sort) -> Term:
    if condition.op == "const":
        return then if condition.param else otherwise
    if then is otherwise:
        return then
    if condition.op == "not":
        condition, then, otherwise = condition.args[0], otherwise, then
    if condition.op in (">=", ">") and condition.args[0].sort != BOOL:
        f = condition.args[0]
        minus_f, zero = _negate(f), _num(0, sort)
        patterns = {
            (f, zero): lambda: _relu(f, sort), (zero, minus_f): lambda: _relu(minus_f, sort),
            (zero, f): lambda: _negate(_relu(minus_f, sort)), (minus_f, zero): lambda: _negate(_relu(f, sort)),
            (f, minus_f): lambda: _abs(f, sort), (minus_f, f): lambda: _negate(_abs(f, sort)),
        }
        build = patterns.get((then, otherwise))
        if build is not None:
            return build()
    return app("ite", (condition, then, otherwise), sort)


def _normalize(term: Term, sort: Sort) -> Term:
    if term.op == "normalize":
        return term
    coefficient, base = _split(term)
    if base is not None and coefficient > 0 and coefficient != 1:
        return app("normalize", (base,), sort)
    return app("normalize", (term,), sort)


_NORMAL_RULES: dict[str, Callable[[Term, tuple[Term, ...]], Term]] = {
    "+": lambda t, a: _sum(list(a), t.sort),
    "-": lambda t, a: _negate(a[0]) if len(a) == 1 else _sum([a[0], *map(_negate, a[1:])], t.sort),
    "*": lambda t, a: _product(list(a), t.sort),
    "/": lambda t, a: functools.reduce(lambda x, y: _divide(x, y, t.sort), a),
    "pow": lambda t, a: _power(a[0], int(t.param), t.sort),
    "relu": lambda t, a: _relu(a[0], t.sort),
    "abs": lambda t, a: _abs(a[0], t.sort),
    "normalize": lambda t, a: _normalize(a[0], t.sort),
    "ite": lambda t, a: _ite_normal(*a, t.sort),
    "not": lambda t, a: _not(a[0]),
    "and": lambda t, a: _connective("and", list(a)),
    "or": lambda t, a: _connective("or", list(a)),
    **{op: (lambda op: lambda t, a: _compare(op, a))(op) for op in (">=", "<=", ">", "<", "=")},
}


@functools.lru_cache(maxsize=1 << 18)
def _normal(term: Term) -> Term:
    if not term.args:
        value = _value(term)
        return term if value is None else _num(value, term.sort)
    args = tuple(_normal(a) for a in term.args)
    rule = _NORMAL_RULES.get(term.op)
    return rule(term, args) if rule else app(term.op, args, term.sort, term.param)
