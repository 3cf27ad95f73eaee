"""Answer text: the define-fun repeats the synth-fun's parameter list; fail/infeasible; tuples."""
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sycam_sygus.app.answer import define_fun, format_answer
from sycam_sygus.frontend.ast import DefineFun, Literal, Sort
from sycam_sygus.frontend.parser import parse_text
from sycam_sygus.ir import INT, REAL, app, const, derivable, hole, var
from sycam_sygus.ir.problem import Grammar, SynthFun

GRADS, ABL, CLASS = var("grads"), var("abl"), var("class", INT)
W, T = hole("W", REAL), hole("T", REAL)
GRAMMAR = Grammar(
    nonterminals=(("W", REAL), ("T", REAL)),
    productions={
        "W": (T, app("+", [W, W], REAL), app("relu", [W], REAL), app("pow", [T], REAL, 2)),
        "T": (GRADS, ABL, app("any_constant", [], REAL)),
    },
)
SYNTH = SynthFun("weights", (("grads", REAL), ("abl", REAL), ("class", INT)), REAL, GRAMMAR)


def test_solved_answer_repeats_the_synth_fun_params_in_order():
    body = app("*", [GRADS, ABL], REAL)
    assert format_answer(SYNTH, "solved", body) == (
        "(\n"
        "  (define-fun weights ((grads Real) (abl Real) (class Int)) Real (* grads abl))\n"
        ")"
    )


def test_fail_and_infeasible_are_bare_words():
    assert format_answer(SYNTH, "fail", None) == "fail"
    assert format_answer(SYNTH, "infeasible", None) == "infeasible"


def test_optimise_answer_puts_the_objective_tuple_first():
    text = format_answer(SYNTH, "solved", GRADS, objectives=[0.25, -0.5])
    lines = text.splitlines()
    assert lines[0] == "(" and lines[-1] == ")"
    assert lines[1] == "  (0.25 (- 0.5))"
    assert lines[2].startswith("  (define-fun weights ")


def test_constants_print_in_v2_form():
    body = app("*", [const(Fraction(-3, 2)), GRADS], REAL)
    assert define_fun(SYNTH, body).endswith("Real (* (- 1.5) grads))")


def test_indexed_and_parametric_sorts_print_as_written():
    synth = SynthFun("f", (("x", Sort("BitVec", (32,))), ("a", Sort("Array", (), (INT, REAL)))), Sort("BitVec", (32,)), GRAMMAR)
    assert define_fun(synth, var("x", Sort("BitVec", (32,)))) == (
        "(define-fun f ((x (_ BitVec 32)) (a (Array Int Real))) (_ BitVec 32) x)")


def test_bad_status_or_missing_term_is_refused():
    with pytest.raises(ValueError, match="unknown solver status"):
        format_answer(SYNTH, "unknown", None)
    with pytest.raises(ValueError, match="needs an answer term"):
        format_answer(SYNTH, "solved", None)


@pytest.mark.parametrize(
    "term, expected",
    [
        (GRADS, True),
        (app("pow", [ABL], REAL, 2), True),
        (app("pow", [ABL], REAL, 3), False),  # the grammar only has squares
        (app("+", [app("relu", [GRADS], REAL), app("pow", [GRADS], REAL, 2)], REAL), True),
        (app("relu", [app("+", [const(Fraction(1, 2)), ABL], REAL)], REAL), True),  # (Constant Real)
        (app("*", [GRADS, ABL], REAL), False),  # no product rule
        (app("pow", [app("+", [GRADS, ABL], REAL)], REAL, 2), False),  # pow takes a T, not a W
        (CLASS, False),
    ],
)
def test_derivable_follows_the_grammar(term, expected):
    assert derivable(term, GRAMMAR) is expected



def test_derivable_is_not_fooled_by_a_production_cycle_cut_earlier():
    # T -> W -> T is a cycle: deriving `grads` from W first visits T(grads) while W(grads) is
    # still open; that provisional "no" must not be remembered for the second argument's T.
    w, t, x = hole("W", REAL), hole("T", REAL), hole("X", REAL)
    grammar = Grammar(
        (("S", REAL), ("W", REAL), ("T", REAL), ("X", REAL)),
        {"S": (app("+", (w, t), REAL),), "W": (t, x), "T": (w, app("relu", (t,), REAL)), "X": (GRADS,)},
    )
    assert derivable(app("+", (GRADS, GRADS), REAL), grammar)
    assert derivable(app("+", (GRADS, app("relu", (GRADS,), REAL)), REAL), grammar)
    assert not derivable(app("+", (GRADS, ABL), REAL), grammar)

TERMINAL_NAMES = st.sampled_from(["grads", "pos_grads", "gradcampp", "xgrads", "act", "eigen", "cic", "abl"])


@given(st.lists(TERMINAL_NAMES, min_size=1, max_size=7, unique=True), st.booleans(),
       st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=3))
@settings(max_examples=60, deadline=None)
def test_printed_answers_parse_back_with_the_synth_funs_parameters(names, with_class, objectives):
    params = tuple((n, REAL) for n in names) + ((("class", INT),) if with_class else ())
    synth = SynthFun("weights", params, REAL, GRAMMAR)
    body = app("*", [var(names[0]), const(Fraction(-1, 4))], REAL)
    text = format_answer(synth, "solved", body, objectives or None)
    lines = text.splitlines()
    script = parse_text("(set-logic SYCAM)\n" + lines[-2])
    (define_fun,) = [c for c in script.commands if isinstance(c, DefineFun)]
    assert define_fun.name == "weights" and define_fun.params == params and define_fun.sort == REAL
    if objectives:  # the value tuple reads back as the exact values
        tuple_term = parse_text(f"(set-logic SYCAM)\n(define-fun v () Real (+ {lines[1].strip()[1:-1]} 0.0))")
        printed = tuple_term.commands[1].body.args[:-1]
        assert [exact_value(t) for t in printed] == [Fraction(repr(v)) for v in objectives]


def exact_value(term):
    """A v2.1 Real literal term's value: `2.5`, `(- 2.5)`, `(/ 1.0 3.0)`."""
    if isinstance(term, Literal):
        return Fraction(term.text)
    head, args = term.head.symbol, [exact_value(a) for a in term.args]
    return -args[0] if head == "-" else args[0] / args[1]
