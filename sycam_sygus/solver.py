"""The synthesis loop: enumerate, prune by equivalence, accept by tiered correctness, within budgets.

See ENGINE.md for the whole picture and CAM-THEORY §5-6 for the definitions it implements.
"""
from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from backends.protocol import Backend, Value

from .answer import derivable
from .correctness import CorrectnessOracle, Threshold, Verdict, tier_images
from .decompose import class_pools, has_class_param, ite_by_class, split_budget
from .enumerate import Enumerator, TermValues
from .equivalence import EquivalenceOracle, equivalence_images, levels_from_option
from .errors import SygusError, did_you_mean
from .ir import Term
from .irprint import to_sygus
from .logic import METRICS
from .problem import Problem
from .options import tier_sizes
from .symbolic import simplify


class Observer:
    """Hooks the CLI uses for progress, logs and resume; every method is optional (no-op here).

    `on_candidate` stages: "enumerated", "pruned-syntax", "pruned-value", "shared-map",
    "pruned-metric", "rejected", "passed". `on_scored` is also called for baselines: their
    bodies are listed by name in `on_start`'s `info["baselines"]` (name -> SyGuS text).
    Tier indices in `on_scored` (and in `known_scores`) are `1000·scope + t`: scope 0 is the
    search over all images, scope j the j-th decomposed class; t = -1 is the equivalence subset
    (metric level). `on_start` runs once per scope, its `info["scope"]` naming it.
    """

    def on_start(self, info: dict) -> None:
        """The search is about to begin; `info` describes tiers, images, baselines and budgets."""

    def on_candidate(self, term: Term, stage: str) -> None:
        """A candidate of the start non-terminal reached `stage`."""

    def on_scored(self, term: Term, tier: int, images: list[int], scores: list[float], passed: bool) -> None:
        """`term` has per-image `scores` on tier `tier` (whose images are `images`)."""

    def on_best(self, term: Term, mean: float) -> None:
        """A new best candidate (threshold mode: the answer) with its mean on the last tier."""

    def on_finish(self, result: "SolveResult") -> None:
        """The search ended with `result`."""


@dataclass
class SolveResult:
    """What `solve` found; `answer` is printable (simplified), `raw_answer` as enumerated."""

    status: str  # "solved" | "fail" | "infeasible"
    answer: Term | None
    raw_answer: Term | None
    objective: float | None  # the answer's mean score on the last tier
    baselines: dict[str, list[float]] = field(default_factory=dict)  # name -> mean per tier
    counts: dict[str, int] = field(default_factory=dict)
    forwards: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)


class _BudgetSpent(Exception):
    """Raised before a tier evaluation once the search's time is up or a stop was asked for."""


SCOPE_STRIDE = 1000  # tier index = SCOPE_STRIDE * scope + tier; scope 0 = all images
TIER_MEMO = 128  # weights kept per tier chunk (least recently used go first)


def tier_within_scope(tier: int) -> int:
    """The tier of an `on_scored` index `SCOPE_STRIDE * scope + tier` (-1: equivalence subset)."""
    return (tier + 1) % SCOPE_STRIDE - 1


@dataclass(frozen=True)
class Budget:
    """What one search may spend: wall-clock seconds, scored candidates (0 = no limit), term size."""

    seconds: float
    candidates: int
    max_size: int


@dataclass
class SearchOutcome:
    """One search's result, before printing concerns (simplification, decomposition)."""

    status: str
    best: Term | None
    verdict: Verdict | None
    baselines: dict[str, list[np.ndarray]]
    counts: Counter
    interrupted: bool
    warnings: list[str]
    threshold: Threshold | None = None  # the last threshold (optimise mode: the best's scores)


class Search:
    """One enumerative search over one image pool (all images, or one class's images)."""

    def __init__(
        self,
        problem: Problem,
        backend: Backend,
        pool: Sequence[int],
        budget: Budget,
        observer: Observer,
        known_scores: Mapping[tuple[str, int], Sequence[float]],
        stop: threading.Event,
        scope: int = 0,
        label: str = "all images",
    ):
        self.problem = problem
        self.backend = backend
        self.goal = problem.goals[0]
        self.budget = budget
        self.observer = observer
        self.known_scores = known_scores
        self.stop = stop
        self.offset = SCOPE_STRIDE * scope
        self.label = label
        self.counts: Counter = Counter()
        self.evaluated: dict[Term, list[np.ndarray]] = {}  # all-tier scores of baselines
        self.deadline: float | None = None  # set while `run` searches: every tier evaluation checks it
        options = problem.options
        seed = int(options["seed"])
        try:
            self.levels = levels_from_option(str(options["equivalence"]))
            self.tiers, self.warnings = tier_images(pool, tier_sizes(options["tiers"]), seed)
        except ValueError as error:
            raise SygusError(str(error), path=problem.path, hint="check the :sycam.* options") from None
        if self.levels and int(options["eq-images"]) < 1:
            raise SygusError("the equivalence levels need at least one image", path=problem.path,
                             hint="set :sycam.eq-images to 1 or more, or :sycam.equivalence to \"\"")
        if len(problem.goals) > 1:
            self.warnings.append(f"{len(problem.goals)} goals: only the first one guides the search")
        self.eq_images = equivalence_images(pool, backend.target_classes(pool), int(options["eq-images"]), seed)
        self.chunks = [tier[len(self.tiers[i - 1]) if i else 0 :] for i, tier in enumerate(self.tiers)]
        self.chunk_values = [TermValues(backend, chunk, capacity=TIER_MEMO) for chunk in self.chunks]

    def score(self, term: Term, tier: int, earlier: list[np.ndarray]) -> np.ndarray:
        """Per-image scores on `tier`: known ones when given, else only the tier's new images are
        scored and appended to the scores on the previous tier (its prefix)."""
        if self.deadline is not None and self.spent():
            raise _BudgetSpent
        self.counts[f"scored-tier-{tier}"] += 1
        if term in self.evaluated:  # a candidate that is also a baseline
            self.counts["reused-scores"] += 1
            return self.evaluated[term][tier]
        known = self.known_scores.get((to_sygus(term), self.offset + tier))
        if known is not None and len(known) == len(self.tiers[tier]):
            self.counts["known-scores"] += 1
            return np.asarray(known, dtype=np.float64)
        earlier = list(earlier)
        while len(earlier) < tier:
            earlier.append(self.score(term, len(earlier), earlier))
        weights = self.chunk_values[tier].get(term)
        fresh = self.backend.score([weights], self.chunks[tier], self.goal.metric)[0]
        prefix = earlier[tier - 1] if tier else np.zeros(0)
        return np.concatenate([prefix, np.asarray(fresh, dtype=np.float64)])

    def score_subset(self, term: Term, weights: Value) -> np.ndarray:
        """Per-image scores on the equivalence subset (metric-level equivalence), tier -1."""
        self.counts["scored-equivalence"] += 1
        key = (to_sygus(term), self.offset - 1)
        known = self.known_scores.get(key)
        if known is not None and len(known) == len(self.eq_images):
            self.counts["known-scores"] += 1
            scores = np.asarray(known, dtype=np.float64)
        else:
            scores = np.asarray(self.backend.score([weights], self.eq_images, self.goal.metric)[0], dtype=np.float64)
        self.observer.on_scored(term, self.offset - 1, list(self.eq_images), scores.tolist(), True)
        return scores

    def evaluate(self, term: Term) -> list[np.ndarray]:
        """Scores of `term` on every tier (baselines, decomposed answers), reported as passed."""
        scores: list[np.ndarray] = []
        for tier, images in enumerate(self.tiers):
            scores.append(self.score(term, tier, scores))
            self.observer.on_scored(term, self.offset + tier, list(images), scores[-1].tolist(), True)
        self.evaluated[term] = scores
        return scores

    def baselines_to_score(self) -> dict[str, Term]:
        """Threshold mode needs only the goal's baseline; optimise mode starts from the best of
        the declared ones (§6), so it scores them all."""
        if self.goal.mode == "optimise":
            return dict(self.problem.baselines)
        name = self.goal.baseline
        return {name: self.problem.baselines[name]} if name is not None else {}

    def spent(self) -> bool:
        """Is the time up (a zero budget is spent at once), or was a stop asked for?"""
        deadline = math.inf if self.deadline is None else self.deadline
        return self.stop.is_set() or time.monotonic() >= deadline

    def info(self) -> dict:
        """What `Observer.on_start` receives."""
        return {
            "scope": self.label,
            "tier_offset": self.offset,
            "tiers": [list(t) for t in self.tiers],
            "equivalence_images": list(self.eq_images),
            "levels": sorted(self.levels),
            "metric": self.goal.metric,
            "mode": self.goal.mode,
            "maximise": self.goal.maximise,
            "baselines": {name: to_sygus(body) for name, body in self.baselines_to_score().items()},
            "budget": {
                "seconds": self.budget.seconds,
                "candidates": self.budget.candidates,
                "max-size": self.budget.max_size,
            },
            "warnings": list(self.warnings),
        }

    def run(self) -> SearchOutcome:
        """Enumerate, prune and check candidates until an answer, the budget or a stop."""
        self.deadline = time.monotonic() + self.budget.seconds
        self.observer.on_start(self.info())
        synth = self.problem.synth
        start = synth.grammar.start
        baselines: dict[str, list[np.ndarray]] = {}
        best: tuple[Term, Verdict] | None = None
        oracle: CorrectnessOracle | None = None
        interrupted = cut = False
        enumerator = Enumerator(
            synth.grammar,
            synth.params,
            self.budget.max_size,
            values=TermValues(self.backend, self.eq_images),
            on_syntax_duplicate=lambda term, nt: self._syntax_duplicate(term, nt == start),
            should_stop=self.spent,
        )
        equivalence = EquivalenceOracle(
            self.backend, enumerator, self.eq_images, self.goal.metric, self.levels, start, self.score_subset
        )
        try:
            for name, body in self.baselines_to_score().items():
                baselines[name] = self.evaluate(body)
            threshold, reference = self._threshold(baselines)
            if reference is not None and "map" in self.levels:
                equivalence.register_reference(self.problem.baselines[reference])
            oracle = CorrectnessOracle(self.tiers, self.score, threshold, self.goal.maximise, self._report_scored)
            for item in enumerator:
                if self.stop.is_set():
                    interrupted = True
                    break
                if self.spent():
                    cut = True
                    break
                candidate = item.nonterminal == start
                if candidate:
                    self.observer.on_candidate(item.term, "enumerated")
                stage = equivalence.classify(item)
                if not candidate or stage == "banked":
                    continue
                if stage != "new":
                    self.observer.on_candidate(item.term, stage)
                    continue
                self.counts["scored"] += 1
                verdict = oracle.check(item.term)
                stage = "passed" if verdict.passed else "rejected"
                self.counts[stage] += 1
                self.observer.on_candidate(item.term, stage)
                if verdict.passed:
                    best = (item.term, verdict)
                    self.observer.on_best(item.term, verdict.last_mean)
                    if self.goal.mode != "optimise":
                        break
                    oracle.raise_threshold(verdict, self.goal.strict)
                if self.budget.candidates and self.counts["scored"] >= self.budget.candidates:
                    cut = True
                    break
        except KeyboardInterrupt:
            interrupted = True
        except _BudgetSpent:
            interrupted = self.stop.is_set()
            cut = not interrupted
        finally:
            self.deadline = None  # later checks (the decomposed answer's) are not this search's
        if enumerator.stopped:
            interrupted = interrupted or self.stop.is_set()
            cut = not interrupted
        self.counts.update(equivalence.counts)
        exhausted = enumerator.exhausted and not (interrupted or cut)
        status = "solved" if best else "infeasible" if exhausted else "fail"
        return SearchOutcome(
            status=status,
            best=best[0] if best else None,
            verdict=best[1] if best else None,
            baselines=baselines,
            counts=self.counts,
            interrupted=interrupted,
            warnings=list(self.warnings),
            threshold=oracle.threshold if oracle is not None else None,
        )

    def _syntax_duplicate(self, term: Term, candidate: bool) -> None:
        if candidate:
            self.counts["pruned-syntax"] += 1
            self.observer.on_candidate(term, "pruned-syntax")
        else:
            self.counts["bank-pruned-syntax"] += 1

    def check(self, term: Term, threshold: Threshold) -> Verdict:
        """The acceptance rule for `term` on this search's tiers against `threshold`."""
        return CorrectnessOracle(self.tiers, self.score, threshold, self.goal.maximise, self._report_scored).check(term)

    def _report_scored(self, term: Term, tier: int, images: list[int], scores: list[float], passed: bool) -> None:
        self.observer.on_scored(term, self.offset + tier, images, scores, passed)

    def _threshold(self, baselines: dict[str, list[np.ndarray]]) -> tuple[Threshold, str | None]:
        """The goal's constant or baseline; optimise mode: the best baseline, else the worst value.
        Also the name of the baseline used, if any."""
        goal = self.goal
        if goal.constant is not None:
            return Threshold(constant=float(goal.constant), strict=goal.strict), None
        name = goal.baseline
        if name is None and goal.mode == "optimise" and baselines:
            sign = 1.0 if goal.maximise else -1.0
            name = max(baselines, key=lambda n: sign * float(np.mean(baselines[n][-1])))
        if name is None:
            return Threshold.worst(goal.maximise), None
        return Threshold(per_tier=baselines[name], strict=goal.strict), name


def solve(
    problem: Problem,
    backend: Backend,
    observer: Observer | None = None,
    known_scores: Mapping[tuple[str, int], Sequence[float]] | None = None,
    stop: threading.Event | None = None,
) -> SolveResult:
    """Synthesise the best weight expression for `problem` on `backend` (see ENGINE.md).

    `known_scores[(to_sygus(term), tier)]` replays per-image scores of an earlier run instead of
    scoring again; `stop` (or Ctrl-C) ends the search and returns the best found so far.
    """
    observer = observer or Observer()
    known_scores = known_scores or {}
    stop = stop or threading.Event()
    _validate(problem)
    began, forwards = time.monotonic(), backend.forwards
    options = problem.options
    budget = Budget(float(options["time-limit"]), int(options["max-candidates"]), int(options["max-size"]))
    pool = list(range(backend.images()))
    if has_class_param(problem.synth):
        result = _solve_by_class(problem, backend, pool, budget, observer, known_scores, stop)
    else:
        search = Search(problem, backend, pool, budget, observer, known_scores, stop)
        outcome = search.run()
        result = _result(outcome, outcome.best, _printable(problem, outcome.best), outcome.verdict)
    result.forwards = backend.forwards - forwards
    result.seconds = time.monotonic() - began
    observer.on_finish(result)
    return result


def _solve_by_class(
    problem: Problem,
    backend: Backend,
    pool: list[int],
    budget: Budget,
    observer: Observer,
    known_scores: Mapping[tuple[str, int], Sequence[float]],
    stop: threading.Event,
) -> SolveResult:
    """The default search over all images, then one search per class with enough images."""
    classes = backend.target_classes(pool)
    per_class_pools = class_pools(pool, classes, min(tier_sizes(problem.options["tiers"])))
    seconds, candidates = split_budget(budget.seconds, budget.candidates, len(per_class_pools) + 1)
    share = Budget(seconds, candidates, budget.max_size)
    default_search = Search(problem, backend, pool, share, observer, known_scores, stop)
    default = default_search.run()
    counts, warnings, interrupted = Counter(default.counts), list(default.warnings), default.interrupted
    solved: list[tuple[int, Term]] = []
    for scope, (cls, images) in enumerate(per_class_pools, start=1):
        if interrupted or stop.is_set() or default.best is None:
            break
        outcome = Search(problem, backend, images, share, observer, known_scores, stop, scope, f"class {cls}").run()
        counts.update(outcome.counts)
        warnings += [f"class {cls}: {w}" for w in outcome.warnings]
        interrupted = outcome.interrupted
        if outcome.best is not None:
            solved.append((cls, outcome.best))
    counts["classes-split"] = len(solved)
    if default.best is None or not solved:
        result = _result(default, default.best, _printable(problem, default.best), default.verdict)
    else:
        raw = ite_by_class(solved, default.best)
        printable = ite_by_class([(c, _printable(problem, t)) for c, t in solved], _printable(problem, default.best))
        try:
            # each branch passed only its own class's tiers: the whole case split must pass the
            # default search's tiers against its threshold too, else the default stays the answer
            verdict = default_search.check(raw, default.threshold)
        except KeyboardInterrupt:
            verdict, interrupted = Verdict(passed=False), True
        if verdict.passed:
            result = _result(default, raw, printable, verdict)
        else:
            result = _result(default, default.best, _printable(problem, default.best), default.verdict)
    result.counts, result.warnings, result.interrupted = dict(counts), warnings, interrupted
    return result


def _result(outcome: SearchOutcome, raw: Term | None, answer: Term | None, verdict: Verdict | None) -> SolveResult:
    return SolveResult(
        status=outcome.status,
        answer=answer,
        raw_answer=raw,
        objective=verdict.last_mean if verdict is not None else None,
        baselines={name: [float(np.mean(s)) for s in per_tier] for name, per_tier in outcome.baselines.items()},
        counts=dict(outcome.counts),
        interrupted=outcome.interrupted,
        warnings=list(outcome.warnings),
    )


def _printable(problem: Problem, raw: Term | None) -> Term | None:
    """The simplified answer when the grammar still derives it, else the answer as enumerated."""
    if raw is None:
        return None
    try:
        simple = simplify(raw)
    except ValueError:  # a form the sympy bridge cannot express: the raw answer is never lost
        return raw
    return simple if derivable(simple, problem.synth.grammar) else raw


def _validate(problem: Problem) -> None:
    """Bad problems are SygusErrors with a hint, never deep tracebacks."""
    if not problem.goals:
        raise SygusError("nothing to synthesise for: no constraint or objective", path=problem.path,
                         hint="add (constraint (>= (deletion weights) (deletion gradcam))) or optimize-synth")
    goal = problem.goals[0]
    if goal.metric not in METRICS:
        raise SygusError(f"unknown metric '{goal.metric}'", path=problem.path, hint=did_you_mean(goal.metric, METRICS))
    if goal.baseline is not None and goal.baseline not in problem.baselines:
        raise SygusError(f"unknown baseline '{goal.baseline}'", path=problem.path,
                         hint=did_you_mean(goal.baseline, problem.baselines))
