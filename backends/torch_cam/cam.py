"""The CAM template (CAM-THEORY §1): channel weights and activations to saliency maps.

`S_fm = ReLU(Σ_k w_k A^k)`, `S = bilinear_upsample(S_fm)` (align_corners=False), then min-max
normalisation per map after upsampling. A candidate-image whose weights (or weighted sum) are not
finite gets an all-NaN map in both outputs: that is the flag metrics read (`invalid_maps`) to
score it the worst value, so nothing downstream has to carry a separate mask.
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor

# A map whose range is below this share of its magnitude is constant up to float rounding
# (bilinear weights do not sum to exactly 1), and becomes all zeros rather than noise.
_RELATIVE_FLATNESS = 64


def normalize_maps(maps: Tensor) -> Tensor:
    """Min-max normalise each map over its last two dimensions; constant maps become zeros."""
    flat = maps.flatten(-2)
    low, high = torch.aminmax(flat, dim=-1, keepdim=True)
    spread = high - low
    magnitude = torch.maximum(high.abs(), low.abs())
    flat_enough = spread <= magnitude * (_RELATIVE_FLATNESS * torch.finfo(maps.dtype).eps)
    # Dividing by infinity flattens constant maps to zeros; NaN never compares as flat, so a map
    # holding NaN stays NaN (flagged, not silently zeroed). Division, not a reciprocal, keeps the
    # peak exactly 1.
    divisor = torch.where(flat_enough, torch.full_like(spread, float("inf")), spread)
    return ((flat - low) / divisor).view_as(maps)


def invalid_maps(maps: Tensor) -> Tensor:
    """`[C, I]` True where a map `[C, I, H, W]` was flagged (holds a non-finite value)."""
    # amax/amin propagate NaN and reach ±inf: two fast reductions instead of a boolean copy.
    low, high = torch.aminmax(maps.flatten(2), dim=-1)
    return ~(torch.isfinite(low) & torch.isfinite(high))


@functools.lru_cache(maxsize=16)
def linear_upsampling_matrix(source: int, target: int, dtype: torch.dtype, device: str) -> Tensor:
    """`[target, source]` weights of 1-D linear interpolation with half-pixel centres.

    Bilinear upsampling is separable, so `rows @ S_fm @ cols.T` equals
    `F.interpolate(S_fm, mode="bilinear", align_corners=False)` (up to float rounding, ~1e-7)
    and is faster: two small matrix products instead of a per-pixel gather.
    """
    identity = torch.eye(source, dtype=dtype, device=device)[None]
    return F.interpolate(identity, size=target, mode="linear", align_corners=False)[0].T.contiguous()


def cam_maps(weights: Tensor, acts: Tensor, size: tuple[int, int],
             upsample: bool = True) -> tuple[Tensor, Tensor | None]:
    """Saliency maps of weights `[C, I, K]` on activations `[I, K, h, w]`: `(S_fm, S)`.

    `S_fm` is `[C, I, h, w]` (unnormalised, for cell rankings); `S` is `[C, I, H, W]` in [0, 1],
    or None without `upsample` (for metrics that read only `S_fm`).
    Memory is `C·I·H·W` floats: callers with many candidates pass them in chunks.
    """
    candidates, images, channels = weights.shape
    if acts.shape[:2] != (images, channels):
        raise ValueError(
            f"cam_maps: weights [C, I, K] = {list(weights.shape)} do not match activations "
            f"[I, K, h, w] = {list(acts.shape)} (hint: same images in the same order, one weight per channel)"
        )
    dtype = acts.dtype
    # Float64 sums, rounded once to the activations' type: a candidate's map then does not depend
    # on how many candidates share the call, and weights that differ by a positive factor (2·w,
    # w + w) give the same normalised map bit for bit (CAM-THEORY §7).
    weights = weights.to(torch.float64)
    finite_weights = torch.isfinite(weights).all(dim=-1)
    clean = torch.where(finite_weights[..., None], weights, torch.zeros_like(weights))
    wide = torch.relu(torch.einsum("cik,ikhw->cihw", clean, acts.to(torch.float64)))
    s_fm = wide.to(dtype)  # a sum beyond the type's range becomes inf here, and is flagged below
    valid = finite_weights & torch.isfinite(s_fm).flatten(2).all(dim=-1)
    flag = ~valid[..., None, None]
    flagged_s_fm = s_fm if valid.all() else s_fm.masked_fill(flag, float("nan"))
    if not upsample:
        return flagged_s_fm, None
    height, width = acts.shape[-2:]
    rows = linear_upsampling_matrix(height, size[0], torch.float64, str(acts.device))
    cols = linear_upsampling_matrix(width, size[1], torch.float64, str(acts.device))
    # normalised in float64 before rounding, so a positive factor of S_fm leaves no trace in S
    s = normalize_maps(rows @ normalize_maps(wide) @ cols.T).to(dtype)
    return flagged_s_fm, (s if valid.all() else s.masked_fill(flag, float("nan")))
