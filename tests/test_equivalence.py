"""The equivalence oracle: hand-counted distinct candidates by size for each level, and subsets."""
from collections import Counter, defaultdict

import numpy as np
import pytest
from fake_backend import FakeBackend

from sycam_sygus.core.options import equivalence_levels
from sycam_sygus.engine.enumerate import Enumerator, TermValues
from sycam_sygus.engine.equivalence import (
    EquivalenceOracle,
    equivalence_images,
    metric_key,
)
from sycam_sygus.ir import REAL, app, hole, var
from sycam_sygus.ir.problem import Grammar

W = hole("W", REAL)
# W -> x | y | z | (+ W W) on one image with x = [1, 0], y = [0, 1], z = [1, 1], truth [1, 1].
# Up to canonical form a term is a·x + b·y + c·z, value [a+c, b+c]: 3 terms of size 1,
# 6 of size 3 (x+y has z's value), 10 of size 5 (2x+y, x+2y, x+y+z repeat x+z, y+z, 2z).
GRAMMAR = Grammar((("W", REAL),), {"W": (var("x"), var("y"), var("z"), app("+", (W, W), REAL))})


def classify_all(levels):
    table = {"x": np.array([[1.0, 0.0]]), "y": np.array([[0.0, 1.0]]), "z": np.array([[1.0, 1.0]])}
    backend = FakeBackend(table, np.array([[1.0, 1.0]]))
    enum = Enumerator(GRAMMAR, [], 5, values=TermValues(backend, [0]))

    def score_subset(term, weights):
        return backend.score([weights], [0], "deletion")[0]

    oracle = EquivalenceOracle(backend, enum, [0], "deletion", frozenset(levels), "W", score_subset)
    stages = defaultdict(Counter)
    for item in enum:
        stages[item.size][oracle.classify(item)] += 1
    return stages, oracle.counts


def test_no_level_keeps_every_syntactically_new_term():
    stages, counts = classify_all(())
    assert stages == {1: {"new": 3}, 3: {"new": 6}, 5: {"new": 10}}
    assert counts["enumerated"] == 19


def test_value_level_drops_value_duplicates():
    stages, counts = classify_all({"value"})
    assert stages == {1: {"new": 3}, 3: {"new": 2, "shared-scale": 3, "pruned-value": 1},
                      5: {"new": 4, "shared-scale": 3, "pruned-value": 3}}  # 2x, 3x, ... share by scale
    assert counts["pruned-value"] == 4


def test_map_level_decides_no_outcome_on_the_subset():
    # Maps are min-max normalised ReLU(w) (a dark background cell keeps the minimum at 0): 2x ~ x
    # on this image, but equal maps on the small subset prove nothing about the tiers, so the map
    # level leaves every candidate to be checked (the scorer shares scores image by image instead).
    assert classify_all({"value", "map"})[0] == classify_all({"value"})[0]
    assert classify_all({"map"})[0] == classify_all(())[0]


def test_the_value_level_shares_positive_multiples_at_the_start_symbol():
    # 2x, 3x ~ x; 2y, 3y ~ y; 2z, 3z ~ z: the scale key shares them (not scored, still banked)
    stages, counts = classify_all({"value"})
    assert counts["shared-scale"] == 6
    assert sum(by_size.get("shared-scale", 0) for by_size in stages.values()) == 6


def test_metric_level_merges_equal_scores():
    # cosine with [1, 1] is symmetric in the two channels and blind to scale (the map is min-max
    # normalised, so 2z and 3z map exactly like z): y, 2x, 2y, 3x, 3y score like x; 2z, 3z like z;
    # y+z like x+z, 2y+z like 2x+z, y+2z like x+2z.
    stages, counts = classify_all({"value", "map", "metric"})
    assert stages == {  # the positive multiples 2x, 3x, 2y, ... are shared by scale before the metric level
        1: {"new": 2, "pruned-metric": 1},
        3: {"new": 1, "shared-scale": 3, "pruned-metric": 1, "pruned-value": 1},
        5: {"new": 2, "shared-scale": 3, "pruned-metric": 2, "pruned-value": 3},
    }
    assert counts["pruned-metric"] == 4 and counts["shared-scale"] == 6


def test_value_level_is_per_nonterminal_and_helpers_are_not_candidates():
    t = hole("T", REAL)
    grammar = Grammar((("W", REAL), ("T", REAL)), {"W": (app("relu", (t,), REAL),), "T": (var("x"), var("y"))})
    backend = FakeBackend({"x": np.array([[1.0, 2.0]]), "y": np.array([[1.0, 2.0]])}, np.ones((1, 2)))
    enum = Enumerator(grammar, [], 2, values=TermValues(backend, [0]))
    oracle = EquivalenceOracle(backend, enum, [0], "deletion", frozenset({"value"}), "W")
    stages = [(item.nonterminal, oracle.classify(item)) for item in enum]
    assert stages == [("T", "banked"), ("T", "pruned-value"), ("W", "new")]
    assert oracle.counts["bank-pruned-value"] == 1 and oracle.counts["enumerated"] == 1


def test_equivalence_images_one_per_class_first_and_seeded():
    pool = list(range(100, 110))
    classes = [0, 0, 0, 0, 1, 1, 2, 0, 0, 0]
    chosen = equivalence_images(pool, classes, 3, seed=4)
    assert sorted(classes[pool.index(i)] for i in chosen) == [0, 1, 2]
    assert chosen == equivalence_images(pool, classes, 3, seed=4)
    assert len(set(equivalence_images(pool, classes, 10, seed=1))) == 10
    assert equivalence_images(pool, classes, 20, seed=1) != [] and len(equivalence_images(pool, classes, 20, 1)) == 10
    orders = {tuple(equivalence_images(pool, [0] * 10, 4, seed)) for seed in range(6)}
    assert len(orders) > 1  # the seed matters


def test_levels_option_and_metric_key():
    assert equivalence_levels("value map") == {"value", "map"}
    assert equivalence_levels("value,metric") == {"value", "metric"}
    with pytest.raises(ValueError, match="expected any of"):
        equivalence_levels("value maps")
    assert metric_key(np.array([0.0, 1.0])) == metric_key(np.array([-0.0, 1.0]))
    assert metric_key(np.array([0.5])) != metric_key(np.array([0.5000001]))
