"""The tiered correctness oracle (CAM-THEORY §6): nested image tiers, the acceptance rule, thresholds.

Tiers I_3 ⊂ I_2 ⊂ I_1 are nested prefixes of one seeded permutation of the image pool; sizes
come smallest first. A candidate is scored tier by tier and dropped at the first failed tier, so
it is never scored on a larger one (early rejection).

The acceptance rule on one tier of n images, against per-image threshold scores t:
- it *beats* t_i on image i when s_i >= t_i (maximising; <= when minimising), or strictly
  s_i > t_i (s_i < t_i) when the goal is written with `>` (`<`);
- it passes when it beats the threshold on at least half of the images (2·beats >= n) AND its
  mean is strictly better than the threshold's mean. The mean is always strict: a candidate
  that only ties the threshold on average is not better, and each optimise-mode update is a
  strict improvement.
Against a constant c only the mean is compared, with the goal's own operator (mean >= c, or
mean > c for `>`). Optimise mode with no baseline starts from the worst value: any candidate
whose mean is finite passes. A non-finite score (a flagged map, NaN) counts as the goal's worst value,
whatever direction the metric has, so it never passes.

Every comparison allows the metric's tolerance ε (the backend's `tolerance`): values within ε
are ties. So s_i beats t_i when s_i >= t_i - ε (strictly: s_i > t_i + ε), and a mean is
strictly better only when it is better by more than ε: a float-rounding "improvement" is none.
Optional extras (CAM-THEORY §7): the significance test on the last tier (`significance.py`) and
the confirmation on validation images (`validation.py`).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..ir import Term
from .scorer import Scorer
from .significance import SignificanceRule
from .validation import Validation


def tier_images(pool: Sequence[int], sizes: Sequence[int], seed: int) -> tuple[list[list[int]], list[str]]:
    """Nested tiers (smallest first) as prefixes of a seeded permutation of `pool`, and warnings."""
    if not pool:
        raise ValueError("no images to build tiers from")
    warnings = []
    order = random.Random(f"{seed}:tiers").sample(list(pool), len(pool))
    clipped: list[int] = []
    for size in sorted(int(s) for s in sizes):
        if size < 1:
            raise ValueError(f"tier sizes must be positive, got {size}")
        if size > len(pool):
            warnings.append(f"tier of {size} images clipped to the {len(pool)} available")
            size = len(pool)
        if not clipped or size > clipped[-1]:
            clipped.append(size)
    return [order[:size] for size in clipped], warnings


def beats(scores: np.ndarray, threshold: np.ndarray, maximise: bool, strict: bool,
          tolerance: float = 0.0) -> np.ndarray:
    """Per image: does the candidate beat the threshold (see the module docstring)?"""
    if maximise:
        return scores > threshold + tolerance if strict else scores >= threshold - tolerance
    return scores < threshold - tolerance if strict else scores <= threshold + tolerance


def mean_better(mean: float, threshold_mean: float, maximise: bool, strict: bool, tolerance: float = 0.0) -> bool:
    """Is `mean` better than `threshold_mean` (strictly, or allowing ties within `tolerance`)? NaN never is."""
    if math.isnan(mean) or math.isnan(threshold_mean):
        return False
    if maximise:
        return mean > threshold_mean + tolerance if strict else mean >= threshold_mean - tolerance
    return mean < threshold_mean - tolerance if strict else mean <= threshold_mean + tolerance


def equivalent(scores: np.ndarray, reference: np.ndarray, tolerance: float) -> bool:
    """Are two per-image score vectors equal within the tolerance on every image (the same method,
    as far as the metric can tell)?"""
    scores, reference = np.asarray(scores, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    return scores.shape == reference.shape and bool(np.all(np.abs(scores - reference) <= tolerance))


@dataclass
class Threshold:
    """Per-tier, per-image scores to beat, or a constant compared with the mean only."""

    per_tier: list[np.ndarray] | None = None
    constant: float | None = None
    strict: bool = False  # how "beats" (per image) or the constant comparison treat ties
    tolerance: float = 0.0  # the metric's smallest meaningful difference (module docstring)
    validation: np.ndarray | None = None  # per-image scores on the validation images, if any

    @staticmethod
    def worst(maximise: bool, tolerance: float = 0.0) -> "Threshold":
        """The optimise-mode start without a baseline: every finite mean passes (the tolerance is
        for the thresholds that follow)."""
        return Threshold(constant=-math.inf if maximise else math.inf, strict=True, tolerance=tolerance)


def goal_worst_if_not_finite(scores: np.ndarray, maximise: bool) -> np.ndarray:
    """Scores with every non-finite value (a flagged map scores the *metric's* worst value, which
    is the best under a goal written in the other direction) replaced by the goal's worst value."""
    scores = np.asarray(scores, dtype=np.float64)
    return np.where(np.isfinite(scores), scores, -math.inf if maximise else math.inf)


def passes_tier(scores: np.ndarray, threshold: Threshold, tier: int, maximise: bool) -> bool:
    """The acceptance rule of the module docstring on one tier."""
    scores = goal_worst_if_not_finite(scores, maximise)
    mean = float(np.mean(scores))
    if threshold.per_tier is None:
        return mean_better(mean, float(threshold.constant), maximise, threshold.strict, threshold.tolerance)
    return passes_reference(scores, threshold.per_tier[tier], threshold, maximise)


def passes_reference(scores: np.ndarray, reference: np.ndarray, threshold: Threshold, maximise: bool) -> bool:
    """The per-image rule against one reference score vector (a tier's, or the validation images')."""
    scores = goal_worst_if_not_finite(scores, maximise)
    reference = goal_worst_if_not_finite(reference, maximise)
    wins = int(np.count_nonzero(beats(scores, reference, maximise, threshold.strict, threshold.tolerance)))
    return 2 * wins >= len(scores) and mean_better(float(np.mean(scores)), float(np.mean(reference)), maximise,
                                                   strict=True, tolerance=threshold.tolerance)


@dataclass
class Verdict:
    """A candidate's outcome: passed every tier or not, and its scores on the tiers it reached."""

    passed: bool
    scores: list[np.ndarray] = field(default_factory=list)
    validation: np.ndarray | None = None  # scores on the validation images (when it reached them)

    @property
    def last_mean(self) -> float:
        return float(np.mean(self.scores[-1]))


class CorrectnessOracle:
    """Scores candidates tier by tier with early rejection against a (movable) threshold."""

    def __init__(self, scorer: Scorer, threshold: Threshold, maximise: bool,
                 significance: SignificanceRule | None = None, validation: Validation | None = None):
        self.scorer = scorer
        self.threshold = threshold
        self.maximise = maximise
        self.significance = significance
        self.validation = validation

    def check(self, term: Term, threshold: Threshold | None = None) -> Verdict:
        """Score `term` on each tier until one fails; it passes when none does. `threshold`
        (default: the oracle's own) is what it must beat."""
        threshold = threshold or self.threshold
        verdict = Verdict(passed=False)
        for tier in range(len(self.scorer.tiers)):
            scores = self.scorer.tier_scores(term, tier, verdict.scores)
            verdict.scores.append(scores)
            ok = passes_tier(scores, threshold, tier, self.maximise)
            if ok and tier == len(self.scorer.tiers) - 1:
                ok = self._significant(scores, threshold, tier)
            self.scorer.report(term, tier, scores, ok)
            if not ok:
                return verdict
        verdict.passed = self._validated(term, threshold, verdict)
        return verdict

    def _significant(self, scores: np.ndarray, threshold: Threshold, tier: int) -> bool:
        """The significance rule on the last tier, when it is on and there are per-image scores to test."""
        if self.significance is None or threshold.per_tier is None:
            return True
        if self.significance.significant(scores, threshold.per_tier[tier], self.maximise, threshold.tolerance):
            return True
        self.scorer.counts["rejected-significance"] += 1
        return False

    def _validated(self, term: Term, threshold: Threshold, verdict: Verdict) -> bool:
        """A candidate that passed every tier must beat the threshold on the validation images too."""
        if self.validation is None:
            return True
        verdict.validation = self.validation.scores(term)
        if threshold.validation is None:  # a constant threshold: the mean alone, as on the tiers
            constant = float(threshold.constant if threshold.constant is not None else math.nan)
            mean = float(np.mean(goal_worst_if_not_finite(verdict.validation, self.maximise)))
            ok = mean_better(mean, constant, self.maximise, threshold.strict,
                             threshold.tolerance)
        else:
            ok = (passes_reference(verdict.validation, threshold.validation, threshold, self.maximise)
                  and self.validation.significant(verdict.validation, threshold.validation, self.maximise,
                                                  threshold.tolerance))
        if not ok:
            self.scorer.counts["rejected-validation"] += 1
        return ok

    def raise_threshold(self, verdict: Verdict, strict: bool) -> None:
        """Optimise mode: a candidate that passed every tier becomes the threshold."""
        self.threshold = Threshold(per_tier=list(verdict.scores), strict=strict, tolerance=self.threshold.tolerance,
                                   validation=verdict.validation)
