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
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch
from torch import Tensor

from sycam_sygus.errors import did_you_mean
from sycam_sygus.logic import METRIC_PREFIX, METRICS

from .blur import blur
from .cam import invalid_maps, normalize_maps

Probs = Callable[[Tensor, Tensor], Tensor]

# Normalised maps are compared after rounding to this many fractional bits (about 1e-6).
_KEY_BITS = 20
# Probabilities are divided by p_c(x); this floor keeps an image the model gives 0 finite.
_PROBABILITY_FLOOR = 1e-12
# Metrics whose score reads only the small S_fm: callers may skip upsampling and pass s=None.
SCORED_FROM_S_FM = frozenset({"deletion", "insertion"})
# Metrics whose map key reads only S_fm (topn_gt keys on S's top pixels once images are given).
KEYED_FROM_S_FM = frozenset({"deletion", "insertion", "avg_drop", "increase", "sch"})


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


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _flag_maps(s_fm: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
    """`[C, I']` flags of non-finite maps (on the CPU), and the maps with NaN set to 0 if any.

    `cam_maps` flags `S_fm` and `S` together, so reading the small `S_fm` is enough.
    """
    flagged = invalid_maps(s_fm).cpu()
    if not flagged.any():
        return flagged, s_fm, s
    return flagged, s_fm.nan_to_num(0.0), None if s is None else s.nan_to_num(0.0)


def _cell_keys(images: np.ndarray, grid: tuple[int, int], blurred: np.ndarray) -> list[bytes]:
    """Grid memo keys: per row, the image and grid as int64 then the blurred cells `[N, h·w]` as bits."""
    header = np.empty((len(images), 3), dtype=np.int64)
    header[:, 0], header[:, 1:] = images, grid
    packed = np.packbits(blurred, axis=-1, bitorder="little")
    rows = np.concatenate([header.view(np.uint8), packed], axis=1)
    return rows.view(f"V{rows.shape[1]}").ravel().tolist()


def _read_cell_keys(keys: list[bytes], cells: int) -> tuple[np.ndarray, np.ndarray]:
    """The images `[N]` and blurred cells `[N, cells]` (bool) of grid memo keys."""
    rows = np.frombuffer(b"".join(keys), np.uint8).reshape(len(keys), -1)
    images = rows[:, :8].copy().view(np.int64).ravel()
    return images, np.unpackbits(rows[:, 24:], axis=1, count=cells, bitorder="little").astype(bool)


def _curve_bounds(pixels_total: int, steps: int) -> Tensor:
    """Pixels replaced after each step `j = 0..steps` of a RISE curve: `⌊j·H·W/steps⌋`."""
    return torch.tensor([j * pixels_total // steps for j in range(steps + 1)])


class MetricEvaluator:
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

    # ----------------------------------------------------------------- public API

    def score(self, metric: str, image_idx: Tensor, s_fm: Tensor, s: Tensor | None) -> Tensor:
        """Per candidate-image values `[C, I']` (float64) of `metric` for maps of `pixels[image_idx]`.

        `s_fm` `[C, I', h, w]` and `s` `[C, I', H, W]` come from `cam.cam_maps` for the same
        weights; metrics in `SCORED_FROM_S_FM` read only `s_fm` and accept `s=None`.
        """
        metric = metric_name(metric, self.masks is not None)
        images = [int(i) for i in torch.as_tensor(image_idx).reshape(-1)]
        self._check_maps(metric, images, s_fm, s, metric not in SCORED_FROM_S_FM)
        flagged, s_fm, s = _flag_maps(s_fm, s)
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
        """One key per candidate; equal keys imply equal scores of `metric` on these images.

        Rank-only metrics key on the ranking as far as the metric reads it (top-P cell order,
        RISE step of each pixel, argmax, top-n pixel set); the others on the normalised map
        rounded to 2^-20. `topn_gt` needs `image_idx` for the mask sizes (without it, the map key).
        Metrics in `KEYED_FROM_S_FM` accept `s=None`.
        """
        metric = metric_name(metric, self.masks is not None)
        images = None if image_idx is None else [int(i) for i in torch.as_tensor(image_idx).reshape(-1)]
        reads_s = metric not in KEYED_FROM_S_FM
        self._check_maps(metric, images if images is not None else list(range(s_fm.shape[1])), s_fm, s, reads_s)
        flagged, s_fm, s = _flag_maps(s_fm, s)
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
        return [
            _digest(b"|".join(b"flagged" if bad else part for part, bad in zip(parts, marks)))
            for parts, marks in zip(per_image, flagged.tolist())
        ]

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
        return self._clean_probs[images].clamp_min(_PROBABILITY_FLOOR)

    # ----------------------------------------------------------------- avg_drop, increase

    def _rounded_map_keys(self, s_fm: Tensor) -> list[list[bytes]]:
        """Per candidate-image digest of the min-max normalised `S_fm` rounded to 2^-20.

        `S` is a function of the normalised `S_fm` (upsampling is linear and the final min-max
        normalisation removes any positive scale and offset), so this small key stands for `S`.
        """
        quantised = (normalize_maps(s_fm) * 2**_KEY_BITS).round().to(torch.int32).cpu().numpy()
        return [[_digest(per_image.tobytes()) for per_image in per_candidate] for per_candidate in quantised]

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

    # ----------------------------------------------------------------- grid deletion / insertion

    def _cell_of_pixel(self, cells_high: int, cells_wide: int) -> Tensor:
        """`[H·W]` index of the grid cell of each pixel; borders at `r·H // h` and `c·W // w`."""
        grid = (cells_high, cells_wide)
        if grid not in self._grids:
            height, width = self.pixels.shape[-2:]
            row_starts = torch.tensor([r * height // cells_high for r in range(cells_high)])
            col_starts = torch.tensor([c * width // cells_wide for c in range(cells_wide)])
            rows = torch.searchsorted(row_starts, torch.arange(height), right=True) - 1
            cols = torch.searchsorted(col_starts, torch.arange(width), right=True) - 1
            self._grids[grid] = (rows[:, None] * cells_wide + cols[None, :]).reshape(-1).to(self.pixels.device)
        return self._grids[grid]

    def _cell_order(self, s_fm: Tensor) -> Tensor:
        """`[C, I', P]` the first `P = min(steps, h·w)` cells by `S_fm` descending, ties by index."""
        flat = s_fm.flatten(2)
        # A stable descending sort keeps equal cells in index order.
        order = torch.sort(flat, dim=-1, descending=True, stable=True).indices
        return order[..., : min(self.steps, flat.shape[-1])]

    def _step_keys(self, metric: str, grid: tuple[int, int], order: np.ndarray,
                   image_of_row: np.ndarray) -> tuple[list[bytes], np.ndarray]:
        """Memo keys of grid steps: the distinct keys, and `[V, P]` the key index of each step.

        `order` `[V, P]` holds the top cells of V maps, `image_of_row` `[V]` their images. Keys
        are numbered by first appearance (row by row, step by step), so missing ones reach the
        model in the order a loop over candidates, images and steps would send them.
        """
        rows, steps = order.shape
        rank = np.full((rows, grid[0] * grid[1]), steps, dtype=np.int64)  # step that blurs each cell
        np.put_along_axis(rank, order, np.broadcast_to(np.arange(steps), order.shape), axis=-1)
        after_step = np.arange(steps)[None, :, None]
        blurred = rank[:, None, :] <= after_step if metric == "deletion" else rank[:, None, :] > after_step
        keys = _cell_keys(np.repeat(image_of_row, steps), grid, blurred.reshape(rows * steps, rank.shape[1]))
        numbers: dict[bytes, int] = {}
        key_of_step = [numbers.setdefault(key, len(numbers)) for key in keys]
        return list(numbers), np.array(key_of_step, dtype=np.int64).reshape(rows, steps)

    def _grid_score(self, metric: str, images: list[int], s_fm: Tensor, s: Tensor | None, flagged: Tensor) -> Tensor:
        self._ensure_inputs(images)
        grid = tuple(s_fm.shape[-2:])
        cells = grid[0] * grid[1]
        order = self._cell_order(s_fm).cpu().numpy()
        candidates, _, steps = order.shape
        valid = ~flagged.numpy()
        keys, key_of_step = self._step_keys(metric, grid, order[valid], np.asarray(images)[np.nonzero(valid)[1]])
        # nothing blurred is x itself, everything blurred is x̃
        distinct = sorted(set(images))
        for blurred, known in ((False, self._clean_probs), (True, self._blurred_probs)):
            flat = np.full((len(distinct), cells), blurred)
            self._cell_memo.update(zip(_cell_keys(np.array(distinct), grid, flat), known[distinct].tolist()))
        jobs = [key for key in keys if key not in self._cell_memo]
        cell_of_pixel = self._cell_of_pixel(*grid)

        def build(chunk: list) -> Tensor:
            index, bits = _read_cell_keys(chunk, cells)
            blurred_cells = torch.from_numpy(bits).to(cell_of_pixel.device)
            take_blurred = blurred_cells[:, cell_of_pixel].view(len(chunk), 1, *self.pixels.shape[-2:])
            return torch.where(take_blurred, self._blurred[index], self.pixels[index])

        for key, value in zip(jobs, self._probs_of(jobs, build)):
            self._cell_memo[key] = value
        self.counts.hits += key_of_step.size - len(jobs)
        per_key = torch.tensor([self._cell_memo[key] for key in keys], dtype=torch.float64)
        probabilities = torch.zeros(candidates, len(images), steps, dtype=torch.float64)
        probabilities[torch.from_numpy(valid)] = per_key[torch.from_numpy(key_of_step)]
        clean = self._clean(images)[:, None]
        if metric == "deletion":
            drops = self._clean_probs[images][:, None] - probabilities
        else:
            drops = probabilities - self._blurred_probs[images][:, None]
        return (drops / clean).mean(dim=-1)

    # ----------------------------------------------------------------- RISE curves

    def _curve_steps(self, maps: Tensor, flagged: Tensor, steps: int) -> Iterator[tuple[bytes, Tensor]]:
        """Per image of one candidate `[I', H, W]`: (key, step at which each pixel is replaced).

        Step `j` (1..h·w) replaces pixels of rank `⌊(j−1)·H·W/n⌋ .. ⌊j·H·W/n⌋−1`, `n = h·w`, so
        the curve depends only on each pixel's step: that array is the memo key.
        """
        pixels_total = maps.shape[-2] * maps.shape[-1]
        bounds = _curve_bounds(pixels_total, steps)
        flat = maps.flatten(1)
        order = torch.sort(flat, dim=-1, descending=True, stable=True).indices
        positions = torch.arange(pixels_total, device=order.device).expand_as(order)
        ranks = torch.empty_like(order).scatter_(-1, order, positions)
        step_of_pixel = torch.bucketize(ranks, bounds[1:].to(ranks.device), right=True) + 1
        # compact: missing curves keep this array until their images are built
        step_of_pixel = step_of_pixel.to(torch.int16 if steps < 2**15 else torch.int32)
        for i in range(maps.shape[0]):
            key = b"flagged" if flagged[i] else _digest(step_of_pixel[i].cpu().numpy().tobytes())
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
        fractions = _curve_bounds(pixels_total, steps).to(torch.float64) / pixels_total
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

    # ----------------------------------------------------------------- mask metrics

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
