"""Every SYCAM metric (CAM-THEORY §4), scored for many candidate maps with memoised model calls.

A `MetricEvaluator` holds the images of one backend and a `probs` callable (softmax probability
of each image's target class). Everything that does not depend on the candidate is computed once
per image and reused across calls: the clean probability `p_c(x)`, the blurred copy `x̃` and
`p_c(x̃)`. Candidate-dependent model calls are memoised and batched:

- grid deletion/insertion depend only on the *set* of cells replaced so far, so `p_c` is memoised
  per (image, set of blurred cells) across calls and candidates; all missing perturbed images of
  a call are collected first and sent in as few `probs` calls as the batch size allows;
- avg_drop/increase are memoised per (image, normalised map rounded to 2^-20);
- RISE curves (deletion_auc/insertion_auc) are memoised per (image, the step at which each pixel
  is replaced).

Choices the theory leaves to the backend (each also stated where it is made):

- Grid metrics take `P = min(steps, h·w)` steps (a grid has no cell after the last one).
- RISE curves take `h·w` steps; step `j` has replaced the `⌊j·H·W/(h·w)⌋` highest pixels of `S`
  (ties by pixel index); the area is the trapezoid rule over the replaced fraction in [0, 1].
- `topn_gt` on an empty mask is 0 (no pixel can land inside it).
- A flagged map (non-finite weights, see `cam.cam_maps`) scores `-inf` for metrics where higher
  is better and `+inf` otherwise: worse than any real value, and visible in any mean.
- Maps are keyed after rounding: maps equal up to float noise can fall on both sides of a
  rounding step and get two keys (an extra evaluation, never a wrong share); maps within 2^-20
  of each other may share a key (for avg_drop/increase/sch).

`s_fm` and `s` must be `cam.cam_maps`' output for the same weights (S is read as a function of
the normalised S_fm, and flags are read from S_fm).
"""
from .common import (
           KEYED_FROM_S_FM,
           SCORED_FROM_S_FM,
           MemoCounts,
           MetricError,
           metric_name,
           metric_tolerance,
           worst_value,
)
from .evaluator import MetricEvaluator

__all__ = ["KEYED_FROM_S_FM", "SCORED_FROM_S_FM", "MemoCounts", "MetricError", "MetricEvaluator", "metric_name",
           "metric_tolerance", "worst_value"]
