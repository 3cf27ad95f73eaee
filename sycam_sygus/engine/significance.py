"""The significance-aware acceptance rule (`:sycam.acceptance "significant"`, CAM-THEORY §7).

On top of the published rule, a candidate must beat the threshold's per-image scores on the last
tier in a one-sided paired Wilcoxon signed-rank test at level `level / m`, where m is the number
of candidates compared so far (Bonferroni over the candidates the search has looked at when it
accepts: the more it scored, the more a win could be selection noise). Differences within the
metric's tolerance count as zero and are dropped, as Wilcoxon's own zeros are.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import wilcoxon


def wilcoxon_p(scores: np.ndarray, reference: np.ndarray, maximise: bool, tolerance: float) -> float:
    """One-sided p-value that the candidate's per-image scores beat `reference` (1.0 with no difference)."""
    difference = np.asarray(scores, dtype=np.float64) - np.asarray(reference, dtype=np.float64)
    difference = difference if maximise else -difference
    difference = difference[np.abs(difference) > tolerance]
    if len(difference) == 0:
        return 1.0
    return float(wilcoxon(difference, alternative="greater").pvalue)


@dataclass
class SignificanceRule:
    """The test's level before correction, and how many candidates have been compared."""

    level: float
    compared: int = 0

    @property
    def effective_level(self) -> float:
        """The Bonferroni-corrected level the next acceptance must reach."""
        return self.level / max(1, self.compared)

    def significant(self, scores: np.ndarray, reference: np.ndarray, maximise: bool, tolerance: float) -> bool:
        """Is the candidate's win over `reference` significant at the corrected level?"""
        return wilcoxon_p(scores, reference, maximise, tolerance) <= self.effective_level
