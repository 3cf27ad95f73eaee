"""`MetricEvaluator`: every SYCAM metric for many candidate maps, over one backend's images.

It owns the images, the memos and the batched model calls; each family of metrics is a mixin of
its own module (grid, curve, drop, mask).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor

from ..blur import blur
from .common import (
    KEYED_FROM_S_FM,
    PROBABILITY_FLOOR,
    SCORED_FROM_S_FM,
    MemoCounts,
    MetricError,
    Probs,
    digest,
    flag_maps,
    metric_name,
    worst_value,
)
from .curve import CurveMetrics
from .drop import DropMetrics
from .grid import GridMetrics
from .mask import MaskMetrics


class MetricEvaluator(GridMetrics, CurveMetrics, DropMetrics, MaskMetrics):
    """Scores saliency maps of candidates on a fixed set of images with every SYCAM metric."""

    def __init__(
        self,
        probs: Probs,
        pixels: Tensor,
        targets: Tensor,
        masks: Tensor | None,
        steps: int = 10,
        batch_size: int = 64,
    ) -> None:
        if pixels.dim() != 4 or targets.shape != pixels.shape[:1]:
            raise MetricError(
                f"expected pixels [I, 3, H, W] and targets [I], got {list(pixels.shape)} and "
                f"{list(targets.shape)} (hint: one target class per image)"
            )
        if masks is not None and masks.shape != (pixels.shape[0], *pixels.shape[-2:]):
            raise MetricError(
                f"expected masks [I, H, W] = {[pixels.shape[0], *pixels.shape[-2:]]}, got {list(masks.shape)}"
            )
        if steps < 1 or batch_size < 1:
            raise MetricError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
        self.probs = probs
        self.pixels = pixels
        self.targets = targets
        self.masks = None if masks is None else masks.to(torch.bool)
        self.steps = steps
        self.batch_size = batch_size
        self.counts = MemoCounts()
        count = pixels.shape[0]
        self._known = torch.zeros(count, dtype=torch.bool)  # clean/blurred inputs computed
        self._blurred = torch.empty_like(pixels)
        self._clean_probs = torch.zeros(count, dtype=torch.float64)
        self._blurred_probs = torch.zeros(count, dtype=torch.float64)
        # `_cell_keys` (image, grid rows, grid columns, the cells taken from x̃) -> p_c
        self._cell_memo: dict[bytes, float] = {}
        self._product_memo: dict[tuple[int, bytes], float] = {}  # (image, map key) -> p_c(x ⊙ S)
        self._curve_memo: dict[tuple[str, int, bytes], Tensor] = {}  # (metric, image, key) -> curve
        self._grids: dict[tuple[int, int], Tensor] = {}

    def score(self, metric: str, image_idx: Tensor, s_fm: Tensor, s: Tensor | None) -> Tensor:
        """Per candidate-image values `[C, I']` (float64) of `metric` for maps of `pixels[image_idx]`.

        `s_fm` `[C, I', h, w]` and `s` `[C, I', H, W]` come from `cam.cam_maps` for the same
        weights; metrics in `SCORED_FROM_S_FM` read only `s_fm` and accept `s=None`.
        """
        metric = metric_name(metric, self.masks is not None)
        images = [int(i) for i in torch.as_tensor(image_idx).reshape(-1)]
        self._check_maps(metric, images, s_fm, s, metric not in SCORED_FROM_S_FM)
        flagged, s_fm, s = flag_maps(s_fm, s)
        scorer = {
            "avg_drop": self._product_score,
            "increase": self._product_score,
            "deletion": self._grid_score,
            "insertion": self._grid_score,
            "deletion_auc": self._curve_score,
            "insertion_auc": self._curve_score,
            "topn_gt": self._mask_score,
            "sch": self._mask_score,
            "pointing": self._mask_score,
        }[metric]
        values = scorer(metric, images, s_fm, s, flagged)
        return torch.where(flagged, torch.full_like(values, worst_value(metric)), values)

    def map_keys(self, metric: str, s_fm: Tensor, s: Tensor | None, image_idx: Tensor | None = None) -> list[bytes]:
        """One key per candidate; equal keys imply equal scores of `metric` on these images."""
        return [digest(b"|".join(parts)) for parts in self.image_keys(metric, s_fm, s, image_idx)]

    def image_keys(self, metric: str, s_fm: Tensor, s: Tensor | None,
                   image_idx: Tensor | None = None) -> list[list[bytes]]:
        """One key per candidate and image; equal keys imply equal scores of `metric` on that image.

        Rank-only metrics key on the ranking as far as the metric reads it (top-P cell order,
        RISE step of each pixel, argmax, top-n pixel set); the others on the normalised map
        rounded to 2^-20. `topn_gt` needs `image_idx` for the mask sizes (without it, the map key).
        Metrics in `KEYED_FROM_S_FM` accept `s=None`.
        """
        metric = metric_name(metric, self.masks is not None)
        images = None if image_idx is None else [int(i) for i in torch.as_tensor(image_idx).reshape(-1)]
        reads_s = metric not in KEYED_FROM_S_FM
        self._check_maps(metric, images if images is not None else list(range(s_fm.shape[1])), s_fm, s, reads_s)
        flagged, s_fm, s = flag_maps(s_fm, s)
        if metric in ("deletion", "insertion"):
            order = self._cell_order(s_fm).cpu().numpy()
            per_image = [[row.tobytes() for row in rows] for rows in order]
        elif metric in ("deletion_auc", "insertion_auc"):
            steps = s_fm.shape[-2] * s_fm.shape[-1]
            per_image = [[key for key, _ in self._curve_steps(s[c], flagged[c], steps)] for c in range(s.shape[0])]
        elif metric == "pointing":
            per_image = [[np.int64(p).tobytes() for p in row] for row in self._argmax_pixels(s).tolist()]
        elif metric == "topn_gt" and images is not None:
            top = self._top_pixels(s, images).cpu().numpy()
            per_image = [[np.packbits(row).tobytes() for row in rows] for rows in top]
        else:
            per_image = self._rounded_map_keys(s_fm)
        return [[b"flagged" if bad else digest(part) for part, bad in zip(parts, marks)]
                for parts, marks in zip(per_image, flagged.tolist())]

    # ----------------------------------------------------------------- shared inputs

    def _check_maps(self, metric: str, images: list[int], s_fm: Tensor, s: Tensor | None, reads_s: bool) -> None:
        if s_fm.dim() != 4 or s_fm.shape[1] != len(images):
            raise MetricError(f"expected s_fm [C, I', h, w] with I' = {len(images)} images, got {list(s_fm.shape)}")
        if s is None and reads_s:
            raise MetricError(f"metric '{metric}' reads the upsampled map s; got s=None")
        if s is not None and s.shape != (*s_fm.shape[:2], *self.pixels.shape[-2:]):
            expected = [*s_fm.shape[:2], *self.pixels.shape[-2:]]
            raise MetricError(f"expected s [C, I', H, W] = {expected}, got {list(s.shape)}")
        if images and not 0 <= min(images) <= max(images) < self.pixels.shape[0]:
            raise MetricError(f"image indices must lie in 0..{self.pixels.shape[0] - 1}, "
                              f"got {min(images)}..{max(images)}")

    def _ensure_inputs(self, images: list[int]) -> None:
        """Blur and score (clean and blurred) every image not seen before, in one batch."""
        todo = sorted({i for i in images if not self._known[i]})
        if not todo:
            return
        index = torch.tensor(todo)
        self._blurred[index] = blur(self.pixels[index])
        both = torch.cat([self.pixels[index], self._blurred[index]])
        values = self._call_probs(both, self.targets[index].repeat(2))
        self._clean_probs[index] = values[: len(todo)]
        self._blurred_probs[index] = values[len(todo):]
        self._known[index] = True

    def _call_probs(self, pixels: Tensor, targets: Tensor) -> Tensor:
        self.counts.calls += 1
        self.counts.images += pixels.shape[0]
        return self.probs(pixels, targets.to(pixels.device)).detach().to("cpu", torch.float64).reshape(-1)

    def _probs_of(self, jobs: list, build: Callable[[list], Tensor]) -> list[float]:
        """Model probabilities for perturbed images described by jobs `(image, …)`, batched."""
        results: list[float] = []
        for start in range(0, len(jobs), self.batch_size):
            chunk = jobs[start:start + self.batch_size]
            targets = self.targets[torch.tensor([job[0] for job in chunk])]
            results += self._call_probs(build(chunk), targets).tolist()
        self.counts.misses += len(jobs)
        return results

    def _clean(self, images: list[int]) -> Tensor:
        return self._clean_probs[images].clamp_min(PROBABILITY_FLOOR)
