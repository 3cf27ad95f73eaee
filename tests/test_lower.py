"""Lowering: the CAM-THEORY §5 problem becomes the expected Problem; macros, let, numerals,
goals, warnings and option overrides."""
from fractions import Fraction

import pytest

from sycam_sygus.core.errors import OptionError, SygusError
from sycam_sygus.core.options import OPTIONS
from sycam_sygus.frontend.lower import load_problem, lower_term, problem_from_script
from sycam_sygus.frontend.parser import parse_term, parse_text
from sycam_sygus.ir import BOOL, INT, REAL, app, const, hole, var
from sycam_sygus.ir.problem import Goal, Grammar

HEADER = """(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")  ; or a torchvision architecture name
(set-option :sycam.weights "")                        ; state-dict path; "" = the model's default
(set-option :sycam.layer "")                          ; module path; "" = architecture default
(set-option :sycam.data "builtin:cluttered-mnist")    ; or an image folder (masks optional)
(set-option :sycam.images 300)
(set-option :sycam.tiers "30 100 300")
(set-option :sycam.steps 10)
(set-option :sycam.time-limit 600)
(set-option :sycam.seed 0)

(synth-fun weights ((grads Real) (cic Real) (abl Real)) Real
  ((W Real) (T Real))
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads cic abl))))

(define-fun gradcam ((grads Real) (cic Real) (abl Real)) Real grads)
(declare-oracle-fun deletion ((-> Real Real Real Real)) Real sycam.deletion)
"""
THRESHOLD = HEADER + """
(constraint (>= (deletion weights) (deletion gradcam)))   ; threshold mode: stop at the first pass
; (optimize-synth ((! (deletion weights) :max)))           ; optimise mode: best within the budget
(check-synth)
"""
OPTIMISE = HEADER + "(optimize-synth ((! (deletion weights) :max)))\n(check-synth)\n"

GRADS, CIC, ABL = var("grads"), var("cic"), var("abl")
W, T = hole("W", REAL), hole("T", REAL)
SCOPE = {"grads": GRADS, "cic": CIC, "abl": ABL, "class": var("class", INT)}


def problem(text: str, overrides=None):
    return problem_from_script(parse_text(text, "p.sl"), overrides)


def test_cam_theory_example_lowers_to_the_expected_problem():
    lowered = problem(THRESHOLD)
    assert lowered.path == "p.sl" and lowered.logic == "SYCAM"
    assert lowered.synth.name == "weights"
    assert lowered.synth.params == (("grads", REAL), ("cic", REAL), ("abl", REAL))
    assert lowered.synth.sort == REAL
    assert lowered.synth.grammar == Grammar(
        nonterminals=(("W", REAL), ("T", REAL)),
        productions={
            "W": (T, app("+", [W, W], REAL), app("*", [W, W], REAL), app("relu", [W], REAL),
                  app("pow", [T], REAL, 2), app("pow", [T], REAL, 3)),
            "T": (GRADS, CIC, ABL),
        },
    )
    assert lowered.baselines == {"gradcam": GRADS}
    assert lowered.goals == (Goal("deletion", True, "threshold", baseline="gradcam"),)
    assert lowered.warnings == ()


def test_file_options_override_defaults():
    options = problem(THRESHOLD).settings.as_options()
    assert set(options) == set(OPTIONS)
    assert options["images"] == 300 and options["tiers"] == [30, 100, 300] and options["steps"] == 10
    assert options["time-limit"] == 600.0 and isinstance(options["time-limit"], float)
    assert options["max-size"] == OPTIONS["max-size"].default  # not in the file: the default


def test_overrides_win_over_file_values():
    options = problem(THRESHOLD, {"images": 50, "tiers": "5 10", "time-limit": "30", "seed": 7}).settings.as_options()
    assert (options["images"], options["tiers"], options["time-limit"], options["seed"]) == (50, [5, 10], 30.0, 7)
    assert OPTIONS["tiers"].default == [30, 100, 300]  # the defaults table is not mutated
    with pytest.raises(SygusError) as caught:
        problem(THRESHOLD, {"imagez": 5})
    assert (caught.value.message, caught.value.hint) == ("unknown option 'imagez'", "did you mean 'images'?")


def test_optimise_objective():
    assert problem(OPTIMISE).goals == (Goal("deletion", True, "optimise"),)


@pytest.mark.parametrize("constraint, goal", [
    ("(>= (deletion weights) 0.5)", Goal("deletion", True, "threshold", constant=0.5)),
    ("(<= 0.5 (deletion weights))", Goal("deletion", True, "threshold", constant=0.5)),
    ("(> (deletion weights) (- 0.25))", Goal("deletion", True, "threshold", constant=-0.25, strict=True)),
    ("(< (deletion gradcam) (deletion weights))", Goal("deletion", True, "threshold", baseline="gradcam", strict=True)),
])
def test_constraint_forms_in_either_order(constraint, goal):
    lowered = problem(HEADER + f"(constraint {constraint})\n")
    assert lowered.goals == (goal,) and lowered.warnings == ()


def test_direction_against_the_metric_warns():
    text = HEADER + ("(declare-oracle-fun drop ((-> Real Real Real Real)) Real sycam.avg_drop)\n"
                     "(constraint (>= (drop weights) (drop gradcam)))\n"
                     "(constraint (<= (drop weights) 0.3))\n")
    lowered = problem(text)
    assert lowered.goals == (Goal("avg_drop", True, "threshold", baseline="gradcam"),
                             Goal("avg_drop", False, "threshold", constant=0.3))
    assert lowered.warnings == ("p.sl:21:13: warning: the goal maximises 'avg_drop', but lower is better for that metric",)


def test_user_relu_macro_becomes_the_builtin_in_grammar_rules_and_expands_in_baselines():
    text = """(set-logic SYCAM)
(define-fun relu ((x Real)) Real (ite (>= x 0.0) x 0.0))
(synth-fun weights ((grads Real) (cic Real) (abl Real)) Real ((W Real)) ((W Real (grads (relu W)))))
(define-fun mix ((grads Real) (cic Real) (abl Real)) Real (let ((g (* 2 grads))) (+ g (relu g))))
(declare-oracle-fun deletion ((-> Real Real Real Real)) Real sycam.deletion)
(constraint (>= (deletion weights) (deletion mix)))
"""
    lowered = problem(text)
    assert lowered.synth.grammar.productions["W"] == (GRADS, app("relu", [hole("W", REAL)], REAL))
    doubled = app("*", [const(Fraction(2)), GRADS], REAL)
    user_relu = app("ite", [app(">=", [doubled, const(Fraction(0))], BOOL), doubled, const(Fraction(0))], REAL)
    assert lowered.baselines == {"mix": app("+", [doubled, user_relu], REAL)}
    assert lowered.goals == (Goal("deletion", True, "threshold", baseline="mix"),)


def test_numerals_constants_and_variables_in_rules():
    text = """(set-logic SYCAM)
(synth-fun weights ((grads Real)) Real ((W Real)) ((W Real (grads 2 (- 1) -3 0.5 (Constant Real) (Variable Real) (* 2 W)))))
(declare-oracle-fun deletion ((-> Real Real)) Real sycam.deletion)
(constraint (>= (deletion weights) 0.5))
"""
    rules = problem(text).synth.grammar.productions["W"]
    assert rules == (GRADS, const(Fraction(2)), const(Fraction(-1)), const(Fraction(-3)), const(Fraction(1, 2)),
                     app("any_constant", [], REAL), app("any_variable", [], REAL),
                     app("*", [const(Fraction(2)), hole("W", REAL)], REAL))
    assert all(rule.sort == REAL for rule in rules)


def test_lower_term_expands_let_and_keeps_class_an_int():
    term = lower_term(parse_term("(let ((a (+ grads cic))) (ite (= class 3) (* a a) (- 2)))"), SCOPE)
    total = app("+", [GRADS, CIC], REAL)
    condition = app("=", [var("class", INT), const(3)], BOOL)  # Int stays Int
    assert term is app("ite", [condition, app("*", [total, total], REAL), const(Fraction(-2))], REAL)


def test_default_grammar_without_one_in_the_file():
    text = """(set-logic SYCAM)
(synth-fun weights ((grads Real) (abl Real) (class Int)) Real)
(declare-oracle-fun deletion ((-> Real Real Int Real)) Real sycam.deletion)
(optimize-synth ((! (deletion weights) :max)))
"""
    start = hole("Start", REAL)
    assert problem(text).synth.grammar == Grammar(
        (("Start", REAL),),
        {"Start": (GRADS, ABL, app("+", [start, start], REAL), app("*", [start, start], REAL),
                   app("relu", [start], REAL), app("pow", [start], REAL, 2))})


@pytest.mark.parametrize("text, expected", [
    ("(set-logic SYCAM)\n(declare-oracle-fun d ((-> Real Real)) Real sycam.deletion)\n", "the problem has no synth-fun"),
    ("(set-logic SYCAM)\n(synth-fun weights ((grads Real)) Real)\n", "the problem has no goal"),
    ("(set-logic SYCAM)\n(synth-fun weights ((grads Real)) Real)\n(synth-fun other ((cic Real)) Real)\n",
     "a SYCAM problem has one synth-fun; 'other' is a second one"),
    ("(set-logic LRA)\n(synth-fun weights ((grads Real)) Real)\n",
     "a CAM-synthesis problem needs (set-logic SYCAM), not LRA"),
    ("(set-logic SYCAM)\n(declare-var x Real)\n", "'declare-var' is not supported in a SYCAM problem"),
])
def test_incomplete_or_unsupported_problems(text, expected):
    with pytest.raises(SygusError) as caught:
        problem(text)
    assert caught.value.message == expected


def test_load_problem_reads_a_file_and_keeps_warnings(tmp_path):
    path = tmp_path / "problem.sl"
    path.write_text(THRESHOLD.replace("(set-feature :oracles true)", "(set-option :produce-models true)"))
    lowered = load_problem(str(path), {"images": 40})
    assert lowered.path == str(path) and lowered.settings.as_options()["images"] == 40
    assert lowered.warnings == (f"{path}:2:1: warning: option ':produce-models' is not a sycam option; ignored",)


@pytest.mark.parametrize("sort", ["Bool", "Int"])
def test_a_synth_fun_that_is_not_real_is_a_located_error(sort):
    text = (f"(set-logic SYCAM)\n(synth-fun weights ((grads Real)) {sort})\n"
            f"(declare-oracle-fun deletion ((-> Real {sort})) Real sycam.deletion)\n"
            "(optimize-synth ((! (deletion weights) :max)))\n")
    with pytest.raises(SygusError, match=f"has sort {sort}; CAM weights are Real") as caught:
        problem(text)
    synth_line = text.splitlines()[1]
    assert (caught.value.pos.line, caught.value.pos.col) == (2, synth_line.rindex(sort) + 1)  # the result sort


@pytest.mark.parametrize("name, value", [("steps", 0), ("batch-size", "-1"), ("workers", 0), ("max-size", 0), ("time-limit", 0),
                                         ("tiers", "60 10"), ("tiers", [10, 0]), ("equivalence", "vale")])
def test_an_override_is_checked_as_a_file_value_and_names_its_option(name, value):
    with pytest.raises(OptionError) as caught:
        problem(THRESHOLD, {name: value})
    assert caught.value.option == name  # the CLI moves it to the flag or set-option that gave it


@pytest.mark.parametrize("overrides", [{"eq-images": 0}, {"eq-images": "0", "equivalence": "metric"}])
def test_equivalence_levels_without_images_name_the_eq_images_option(overrides):
    with pytest.raises(OptionError, match="the equivalence levels need at least one image") as caught:
        problem(THRESHOLD, overrides)
    assert caught.value.option == "eq-images"
    assert problem(THRESHOLD, {"eq-images": 0, "equivalence": ""}).settings.eq_images == 0  # no levels, no images


def test_an_override_of_the_wrong_type_says_what_was_expected():
    with pytest.raises(OptionError) as caught:
        problem(THRESHOLD, {"steps": "many"})
    assert (caught.value.message, caught.value.option) == ("option 'steps' expects int, got 'many'", "steps")
    with pytest.raises(SygusError) as caught:
        problem(THRESHOLD, {"tiers": "60 10"})
    assert caught.value.message == "option 'tiers': tier sizes must be positive and ascending (smallest first), " \
                                   "got '60 10'"


def test_a_huge_power_of_a_constant_in_a_grammar_macro_is_lowered_at_once():
    # sympy would fold 2^2000000000 exactly (many seconds, a billion-digit number); the macro is
    # inlined as written instead
    import time

    text = """(set-logic SYCAM)
(define-fun big ((x Real)) Real (* x (pow 2.0 2000000000)))
(synth-fun weights ((grads Real)) Real ((W Real)) ((W Real (grads (big W)))))
(declare-oracle-fun deletion ((-> Real Real)) Real sycam.deletion)
(constraint (>= (deletion weights) 0.5))
"""
    began = time.monotonic()
    rules = problem(text).synth.grammar.productions["W"]
    assert time.monotonic() - began < 2.0
    power = app("pow", [const(Fraction(2))], REAL, 2000000000)
    assert rules == (GRADS, app("*", [hole("W", REAL), power], REAL))
