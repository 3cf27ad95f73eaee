"""sycam-solve's command line: exit codes, stdout carrying only the answer, located errors,
flag overrides, Ctrl-C. The search runs on the numpy fake backend (open_backend is replaced)."""
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from fake_backend import FakeBackend

import sycam_sygus.app.cli as cli
from sycam_sygus.core.errors import OptionError
from sycam_sygus.core.options import OPTIONS
from sycam_sygus.engine.observer import TierRef
from sycam_sygus.frontend.parser import parse_file, parse_text
from sycam_sygus.frontend.printer import print_script

PROBLEM = textwrap.dedent("""\
    (set-logic SYCAM)
    (set-feature :oracles true)
    (set-option :sycam.images 6)
    (set-option :sycam.data "builtin:cluttered-mnist")
    (set-option :sycam.tiers "2 4")
    (set-option :sycam.time-limit 30)

    (synth-fun weights ((grads Real) (cic Real) (abl Real)) Real
      ((W Real) (T Real))
      ((W Real (T (* T T) (relu W)))
       (T Real (grads cic abl))))

    (define-fun gradcam ((grads Real) (cic Real) (abl Real)) Real grads)
    (declare-oracle-fun deletion ((-> Real Real Real Real)) Real sycam.deletion)

    (constraint (>= (deletion weights) (deletion gradcam)))
    (check-synth)
""")
# Two channels; the truth is channel 0, so cic (all on channel 0) beats grads (half on it).
TABLES = {"grads": np.array([[1.0, 1.0]] * 6), "gradcampp": np.array([[2.0, 1.0]] * 6),
          "xgrads": np.array([[1.0, 2.0]] * 6), "eigen": np.array([[1.0, 2.0]] * 6),
          "cic": np.array([[1.0, 0.0]] * 6), "abl": np.array([[0.0, 1.0]] * 6)}
TRUTH = np.array([[1.0, 0.0]] * 6)


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM)
    return path


@pytest.fixture
def fake_backend(monkeypatch):
    """Replace the torch backend; remember the options the CLI opened it with."""
    opened = {}

    def open_fake(problem):
        opened.update(problem.settings.as_options())
        return FakeBackend(TABLES, TRUTH)

    monkeypatch.setattr(cli, "open_backend", open_fake)
    return opened


def sycam_solve(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sycam_sygus", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_parse_only_prints_the_script_back_and_round_trips(problem_file, capsys):
    assert cli.main([str(problem_file), "--parse-only"]) == 0
    printed = capsys.readouterr().out
    assert printed == print_script(parse_file(str(problem_file)))
    assert parse_text(printed) == parse_file(str(problem_file))


def test_malformed_file_is_a_located_error_with_a_caret_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.sl"
    bad.write_text("(set-logic SYCAM)\n(synth-fun weights ((grads Real)) Real\n  ((W Real) (T Real)))\n)\n")
    done = sycam_solve(bad, "--parse-only")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    first, source_line, caret = done.stderr.splitlines()[:3]
    assert first.startswith(f"{bad}:") and ": error: " in first
    line, column = map(int, first[len(str(bad)) + 1:].split(":")[:2])
    assert source_line == "  " + bad.read_text().splitlines()[line - 1]
    assert caret == "  " + " " * (column - 1) + "^"


def test_unknown_option_in_the_file_exits_2_with_its_location(tmp_path, fake_backend, capsys):
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM.replace(":sycam.images 6", ":sycam.imagez 6"))
    assert cli.main([str(path)]) == 2
    err = capsys.readouterr()
    assert err.out == ""
    assert f"{path}:3:" in err.err and "imagez" in err.err and "^" in err.err


def test_missing_file_exits_2(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nowhere.sl")]) == 2
    err = capsys.readouterr().err
    assert "nowhere.sl: error: cannot read the problem file" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["p.sl", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["p.sl", "--resume"], "--resume needs --report"),
        (["p.sl", "--tiers", "30 ten"], "expected space-separated whole numbers"),
        (["p.sl", "--tiers", "30 10"], "positive and ascending"),
        (["p.sl", "--images", "many"], "expected a whole number, got 'many'"),
        (["p.sl", "--images", "-3"], "expected a number >= 0"),
        (["p.sl", "--max-size", "0"], "expected a number >= 1"),
        (["p.sl", "--time-limit", "0"], "expected a number > 0"),
        (["p.sl", "--seed", "x"], "expected a whole number, got 'x'"),
        (["p.sl", "--equivalence", "value mapp"], "unknown equivalence level(s) ['mapp']"),
        (["p.sl", "--steps", "0"], "expected a number >= 1"),
        (["p.sl", "--workers", "0"], "expected a number >= 1"),
        (["p.sl", "--batch-size", "-1"], "expected a number >= 0"),
        (["p.sl", "--eq-images", "-1"], "expected a number >= 0"),
        (["p.sl", "--eq-images", "2.5"], "expected a whole number, got '2.5'"),
        (["p.sl", "--compare", "some"], "invalid choice: 'some'"),
    ],
)
def test_bad_flags_exit_2_with_usage(argv, message, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and "usage: sycam-solve" in captured.err


def _flag_sample(name, option):
    """A non-default value for option `name`: (the flag's text, the value it must set)."""
    if option.kind is list:
        return "3 6", [3, 6]
    if option.kind is int:
        return str(option.default + 2), option.default + 2
    if option.kind is float:
        return "12.5", 12.5
    if name == "equivalence":  # a checked str option: one of its level names
        return "metric", "metric"
    if name == "acceptance":  # a checked str option: one of its rules
        return "significant", "significant"
    if option.kind is bool:
        return "true", True
    return f"{name} value", f"{name} value"


def test_every_option_has_a_flag_with_its_help_and_type():
    parser = cli.build_parser()
    flags = {action.option_strings[0]: action for action in parser._actions if action.option_strings}
    argv = ["p.sl"]
    expected = {}
    for name, option in OPTIONS.items():
        assert f"--{name}" in flags, name
        assert option.help in flags[f"--{name}"].help and f":sycam.{name}" in flags[f"--{name}"].help
        text, value = _flag_sample(name, option)
        argv += [f"--{name}", text]
        expected[name] = value
    overrides = cli.option_overrides(parser.parse_args(argv))
    assert overrides == expected
    assert all(type(overrides[name]) is option.kind for name, option in OPTIONS.items())
    assert cli.option_overrides(parser.parse_args(["p.sl"])) == {}  # only flags given override


def test_flags_override_the_files_options(problem_file, fake_backend, capsys):
    status = cli.main([str(problem_file), "--tiers", "3 6", "--images", "6", "--seed", "7", "--max-size", "2",
                       "--time-limit", "12.5", "--max-candidates", "9", "--device", "cpu", "--quiet",
                       "--eq-images", "3", "--equivalence", "value", "--target", "label", "--steps", "5",
                       "--batch-size", "8", "--cache", "/tmp/nowhere"])
    assert status == 0
    assert fake_backend["tiers"] == [3, 6] and fake_backend["seed"] == 7 and fake_backend["max-size"] == 2
    assert fake_backend["time-limit"] == 12.5 and fake_backend["max-candidates"] == 9
    assert fake_backend["device"] == "cpu" and fake_backend["eq-images"] == 3
    assert fake_backend["equivalence"] == "value" and fake_backend["target"] == "label"
    assert fake_backend["steps"] == 5 and fake_backend["batch-size"] == 8 and fake_backend["cache"] == "/tmp/nowhere"
    assert fake_backend["data"] == "builtin:cluttered-mnist"  # not overridden: the file's value


def test_stdout_is_only_the_answer(problem_file, fake_backend, capsys):
    assert cli.main([str(problem_file)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "(\n  (define-fun weights ((grads Real) (cic Real) (abl Real)) Real cic)\n)\n"
    assert "sycam: " in captured.err  # progress, plain lines because stderr is not a terminal
    assert all(line.startswith("sycam: ") for line in captured.err.splitlines())


def test_quiet_silences_stderr(problem_file, fake_backend, capsys):
    assert cli.main([str(problem_file), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_warnings_go_to_stderr(tmp_path, fake_backend, capsys):
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM.replace("(set-option :sycam.time-limit 30)",
                                    "(set-option :sycam.time-limit 30)\n(set-option :produce-models true)"))
    assert cli.main([str(path), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("(\n  (define-fun weights")
    warning = next(line for line in captured.err.splitlines() if "produce-models" in line)
    assert warning.startswith(f"{path}:7:1: warning: ")


def test_backend_error_about_an_option_points_at_its_set_option(problem_file, monkeypatch, capsys):
    def refuse(problem):
        raise OptionError("data", "data folder 'x' does not exist", hint="give an image folder")

    monkeypatch.setattr(cli, "open_backend", refuse)
    assert cli.main([str(problem_file)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"{problem_file}:4:1: error: data folder 'x' does not exist (option :sycam.data)"
    assert lines[1] == '  (set-option :sycam.data "builtin:cluttered-mnist")'
    assert lines[2] == "  ^"
    assert lines[3] == "hint: give an image folder"


class InterruptingBackend(FakeBackend):
    """Sends the process a Ctrl-C from inside its `n`-th score call, as a user would mid-search."""

    def __init__(self, n, *args):
        super().__init__(*args)
        self.calls, self.n = 0, n

    def score(self, weights, images, metric):
        self.calls += 1
        if self.calls == self.n:
            os.kill(os.getpid(), signal.SIGINT)
        return super().score(weights, images, metric)


def test_ctrl_c_answers_with_the_best_so_far_and_writes_the_report(problem_file, tmp_path, monkeypatch, capsys):
    # optimise mode keeps searching after the first success, so the interrupt lands mid-search
    path = tmp_path / "opt.sl"
    path.write_text(PROBLEM.replace("(constraint (>= (deletion weights) (deletion gradcam)))",
                                    "(optimize-synth ((! (deletion weights) :max)))"))
    backend = InterruptingBackend(6, TABLES, TRUTH)
    monkeypatch.setattr(cli, "open_backend", lambda options: backend)
    # one candidate per score call, so the 6th call comes mid-search
    assert cli.main([str(path), "--report", str(tmp_path / "r"), "--quiet", "--candidate-batch", "1"]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] is True
    if report["status"] == "solved":
        assert f"(define-fun weights ((grads Real) (cic Real) (abl Real)) Real {report['answer']})" in out
    else:
        assert out == report["status"] + "\n"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_keeps_the_two_commands_and_ci_runs_the_test_one():
    text = README.read_text()
    assert "python -m pip install -e . && sycam-solve grammars/quickstart.sl" in text
    test_command = "python -m pip install -e '.[test]' && python -m pytest -q"
    assert test_command in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()  # verbatim, as a line of its own


def test_readme_option_table_matches_options_py():
    text = README.read_text()
    for name, option in OPTIONS.items():
        assert f"| `:sycam.{name}` |" in text and option.help in text, name


def test_every_flag_is_documented_in_the_readme():
    text = README.read_text()
    flags = [a for action in cli.build_parser()._actions for a in action.option_strings if a.startswith("--")]
    assert set(flags) - {"--help"} and all(flag in text for flag in flags if flag != "--help")


def test_progress_panel_counts_what_the_solver_reports():
    from rich.console import Console

    from sycam_sygus.app.progress import Progress
    from sycam_sygus.engine.search import SolveResult
    from sycam_sygus.ir import REAL, app, var

    stream = io.StringIO()
    progress = Progress(stream, backend=FakeBackend(TABLES, TRUTH), time_limit=60)
    grads, product = var("grads"), app("*", [var("grads"), var("abl")], REAL)
    with progress:
        progress.on_start({"tiers": [[0, 1], [0, 1, 2, 3]], "metric": "deletion", "baselines": {"gradcam": "grads"}})
        progress.on_scored(grads, TierRef(0, 0), [0, 1], [0.25, 0.75], True)
        progress.on_scored(grads, TierRef(0, 1), [0, 1, 2, 3], [0.5, 0.5, 0.5, 0.7], True)
        for stage in ("enumerated", "enumerated", "pruned-value", "pruned-metric", "enumerated", "passed"):
            progress.on_candidate(product, stage)
        progress.on_scored(product, TierRef(0, -1), [0], [0.9], True)  # the equivalence subset
        progress.on_scored(product, TierRef(1, 0), [0, 1], [0.9, 0.9], True)  # tier 0 of the first class's search
        progress.on_best(product, 0.9)
        progress.on_finish(SolveResult("solved", product, product, 0.9, forwards=12, seconds=1.5, stop_reason="exhausted",
                                       counts={"enumerated": 3, "shared-map": 1, "scored-tier-0": 2}))
    panel = io.StringIO()
    Console(file=panel, width=200).print(progress.render())
    text = panel.getvalue()
    assert "3 enumerated" in text
    assert "value 1" in text and "metric 1" in text and "syntax 0" in text
    assert "tier eq: 1" in text and "tier 0: 2" in text and "tier 1: 1" in text
    assert "0.9000  (* grads abl)" in text
    assert "gradcam" in text and "0.5500  (tier 1)" in text
    lines = stream.getvalue().splitlines()  # not a terminal: plain lines only
    assert lines == [
        "sycam: searching for deletion with tiers of 2 4 images, time limit 60s",
        "sycam: solved (mean 0.9); stopped: exhausted (every candidate up to :sycam.max-size was seen); "
        "12 forwards in 1.5s",
        "sycam:   candidates enumerated: 3",
        "sycam:   tier evaluations reusing the scores of equal maps (no scoring): 1",
        "sycam:   tier 1 evaluations (candidates and baselines): 2",
    ]


def test_search_warnings_reach_stderr_even_when_quiet(problem_file, fake_backend, capsys):
    # only 6 images exist, and the default holdout (a quarter, rounded down) keeps 1 of them out
    assert cli.main([str(problem_file), "--tiers", "2 50", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("(\n  (define-fun weights")
    assert f"{problem_file}: warning: tier of 50 images clipped to the 5 available" in captured.err


def test_resume_with_other_settings_is_refused(problem_file, tmp_path, fake_backend, capsys):
    report = str(tmp_path / "r")
    assert cli.main([str(problem_file), "--report", report, "--quiet"]) == 0
    capsys.readouterr()
    assert cli.main([str(problem_file), "--report", report, "--resume", "--seed", "4", "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{problem_file}: error: ")
    assert "sycam.seed" in captured.err and "drop --resume" in captured.err


def test_strict_makes_the_command_order_an_error(tmp_path, capsys):
    path = tmp_path / "late.sl"
    path.write_text(PROBLEM.replace("(set-option :sycam.time-limit 30)\n", "") + "(set-option :sycam.time-limit 30)\n")
    assert cli.main([str(path), "--parse-only"]) == 0  # lenient: a warning
    lenient = capsys.readouterr()
    assert lenient.err.startswith(f"{path}: warning: commands out of the standard order")
    assert lenient.out.startswith("(set-logic SYCAM)")
    assert cli.main([str(path), "--parse-only", "--strict"]) == 2
    strict = capsys.readouterr()
    assert strict.out == "" and strict.err.startswith(f"{path}:17:1: error: ")


SLOW_RUN = """
import sys, time
sys.path.insert(0, {tests!r})
import numpy as np
import sycam_sygus.app.cli as cli
from fake_backend import FakeBackend

class SlowBackend(FakeBackend):
    def score(self, weights, images, metric):
        time.sleep({sleep})  # a long model call
        return super().score(weights, images, metric)

tables = {{name: np.array([[1.0, 1.0]] * 6) for name in ("grads", "gradcampp", "xgrads", "eigen", "cic", "abl")}}
cli.open_backend = lambda options: SlowBackend(tables, np.array([[1.0, 0.0]] * 6))
sys.exit(cli.main({argv!r}))
"""


def test_a_second_ctrl_c_quits_at_once(problem_file):
    # both Ctrl-Cs arrive during the first 30 s model call
    code = SLOW_RUN.format(tests=str(Path(__file__).parent), sleep=30, argv=[str(problem_file)])
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr.readline().startswith("sycam: searching")
        time.sleep(0.5)  # inside the first (slow) score call
        process.send_signal(signal.SIGINT)
        assert "stopping, answering with the best so far" in process.stderr.readline()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)  # well before the 30 s call would end
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "interrupted again, quitting" in stderr and stdout == ""


def test_time_spent_before_the_search_comes_off_the_time_limit(problem_file, capsys):
    from sycam_sygus.frontend.lower import load_problem

    problem = load_problem(str(problem_file))  # time-limit 30
    assert cli.run_search(problem, FakeBackend(TABLES, TRUTH), {}, None, quiet=True, spent=5.0) == 0
    assert "define-fun" in capsys.readouterr().out  # 25 s are plenty for the fake backend
    assert cli.run_search(problem, FakeBackend(TABLES, TRUTH), {}, None, quiet=True, spent=30.0) == 0
    assert capsys.readouterr().out == "fail\n"  # nothing left: no candidate may be checked


def test_a_closed_stdout_does_not_cost_the_report(problem_file, tmp_path):
    argv = [str(problem_file), "--report", str(tmp_path / "r"), "--quiet"]
    code = SLOW_RUN.format(tests=str(Path(__file__).parent), sleep=0, argv=argv)
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # the reader went away before the answer came
    stderr = process.communicate(timeout=120)[1]
    assert process.returncode == 0 and "Traceback" not in stderr, stderr
    assert json.loads((tmp_path / "r" / "report.json").read_text())["status"] == "infeasible"  # all tie


@pytest.mark.parametrize("device", ["banana", "tpu", "cuda:99"])
def test_an_unusable_device_is_a_located_error_naming_its_flag(problem_file, device, capsys):
    # the real torch backend: torch_cam.models.pick_device itself refuses, before loading anything
    assert cli.main([str(problem_file), "--device", device]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{problem_file}: error: ") and f"'{device}'" in err
    assert "(option :sycam.device, from --device)" in err and "Traceback" not in err


def test_an_unusable_device_in_the_file_points_at_its_set_option(tmp_path, capsys):
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM.replace('(set-option :sycam.images 6)', '(set-option :sycam.device "tpu")'))
    assert cli.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3:1: error: unknown device 'tpu' (option :sycam.device)")
    assert "hint: use cpu, cuda or cuda:N" in err and "Traceback" not in err


@pytest.mark.parametrize("mode, scored", [("none", ["sycam answer"]), ("all", ["Grad-CAM", "Grad-CAM++", "XGrad-CAM", "EigenCAM",
                                                                              "Score-CAM", "Ablation-CAM", "sycam answer"])])
def test_compare_flag_chooses_the_reports_rows(problem_file, tmp_path, fake_backend, mode, scored, capsys):
    assert cli.main([str(problem_file), "--report", str(tmp_path / "r"), "--compare", mode]) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [row["method"] for row in report["comparison"]["rows"] if row["means"] is not None] == scored
    assert report["settings"]["compare"] == mode
    err = capsys.readouterr().err
    assert ("sycam: Score-CAM not computed (--compare none)" in err) == (mode == "none")
    assert ("sycam: comparing with Grad-CAM on 4 images" in err) == (mode == "all")


@pytest.mark.parametrize("seed", ["0", "-1", "7"])
@pytest.mark.parametrize("productions, status", [
    ("(T (+ W W) (relu W))", "fail"),  # recursive: max-size 3 cuts it, so nothing is certain
    ("(T (* T T))", "infeasible"),  # finite: every term (size <= 3) was tried
])
def test_infeasible_only_when_a_finite_grammar_is_exhausted_whatever_the_seed(
        tmp_path, fake_backend, productions, status, seed, capsys):
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM.replace("(T (* T T) (relu W))", productions)
                    .replace("(deletion gradcam))", "2.0)"))  # cosines never reach 2: nothing passes
    assert cli.main([str(path), "--seed", seed, "--max-size", "3", "--quiet"]) == 0
    assert capsys.readouterr().out == f"{status}\n"
    assert fake_backend["seed"] == int(seed)


def test_a_negative_seed_is_a_seed_like_any_other(problem_file, fake_backend, capsys):
    answers = []
    for _ in range(2):
        assert cli.main([str(problem_file), "--seed", "-1", "--quiet"]) == 0
        answers.append(capsys.readouterr().out)
    assert answers[0] == answers[1] and "define-fun weights" in answers[0]  # deterministic, and it solves


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_report_folder_that_cannot_be_written_exits_2_without_a_traceback(problem_file, tmp_path, fake_backend,
                                                                             below, capsys):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    folder = afile / below if below else afile
    assert cli.main([str(problem_file), "--report", str(folder)]) == 2
    err = capsys.readouterr()
    assert err.out == ""  # refused before the search: no answer without the report asked for
    assert err.err.startswith(f"{problem_file}: error: cannot write the report folder {folder} (")
    assert "Traceback" not in err.err and afile.read_text() == "not a folder"


BOUNDED = [(name, option) for name, option in OPTIONS.items() if option.low is not None]


@pytest.mark.parametrize("name, option", BOUNDED, ids=[name for name, _ in BOUNDED])
def test_a_bounded_option_is_refused_alike_in_the_file_and_as_a_flag(name, option, tmp_path, fake_backend, capsys):
    low = int(option.low) if option.kind is int else option.low
    refused = low if option.low_excluded else low - 1  # the largest value out of range
    common = ["--quiet", *(["--equivalence", ""] if name == "eq-images" else [])]  # 0 images: no levels then
    for value, allowed in ((refused, False), (refused + 1, True)):
        path = tmp_path / f"{name}-{value}.sl"
        written = f"(- {-value})" if value < 0 else value
        path.write_text(PROBLEM.replace("(check-synth)", f"(set-option :sycam.{name} {written})\n(check-synth)"))
        from_file = cli.main([str(path), *common])
        from_flag = cli.main([str(problem_file_like(tmp_path)), *common, f"--{name}", str(value)])
        err = capsys.readouterr().err
        assert (from_file, from_flag) == ((0, 0) if allowed else (2, 2)), err
        if not allowed:  # located at the file's value; the flag gets argparse's usage line
            assert f"{path}:17:{len(f'(set-option :sycam.{name} ') + 1}: error:" in err
            assert "usage: sycam-solve" in err


def problem_file_like(tmp_path):
    path = tmp_path / "plain.sl"
    path.write_text(PROBLEM)
    return path


@pytest.mark.parametrize("tiers, ok", [("10 60", True), ("60 10", False), ("10 10", True), ("0 10", False)])
def test_tiers_are_smallest_first_in_the_file_and_as_a_flag(tiers, ok, tmp_path, fake_backend, capsys):
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM.replace('(set-option :sycam.tiers "2 4")', f'(set-option :sycam.tiers "{tiers}")'))
    assert cli.main([str(path), "--quiet", "--max-candidates", "1"]) == (0 if ok else 2)
    assert cli.main([str(problem_file_like(tmp_path)), "--quiet", "--max-candidates", "1", "--tiers", tiers]) == \
        (0 if ok else 2)
    err = capsys.readouterr().err
    if not ok:
        assert f"{path}:5:26: error: option ':sycam.tiers': tier sizes must be positive and ascending" in err


def test_equivalence_without_images_points_at_the_eq_images_option(tmp_path, fake_backend, capsys):
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM.replace("(check-synth)", "(set-option :sycam.eq-images 0)\n(check-synth)"))
    assert cli.main([str(path)]) == 2
    assert capsys.readouterr().err.startswith(
        f"{path}:17:1: error: the equivalence levels need at least one image (option :sycam.eq-images)\n")
    assert cli.main([str(problem_file_like(tmp_path)), "--eq-images", "0"]) == 2
    assert "(option :sycam.eq-images, from --eq-images)" in capsys.readouterr().err


class MasklessBackend(FakeBackend):
    """A backend that says its images have no ground-truth masks, and counts what it was asked."""

    def __init__(self, *args):
        super().__init__(*args)
        self.asked = 0

    def describe(self):
        return {**super().describe(), "has_masks": False}

    def terminal(self, name, images):
        self.asked += 1
        return super().terminal(name, images)


@pytest.mark.parametrize("masks_line", [None, '(set-option :sycam.masks "")'])
def test_a_metric_that_needs_masks_without_masks_fails_before_the_search(masks_line, tmp_path, monkeypatch, capsys):
    text = PROBLEM.replace("sycam.deletion", "sycam.pointing")
    if masks_line:
        text = text.replace("(set-option :sycam.time-limit 30)", f"(set-option :sycam.time-limit 30)\n{masks_line}")
    path = tmp_path / "p.sl"
    path.write_text(text)
    backend = MasklessBackend(TABLES, TRUTH)
    monkeypatch.setattr(cli, "open_backend", lambda options: backend)
    assert cli.main([str(path)]) == 2
    err = capsys.readouterr()
    where = f"{path}:7:1:" if masks_line else f"{path}:"  # at the set-option, else the option's default
    assert err.out == "" and err.err.startswith(
        f"{where} error: metric 'pointing' needs ground-truth masks, and the data has none (option :sycam.masks")
    assert backend.asked == 0 and backend.forwards == 0  # refused before any terminal or score


def test_the_torch_backend_on_a_folder_without_masks_refuses_pointing_before_the_search(tmp_path, capsys):
    from PIL import Image

    (tmp_path / "images" / "0").mkdir(parents=True)
    for i in range(2):
        Image.fromarray(np.full((32, 32, 3), 40 * i, dtype=np.uint8)).save(tmp_path / "images" / "0" / f"im{i}.png")
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM.replace("sycam.deletion", "sycam.pointing").replace('"2 4"', '"1 2"')
                    .replace('(set-option :sycam.data "builtin:cluttered-mnist")',
                             f'(set-option :sycam.data "{tmp_path / "images"}")'))
    assert cli.main([str(path), "--quiet", "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: error: metric 'pointing' needs ground-truth masks, and the data has none "
                          "(option :sycam.masks, from its default)")


def test_a_backend_warning_is_one_plain_stderr_line(problem_file, monkeypatch, capsys):
    import warnings

    def open_warning(options):
        warnings.warn("sycam cache /nowhere: going on without the cache")
        return FakeBackend(TABLES, TRUTH)

    monkeypatch.setattr(cli, "open_backend", open_warning)
    assert cli.main([str(problem_file), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "sycam: warning: sycam cache /nowhere: going on without the cache\n" in err
    assert "UserWarning" not in err and "warnings.warn" not in err
