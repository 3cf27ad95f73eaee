"""The solver on a real backend: the tiny CNN of tiny_models.py through TorchBackend (the real CAM
template, real metric, real map keys), for the rules the fake backend's tests also check."""
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from problems import make_problem
from sycam_sygus.backends.torch_cam.backend import TorchBackend
from sycam_sygus.backends.torch_cam.data import ImageSet
from sycam_sygus.backends.torch_cam.models import Classifier
from test_torch_backend import folder, gap_model  # noqa: F401 (folder is a fixture)
from tiny_models import GapNet

from sycam_sygus.app.sanity import sanity_checks
from sycam_sygus.engine.correctness import beats
from sycam_sygus.engine.observer import Observer
from sycam_sygus.engine.search import solve
from sycam_sygus.ir import REAL, app, hole, to_sygus, var

W, T = hole("W", REAL), hole("T", REAL)
TERMS = ("grads", "pos_grads", "xgrads", "act")
PRODUCTIONS = {
    "W": (T, app("+", (W, W), REAL), app("*", (W, W), REAL), app("relu", (W,), REAL), app("-", (W, W), REAL)),
    "T": tuple(var(name) for name in TERMS),
}


def tiny_backend(images=16, seed=2):
    """GapNet (logits scaled up, so deleting cells moves the probability) on noise with one bright
    square per image; seed 2 predicts two classes."""
    torch.manual_seed(seed)
    model = GapNet(classes=3)
    with torch.no_grad():
        model.classifier.weight.mul_(40.0)
    generator = torch.Generator().manual_seed(seed + 1)
    pixels = 0.2 * torch.rand(images, 3, 16, 16, generator=generator)
    for i in range(images):
        row, col = torch.randint(0, 10, (2,), generator=generator).tolist()
        pixels[i, :, row:row + 6, col:col + 6] += torch.rand(3, 1, 1, generator=generator)
    data = ImageSet(pixels.clamp(0, 1), torch.full((images,), -1), None, [f"{i}.png" for i in range(images)],
                    [(16, 16)] * images)
    return TorchBackend(Classifier(model, model.features, None, "cpu", batch_size=8), data, steps=4)


class Recorder(Observer):
    def __init__(self):
        self.stages, self.scored, self.best, self.starts = [], [], [], []

    def on_start(self, info):
        self.starts.append(info)

    def on_candidate(self, term, stage):
        self.stages.append((to_sygus(term), stage))

    def on_scored(self, term, tier, images, scores, passed):
        self.scored.append((to_sygus(term), tier, list(images), list(scores), passed))

    def on_best(self, term, mean):
        self.best.append((to_sygus(term), mean))


def run(levels, mode="optimise", **options):
    recorder = Recorder()
    # optimise mode from the worst value (no baseline), so the threshold moves several times;
    # threshold mode against the activations alone, which this net's gradients beat
    kwargs = dict(params=TERMS, tiers=[4, 12], max_size=5,
                  equivalence=levels, **{"eq-images": 3, "max_candidates": 60, **options})
    if mode == "threshold":
        kwargs.update(mode="threshold", baseline="cam", baselines={"cam": var("act")})
    problem = make_problem(PRODUCTIONS, **{k.replace("-", "_"): v for k, v in kwargs.items()})
    backend = tiny_backend()
    return solve(problem, backend, recorder), recorder, backend


@pytest.fixture(scope="module")
def with_maps():
    return run("value map")


def test_map_sharing_never_changes_an_outcome_or_a_score(with_maps):
    shared, shared_log, shared_backend = with_maps
    plain, plain_log, plain_backend = run("value")
    assert to_sygus(shared.answer) == to_sygus(plain.answer) and shared.objective == plain.objective
    assert [s for s in shared_log.stages] == [s for s in plain_log.stages]  # same candidates, same verdicts
    assert {(t, k, tuple(s)) for t, k, _, s, _ in shared_log.scored} == \
        {(t, k, tuple(s)) for t, k, _, s, _ in plain_log.scored}
    assert shared.counts["shared-map"] > 0  # some tier evaluations were answered from keys alone
    assert shared_backend.forwards <= plain_backend.forwards


def test_optimise_mode_improves_strictly_under_the_acceptance_rule(with_maps):
    result, recorder, _ = with_maps
    assert recorder.best and result.objective == pytest.approx(recorder.best[-1][1])
    means = [mean for _, mean in recorder.best]
    assert all(later > earlier for earlier, later in zip(means, means[1:]))
    # each new best beats the previous one on the last tier by the rule
    last_tier = {t: np.array(s) for t, (_, tier), _, s, _ in recorder.scored if tier == 1}
    previous = last_tier[recorder.best[0][0]]
    for term, _ in recorder.best[1:]:
        scores = last_tier[term]
        assert 2 * np.count_nonzero(beats(scores, previous, True, False)) >= len(scores)
        assert scores.mean() > previous.mean()
        previous = scores


def test_early_rejection_on_the_real_backend(with_maps):
    _, recorder, _ = with_maps
    failed_first = {t for t, tier, _, _, ok in recorder.scored if tier == (0, 0) and not ok}
    assert failed_first
    assert not {t for t, tier, *_ in recorder.scored if tier == (0, 1)} & failed_first


def test_threshold_mode_answer_passes_every_tier_against_its_baseline():
    result, recorder, _ = run("value map", mode="threshold")
    assert result.status == "solved"
    reference = {tier: np.array(s) for t, (_, tier), _, s, _ in recorder.scored if t == "act"}
    answer = to_sygus(result.raw_answer)
    for tier, scores in {tier: np.array(s) for t, (_, tier), _, s, _ in recorder.scored if t == answer}.items():
        assert 2 * np.count_nonzero(scores >= reference[tier]) >= len(scores)
        assert scores.mean() > reference[tier].mean()
    assert result.stop_reason == "answered"


def test_held_out_images_are_never_searched():
    result, recorder, _ = run("value map", holdout=4)
    assert len(result.holdout) == 4
    searched = {i for info in recorder.starts for tier in info["tiers"] for i in tier}
    searched |= {i for info in recorder.starts for i in info["equivalence_images"]}
    assert not searched & set(result.holdout)
    assert {i for _, _, images, _, _ in recorder.scored for i in images}.isdisjoint(result.holdout)


def test_decomposition_by_class_on_the_real_backend():
    backend = tiny_backend(images=24)
    classes = backend.target_classes(range(24))
    recorder = Recorder()
    problem = make_problem(PRODUCTIONS, params=TERMS, int_params=("class",), mode="threshold", baseline="cam",
                           baselines={"cam": var("act")}, tiers=[3, 12], max_size=3, equivalence="value map",
                           eq_images=3)
    result = solve(problem, backend, recorder)
    assert result.status == "solved" and len(recorder.starts) >= 2  # the default search, then a class's
    for info in recorder.starts[1:]:  # one search per class with enough images, on its images only
        cls = int(info["scope"].split()[-1])
        assert {classes[i] for tier in info["tiers"] for i in tier} == {cls}
    assert result.counts["classes-split"] <= len(recorder.starts) - 1


def test_sanity_checks_see_a_randomised_model_and_flag_a_class_free_expression():
    backend = tiny_backend()
    block = sanity_checks(backend, [("Grad-CAM", var("grads")), ("act", var("act"))], [0, 1, 2], seed=0)
    grads, act = block["methods"]["Grad-CAM"], block["methods"]["act"]
    assert act["class_free"] and not grads["class_free"]
    assert act["class_spearman"] == pytest.approx(1.0)  # activations do not know the class
    assert grads["randomised_spearman"] is not None and grads["randomised_spearman"] < 0.99
    assert act["randomised_spearman"] == pytest.approx(1.0)  # nothing below the target layer changed


def test_problem_settings_are_the_engine_tests_defaults():
    problem = make_problem(PRODUCTIONS, params=TERMS)
    assert dataclasses.asdict(problem.settings)["holdout"] == 0


@pytest.mark.parametrize("grammar", ["quickstart.sl", "paper-g1.sl"])
def test_map_level_gives_the_same_answer_and_objective_on_the_shipped_problems(grammar, tmp_path):
    """The issue's acceptance check on a small budget: "value map" and "value" agree in optimise mode."""
    from sycam_sygus.backends.torch_cam.backend import open_backend

    from sycam_sygus.frontend.lower import problem_from_script
    from sycam_sygus.frontend.parser import parse_file

    path = Path(__file__).resolve().parents[1] / "grammars" / grammar
    outcomes = []
    for levels in ("value map", "value"):
        overrides = {"images": 32, "tiers": [8, 24], "max-candidates": 150, "time-limit": 600.0, "max-size": 5,
                     "equivalence": levels, "cache": str(tmp_path)}
        problem = problem_from_script(parse_file(str(path)), overrides)
        optimise = tuple(dataclasses.replace(goal, mode="optimise", baseline=None, constant=None)
                         for goal in problem.goals)
        problem = dataclasses.replace(problem, goals=optimise)
        result = solve(problem, open_backend(problem.settings))
        assert result.stop_reason == "max-candidates"
        assert result.answer is not None
        outcomes.append((to_sygus(result.answer), result.objective, result.counts["scored"]))
    assert outcomes[0] == outcomes[1]


def test_resume_refuses_a_weights_file_whose_contents_changed_under_the_same_path(folder, tmp_path, capsys):  # noqa: F811
    from sycam_sygus.app import cli

    problem = Path(__file__).resolve().parents[1] / "grammars" / "quickstart.sl"
    weights = tmp_path / "weights.pt"
    torch.save(gap_model()[0].state_dict(), weights)
    flags = [str(problem), "--model", "test_torch_backend:gap_model", "--weights", str(weights), "--data",
             str(folder / "data"), "--images", "6", "--tiers", "2 4", "--holdout", "1", "--cache", str(tmp_path / "c"),
             "--max-candidates", "2", "--device", "cpu", "--quiet", "--compare", "none", "--report", str(tmp_path / "r"),
                 "--trust-code"]
    assert cli.main(flags) == 0
    assert cli.main([*flags, "--resume"]) == 0  # same contents: the log is reused
    changed = gap_model()[0]
    with torch.no_grad():
        changed.classifier.weight.add_(1.0)
    torch.save(changed.state_dict(), weights)  # same path, other contents
    capsys.readouterr()
    assert cli.main([*flags, "--resume"]) == 2
    assert "fingerprints differ" in capsys.readouterr().err
