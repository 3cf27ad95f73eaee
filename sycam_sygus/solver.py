"""The synthesis loop: enumerate, prune by equivalence, accept by tiered correctness, within budgets.

See ENGINE.md for the whole picture and CAM-THEORY §5-6 for the definitions it implements.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from backends.protocol import Backend

from .ir import Term
from .problem import Problem


class Observer:
    """Hooks the CLI uses for progress, logs and resume; every method is optional (no-op here).

    `on_candidate` stages: "enumerated", "pruned-syntax", "pruned-value", "shared-map",
    "pruned-metric", "rejected", "passed". `on_scored` is also called for baselines: their
    bodies are listed by name in `on_start`'s `info["baselines"]` (name -> SyGuS text).
    Tier index -1 in `on_scored` is the equivalence subset (metric-level equivalence).
    """

    def on_start(self, info: dict) -> None:
        """The search is about to begin; `info` describes tiers, images, baselines and budgets."""

    def on_candidate(self, term: Term, stage: str) -> None:
        """A candidate of the start non-terminal reached `stage`."""

    def on_scored(self, term: Term, tier: int, images: list[int], scores: list[float], passed: bool) -> None:
        """`term` has per-image `scores` on tier `tier` (whose images are `images`)."""

    def on_best(self, term: Term, mean: float) -> None:
        """A new best candidate (threshold mode: the answer) with its mean on the last tier."""

    def on_finish(self, result: "SolveResult") -> None:
        """The search ended with `result`."""


@dataclass
class SolveResult:
    """What `solve` found; `answer` is printable (simplified), `raw_answer` as enumerated."""

    status: str  # "solved" | "fail" | "infeasible"
    answer: Term | None
    raw_answer: Term | None
    objective: float | None  # the answer's mean score on the last tier
    baselines: dict[str, list[float]] = field(default_factory=dict)  # name -> mean per tier
    counts: dict[str, int] = field(default_factory=dict)
    forwards: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)


def solve(
    problem: Problem,
    backend: Backend,
    observer: Observer | None = None,
    known_scores: Mapping[tuple[str, int], Sequence[float]] | None = None,
    stop: threading.Event | None = None,
) -> SolveResult:
    """Synthesise the best weight expression for `problem` on `backend` (see module docstring)."""
    raise NotImplementedError("the engine loop lands in the next commit")
