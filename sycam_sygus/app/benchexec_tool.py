"""BenchExec tool-info module for `sycam-solve` (benchmark definitions name it `tool="sycam_sygus.app.benchexec_tool"`).

Results, from the exit code and the answer on stdout (BenchExec merges stderr into the same log):
- `done`: a `(define-fun …)` answer (whether it is *valid* is `sycam-check`'s business);
- `fail` / `infeasible`: sycam's own words (a budget spent; a finite grammar exhausted);
- `TIMEOUT`: BenchExec stopped the run at its time limit;
- `ERROR (bad input)` for exit status 2, `ERROR (exit code N)` / `ERROR (no answer)` otherwise.
BenchExec only knows `done`/`unknown`/`true`/`false` as categories, so its statistics count
`fail` and `infeasible` under "error"; the track's scoring (benchmarks/cam-track/score.py) reads
the statuses itself.
"""
from __future__ import annotations

import benchexec.result as result
import benchexec.tools.template

from ..core.errors import SygusError
from ..frontend.ast import SetOption
from ..frontend.checker import option_value
from ..frontend.parser import parse_file

TIME_OPTION = "--time-limit"
STARTUP_SECONDS = 5.0  # the interpreter and torch import, before sycam's own clock starts


def solver_time_limit(harness_seconds: float, file_seconds: float | None) -> float:
    """sycam's `--time-limit` under a harness limit: the problem's own budget, never more than the
    harness allows less the start-up time (at least a tenth of it, at least a second)."""
    room = max(harness_seconds - max(STARTUP_SECONDS, harness_seconds / 10), 1.0)
    return room if file_seconds is None else min(file_seconds, room)


def classify(exit_code: int | None, lines: list[str], timed_out: bool) -> str:
    """The BenchExec status of one run (see the module docstring)."""
    if timed_out:
        return result.RESULT_TIMEOUT
    if exit_code == 2:
        return "ERROR (bad input)"
    if exit_code not in (0, None):
        return f"ERROR (exit code {exit_code})"
    for line in lines:
        word = line.strip()
        if word in ("fail", "infeasible"):
            return word
        if word.startswith("(define-fun") or word == "(":
            return result.RESULT_DONE
    return "ERROR (no answer)"


class Tool(benchexec.tools.template.BaseTool2):
    """sycam-solve: CAM-method synthesis for SyGuS problems in the SYCAM logic."""

    def executable(self, tool_locator):
        return tool_locator.find_executable("sycam-solve")

    def name(self):
        return "sycam"

    def project_url(self):
        return ""

    def version(self, executable):
        return self._version_from_tool(executable, line_prefix="sycam-solve")

    def cmdline(self, executable, options, task, rlimits):
        harness = rlimits.walltime or rlimits.cputime
        args = [executable, *options]
        if harness and TIME_OPTION not in options:
            args += [TIME_OPTION, f"{solver_time_limit(harness, _file_time_limit(task.single_input_file)):g}"]
        return [*args, "--quiet", task.single_input_file]

    def determine_result(self, run):
        exit_code = None if run.exit_code is None else run.exit_code.value
        return classify(exit_code, list(run.output), run.was_timeout)


def _file_time_limit(path: str) -> float | None:
    """The problem's own `:sycam.time-limit` (None when unset or unreadable: sycam-solve reports that)."""
    try:
        commands = parse_file(path).commands
        values = [option_value(c, path) for c in commands if isinstance(c, SetOption) and c.keyword == "sycam.time-limit"]
    except SygusError:
        return None
    return float(values[-1]) if values else None
