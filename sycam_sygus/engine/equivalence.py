"""The equivalence oracle (CAM-THEORY §6): value, map and metric signatures on a small subset.

1. value: equal `backend.value_key` of the weights on the equivalence images, per non-terminal.
   The later term is rejected from the enumerator's bank (it never builds bigger terms).
   At the start non-terminal, equal `backend.scale_key` too (weights that differ per image by a
   positive factor: the CAM template cannot tell them apart): the later candidate is not scored
   (`shared-scale`) but stays in the bank, since bigger terms built from it may differ.
2. map: not decided here. Equal map keys on the small subset do not prove equal scores on the
   tiers, so every candidate is checked; the scorer (scorer.py) reuses a score on one image only
   where the candidate's own map key on that image proves it equal.
3. metric (optional): equal per-image metric values on the equivalence images.

Level 3 only concerns candidates of the start non-terminal; level 1 applies to every bank.
Levels 1 and 3 (and the scale key) are heuristics: a term equal on the subset may differ on the tiers.
"""
from __future__ import annotations

import random
from collections import Counter
from typing import Callable, Sequence

import numpy as np

from ..ir import Term
from .enumerate import Enumerated, Enumerator
from .port import SearchBackend, Weights


def equivalence_images(pool: Sequence[int], classes: Sequence[int], count: int, seed: int) -> list[int]:
    """`count` images of `pool`, one per target class first, in a seeded order (round-robin)."""
    order = random.Random(f"{seed}:equivalence").sample(range(len(pool)), len(pool))
    by_class: dict[int, list[int]] = {}
    for position in order:
        by_class.setdefault(classes[position], []).append(pool[position])
    chosen: list[int] = []
    rounds = max((len(v) for v in by_class.values()), default=0)
    for r in range(rounds):
        for members in by_class.values():
            if r < len(members) and len(chosen) < count:
                chosen.append(members[r])
    return chosen


def metric_key(scores: np.ndarray) -> bytes:
    """Identical metric values give identical keys (-0.0 counts as 0.0)."""
    return (np.asarray(scores, dtype=np.float64) + 0.0).tobytes()


class EquivalenceOracle:
    """Classifies each enumerated term as new or as equivalent to an earlier one, and counts."""

    def __init__(
        self,
        backend: SearchBackend,
        enumerator: Enumerator,
        images: Sequence[int],
        metric: str,
        levels: frozenset[str],
        start: str,
        score_subset: Callable[[Term, Weights], np.ndarray] | None = None,
    ):
        if "metric" in levels and score_subset is None:
            raise ValueError("the metric level needs a score_subset function")
        self.backend = backend
        self.enumerator = enumerator
        self.images = list(images)
        self.metric = metric
        self.levels = levels
        self.start = start
        self.score_subset = score_subset
        self.counts: Counter[str] = Counter()
        self._values: dict[str, set[bytes]] = {}
        self._scales: set[bytes] = set()
        self._metrics: set[bytes] = set()

    def classify(self, item: Enumerated) -> str:
        """One of "banked" (a new helper term), "new" (a candidate to score), "pruned-value",
        "shared-scale" or "pruned-metric"."""
        candidate = item.nonterminal == self.start
        prefix = "" if candidate else "bank-"
        self.counts[prefix + "enumerated"] += 1
        if "value" in self.levels:
            key = self.backend.value_key(self.enumerator.value(item.term))
            seen = self._values.setdefault(item.nonterminal, set())
            if key in seen:
                self.enumerator.reject(item.term, item.nonterminal)
                self.counts[prefix + "pruned-value"] += 1
                return "pruned-value"
            seen.add(key)
        if not candidate:
            return "banked"
        if "value" in self.levels:
            scale = self.backend.scale_key(self.enumerator.value(item.term))
            if scale in self._scales:
                self.counts["shared-scale"] += 1
                return "shared-scale"
            self._scales.add(scale)
        if "metric" in self.levels:
            key = metric_key(self.score_subset(item.term, self.enumerator.value(item.term)))
            if key in self._metrics:
                self.counts["pruned-metric"] += 1
                return "pruned-metric"
            self._metrics.add(key)
        return "new"
