"""Candidate batching: first tiers of several candidates scored in one backend call, decided in
enumeration order, give the same events, answer and objective as one-at-a-time scoring (on the
numpy fake backend), and the same stdout and candidate log on quickstart (the built-in model)."""
import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from problems import make_problem
from run_logs import logged, quickstart_problem
from test_solver import Recorder, published_setup

import sycam_sygus.app.cli as cli
from sycam_sygus.engine.search import solve
from sycam_sygus.ir import var


class CallCounter:
    """Wraps a backend and records how many candidates each `score` call carries."""

    def __init__(self, backend):
        self.backend = backend
        self.calls: list[int] = []

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def score(self, weights, images, metric):
        self.calls.append(len(weights))
        return self.backend.score(weights, images, metric)


def run(mode: str, batch: int, **options):
    backend, productions = published_setup()
    counter = CallCounter(backend)
    recorder = Recorder()
    extra = {"baseline": "gradcam"} if mode == "threshold" else {}
    problem = make_problem(productions, params=("grads", "cic", "abl"), mode=mode, baselines={"gradcam": var("grads")},
                           tiers=[6, 12, 24], max_size=5, candidate_batch=batch, **extra, **options)
    result = solve(problem, counter, recorder)
    return result, recorder, counter


@pytest.mark.parametrize("mode", ["threshold", "optimise"])
@pytest.mark.parametrize("options", [{}, {"max_candidates": 7}, {"equivalence": "value map metric"}])
def test_batched_candidates_decide_and_report_exactly_as_one_at_a_time(mode, options):
    one, one_events, one_calls = run(mode, 1, **options)
    many, many_events, many_calls = run(mode, 8, **options)
    assert (many.status, many.raw_answer, many.objective) == (one.status, one.raw_answer, one.objective)
    assert many_events.stages == one_events.stages
    assert many_events.scored == one_events.scored
    assert many_events.best == one_events.best
    assert many.counts["scored"] == one.counts["scored"]
    assert max(one_calls.calls) == 1 and max(many_calls.calls) > 1  # the batched run did put candidates together


def test_optimise_mode_rechecks_each_batched_candidate_against_the_moved_threshold():
    result, recorder, _ = run("optimise", 32)
    means = [mean for _, mean in recorder.best]
    assert len(means) >= 2 and means == sorted(means) and len(set(means)) == len(means)  # each best strictly better
    assert result.objective == pytest.approx(1.0)


def test_batched_runs_are_fewer_backend_calls_for_the_same_scores():
    _, _, one = run("optimise", 1)
    _, _, many = run("optimise", 16)
    assert sum(many.calls) == sum(one.calls)  # the same candidate-tier scores ...
    assert len(many.calls) < len(one.calls)  # ... in fewer calls
    assert np.all(np.array(many.calls) >= 1)




def solve_cli(problem: Path, report: Path, *flags: str) -> str:
    """stdout of an in-process `sycam-solve` run on the built-in model (small budget)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main([str(problem), "--report", str(report), "--images", "16", "--tiers", "6 16",
                         "--max-candidates", "20", "--quiet", *flags]) == 0
    return out.getvalue()


@pytest.mark.parametrize("variant", ["quickstart", "optimise"])
def test_quickstart_prints_and_logs_the_same_with_and_without_candidate_batching(variant, tmp_path, monkeypatch):
    monkeypatch.setenv("SYCAM_CACHE", str(tmp_path / "cache"))
    problem = quickstart_problem(variant, tmp_path)
    one = solve_cli(problem, tmp_path / "one", "--candidate-batch", "1")
    many = solve_cli(problem, tmp_path / "many", "--candidate-batch", "16")
    assert one.startswith("(") and many == one
    log = logged(tmp_path / "one" / "candidates.jsonl")
    assert len(log) > 3 and logged(tmp_path / "many" / "candidates.jsonl") == log

