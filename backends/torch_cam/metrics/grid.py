"""Grid deletion and insertion over the feature-map cells, memoised per set of replaced cells."""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def cell_keys(images: np.ndarray, grid: tuple[int, int], blurred: np.ndarray) -> list[bytes]:
    """Grid memo keys: per row, the image and grid as int64 then the blurred cells `[N, h·w]` as bits."""
    header = np.empty((len(images), 3), dtype=np.int64)
    header[:, 0], header[:, 1:] = images, grid
    packed = np.packbits(blurred, axis=-1, bitorder="little")
    rows = np.concatenate([header.view(np.uint8), packed], axis=1)
    return rows.view(f"V{rows.shape[1]}").ravel().tolist()


def read_cell_keys(keys: list[bytes], cells: int) -> tuple[np.ndarray, np.ndarray]:
    """The images `[N]` and blurred cells `[N, cells]` (bool) of grid memo keys."""
    rows = np.frombuffer(b"".join(keys), np.uint8).reshape(len(keys), -1)
    images = rows[:, :8].copy().view(np.int64).ravel()
    return images, np.unpackbits(rows[:, 24:], axis=1, count=cells, bitorder="little").astype(bool)


class GridMetrics:
    """Methods of `MetricEvaluator` for this family (they read its images, memos and model calls)."""

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
        keys = cell_keys(np.repeat(image_of_row, steps), grid, blurred.reshape(rows * steps, rank.shape[1]))
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
            self._cell_memo.update(zip(cell_keys(np.array(distinct), grid, flat), known[distinct].tolist()))
        jobs = [key for key in keys if key not in self._cell_memo]
        cell_of_pixel = self._cell_of_pixel(*grid)

        def build(chunk: list) -> Tensor:
            index, bits = read_cell_keys(chunk, cells)
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
