"""avg_drop and increase: the class probability on the image multiplied by the map, memoised per map."""
from __future__ import annotations

import torch
from torch import Tensor

from ..cam import normalize_maps
from .common import KEY_BITS, digest


class DropMetrics:
    """Methods of `MetricEvaluator` for this family (they read its images, memos and model calls)."""

    def _rounded_map_keys(self, s_fm: Tensor) -> list[list[bytes]]:
        """Per candidate-image digest of the min-max normalised `S_fm` rounded to 2^-20.

        `S` is a function of the normalised `S_fm` (upsampling is linear and the final min-max
        normalisation removes any positive scale and offset), so this small key stands for `S`.
        """
        quantised = (normalize_maps(s_fm) * 2**KEY_BITS).round().to(torch.int32).cpu().numpy()
        return [[digest(per_image.tobytes()) for per_image in per_candidate] for per_candidate in quantised]

    def _product_score(self, metric: str, images: list[int], s_fm: Tensor, s: Tensor, flagged: Tensor) -> Tensor:
        self._ensure_inputs(images)
        keys = self._rounded_map_keys(s_fm)
        wanted: dict[tuple[int, bytes], tuple[int, int]] = {}
        for c, (row, marks) in enumerate(zip(keys, flagged.tolist())):
            for i, (key, bad) in enumerate(zip(row, marks)):
                if not bad and (images[i], key) not in self._product_memo:
                    wanted.setdefault((images[i], key), (c, i))
        jobs = [(image, key, *where) for (image, key), where in wanted.items()]

        def build(chunk: list) -> Tensor:
            maps = torch.stack([s[c, i] for _, _, c, i in chunk])
            return self.pixels[[job[0] for job in chunk]] * maps[:, None].to(self.pixels.dtype)

        for job, value in zip(jobs, self._probs_of(jobs, build)):
            self._product_memo[job[:2]] = value
        self.counts.hits += int((~flagged).sum()) - len(jobs)
        product = torch.tensor(
            [[self._product_memo.get((images[i], key), 0.0) for i, key in enumerate(row)] for row in keys],
            dtype=torch.float64,
        ).reshape(len(keys), len(images))
        clean = self._clean_probs[images]
        if metric == "increase":
            return (product > clean).to(torch.float64)
        return (clean - product).clamp_min(0.0) / self._clean(images)
