"""The blurred substrate `x̃` of deletion/insertion metrics (CAM-THEORY §4): a separable Gaussian."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def blur_sigma(height: int, width: int) -> float:
    """σ in pixels: 10 at 224×224, scaled by `min(H, W) / 224` otherwise."""
    return 10.0 * min(height, width) / 224.0


def gaussian_kernel(sigma: float, dtype: torch.dtype = torch.float32) -> Tensor:
    """The normalised 1-D Gaussian of length `2⌈3σ⌉ + 1`."""
    radius = math.ceil(3 * sigma)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    return (kernel / kernel.sum()).to(dtype)


def reflect_indices(size: int, pad: int) -> Tensor:
    """Source indices of a reflect-padded axis (`d c b | a b c d | c b a`), for any `pad`.

    torch's `reflect` mode fails once `pad >= size`; here the reflection simply repeats
    (the axis is mirrored back and forth, period `2·(size−1)`), which equals torch's result
    whenever torch accepts the padding. A one-pixel axis repeats its only pixel.
    """
    positions = torch.arange(-pad, size + pad)
    if size == 1:
        return torch.zeros_like(positions)
    period = 2 * (size - 1)
    folded = positions.remainder(period)
    return torch.where(folded < size, folded, period - folded)


def blur(pixels: Tensor) -> Tensor:
    """Blur `[N, 3, H, W]` images with the metric's Gaussian (reflect padding, deterministic)."""
    height, width = pixels.shape[-2:]
    kernel = gaussian_kernel(blur_sigma(height, width), pixels.dtype).to(pixels.device)
    radius = kernel.numel() // 2
    channels = pixels.shape[1]
    rows = reflect_indices(height, radius).to(pixels.device)
    cols = reflect_indices(width, radius).to(pixels.device)
    padded = pixels.index_select(-2, rows).index_select(-1, cols)
    vertical = kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
    horizontal = kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
    out = F.conv2d(padded, vertical, groups=channels)
    return F.conv2d(out, horizontal, groups=channels)
