"""The examples backend's operator semantics agree with an SMT solver's (cvc5) on random arguments,
including the edge cases SMT-LIB defines (division by zero for bit-vectors, negative integer
division, out-of-range string indices), and integers never wrap."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sycam_sygus.backends.examples import Column, ExamplesBackend

from sycam_sygus.core.sorts import Sort
from sycam_sygus.engine.enumerate import TermValues
from sycam_sygus.frontend.theories import STRING, bitvec
from sycam_sygus.ir import INT, app, const, to_sygus, var

cvc5 = pytest.importorskip("cvc5")

BV4, BV8 = bitvec(4), bitvec(8)
BV_BINARY = ["bvand", "bvor", "bvxor", "bvadd", "bvmul", "bvsub", "bvudiv", "bvurem", "bvsdiv", "bvsrem", "bvsmod",
             "bvshl", "bvlshr", "bvashr", "bvnand", "bvnor", "bvxnor", "bvcomp", "bvult", "bvslt", "bvsle", "bvuge",
             "concat"]
BV_INDEXED = ["(_ extract 5 2)", "(_ zero_extend 3)", "(_ sign_extend 3)", "(_ rotate_left 3)",
              "(_ rotate_right 11)", "(_ repeat 2)"]
STRING_CASES = [("str.at", ("s", "i")), ("str.substr", ("s", "i", "j")), ("str.indexof", ("s", "t", "i")),
                ("str.replace", ("s", "t", "u")), ("str.replace_all", ("s", "t", "u")), ("str.contains", ("s", "t")),
                ("str.prefixof", ("t", "s")), ("str.suffixof", ("t", "s")), ("str.to_int", ("s",)),
                ("str.from_int", ("i",)), ("str.len", ("s",)), ("str.is_digit", ("t",)), ("str.to_code", ("t",)),
                ("str.<", ("s", "t")), ("str.<=", ("s", "t"))]
INT_OPS = ["div", "mod", "+", "-", "*", "abs", "<=", "="]


def smt_value_equals(term, value_text: str) -> bool:
    """Whether cvc5 proves the closed term equal to the literal."""
    manager = cvc5.TermManager()
    solver = cvc5.Solver(manager)
    symbols = cvc5.SymbolManager(manager)
    parser = cvc5.InputParser(solver, symbols)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6,
                          f"(set-logic ALL)(assert (not (= {to_sygus(term)} {value_text})))", "case")
    while not (command := parser.nextCommand()).isNull():
        command.invoke(solver, symbols)
    return solver.checkSat().isUnsat()


def value_of(term) -> Column:
    backend = ExamplesBackend([{}], {})
    return TermValues(backend, [0]).get(term)


def literal_text(value, sort: Sort) -> str:
    return to_sygus(const(value, sort))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(BV_BINARY), st.integers(0, 15), st.integers(0, 15))
def test_bitvector_binary_operators(op, a, b):
    term = app(op, (const(a, BV4), const(b, BV4)), BV4)
    result = value_of(term)
    sort = Sort("Bool") if result.tag == "Bool" else bitvec(result.tag)
    assert smt_value_equals(term, literal_text(result.items[0], sort)), (op, a, b, result)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(BV_INDEXED + ["bvnot", "bvneg"]), st.integers(0, 255))
def test_bitvector_unary_and_indexed_operators(op, a):
    term = app(op, (const(a, BV8),), BV8)
    result = value_of(term)
    assert smt_value_equals(term, literal_text(result.items[0], bitvec(result.tag))), (op, a, result)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(STRING_CASES), st.text("ab1-", max_size=5), st.text("ab1", max_size=2),
       st.text("xb", max_size=2), st.integers(-2, 6), st.integers(-1, 4))
def test_string_operators(case, s, t, u, i, j):
    op, names = case
    values = {"s": const(s, STRING), "t": const(t, STRING), "u": const(u, STRING), "i": const(i, INT),
              "j": const(j, INT)}
    term = app(op, tuple(values[n] for n in names), STRING)
    result = value_of(term)
    sort = {"Bool": Sort("Bool"), "Int": INT, "String": STRING}[result.tag]
    assert smt_value_equals(term, literal_text(result.items[0], sort)), (op, names, s, t, u, i, j, result)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(INT_OPS), st.integers(-50, 50), st.integers(-9, 9).filter(lambda n: n != 0))
def test_integer_operators(op, a, b):
    args = (const(a, INT),) if op == "abs" else (const(a, INT), const(b, INT))
    term = app(op, args, INT)
    result = value_of(term)
    sort = Sort("Bool") if result.tag == "Bool" else INT
    assert smt_value_equals(term, literal_text(result.items[0], sort)), (op, a, b, result)


def test_integers_do_not_wrap():
    big = 2 ** 70
    backend = ExamplesBackend([{"x": big}, {"x": -big}], {"x": INT})
    values = TermValues(backend, [0, 1])
    assert values.get(app("*", (var("x", INT), var("x", INT)), INT)).items == (big * big, big * big)


def test_integer_division_by_zero_is_undefined_not_an_error():
    assert value_of(app("div", (const(3, INT), const(0, INT)), INT)).items == (None,)


def test_equal_values_share_a_key_and_unequal_do_not():
    backend = ExamplesBackend([{"x": 1}, {"x": 2}], {"x": INT})
    values = TermValues(backend, [0, 1])
    x = var("x", INT)
    doubled = backend.value_key(values.get(app("+", (x, x), INT)))
    assert doubled == backend.value_key(values.get(app("*", (const(2, INT), x), INT)))
    assert doubled != backend.value_key(values.get(app("+", (x, const(1, INT)), INT)))
