"""How the search reports what it does: `TierRef` names a scored image set, `Observer` takes the hooks."""
from __future__ import annotations

from typing import NamedTuple

from ..ir import Term
from .result import SolveResult


class TierRef(NamedTuple):
    """One scored image set: `scope` 0 is the search over all images, scope j the j-th decomposed
    class; `tier` is the tier's index in that scope, -1 the equivalence subset (metric level)."""

    scope: int
    tier: int

    @property
    def is_tier(self) -> bool:
        """A real tier (not the equivalence subset)."""
        return self.tier >= 0


EQUIVALENCE_SUBSET = -1  # TierRef.tier of the equivalence images


class Observer:
    """Hooks the CLI uses for progress, logs and resume; every method is optional (no-op here).

    `on_candidate` stages: "enumerated", "pruned-syntax", "pruned-value", "pruned-metric",
    "rejected", "passed". `on_scored` is also called for baselines: their
    bodies are listed by name in `on_start`'s `info["baselines"]` (name -> SyGuS text).
    `on_start` runs once per scope, its `info["scope"]` naming it.
    """

    def on_start(self, info: dict) -> None:
        """The search is about to begin; `info` describes tiers, images, baselines and budgets."""

    def on_candidate(self, term: Term, stage: str) -> None:
        """A candidate of the start non-terminal reached `stage`."""

    def on_scored(self, term: Term, tier: TierRef, images: list[int], scores: list[float], passed: bool) -> None:
        """`term` has per-image `scores` on `tier` (whose images are `images`)."""

    def on_best(self, term: Term, mean: float) -> None:
        """A new best candidate (threshold mode: the answer) with its mean on the last tier."""

    def on_finish(self, result: SolveResult) -> None:
        """The search ended with `result`."""


class Fanout(Observer):
    """Passes every hook to several observers, in order."""

    def __init__(self, observers: "list[Observer]"):
        self.observers = list(observers)

    def on_start(self, info: dict) -> None:
        for o in self.observers:
            o.on_start(info)

    def on_candidate(self, term: Term, stage: str) -> None:
        for o in self.observers:
            o.on_candidate(term, stage)

    def on_scored(self, term: Term, tier: TierRef, images: list[int], scores: list[float], passed: bool) -> None:
        for o in self.observers:
            o.on_scored(term, tier, images, scores, passed)

    def on_best(self, term: Term, mean: float) -> None:
        for o in self.observers:
            o.on_best(term, mean)

    def on_finish(self, result: SolveResult) -> None:
        for o in self.observers:
            o.on_finish(result)
