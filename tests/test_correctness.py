"""The tiered correctness oracle: tiers, the exact acceptance rule, early rejection, thresholds."""
import math

import numpy as np
import pytest

from sycam_sygus.engine.correctness import (
    CorrectnessOracle,
    Threshold,
    passes_tier,
    tier_images,
)
from sycam_sygus.ir import var

HALF = np.array([0.5, 0.5, 0.5, 0.5])


def against(reference, strict=False):
    return Threshold(per_tier=[np.asarray(reference, dtype=float)], strict=strict)


def test_tiers_are_nested_seeded_prefixes():
    tiers, warnings = tier_images(range(20), [3, 10, 20], seed=7)
    assert [len(t) for t in tiers] == [3, 10, 20] and warnings == []
    assert tiers[1][:3] == tiers[0] and tiers[2][:10] == tiers[1]
    assert sorted(tiers[2]) == list(range(20))
    assert tier_images(range(20), [3, 10, 20], seed=7)[0] == tiers
    assert tier_images(range(20), [3, 10, 20], seed=8)[0] != tiers


def test_tiers_larger_than_the_pool_are_clipped_with_a_warning():
    tiers, warnings = tier_images([5, 6, 7, 8], [2, 30, 300], seed=0)
    assert [len(t) for t in tiers] == [2, 4]
    assert len(warnings) == 2 and "clipped to the 4 available" in warnings[0]
    with pytest.raises(ValueError, match="positive"):
        tier_images([1, 2], [0], seed=0)


def test_half_of_the_images_and_a_strictly_better_mean_are_both_needed():
    # beats 2 of 4 (half) and mean 0.525 > 0.5: pass
    assert passes_tier(np.array([0.7, 0.6, 0.4, 0.4]), against(HALF), 0, maximise=True)
    # beats 2 of 4 but the mean 0.5 only ties: fail
    assert not passes_tier(np.array([0.6, 0.6, 0.4, 0.4]), against(HALF), 0, maximise=True)
    # mean 0.525 is better but it beats only 1 of 4: fail
    assert not passes_tier(np.array([0.9, 0.4, 0.4, 0.4]), against(HALF), 0, maximise=True)
    # odd tier: 2 of 3 is at least half, 1 of 3 is not
    assert passes_tier(np.array([0.6, 0.6, 0.4]), against([0.5] * 3), 0, maximise=True)
    assert not passes_tier(np.array([0.9, 0.45, 0.4]), against([0.5] * 3), 0, maximise=True)


def test_per_image_ties_follow_the_goal_operator():
    scores = np.array([0.5, 0.5, 0.4, 0.9])  # ties on two images, mean 0.575
    assert passes_tier(scores, against(HALF, strict=False), 0, maximise=True)  # >=: 3 of 4 beat
    assert not passes_tier(scores, against(HALF, strict=True), 0, maximise=True)  # >: 1 of 4 beats


def test_minimising_mirrors_the_rule():
    assert passes_tier(np.array([0.3, 0.4, 0.6, 0.6]), against(HALF), 0, maximise=False)
    assert not passes_tier(np.array([0.4, 0.4, 0.6, 0.6]), against(HALF), 0, maximise=False)
    assert not passes_tier(np.array([0.1, 0.6, 0.6, 0.6]), against(HALF), 0, maximise=False)


def test_a_constant_threshold_compares_the_mean_only():
    scores = np.array([0.2, 0.8])  # mean 0.5, beats 0.5 on one image only
    assert passes_tier(scores, Threshold(constant=0.5), 0, maximise=True)
    assert not passes_tier(scores, Threshold(constant=0.5, strict=True), 0, maximise=True)
    assert passes_tier(np.array([0.0, 0.9]), Threshold(constant=0.44), 0, maximise=True)
    assert passes_tier(scores, Threshold(constant=0.5), 0, maximise=False)
    assert not passes_tier(scores, Threshold(constant=0.49), 0, maximise=False)


def test_the_worst_value_start_accepts_any_finite_mean():
    assert passes_tier(np.array([-5.0, 0.0]), Threshold.worst(True), 0, maximise=True)
    assert passes_tier(np.array([5.0, 9.0]), Threshold.worst(False), 0, maximise=False)
    assert not passes_tier(np.array([-math.inf, -math.inf]), Threshold.worst(True), 0, maximise=True)
    assert not passes_tier(np.array([math.nan, 1.0]), Threshold.worst(True), 0, maximise=True)


class RecordingScorer:
    """The part of engine.scorer.Scorer the oracle uses, over a table; records each tier evaluation."""

    def __init__(self, table, tiers):
        self.table, self.tiers, self.calls = table, list(tiers), []

    def tier_scores(self, term, tier, earlier):
        self.calls.append((term.param, tier, len(earlier)))
        return np.asarray(self.table[term.param][: len(self.tiers[tier])], dtype=float)

    def report(self, term, tier, scores, passed):
        pass


def recording_oracle(table, threshold, tiers=([0, 1], [0, 1, 2, 3])):
    scorer = RecordingScorer(table, tiers)
    return CorrectnessOracle(scorer, threshold, maximise=True), scorer.calls


def test_early_rejection_never_scores_a_larger_tier():
    table = {"bad": [0.1, 0.1, 0.9, 0.9], "good": [0.9, 0.9, 0.9, 0.9]}
    reference = np.full(4, 0.5)
    oracle, calls = recording_oracle(table, Threshold(per_tier=[reference[:2], reference]))
    assert not oracle.check(var("bad")).passed
    assert calls == [("bad", 0, 0)]
    verdict = oracle.check(var("good"))
    assert verdict.passed and calls[1:] == [("good", 0, 0), ("good", 1, 1)]
    assert verdict.last_mean == pytest.approx(0.9)


def test_raised_threshold_rejects_what_the_old_one_accepted():
    table = {"a": [0.6] * 4, "b": [0.8] * 4, "c": [0.7] * 4}
    oracle, _ = recording_oracle(table, Threshold.worst(True))
    verdict_a = oracle.check(var("a"))
    oracle.raise_threshold(verdict_a, strict=False)
    verdict_b = oracle.check(var("b"))
    assert verdict_b.passed
    oracle.raise_threshold(verdict_b, strict=False)
    assert not oracle.check(var("c")).passed  # c beats a, but b is the threshold now
    assert oracle.check(var("b")).passed is False  # equal to the threshold: not strictly better
