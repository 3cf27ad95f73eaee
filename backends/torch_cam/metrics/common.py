"""What every metric family shares: names and directions, errors, memo counts, keys and flags."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

from torch import Tensor

from ....core.errors import did_you_mean
from ....core.logic import METRIC_PREFIX, METRICS
from ..cam import invalid_maps

Probs = Callable[[Tensor, Tensor], Tensor]

# Normalised maps are compared after rounding to this many fractional bits (about 1e-6).
KEY_BITS = 20
# Probabilities are divided by p_c(x); this floor keeps an image the model gives 0 finite.
PROBABILITY_FLOOR = 1e-12
# Metrics whose score reads only the small S_fm: callers may skip upsampling and pass s=None.
SCORED_FROM_S_FM = frozenset({"deletion", "insertion"})
# Metrics whose map key reads only S_fm (topn_gt keys on S's top pixels once images are given).
KEYED_FROM_S_FM = frozenset({"deletion", "insertion", "avg_drop", "increase", "sch"})


# The smallest difference of a metric's per-image value or mean that counts (CAM-THEORY §7). A
# score read off the map alone (sch, topn_gt, pointing) is exact up to the map's float32 rounding
# (about 2^-24 of each pixel, summed over the image in float64): 2^-20 leaves room. Scores built
# from model probabilities also carry the network's float32 noise, which changes with the batch
# a perturbed image is sent in (about 1e-6 of a probability, divided by p_c(x)): 2^-16.
MAP_TOLERANCE = 2.0**-20
PROBABILITY_TOLERANCE = 2.0**-16
MAP_ONLY_METRICS = frozenset({"sch", "topn_gt", "pointing"})


def metric_tolerance(metric: str) -> float:
    """The tolerance of a known metric name (see MAP_TOLERANCE)."""
    return MAP_TOLERANCE if metric in MAP_ONLY_METRICS else PROBABILITY_TOLERANCE


class MetricError(ValueError):
    """A metric the evaluator cannot compute as asked (unknown name, missing masks, shapes)."""


@dataclass
class MemoCounts:
    """What the memo saved: lookups answered from it, perturbed images sent, model calls made."""

    hits: int = 0  # perturbed-image probabilities found in the memo (or shared within a call)
    misses: int = 0  # perturbed images sent to the model
    calls: int = 0  # calls of `probs` (including those for clean and blurred images)
    images: int = 0  # images passed to `probs` in all calls


def worst_value(metric: str) -> float:
    """The score of a flagged (non-finite) map: worse than any real value of `metric`."""
    return float("-inf") if METRICS[metric].higher_is_better else float("inf")


def metric_name(metric: str, has_masks: bool) -> str:
    """The METRICS name of `metric` (with or without the `sycam.` prefix); MetricError if unusable here."""
    name = metric.removeprefix(METRIC_PREFIX)
    if name not in METRICS:
        raise MetricError(f"unknown metric '{metric}' ({did_you_mean(name, METRICS)})")
    if METRICS[name].needs_masks and not has_masks:
        raise MetricError(f"metric '{name}' needs ground-truth masks, and these images have none "
                          "(hint: give the data set a mask folder, option :sycam.masks)")
    return name


def digest(data: bytes) -> bytes:
    """A short content digest (map and memo keys)."""
    return hashlib.blake2b(data, digest_size=16).digest()


def flag_maps(s_fm: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
    """`[C, I']` flags of non-finite maps (on the CPU), and the maps with NaN set to 0 if any.

    `cam_maps` flags `S_fm` and `S` together, so reading the small `S_fm` is enough.
    """
    flagged = invalid_maps(s_fm).cpu()
    if not flagged.any():
        return flagged, s_fm, s
    return flagged, s_fm.nan_to_num(0.0), None if s is None else s.nan_to_num(0.0)
