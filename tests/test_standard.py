"""Standard SyGuS problems through `sycam-solve`: PBE (LIA, BV, strings, ite by unification),
CEGIS (max2, invariants over Int and over bit-vectors), an unrealisable finite grammar. Every answer is checked by an SMT
query built from the file alone (sycam_sygus.app.standard.answer_check), not by the engine that found it."""
import re

import pytest

from sycam_sygus.app.cli import main
from sycam_sygus.app.standard.answer_check import answer_holds

PBE_LIA = """(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int)
(constraint (= (f 0 0) 1))
(constraint (= (f 1 2) 4))
(constraint (= (f 5 (- 3)) 3))
(constraint (= (f (- 4) 10) 7))
(check-synth)
"""
PBE_BV = """(set-logic BV)
(synth-fun f ((x (_ BitVec 8))) (_ BitVec 8)
  ((Start (_ BitVec 8)))
  ((Start (_ BitVec 8) (x #x01 (bvadd Start Start) (bvshl Start Start) (bvnot Start) (bvand Start Start)))))
(constraint (= (f #x00) #x01))
(constraint (= (f #x01) #x03))
(constraint (= (f #x80) #x01))
(constraint (= (f #x7f) #xff))
(check-synth)
"""
PBE_STRINGS = """(set-logic SLIA)
(synth-fun f ((first String) (last String)) String
  ((Start String) (I Int))
  ((Start String (first last " " "." (str.++ Start Start) (str.substr Start I I) (str.at Start I)))
   (I Int (0 1 (str.len Start) (+ I I)))))
(constraint (= (f "Ada" "Lovelace") "A. Lovelace"))
(constraint (= (f "Alan" "Turing") "A. Turing"))
(constraint (= (f "Grace" "Hopper") "G. Hopper"))
(check-synth)
"""
PBE_ITE = """(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((Start Int) (B Bool))
  ((Start Int (x 0 1 (- Start Start) (ite B Start Start)))
   (B Bool ((<= Start Start)))))
(constraint (= (f (- 3)) 3))
(constraint (= (f 2) 2))
(constraint (= (f 0) 0))
(constraint (= (f (- 7)) 7))
(constraint (= (f 9) 9))
(check-synth)
"""
MAX2 = """(set-logic LIA)
(synth-fun max2 ((x Int) (y Int)) Int)
(declare-var x Int)
(declare-var y Int)
(constraint (>= (max2 x y) x))
(constraint (>= (max2 x y) y))
(constraint (or (= x (max2 x y)) (= y (max2 x y))))
(check-synth)
"""
INVARIANT = """(set-logic LIA)
(synth-inv inv ((x Int)))
(define-fun pre ((x Int)) Bool (= x 0))
(define-fun trans ((x Int) (x! Int)) Bool (and (< x 10) (= x! (+ x 1))))
(define-fun post ((x Int)) Bool (<= x 10))
(inv-constraint inv pre trans post)
(check-synth)
"""
INVARIANT_BV = """(set-logic BV)
(synth-fun inv ((x (_ BitVec 4))) Bool)
(declare-var x (_ BitVec 4))
(constraint (inv #x0))
(constraint (=> (and (inv x) (not (= x #x5))) (inv (bvadd x #x1))))
(constraint (=> (inv x) (bvule x #x5)))
(check-synth)
"""
UNREALISABLE = """(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((Start Int))
  ((Start Int (x 1 (+ x 1) (+ x x)))))
(constraint (= (f 0) 5))
(constraint (= (f 1) 2))
(check-synth)
"""


def solve(tmp_path, capsys, text: str, seconds: str = "20") -> tuple[str, str]:
    path = tmp_path / "problem.sl"
    path.write_text(text)
    status = main([str(path), "--time-limit", seconds, "--quiet"])
    out = capsys.readouterr().out
    assert status == 0
    return str(path), out


def assert_answer(path: str, out: str, name: str) -> None:
    """The stdout is exactly one competition answer block, and SMT proves it meets the constraints."""
    assert re.fullmatch(rf"\(\n  \(define-fun {name} \(.*\) .+\)\n\)\n", out), out
    assert answer_holds(path, out), out


@pytest.mark.parametrize("text,name", [(PBE_LIA, "f"), (PBE_BV, "f"), (PBE_STRINGS, "f"), (PBE_ITE, "f"),
                                       (MAX2, "max2"), (INVARIANT, "inv"), (INVARIANT_BV, "inv")],
                         ids=["pbe-lia", "pbe-bv", "pbe-strings", "pbe-ite", "cegis-max2", "invariant",
                              "cegis-bv-default-grammar"])
def test_solved_and_verified(tmp_path, capsys, text, name):
    path, out = solve(tmp_path, capsys, text)
    assert_answer(path, out, name)


def test_ite_answer_uses_a_conditional(tmp_path, capsys):
    _, out = solve(tmp_path, capsys, PBE_ITE)
    assert "(ite " in out


def test_unrealisable_finite_grammar_is_infeasible(tmp_path, capsys):
    _, out = solve(tmp_path, capsys, UNREALISABLE)
    assert out == "infeasible\n"


def test_checker_rejects_a_wrong_answer(tmp_path):
    """The independent check is not vacuous: a wrong max2 fails it."""
    path = tmp_path / "max2.sl"
    path.write_text(MAX2)
    assert not answer_holds(str(path), "((define-fun max2 ((x Int) (y Int)) Int x))")


def test_bad_input_is_located(tmp_path, capsys):
    path = tmp_path / "bad.sl"
    path.write_text("(set-logic LIA)\n(synth-fun f ((x Int)) Int)\n(constraint (= (f 1) (g 2)))\n(check-synth)\n")
    assert main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{path}:3:" in captured.err
