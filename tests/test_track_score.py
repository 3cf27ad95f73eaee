"""The CAM track's scoring script (benchmarks/cam-track/score.py): SyGuS-Comp points on hand-made runs."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TRACK = Path(__file__).resolve().parents[1] / "benchmarks" / "cam-track"
_spec = importlib.util.spec_from_file_location("track_score", TRACK / "score.py")
score = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = score  # dataclasses look their module up
_spec.loader.exec_module(score)
Run = score.Run

VALID, INFEASIBLE = "deletion-vs-gradcam.sl", "infeasible-finite-grammar.sl"  # expected: valid / infeasible


def run(solver, problem, walltime, verdict, size=None):
    return Run(solver, problem, "done", walltime, "(...)", verdict=verdict, size=size)


def test_points_are_five_per_solved_three_to_the_fastest_one_to_the_smallest():
    runs = [run("a", VALID, 10.0, "valid", size=3), run("b", VALID, 12.0, "valid", size=1),
            run("c", VALID, 5.0, "invalid: worse")]  # the fastest run is wrong: it earns nothing
    points, rows = score.score(runs)
    assert points == {"a": 5 + 3, "b": 5 + 1, "c": 0}
    assert sum("**wrong**" in row for row in rows) == 1 and "**wrong**" in rows[2]


def test_ties_share_the_bonus_and_an_infeasible_answer_counts_only_where_expected():
    runs = [run("a", INFEASIBLE, 8.0, "infeasible"), run("b", INFEASIBLE, 8.0, "infeasible"),
            run("a", VALID, 9.0, "infeasible"), run("b", VALID, 9.0, "fail")]
    points, rows = score.score(runs)
    assert points == {"a": 5 + 3, "b": 5 + 3}  # the infeasible problem: both solved, equally fast
    by_solver = {row.split(" | ")[2]: row for row in rows if VALID in row}
    assert "**wrong**" in by_solver["a"] and "**wrong**" not in by_solver["b"]  # fail is no answer, not wrong


def test_the_answer_is_found_in_a_benchexec_log_among_stderr_lines():
    log = ("sycam-solve --quiet x.sl\n\n--------------------------------------------------------------------------------\n\n"
           "sycam: warning: tier of 60 images clipped\n(\n  (define-fun weights ((grads Real)) Real\n    (* grads grads))\n)\n")
    assert score.extract_answer(log) == "(\n  (define-fun weights ((grads Real)) Real\n    (* grads grads))\n)"
    assert score.extract_answer("sycam: fail: no candidate ...\nfail\n") == "fail"
    assert score.extract_answer("Traceback (most recent call last):\n") == ""


def test_task_paths_are_kept_relative_to_the_track(tmp_path):
    results = TRACK / "results"  # BenchExec writes task paths relative to its results folder
    assert score.track_relative("../photos/deletion-vs-xgradcam-photos.sl", results) == "photos/deletion-vs-xgradcam-photos.sl"
    assert score.track_relative("../deletion-vs-gradcam.sl", results) == "deletion-vs-gradcam.sl"
    assert score.track_relative(str(TRACK / "photos" / "x.sl"), tmp_path) == "photos/x.sl"
    walk_up = "/".join([".."] * len(tmp_path.resolve().parts[1:])) + str(TRACK.resolve() / VALID)
    assert score.track_relative(walk_up, tmp_path) == VALID  # a results folder outside the repository
    assert score.track_relative("elsewhere/photos/x.sl", tmp_path) == "photos/x.sl"
    assert score.expected_status(TRACK / VALID) == "valid"
