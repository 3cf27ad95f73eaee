"""The synthesis loop: enumerate, prune by equivalence, accept by tiered correctness, within budgets.

See ENGINE.md for the whole picture and CAM-THEORY §5-6 for the definitions it implements.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..core.deadline import Stopped
from ..core.errors import SygusError, did_you_mean
from ..ir import Problem, Term, derivable, to_sygus
from ..ir.symbolic import simplify
from .acceptance import (
    ClassSensitivity,
    acceptance_summary,
    fail_reason,
    without_factor,
)
from .correctness import CorrectnessOracle, Threshold, Verdict, tier_images
from .decompose import class_pools, has_class_param, ite_by_class, split_budget
from .enumerate import Enumerator, TermValues
from .equivalence import EquivalenceOracle, equivalence_images
from .images import holdout_split, search_tier_sizes
from .lookahead import HeldEvents
from .observer import Observer
from .port import SearchBackend
from .result import SolveResult
from .scorer import KnownScores, Scorer
from .significance import SignificanceRule
from .validation import Validation, validation_split

# Why a search ended: the grammar ran out, a budget was spent, a stop was asked for, or (threshold
# mode) the first candidate that passes is the answer.
STOP_REASONS = ("exhausted", "time-limit", "max-candidates", "interrupted", "answered")


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
    reference: str | None = None  # the baseline the search started from, if any
    acceptance: dict = field(default_factory=dict)  # `acceptance.acceptance_summary`
    stop_reason: str = ""


class Search:
    """One enumerative search over one image pool (all images, or one class's images)."""

    def __init__(
        self,
        problem: Problem,
        backend: SearchBackend,
        pool: list[int],
        budget: Budget,
        observer: Observer,
        known_scores: KnownScores,
        stop: threading.Event,
        scope: int = 0,
        label: str = "all images",
    ):
        self.problem = problem
        self.backend = backend
        self.goal = problem.goals[0]
        self.budget = budget
        self.observer = observer
        self.stop = stop
        self.label = label
        self.counts: Counter = Counter()
        settings = problem.settings
        self.levels = settings.levels
        try:
            pool, validation_images, clipped = validation_split(pool, settings.validation, settings.seed)
            sizes = settings.tiers if scope else search_tier_sizes(settings.tiers, backend.images(), len(pool))
            tiers, self.warnings = tier_images(pool, sizes, settings.seed)
            self.warnings = clipped + self.warnings
        except ValueError as error:
            raise SygusError(str(error), path=problem.path, hint="check the :sycam.* options") from None
        if len(problem.goals) > 1:
            self.warnings.append(f"{len(problem.goals)} goals: only the first one guides the search")
        eq_images = equivalence_images(pool, backend.target_classes(pool), settings.eq_images, settings.seed)
        self.scorer = Scorer(backend, self.goal.metric, tiers, eq_images, scope, observer, known_scores, stop,
                             self.counts, share_maps="map" in self.levels)
        self.tolerance = float(backend.tolerance(self.goal.metric))
        significance = SignificanceRule(settings.significance) if settings.acceptance == "significant" else None
        validation = (Validation(backend, self.goal.metric, validation_images, self.counts, settings.significance)
                      if validation_images else None)
        self.oracle = CorrectnessOracle(self.scorer, Threshold.worst(self.goal.maximise, self.tolerance),
                                        self.goal.maximise, significance, validation)

    @property
    def tiers(self) -> list[list[int]]:
        return self.scorer.tiers

    def baselines_to_score(self) -> dict[str, Term]:
        """Threshold mode needs only the goal's baseline; optimise mode starts from the best of
        the declared ones (§6), so it scores them all."""
        if self.goal.mode == "optimise":
            return dict(self.problem.baselines)
        name = self.goal.baseline
        return {name: self.problem.baselines[name]} if name is not None else {}

    def info(self) -> dict:
        """What `Observer.on_start` receives."""
        return {
            "scope": self.label,
            "scope_index": self.scorer.scope,
            "tiers": [list(t) for t in self.tiers],
            "equivalence_images": list(self.scorer.eq_images),
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
        scorer = self.scorer
        scorer.deadline = time.monotonic() + self.budget.seconds
        self.observer.on_start(self.info())
        synth = self.problem.synth
        start = synth.grammar.start
        baselines: dict[str, list[np.ndarray]] = {}
        best: tuple[Term, Verdict] | None = None
        oracle = self.oracle
        interrupted = cut = False
        reason = ""
        enumerator = Enumerator(
            synth.grammar,
            synth.params,
            self.budget.max_size,
            values=TermValues(self.backend, scorer.eq_images),
            on_syntax_duplicate=lambda term, nt: self._syntax_duplicate(term, nt == start),
            should_stop=scorer.spent,
        )
        equivalence = EquivalenceOracle(
            self.backend, enumerator, scorer.eq_images, self.goal.metric, self.levels, start, scorer.subset_scores
        )
        scored_threshold = False
        # candidate batching (lookahead.py): new candidates wait in `pending` with the events
        # that preceded each, until `batch` of them have their first tier scored in one call
        batch = self.problem.settings.candidate_batch
        outer, held = self.observer, HeldEvents(self.observer)
        self.observer = scorer.observer = held
        pending: list[tuple[Term, list]] = []

        def decide(term: Term, events: list) -> bool:
            """One candidate's verdict, in enumeration order; True when the search ends here."""
            nonlocal best, cut, interrupted, reason
            if self.stop.is_set():  # checked before each candidate, as the enumeration loop does
                interrupted = True
                return True
            held.replay(events)
            self.counts["scored"] += 1
            if oracle.significance is not None:
                oracle.significance.compared = self.counts["scored"]
            verdict = oracle.check(term)
            stage = "passed" if verdict.passed else "rejected"
            self.counts[stage] += 1
            self.observer.on_candidate(term, stage)
            if verdict.passed:
                best = (term, verdict)
                self.observer.on_best(term, verdict.last_mean)
                if self.goal.mode != "optimise":
                    reason = "answered"
                    return True
                oracle.raise_threshold(verdict, self.goal.strict)
            if self.budget.candidates and self.counts["scored"] >= self.budget.candidates:
                cut, reason = True, "max-candidates"
                return True
            return False

        def decide_pending() -> bool:
            """Decide the waiting candidates (first tiers scored together); True when the search ends."""
            held.holding = False
            scorer.prefetch([term for term, _ in pending])
            try:
                return any(decide(term, events) for term, events in pending)
            finally:
                pending.clear()
                scorer.prefetched.clear()
                held.holding = batch > 1

        start_validation = None
        sensitivity = (ClassSensitivity(self.backend, scorer.eq_images, self.counts)
                       if self.problem.settings.class_sensitive else None)
        try:
            for name, body in self.baselines_to_score().items():
                baselines[name] = scorer.all_tiers(body)
            oracle.threshold, reference = self._threshold(baselines)
            start_validation = oracle.threshold.validation
            scored_threshold = True
            held.holding = batch > 1
            ended = False
            for item in enumerator:
                if self.stop.is_set():
                    interrupted = True
                    break
                if scorer.spent():
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
                if sensitivity is not None and sensitivity.rejects(item.term, enumerator.value(item.term)):
                    self.observer.on_candidate(item.term, "rejected")
                    continue
                pending.append((item.term, held.take()))
                left = self.budget.candidates - self.counts["scored"] if self.budget.candidates else batch
                if len(pending) >= min(batch, left) and decide_pending():
                    ended = True
                    break
            if pending and not (interrupted or cut or ended):  # the enumeration ran out
                ended = decide_pending()
            if not (interrupted or cut or ended):
                held.replay(held.take())
        except KeyboardInterrupt:
            interrupted = True
        except Stopped:  # the scorer's BudgetSpent, or a backend's chunked terminal giving up
            interrupted = self.stop.is_set()
            cut = not interrupted
        finally:
            scorer.deadline = None  # later checks (the decomposed answer's) are not this search's
            self.observer = scorer.observer = outer
            held.holding = False
        if enumerator.stopped:
            interrupted = interrupted or self.stop.is_set()
            cut = not interrupted
        self.counts.update(equivalence.counts)
        exhausted = enumerator.exhausted and not (interrupted or cut)
        if interrupted:
            reason = "interrupted"
        elif not reason:
            reason = "exhausted" if exhausted else "time-limit"
        status = "solved" if best else "infeasible" if exhausted else "fail"
        return SearchOutcome(
            status=status,
            best=best[0] if best else None,
            verdict=best[1] if best else None,
            baselines=baselines,
            counts=self.counts,
            interrupted=interrupted,
            warnings=list(self.warnings),
            threshold=oracle.threshold if scored_threshold else None,
            reference=reference if scored_threshold else None,
            acceptance=acceptance_summary(self.problem.settings, self.tolerance, oracle, best, start_validation),
            stop_reason=reason,
        )

    def _syntax_duplicate(self, term: Term, candidate: bool) -> None:
        if candidate:
            self.counts["pruned-syntax"] += 1
            self.observer.on_candidate(term, "pruned-syntax")
        else:
            self.counts["bank-pruned-syntax"] += 1

    def check(self, term: Term, threshold: Threshold) -> Verdict:
        """The acceptance rule for `term` on this search's tiers against `threshold`."""
        return self.oracle.check(term, threshold)

    def _threshold(self, baselines: dict[str, list[np.ndarray]]) -> Threshold:
        """The goal's constant or baseline; optimise mode: the best baseline, else the worst value."""
        goal = self.goal
        if goal.constant is not None:
            return Threshold(constant=float(goal.constant), strict=goal.strict, tolerance=self.tolerance), None
        name = goal.baseline
        if name is None and goal.mode == "optimise" and baselines:
            sign = 1.0 if goal.maximise else -1.0
            name = max(baselines, key=lambda n: sign * float(np.mean(baselines[n][-1])))
        if name is None:
            return Threshold.worst(goal.maximise, self.tolerance), None
        validation = self.oracle.validation
        scores = validation.scores(self.problem.baselines[name]) if validation is not None else None
        return Threshold(per_tier=baselines[name], strict=goal.strict, tolerance=self.tolerance,
                         validation=scores), name


def solve(
    problem: Problem,
    backend: SearchBackend,
    observer: Observer | None = None,
    known_scores: KnownScores | None = None,
    stop: threading.Event | None = None,
) -> SolveResult:
    """Synthesise the best weight expression for `problem` on `backend` (see ENGINE.md).

    `known_scores[(to_sygus(term), TierRef)]` replays per-image scores of an earlier run instead of
    scoring again; `stop` (or Ctrl-C) ends the search and returns the best found so far.
    """
    observer = observer or Observer()
    known_scores = known_scores or {}
    stop = stop or threading.Event()
    _validate(problem)
    began, forwards = time.monotonic(), backend.forwards
    settings = problem.settings
    budget = Budget(settings.time_limit, settings.max_candidates, settings.max_size)
    pool, held = holdout_split(backend.images(), settings.holdout, settings.seed)
    if has_class_param(problem.synth):
        result = _solve_by_class(problem, backend, pool, budget, observer, known_scores, stop)
    else:
        search = Search(problem, backend, pool, budget, observer, known_scores, stop)
        outcome = search.run()
        result = _result(outcome, outcome.best, _scoring_alike(search, _printable(problem, outcome.best), outcome),
                         outcome.verdict)
    result.holdout = held
    result.forwards = backend.forwards - forwards
    result.seconds = time.monotonic() - began
    observer.on_finish(result)
    return result


def _solve_by_class(
    problem: Problem,
    backend: SearchBackend,
    pool: list[int],
    budget: Budget,
    observer: Observer,
    known_scores: KnownScores,
    stop: threading.Event,
) -> SolveResult:
    """The default search over all images, then one search per class with enough images."""
    classes = backend.target_classes(pool)
    per_class_pools = class_pools(pool, classes, min(problem.settings.tiers))
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
    if default.best is not None:  # a class whose search answers the default's term adds no branch
        solved = [(cls, term) for cls, term in solved if term != default.best]
    counts["classes-split"] = len(solved)
    if default.best is None or not solved:
        result = _result(default, default.best, _printable(problem, default.best), default.verdict)
    else:
        class_param = str(problem.synth.class_param)
        raw = ite_by_class(class_param, solved, default.best)
        printable = ite_by_class(class_param, [(c, _printable(problem, t)) for c, t in solved],
                                 _printable(problem, default.best))
        try:
            # each branch passed only its own class's tiers: the whole case split must pass the
            # default search's tiers against its threshold too, else the default stays the answer
            verdict = default_search.check(raw, default.threshold)
        except (KeyboardInterrupt, Stopped):
            verdict, interrupted = Verdict(passed=False), True
        if verdict.passed:
            result = _result(default, raw, printable, verdict)
        else:
            result = _result(default, default.best, _printable(problem, default.best), default.verdict)
    result.counts, result.warnings, result.interrupted = dict(counts), warnings, interrupted
    if interrupted:
        result.stop_reason = "interrupted"
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
        reason=fail_reason(outcome.status, outcome.reference, outcome.counts,
                           float(outcome.acceptance.get("tolerance", 0.0))) if raw is None else None,
        acceptance=dict(outcome.acceptance),
        stop_reason=outcome.stop_reason,
    )


def _printable(problem: Problem, raw: Term | None) -> Term | None:
    """The simplified answer when the grammar still derives it, else the answer as enumerated."""
    if raw is None:
        return None
    try:
        simple = simplify(raw)
    except ValueError:  # a form the sympy bridge cannot express: the raw answer is never lost
        return raw
    # the CAM is the same without a top-level positive factor (§7): drop it where the grammar allows
    return next((t for t in (without_factor(simple), simple) if derivable(t, problem.synth.grammar)), raw)


def _scoring_alike(search: Search, printable: Term | None, outcome: SearchOutcome) -> Term | None:
    """The simplified answer only when it scores exactly as the answer found did on every tier
    (rewrites equal over the reals are not always equal in float32): the objective printed is
    then the printed answer's own. Otherwise the answer as enumerated."""
    raw, verdict = outcome.best, outcome.verdict
    if raw is None or printable is raw or verdict is None:
        return printable
    scores: list[np.ndarray] = []
    try:
        for tier in range(len(search.tiers)):
            scores.append(search.scorer.tier_scores(printable, tier, scores))
    except (Stopped, KeyboardInterrupt):
        return raw
    same = len(scores) == len(verdict.scores) and all(np.array_equal(a, b) for a, b in zip(scores, verdict.scores))
    return printable if same else raw


def _validate(problem: Problem) -> None:
    """Bad problems are SygusErrors with a hint, never deep tracebacks."""
    if not problem.goals:
        raise SygusError("nothing to synthesise for: no constraint or objective", path=problem.path,
                         hint="add a constraint or an optimize-synth objective")
    goal = problem.goals[0]
    if goal.baseline is not None and goal.baseline not in problem.baselines:
        raise SygusError(f"unknown baseline '{goal.baseline}'", path=problem.path,
                         hint=did_you_mean(goal.baseline, problem.baselines))
