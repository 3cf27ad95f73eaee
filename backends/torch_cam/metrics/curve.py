"""RISE deletion and insertion curves over pixels (trapezoid areas), memoised per pixel ranking."""
from __future__ import annotations

from typing import Iterator

import torch
from torch import Tensor

from .common import digest


def curve_bounds(pixels_total: int, steps: int) -> Tensor:
    """Pixels replaced after each step `j = 0..steps` of a RISE curve: `⌊j·H·W/steps⌋`."""
    return torch.tensor([j * pixels_total // steps for j in range(steps + 1)])


class CurveMetrics:
    """Methods of `MetricEvaluator` for this family (they read its images, memos and model calls)."""

    def _curve_steps(self, maps: Tensor, flagged: Tensor, steps: int) -> Iterator[tuple[bytes, Tensor]]:
        """Per image of one candidate `[I', H, W]`: (key, step at which each pixel is replaced).

        Step `j` (1..h·w) replaces pixels of rank `⌊(j−1)·H·W/n⌋ .. ⌊j·H·W/n⌋−1`, `n = h·w`, so
        the curve depends only on each pixel's step: that array is the memo key.
        """
        pixels_total = maps.shape[-2] * maps.shape[-1]
        bounds = curve_bounds(pixels_total, steps)
        flat = maps.flatten(1)
        order = torch.sort(flat, dim=-1, descending=True, stable=True).indices
        positions = torch.arange(pixels_total, device=order.device).expand_as(order)
        ranks = torch.empty_like(order).scatter_(-1, order, positions)
        step_of_pixel = torch.bucketize(ranks, bounds[1:].to(ranks.device), right=True) + 1
        # compact: missing curves keep this array until their images are built
        step_of_pixel = step_of_pixel.to(torch.int16 if steps < 2**15 else torch.int32)
        for i in range(maps.shape[0]):
            key = b"flagged" if flagged[i] else digest(step_of_pixel[i].cpu().numpy().tobytes())
            yield key, step_of_pixel[i]

    def _curve_score(self, metric: str, images: list[int], s_fm: Tensor, s: Tensor, flagged: Tensor) -> Tensor:
        self._ensure_inputs(images)
        steps = s_fm.shape[-2] * s_fm.shape[-1]
        deleting = metric == "deletion_auc"
        keys: list[list[tuple[str, int, bytes]]] = []
        wanted: dict[tuple[str, int, bytes], Tensor] = {}
        for c in range(s.shape[0]):
            row = []
            for i, (key, step_of_pixel) in enumerate(self._curve_steps(s[c], flagged[c], steps)):
                memo_key = (metric, images[i], key)
                row.append(memo_key)
                if not flagged[c, i] and memo_key not in self._curve_memo:
                    wanted.setdefault(memo_key, step_of_pixel)
            keys.append(row)
        # one perturbed image per inner step j = 1..n-1 of each missing curve
        jobs = [(key[1], key, j) for key in wanted for j in range(1, steps)]

        def build(chunk: list) -> Tensor:
            replaced = torch.stack([wanted[key] <= j for _, key, j in chunk])
            replaced = replaced.view(len(chunk), 1, *self.pixels.shape[-2:])
            index = [image for image, _, _ in chunk]
            start, end = (self.pixels, self._blurred) if deleting else (self._blurred, self.pixels)
            return torch.where(replaced, end[index], start[index])

        inner = self._probs_of(jobs, build)
        for n, key in enumerate(wanted):
            first, last = self._clean_probs[key[1]], self._blurred_probs[key[1]]
            if not deleting:
                first, last = last, first
            middle = torch.tensor(inner[n * (steps - 1):(n + 1) * (steps - 1)], dtype=torch.float64)
            self._curve_memo[key] = torch.cat([first.reshape(1), middle, last.reshape(1)])
        valid = int((~flagged).sum())
        self.counts.hits += valid * (steps - 1) - len(jobs)
        pixels_total = s.shape[-2] * s.shape[-1]
        fractions = curve_bounds(pixels_total, steps).to(torch.float64) / pixels_total
        # one area per distinct curve, then spread to the candidate-images that share it
        numbers: dict[tuple[str, int, bytes], int] = {}
        key_of_map = torch.tensor([[-1 if bad else numbers.setdefault(key, len(numbers)) for key, bad in zip(row, marks)]
                                   for row, marks in zip(keys, flagged.tolist())], dtype=torch.long)
        values = torch.zeros(len(keys), len(images), dtype=torch.float64)
        if numbers:
            areas = torch.trapezoid(torch.stack([self._curve_memo[key] for key in numbers]), fractions)
            counted = key_of_map >= 0
            values[counted] = areas[key_of_map[counted]]
        return values
