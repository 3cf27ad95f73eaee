"""Hand-built problems for the engine's tests (no parsing: the IR and settings directly)."""
from __future__ import annotations

from typing import Sequence

from sycam_sygus.core.logic import METRICS


def make_problem(
    productions: dict[str, tuple],
    params: Sequence[str] = ("grads", "abl"),
    mode: str = "optimise",
    baseline: str | None = None,
    constant: float | None = None,
    strict: bool = False,
    baselines: dict | None = None,
    metric: str = "deletion",
    int_params: Sequence[str] = (),
    **options,
):
    """A hand-built Problem: Real non-terminals (first = start) with IR productions, one goal."""
    from sycam_sygus.core.settings import Settings
    from sycam_sygus.ir import INT, REAL
    from sycam_sygus.ir.problem import Goal, Grammar, Problem, SynthFun

    grammar = Grammar(tuple((nt, REAL) for nt in productions), {nt: tuple(p) for nt, p in productions.items()})
    signature = tuple((name, REAL) for name in params) + tuple((name, INT) for name in int_params)
    # set directly, unchecked: tests also build what only a run can reach (a spent time budget of 0 s)
    options.setdefault("holdout", 0)  # the engine's tests search every image they set up
    settings = Settings.resolve().replace(**{name: tuple(value) if isinstance(value, list) else value
                                             for name, value in options.items()})
    goal = Goal(metric, METRICS[metric].higher_is_better, mode, baseline, constant, strict)
    class_param = "class" if "class" in int_params else None
    synth = SynthFun("weights", signature, REAL, grammar, class_param)
    return Problem("test.sl", "SYCAM", settings, synth, (goal,), baselines or {})
