"""`sycam-solve`: read a problem, search, print the answer on stdout, write the report.

stdout carries only the answer (the SyGuS competition convention). Errors in the input are
`FILE:LINE:COL: error: ...` with the source line and a caret on stderr and exit status 2.
Ctrl-C or SIGTERM asks the solver to stop and answer with the best so far; a second one quits at once.
One deadline, started with `main`, bounds parsing, opening the backend, terminals and the search;
the report then gets its own share (`report_seconds`).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..core.deadline import ANSWER_GRACE, Deadline, Stopped
from ..core.errors import OptionError, SygusError
from ..core.logic import METRICS
from ..core.options import OPTIONS, checked_value
from ..core.sorts import NOWHERE
from ..engine.observer import Fanout
from ..engine.port import ReportBackend
from ..engine.scorer import evaluate
from ..engine.search import SolveResult, solve
from ..frontend.ast import CheckSynth, Script
from ..frontend.lower import problem_from_script
from ..frontend.lower_standard import is_standard
from ..frontend.parser import parse_file
from ..frontend.printer import print_script
from ..ir import Problem, Term
from .answer import emit, format_answer
from .baselines import classic_methods
from .guard import EXIT_INTERRUPTED, StopSignals, locked_folder, read_problem
from .heldout import holdout_block
from .progress import Progress
from .report import (
    ANSWER_ROW,
    AUTO_COMPARE_FORWARDS,
    COMPARE_MODES,
    Recorder,
    build_report,
    compare_methods,
    comparison_images,
    write_report,
)
from .runlog import LOG_NAME, CandidateLog, RunlogError, known_scores, log_settings

EXIT_OK, EXIT_BAD_INPUT = 0, 2
MAX_ERROR_LINE = 400  # characters of one stderr line about bad input (a 200 KB source line is cut)
# Share of :sycam.time-limit the report's comparisons may take before the remaining classic
# methods are "not computed (time)" (`--compare all` lifts the bound).
COMPARE_SHARE = 0.25

FLAG_METAVARS = {int: "N", float: "X", list: '"N N N"', bool: "true|false"}  # str options: the option's name


def _flag_type(name: str, kind: type):
    """An argparse type for option `name`'s flag: converted by kind, then checked as the file's value is."""
    def convert(text: str):
        try:
            value = kind(text) if kind in (int, float) else text
        except ValueError:
            what = "whole number" if kind is int else "number"
            raise argparse.ArgumentTypeError(f"expected a {what}, got {text!r}") from None
        try:
            return checked_value(OPTIONS[name], value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return convert


def _dest(name: str) -> str:
    """The argparse destination of option `name`'s flag."""
    return name.replace("-", "_")


class _Parser(argparse.ArgumentParser):
    """argparse, with a did-you-mean for a misspelt flag."""

    def error(self, message: str):
        if message.startswith("unrecognized arguments: "):
            flags = [f for action in self._actions for f in action.option_strings if f.startswith("--")]
            for word in message.removeprefix("unrecognized arguments: ").split():
                close = difflib.get_close_matches(word.split("=")[0], flags, n=1)
                if word.startswith("-") and close:
                    message += f" (did you mean {close[0]}?)"
                    break
        super().error(message[:MAX_ERROR_LINE])


def build_parser() -> argparse.ArgumentParser:
    """The command line; flag help repeats the option table of sycam_sygus/options.py."""
    parser = _Parser(
        prog="sycam-solve",
        description="Synthesise a CAM weight expression for a SyGuS problem file; the answer goes to stdout.",
    )
    parser.add_argument("file", nargs="?", help="the problem (.sl, SyGuS-IF 2.1 with the SYCAM logic)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--list-layers", action="store_true",
                        help="print the layers of --model (with --weights) and their output shapes, marking those a "
                             "CAM can use, and exit (a problem file is not read)")
    parser.add_argument("--parse-only", action="store_true", help="print the parsed file back in v2.1 form and exit")
    parser.add_argument("--check", action="store_true",
                        help="parse, sort-check and validate the options, then exit (0, or the located error); "
                             "no model is loaded")
    parser.add_argument("--strict", action="store_true", help="enforce the standard's command order")
    for name, option in OPTIONS.items():
        parser.add_argument(f"--{name}", dest=_dest(name), type=_flag_type(name, option.kind),
                            metavar=FLAG_METAVARS.get(option.kind, name.upper()),
                            help=f"{option.help} (default: {_default_text(option.default)}; overrides :sycam.{name})")
    parser.add_argument("--report", metavar="DIR", help="write report.json, report.md, heatmaps.png and candidates.jsonl here")
    parser.add_argument("--compare", choices=COMPARE_MODES, default="auto",
                        help="which classic methods the report scores: auto = those cached or cheap (Score-CAM, "
                             f"Ablation-CAM only up to {AUTO_COMPARE_FORWARDS:,} model forwards each), all, none")
    parser.add_argument("--resume", action="store_true", help="reuse the scores in DIR/candidates.jsonl (needs --report)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--trust-code", action="store_true",
                        help="allow --model package.module:factory: sycam imports that module and calls factory(), "
                             "running its code (a problem file can never name code)")
    return parser


def _version() -> str:
    """The installed distribution's version (what a benchmark harness records)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sycam")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _default_text(value: object) -> str:
    """An option's default as a flag takes it (`""` for an empty string, tiers space-separated)."""
    if isinstance(value, (list, tuple)):
        return '"' + " ".join(map(str, value)) + '"'
    return '""' if value == "" else str(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `sycam-solve` with `argv` (default: the process arguments); returns the exit status."""
    started = time.monotonic()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.resume and not args.report:
            parser.error("--resume needs --report DIR (the folder whose candidates.jsonl to reuse)")
        if args.file is None and not args.list_layers:
            parser.error("the following arguments are required: file")
    except SystemExit as exit_:  # argparse already printed usage and the reason on stderr
        return int(exit_.code or 0)
    if args.list_layers:
        return _list_layers(args)
    with StopSignals(threading.Event()) as signals:  # from the start: a signal while parsing stops too
        try:
            source = read_problem(args.file)
        except (OSError, UnicodeDecodeError, ValueError) as err:
            print(_bounded(f"{args.file}: error: cannot read the problem file "
                           f"({getattr(err, 'strerror', None) or err})"), file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                if args.parse_only:
                    return _print_parsed(args)
                if args.check:
                    return _check_only(args)
                return _solve(args, started, signals)
        except (SygusError, RunlogError) as err:
            print(_bounded(_render(err, args.file, source, set(option_overrides(args)))), file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            print("sycam-solve: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED


def _bounded(text: str) -> str:
    """Each line of an error message cut to MAX_ERROR_LINE characters (a huge source line or numeral)."""
    return "\n".join(line if len(line) <= MAX_ERROR_LINE else line[:MAX_ERROR_LINE] + " …"
                     for line in text.splitlines())


def _list_layers(args: argparse.Namespace) -> int:
    from ..backends.torch_cam.layer_listing import layer_table  # torch only when asked

    try:
        print(layer_table(args.model or OPTIONS["model"].default, args.weights or ""))
    except SygusError as err:
        print(_render(err, "sycam-solve", "", set(option_overrides(args))), file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings from the backend (data, cache, model) as one `sycam: warning:` line, not Python's source dump."""
    print(f"sycam: warning: {message}", file=sys.stderr)


def _print_parsed(args: argparse.Namespace) -> int:
    script = parse_file(args.file, strict=args.strict)
    _print_warnings(script.warnings, args.file)
    sys.stdout.write(print_script(script))
    return EXIT_OK


def _load_problem(args: argparse.Namespace, script: Script | None = None) -> Problem:
    """Parse, check and lower the problem with the flags' overrides; located errors, warnings printed."""
    overrides = option_overrides(args)
    script = script or parse_file(args.file, strict=args.strict)
    try:
        problem = problem_from_script(script, overrides)
    except OptionError as err:  # a flag's value, or one that spans several options: placed where it was set
        raise _placed(err, args.file, _set_option_positions(script), set(overrides)) from None
    _print_warnings(problem.warnings, args.file)
    return problem


def _check_only(args: argparse.Namespace) -> int:
    """`--check`: the file is a valid problem (nothing printed on stdout, a summary on stderr)."""
    problem = _load_problem(args)
    goal = problem.goals[0]
    print(f"{args.file}: ok: {goal.mode} {goal.metric} over {len(problem.synth.params)} parameters, "
          f"{len(problem.synth.grammar.nonterminals)} non-terminals", file=sys.stderr)
    return EXIT_OK


def _solve(args: argparse.Namespace, started: float, signals: StopSignals) -> int:
    overrides = option_overrides(args)
    script = parse_file(args.file, strict=args.strict)
    if not any(isinstance(command, CheckSynth) for command in script.commands):
        raise SygusError("the problem has no (check-synth), so nothing asks for a solution", NOWHERE, args.file,
                         "end the file with (check-synth)")
    if is_standard(script):  # any logic but SYCAM: the examples engine (PBE / CEGIS)
        from .standard.solve import (
            run_standard,  # cvc5 only when a standard problem is solved
        )

        return run_standard(script, overrides, time.monotonic() - started)
    problem = _load_problem(args, script)
    deadline = Deadline(problem.settings.time_limit, signals.stop, start=started)
    try:
        trusted = args.trust_code and "model" in overrides  # only the caller's own --model may name code
        backend = open_backend(problem, trust_code=True) if trusted else open_backend(problem)
    except OptionError as err:
        raise _placed(err, args.file, problem.option_positions, set(overrides)) from None
    _check_masks(problem, backend)
    from ..backends.torch_cam.metrics import (
        MetricError,  # the backend's own errors about unusable input
    )
    from ..backends.torch_cam.operators import OperatorError

    try:
        return run_search(problem, backend, overrides, Path(args.report) if args.report else None,
                          resume=args.resume, quiet=args.quiet, compare=args.compare, deadline=deadline,
                          signals=signals)
    except (MetricError, OperatorError) as err:
        print(_bounded(f"{args.file}: error: {err}"), file=sys.stderr)
        return EXIT_BAD_INPUT


def _check_masks(problem: Problem, backend: ReportBackend) -> None:
    """A goal whose metric needs ground-truth masks, on data without them, fails now, not mid-search.

    The backend says so in `describe()["has_masks"]` (else by a `masks` attribute, as TorchBackend
    has); a backend that says neither is left to refuse the metric itself when scoring.
    """
    wanting = [goal.metric for goal in problem.goals if METRICS[goal.metric].needs_masks]
    if not wanting:
        return
    description = backend.describe()
    has_masks = description["has_masks"] if "has_masks" in description else getattr(backend, "masks", True) is not None
    if not has_masks:
        raise _placed(OptionError("masks", f"metric '{wanting[0]}' needs ground-truth masks, and the data has none",
                                  hint="set :sycam.masks to a mask folder (masks named like the images), "
                                       "or use a metric without masks such as deletion or insertion"),
                      problem.path, problem.option_positions, set())


def _print_warnings(warnings: Sequence[str], path: str) -> None:
    """Warnings on stderr as `FILE[:LINE:COL]: warning: ...` (the checker's come located already)."""
    for warning in warnings:
        print(warning if ": warning: " in warning else f"{path}: warning: {warning}", file=sys.stderr)


def open_backend(problem: Problem, trust_code: bool = False) -> ReportBackend:
    """The torch backend for a problem's settings (imported here: `--parse-only` needs no torch);
    over Ray actors with `workers` > 1.

    `trust_code`: the caller gave `--model package.module:factory --trust-code`, so that code may run.
    """
    if problem.settings.workers > 1:
        from ..backends.torch_cam.distributed import open_distributed

        return open_distributed(problem.settings, trust_code)
    from ..backends.torch_cam.backend import open_backend as open_torch_backend

    return open_torch_backend(problem.settings, trust_code=trust_code)


def option_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The `:sycam.*` options the flags set (only those given)."""
    return {name: getattr(args, _dest(name)) for name in OPTIONS if getattr(args, _dest(name)) is not None}


def run_search(
    problem: Problem,
    backend: ReportBackend,
    overrides: dict[str, object],
    report_dir: Path | None,
    *,
    resume: bool = False,
    quiet: bool = False,
    spent: float = 0.0,
    compare: str = "auto",
    deadline: Deadline | None = None,
    signals: StopSignals | None = None,
) -> int:
    """Search, print the answer on stdout, then write the report; the CLI's core, backend given.

    `deadline` (else `:sycam.time-limit` less `spent` seconds) bounds the whole run up to the
    answer, as a competition's wall-clock limit does; the backend checks it between chunks of
    terminal work. The answer comes within ANSWER_GRACE seconds after it; the report then has
    `report_seconds` of its own. `compare` is the report's `--compare` mode (report.COMPARE_MODES).
    """
    with contextlib.ExitStack() as held:
        signals = signals or held.enter_context(StopSignals(threading.Event()))
        if deadline is None:
            deadline = Deadline(max(problem.settings.time_limit - spent, 0.0), signals.stop)
        if report_dir is not None:  # an unusable or busy folder fails before the search
            held.enter_context(locked_folder(report_dir, problem.path))
        return _search_and_answer(problem, backend, overrides, report_dir, resume, quiet, compare, deadline, signals)


def _search_and_answer(problem: Problem, backend: ReportBackend, overrides: dict[str, object], report_dir: Path | None,
                       resume: bool, quiet: bool, compare: str, deadline: Deadline, signals: StopSignals) -> int:
    seconds = deadline.remaining()
    searched = dataclasses.replace(problem, settings=problem.settings.replace(time_limit=seconds))
    log = None
    if report_dir is not None:
        settings = log_settings(problem.path, problem.goals, problem.settings, backend.describe().get("fingerprints"))
        with _report_folder(problem.path, report_dir):
            log = CandidateLog(report_dir / LOG_NAME, settings, resume=resume)
    previous = log.previous if log else []
    recorder = Recorder(previous)
    progress = Progress(sys.stderr, quiet=quiet, backend=backend, time_limit=seconds)
    if log and resume:
        progress.note(f"sycam: resuming with {len(previous)} logged scores from {log.path}")
    observers = [o for o in (progress, recorder, log) if o is not None]
    _on_stop(signals, progress)
    if signals.stop.is_set():  # a signal came while parsing or loading: answer at once
        _stopping_note(progress)
    backend.deadline = deadline  # chunked terminal work stops with the search
    try:
        with progress:
            result = solve(searched, backend, Fanout(observers), known_scores(previous) if log else None,
                           signals.stop)
    finally:
        if log:
            log.close()
            if log.lost:
                print(f"sycam: warning: {log.lost}", file=sys.stderr)
    _print_warnings(result.warnings, problem.path)  # the search's own (tiers clipped), even when quiet
    if result.reason:  # why there is no answer, or the known method the answer is (even when quiet)
        print(f"sycam: {result.status}: {result.reason}", file=sys.stderr)
    answer = result.answer
    signals.stop.set()  # the search is over: a signal from now on quits at once
    backend.deadline = Deadline(ANSWER_GRACE, threading.Event())  # further objectives: a short share
    try:
        objectives = objective_values(problem, backend, result, answer, comparison_images(problem, backend, recorder))
    except Stopped:
        objectives = None
        print("sycam: warning: the further objectives could not be measured in time; the answer carries none",
              file=sys.stderr)
    emit(format_answer(problem.synth, result.status, answer, objectives))
    if report_dir is not None:
        backend.deadline = Deadline(report_seconds(problem.settings.time_limit), threading.Event())
        try:
            with _report_folder(problem.path, report_dir):
                _write_reports(problem, backend, result, answer, recorder, overrides, report_dir, compare, progress)
        except SygusError as err:  # the answer is out already: say what was lost, keep status 0
            print(f"sycam: warning: the report was not written: {err.message}", file=sys.stderr)
        else:
            progress.note(f"sycam: report written to {report_dir}")
    return EXIT_OK


def report_seconds(time_limit: float) -> float:
    """The report's own time after the answer: a quarter of the time limit, at least 10 s."""
    return max(10.0, time_limit / 4)


@contextlib.contextmanager
def _report_folder(path: str, folder: Path) -> Iterator[None]:
    """An OSError while writing the `--report` folder is bad input (a file, no permission), not a crash."""
    try:
        yield
    except OSError as err:
        raise SygusError(f"cannot write the report folder {folder} ({err.strerror or err})", path=path,
                         hint="give --report a folder you can write (it is created if missing)") from None


def objective_values(problem: Problem, backend: ReportBackend, result: SolveResult, answer: Term | None,
                     images: Sequence[int]) -> list[float] | None:
    """The `optimize-synth` value tuple (None for constraint problems), means on the last tier.

    The search measured the first goal already; any further objective is scored here.
    """
    objectives = [goal for goal in problem.goals if goal.mode == "optimise"]
    if not objectives or answer is None:
        return None
    values, weights = [], None
    for goal in objectives:
        if goal is problem.goals[0] and result.objective is not None:
            values.append(result.objective)
            continue
        if weights is None:
            weights = evaluate(answer, backend, images)
        values.append(float(np.mean(backend.score([weights], images, goal.metric)[0])))
    return values


def _write_reports(problem: Problem, backend: ReportBackend, result: SolveResult, answer: Term | None,
                   recorder: Recorder, overrides: dict[str, object], folder: Path, compare: str,
                   progress: Progress) -> None:
    from .figures import (  # matplotlib only when a report is asked for
        FIGURE_NAME,
        draw_heatmaps,
    )

    images = comparison_images(problem, backend, recorder)
    forwards_before, began = backend.forwards, time.monotonic()
    skipped = []
    compare_deadline = None if compare == "all" else began + COMPARE_SHARE * problem.settings.time_limit
    held_rows = []
    try:
        if result.holdout:
            held_rows = compare_methods(problem, backend, answer, result.holdout, compare, progress.note,
                                        compare_deadline)
        rows = compare_methods(problem, backend, answer, images, compare, progress.note, compare_deadline)
    except Stopped:  # out of the report's time: keep at least the answer's own row, if it is quick
        skipped.append(f"the comparison with classic methods (--compare {compare}): out of time")
        backend.deadline = backend.deadline.share(ANSWER_GRACE)
        try:
            rows = compare_methods(problem, backend, answer, images, "none", progress.note)
        except Stopped:
            rows, skipped[-1] = [], skipped[-1] + "; the answer's own scores too"
    shown = images[:problem.settings.figure_images]
    compared = {row.method for row in rows if row.reason is None}  # their terminals are cached now
    figure = None
    try:
        methods = [(m.display_name, evaluate(m.expression, backend, shown)) for m in classic_methods()
                   if m.display_name in compared]
        if answer is not None and rows:
            methods.append((ANSWER_ROW, evaluate(answer, backend, shown)))
        figure = FIGURE_NAME if methods else None  # nothing scored (--compare none, no answer): no figure
        if figure:
            draw_heatmaps(folder / figure, backend, methods, shown, rows, problem.goals[0].metric)
    except Stopped:
        figure = None
        skipped.append("the heatmap figure: out of time")
    settings = {"options": problem.settings.as_options(), "flags": overrides, "compare": compare}
    goal = problem.goals[0]
    holdout = holdout_block(result.holdout, goal.metric, goal.maximise, ANSWER_ROW if answer is not None else None,
                            {row.method: (row.expression, None if row.per_image is None else row.per_image[goal.metric],
                                          row.reason) for row in held_rows}, problem.settings.seed)
    from .sanity import sanity_checks

    checked = [(m.display_name, m.expression) for m in classic_methods() if m.display_name in compared]
    checked += [(ANSWER_ROW, answer)] if answer is not None else []
    try:
        sanity = sanity_checks(backend, checked, result.holdout, problem.settings.seed,
                               None if compare == "all" else AUTO_COMPARE_FORWARDS, compare_deadline)
    except Stopped:
        sanity = {"images": [], "reason": "out of the report's time", "methods": {}}
        skipped.append("the sanity checks: out of time")
    report = build_report(problem, backend, result, recorder, rows, images, settings,
                          backend.forwards - forwards_before, time.monotonic() - began, holdout, sanity)
    report["skipped"] = skipped
    for line in skipped:
        progress.note(f"sycam: report skipped {line}")
    write_report(folder, report, figure)
    for metric, verdicts in report["comparison"]["acceptance_of_answer"].items():
        same = [method for method, v in verdicts.items() if v["equivalent"]]
        if same:  # a known method, found again: say so where the answer is read, not only in the report
            progress.note(f"sycam: on {metric} the answer is equivalent to {', '.join(same)} "
                          "(equal scores within the tolerance on every compared image)")


def _on_stop(signals: StopSignals, progress: Progress) -> None:
    """Point the stop signals' messages at this run's progress display."""
    signals.on_stop = lambda: _stopping_note(progress)
    signals.farewell = lambda: b"\x1b[?25h" if progress.live_mode else b""  # the live panel hid the cursor


def _stopping_note(progress: Progress) -> None:
    progress.stopping = True
    if not progress.live_mode and not progress.quiet:
        os.write(2, b"sycam-solve: stopping, answering with the best so far (Ctrl-C again to quit)\n")


def _render(err: BaseException, path: str, source: str, flagged: set[str] = frozenset()) -> str:
    """A located error message with the source line and a caret where the error has a place."""
    if not isinstance(err, SygusError):
        return f"{path}: error: {err}"
    if isinstance(err, OptionError) and err.path == "<string>":  # not placed yet (an API-level error)
        err = _placed(err, path, {}, flagged)
    same_file = os.path.abspath(err.path) == os.path.abspath(path)
    return err.render(source if same_file else None)


def _set_option_positions(script) -> dict:
    """Where the script sets each `:sycam.*` option (its last `set-option` wins, as in lowering)."""
    from ..frontend import ast

    return {command.keyword.removeprefix("sycam."): command.pos for command in script.commands
            if isinstance(command, ast.SetOption) and command.keyword.startswith("sycam.")}


def _placed(err: OptionError, path: str, positions: dict, flagged: set[str]) -> SygusError:
    """An error about option NAME, placed where that option was set: its flag, its `set-option`, or its default."""
    name = err.option
    if name in flagged or name not in positions:
        where = f"--{name}" if name in flagged else "its default"
        return SygusError(f"{err.message} (option :sycam.{name}, from {where})", NOWHERE, path, err.hint)
    return SygusError(f"{err.message} (option :sycam.{name})", positions[name], path, err.hint)


if __name__ == "__main__":  # `python -m sycam_sygus.app.cli`, same as `sycam-solve` and `python -m sycam_sygus`
    if sys.path and sys.path[0] in ("", os.getcwd()):  # `-m` put the working directory first: never import from it
        del sys.path[0]
    sys.exit(main())
