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


def test_the_comparison_is_bounded_by_time_and_the_answer_is_always_scored(tmp_path):
    import time

    from sycam_sygus.app.report import compare_methods
    from sycam_sygus.ir import var

    problem = make_problem(tmp_path / "p.sl")
    rows = compare_methods(problem, FakeBackend(TABLES, TRUTH), var("cic"), range(4), deadline=time.monotonic() - 1)
    reasons = {row.method: row.reason for row in rows}
    assert reasons.pop("sycam answer") is None
    assert set(reasons.values()) == {"not computed (time; pass --compare all)"}


def test_a_torchvision_model_without_weights_is_announced_as_random(tmp_path):
    from sycam_sygus.backends.torch_cam.models import load_model

    with pytest.warns(UserWarning, match="RANDOM weights"):
        load_model("resnet18")

    class Described(FakeBackend):
        def describe(self):
            return {**super().describe(), "warnings": ["model 'resnet18' runs on RANDOM weights"]}

    problem = make_problem(tmp_path / "p.sl")
    with contextlib.redirect_stdout(io.StringIO()):
        run_search(problem, Described(TABLES, TRUTH), {}, tmp_path / "out", quiet=True, compare="none")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert "model 'resnet18' runs on RANDOM weights" in report["warnings"]
    assert "**warning**: model 'resnet18' runs on RANDOM weights" in (tmp_path / "out" / "report.md").read_text()


def test_the_stop_reason_and_the_counters_are_the_same_words_on_stderr_and_in_the_report(tmp_path):
    problem = make_problem(tmp_path / "p.sl")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        run_search(problem, FakeBackend(TABLES, TRUTH), {}, tmp_path / "out", compare="none")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["stop_reason"] == "answered"  # threshold mode: the first candidate to pass
    text = (tmp_path / "out" / "report.md").read_text()
    for words, count in report["counts_in_words"].items():
        assert f"sycam:   {words}: {count}" in err.getvalue() and f"| {words} | {count} |" in text
    assert "stopped: answered" in err.getvalue() and "- stopped: answered" in text


def test_the_acceptance_verdict_is_spelled_out_with_its_numbers():
    from sycam_sygus.app.report import acceptance

    tie = acceptance([1.0, 0.0, 0.0, 1.0], [0.5] * 4, maximise=True)
    assert tie["verdict"] == "does not pass: on 2/4 images (needs 2) and mean 0.5000 ≤ 0.5000"
    better = acceptance([0.4, 0.2, 0.3], [0.5, 0.5, 0.5], maximise=False)
    assert better["verdict"] == "passes on 3/3 images (needs 2) and mean 0.3000 < 0.5000"
    few = acceptance([0.9, 0.1, 0.1, 0.1], [0.2] * 4, maximise=True)  # better mean, too few images
    assert few["verdict"] == "does not pass: on 1/4 images (needs 2) and mean 0.3000 > 0.2000"
