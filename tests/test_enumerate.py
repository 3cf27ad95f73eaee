"""The bottom-up enumerator: sizes, syntactic de-duplication, banks, feedback and exhaustion."""
from collections import Counter
from fractions import Fraction

import numpy as np
from fake_backend import FakeBackend
from hypothesis import given, settings
from hypothesis import strategies as st

from sycam_sygus.engine.enumerate import Enumerator, TermValues, fill, slots
from sycam_sygus.ir import INT, REAL, app, const, derivable, hole, to_sygus, var
from sycam_sygus.ir.problem import Grammar
from sycam_sygus.ir.symbolic import canonical_key

X, Y = var("x"), var("y")
W, T = hole("W", REAL), hole("T", REAL)


def plus(a, b):
    return app("+", (a, b), REAL)


def grammar(**productions):
    return Grammar(tuple((nt, REAL) for nt in productions), productions)


def texts(enumerator):
    return [to_sygus(item.term) for item in enumerator]


def test_sizes_and_syntactic_duplicates_hand_counted():
    # W -> x | y | (+ W W): terms are a·x + b·y with a + b leaves. Size 1 {x, y}; size 3:
    # 4 ordered pairs, 3 sums {2x, x+y, 2y}; size 5: (+ leaf size3) and (+ size3 leaf),
    # 12 ordered, 4 sums {3x, 2x+y, x+2y, 3y}; size 7: 2·4 + 3·3 + 4·2 = 25 built, 5 sums.
    pruned = []
    enum = Enumerator(grammar(W=(X, Y, plus(W, W))), [("x", REAL), ("y", REAL)], 7,
                      on_syntax_duplicate=lambda t, nt: pruned.append(t.size))
    sizes = Counter(item.size for item in enum)
    assert sizes == {1: 2, 3: 3, 5: 4, 7: 5}
    assert Counter(pruned) == {3: 1, 5: 8, 7: 20}
    assert not enum.exhausted


def test_smallest_first_and_order_is_deterministic():
    first = texts(Enumerator(grammar(W=(X, Y, plus(W, W))), [], 3))
    assert first == ["x", "y", "(+ x x)", "(+ x y)", "(+ y y)"]
    assert texts(Enumerator(grammar(W=(X, Y, plus(W, W))), [], 3)) == first


def test_rejected_terms_never_build_bigger_ones():
    enum = Enumerator(grammar(W=(X, Y, plus(W, W))), [], 5)
    seen = []
    for item in enum:
        seen.append(to_sygus(item.term))
        if item.term is Y:
            enum.reject(item.term, item.nonterminal)
    assert "y" in seen and not any("y" in t for t in seen if t != "y")
    assert seen == ["x", "y", "(+ x x)", "(+ x (+ x x))"]


def test_nonterminals_units_and_repeated_holes_expand_independently():
    g = grammar(W=(T, app("*", (W, T), REAL)), T=(X, Y))
    items = list(Enumerator(g, [], 3))
    by_nt = {nt: [to_sygus(i.term) for i in items if i.nonterminal == nt] for nt in ("W", "T")}
    assert by_nt["T"] == ["x", "y"]
    assert by_nt["W"] == ["x", "y", "(* x x)", "(* x y)", "(* y y)"]


def test_constant_and_variable_slots():
    g = Grammar((("W", REAL), ("C", REAL)), {
        "W": (app("any_variable", (), REAL), app("*", (W, hole("C", REAL)), REAL)),
        "C": (app("any_constant", (), REAL),),
    })
    params = [("grads", REAL), ("abl", REAL), ("class", INT)]
    got = texts(Enumerator(g, params, 3))
    assert got[:5] == ["grads", "abl", "0.5", "1.0", "2.0"]
    assert "(* grads 0.5)" in got and "(* abl 2.0)" in got
    assert not any("class" in t for t in got)  # only Real parameters fill a Real slot


def test_finite_grammar_is_exhausted_and_max_size_is_not_exhaustion():
    g = grammar(W=(T, plus(T, T)), T=(X, Y))
    enum = Enumerator(g, [], 10)
    assert len([i for i in enum if i.nonterminal == "W"]) == 5
    assert enum.exhausted
    short = Enumerator(g, [], 2)
    list(short)
    assert not short.exhausted


def test_recursion_collapsed_by_value_duplicates_is_exhausted():
    # W -> x | (relu W) with x >= 0: (relu x) equals x, so nothing bigger is ever built.
    backend = FakeBackend({"x": np.array([[1.0, 2.0]])}, np.ones((1, 2)))
    values = TermValues(backend, [0])
    enum = Enumerator(grammar(W=(X, app("relu", (W,), REAL))), [], 50, values=values)
    keys = set()
    for item in enum:
        key = backend.value_key(enum.value(item.term))
        if key in keys:
            enum.reject(item.term, item.nonterminal)
        keys.add(key)
    assert enum.exhausted and enum.bank("W", 2) == []


def test_new_term_costs_one_apply_on_cached_children():
    table = {"x": np.array([[1.0, -2.0]]), "y": np.array([[0.5, 3.0]])}
    backend = FakeBackend(table, np.ones((1, 2)))
    enum = Enumerator(grammar(W=(X, Y, plus(W, W))), [], 5, values=TermValues(backend, [0]))
    composite = 0
    for item in enum:
        before = backend.applies
        value = enum.value(item.term)
        composite += item.term.op != "var"
        assert backend.applies - before == (item.term.op != "var")
        if to_sygus(item.term) == "(+ x (+ x y))":
            np.testing.assert_allclose(value, [[2.5, -1.0]])
    assert composite == 7 and backend.applies == 7


def test_fill_and_slots():
    template = app("*", (plus(W, W), hole("C", REAL)), REAL)
    assert len(slots(template)) == 3
    assert fill(template, [X, Y, const(Fraction(1, 2))]) is app("*", (plus(X, Y), const(Fraction(1, 2))), REAL)


def test_unit_cycles_terminate():
    g = Grammar((("W", REAL), ("V", REAL)), {"W": (hole("V", REAL),), "V": (W, X)})
    enum = Enumerator(g, [], 4)
    assert [(i.nonterminal, to_sygus(i.term)) for i in enum] == [("V", "x"), ("W", "x")]
    assert enum.exhausted


def test_weights_of_terms_too_big_to_be_children_are_freed():
    # with (+ W W) a child grows by at least 2, so only sizes <= max_size - 2 stay cached
    backend = FakeBackend({"x": np.array([[1.0, 2.0]]), "y": np.array([[3.0, 5.0]])}, np.ones((1, 2)))
    values = TermValues(backend, [0])
    enum = Enumerator(grammar(W=(X, Y, plus(W, W))), [], 5, values=values)
    for item in enum:
        enum.value(item.term)
    assert len(values) == 2 + 3  # x, y and the three sums of size 3


def test_should_stop_ends_even_a_run_of_duplicates():
    polls = []

    def stop_after_ten():
        polls.append(1)
        return len(polls) > 10

    enum = Enumerator(grammar(W=(X, Y, plus(W, W))), [], 30, should_stop=stop_after_ten)
    got = list(enum)
    assert enum.stopped and not enum.exhausted
    assert len(polls) == 11 and len(got) <= 10


TEMPLATES = {
    "x": X, "y": Y, "T": T, "W": W, "(+ W W)": plus(W, W), "(* W T)": app("*", (W, T), REAL),
    "(relu W)": app("relu", (W,), REAL), "(pow T 2)": app("pow", (T,), REAL, 2),
    "(- W)": app("-", (W,), REAL), "(Constant Real)": app("any_constant", (), REAL),
}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(TEMPLATES)), min_size=1, max_size=5, unique=True),
       st.lists(st.sampled_from(["x", "y", "(Constant Real)", "W"]), min_size=1, max_size=3, unique=True),
       st.integers(1, 6))
def test_every_term_is_derivable_new_and_smallest_first(w_rules, t_rules, max_size):
    g = grammar(W=tuple(TEMPLATES[r] for r in w_rules), T=tuple(TEMPLATES[r] for r in t_rules))
    items = list(Enumerator(g, [("x", REAL), ("y", REAL)], max_size))
    for nt in ("W", "T"):
        terms = [i for i in items if i.nonterminal == nt]
        assert [i.size for i in terms] == sorted(i.size for i in terms)
        assert len({canonical_key(i.term) for i in terms}) == len(terms)
        assert all(i.size == i.term.size <= max_size and derivable(i.term, g, nt) for i in terms)
