"""Solving standard SyGuS problems (PBE and CEGIS) with the enumerative engine on examples.

Ground constraints (input/output examples) are examples from the start. Constraints over
`declare-var` variables are checked by the SMT verifier: each counterexample it returns becomes
one more example of their conjunction, and the search starts again (CEGIS). A PBE answer is
checked by evaluation on every example; any other answer by the verifier before it is printed.
`infeasible` is answered only when the grammar is finite (no `(Constant S)`, no `ite` left to
unification, no undefined value met) and every value it can take on the examples was tried.
"""
from __future__ import annotations

import sys
import time
from typing import Mapping

from ...backends.examples import UnsupportedOperator
from ...core.sorts import Sort
from ...frontend.ast import Script
from ...frontend.lower_standard import StandardProblem, Unsupported, standard_problem
from ...ir import BOOL, Term, app
from ..answer import format_answer
from .search import Search
from .spec import Example, Spec, UnsupportedSpec
from .verify import VerifierError, verify

DEFAULT_SECONDS = 600.0  # `:sycam.time-limit`'s default, for a run without --time-limit


def _zero(sort: Sort) -> object:
    """The first assignment tried for a universal variable of this sort."""
    if sort == BOOL:
        return False
    if sort.name == "String":
        return ""
    return 0


def solve_problem(problem: StandardProblem, seconds: float) -> tuple[str, Term | None]:
    """(status, answer body) within `seconds`: status solved, fail or infeasible."""
    deadline = time.monotonic() + seconds
    if len(problem.synths) != 1:
        raise Unsupported(f"{len(problem.synths)} functions to synthesise; the examples engine solves one",
                          path=problem.path)
    synth = problem.synths[0]
    ground = [c for c in problem.constraints if not any(n.op == "var" for n in c.walk())]
    universal = [c for c in problem.constraints if c not in ground]
    examples = [Example({}, c) for c in ground]
    if universal:
        conjunction = universal[0] if len(universal) == 1 else app("and", universal, BOOL)
        examples.append(Example({n: _zero(s) for n, s in problem.variables}, conjunction))
    search = None
    while True:
        # PBE answers are checked on the examples only: a tree with a leaf per two examples or more
        # would fit them by rote, so the search goes on for a smaller one
        max_leaves = None if universal else max(2, len(examples) // 2)
        search = Search(Spec(problem, synth, examples), deadline, search, max_leaves)
        outcome = search.run()
        if outcome.term is None:
            feasible_unknown = not outcome.exhausted or synth.name in problem.open_constants
            return ("fail" if feasible_unknown else "infeasible"), None
        if not universal:
            return "solved", outcome.term  # Search checked it on every example
        remaining = max(deadline - time.monotonic(), 0.1)
        verdict = verify(problem, {synth.name: outcome.term}, int(min(remaining, 30.0) * 1000))
        if verdict.valid:
            return "solved", outcome.term
        known = [e.assignment for e in examples]
        if verdict.counterexample is None or verdict.counterexample in known or time.monotonic() > deadline:
            return "fail", None  # unknown, or the verifier and the evaluator disagree
        examples.append(Example(verdict.counterexample, conjunction))


def run_standard(script: Script, overrides: Mapping[str, object], spent: float = 0.0) -> int:
    """The CLI for a standard problem: the answer on stdout, notes on stderr; exit status 0.
    `spent` seconds (start-up, parsing) come off `--time-limit`, as on the CAM path."""
    seconds = max(float(overrides.get("time-limit", DEFAULT_SECONDS)) - spent, 0.0)
    try:
        problem = standard_problem(script)
        for warning in problem.warnings:
            print(warning if ": warning: " in warning else f"{script.path}: warning: {warning}", file=sys.stderr)
        status, body = solve_problem(problem, seconds)
    except (Unsupported, UnsupportedSpec, UnsupportedOperator, VerifierError) as reason:
        print(f"sycam: not solved: {reason}", file=sys.stderr)
        print("fail", flush=True)
        return 0
    print(format_answer(problem.synths[0], status, body), flush=True)
    return 0
