"""The BenchExec tool-info module: command line with the time limit, and result classification."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("benchexec", reason="BenchExec is not installed (pip install '.[bench]')")

from benchexec.tools.template import BaseTool2  # noqa: E402
from benchexec.util import ProcessExitCode  # noqa: E402

from sycam_sygus.app import benchexec_tool  # noqa: E402
from sycam_sygus.app.benchexec_tool import Tool, classify, solver_time_limit  # noqa: E402

PROBLEM = """(set-logic SYCAM)
(set-option :sycam.time-limit {limit})
(synth-fun weights ((grads Real)) Real)
"""


def command(tmp_path: Path, limit: str | None, options=(), **rlimits) -> list[str]:
    path = tmp_path / "p.sl"
    path.write_text(PROBLEM.format(limit=limit) if limit else "(set-logic SYCAM)\n")
    task = BaseTool2.Task.with_files([str(path)])
    return Tool().cmdline("/bin/sycam-solve", list(options), task, BaseTool2.ResourceLimits(**rlimits))


def test_the_problems_own_budget_is_kept_under_a_larger_harness_limit(tmp_path):
    cmd = command(tmp_path, "30", walltime=120)
    assert cmd == ["/bin/sycam-solve", "--time-limit", "30", "--quiet", str(tmp_path / "p.sl")]


def test_a_harness_limit_below_the_problems_budget_wins_less_the_start_up(tmp_path):
    assert command(tmp_path, "600", cputime=60)[1:3] == ["--time-limit", "54"]  # a tenth kept for start-up
    assert command(tmp_path, None, walltime=20)[1:3] == ["--time-limit", "15"]  # five seconds at least
    assert solver_time_limit(3, None) == 1.0  # never below a second


def test_no_limit_and_explicit_options_pass_through(tmp_path):
    assert command(tmp_path, "30") == ["/bin/sycam-solve", "--quiet", str(tmp_path / "p.sl")]
    cmd = command(tmp_path, "30", ["--equivalence", "value", "--time-limit", "2"], walltime=120)
    assert cmd == ["/bin/sycam-solve", "--equivalence", "value", "--time-limit", "2", "--quiet", str(tmp_path / "p.sl")]


def test_an_unreadable_problem_gets_the_harness_budget_and_sycam_reports_it(tmp_path):
    path = tmp_path / "p.sl"
    path.write_text("(set-logic SYCAM")
    cmd = Tool().cmdline("sycam-solve", [], BaseTool2.Task.with_files([str(path)]), BaseTool2.ResourceLimits(walltime=60))
    assert cmd[1:3] == ["--time-limit", "54"]


ANSWER = ["sycam: warning: tier of 60 images clipped", "(", "  (define-fun weights ((grads Real)) Real grads)", ")"]


@pytest.mark.parametrize("exit_code, lines, timed_out, status", [
    (0, ANSWER, False, "done"),
    (0, ["(define-fun weights ((grads Real)) Real grads)"], False, "done"),
    (0, ["sycam: warning: x", "fail"], False, "fail"),
    (0, ["infeasible"], False, "infeasible"),
    (2, ["p.sl:3:1: error: unknown terminal 'grad'"], False, "ERROR (bad input)"),
    (1, ["Traceback (most recent call last):"], False, "ERROR (exit code 1)"),
    (0, [], False, "ERROR (no answer)"),
    (None, ANSWER[:2], True, "TIMEOUT"),
])
def test_classify(exit_code, lines, timed_out, status):
    assert classify(exit_code, lines, timed_out) == status


def test_determine_result_reads_benchexecs_run(tmp_path):
    run = BaseTool2.Run(["sycam-solve"], ProcessExitCode.create(value=0), _Output(["infeasible"]), None)
    assert Tool().determine_result(run) == "infeasible"
    killed = BaseTool2.Run(["sycam-solve"], ProcessExitCode.create(signal=9), _Output([]), "walltime")
    assert Tool().determine_result(killed) == "TIMEOUT"


def test_the_tool_is_found_and_reports_its_version():
    if shutil.which("sycam-solve") is None:
        pytest.skip("sycam-solve is not on PATH (activate the environment it is installed in)")
    locator = BaseTool2.ToolLocator(use_path=True)
    executable = Tool().executable(locator)
    assert Path(executable).name == "sycam-solve"
    assert Tool().version(executable) == _installed_version()
    assert Tool().name() == "sycam" and benchexec_tool.TIME_OPTION == "--time-limit"


def _installed_version() -> str:
    from importlib.metadata import version

    return version("sycam")


class _Output(list):
    """Enough of BenchExec's RunOutput (a sequence of lines) for determine_result."""

    @property
    def text(self) -> str:
        return "\n".join(self)


@pytest.mark.parametrize("definition", sorted((Path(__file__).resolve().parents[1] / "benchmarks" / "cam-track")
                                              .glob("*.xml")), ids=lambda p: p.name)
def test_every_configuration_of_the_track_is_a_command_line_sycam_solve_accepts(definition, tmp_path):
    import xml.etree.ElementTree as ElementTree

    from sycam_sygus.app.cli import build_parser

    root = ElementTree.parse(definition).getroot()
    runs = root.findall("rundefinition")
    assert len(runs) >= 2  # the track compares configurations
    for run in runs:
        options = []
        for option in run.findall("option"):
            options += [option.get("name")] + ([option.text.strip()] if option.text else [])
        argv = command(tmp_path, "30", options, walltime=120)[1:]  # as BenchExec would start it
        parsed = build_parser().parse_args(argv)  # an unknown flag or a bad value exits here
        assert parsed.time_limit is not None
