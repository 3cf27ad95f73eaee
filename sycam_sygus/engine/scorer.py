"""Scoring terms on a search's image tiers: the one place that calls `backend.score` for the engine.

A `Scorer` owns one scope's tiers and equivalence images, the memoised weights of each tier's new
images, the replay of scores an earlier run logged, the deadline every tier evaluation checks, and
the observer that hears of every score.
"""
from __future__ import annotations

import math
import threading
import time
from collections import Counter
from typing import Mapping, Sequence

import numpy as np

from ..core.deadline import Stopped
from ..ir import Term, to_sygus
from .enumerate import TermValues
from .observer import EQUIVALENCE_SUBSET, Observer, TierRef
from .port import SearchBackend, Weights

TIER_MEMO = 128  # weights kept per tier chunk (least recently used go first)
SHARED_SCORES = 1 << 20  # (image, map key) scores kept for sharing; the memo starts afresh when full

KnownScores = Mapping[tuple[str, TierRef], Sequence[float]]  # (SyGuS text of a term, tier) -> per-image scores


def evaluate(term: Term, backend: SearchBackend[Weights], images: Sequence[int]) -> Weights:
    """A term's weights on `images`, evaluated bottom-up through the backend."""
    return TermValues(backend, images).get(term)


class BudgetSpent(Stopped):
    """Raised before a tier evaluation once the search's time is up or a stop was asked for."""


class Scorer:
    """Per-image scores of terms on one scope's tiers (nested prefixes, smallest first)."""

    def __init__(
        self,
        backend: SearchBackend,
        metric: str,
        tiers: list[list[int]],
        eq_images: Sequence[int],
        scope: int,
        observer: Observer,
        known_scores: KnownScores,
        stop: threading.Event,
        counts: Counter,
        share_maps: bool = False,
    ):
        self.backend = backend
        self.metric = metric
        self.tiers = tiers
        self.eq_images = list(eq_images)
        self.scope = scope
        self.observer = observer
        self.known_scores = known_scores
        self.stop = stop
        self.counts = counts
        self.deadline: float | None = None  # set while a search runs: every tier evaluation checks it
        self.evaluated: dict[Term, list[np.ndarray]] = {}  # all-tier scores of baselines
        self.chunks = [tier[len(tiers[i - 1]) if i else 0:] for i, tier in enumerate(tiers)]
        self.chunk_values = [TermValues(backend, chunk, capacity=TIER_MEMO) for chunk in self.chunks]
        self.prefetched: dict[Term, np.ndarray] = {}  # first-tier scores of candidates batched by `prefetch`
        self.share_maps = share_maps  # the map level: reuse a score where the image's map key proves it equal
        self.shared: dict[tuple[int, bytes], float] = {}  # (image, map key) -> score

    def ref(self, tier: int) -> TierRef:
        """This scope's `tier` as the observer and the log name it."""
        return TierRef(self.scope, tier)

    def spent(self) -> bool:
        """Is the time up (a zero budget is spent at once), or was a stop asked for?"""
        deadline = math.inf if self.deadline is None else self.deadline
        return self.stop.is_set() or time.monotonic() >= deadline

    def tier_scores(self, term: Term, tier: int, earlier: list[np.ndarray]) -> np.ndarray:
        """Per-image scores on `tier`: known ones when logged, else only the tier's new images are
        scored and appended to the scores on the previous tier (its prefix)."""
        if self.deadline is not None and self.spent():
            raise BudgetSpent
        self.counts[f"scored-tier-{tier}"] += 1
        if term in self.evaluated:  # a candidate that is also a baseline
            self.counts["reused-scores"] += 1
            return self.evaluated[term][tier]
        known = self.known_scores.get((to_sygus(term), self.ref(tier)))
        if known is not None and len(known) == len(self.tiers[tier]):
            self.counts["known-scores"] += 1
            scores = np.asarray(known, dtype=np.float64)
            if self.share_maps:  # a replayed score is shared as a fresh one would be (keys need no forwards)
                self._share(self.chunk_values[tier].get(term), self.chunks[tier], scores[len(scores) - len(self.chunks[tier]):])
            return scores
        if tier == 0 and term in self.prefetched:
            return self.prefetched.pop(term)
        earlier = list(earlier)
        while len(earlier) < tier:
            earlier.append(self.tier_scores(term, len(earlier), earlier))
        fresh = self._chunk_scores(self.chunk_values[tier].get(term), self.chunks[tier])
        prefix = earlier[tier - 1] if tier else np.zeros(0)
        return np.concatenate([prefix, np.asarray(fresh, dtype=np.float64)])

    def prefetch(self, terms: Sequence[Term]) -> None:
        """Score the first tier of many candidates in one backend call, so one model call carries
        the memo misses of all of them; `tier_scores` hands the scores out. Scores never depend on
        the threshold, so deciding the candidates one by one afterwards decides as before. Under
        map sharing, a candidate whose every image key is already scored (or will be, by an earlier
        one of the batch) is left to share those scores when its turn comes, as it would alone."""
        if self.deadline is not None and self.spent():
            raise BudgetSpent
        todo = [t for t in terms if t not in self.evaluated and t not in self.prefetched
                and (to_sygus(t), self.ref(0)) not in self.known_scores]
        if self.share_maps:
            todo = self._not_shared(todo)
        if len(todo) < 2:
            return  # one candidate alone is scored as before
        weights = [self.chunk_values[0].get(term) for term in todo]
        scores = np.asarray(self.backend.score(weights, self.chunks[0], self.metric), dtype=np.float64)
        self.prefetched.update(zip(todo, scores))
        if self.share_maps:
            for w, row in zip(weights, scores):
                self._share(w, self.chunks[0], row)

    def _not_shared(self, terms: list[Term]) -> list[Term]:
        """The terms whose first-tier scores sharing would not provide (in enumeration order)."""
        images, coming, kept = self.chunks[0], set(), []
        for term in terms:
            keys = self.backend.image_keys([self.chunk_values[0].get(term)], images, self.metric)[0]
            pairs = list(zip(images, keys))
            if all(pair in self.shared or pair in coming for pair in pairs):
                continue
            coming.update(pairs)
            kept.append(term)
        return kept

    def _chunk_scores(self, weights: Weights, images: list[int]) -> np.ndarray:
        """Scores on a tier's new images; under map sharing, reused without a score call when every
        image's map key was scored before (equal keys on an image guarantee equal scores there)."""
        if not self.share_maps:
            return self.backend.score([weights], images, self.metric)[0]
        keys = self.backend.image_keys([weights], images, self.metric)[0]
        known = [self.shared.get((image, key)) for image, key in zip(images, keys)]
        if all(score is not None for score in known):
            self.counts["shared-map"] += 1
            return np.asarray(known, dtype=np.float64)
        scores = np.asarray(self.backend.score([weights], images, self.metric)[0], dtype=np.float64)
        self._share(weights, images, scores, keys)
        return scores

    def _share(self, weights: Weights, images: list[int], scores: np.ndarray, keys: list[bytes] | None = None) -> None:
        """Remember `scores` on `images` under each image's map key (computed when not given)."""
        if keys is None:
            keys = self.backend.image_keys([weights], images, self.metric)[0]
        if len(self.shared) + len(images) > SHARED_SCORES:
            self.shared.clear()
        self.shared.update(((image, key), float(score)) for image, key, score in zip(images, keys, scores))

    def subset_scores(self, term: Term, weights: Weights) -> np.ndarray:
        """Per-image scores on the equivalence subset (metric-level equivalence)."""
        self.counts["scored-equivalence"] += 1
        known = self.known_scores.get((to_sygus(term), self.ref(EQUIVALENCE_SUBSET)))
        if known is not None and len(known) == len(self.eq_images):
            self.counts["known-scores"] += 1
            scores = np.asarray(known, dtype=np.float64)
        else:
            scores = np.asarray(self.backend.score([weights], self.eq_images, self.metric)[0], dtype=np.float64)
        self.observer.on_scored(term, self.ref(EQUIVALENCE_SUBSET), list(self.eq_images), scores.tolist(), True)
        return scores

    def all_tiers(self, term: Term) -> list[np.ndarray]:
        """Scores of `term` on every tier (baselines, decomposed answers), reported as passed."""
        scores: list[np.ndarray] = []
        for tier in range(len(self.tiers)):
            scores.append(self.tier_scores(term, tier, scores))
            self.report(term, tier, scores[-1], True)
        self.evaluated[term] = scores
        return scores

    def report(self, term: Term, tier: int, scores: np.ndarray, passed: bool) -> None:
        """Tell the observer of `term`'s scores on `tier`."""
        self.observer.on_scored(term, self.ref(tier), list(self.tiers[tier]), scores.tolist(), passed)
