"""Metrics against ground-truth masks: topn_gt, sch and the pointing game."""
from __future__ import annotations

import torch
from torch import Tensor


class MaskMetrics:
    """Methods of `MetricEvaluator` for this family (they read its images, memos and model calls)."""

    def _argmax_pixels(self, s: Tensor) -> Tensor:
        """`[C, I']` index of the first highest pixel (ties by pixel index)."""
        return s.flatten(2).argmax(dim=-1).cpu()

    def _top_pixels(self, s: Tensor, images: list[int]) -> Tensor:
        """`[C, I', H·W]` bool: of each map, the `n = |M|` highest pixels (ties by pixel index)."""
        maps = s.flatten(2)
        chosen = torch.zeros_like(maps, dtype=torch.bool)
        for i, image in enumerate(images):  # n depends on the image only: one selection for all maps
            n = int(self.masks[image].sum())
            if n == 0:
                continue
            values = maps[:, i]
            threshold = torch.topk(values, n, dim=-1, sorted=False).values.amin(dim=-1, keepdim=True)
            selected = values >= threshold
            # (a float sum is faster than a boolean one)
            crowded = (selected.to(values.dtype).sum(dim=-1) > n).nonzero().flatten()
            if len(crowded):
                # more than n pixels reach the threshold: the lowest indices among equal ones stay
                rows, cut = values[crowded], threshold[crowded]
                ties = rows == cut
                places = n - (rows > cut).sum(dim=-1, keepdim=True)
                selected[crowded] = (rows > cut) | (ties & (ties.cumsum(dim=-1) <= places))
            chosen[:, i] = selected
        return chosen

    def _mask_score(self, metric: str, images: list[int], s_fm: Tensor, s: Tensor, flagged: Tensor) -> Tensor:
        masks = self.masks[images].flatten(1).to(s.device)
        if metric == "pointing":
            hits = masks.gather(1, self._argmax_pixels(s).T.to(s.device)).T
            return hits.to(torch.float64).cpu()
        if metric == "sch":
            maps = s.flatten(2).to(torch.float64)
            inside = (maps * masks).sum(dim=-1)
            total = maps.sum(dim=-1)
            return torch.where(total > 0, inside / torch.where(total > 0, total, 1.0), 0.0).cpu()
        inside = torch.einsum("cip,ip->ci", self._top_pixels(s, images).to(s.dtype), masks.to(s.dtype))
        return inside.cpu().to(torch.float64) / masks.sum(dim=-1).cpu().to(torch.float64).clamp_min(1.0)
