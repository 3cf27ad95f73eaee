"""Malformed input gives one located SygusError: exact line, column and message (and hint).

Parse-level errors come from parser.py; sort and SYCAM errors from the checker; goal-shape
errors from lowering. Columns are 1-based and point at the offending token.
"""
import pytest

from sycam_sygus.core.errors import SygusError
from sycam_sygus.frontend.ast import Pos
from sycam_sygus.frontend.checker import check
from sycam_sygus.frontend.lower import problem_from_script
from sycam_sygus.frontend.parser import parse_text

SYCAM_HEAD = """(set-logic SYCAM)
(declare-oracle-fun deletion ((-> Real Real)) Real sycam.deletion)
"""


def failure(text: str, stage=check) -> SygusError:
    """The error raised while parsing `text` and passing the script to `stage`."""
    with pytest.raises(SygusError) as caught:
        stage(parse_text(text, "p.sl"))
    return caught.value


def located(error: SygusError) -> tuple[int, int, str]:
    assert error.path == "p.sl"
    return error.pos.line, error.pos.col, error.message


# ---------------------------------------------------------------- parser level


def test_unclosed_parenthesis_points_at_the_open_one():
    error = failure("(set-logic LIA)\n(synth-fun f ((x Int)) Int\n")
    assert located(error) == (2, 1, "unbalanced '(': it is never closed")


def test_stray_closing_parenthesis():
    error = failure("(set-logic LIA))\n")
    assert located(error) == (1, 16, "unbalanced ')': no '(' is open here")


def test_unknown_command():
    error = failure("(set-logic LIA)\n(frobnicate x)\n")
    assert located(error) == (2, 2, "unknown command 'frobnicate'")


def test_bad_literal():
    error = failure("(set-logic LIA)\n(constraint (= 01 1))\n")
    assert located(error) == (2, 16, "bad literal '01'")
    assert error.hint == "numerals have no leading zeros: write 1"


def test_let_inside_a_grammar_rule():
    text = ("(set-logic LIA)\n"
            "(synth-fun f ((x Int)) Int ((S Int)) ((S Int (x (let ((y S)) y)))))\n")
    assert located(failure(text)) == (2, 49, "grammar rules may not use binders ('let')")


# ---------------------------------------------------------------- sort checker


def test_undeclared_symbol_with_suggestion():
    text = ("(set-logic LIA)\n"
            "(synth-fun f ((x Int)) Int)\n"
            "(declare-var x Int)\n"
            "(constraint (= (f x) xx))\n")
    error = failure(text)
    assert located(error) == (4, 22, "undeclared symbol 'xx'")
    assert error.hint == "did you mean 'x'?"


def test_wrong_arity_points_at_the_operator():
    text = ("(set-logic BV)\n"
            "(declare-var x (_ BitVec 8))\n"
            "(constraint (= (bvadd x) x))\n")
    assert located(failure(text)) == (3, 17, "'bvadd' expects at least 2 arguments, got 1")


def test_wrong_arity_of_a_user_function():
    text = ("(set-logic LIA)\n"
            "(define-fun inc ((a Int)) Int (+ a 1))\n"
            "(constraint (= (inc 1 2) 3))\n")
    assert located(failure(text)) == (3, 17, "'inc' expects 1 argument, got 2")


def test_sort_mismatch_points_at_the_argument():
    text = ("(set-logic BV)\n"
            "(declare-var x (_ BitVec 8))\n"
            "(declare-var y (_ BitVec 4))\n"
            "(constraint (= (bvadd x y) x))\n")
    assert located(failure(text)) == (
        4, 25, "argument 2 of 'bvadd' has sort (_ BitVec 4), expected (_ BitVec 8) like the first argument")


def test_sort_mismatch_of_a_define_fun_body():
    text = ("(set-logic LIA)\n"
            "(define-fun p ((a Int)) Bool (+ a 1))\n")
    assert located(failure(text)) == (2, 30, "the body of 'p' has sort Int, expected Bool")


def test_predeclaration_and_rule_lists_disagree_on_order():
    text = ("(set-logic LIA)\n"
            "(synth-fun f ((x Int)) Int ((S Int) (B Bool))\n"
            "  ((B Bool ((> S S))) (S Int (x (ite B S S)))))\n")
    error = failure(text)
    assert located(error) == (3, 4, "rule list for 'B' where the predeclaration has 'S'")
    assert "same order" in error.hint


def test_predeclaration_and_rule_list_disagree_on_sort():
    text = ("(set-logic LIA)\n"
            "(synth-fun f ((x Int)) Int ((S Int))\n"
            "  ((S Bool (x))))\n")
    assert located(failure(text)) == (
        3, 7, "non-terminal 'S' is predeclared with sort Int but its rules say Bool")


def test_start_symbol_sort_differs_from_the_function():
    text = ("(set-logic LIA)\n"
            "(synth-fun f ((x Int)) Bool ((S Int))\n"
            "  ((S Int (x))))\n")
    assert located(failure(text)) == (3, 4, "the start symbol 'S' has sort Int but 'f' returns Bool")


def test_rule_of_the_wrong_sort():
    text = ("(set-logic LIA)\n"
            "(synth-fun f ((x Int)) Int ((S Int) (B Bool))\n"
            "  ((S Int (x B)) (B Bool (true))))\n")
    assert located(failure(text)) == (3, 14, "rule of sort Bool for non-terminal 'S' of sort Int")


def test_duplicate_synth_fun():
    text = ("(set-logic LIA)\n"
            "(synth-fun f ((x Int)) Int)\n"
            "(synth-fun f ((y Int)) Int)\n")
    error = failure(text)
    assert located(error) == (3, 1, "'f' is already defined (as a synth-fun)")


# ---------------------------------------------------------------- SYCAM


def test_unknown_terminal_suggests_the_closest():
    text = SYCAM_HEAD + "(synth-fun weights ((grad Real) (cic Real)) Real)\n"
    error = failure(text)
    assert located(error) == (3, 22, "unknown terminal 'grad'")
    assert error.hint == "did you mean 'grads'?"


def test_unknown_terminal_is_located_at_its_name_however_it_is_spaced():
    text = SYCAM_HEAD + "(synth-fun weights (  (cic Real)\n   (  grad   Real)) Real)\n"
    assert located(failure(text)) == (4, 7, "unknown terminal 'grad'")


def test_class_terminal_must_be_int():
    text = SYCAM_HEAD + "(synth-fun weights ((grads Real) (class Real)) Real)\n"
    assert located(failure(text)) == (3, 35, "terminal 'class' has sort Int, not Real")


def test_unknown_sycam_option_suggests_the_closest():
    text = "(set-logic SYCAM)\n(set-option :sycam.imagez 30)\n"
    error = failure(text)
    assert located(error) == (2, 1, "unknown option ':sycam.imagez'")
    assert error.hint == "did you mean 'sycam.images'?"


def test_sycam_option_of_the_wrong_type():
    text = '(set-logic SYCAM)\n(set-option :sycam.images "many")\n'
    assert located(failure(text)) == (2, 27, "option ':sycam.images' expects a numeral")


@pytest.mark.parametrize("exponent, column", [("W", 74), ("0", 74), ("2.0", 74), ("(+ 1 1)", 74)])
def test_pow_exponent_must_be_a_numeral_literal(exponent, column):
    text = SYCAM_HEAD + f"(synth-fun weights ((grads Real)) Real ((W Real)) ((W Real (grads (pow W {exponent})))))\n"
    assert located(failure(text)) == (3, column, "pow exponent must be a numeral literal >= 1")


def test_unknown_metric_oracle():
    text = "(set-logic SYCAM)\n(declare-oracle-fun d ((-> Real Real)) Real sycam.deletoin)\n"
    error = failure(text)
    assert located(error) == (2, 1, "unknown metric oracle 'sycam.deletoin'")
    assert error.hint == "did you mean 'sycam.deletion'?"


def test_unsupported_constraint_in_a_sycam_problem():
    text = SYCAM_HEAD + ("(synth-fun weights ((grads Real)) Real)\n"
                         "(constraint (= (deletion weights) 0.5))\n")
    error = failure(text, problem_from_script)
    assert located(error) == (4, 13, "unsupported constraint in a SYCAM problem")
    assert "supported:" in error.hint


def test_sycam_macro_over_nonterminals_must_be_linear():
    text = SYCAM_HEAD + ("(define-fun sq ((x Real)) Real (ite (>= x 0.0) x (- x 1.0)))\n"
                         "(synth-fun weights ((grads Real)) Real ((W Real)) ((W Real (grads (sq W)))))\n"
                         "(constraint (>= (deletion weights) 0.5))\n")
    error = failure(text, problem_from_script)
    assert located(error) == (4, 68, "macro 'sq' uses its parameter 'x' more than once, so it cannot take "
                                     "non-terminals in a grammar rule")


def test_an_error_without_a_place_names_only_its_file():
    # a flag or a whole-problem error has no line: "p.sl:0:0:" would send the reader to a line 0
    unplaced = SygusError("the problem has no goal", path="p.sl", hint="add a constraint")
    assert str(unplaced) == "p.sl: error: the problem has no goal"
    assert unplaced.render("(set-logic SYCAM)\n") == "p.sl: error: the problem has no goal\nhint: add a constraint"
    placed = SygusError("bad", Pos(1, 2), "p.sl")
    assert str(placed) == "p.sl:1:2: error: bad"


@pytest.mark.parametrize("name, value, expected", [
    ("steps", "0", "expected a number >= 1, got 0"),
    ("max-size", "0", "expected a number >= 1, got 0"),
    ("workers", "0", "expected a number >= 1, got 0"),
    ("time-limit", "0.0", "expected a number > 0, got 0"),
    ("tiers", '"60 10"', "tier sizes must be positive and ascending (smallest first), got '60 10'"),
    ("tiers", "0", "tier sizes must be positive and ascending (smallest first), got '0'"),
    ("equivalence", '"value mapp"', "unknown equivalence level(s) ['mapp']; expected any of"),
])
def test_an_option_value_out_of_range_points_at_the_value(name, value, expected):
    # the checks a flag gets (cli.py) apply to the file too, at the set-option's value
    text = f"(set-logic SYCAM)\n(set-option :sycam.{name} {value})\n"
    line, column, message = located(failure(text))
    assert (line, column) == (2, len(f"(set-option :sycam.{name} ") + 1)
    assert message.startswith(f"option ':sycam.{name}': {expected}")
