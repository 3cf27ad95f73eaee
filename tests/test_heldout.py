"""Held-out evaluation: the split, the statistics (checked against values known by hand) and the
report's `holdout` block on the fake backend, whose scores are cosines computed by hand."""
import contextlib
import io
import json
import math

import numpy as np
import pytest
from fake_backend import FakeBackend
from test_report import TABLES, TRUTH, make_problem

from sycam_sygus.app.cli import run_search
from sycam_sygus.app.heldout import mean_interval, paired_comparison
from sycam_sygus.core.settings import Settings
from sycam_sygus.engine.images import holdout_size, holdout_split


@pytest.mark.parametrize("count, holdout, size", [(300, -1, 75), (60, -1, 15), (6, -1, 1), (3, -1, 0),
                                                  (60, 0, 0), (60, 7, 7), (5, 9, 5)])
def test_the_split_is_disjoint_complete_and_sized(count, holdout, size):
    pool, held = holdout_split(count, holdout, seed=3)
    assert len(held) == size == holdout_size(count, holdout)
    assert sorted(pool + held) == list(range(count)) and not set(pool) & set(held)
    assert (pool, held) == holdout_split(count, holdout, seed=3)  # a pure function of its arguments


def test_the_split_depends_on_the_seed():
    assert len({tuple(holdout_split(100, 25, seed)[1]) for seed in range(5)}) > 1


def test_an_unset_holdout_is_a_quarter_and_flags_refuse_negatives():
    assert Settings.resolve().holdout == -1 and holdout_size(300, Settings.resolve().holdout) == 75
    assert Settings.resolve(flags={"holdout": 0}).holdout == 0
    with pytest.raises(Exception, match="holdout"):
        Settings.resolve(flags={"holdout": -1})


def test_wins_ties_losses_follow_the_goal_direction():
    answer, other = [0.5, 0.2, 0.3, 0.9], [0.4, 0.2, 0.6, 0.1]
    assert {k: v for k, v in paired_comparison(answer, other, True).items() if k != "p_value"} == \
        {"wins": 2, "ties": 1, "losses": 1}
    assert {k: v for k, v in paired_comparison(answer, other, False).items() if k != "p_value"} == \
        {"wins": 1, "ties": 1, "losses": 2}


def test_the_wilcoxon_p_value_matches_the_exact_distribution():
    # five positive differences: the exact two-sided p-value is 2 / 2^5
    assert paired_comparison([2, 3, 4, 5, 6], [1, 1, 1, 1, 1], True)["p_value"] == pytest.approx(2 / 32)
    # all ties: no evidence either way (scipy would refuse an all-zero sample)
    assert paired_comparison([1, 2, 3], [1, 2, 3], True) == {"p_value": 1.0, "wins": 0, "ties": 3, "losses": 0}
    # a flagged map (infinite worst score) ranks as the largest difference, not NaN
    result = paired_comparison([1, 2, 3, 4, 5], [0, 0, 0, 0, -math.inf], True)
    assert result["wins"] == 5 and result["p_value"] == pytest.approx(2 / 32)


def test_the_bootstrap_interval_holds_the_mean_and_is_undefined_when_it_must_be():
    scores = np.random.default_rng(0).normal(0.5, 0.1, size=40)
    low, high = mean_interval(scores, seed=0)
    assert low < scores.mean() < high and high - low < 0.2
    assert mean_interval(scores, seed=0) == [low, high]  # seeded
    assert mean_interval([0.3] * 5, seed=0) == [0.3, 0.3]
    assert mean_interval([0.3], seed=0) is None and mean_interval([0.3, -math.inf], seed=0) is None


def test_the_report_scores_every_method_on_held_out_images_only(tmp_path):
    # eight images: the four of test_report twice, so each image's hand value is known
    tables = {name: np.concatenate([table, table]) for name, table in TABLES.items()}
    cic_by_image = [1.0, 1.0, 1 / math.sqrt(2), 0.0] * 2
    problem = make_problem(tmp_path / "p.sl", holdout=2)
    problem = problem.__class__(**{**problem.__dict__, "settings": problem.settings.replace(images=8)})
    with contextlib.redirect_stdout(io.StringIO()):
        run_search(problem, FakeBackend(tables, np.concatenate([TRUTH, TRUTH])), {}, tmp_path / "out", quiet=True)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    block = report["holdout"]
    held = holdout_split(8, 2, problem.settings.seed)[1]
    assert block["images"] == held
    searched = {image for search in report["searches"] for tier in search["tiers"] for image in tier}
    searched |= {image for search in report["searches"] for image in search["equivalence_images"]}
    assert not searched & set(held) and not set(report["comparison"]["images"]) & set(held)
    score_cam = block["methods"]["Score-CAM"]
    assert score_cam["scores"] == pytest.approx([cic_by_image[i] for i in held])
    assert score_cam["mean"] == pytest.approx(np.mean([cic_by_image[i] for i in held]))
    gradcam = block["methods"]["Grad-CAM"]
    assert gradcam["scores"] == pytest.approx([1 / math.sqrt(2)] * 2) and gradcam["ci95"] == pytest.approx(
        [1 / math.sqrt(2)] * 2)
    answer = block["methods"]["sycam answer"]
    assert "p_value" not in answer and answer["expression"] == report["answer"]
    assert gradcam["wins"] + gradcam["ties"] + gradcam["losses"] == 2
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## Held-out evaluation on 2 images" in text and text.index("Held-out") < text.index("In-sample")
    assert "| Grad-CAM | `grads` | 0.7071 | [0.7071, 0.7071] |" in text
