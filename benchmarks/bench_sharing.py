"""Map-level sharing and value-level pruning, measured (not a test).

For each grammar (optimise mode from the best declared baseline, a candidate budget, the
problem's own images with no holdout so any version of the engine sees the same pool) it runs
the search twice on fresh backends: equivalence "value map" and "value". It prints model
forwards and search CPU seconds of each, the answers and objectives, and the number of
candidates whose outcome (passed every tier, or not) differs between the two runs: map sharing
is sound when that number is 0 and the answers and objectives are identical.

It then measures the value level's false-prune rate: every candidate the value level pruned
(equal values on the equivalence images) is checked against the goal's baseline (Grad-CAM) on
the first tier; a pruned candidate that passes is one the heuristic dropped though it would have
passed a tier, and one whose tier-1 scores no checked candidate has is an outcome the search
never saw in any form. For scale, the pass rate among the candidates the search did check is
printed beside it. Terminals are computed before each search, so forwards and seconds are the
search's own.

    python benchmarks/bench_sharing.py                      # quickstart and paper-g1, 200 candidates
    python benchmarks/bench_sharing.py --grammar quickstart --candidates 400
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import threading
import time
from pathlib import Path

from sycam_sygus.backends.torch_cam.backend import open_backend

from sycam_sygus.core.options import OPTIONS
from sycam_sygus.engine.correctness import Threshold
from sycam_sygus.engine.observer import Observer
from sycam_sygus.engine.search import Budget, Search, solve
from sycam_sygus.frontend.lower import load_problem
from sycam_sygus.ir import Term, to_sygus

GRAMMARS = Path(__file__).resolve().parent.parent / "grammars"


class Stages(Observer):
    """Each candidate's last stage, by its SyGuS text."""

    def __init__(self):
        self.stage: dict[str, str] = {}
        self.terms: dict[str, Term] = {}

    def on_candidate(self, term: Term, stage: str) -> None:
        text = to_sygus(term)
        self.terms[text] = term
        if stage != "enumerated":
            self.stage[text] = stage


def problem_for(grammar: str, levels: str, args: argparse.Namespace, cache: str):
    overrides = {"max-candidates": args.candidates, "max-size": args.max_size, "time-limit": 3600.0,
                 "equivalence": levels, "cache": cache, "device": "cpu"}
    if "holdout" in OPTIONS:
        overrides["holdout"] = 0
    problem = load_problem(str(GRAMMARS / f"{grammar}.sl"), overrides)
    goal = dataclasses.replace(problem.goals[0], mode="optimise", baseline=None, constant=None, strict=False)
    return dataclasses.replace(problem, goals=(goal,))


def run(grammar: str, levels: str, args: argparse.Namespace, cache: str) -> dict:
    problem = problem_for(grammar, levels, args, cache)
    backend = open_backend(problem.settings)
    everything = list(range(backend.images()))
    backend.target_classes(everything)
    for name, _ in problem.synth.params:  # terminals first: the runs compare searches, not terminal costs
        if name != "class":
            backend.terminal(name, everything)
    stages = Stages()
    began = time.process_time()
    result = solve(problem, backend, stages)
    return {"result": result, "seconds": time.process_time() - began, "stages": stages, "problem": problem,
            "backend": backend}


def changed_outcomes(first: Stages, second: Stages) -> int:
    """Candidates that passed every tier in one run and not in the other."""
    texts = set(first.stage) | set(second.stage)
    return sum((first.stage.get(t) == "passed") != (second.stage.get(t) == "passed") for t in texts)


def false_prunes(grammar: str, args: argparse.Namespace, cache: str, value_run: dict) -> tuple[int, ...]:
    """(pruned, of them passing tier 1 against Grad-CAM, of those with tier-1 scores no checked
    candidate has, checked, of them passing tier 1)."""
    problem, backend = value_run["problem"], value_run["backend"]
    search = Search(problem, backend, list(range(backend.images())), Budget(3600.0, 0, args.max_size), Observer(),
                    {}, threading.Event())
    baseline = search.scorer.all_tiers(problem.baselines["gradcam"])
    threshold = Threshold(per_tier=baseline, strict=False)

    def first_tier(term: Term) -> tuple[bool, bytes]:
        verdict = search.check(term, threshold)
        return verdict.passed or len(verdict.scores) > 1, verdict.scores[0].tobytes()

    stages, terms = value_run["stages"].stage, value_run["stages"].terms
    pruned = [first_tier(terms[t]) for t, s in stages.items() if s == "pruned-value"]
    checked = [first_tier(terms[t]) for t, s in stages.items() if s in ("passed", "rejected")]
    seen = {scores for _, scores in checked}
    return (len(pruned), sum(ok for ok, _ in pruned), sum(ok and scores not in seen for ok, scores in pruned),
            len(checked), sum(ok for ok, _ in checked))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grammar", action="append", choices=("quickstart", "paper-g1"))
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--max-size", type=int, default=5)
    parser.add_argument("--no-false-prunes", action="store_true", help="skip the value level's false-prune rate")
    args = parser.parse_args()
    print("| grammar | equivalence | forwards | search CPU s | shared tier evaluations | answer | objective |")
    print("|---|---|---:|---:|---:|---|---:|")
    prune_rows = []
    for grammar in args.grammar or ("quickstart", "paper-g1"):
        with tempfile.TemporaryDirectory() as cache:
            runs = {levels: run(grammar, levels, args, cache) for levels in ("value map", "value")}
            for levels, r in runs.items():
                result = r["result"]
                answer = to_sygus(result.answer) if result.answer is not None else "none"
                objective = f"{result.objective:.5f}" if result.objective is not None else "-"
                print(f"| {grammar} | {levels} | {result.forwards} | {r['seconds']:.1f} | "
                      f"{result.counts.get('shared-map', 0)} | `{answer}` | {objective} |")
            print(f"| {grammar} | outcomes changed | {changed_outcomes(runs['value map']['stages'], runs['value']['stages'])}"
                  " | | | | |")
            if not args.no_false_prunes:
                prune_rows.append((grammar, *false_prunes(grammar, args, cache, runs["value"])))
    if prune_rows:
        print()
        print("| grammar | pruned by value | of them pass tier 1 vs Grad-CAM | … with scores no checked candidate has "
              "| checked | of them pass tier 1 |")
        print("|---|---:|---:|---:|---:|---:|")
        for grammar, pruned, pruned_pass, lost, checked, checked_pass in prune_rows:
            rate = f"{pruned_pass / pruned:.1%}" if pruned else "-"
            lost_rate = f"{lost / pruned:.1%}" if pruned else "-"
            base = f"{checked_pass / checked:.1%}" if checked else "-"
            print(f"| {grammar} | {pruned} | {pruned_pass} ({rate}) | {lost} ({lost_rate}) | {checked} | "
                  f"{checked_pass} ({base}) |")


if __name__ == "__main__":
    main()
