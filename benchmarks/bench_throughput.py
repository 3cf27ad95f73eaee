"""Throughput: the timed batch size against a sweep, candidate batching, and Ray workers (not a test).

    python benchmarks/bench_throughput.py batch            # forwards/s: chosen batch vs best of a sweep
    python benchmarks/bench_throughput.py search           # scored candidate-images/s, candidate-batch 1 vs 16
    python benchmarks/bench_throughput.py ray              # the same search with 1 and 2 Ray workers; Ray's time per call
    python benchmarks/bench_throughput.py --help

Times are wall-clock seconds (`time.perf_counter`) with one torch thread per process; on a
shared machine they include whatever else runs, so each figure is the best of a few repeats.

- `batch`: per model (the built-in CNN at 64×64; ResNet-18 with random weights at 112×112, which keeps a
  sweep on a 2-core CPU to minutes) and
  per call size (a small call, like the grid memo's misses of one tier; a large one, like a
  terminal over a tier), forwards per second of `Classifier.probs` at every batch size of the
  sweep and at the size `batch_choice.choose_batch_size` picks (measured fresh, not cached).
- `search`: the optimise-mode variant of grammars/quickstart.sl (the constraint made an
  objective, so the search goes through its whole candidate budget) on the built-in model, with
  the terminals already in the cache; scored candidate-images per second of search (a scored
  candidate-image is one candidate's score on one image of a tier, as the candidate log counts).
- `ray`: that search with `workers 1` (no Ray) and `workers 2` (a local Ray, two actors with one
  thread each), and the time one tier call takes through Ray when nothing needs a forward (memo
  warm) against the same call on one in-process backend.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from sycam_sygus.backends.torch_cam.backend import open_backend
from sycam_sygus.backends.torch_cam.batch_choice import SIZES, choose_batch_size
from sycam_sygus.backends.torch_cam.distributed import open_distributed
from sycam_sygus.backends.torch_cam.models import Classifier, find_layer, load_model

from sycam_sygus.engine.observer import Observer
from sycam_sygus.engine.search import solve
from sycam_sygus.frontend.lower import load_problem

QUICKSTART = Path(__file__).resolve().parent.parent / "grammars" / "quickstart.sl"


# ---------------------------------------------------------------- batch


def forwards_per_second(classifier: Classifier, pixels: torch.Tensor, batches: list[int],
                        rounds: int) -> dict[int, float]:
    """Images per second of `probs` over `pixels` at each batch size: the best of `rounds` rounds,
    each timing every size once (interleaved, so a busy spell on a shared machine hits all sizes)."""
    targets = torch.zeros(len(pixels), dtype=torch.long)
    best = {batch: float("inf") for batch in batches}
    for batch in batches:  # warm-up
        classifier.batch_size = batch
        classifier.probs(pixels[:batch], targets[:batch])
    for _ in range(rounds):
        for batch in batches:
            classifier.batch_size = batch
            start = time.perf_counter()
            classifier.probs(pixels, targets)
            best[batch] = min(best[batch], time.perf_counter() - start)
    return {batch: len(pixels) / seconds for batch, seconds in best.items()}


def bench_batch(repeats: int) -> None:
    models = [("builtin:cluttered-mnist", "built-in CNN 64×64", None, (12, 600)),
              ("resnet18", "ResNet-18 112×112 (random weights)", (112, 112), (12, 96))]
    print("| model | call | chosen batch | forwards/s at chosen | best of sweep (batch) | chosen / best |")
    print("|---|---|---|---|---|---|")
    for name, label, size, calls in models:
        model, layer, normalize, default_size = load_model(name)
        module, _ = find_layer(model, layer)
        size = size or default_size
        classifier = Classifier(model, module, normalize, "cpu", 1)
        sample = torch.rand(8, 3, *size)
        started = time.perf_counter()
        chosen = choose_batch_size(classifier, sample, "bench", None)
        choosing = time.perf_counter() - started
        for call in calls:
            pixels = torch.rand(call, 3, *size)
            batches = sorted({b for b in SIZES if b <= max(call, 16)} | {chosen})
            sweep = forwards_per_second(classifier, pixels, batches, repeats)
            at_chosen = sweep[chosen]
            best_batch = max(sweep, key=sweep.get)
            print(f"| {label} | {call} images | {chosen} (timed in {choosing:.1f} s) | {at_chosen:.0f} | "
                  f"{sweep[best_batch]:.0f} ({best_batch}) | {at_chosen / sweep[best_batch]:.2f} |")
            print("    sweep: " + ", ".join(f"{b}: {v:.0f}/s" for b, v in sweep.items()))


# ---------------------------------------------------------------- search


class ScoredImages(Observer):
    """Counts scored candidate-images on tiers (the equivalence subset excluded) and times the search."""

    def __init__(self):
        self.images = 0
        self.started = self.ended = 0.0

    def on_start(self, info):
        self.started = time.perf_counter()

    def on_scored(self, term, tier, images, scores, passed):
        if tier.is_tier:
            self.images += len(images)

    def on_finish(self, result):
        self.ended = time.perf_counter()

    @property
    def rate(self) -> float:
        return self.images / (self.ended - self.started)


def optimise_problem(folder: Path) -> Path:
    """grammars/quickstart.sl with its constraint made an objective (the search uses its whole budget)."""
    path = folder / "quickstart-optimise.sl"
    path.write_text(QUICKSTART.read_text().replace("(constraint (>= (deletion weights) (deletion gradcam)))",
                                                   "(optimize-synth ((! (deletion weights) :max)))"))
    return path


def backend_for(settings):
    """The in-process backend, or the Ray one for `workers` > 1 (as the command line opens them)."""
    return open_distributed(settings) if settings.workers > 1 else open_backend(settings)


def one_search(path: Path, overrides: dict) -> tuple[ScoredImages, object]:
    problem = load_problem(str(path), overrides)
    backend = backend_for(problem.settings)
    observer = ScoredImages()
    result = solve(problem, backend, observer)
    return observer, result


def bench_search(args: argparse.Namespace, folder: Path) -> None:
    path = optimise_problem(folder)
    base = {"images": args.images, "tiers": args.tiers, "max-candidates": args.candidates}
    one_search(path, base)  # fills the terminal cache and the batch-size choice
    rows = {}
    for batch in (1, 16):
        runs = [one_search(path, {**base, "candidate-batch": batch}) for _ in range(args.repeats)]
        rows[batch] = runs
    print(f"search: quickstart as optimise, {args.images} images, tiers {args.tiers}, {args.candidates} candidates")
    print("| candidate-batch | scored candidate-images | best s | candidate-images/s (best, median) | answer |")
    print("|---|---|---|---|---|")
    for batch, runs in rows.items():
        rates = [o.rate for o, _ in runs]
        best = max(runs, key=lambda run: run[0].rate)[0]
        answer = runs[0][1].raw_answer
        print(f"| {batch} | {best.images} | {best.ended - best.started:.2f} | {max(rates):.0f}, "
              f"{statistics.median(rates):.0f} | {answer} |")


# ---------------------------------------------------------------- ray


def bench_ray(args: argparse.Namespace, folder: Path) -> None:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    path = optimise_problem(folder)
    base = {"images": args.images, "tiers": args.tiers, "max-candidates": args.candidates}
    one_search(path, base)  # fills the terminal cache and the batch-size choice
    rows = {}
    for workers in (1, 2):
        rows[workers] = [one_search(path, {**base, "workers": workers}) for _ in range(args.repeats)]
    print(f"ray: quickstart as optimise, {args.images} images, tiers {args.tiers}, {args.candidates} candidates")
    print("| workers | candidate-images/s (best, median) | answer |")
    print("|---|---|---|")
    for workers, runs in rows.items():
        rates = [o.rate for o, _ in runs]
        print(f"| {workers} | {max(rates):.0f}, {statistics.median(rates):.0f} | {runs[0][1].raw_answer} |")
    speed = max(o.rate for o, _ in rows[2]) / max(o.rate for o, _ in rows[1])
    print(f"2 workers / 1 worker: {speed:.2f}x")
    # Ray's own time per tier call: one warm candidate on the first tier (no forward needed)
    problem = load_problem(str(path), base)
    tier = list(range(int(str(args.tiers).split()[0])))
    times = {}
    for workers in (1, 2):
        backend = backend_for(problem.settings.replace(workers=workers))
        weights = [backend.terminal("grads", tier)]
        backend.score(weights, tier, "deletion")  # warms the memo
        samples = []
        for _ in range(args.calls):
            start = time.perf_counter()
            backend.score(weights, tier, "deletion")
            samples.append(time.perf_counter() - start)
        times[workers] = statistics.median(samples)
    print(f"one warm tier call ({len(tier)} images, 1 candidate), median of {args.calls}: in-process "
          f"{times[1] * 1e3:.1f} ms, through 2 Ray actors {times[2] * 1e3:.1f} ms: Ray adds "
          f"{(times[2] - times[1]) * 1e3:.1f} ms per call")
    ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("batch", "search", "ray"))
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--tiers", default="10 30 60")
    parser.add_argument("--candidates", type=int, default=40, help="scored candidates per search")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--calls", type=int, default=20, help="tier calls timed for Ray's overhead")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("SYCAM_THREADS", "1")))
    with tempfile.TemporaryDirectory() as cache:
        os.environ.setdefault("SYCAM_CACHE", cache)  # a fresh terminal cache unless one is given
        if args.what == "batch":
            bench_batch(max(args.repeats, 5))
        elif args.what == "search":
            bench_search(args, Path(cache))
        else:
            bench_ray(args, Path(cache))


if __name__ == "__main__":
    main()
