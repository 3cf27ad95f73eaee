"""sycam-check's verdicts on hand-made answers (a numpy fake backend; one small torch run at the end)."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from fake_backend import FakeBackend

from sycam_sygus.app import check
from sycam_sygus.app.answer_reader import read_answer
from sycam_sygus.app.check import heldout_images, judge
from sycam_sygus.core.errors import SygusError
from sycam_sygus.frontend.lower import problem_from_script
from sycam_sygus.frontend.parser import parse_text

IMAGES, HOLDOUT = 12, 4
HEADER = f"""(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.images {IMAGES})
"""
SIGNATURE = "((grads Real) (abl Real))"
ARROW = "(-> Real Real Real)"


def problem_text(goal: str, grammar: str = "((W Real (grads abl (* W W))))", params: str = SIGNATURE,
                 arrow: str = ARROW) -> str:
    return (HEADER + f"(synth-fun weights {params} Real\n  ((W Real))\n  {grammar})\n"
            f"(define-fun gradcam {params} Real grads)\n"
            f"(declare-oracle-fun deletion ({arrow}) Real sycam.deletion)\n{goal}\n(check-synth)\n")


THRESHOLD = problem_text("(constraint (>= (deletion weights) (deletion gradcam)))")
OPTIMISE = problem_text("(optimize-synth ((! (deletion weights) :max)))")


def backend(abl_wins_heldout: bool = True, abl_wins_elsewhere: bool = True) -> FakeBackend:
    """Two channels; the truth points at channel 0 or 1 per image. `grads` always points at
    channel 1 and `abl` at channel 0; where abl 'wins', the truth is channel 0."""
    held = set(heldout_images(IMAGES, HOLDOUT, 0))
    truth = np.zeros((IMAGES, 2))
    for image in range(IMAGES):
        wins = abl_wins_heldout if image in held else abl_wins_elsewhere
        truth[image, 0 if wins else 1] = 1.0
    grads = np.tile([0.1, 1.0], (IMAGES, 1))
    abl = np.tile([1.0, 0.1], (IMAGES, 1))
    return FakeBackend({"grads": grads, "abl": abl}, truth)


def verdict(problem: str, answer: str, fake: FakeBackend | None = None, holdout: int | None = HOLDOUT):
    script = parse_text(problem, "p.sl")
    fake = fake or backend()
    return judge(problem_from_script(script), script, read_answer(answer, "a.txt"), lambda options: fake, holdout)


def answer(body: str, params: str = SIGNATURE, name: str = "weights") -> str:
    return f"(\n  (define-fun {name} {params} Real {body})\n)\n"


def test_a_better_answer_is_valid_with_its_figures():
    report = verdict(THRESHOLD, answer("abl"))
    assert report.line() == "valid"
    goal = report.figures["goals"][0]
    assert goal["holds"] and goal["wins"] == HOLDOUT and goal["against"] == "gradcam"
    assert report.figures["heldout"] == HOLDOUT and report.figures["size"] == 1


def test_worse_than_the_baseline_on_the_heldout_images_is_invalid():
    # abl beats gradcam on every image except the held-out ones: only those count
    report = verdict(THRESHOLD, answer("abl"), backend(abl_wins_heldout=False, abl_wins_elsewhere=True))
    assert report.verdict == "invalid"
    assert "vs gradcam" in report.reason and f"0/{HOLDOUT} held-out images" in report.reason
    # and the other way round: good on the held-out images is enough
    assert verdict(THRESHOLD, answer("abl"), backend(abl_wins_heldout=True, abl_wins_elsewhere=False)).verdict == "valid"


def test_the_baseline_itself_only_ties_and_is_invalid():
    assert verdict(THRESHOLD, answer("grads")).verdict == "invalid"  # the mean must be strictly better


def test_the_checker_counts_differences_within_the_metric_tolerance_as_ties():
    # abl's held-out scores beat gradcam's by a fixed margin: a tolerance above it makes them ties
    fake = backend()
    margin = float(np.mean(fake.score([fake.terminal("abl", range(IMAGES))], range(IMAGES), "deletion")[0])
                   - np.mean(fake.score([fake.terminal("grads", range(IMAGES))], range(IMAGES), "deletion")[0]))
    assert margin > 0
    goal = verdict(THRESHOLD, answer("abl"), fake).figures["goals"][0]
    assert goal["holds"] and goal["better"] == HOLDOUT and goal["ties"] == 0
    fake.tolerance_value = 2 * abs(margin) + 1.0
    report = verdict(THRESHOLD, answer("abl"), fake)
    goal = report.figures["goals"][0]
    assert report.verdict == "invalid" and goal["better"] == 0 and goal["ties"] == HOLDOUT
    assert f"better on 0/{HOLDOUT} held-out images, tied on {HOLDOUT}" in report.reason


def test_wrong_signature_is_invalid():
    report = verdict(THRESHOLD, answer("abl", params="((abl Real) (grads Real))"))
    assert report.verdict == "invalid" and "signature" in report.reason
    assert "expected ((grads Real) (abl Real)) Real" in report.reason
    assert verdict(THRESHOLD, answer("abl", params="((grads Real))")).verdict == "invalid"


def test_a_body_the_grammar_cannot_derive_is_invalid():
    report = verdict(THRESHOLD, answer("(+ abl grads)"))
    assert report.verdict == "invalid" and "does not derive" in report.reason
    assert verdict(THRESHOLD, answer("(* abl abl)")).verdict == "valid"  # derivable: (* W W)


def test_a_body_that_does_not_type_check_is_invalid():
    report = verdict(THRESHOLD, answer("(* abl cic)"))
    assert report.verdict == "invalid" and "type-check" in report.reason and "cic" in report.reason


def test_several_functions_in_an_answer_are_invalid():
    two = "(\n" + answer("abl")[2:-2] + "\n  (define-fun helper ((x Real)) Real x)\n)"
    report = verdict(THRESHOLD, two)
    assert report.verdict == "invalid" and "'helper' is not a synth-fun" in report.reason
    twice = "(" + answer("abl")[1:-2] + answer("grads")[1:-2] + ")"
    assert "defined 2 times" in verdict(THRESHOLD, twice).reason


def test_a_problem_with_two_synth_funs_is_bad_input():
    second = THRESHOLD.replace("(check-synth)", "(synth-fun other ((grads Real)) Real)\n(check-synth)")
    with pytest.raises(SygusError, match="one synth-fun"):
        problem_from_script(parse_text(second, "p.sl"))


@pytest.mark.parametrize("word", ["fail", "infeasible"])
def test_fail_and_infeasible_are_taken_as_said(word):
    calls = []
    report = judge(problem_from_script(parse_text(THRESHOLD)), parse_text(THRESHOLD), read_answer(f"  {word}\n"),
                   lambda options: calls.append(options), HOLDOUT)
    assert report.line() == word and not calls  # no backend is opened for them


@pytest.mark.parametrize("text, where", [
    ("hello world", "1:1"),
    ("(\n  (define-fun weights ((grads Real) (abl Real)) Real abl)\n", "1:1"),  # unclosed
    ("(\n  (define-fun weights ((grads Real) (abl Real)) Real abl)))", "2:"),  # one ')' too many
    ("((define-fun weights ((grads Real) (abl Real)) Real abl) (check-synth))", ":"),
    ("", ""),
])
def test_garbage_is_a_located_error(text, where):
    with pytest.raises(SygusError) as error:
        read_answer(text, "a.txt")
    assert str(error.value).startswith("a.txt" + (":" + where if where and where != ":" else ""))


def test_optimise_answers_start_with_the_objective_tuple():
    text = "(\n  (0.75 (- 0.5))\n  (define-fun weights ((grads Real) (abl Real)) Real (* abl abl))\n)"
    parsed = read_answer(text)
    assert parsed.objectives == (0.75, -0.5) and parsed.functions[0].name == "weights"
    report = verdict(OPTIMISE, text)
    assert report.verdict == "valid" and report.figures["claimed_objectives"] == [0.75, -0.5]
    goal = report.figures["goals"][0]
    assert goal["against"] == "gradcam" and goal["beats_best"]  # the best (only) baseline
    # an objective is a score: no better than the best baseline is still an answer, and says so
    worse = verdict(OPTIMISE, answer("grads"))
    assert worse.verdict == "valid" and not worse.figures["goals"][0]["beats_best"]


def test_a_non_finite_objective_is_invalid():
    fake = backend()
    fake.tables["abl"] = np.full((IMAGES, 2), np.nan)
    assert verdict(OPTIMISE, answer("abl"), fake).verdict == "invalid"


def test_the_older_answer_form_without_the_wrapping_list_is_read():
    assert verdict(THRESHOLD, "(define-fun weights ((grads Real) (abl Real)) Real abl) ; a comment").verdict == "valid"


def test_a_constant_threshold_compares_the_mean():
    problem = problem_text("(constraint (>= (deletion weights) 0.9))")
    assert verdict(problem, answer("abl")).verdict == "valid"
    assert "vs 0.9" in verdict(problem, answer("grads")).reason


CLASS_PARAMS = "((grads Real) (abl Real) (class Int))"
CLASS_PROBLEM = problem_text("(constraint (>= (deletion weights) (deletion gradcam)))", params=CLASS_PARAMS,
                             arrow="(-> Real Real Int Real)")


def test_the_engines_class_case_split_over_derivable_parts_is_read():
    split = "(ite (= class 1) abl (ite (= class 0) (* abl abl) abl))"
    assert verdict(CLASS_PROBLEM, answer(split, CLASS_PARAMS)).verdict == "valid"
    assert verdict(CLASS_PROBLEM, answer("(ite (= 0 class) abl abl)", CLASS_PARAMS)).verdict == "valid"
    underivable = "(ite (= class 1) (+ abl grads) abl)"
    assert "does not derive" in verdict(CLASS_PROBLEM, answer(underivable, CLASS_PARAMS)).reason
    not_a_class_test = "(ite (>= abl grads) abl grads)"
    assert "does not derive" in verdict(CLASS_PROBLEM, answer(not_a_class_test, CLASS_PARAMS)).reason
    # without a class parameter the case split is not the engine's: the grammar must derive it
    assert "type-check" in verdict(THRESHOLD, answer("(ite (= class 1) abl abl)")).reason


def test_heldout_images_are_a_seeded_quarter_by_default():
    held = heldout_images(40, 10, 0)
    assert len(held) == 10 == len(set(held)) and held == sorted(held) and all(0 <= i < 40 for i in held)
    assert held == heldout_images(40, 10, 0) and held != heldout_images(40, 10, 1)
    assert heldout_images(40, 0, 0) == [] and len(heldout_images(4, 10, 0)) == 4
    assert len(heldout_images(40, check.holdout_option(problem_from_script(parse_text(THRESHOLD))), 0)) == 40 // 4


def test_holdout_zero_scores_every_image():
    report = verdict(THRESHOLD, answer("abl"), holdout=0)
    assert report.figures["heldout"] == 0 and "all images" in report.figures["note"]


# ------------------------------------------------------------------ the command line


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setattr(check, "_open_backend", lambda options: backend())
    problem = tmp_path / "p.sl"
    problem.write_text(THRESHOLD)
    return tmp_path, problem


def test_cli_prints_the_verdict_then_figures(files, capsys):
    folder, problem = files
    (folder / "a.txt").write_text(answer("abl"))
    assert check.main([str(problem), str(folder / "a.txt"), "--holdout", "4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "valid" and "heldout: 4" in out and any(line.startswith("goal deletion") for line in out)


def test_cli_reads_stdin_and_prints_json(files, capsys, monkeypatch):
    folder, problem = files
    monkeypatch.setattr("sys.stdin", io.StringIO(answer("grads")))
    assert check.main([str(problem), "-", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("invalid: ")
    assert json.loads(out[1])["verdict"] == "invalid"


def test_cli_garbage_answer_exits_2_with_a_located_error(files, capsys):
    folder, problem = files
    (folder / "a.txt").write_text("(\n  (define-fun weights ((grads Real) (abl Real)) Real (+ abl\n)\n")
    assert check.main([str(problem), str(folder / "a.txt")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "a.txt:" in captured.err and "Traceback" not in captured.err


def test_cli_unreadable_problem_or_answer_exits_2(files, capsys):
    folder, problem = files
    assert check.main([str(folder / "missing.sl"), str(problem)]) == 2
    assert check.main([str(problem), str(folder / "missing.txt")]) == 2
    (folder / "bad.sl").write_text("(set-logic SYCAM)\n(synth-fun weights ((grads Real)) Real\n")
    (folder / "a.txt").write_text("fail\n")
    assert check.main([str(folder / "bad.sl"), str(folder / "a.txt")]) == 2
    assert "bad.sl:" in capsys.readouterr().err


def test_cli_fail_answer_is_a_verdict(files, capsys):
    folder, problem = files
    (folder / "a.txt").write_text("fail\n")
    assert check.main([str(problem), str(folder / "a.txt")]) == 0
    assert capsys.readouterr().out == "fail\n"


def test_with_the_torch_backend_the_baseline_itself_is_not_better(tmp_path, capsys):
    """End to end on the built-in data (8 images, 2 held out): the baseline's own body ties itself."""
    pytest.importorskip("torch")
    problem = tmp_path / "p.sl"
    problem.write_text("""(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.images 8)
(synth-fun weights ((grads Real) (pos_grads Real)) Real ((W Real)) ((W Real (grads pos_grads))))
(define-fun gradcam ((grads Real) (pos_grads Real)) Real grads)
(declare-oracle-fun deletion ((-> Real Real Real)) Real sycam.deletion)
(constraint (>= (deletion weights) (deletion gradcam)))
(check-synth)
""")
    (tmp_path / "a.txt").write_text(answer("grads", "((grads Real) (pos_grads Real))"))
    assert check.main([str(problem), str(tmp_path / "a.txt"), "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    figures = json.loads(out[1])
    assert out[0].startswith("invalid: deletion") and figures["heldout"] == 2
    goal = figures["goals"][0]
    assert goal["answer_mean"] == goal["baselines"]["gradcam"] and goal["wins"] == 2


def test_cli_a_reader_that_went_away_is_no_traceback(tmp_path):
    problem, answer_file = tmp_path / "p.sl", tmp_path / "a.txt"
    problem.write_text(THRESHOLD)
    answer_file.write_text("fail\n")
    code = "import sys; from sycam_sygus.app import check; sys.exit(check.main(sys.argv[1:]))"
    process = subprocess.Popen([sys.executable, "-c", code, str(problem), str(answer_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # `sycam-check … | head -0`: the reader went away before the verdict came
    stderr = process.communicate(timeout=120)[1]
    assert process.returncode == 0 and "Traceback" not in stderr, stderr


@pytest.mark.parametrize("which", ["problem", "answer"])
def test_cli_a_fifo_is_refused_unopened(files, capsys, which):
    import os

    folder, problem = files
    (folder / "a.txt").write_text("fail\n")
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    argv = [str(fifo), str(folder / "a.txt")] if which == "problem" else [str(problem), str(fifo)]
    assert check.main(argv) == 2  # no writer would ever come: opening it would hang
    assert f"the {which} is a special file" in capsys.readouterr().err


def test_cli_a_full_disk_on_stdout_is_a_warning_not_a_traceback(tmp_path):
    problem, answer_file = tmp_path / "p.sl", tmp_path / "a.txt"
    problem.write_text(THRESHOLD)
    answer_file.write_text("fail\n")
    code = "import sys; from sycam_sygus.app import check; sys.exit(check.main(sys.argv[1:]))"
    with open("/dev/full", "w") as full:
        process = subprocess.run([sys.executable, "-c", code, str(problem), str(answer_file)],
                                 stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert process.returncode == 0 and "Traceback" not in process.stderr, process.stderr
    assert "could not write to standard output" in process.stderr


def test_cli_json_is_strict_with_a_non_finite_score(files, capsys, monkeypatch):
    fake = backend()
    fake.tables["abl"] = np.full((IMAGES, 2), np.nan)  # every score non-finite
    monkeypatch.setattr(check, "_open_backend", lambda options: fake)
    folder, problem = files
    (folder / "a.txt").write_text(answer("abl"))
    assert check.main([str(problem), str(folder / "a.txt"), "--json"]) == 0
    line = capsys.readouterr().out.splitlines()[1]

    def refuse(token):
        raise AssertionError(f"{token} is not JSON")

    figures = json.loads(line, parse_constant=refuse)
    assert figures["verdict"] == "invalid" and isinstance(figures["goals"][0]["answer_mean"], str)
