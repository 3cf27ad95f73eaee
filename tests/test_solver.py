"""The solver loop end to end on the fake backend: modes, budgets, decomposition, resume, stop."""
import dataclasses
import threading

import numpy as np
import pytest
from fake_backend import FakeBackend
from problems import make_problem

from sycam_sygus.core.errors import SygusError
from sycam_sygus.core.settings import Settings
from sycam_sygus.engine.observer import Observer
from sycam_sygus.engine.search import solve
from sycam_sygus.ir import REAL, app, hole, to_sygus, var

W, T = hole("W", REAL), hole("T", REAL)


class Recorder(Observer):
    """Keeps every event, and the backend's forward counter at each candidate event."""

    def __init__(self, backend=None):
        self.backend = backend
        self.stages, self.scored, self.best, self.starts = [], [], [], []

    def on_start(self, info):
        self.starts.append(info)

    def on_candidate(self, term, stage):
        self.stages.append((to_sygus(term), stage, self.backend.forwards if self.backend else None))

    def on_scored(self, term, tier, images, scores, passed):
        self.scored.append((to_sygus(term), tier, list(images), list(scores), passed))

    def on_best(self, term, mean):
        self.best.append((to_sygus(term), mean))


def published_setup(n=24, k=8, seed=0):
    """The sanity experiment: per-image truth is ReLU(grads * abl), so `(* grads abl)` dominates."""
    rng = np.random.default_rng(seed)
    table = {name: rng.normal(size=(n, k)) for name in ("grads", "cic", "abl")}
    backend = FakeBackend(table, np.maximum(table["grads"] * table["abl"], 0.0) + 1e-9)
    productions = {
        "W": (T, app("+", (W, W), REAL), app("*", (W, W), REAL), app("relu", (W,), REAL)),
        "T": (var("grads"), var("cic"), var("abl")),
    }
    return backend, productions


def solve_published_threshold(**options):
    """The sanity experiment in threshold mode against Grad-CAM, tiers of 6 and 24 images."""
    backend, productions = published_setup()
    recorder = Recorder()
    problem = make_problem(productions, params=("grads", "cic", "abl"), mode="threshold", baseline="gradcam",
                           baselines={"gradcam": var("grads")}, tiers=[6, 24], max_size=5, **options)
    return solve(problem, backend, recorder), recorder


def test_recovers_the_dominant_known_method():
    backend, productions = published_setup()
    problem = make_problem(productions, params=("grads", "cic", "abl"), baselines={"gradcam": var("grads")},
                           tiers=[6, 12, 24], max_size=5)
    result = solve(problem, backend)
    assert result.status == "solved" and not result.interrupted
    assert to_sygus(result.raw_answer) == "(* grads abl)"
    assert result.objective == pytest.approx(1.0)
    assert result.baselines["gradcam"][-1] < 0.9


def test_optimise_mode_moves_the_threshold_to_each_new_best():
    # One image, truth [1, 3]; cosines: x 0.316, y 0.949, z=[1, 1] 0.894.
    # From the worst value x passes, y beats x, z beats x but not y: it must be rejected.
    table = {"x": np.array([[1.0, 0.0]]), "y": np.array([[0.0, 1.0]]), "z": np.array([[1.0, 1.0]])}
    backend = FakeBackend(table, np.array([[1.0, 3.0]]))
    recorder = Recorder()
    problem = make_problem({"W": (var("x"), var("y"), var("z"))}, params=("x", "y", "z"), tiers=[1])
    result = solve(problem, backend, recorder)
    assert [name for name, _ in recorder.best] == ["x", "y"]
    assert [s for s in recorder.stages if s[1] in ("passed", "rejected")] == [
        ("x", "passed", None), ("y", "passed", None), ("z", "rejected", None)]
    assert to_sygus(result.answer) == "y" and result.status == "solved"
    assert result.objective == pytest.approx(3 / np.sqrt(10))


def test_optimise_mode_starts_from_the_best_declared_baseline():
    table = {"x": np.array([[1.0, 0.0]]), "y": np.array([[0.0, 1.0]]), "z": np.array([[1.0, 1.0]])}
    backend = FakeBackend(table, np.array([[1.0, 3.0]]))
    problem = make_problem({"W": (var("x"), var("z"))}, params=("x", "y", "z"), tiers=[1],
                           baselines={"weak": var("x"), "strong": var("y")})
    result = solve(problem, backend)
    # neither x nor z beats the strong baseline y, and the finite grammar is exhausted
    assert result.status == "infeasible" and result.answer is None
    assert result.baselines["strong"] == [pytest.approx(3 / np.sqrt(10))]
    # two baselines on one image, then only z: the candidate x reuses the weak baseline's score
    assert result.counts["reused-scores"] == 1 and result.forwards == 3


def test_threshold_mode_answers_the_first_candidate_that_passes_every_tier():
    result, recorder = solve_published_threshold()
    decided = [(t, s) for t, s, _ in recorder.stages if s in ("passed", "rejected")]
    assert decided[-1] == (to_sygus(result.raw_answer), "passed")
    assert all(s == "rejected" for _, s in decided[:-1])
    reference = {tier: np.array(scores) for t, (_, tier), _, scores, _ in recorder.scored if t == "grads"}
    answer_scores = [np.array(s) for t, _, _, s, _ in recorder.scored if t == decided[-1][0]]
    for tier, scores in enumerate(answer_scores):
        assert 2 * np.sum(scores >= reference[tier]) >= len(scores)
        assert scores.mean() > reference[tier].mean()


def test_early_rejection_scores_only_the_first_tier_and_counts_forwards_exactly():
    backend, productions = published_setup()
    recorder = Recorder(backend)
    problem = make_problem(productions, params=("grads", "cic", "abl"), mode="threshold", baseline="gradcam",
                           baselines={"gradcam": var("grads")}, tiers=[6, 24], max_size=5,
                           candidate_batch=1)  # no look-ahead past the answer
    result = solve(problem, backend, recorder)
    # the baseline's own scores are reported on every tier: leave grads out
    rejected_at_first = {t for t, tier, _, _, ok in recorder.scored if tier == (0, 0) and not ok and t != "grads"}
    assert rejected_at_first
    assert not any(t in rejected_at_first and tier == (0, 1) for t, tier, _, _, _ in recorder.scored)
    # grads and (relu grads) map like the baseline on every image: checked, but no score is recomputed
    costs = {(t, s): f for t, s, f in recorder.stages}
    for twin in ("grads", "(relu grads)"):
        assert costs[(twin, "rejected")] == costs[(twin, "enumerated")]
    # baseline: 6 + 18 new images; each candidate at most 6, plus 18 more if it passes tier 0
    passed_first = sum(1 for t, tier, _, _, ok in recorder.scored if tier == (0, 0) and ok and t != "grads")
    assert result.forwards <= 24 + 6 * result.counts["scored"] + 18 * passed_first
    assert result.counts["shared-map"] >= 1


def test_variants_with_equal_maps_cost_no_forwards_and_commuted_ones_are_not_enumerated():
    backend, productions = published_setup()
    recorder = Recorder(backend)
    problem = make_problem(productions, params=("grads", "cic", "abl"), tiers=[24], max_size=3)
    solve(problem, backend, recorder)
    stages = {(t, s): f for t, s, f in recorder.stages}
    # (+ grads grads) is 2·grads: shared by the scale key, never scored; (relu grads) maps like
    # grads on every image: its outcome is decided on grads' scores, reused image by image, at no
    # forward; (* abl grads) is (* grads abl) reordered
    assert stages[("(+ grads grads)", "shared-scale")] == stages[("(+ grads grads)", "enumerated")]
    decided = stages.get(("(relu grads)", "rejected"), stages.get(("(relu grads)", "passed")))
    assert decided == stages[("(relu grads)", "enumerated")]
    assert ("(* abl grads)", "pruned-syntax") in stages
    scored_terms = {t for t, *_ in recorder.scored}
    assert "(* abl grads)" not in scored_terms and "(* grads abl)" in scored_terms


def test_exhausted_finite_grammar_is_infeasible_and_a_spent_budget_is_fail():
    backend, _ = published_setup()
    finite = {"W": (T, app("*", (T, T), REAL)), "T": (var("grads"), var("abl"))}
    impossible = dict(mode="threshold", constant=2.0, tiers=[24])  # a cosine never reaches 2
    result = solve(make_problem(finite, params=("grads", "abl"), max_size=9, **impossible), backend)
    assert result.status == "infeasible" and result.answer is None
    cut = solve(make_problem(finite, params=("grads", "abl"), max_size=2, **impossible), backend)
    assert cut.status == "fail"
    recursive = {"W": (var("grads"), var("abl"), app("+", (W, W), REAL), app("*", (W, W), REAL))}
    spent = solve(make_problem(recursive, params=("grads", "abl"), max_candidates=4, max_size=20, **impossible),
                  backend)
    assert spent.status == "fail" and spent.counts["scored"] == 4


def test_class_decomposition_answers_an_ite_over_classes():
    # class 0 images want x, class 1 images want y, class 2 has one image (below the smallest tier).
    classes = [0, 0, 0, 1, 1, 1, 1, 2]
    eye = np.eye(3)
    truth = np.array([eye[c] for c in classes]) + 1e-9
    table = {"x": np.tile(eye[0], (8, 1)), "y": np.tile(eye[1], (8, 1)), "z": np.tile(eye[2], (8, 1)),
             "w": np.tile([1.0, 1.0, 0.0], (8, 1))}
    productions = {"W": tuple(var(n) for n in ("x", "y", "z", "w"))}
    options = dict(params=("x", "y", "z", "w"), tiers=[3, 8])
    plain = solve(make_problem(productions, **options), FakeBackend(table, truth, classes))
    backend = FakeBackend(table, truth, classes)
    recorder = Recorder()
    result = solve(make_problem(productions, int_params=("class",), **options), backend, recorder)
    assert to_sygus(plain.raw_answer) == "y"  # the all-images answer
    # class 1's search answers y too, the default's term: only class 0 needs a branch
    assert result.status == "solved" and to_sygus(result.raw_answer) == "(ite (= class 0) x y)"
    assert [info["scope"] for info in recorder.starts] == ["all images", "class 0", "class 1"]
    assert result.counts["classes-split"] == 1
    assert result.objective > plain.objective  # each class gets its own best expression
    assert any("class 0: tier of 8 images clipped" in w for w in result.warnings)
    # with a smallest tier of 5 no class has enough images: the answer is the default alone
    options["tiers"] = [5, 8]
    alone = solve(make_problem(productions, int_params=("class",), **options), FakeBackend(table, truth, classes))
    plain = solve(make_problem(productions, **options), FakeBackend(table, truth, classes))
    assert alone.raw_answer is plain.raw_answer and alone.counts["classes-split"] == 0



def test_a_class_whose_answer_is_the_defaults_adds_no_branch():
    # every image wants x: the default and both class searches answer x, so there is nothing to split
    classes = [0, 0, 0, 0, 1, 1, 1, 1]
    eye = np.eye(3)
    truth = np.tile(eye[0], (8, 1)) + 1e-9
    table = {"x": np.tile(eye[0], (8, 1)), "y": np.tile(eye[1], (8, 1)), "w": np.tile([1.0, 1.0, 0.0], (8, 1))}
    options = dict(params=("x", "y", "w"), int_params=("class",), tiers=[3, 8])
    recorder = Recorder()
    result = solve(make_problem({"W": (var("x"), var("y"), var("w"))}, **options), FakeBackend(table, truth, classes),
                   recorder)
    assert [info["scope"] for info in recorder.starts] == ["all images", "class 0", "class 1"]
    assert result.status == "solved" and to_sygus(result.raw_answer) == "x" and to_sygus(result.answer) == "x"
    assert result.counts["classes-split"] == 0


def test_a_decomposed_answer_that_fails_the_all_image_tiers_falls_back_to_the_default():
    # Per-image scores are set directly (cosine of (s, sqrt(1-s²)) with truth (1, 0) is s).
    # Classes 0 and 1 (5 images each): base 0.5, x 0.52, f 0.9; class 2 (3 images, below the
    # smallest tier): base 0.6, x 0.1, f 0.3. Over all images x fails and f passes; each class
    # search answers x, which beats base on its own class. But the combined
    # (ite (= class 0) x (ite (= class 1) x f)) has mean 6.1/13 < base's 6.8/13: it fails.
    classes = [0] * 5 + [1] * 5 + [2] * 3
    per_class = {"base": (0.5, 0.5, 0.6), "x": (0.52, 0.52, 0.1), "f": (0.9, 0.9, 0.3)}
    table = {name: np.array([[s[c], np.sqrt(1 - s[c] ** 2)] for c in classes]) for name, s in per_class.items()}
    truth = np.tile([1.0, 0.0], (len(classes), 1))
    options = dict(params=("base", "x", "f"), int_params=("class",), mode="threshold", baseline="base",
                   baselines={"base": var("base")}, tiers=[4, 13], equivalence="")
    recorder = Recorder()
    result = solve(make_problem({"W": (var("x"), var("f"))}, **options), FakeBackend(table, truth, classes),
                   recorder)
    assert result.counts["classes-split"] == 2  # both class searches found x
    assert result.status == "solved" and to_sygus(result.raw_answer) == "f"
    assert result.objective == pytest.approx((10 * 0.9 + 3 * 0.3) / 13)
    combined = "(ite (= class 0) x (ite (= class 1) x f))"
    assert [passed for term, _, _, _, passed in recorder.scored if term == combined] == [False]

def scored_log(recorder):
    return {(t, tier): scores for t, tier, _, scores, _ in recorder.scored}


def test_resume_with_known_scores_evaluates_nothing_twice_and_answers_the_same():
    backend, productions = published_setup()
    kwargs = dict(params=("grads", "cic", "abl"), baselines={"gradcam": var("grads")}, tiers=[6, 24],
                  max_size=5, max_candidates=40, equivalence="value map metric",
                  candidate_batch=1)  # exact forward accounting: look-ahead scores past a stop are not logged
    full = solve(make_problem(productions, **kwargs), published_setup()[0])

    class StopAfter(Recorder):
        def __init__(self, stop, after):
            super().__init__()
            self.stop, self.after, self.decided = stop, after, 0

        def on_candidate(self, term, stage):
            super().on_candidate(term, stage)
            self.decided += stage in ("passed", "rejected")
            if self.decided == self.after:
                self.stop.set()

    stop = threading.Event()
    first_backend = published_setup()[0]
    first = StopAfter(stop, 15)
    partial = solve(make_problem(productions, **kwargs), first_backend, first, stop=stop)
    assert partial.interrupted and partial.counts["scored"] == 15
    second = Recorder()
    second_backend = published_setup()[0]
    resumed = solve(make_problem(productions, **kwargs), second_backend, second, known_scores=scored_log(first))
    assert to_sygus(resumed.raw_answer) == to_sygus(full.raw_answer)
    assert resumed.objective == full.objective and resumed.counts["scored"] == full.counts["scored"]
    assert first_backend.forwards + second_backend.forwards == full.forwards
    assert resumed.counts["known-scores"] == len(scored_log(first))
    assert 0 < second_backend.forwards < full.forwards


def test_stop_event_and_ctrl_c_return_the_best_so_far():
    backend, productions = published_setup()
    problem = make_problem(productions, params=("grads", "cic", "abl"), tiers=[24], max_size=7)

    class StopAtFirstBest(Recorder):
        def __init__(self, stop):
            super().__init__()
            self.stop = stop

        def on_best(self, term, mean):
            super().on_best(term, mean)
            self.stop.set()

    stop = threading.Event()
    observer = StopAtFirstBest(stop)
    result = solve(problem, backend, observer, stop=stop)
    assert result.interrupted and result.status == "solved"
    assert to_sygus(result.raw_answer) == observer.best[0][0] == "grads"

    class CtrlCAfterSecondBest(Recorder):
        def on_best(self, term, mean):
            super().on_best(term, mean)
            if len(self.best) == 2:
                raise KeyboardInterrupt

    observer = CtrlCAfterSecondBest()
    result = solve(problem, published_setup()[0], observer)
    assert result.interrupted and to_sygus(result.raw_answer) == observer.best[1][0]
    assert result.objective == pytest.approx(observer.best[1][1])


def test_same_seed_same_run_and_bad_goals_are_sygus_errors():
    backend, productions = published_setup()
    problem = make_problem(productions, params=("grads", "cic", "abl"), tiers=[6, 24], max_size=5)
    one, two = solve(problem, backend), solve(problem, published_setup()[0])
    assert to_sygus(one.raw_answer) == to_sygus(two.raw_answer) and one.counts == two.counts
    with pytest.raises(SygusError, match="unknown baseline 'gradcan'"):
        solve(make_problem(productions, mode="threshold", baseline="gradcan", baselines={"gradcam": var("grads")}),
              backend)
    with pytest.raises(SygusError, match="equivalence"):  # refused when the settings are resolved
        Settings.resolve(flags={"equivalence": "value mapp"})
    with pytest.raises(SygusError, match="at least one image"):
        Settings.resolve(flags={"eq-images": 0})
    no_levels = solve(make_problem(productions, params=("grads", "cic", "abl"), tiers=[24], max_size=3,
                                   eq_images=0, equivalence=""), published_setup()[0])
    assert no_levels.counts["scored"] == no_levels.counts["enumerated"] > 0


def test_a_spent_time_budget_is_fail_before_any_candidate():
    backend, productions = published_setup()
    result = solve(make_problem(productions, params=("grads", "cic", "abl"), tiers=[24], time_limit=0.0), backend)
    assert result.status == "fail" and result.counts.get("scored", 0) == 0 and not result.interrupted


def test_the_time_limit_also_bounds_the_baselines(monkeypatch):
    import io

    import sycam_sygus.engine.search as solver_module
    from sycam_sygus.app.progress import Progress

    backend, productions = published_setup()
    baselines = {"gradcam": var("grads"), "ablation": var("abl")}
    options = dict(params=("grads", "cic", "abl"), tiers=[6, 12, 24], baselines=baselines)
    result = solve(make_problem(productions, time_limit=0.0, **options), backend)
    assert result.status == "fail" and backend.forwards == 0 and result.baselines == {}
    # a clock that moves one second per backend.score call: the deadline (2.5 s) is checked
    # before each tier, so scoring stops after the third tier evaluation, inside the 2nd baseline
    clock = [0.0]
    monkeypatch.setattr(solver_module.time, "monotonic", lambda: clock[0])
    backend = published_setup()[0]
    score = backend.score

    def ticking_score(*args):
        clock[0] += 1.0
        return score(*args)

    backend.score = ticking_score
    result = solve(make_problem(productions, time_limit=2.5, **options), backend)
    assert result.status == "fail" and len(backend.score_log) == 3
    assert list(result.baselines) == ["gradcam"] and result.counts.get("scored", 0) == 0
    # and a spent budget still says so on the progress line
    stream = io.StringIO()
    Progress(stream, time_limit=0.0).on_start({"tiers": [[0]], "metric": "deletion"})
    assert "time limit 0s" in stream.getvalue()


def test_threshold_mode_scores_only_the_goals_baseline():
    backend, productions = published_setup()
    problem = make_problem(productions, params=("grads", "cic", "abl"), mode="threshold", baseline="gradcam",
                           baselines={"gradcam": var("grads"), "helper": var("cic")}, tiers=[6, 24], max_size=3,
                           candidate_batch=1)  # batched candidates hear their events after the batch is scored
    recorder = Recorder(backend)
    result = solve(problem, backend, recorder)
    assert list(result.baselines) == ["gradcam"] and recorder.starts[0]["baselines"] == {"gradcam": "grads"}
    # before the first candidate only gradcam was scored: 24 images, one forward each
    assert recorder.stages[0][2] == 24



def test_a_non_finite_candidate_never_wins_a_goal_reversed_to_its_metric():
    # the fake scores non-finite weights with the metric's worst value (-inf for deletion, higher
    # is better); minimising deletion, that would be the best value unless the engine reads it as
    # the goal's worst
    table = {"x": np.array([[np.inf, 1.0]]), "y": np.array([[1.0, 0.0]])}
    backend = FakeBackend(table, np.array([[1.0, 3.0]]))
    problem = make_problem({"W": (var("x"), var("y"))}, params=("x", "y"), tiers=[1])
    minimise = dataclasses.replace(problem.goals[0], maximise=False)
    result = solve(dataclasses.replace(problem, goals=(minimise,)), backend)
    assert to_sygus(result.answer) == "y" and np.isfinite(result.objective)


def test_the_printed_answer_is_the_one_the_objective_was_measured_on(monkeypatch):
    # a "simplification" that changes the scores (as float32 rewrites can) must not be printed
    # with the enumerated answer's objective: the enumerated answer is printed instead
    import sycam_sygus.engine.search as search_module

    backend, productions = published_setup()
    problem = make_problem(productions, params=("grads", "cic", "abl"), baselines={"gradcam": var("grads")},
                           tiers=[6, 24], max_size=5)
    monkeypatch.setattr(search_module, "simplify", lambda term: var("cic"))
    result = solve(problem, backend)
    assert to_sygus(result.raw_answer) == "(* grads abl)"
    assert to_sygus(result.answer) == "(* grads abl)"


def test_the_fake_backend_follows_the_cam_template():
    # channel 0 lights cell 0; channel 1 lights cells 0 and 1. w = [-1, 1]: Σ w_k A^k = [0, 1], so
    # the map is [0, 1]; ReLU on the weights first ([0, 1] · A = [1, 1], constant) would give zeros
    acts = np.array([[[1.0, 0.0], [1.0, 1.0]]])
    backend = FakeBackend({"x": np.array([[-1.0, 1.0]])}, np.array([[0.0, 1.0]]), acts=acts)
    weights = backend.terminal("x", [0])
    assert backend.maps([weights], [0])[0, 0, 0].tolist() == [0.0, 1.0]
    assert backend.score([weights], [0], "deletion")[0, 0] == pytest.approx(1.0)
    assert backend.maps([np.array([[2.0, 0.0]])], [0])[0, 0, 0].tolist() == [1.0, 0.0]  # Σ = [2, 0], peak 1
    assert backend.maps([np.array([[0.0, 0.5]])], [0])[0, 0, 0].tolist() == [0.0, 0.0]  # constant map: zeros
