"""Validation inside the search (`:sycam.validation`, CAM-THEORY §7): images apart from the tiers.

A candidate that passes every tier must also beat the threshold on the validation images before it
becomes the answer (threshold mode) or the new best (optimise mode); it costs one scoring per
improvement, not per candidate. On the validation images "beats" is the published rule (with the
tolerance) and, against per-image threshold scores, a one-sided paired Wilcoxon test at level
α / k, k the number of confirmations asked so far: these images take no part in the selection on
the tiers, so the test there is corrected only for the confirmations asked of them. `validation_split` is the one place that carves them out of the
pool, so a project-wide image split can replace it.
"""
from __future__ import annotations

import random
from collections import Counter
from typing import Sequence

import numpy as np

from ..ir import Term
from .enumerate import TermValues
from .port import SearchBackend
from .significance import wilcoxon_p

MEMO = 32  # weights kept on the validation images (only improvements are scored there)


def validation_split(pool: Sequence[int], count: int, seed: int) -> tuple[list[int], list[int], list[str]]:
    """`(search pool, validation images, warnings)`: `count` images of `pool` drawn with a seed of
    their own, at most half of the pool (a class's pool in a decomposed search may be small)."""
    warnings = []
    if count > len(pool) // 2:
        warnings.append(f"{count} validation images clipped to {len(pool) // 2}, half of the {len(pool)} available")
        count = len(pool) // 2
    chosen = set(random.Random(f"{seed}:validation").sample(list(pool), count))
    return [i for i in pool if i not in chosen], sorted(chosen), warnings


class Validation:
    """Per-image scores of terms on the validation images (memoised weights)."""

    def __init__(self, backend: SearchBackend, metric: str, images: Sequence[int], counts: Counter, level: float):
        self.backend = backend
        self.metric = metric
        self.images = list(images)
        self.counts = counts
        self.level = level  # α of the confirmation test, before its correction
        self.checks = 0  # confirmations asked so far
        self.values = TermValues(backend, self.images, capacity=MEMO)

    def significant(self, scores: np.ndarray, reference: np.ndarray, maximise: bool, tolerance: float) -> bool:
        """One more confirmation: is the win over `reference` significant at α / (checks so far)?"""
        self.checks += 1
        return wilcoxon_p(scores, reference, maximise, tolerance) <= self.level / self.checks

    def scores(self, term: Term) -> np.ndarray:
        """`term`'s per-image scores on the validation images."""
        self.counts["scored-validation"] += 1
        weights = self.values.get(term)
        return np.asarray(self.backend.score([weights], self.images, self.metric)[0], dtype=np.float64)
