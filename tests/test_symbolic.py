"""The sympy bridge: identities, round trips, printed answers, and soundness by evaluation.

Soundness is checked with an exact evaluator written here from CAM-THEORY §2 (Fractions per
channel, protected division x/0 = 0): a term, its sympy canonical form and its fast key (itself
an IR term) must give the same weight vector on random inputs.
"""
import math
import random
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sycam_sygus.frontend.lower import lower_term
from sycam_sygus.frontend.parser import parse_term, parse_text
from sycam_sygus.ir import BOOL, INT, REAL, app, const, to_sygus, var
from sycam_sygus.ir.symbolic import (
    ProtectedDiv,
    Relu,
    canonical,
    canonical_key,
    from_sympy,
    simplify,
    to_sympy,
)

TERMINALS = ("grads", "cic", "abl")
SCOPE = {name: var(name) for name in TERMINALS} | {"class": var("class", INT)}
K = 6  # channels


def ir(text: str, macros=None):
    """A SYCAM term from SyGuS text, over the terminals above."""
    return lower_term(parse_term(text), SCOPE, macros)


def relu_macro():
    script = parse_text("(define-fun relu ((x Real)) Real (ite (>= x 0.0) x 0.0))")
    return {"relu": script.commands[0]}


# ---------------------------------------------------------------- an exact evaluator (CAM-THEORY §2)


def _elementwise(function, *vectors):
    return [function(*values) for values in zip(*vectors)]


def _topk(x, n):
    order = sorted(range(len(x)), key=lambda k: (-x[k], k))  # ties keep the lower channel
    keep = set(order[:n])
    return [v if k in keep else 0 * v for k, v in enumerate(x)]


def _softmax(x):
    # Exact Fractions of the float softmax: the same argument vector gives the same output, so the
    # comparison of a term with its canonical forms stays exact.
    peak = max(x)
    exps = [math.exp(float(max(v - peak, -1000))) for v in x]  # shifted: no overflow, same softmax
    return [Fraction(e / sum(exps)) for e in exps]


def _normalize(x):
    peak = max(abs(v) for v in x)
    return [0 * v for v in x] if peak == 0 else [v / peak for v in x]


def _div(x, y):
    return 0 * x if y == 0 else x / y


OPS = {
    "+": lambda t, a: [sum(vs) for vs in zip(*a)],
    "-": lambda t, a: [-v for v in a[0]] if len(a) == 1 else [vs[0] - sum(vs[1:]) for vs in zip(*a)],
    "*": lambda t, a: [math.prod(vs) for vs in zip(*a)],
    "/": lambda t, a: [vs[0] if len(vs) == 1 else _fold_div(vs) for vs in zip(*a)],
    "abs": lambda t, a: _elementwise(abs, a[0]),
    "relu": lambda t, a: _elementwise(lambda v: max(v, 0 * v), a[0]),
    "pow": lambda t, a: _elementwise(lambda v: v ** t.param, a[0]),
    "topk": lambda t, a: _topk(a[0], t.param),
    "softmax": lambda t, a: _softmax(a[0]),
    "normalize": lambda t, a: _normalize(a[0]),
    "ite": lambda t, a: _elementwise(lambda c, x, y: x if c else y, *a),
    ">=": lambda t, a: _elementwise(lambda x, y: x >= y, *a),
    "<=": lambda t, a: _elementwise(lambda x, y: x <= y, *a),
    ">": lambda t, a: _elementwise(lambda x, y: x > y, *a),
    "<": lambda t, a: _elementwise(lambda x, y: x < y, *a),
    "=": lambda t, a: _elementwise(lambda x, y: x == y, *a),
    "and": lambda t, a: [all(vs) for vs in zip(*a)],
    "or": lambda t, a: [any(vs) for vs in zip(*a)],
    "not": lambda t, a: [not v for v in a[0]],
}


def _fold_div(values):
    result = values[0]
    for v in values[1:]:
        result = _div(result, v)
    return result


def evaluate(term, inputs):
    """The term's per-channel values, exact Fractions (Booleans for conditions)."""
    if term.op == "var":
        return inputs[term.param]
    if term.op == "const":
        return [term.param] * K
    return OPS[term.op](term, [evaluate(a, inputs) for a in term.args])


def same_values(a, b):
    return list(a) == list(b)


def random_inputs(rng):
    values = [Fraction(rng.randint(-6, 6), rng.choice((1, 2, 3))) for _ in range(K * len(TERMINALS))]
    return {name: values[i * K:(i + 1) * K] for i, name in enumerate(TERMINALS)}


# ---------------------------------------------------------------- identities


@pytest.mark.parametrize("left, right", [
    ("(+ grads cic)", "(+ cic grads)"),
    ("(relu (relu grads))", "(relu grads)"),
    ("(* 2 (* 3 grads))", "(* 6 grads)"),
    ("(* 2.0 (* 3.0 grads))", "(* 6.0 grads)"),
    ("(+ grads grads)", "(* 2 grads)"),
    ("(* grads grads)", "(pow grads 2)"),
    ("(ite (>= grads 0.0) grads 0.0)", "(relu grads)"),
    ("(ite (< grads 0.0) 0.0 grads)", "(relu grads)"),
    ("(ite (>= grads 0.0) grads (- grads))", "(abs grads)"),
    ("(/ grads 2)", "(* 0.5 grads)"),
    ("(normalize (* 3 grads))", "(normalize grads)"),
    ("(relu (pow grads 2))", "(pow grads 2)"),
    ("(relu (* 2 cic))", "(* 2 (relu cic))"),
    ("(- grads cic)", "(+ grads (* (- 1) cic))"),
])
def test_identities_hold_in_both_canonical_forms(left, right):
    assert canonical(ir(left)) is canonical(ir(right))
    assert canonical_key(ir(left)) == canonical_key(ir(right))


@pytest.mark.parametrize("left, right", [
    ("(/ (* grads cic) cic)", "grads"),  # protected division: 0 where cic = 0
    ("(/ grads cic)", "(/ cic grads)"),
    ("(relu (+ grads cic))", "(+ (relu grads) (relu cic))"),
    ("(relu (- grads))", "(relu grads)"),
    ("(softmax (* 2 grads))", "(softmax grads)"),
    ("(topk grads 2)", "(topk grads 3)"),
    ("(ite (>= grads 0.0) cic 0.0)", "(relu cic)"),
    ("(abs grads)", "grads"),
])
def test_different_meanings_are_kept_apart(left, right):
    assert canonical(ir(left)) is not canonical(ir(right))
    assert canonical_key(ir(left)) != canonical_key(ir(right))


def test_protected_division_only_simplifies_by_nonzero_constants():
    assert to_sympy(ir("(/ grads 4)")) == sympy.Rational(1, 4) * sympy.Symbol("grads", real=True)
    assert to_sympy(ir("(/ grads 0)")) == 0
    assert isinstance(to_sympy(ir("(/ grads cic)")), ProtectedDiv)
    assert to_sympy(ir("(/ 0 cic)")) == 0


def test_relu_of_constants_folds_to_max():
    assert to_sympy(ir("(relu (- 3))")) == 0
    assert to_sympy(ir("(relu 2.5)")) == sympy.Rational(5, 2)
    assert canonical_key(ir("(relu (- 3))")) is const(Fraction(0), REAL)


def test_user_relu_macro_is_the_builtin_relu():
    macros = relu_macro()
    user = ir("(relu (+ grads cic))", macros)
    assert user.op == "ite"  # expanded as written
    assert canonical(user) is canonical(app("relu", [ir("(+ grads cic)")], REAL))
    assert canonical_key(user) == canonical_key(app("relu", [ir("(+ grads cic)")], REAL))


def test_abs_and_pow_map_to_sympy_abs_and_powers():
    grads = sympy.Symbol("grads", real=True)
    assert to_sympy(ir("(abs grads)")) == sympy.Abs(grads)
    assert to_sympy(ir("(pow grads 3)")) == grads ** 3
    assert to_sympy(ir("(abs (pow grads 2))")) == grads ** 2  # real symbols: |x^2| = x^2
    assert isinstance(to_sympy(ir("(relu grads)")), Relu)


# ---------------------------------------------------------------- round trips and printing


@pytest.mark.parametrize("text", [
    "(* grads abl)", "(relu (+ grads cic))", "(pow cic 3)", "(- grads (* 3 cic))",
    "(/ grads cic)", "(topk (abs grads) 2)", "(softmax (relu cic))", "(normalize abl)",
    "(ite (> grads cic) abl (- abl))", "(ite (= class 3) grads cic)", "(* 0.25 grads)",
])
def test_ir_sympy_ir_round_trip_is_a_fixed_point_after_one_step(text):
    once = canonical(ir(text))
    assert from_sympy(to_sympy(once), once.sort) is once
    assert to_sympy(once) == to_sympy(ir(text))


def test_from_sympy_reads_back_vocabulary():
    grads, cic = sympy.symbols("grads cic", real=True)
    assert to_sygus(from_sympy(Relu(grads) * cic, REAL)) == "(* cic (relu grads))"
    assert to_sygus(from_sympy(grads - 2 * cic, REAL)) == "(- grads (* 2.0 cic))"
    assert to_sygus(from_sympy(sympy.Max(grads, 0), REAL)) == "(relu grads)"
    with pytest.raises(ValueError, match="no SYCAM form"):
        from_sympy(sympy.sqrt(grads), REAL)


@pytest.mark.parametrize("text, printed", [
    ("(* grads (+ 1 1))", "(* 2.0 grads)"),
    ("(relu (relu (+ grads cic)))", "(relu (+ cic grads))"),
    ("(+ (* 2 grads) (* 3 grads))", "(* 5.0 grads)"),
    ("(ite (>= abl 0.0) abl 0.0)", "(relu abl)"),
    ("(- (+ grads cic) cic)", "grads"),
    ("(/ (* grads abl) 1)", "(* abl grads)"),
    ("(pow (* 2 grads) 2)", "(pow (* 2.0 grads) 2)"),  # (* 4.0 (pow grads 2)) would be larger
])
def test_simplified_answers_print_as_sygus(text, printed):
    term = ir(text)
    simple = simplify(term)
    assert to_sygus(simple) == printed
    assert simple.size <= term.size
    assert parse_term(to_sygus(simple))  # printed text reads back


# ---------------------------------------------------------------- soundness by evaluation


LEAVES = st.sampled_from(
    [var(name) for name in TERMINALS] + [const(Fraction(v), REAL) for v in (0, 1, 2, -1, Fraction(1, 2))])


def _extend(children):
    unary = st.sampled_from(["relu", "abs", "-", "softmax", "normalize"])
    binary = st.sampled_from(["+", "-", "*", "/"])
    compare = st.sampled_from([">=", ">", "<=", "<", "="])
    return st.one_of(
        st.builds(lambda op, a: app(op, [a], REAL), unary, children),
        st.builds(lambda op, a, b: app(op, [a, b], REAL), binary, children, children),
        st.builds(lambda a, n: app("pow", [a], REAL, n), children, st.integers(1, 3)),
        st.builds(lambda a, n: app("topk", [a], REAL, n), children, st.integers(1, 3)),
        st.builds(lambda op, c, d, a, b: app("ite", [app(op, [c, d], BOOL), a, b], REAL),
                  compare, children, children, children, children),
    )


TERMS = st.recursive(LEAVES, _extend, max_leaves=7)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TERMS, st.integers(0, 2**32))
def test_canonical_forms_and_keys_mean_what_the_term_means(term, seed):
    rng = random.Random(seed)
    key = canonical_key(term)
    sympy_form = canonical(term)
    for _ in range(3):
        inputs = random_inputs(rng)
        expected = evaluate(term, inputs)
        assert same_values(evaluate(key, inputs), expected), (to_sygus(term), to_sygus(key))
        assert same_values(evaluate(sympy_form, inputs), expected), (to_sygus(term), to_sygus(sympy_form))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TERMS)
def test_simplify_never_grows_and_keeps_meaning(term):
    simple = simplify(term)
    assert simple.size <= term.size
    inputs = random_inputs(random.Random(term.size))
    assert same_values(evaluate(simple, inputs), evaluate(term, inputs))


def test_canonical_key_is_memoised_by_term_identity():
    term = ir("(+ (relu grads) (* 2 cic))")
    assert canonical_key(term) is canonical_key(term)
    assert canonical_key(canonical_key(term)) is canonical_key(term)  # a normal form is its own key


def test_the_key_of_a_huge_power_of_a_constant_is_found_at_once():
    # folding 3^2000000000 exactly would take minutes (the enumerator keys every term it builds)
    import time

    from sycam_sygus.ir.symbolic import canonical_key

    began = time.monotonic()
    huge = app("pow", [const(Fraction(3))], REAL, 2000000000)
    assert canonical_key(huge) != canonical_key(app("pow", [const(Fraction(3))], REAL, 2000000001))
    assert canonical_key(app("pow", [const(Fraction(1))], REAL, 2000000000)) == canonical_key(const(Fraction(1)))
    assert time.monotonic() - began < 2.0
    assert canonical_key(app("pow", [const(Fraction(3))], REAL, 2)) == canonical_key(const(Fraction(9)))
