"""`sycam-solve` as a user runs it, on the built-in model and data (small image counts via flags).

1. grammars/quickstart.sl answers with exactly the three-line answer block on stdout; the answer
   re-parses, the grammar derives it, and the report shows it passing the acceptance rule
   against Grad-CAM (its threshold) on the last tier.
2. A run cut short by --max-candidates and resumed with a larger budget scores nothing twice
   and answers exactly what an uninterrupted run with that budget answers.
3. Ctrl-C mid-search answers with the best so far and still writes the report.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import sycam_sygus.app.cli as cli
from sycam_sygus.app.runlog import read_log
from sycam_sygus.frontend.ast import DefineFun
from sycam_sygus.frontend.lower import load_problem, lower_term
from sycam_sygus.frontend.parser import parse_text
from sycam_sygus.ir import derivable, var

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "grammars" / "quickstart.sl"
SMALL = ["--images", "16", "--tiers", "6 16"]  # few images keep each run to seconds


@pytest.fixture(scope="module", autouse=True)
def terminal_cache(tmp_path_factory):
    """One terminal cache for this module's runs, outside the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("SYCAM_CACHE")
    os.environ["SYCAM_CACHE"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["SYCAM_CACHE"]
    else:
        os.environ["SYCAM_CACHE"] = previous


def sycam_solve(*args, timeout=240):
    """Run the CLI as a user would, in a fresh process with one torch thread."""
    return subprocess.run([sys.executable, "-m", "sycam_sygus", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=_env())


def _env():
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def answer_define_fun(stdout: str) -> DefineFun:
    """The define-fun of a solved answer, parsed by the front end: the block is `(`, the objective
    values' tuple for an optimisation problem, the define-fun, `)`, and nothing else."""
    lines = stdout.strip().splitlines()
    assert lines[0] == "(" and lines[-1] == ")", stdout
    *objectives, text = lines[1:-1]
    assert len(objectives) <= 1, stdout
    for line in objectives:
        assert line.startswith("  (") and line.endswith(")"), stdout
        assert all(np.isfinite(float(value)) for value in line.strip()[1:-1].split()), stdout
    script = parse_text("(set-logic SYCAM)\n" + text)
    set_logic, define_fun = script.commands
    assert isinstance(define_fun, DefineFun), stdout
    return define_fun


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory, terminal_cache):
    folder = tmp_path_factory.mktemp("quickstart")
    done = sycam_solve(QUICKSTART, "--report", folder / "report", "--quiet", *SMALL)
    return done, folder


def test_quickstart_answers_on_stdout_only(quickstart_run):
    done, folder = quickstart_run
    assert done.returncode == 0, done.stderr
    report = json.loads((folder / "report" / "report.json").read_text())
    assert report["status"] == "solved" and not report["interrupted"]
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert done.stdout == "\n".join(lines) + "\n" and len(lines) == 3, done.stdout  # the answer, nothing else
    assert lines[0] == "(" and lines[2] == ")" and lines[1].startswith("  (define-fun ")
    assert lines[1].endswith(f" {report['answer']})")  # the body the report names
    define_fun = answer_define_fun(done.stdout)
    problem = load_problem(str(QUICKSTART))
    assert define_fun.name == problem.synth.name
    assert define_fun.params == problem.synth.params  # identical to the synth-fun's


def test_quickstart_answer_reparses_and_the_grammar_derives_it(quickstart_run, tmp_path):
    done, _ = quickstart_run
    answer_file = tmp_path / "answer.sl"
    answer_file.write_text("(set-logic SYCAM)\n" + done.stdout.strip()[1:-1].strip() + "\n")
    reparsed = sycam_solve(answer_file, "--parse-only")
    assert reparsed.returncode == 0, reparsed.stderr
    assert parse_text(reparsed.stdout) == parse_text(answer_file.read_text())
    problem = load_problem(str(QUICKSTART))
    scope = {name: var(name, sort) for name, sort in problem.synth.params}
    term = lower_term(answer_define_fun(done.stdout).body, scope)
    assert derivable(term, problem.synth.grammar)


def test_quickstart_report_shows_the_answer_passing_the_acceptance_rule_against_grad_cam(quickstart_run):
    _, folder = quickstart_run
    report = json.loads((folder / "report" / "report.json").read_text())
    goal = report["goals"][0]
    assert goal["baseline"] == "gradcam" and goal["mode"] == "threshold"  # quickstart's constraint
    assert report["comparison"]["images"] == report["searches"][0]["tiers"][-1]  # the last tier
    rows = {row["method"]: row for row in report["comparison"]["rows"]}
    answer = np.array(rows["sycam answer"]["per_image"][goal["metric"]])
    gradcam = np.array(rows["Grad-CAM"]["per_image"][goal["metric"]])
    sign = 1 if goal["maximise"] else -1
    beats = sign * answer > sign * gradcam if goal["strict"] else sign * answer >= sign * gradcam
    assert 2 * np.sum(beats) >= len(answer)  # on at least half the images
    assert sign * answer.mean() > sign * gradcam.mean()  # and strictly on the mean
    assert report["comparison"]["acceptance_of_answer"][goal["metric"]]["Grad-CAM"]["accepted"]
    markdown = (folder / "report" / "report.md").read_text()
    assert "| Grad-CAM |" in markdown and "| **sycam answer** |" in markdown
    assert (folder / "report" / "heatmaps.png").stat().st_size > 0


def optimise_variant(folder: Path) -> Path:
    """quickstart.sl with its goal as an objective, so a search runs until its budget ends."""
    problem = load_problem(str(QUICKSTART))
    goal = problem.goals[0]
    text = QUICKSTART.read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("(constraint", "(check-synth"))]
    oracle = next(line.split()[1] for line in lines if line.lstrip().startswith("(declare-oracle-fun"))
    lines.append(f"(optimize-synth ((! ({oracle} {problem.synth.name}) {':max' if goal.maximise else ':min'})))")
    lines.append("(check-synth)")
    path = folder / "optimise.sl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_resumed_run_scores_nothing_twice_and_answers_like_an_uninterrupted_one(tmp_path, capsys):
    # in-process through cli.main (one torch import for the three runs); the CLI path is the same
    problem_file = optimise_variant(tmp_path)
    common = [str(problem_file), *SMALL, "--seed", "1", "--quiet"]

    def run(*extra):
        assert cli.main([*common, *extra]) == 0
        return capsys.readouterr().out

    run("--report", str(tmp_path / "d"), "--max-candidates", "3")
    _, first = read_log(tmp_path / "d" / "candidates.jsonl")
    resumed = run("--report", str(tmp_path / "d"), "--resume", "--max-candidates", "8")
    straight = run("--report", str(tmp_path / "s"), "--max-candidates", "8")

    assert resumed == straight  # same answer and objective value
    _, logged = read_log(tmp_path / "d" / "candidates.jsonl")
    keys = [(r.term, r.tier) for r in logged]
    assert len(keys) == len(set(keys))  # nothing logged (so nothing scored) twice
    assert logged[: len(first)] == first  # the first run's lines are kept as they were
    _, uninterrupted = read_log(tmp_path / "s" / "candidates.jsonl")
    assert sorted(keys) == sorted((r.term, r.tier) for r in uninterrupted)  # the same evaluations
    straight_scores = {(r.term, r.tier): r.scores for r in uninterrupted}
    for r in logged:  # equal up to float rounding (batches of other sizes sum in another order)
        assert r.scores == pytest.approx(straight_scores[(r.term, r.tier)], rel=1e-6, abs=1e-9)
    replayed = json.loads((tmp_path / "d" / "report.json").read_text())
    fresh = json.loads((tmp_path / "s" / "report.json").read_text())
    assert replayed["counts"]["known-scores"] > 0
    assert replayed["forwards"] < fresh["forwards"]  # the logged scores cost no model calls


def test_ctrl_c_answers_with_the_best_so_far_and_writes_the_report(tmp_path):
    problem_file = optimise_variant(tmp_path)
    log = tmp_path / "r" / "candidates.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "sycam_sygus", str(problem_file), "--report", str(tmp_path / "r"),
         *SMALL, "--time-limit", "600", "--max-size", "9"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env(),
    )
    try:
        deadline = time.monotonic() + 180
        while not (log.exists() and len(log.read_text().splitlines()) >= 6):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no candidates were scored"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "stopping" in stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] is True
    if report["status"] == "solved":
        assert answer_define_fun(stdout).body is not None and report["answer"] in stdout
    else:
        assert stdout.strip() == report["status"]
