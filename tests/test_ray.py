"""Scale-out on Ray: `workers 2` answers and logs exactly as `workers 1`; a killed actor is replaced.

Runs where the `ray` extra is installed (the test extra includes it); a local Ray with 2 CPUs.
Without Ray, `workers > 1` is a located error naming the extra (tested either way).
"""
import contextlib
import io
import sys
from pathlib import Path

import pytest
from run_logs import QUICKSTART, logged, quickstart_problem

import sycam_sygus.app.cli as cli
from sycam_sygus.core.errors import OptionError
from sycam_sygus.core.settings import Settings

SMALL = ["--images", "16", "--tiers", "6 16", "--quiet"]


def test_workers_without_ray_is_an_error_naming_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails as if not installed
    from sycam_sygus.backends.torch_cam.distributed import open_distributed

    with pytest.raises(OptionError) as caught:
        open_distributed(Settings.resolve(flags={"workers": 2}))
    assert caught.value.option == "workers" and "sycam[ray]" in caught.value.hint
    assert cli.main([str(QUICKSTART), "--workers", "2", *SMALL]) == 2
    err = capsys.readouterr().err
    assert "--workers" in err and "needs Ray" in err and "sycam[ray]" in err


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYCAM_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield ray
    ray.shutdown()


def solve_cli(problem: Path, report: Path, *flags: str) -> str:
    """stdout of an in-process `sycam-solve` run (which joins the test's Ray)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main([str(problem), "--report", str(report), *SMALL, *flags]) == 0
    return out.getvalue()


@pytest.mark.parametrize("variant", ["quickstart", "optimise", "constant"])
def test_two_workers_print_and_log_exactly_what_one_does(local_ray, tmp_path, variant):
    problem = quickstart_problem(variant, tmp_path)
    one = solve_cli(problem, tmp_path / "one", "--max-candidates", "12")
    two = solve_cli(problem, tmp_path / "two", "--max-candidates", "12", "--workers", "2")
    assert one.startswith("(") and two == one
    log_one = logged(tmp_path / "one" / "candidates.jsonl")
    assert len(log_one) > 3 and logged(tmp_path / "two" / "candidates.jsonl") == log_one


def test_a_killed_actor_is_replaced_and_the_answer_is_the_same(local_ray, tmp_path):
    from sycam_sygus.backends.torch_cam.backend import open_backend
    from sycam_sygus.backends.torch_cam.distributed import open_distributed

    from sycam_sygus.engine.observer import Observer
    from sycam_sygus.engine.search import solve
    from sycam_sygus.frontend.lower import load_problem

    overrides = {"images": 16, "tiers": [6, 16], "max-candidates": 12}
    problem = quickstart_problem("optimise", tmp_path)
    alone = load_problem(str(problem), overrides)
    reference = solve(alone, open_backend(alone.settings))
    sharded = load_problem(str(problem), {**overrides, "workers": 2})
    backend = open_distributed(sharded.settings)

    class KillOnce(Observer):
        """Kills the second actor after the fifth score heard, mid-search."""

        def __init__(self):
            self.heard = 0

        def on_scored(self, term, tier, images, scores, passed):
            self.heard += 1
            if self.heard == 5:
                local_ray.kill(backend.actors[1], no_restart=True)

    result = solve(sharded, backend, KillOnce())
    assert backend.replaced >= 1
    assert (result.status, result.raw_answer, result.objective) == (reference.status, reference.raw_answer,
                                                                    reference.objective)
