"""The sort checker over each theory: well-sorted scripts pass, ill-sorted ones name the problem.

Each negative case checks the message (positions are covered in test_errors.py); each positive
case would fail if the theory table computed a wrong result sort, because the surrounding `=`
compares it with a literal of the expected sort.
"""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sycam_sygus.core.errors import SygusError
from sycam_sygus.frontend import ast
from sycam_sygus.frontend.ast import Pos, Sort
from sycam_sygus.frontend.checker import check
from sycam_sygus.frontend.lower import problem_from_script
from sycam_sygus.frontend.parser import parse_text

INT = Sort("Int")

BV_VARS = "(declare-var x (_ BitVec 8))\n(declare-var y (_ BitVec 4))\n"
STRING_VARS = "(declare-var s String)\n(declare-var i Int)\n"


def ok(text: str) -> list[str]:
    warnings: list[str] = []
    check(parse_text(text), warnings)
    return warnings


def message(text: str) -> str:
    with pytest.raises(SygusError) as caught:
        check(parse_text(text))
    return caught.value.message


# ---------------------------------------------------------------- hand-built ASTs


def test_hand_built_script_checks_and_locates_its_error():
    x = ast.Identifier("x", pos=Pos(3, 20))
    good = ast.Script((
        ast.SetLogic("LIA"),
        ast.DeclareVar("x", INT),
        ast.Constraint("constraint", ast.App(ast.Identifier(">="), (x, ast.Literal("numeral", "0")))),
    ))
    check(good)
    bad = ast.Script((
        ast.SetLogic("LIA"),
        ast.Constraint("constraint", ast.App(ast.Identifier(">="), (x, ast.Literal("numeral", "0")))),
    ), path="hand.sl")
    with pytest.raises(SygusError) as caught:
        check(bad)
    assert (caught.value.path, caught.value.pos, caught.value.message) == ("hand.sl", Pos(3, 20), "undeclared symbol 'x'")


# ---------------------------------------------------------------- core, ints, reals


def test_core_and_integer_arithmetic():
    ok("(set-logic LIA)\n(declare-var a Int)\n(declare-var b Bool)\n"
       "(constraint (=> b (and (distinct a 1 2) (xor b (not b)) (= (ite b a (- a)) (mod (div a 2) 3)))))\n"
       "(constraint (< 0 (abs a) 10))\n(constraint ((_ divisible 3) (* 3 a)))\n")


def test_mixed_int_and_real_arithmetic_is_lenient():
    ok("(set-logic LRA)\n(declare-var r Real)\n(declare-var n Int)\n"
       "(constraint (>= (+ r 1) (* 2 n) (/ n 2)))\n(constraint (= (ite true r 1) (to_real n)))\n")


def test_ite_needs_a_bool_condition_and_agreeing_branches():
    assert message("(set-logic LIA)\n(constraint (= (ite 1 2 3) 2))\n") == \
        "the condition of 'ite' has sort Int, expected Bool"
    assert message("(set-logic LIA)\n(constraint (ite true 1 false))\n") == \
        "the branches of 'ite' have sorts Int and Bool; they must agree"


def test_abs_is_int_only_outside_sycam():
    assert message("(set-logic LRA)\n(declare-var r Real)\n(constraint (>= (abs r) 0.0))\n") == \
        "argument 1 of 'abs' has sort Real, expected Int"


# ---------------------------------------------------------------- bit-vectors


@pytest.mark.parametrize("term", [
    "(= ((_ extract 7 4) x) y)",
    "(= ((_ extract 3 3) x) #b1)",
    "(= ((_ zero_extend 8) x) #x0000)",
    "(= ((_ sign_extend 4) y) x)",
    "(= ((_ rotate_left 3) x) ((_ rotate_right 5) x))",
    "(= ((_ repeat 3) y) #x000)",
    "(= (concat x y) #x000)",
    "(= (bvcomp x x) #b1)",
    "(= (_ bv5 8) (bvudiv (bvadd x x x) (bvnot x)))",
    "(bvsle (bvashr x #x01) (bvsmod x #x02))",
])
def test_bitvector_operators_and_widths(term):
    ok("(set-logic BV)\n" + BV_VARS + f"(constraint {term})\n")


@pytest.mark.parametrize("term, expected", [
    ("(= ((_ extract 7 4) x) x)", "argument 2 of '=' has sort (_ BitVec 8), expected (_ BitVec 4) like the first argument"),
    ("(= ((_ extract 8 0) x) x)", "(_ extract 8 0) needs 8 > 8 >= 0 >= 0 for a (_ BitVec 8) argument"),
    ("(= ((_ zero_extend 4) y) y)", "argument 2 of '=' has sort (_ BitVec 4), expected (_ BitVec 8) like the first argument"),
    ("(= (concat x y) x)", "argument 2 of '=' has sort (_ BitVec 8), expected (_ BitVec 12) like the first argument"),
    ("(bvult x y)", "argument 2 of 'bvult' has sort (_ BitVec 4), expected (_ BitVec 8) like the first argument"),
    ("(= (extract x) x)", "'extract' needs 2 numeral indices, written (_ extract n n)"),
    ("(= (bvneg 1) x)", "argument 1 of 'bvneg' has sort Int, expected a bit-vector"),
])
def test_bitvector_errors(term, expected):
    assert message("(set-logic BV)\n" + BV_VARS + f"(constraint {term})\n") == expected


# ---------------------------------------------------------------- strings, arrays, datatypes, sorts


def test_string_operators_with_v1_names_normalised():
    ok("(set-logic SLIA)\n" + STRING_VARS +
       "(constraint (= (str.++ s (str.at s i) (int.to.str (str.len s))) (str.replace s \"a\" \"b\")))\n"
       "(constraint (and (str.prefixof s s) (str.contains s \"x\") (str.in_re s (re.* (str.to_re \"ab\")))))\n"
       "(constraint (= (str.indexof s \"a\" 0) (str.to.int (str.substr s 0 i))))\n")


def test_string_errors():
    assert message("(set-logic SLIA)\n" + STRING_VARS + "(constraint (= (str.len i) 1))\n") == \
        "argument 1 of 'str.len' has sort Int, expected String"
    assert message("(set-logic SLIA)\n" + STRING_VARS + "(constraint (= (str.at s) s))\n") == \
        "'str.at' expects 2 arguments, got 1"


def test_arrays_and_both_define_sort_forms():
    ok("(set-logic ALL)\n(define-sort Word (_ BitVec 8))\n(define-sort Map (K) (Array K Word))\n"
       "(declare-var m (Map Int))\n(declare-var w Word)\n"
       "(constraint (= (select (store m 1 w) 2) #x00))\n")
    assert message("(set-logic ALL)\n(declare-var m (Array Int Bool))\n(constraint (select m true))\n") == \
        "the index of 'select' has sort Bool, expected Int"
    assert message("(set-logic ALL)\n(define-sort Map (K) (Array K K))\n(declare-var m Map)\n") == \
        "sort 'Map' takes 1 parameters, got 0"


def test_datatypes_constructors_selectors_and_testers():
    ok("(set-logic ALL)\n"
       "(declare-datatype Color ((red) (rgb (r Int) (g Int))))\n"
       "(declare-datatypes ((List 1)) ((par (T) ((nil) (cons (hd T) (tl (List T)))))))\n"
       "(declare-var c Color)\n"
       "(constraint (or ((_ is red) c) (= (r (rgb 1 2)) (g c))))\n"
       "(constraint (= (hd (cons 1 (as nil (List Int)))) 1))\n")
    assert message("(set-logic ALL)\n(declare-datatype Color ((red) (blue)))\n"
                   "(declare-var c Color)\n(constraint ((_ is green) c))\n") == "'green' is not a datatype constructor"
    assert message("(set-logic ALL)\n(declare-datatypes ((List 1)) ((par (T) ((nil) (cons (hd T) (tl (List T)))))))\n"
                   "(constraint (= (hd (cons 1 (as nil (List Bool)))) 1))\n") == \
        "argument 2 of 'cons' has sort (List Bool), expected (List T)"


def test_unknown_sort_suggests():
    with pytest.raises(SygusError) as caught:
        check(parse_text("(set-logic LIA)\n(declare-var x Innt)\n"))
    assert (caught.value.message, caught.value.hint) == ("unknown sort 'Innt'", "did you mean 'Int'?")


# ---------------------------------------------------------------- binders and scoping


def test_let_is_parallel_and_scoped():
    ok("(set-logic LIA)\n(declare-var a Int)\n(constraint (let ((b (+ a 1)) (c a)) (> b c)))\n")
    assert message("(set-logic LIA)\n(declare-var a Int)\n(constraint (let ((b 1) (c b)) (> b c)))\n") == \
        "undeclared symbol 'b'"
    assert message("(set-logic LIA)\n(declare-var a Int)\n(constraint (and (let ((b 1)) (> b a)) (> b 0)))\n") == \
        "undeclared symbol 'b'"


def test_quantifiers_and_annotations():
    ok("(set-logic LIA)\n(constraint (! (forall ((z Int)) (exists ((y Int)) (> y z))) :named p))\n")
    assert message("(set-logic LIA)\n(constraint (forall ((z Int)) (+ z 1)))\n") == \
        "the body of 'forall' has sort Int, expected Bool"


def test_define_fun_params_shadow_and_duplicates_fail():
    ok("(set-logic LIA)\n(declare-var x Bool)\n(define-fun f ((x Int)) Int (+ x 1))\n(constraint (= (f 1) 2))\n")
    assert message("(set-logic LIA)\n(define-fun f ((x Int)) Int x)\n(define-fun f ((x Int)) Int x)\n") == \
        "'f' is already defined (as a define-fun)"


# ---------------------------------------------------------------- grammars


def test_grammar_with_constant_and_variable_rules():
    ok("(set-logic LIA)\n(synth-fun f ((x Int) (y Int)) Int ((S Int) (B Bool))\n"
       "  ((S Int (x (Constant Int) (Variable Int) (ite B S S) (+ S 1)))\n"
       "   (B Bool ((<= S S) (Constant Bool)))))\n")
    assert message("(set-logic LIA)\n(synth-fun f ((x Int)) Int ((S Int))\n  ((S Int (x (Constant Bool)))))\n") == \
        "(Constant Bool) in the rules of 'S', which has sort Int"


def test_grammar_rules_see_params_and_nonterminals_only():
    assert message("(set-logic LIA)\n(declare-var z Int)\n"
                   "(synth-fun f ((x Int)) Int ((S Int))\n  ((S Int (x z))))\n") == "undeclared symbol 'z'"


def test_v1_grammar_without_predeclaration():
    ok("(set-logic LIA)\n(synth-fun f ((x Int)) Int ((Start Int (x 0 -1 (+ Start Start)))))\n")


# ---------------------------------------------------------------- invariants


INV = ("(set-logic LIA)\n(synth-inv inv ((i Int) (n Int)))\n"
       "(define-fun pre ((i Int) (n Int)) Bool (= i 0))\n"
       "(define-fun trans ((i Int) (n Int) (i! Int) (n! Int)) Bool (and (= i! (+ i 1)) (= n! n)))\n"
       "(define-fun post ((i Int) (n Int)) Bool (>= i 0))\n")


def test_inv_constraint_with_primed_variables():
    ok(INV + "(inv-constraint inv pre trans post)\n")
    ok("(set-logic LIA)\n(declare-primed-var x Int)\n(constraint (> x! x))\n")


def test_inv_constraint_signatures_are_checked():
    assert message(INV + "(inv-constraint inv pre post post)\n") == \
        "trans function 'post' must have sort (Int Int Int Int) -> Bool"
    assert message(INV + "(inv-constraint inv pre trans postt)\n") == \
        "undeclared post function 'postt' in inv-constraint"


# ---------------------------------------------------------------- SYCAM


SYCAM = ("(set-logic SYCAM)\n(declare-oracle-fun deletion ((-> Real Real Int Real)) Real sycam.deletion)\n"
         "(define-fun relu2 ((x Real)) Real (ite (>= x 0.0) x 0.0))\n")


def test_sycam_operators_and_terminals():
    ok(SYCAM + "(synth-fun weights ((grads Real) (cic Real) (class Int)) Real ((W Real) (T Real))\n"
       "  ((W Real (T (relu W) (abs W) (softmax W) (normalize W) (topk W 3) (pow T 2) (/ W T) (- W)\n"
       "            (ite (= class 3) W T) (ite (and (>= W T) (not (< W 0.5))) W T) (relu2 W)))\n"
       "   (T Real (grads cic 1 0.5))))\n"
       "(constraint (>= (deletion weights) 0.5))\n")


def test_topk_count_must_be_a_numeral():
    assert message(SYCAM + "(synth-fun weights ((grads Real)) Real ((W Real)) ((W Real (grads (topk W W)))))\n") \
        == "topk count must be a numeral literal >= 1"


def test_sycam_only_operators_are_unknown_elsewhere():
    assert message("(set-logic LRA)\n(declare-var r Real)\n(constraint (>= (relu r) 0.0))\n") == \
        "unknown function 'relu'"


def test_oracle_argument_must_match_the_function_sort():
    assert message(SYCAM + "(synth-fun weights ((grads Real)) Real)\n(constraint (>= (deletion weights) 0.5))\n") == \
        "argument 1 of 'deletion' has sort (-> Real Real), expected (-> Real Real Int Real)"


def test_options_of_other_solvers_warn_and_sycam_options_validate():
    warnings = ok("(set-logic SYCAM)\n(set-option :produce-models true)\n(set-option :sycam.tiers \"10 20\")\n")
    assert warnings == ["<string>:2:1: warning: option ':produce-models' is not a sycam option; ignored"]
    assert message("(set-logic SYCAM)\n(set-option :sycam.tiers \"10 x\")\n") == \
        "option ':sycam.tiers': expected space-separated whole numbers like \"30 100 300\", got '10 x'"
    assert message("(set-logic SYCAM)\n(set-option :sycam.tiers (x))\n") == \
        "option ':sycam.tiers' expects a string of positive integers like \"30 100 300\""


# ---------------------------------------------------------------- robustness


MUTANTS = ("bvadd", "+", "ite", "and", "Int", "Bool", "(_ BitVec 4)", "#x0", "1", "0.5", "true", "x", "(",
           ")", "str.++", '"a"', "relu", "pow", "(_ extract 3 0)", "let", "Real", "=", "(Constant Real)", "(- 1)",
           "softmax", "(topk W 2)", "grads", "(deletion weights)", "sycam.nope", ":sycam.images", "W")
SEEDS = (
    "(set-logic BV)\n(synth-fun f ((s (_ BitVec 4)) (t (_ BitVec 4))) (_ BitVec 4)\n"
    "  ((Start (_ BitVec 4)) (B Bool)) ((Start (_ BitVec 4) (s t #x0 (bvadd Start Start) (ite B Start Start)))\n"
    "  (B Bool ((bvult Start Start)))))\n(declare-var s (_ BitVec 4))\n(declare-var t (_ BitVec 4))\n"
    "(constraint (= (f s t) (bvadd s t)))\n(check-synth)\n",
    "(set-logic SYCAM)\n(set-option :sycam.images 30)\n"
    "(synth-fun weights ((grads Real) (cic Real)) Real ((W Real) (T Real))\n"
    "  ((W Real (T (+ W W) (relu W) (pow T 2))) (T Real (grads cic 0.5))))\n"
    "(define-fun gradcam ((grads Real) (cic Real)) Real grads)\n"
    "(declare-oracle-fun deletion ((-> Real Real Real)) Real sycam.deletion)\n"
    "(constraint (>= (deletion weights) (deletion gradcam)))\n(check-synth)\n",
)


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(MUTANTS)), min_size=1,
                                        max_size=3))
def test_mutated_scripts_only_ever_raise_sygus_errors(seed, edits):
    text = seed
    for position, replacement in edits:
        tokens = list(re.finditer(r"[^\s()]+|[()]", text))
        token = tokens[position % len(tokens)]
        text = text[:token.start()] + replacement + text[token.end():]
    try:
        script = parse_text(text)
        check(script)
        if "SYCAM" in text:
            problem_from_script(script)
    except SygusError as error:
        assert error.message
