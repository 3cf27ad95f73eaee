"""End-to-end synthesis benchmark: what one optimising search costs a user (not a test).

For each grammar it loads the problem file with budget overrides, turns its goal into an
objective (optimise mode: the search keeps going through the whole candidate budget instead of
stopping at the first candidate that beats the baseline), opens the torch backend on the CPU with a
fresh, empty terminal cache, and runs `sycam_sygus.engine.search.solve`. It prints, separately:

- terminal computation: CPU seconds and model forwards for the target classes and every
  terminal the synth-fun uses, on all images (done before the search, so the search finds them);
- the baselines' scoring (every tier), and the search proper: CPU seconds, model forwards;
- candidates enumerated and pruned at each level (syntax, value, map, metric), scored per tier;
- model forwards per scored candidate-image (a candidate-image is one candidate scored on one
  image newly added by a tier, or on one equivalence image for the metric level);
- candidates per CPU second (enumerated and scored), the answer and its objective against
  Grad-CAM's mean on the last tier.

`--equivalence` repeats each grammar with the equivalence levels "value map" (the default),
"value" and "" (none), to show what each level saves in forwards. Times are CPU seconds of this
process (`time.process_time`, one torch thread unless SYCAM_THREADS says otherwise).

    python benchmarks/bench_solve.py                                    # quickstart, then paper-g1
    python benchmarks/bench_solve.py --grammar quickstart --equivalence
    python benchmarks/bench_solve.py --candidates 100 --max-size 5
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

import torch
from sycam_sygus.backends.torch_cam.backend import TorchBackend, open_backend

from sycam_sygus.engine.observer import Observer
from sycam_sygus.engine.search import SolveResult, solve
from sycam_sygus.frontend.lower import load_problem
from sycam_sygus.ir import Term, to_sygus
from sycam_sygus.ir.problem import Problem

GRAMMARS = Path(__file__).resolve().parent.parent / "grammars"
GRADCAM = "gradcam"  # the baseline both grammar files declare as Grad-CAM
EQUIVALENCE_SETTINGS = ("value map", "value", "")


class CostObserver(Observer):
    """Splits the search's forwards and CPU time at the first candidate (before it: the baselines'
    scoring) and counts the candidate-images that reach the metric."""

    def __init__(self, backend: TorchBackend):
        self.backend = backend
        self.started: tuple[float, int] | None = None  # (CPU seconds, forwards) at the first candidate
        self.new_images: dict[int, int] = {}  # tier -> images it adds to the previous tier
        self.candidate_images = 0

    def on_start(self, info: dict) -> None:
        """Remember each tier's new images and the equivalence subset's size."""
        sizes = [len(t) for t in info["tiers"]]
        self.new_images = {t: size - (sizes[t - 1] if t else 0) for t, size in enumerate(sizes)}
        self.new_images[-1] = len(info["equivalence_images"])

    def on_candidate(self, term: Term, stage: str) -> None:
        """The first candidate ends the baselines' phase."""
        if self.started is None:
            self.started = (time.process_time(), self.backend.forwards)

    def on_scored(self, term: Term, tier: int, images: list[int], scores: list[float], passed: bool) -> None:
        """Candidates' scores (not the baselines') add the tier's new images."""
        if self.started is not None:
            self.candidate_images += self.new_images[tier]


@dataclasses.dataclass
class Run:
    """One search's measurements."""

    grammar: str
    equivalence: str
    terminals: tuple[str, ...]
    setup_seconds: float
    setup_forwards: int
    terminal_seconds: float
    terminal_forwards: int
    baseline_seconds: float
    baseline_forwards: int
    search_seconds: float
    search_forwards: int
    candidate_images: int
    result: SolveResult


def objective_problem(path: Path, overrides: dict) -> Problem:
    """The problem file with `overrides`, its first goal turned into an objective from the best baseline."""
    problem = load_problem(str(path), overrides)
    goal = dataclasses.replace(problem.goals[0], mode="optimise", baseline=None, constant=None, strict=False)
    return dataclasses.replace(problem, goals=(goal,))


def measure(grammar: str, equivalence: str, args: argparse.Namespace) -> Run:
    """Set up, compute terminals, and run one optimising search with a fresh terminal cache."""
    with tempfile.TemporaryDirectory(prefix="sycam-bench-cache-") as cache:
        overrides = {
            "images": args.images, "tiers": args.tiers, "max-size": args.max_size,
            "max-candidates": args.candidates, "seed": args.seed, "time-limit": args.time_limit,
            "equivalence": equivalence, "cache": cache, "device": "cpu", "holdout": 0,
        }
        problem = objective_problem(GRAMMARS / f"{grammar}.sl", overrides)
        began = time.process_time()
        backend = open_backend(problem.settings)  # also the target classes and image 0's probe
        setup_seconds, setup_forwards = time.process_time() - began, backend.forwards
        # Terminals first, on every image, so their cost is not mixed into the search's.
        began, forwards = time.process_time(), backend.forwards
        everything = list(range(backend.images()))
        backend.target_classes(everything)
        for name, _ in problem.synth.params:
            backend.terminal(name, everything)
        terminal_seconds, terminal_forwards = time.process_time() - began, backend.forwards - forwards
        observer = CostObserver(backend)
        began, forwards = time.process_time(), backend.forwards
        result = solve(problem, backend, observer)
        ended, total_forwards = time.process_time(), backend.forwards - forwards
    first_seconds, first_forwards = observer.started or (ended, backend.forwards)
    return Run(
        grammar=grammar, equivalence=equivalence,
        terminals=tuple(name for name, _ in problem.synth.params),
        setup_seconds=setup_seconds, setup_forwards=setup_forwards,
        terminal_seconds=terminal_seconds, terminal_forwards=terminal_forwards,
        baseline_seconds=first_seconds - began, baseline_forwards=first_forwards - forwards,
        search_seconds=ended - first_seconds, search_forwards=total_forwards - (first_forwards - forwards),
        candidate_images=observer.candidate_images, result=result,
    )


def tier_counts(counts: dict[str, int], baselines: int) -> list[int]:
    """Candidates scored on each tier (the baselines' own scoring removed)."""
    tiers = sorted(int(k.rsplit("-", 1)[1]) for k in counts if k.startswith("scored-tier-"))
    return [counts[f"scored-tier-{t}"] - baselines for t in tiers]


def report(run: Run) -> dict[str, str]:
    """Print one run's block; return its row for the summary table."""
    result, counts = run.result, run.result.counts
    syntax = counts.get("pruned-syntax", 0)
    generated = syntax + counts.get("enumerated", 0)
    scored = counts.get("scored", 0)
    per_tier = tier_counts(counts, len(result.baselines))
    seconds = max(run.search_seconds, 1e-9)  # a search that ends before its first candidate
    per_image = run.search_forwards / run.candidate_images if run.candidate_images else float("nan")
    gradcam = result.baselines.get(GRADCAM, [float("nan")])[-1]
    answer = to_sygus(result.answer) if result.answer is not None else result.status
    print(f"\n== {run.grammar}, equivalence {run.equivalence or 'none'!r}")
    print(f"   set-up (model, images, target classes, image 0's terminals): {run.setup_seconds:.2f} s, "
          f"{run.setup_forwards} forwards")
    print(f"   terminals ({' '.join(run.terminals)}) on the other images: "
          f"{run.terminal_seconds:.2f} s, {run.terminal_forwards} forwards")
    print(f"   baselines ({', '.join(result.baselines)}) on every tier: {run.baseline_seconds:.2f} s, "
          f"{run.baseline_forwards} forwards")
    print(f"   search: {run.search_seconds:.2f} s, {run.search_forwards} forwards")
    print(f"   candidates generated {generated}: pruned syntax {syntax}, value {counts.get('pruned-value', 0)}, "
          f"map {counts.get('shared-map', 0)}, metric {counts.get('pruned-metric', 0)}; scored {scored} "
          f"(per tier {' / '.join(map(str, per_tier))}), passed {counts.get('passed', 0)}")
    print(f"   helper terms (other non-terminals): generated "
          f"{counts.get('bank-enumerated', 0) + counts.get('bank-pruned-syntax', 0)}, pruned syntax "
          f"{counts.get('bank-pruned-syntax', 0)}, value {counts.get('bank-pruned-value', 0)}")
    print(f"   {run.candidate_images} candidate-images scored, {per_image:.3f} forwards each")
    print(f"   {generated / seconds:.0f} candidates generated/s, {scored / seconds:.1f} scored/s")
    print(f"   answer {answer}  objective {result.objective if result.objective is not None else float('nan'):.4f}"
          f"  (Grad-CAM {gradcam:.4f}; status {result.status})")
    return {
        "grammar": run.grammar, "equivalence": f"`{run.equivalence}`" if run.equivalence else "none",
        "set-up s / fw": f"{run.setup_seconds:.2f} / {run.setup_forwards}",
        "terminals s / fw": f"{run.terminal_seconds:.2f} / {run.terminal_forwards}",
        "baselines s / fw": f"{run.baseline_seconds:.2f} / {run.baseline_forwards}",
        "search s / fw": f"{run.search_seconds:.1f} / {run.search_forwards}",
        "generated": str(generated),
        "pruned syntax / value / map / metric": f"{syntax} / {counts.get('pruned-value', 0)} / "
                                                f"{counts.get('shared-map', 0)} / {counts.get('pruned-metric', 0)}",
        "scored per tier": " / ".join(map(str, per_tier)),
        "fw / cand-img": f"{per_image:.3f}",
        "generated/s": f"{generated / seconds:.0f}",
        "scored/s": f"{scored / seconds:.1f}",
        "answer": f"`{answer}`",
        "objective (Grad-CAM)": f"{result.objective if result.objective is not None else float('nan'):.4f} "
                                f"({gradcam:.4f})",
    }


def markdown(rows: list[dict[str, str]]) -> str:
    """The summary rows as a markdown table."""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(row[h] for h in head) + " |" for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grammar", default="quickstart,paper-g1",
                        help="comma list of problem files in grammars/ (without .sl)")
    parser.add_argument("--equivalence", action="store_true",
                        help="also run with the equivalence levels 'value' and '' (none)")
    parser.add_argument("--candidates", type=int, default=300, help="scored-candidate budget (max-candidates)")
    parser.add_argument("--max-size", type=int, default=6)
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--tiers", default="10 30 60")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=3600.0,
                        help="wall-clock seconds per search; large, so the candidate budget decides")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("SYCAM_THREADS", "1")))
    settings = EQUIVALENCE_SETTINGS if args.equivalence else EQUIVALENCE_SETTINGS[:1]
    print(f"budget per search: {args.candidates or 'unlimited'} scored candidates, max-size {args.max_size}, "
          f"{args.images} images in tiers {args.tiers!r}, seed {args.seed}; "
          f"{torch.get_num_threads()} torch thread(s)")
    began = time.process_time()
    rows = [report(measure(grammar, equivalence, args))
            for grammar in args.grammar.split(",") for equivalence in settings]
    print(f"\n{markdown(rows)}\n\ntotal {time.process_time() - began:.1f} CPU s")


if __name__ == "__main__":
    main()
