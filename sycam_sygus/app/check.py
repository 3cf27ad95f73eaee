"""`sycam-check PROBLEM ANSWER`: an independent verdict on any solver's answer to a SYCAM problem.

It shares the front end (parser, checker, lowering), the torch backend and the acceptance rule
with `sycam-solve`, and none of the search. In order:
1. the answer must be readable (else exit status 2, a located error);
2. `fail` / `infeasible` are taken as said;
3. the answer must define the synth-fun, and nothing else, with its exact signature
   (parameter names, sorts and order; result Real), and type-check;
4. the grammar must derive the body, or the body is the engine's class case split (CAM-THEORY §6)
   `(ite (= class c) E …)` whose parts E the grammar derives;
5. the body is scored on the problem's held-out images (`heldout_images`): a constraint must hold
   there under the acceptance rule (correctness.py). An objective is a score, not a condition (as
   in SyGuS `optimize-synth`): its held-out value must be finite, and the figures say whether it
   passes the acceptance rule against the best baseline `define-fun` of the problem there (the
   threshold the search started from), in `beats_best`.
The first line of stdout is the verdict: `valid`, `invalid: REASON`, `fail` or `infeasible`;
the figures follow (`--json` prints them as one JSON object instead).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..core.errors import SygusError
from ..engine.correctness import Threshold, beats, passes_tier
from ..engine.decompose import has_class_param
from ..engine.images import holdout_split
from ..frontend import ast
from ..frontend.checker import check
from ..frontend.lower import Lowerer, problem_from_script, sort_of
from ..frontend.parser import parse_text
from ..ir import INT, REAL, Term, const, derivable, to_sygus, var
from ..ir.problem import Goal, Problem
from .answer import emit
from .answer_reader import Answer, read_answer
from .guard import read_problem
from .strict_json import json_safe

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def heldout_images(count: int, holdout: int, seed: int) -> list[int]:
    """The held-out images among the backend's `count` images: the search's own split
    (`engine.images.holdout_split`), so the checker scores exactly the images the search never read."""
    return holdout_split(count, holdout, seed)[1]


def holdout_option(problem: Problem) -> int:
    """`:sycam.holdout` of the problem (negative: unset, a quarter of the images)."""
    return problem.settings.holdout


@dataclass
class Report:
    """The verdict and the figures behind it."""

    verdict: str  # "valid" | "invalid" | "fail" | "infeasible"
    reason: str = ""
    figures: dict = field(default_factory=dict)

    def line(self) -> str:
        return f"invalid: {self.reason}" if self.verdict == "invalid" else self.verdict


def judge(problem: Problem, script: ast.Script, answer: Answer, backend_factory, holdout: int | None = None) -> Report:
    """The verdict on `answer` for `problem` (whose checked script is `script`).

    `backend_factory(settings)` opens the backend (the torch one in the CLI); it is only called
    once the answer has passed the syntactic checks.
    """
    if answer.status != "solved":
        return Report(answer.status)
    body, reason = answer_body(problem, script, answer)
    if body is None:
        return Report("invalid", reason)
    figures: dict = {"answer": to_sygus(body), "size": term_size(body)}
    if answer.objectives is not None:
        figures["claimed_objectives"] = list(answer.objectives)
    backend = backend_factory(problem.settings)
    count = backend.images()
    held = holdout_option(problem) if holdout is None else holdout
    images = heldout_images(count, held, problem.settings.seed)
    figures["images"] = count
    figures["heldout"] = len(images)
    if not images:  # `:sycam.holdout 0`: nothing was set aside, so the whole pool is all there is
        images = list(range(count))
        figures["note"] = "no held-out images: scored on all images"
    failures = []
    figures["goals"] = []
    for goal in problem.goals:
        outcome = _score_goal(problem, backend, body, goal, images)
        figures["goals"].append(outcome)
        if not outcome["holds"]:
            failures.append(outcome["why"])
    if failures:
        return Report("invalid", "; ".join(failures), figures)
    return Report("valid", "", figures)


def answer_body(problem: Problem, script: ast.Script, answer: Answer) -> tuple[Term | None, str]:
    """The answer's body as IR when it defines the synth-fun correctly, else (None, why not)."""
    synth = problem.synth
    names = [f.name for f in answer.functions]
    extra = [name for name in names if name != synth.name]
    if extra:
        return None, f"'{extra[0]}' is not a synth-fun of the problem (it has one: '{synth.name}')"
    if len(names) != 1:
        return None, f"'{synth.name}' is defined {len(names)} times" if names else f"no define-fun for '{synth.name}'"
    function = answer.functions[0]
    written = tuple((name, sort_of(sort)) for name, sort in function.params)
    if written != synth.params or sort_of(function.sort) != synth.sort:
        return None, (f"'{synth.name}' has signature {_signature(written, sort_of(function.sort))}, "
                      f"expected {_signature(synth.params, synth.sort)}")
    context = [c for c in script.commands if isinstance(c, (ast.SetLogic, ast.DefineFun, ast.DefineSort))]
    macros = {c.name: c for c in context if isinstance(c, ast.DefineFun)}
    defined_at = f"{function.pos.line}:{function.pos.col}"
    try:
        check(ast.Script((*context, function), path="<answer>"))
        scope = {name: var(name, sort) for name, sort in synth.params}
        body = _as_real(Lowerer(macros, "<answer>").term(function.body, scope))
    except SygusError as error:
        where = f" at {error.pos.line}:{error.pos.col}" if error.pos.line else f" (define-fun at {defined_at})"
        return None, f"the body does not type-check{where}: {error.message}"
    if derivable(body, synth.grammar) or _class_split_derivable(problem, body):
        return body, ""
    return None, f"the grammar of '{synth.name}' does not derive the body {to_sygus(body)}"


def term_size(term: Term) -> int:
    """Nodes of the term as a tree (a shared sub-term counts each time it occurs)."""
    return 1 + sum(term_size(arg) for arg in term.args)


def _class_split_derivable(problem: Problem, body: Term) -> bool:
    """Is `body` the engine's `(ite (= class c) E rest)` chain with every E and the last rest derivable?"""
    if not has_class_param(problem.synth):
        return False
    parts, node = [], body
    while node.op == "ite" and _is_class_test(node.args[0], problem.synth.class_param):
        parts.append(node.args[1])
        node = node.args[2]
    parts.append(node)
    return len(parts) > 1 and all(derivable(part, problem.synth.grammar) for part in parts)


def _is_class_test(test: Term, class_param: str | None) -> bool:
    """`(= class c)` or `(= c class)` with c an Int constant."""
    if test.op != "=" or len(test.args) != 2:
        return False
    variable = next((a for a in test.args if a.op == "var"), None)
    constant = next((a for a in test.args if a.op == "const"), None)
    return variable is not None and constant is not None and variable.param == class_param and constant.sort == INT


def _score_goal(problem: Problem, backend, body: Term, goal: Goal, images: list[int]) -> dict:
    """One goal on the held-out images: means, wins and whether it holds (with why not)."""
    scores = _scores(backend, body, goal.metric, images)
    mean = float(np.mean(scores))
    tolerance = float(backend.tolerance(goal.metric))  # the rule's ε, as in the search
    outcome = {"metric": goal.metric, "mode": goal.mode, "direction": "max" if goal.maximise else "min",
               "answer_mean": mean}
    if goal.constant is not None:
        threshold = Threshold(constant=float(goal.constant), strict=goal.strict, tolerance=tolerance)
        against = f"{goal.constant:g}"
        outcome["constant"] = float(goal.constant)
        reference = None
    else:
        means = {name: _scores(backend, term, goal.metric, images) for name, term in problem.baselines.items()}
        outcome["baselines"] = {name: float(np.mean(values)) for name, values in means.items()}
        against = goal.baseline
        if against is None and means:  # optimise mode: the best baseline, as the search starts from it
            sign = 1.0 if goal.maximise else -1.0
            against = max(means, key=lambda name: sign * float(np.mean(means[name])))
        if against is None:
            threshold, reference = Threshold.worst(goal.maximise, tolerance), None
        else:
            reference = means[against]
            threshold = Threshold(per_tier=[reference], strict=goal.strict, tolerance=tolerance)
    passes = bool(passes_tier(scores, threshold, 0, goal.maximise))
    if goal.mode == "optimise":  # a score: any finite value is an answer; how good it is goes in the figures
        outcome["beats_best"] = passes
        passes = bool(passes_tier(scores, Threshold.worst(goal.maximise, tolerance), 0, goal.maximise))
    outcome.update(against=against, holds=passes)
    if reference is not None:
        wins = int(np.count_nonzero(beats(scores, reference, goal.maximise, goal.strict, tolerance)))
        better = int(np.count_nonzero(beats(scores, reference, goal.maximise, True, tolerance)))
        outcome.update(wins=wins, better=better, ties=wins - better, tolerance=tolerance)
        counted = (f"better on {better}/{len(images)} held-out images, tied on {wins - better}" if not goal.strict
                   else f"better on {better}/{len(images)} held-out images")
        outcome["why"] = f"{goal.metric} {mean:.4f} vs {against} {float(np.mean(reference)):.4f}, {counted}"
    else:
        outcome["why"] = f"{goal.metric} {mean:.4f} vs {against or 'any finite value'} on {len(images)} held-out images"
    return outcome


def _scores(backend, term: Term, metric: str, images: list[int]) -> np.ndarray:
    """Per-image `metric` scores of `term`'s weights on `images`."""
    return np.asarray(backend.score([weights_of(backend, term, images)], images, metric)[0], dtype=np.float64)


def weights_of(backend, term: Term, images: Sequence[int]):
    """The weights `[I, K]` of an IR term on `images`, evaluated bottom-up through the backend (its
    own short loop rather than the engine's `evaluate`, so the checker shares no search code)."""
    values: dict[Term, object] = {}
    for node in term.walk():  # children before parents
        if node.op == "var":
            values[node] = backend.terminal(str(node.param), images)
        elif node.op == "const":
            values[node] = backend.constant(float(node.param), images)
        else:
            param = node.param if isinstance(node.param, int) else None
            values[node] = backend.apply(node.op, [values[a] for a in node.args], param)
    return values[term]


def _as_real(term: Term) -> Term:
    """An Int numeral body stands for the Real constant (the standard's leniency, as in lowering)."""
    if term.op == "const" and term.sort == INT and isinstance(term.param, int) and not isinstance(term.param, bool):
        return const(Fraction(term.param), REAL)
    return term


def _signature(params: Sequence[tuple[str, object]], sort) -> str:
    from ..core.text import sort_text

    return "(" + " ".join(f"({name} {sort_text(s)})" for name, s in params) + f") {sort_text(sort)}"


# ------------------------------------------------------------------ the command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sycam-check",
        description="Check a solver's answer to a SYCAM problem: signature, grammar, then the goals on held-out images.")
    parser.add_argument("problem", help="the problem (.sl)")
    parser.add_argument("answer", help="the solver's stdout (a file, or - for standard input)")
    parser.add_argument("--holdout", type=_count, metavar="N",
                        help="held-out images (overrides :sycam.holdout; default a quarter of :sycam.images)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object after the verdict")
    return parser


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run `sycam-check`; returns the exit status (0 with a verdict, 2 for unreadable input)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    from ..backends.torch_cam.metrics import MetricError
    from ..backends.torch_cam.operators import OperatorError

    backend_errors = (MetricError, OperatorError)
    answer_path = "<stdin>" if args.answer == "-" else args.answer
    source = {}
    try:
        source[args.problem] = _read(args.problem, "the problem")
        source[answer_path] = sys.stdin.read() if args.answer == "-" else _read(args.answer, "the answer")
        script = parse_text(source[args.problem], args.problem)
        problem = problem_from_script(script)
        answer = read_answer(source[answer_path], answer_path)
        report = judge(problem, script, answer, _open_backend, args.holdout)
    except SygusError as error:
        print(error.render(source.get(error.path)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except backend_errors as error:  # the backend refused the problem's data (mask metric, no masks)
        print(f"{args.problem}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        figures = [json.dumps(json_safe({"verdict": report.verdict, "reason": report.reason, **report.figures}),
                              allow_nan=False, default=str)]
    else:
        figures = _figure_lines(report.figures)
    emit("\n".join([report.line(), *figures]))
    return EXIT_OK


def _open_backend(settings):
    """The torch backend (imported here: reading the problem and a `fail` answer need no torch)."""
    from ..backends.torch_cam.backend import open_backend

    return open_backend(settings)


def _read(path: str, what: str) -> str:
    try:
        return read_problem(path, what, encoding="utf-8-sig")  # as parse_file reads; a FIFO is refused unopened
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SygusError(f"cannot read '{path}': {getattr(error, 'strerror', None) or error}", path=path,
                         hint="check the path and that the file is UTF-8 text") from None


def _figure_lines(figures: dict) -> list[str]:
    """The figures as `key: value` lines, one per goal."""
    lines = []
    for key in ("answer", "claimed_objectives", "images", "heldout", "note"):
        if key in figures:
            lines.append(f"{key}: {figures[key]}")
    for goal in figures.get("goals", []):
        baselines = ", ".join(f"{n} {m:.4f}" for n, m in goal.get("baselines", {}).items())
        if "beats_best" in goal:
            state = ("better than" if goal["beats_best"] else "not better than") + " the best baseline"
        else:
            state = "holds" if goal["holds"] else "does not hold"
        lines.append(f"goal {goal['metric']} ({goal['mode']}, {goal['direction']}): {goal['why']}: {state}"
                     + (f"; baselines: {baselines}" if baselines else ""))
    return lines


if __name__ == "__main__":
    sys.exit(main())
