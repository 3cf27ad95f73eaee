"""What the acceptance rule adds around the search (CAM-THEORY §7): early class-sensitivity
rejection, the reason for no answer, the rule's figures for reports, and the positive factor
printing drops. (Whether the answer is a known method is the report's comparison: it scores them all.)
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Mapping, Sequence

import numpy as np

from ..core.settings import Settings
from ..ir import Term, app
from .correctness import CorrectnessOracle, Verdict
from .enumerate import TermValues
from .port import SearchBackend, Weights

# Mean rank correlation (Spearman, over the equivalence images) of a candidate's maps for each
# image's target class and its runner-up class at or above which the map does not depend on the
# class. Grad-CAM's maps on the built-in data agree at about 0.4, pos_grads' at about 0.86.
CLASS_AGREEMENT = 0.95
RUNNER_UP_MEMO = 128  # weights kept for the runner-up class (only candidates that get this far)


class ClassSensitivity:
    """`:sycam.class-sensitive`: rejects candidates whose maps cannot depend, or hardly depend, on the class."""

    def __init__(self, backend: SearchBackend, images: Sequence[int], counts: Counter):
        self.backend = backend
        self.images = list(images)
        self.counts = counts
        self._runner_up: TermValues | None = None  # made on first use: it may cost model calls

    def rejects(self, term: Term, weights: Weights) -> bool:
        """Reject (and count) `term`, whose weights on the equivalence images are `weights`?"""
        if class_insensitive(term, self.backend):
            self.counts["rejected-class-insensitive"] += 1
            return True
        if self._runner_up is None:
            self._runner_up = TermValues(self.backend.runner_up(), self.images, capacity=RUNNER_UP_MEMO)
        agreement = self.backend.rank_agreement(weights, self._runner_up.get(term), self.images)
        if float(np.mean(agreement)) >= CLASS_AGREEMENT:
            self.counts["rejected-class-agreement"] += 1
            return True
        return False


def class_insensitive(term: Term, backend: SearchBackend) -> bool:
    """Is `term` built only from terminals whose values ignore the target class (its map cannot
    change with the class)? A term without parameters is too."""
    names = {node.param for node in term.walk() if node.op == "var"}
    return not any(backend.class_dependent(str(name)) for name in names)


REJECTIONS = {  # counters of the optional checks, and how the reason for no answer words them
    "rejected-significance": "not significant on the last tier",
    "rejected-validation": "not confirmed on the validation images",
    "rejected-class-insensitive": "built from class-independent terminals only",
    "rejected-class-agreement": "the same map for the runner-up class",
}


def fail_reason(status: str, reference: str | None, counts: Mapping[str, int], tolerance: float) -> str:
    """One sentence for stderr and the report: why a search with `status` and `counts`, started from
    the baseline `reference` (if any), has no answer."""
    beaten = f"beat {reference} by more than" if reference else "passed the acceptance rule at"
    extra = [f"{counts[k]} {words}" for k, words in REJECTIONS.items() if counts.get(k)]
    budget = {"fail": "; the size or time budget ran out", "infeasible": "; the grammar has no larger term"}
    return (f"no candidate {beaten} the tolerance {tolerance:.3g} on every tier"
            + (f" and passed the checks in force ({'; '.join(extra)})" if extra else "") + budget.get(status, ""))


def acceptance_summary(settings: Settings, tolerance: float, oracle: CorrectnessOracle,
                       best: tuple[Term, Verdict] | None, start_validation: np.ndarray | None) -> dict:
    """The rule in force and its figures: tolerance, corrected level, validation means."""
    summary: dict = {"rule": settings.acceptance, "tolerance": tolerance}
    if oracle.significance is not None:
        summary.update(level=oracle.significance.level, compared=oracle.significance.compared,
                       effective_level=oracle.significance.effective_level)
    if oracle.validation is not None:
        summary["validation_images"] = len(oracle.validation.images)
        summary["validation_checks"] = oracle.validation.checks
        summary["validation_level"] = oracle.validation.level
        if start_validation is not None:
            summary["start_validation_mean"] = float(np.mean(start_validation))
        if best is not None and best[1].validation is not None:
            summary["validation_mean"] = float(np.mean(best[1].validation))
    return summary


def without_factor(term: Term) -> Term:
    """`term` without a top-level positive constant factor (`(* 3.0 x)` → `x`): the CAM is the same."""
    if term.op != "*":
        return term
    kept = [a for a in term.args if not (a.op == "const" and isinstance(a.param, (int, Fraction))
                                        and not isinstance(a.param, bool) and a.param > 0)]
    if len(kept) == len(term.args) or not kept:
        return term
    return kept[0] if len(kept) == 1 else app("*", kept, term.sort)
