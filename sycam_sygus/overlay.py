"""Saliency maps blended over their images, as pytorch-grad-cam's `show_cam_on_image(use_rgb=True)`.

`(1 − image_weight)·colormap(map) + image_weight·image`, divided by its maximum, as uint8 RGB.
The colormap is matplotlib's (default 'jet', the look of OpenCV's COLORMAP_JET that
pytorch-grad-cam uses), so no OpenCV is needed.
"""
from __future__ import annotations

import numpy as np


def show_cam_on_image(img: np.ndarray, mask: np.ndarray, image_weight: float = 0.5,
                      colormap: str = "jet") -> np.ndarray:
    """The map `mask` `[H, W]` in [0, 1] over the RGB image `img` `[H, W, 3]` in [0, 1] -> uint8 `[H, W, 3]`."""
    from matplotlib import colormaps

    img = np.asarray(img, dtype=np.float32)
    mask = np.asarray(mask, dtype=np.float32)
    if img.ndim != 3 or img.shape[-1] != 3 or mask.shape != img.shape[:2]:
        raise ValueError(f"img: expected [H, W, 3] and mask [H, W] of the same size, got {list(img.shape)} "
                         f"and {list(mask.shape)}")
    if img.max(initial=0.0) > 1 or img.min(initial=0.0) < 0:
        raise ValueError("img: expected float RGB values in [0, 1] (divide uint8 images by 255)")
    if not 0 <= image_weight <= 1:
        raise ValueError(f"image_weight: expected a value in [0, 1], got {image_weight}")
    # Quantised to 256 levels first, as the uint8 lookup of OpenCV's colormaps.
    levels = np.uint8(255 * np.clip(np.nan_to_num(mask), 0.0, 1.0))
    heatmap = colormaps[colormap](levels)[..., :3].astype(np.float32)
    blended = (1 - image_weight) * heatmap + image_weight * img
    return np.uint8(255 * blended / max(float(blended.max()), 1e-12))
