"""`heatmaps.png`: a few images with the classic methods' saliency maps and the answer's.

Rows are images; columns are the image, then one heat map per method, overlaid on the image.
Maps come from `backend.maps` and pictures from `backend.pictures`, so the figure shows exactly
what was scored.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402

from ..core.atomic import write_atomically  # noqa: E402
from ..engine.port import ReportBackend, Weights  # noqa: E402

FIGURE_NAME = "heatmaps.png"


def draw_heatmaps(
    path: Path,
    backend: ReportBackend,
    methods: Sequence[tuple[str, Weights]],
    images: Sequence[int],
) -> None:
    """Write the grid figure; `methods` are (column title, weights on `images`) pairs."""
    pictures = np.asarray(backend.pictures(images), dtype=np.float64)
    maps = np.asarray(backend.maps([w for _, w in methods], images), dtype=np.float64)
    columns = 1 + len(methods)
    figure, axes = plt.subplots(
        len(images), columns, figsize=(2.0 * columns, 2.0 * len(images)), squeeze=False,
    )
    for row, image in enumerate(images):
        picture = np.clip(pictures[row], 0.0, 1.0)
        axes[row][0].imshow(picture, interpolation="nearest")
        axes[row][0].set_ylabel(f"image {image}", fontsize=8)
        for column in range(1, len(methods) + 1):
            axes[row][column].imshow(picture.mean(axis=-1), cmap="gray", interpolation="nearest")
            axes[row][column].imshow(maps[column - 1, row], cmap="jet", alpha=0.5, vmin=0.0, vmax=1.0,
                                     interpolation="nearest")
    for column, title in enumerate(["image"] + [t for t, _ in methods]):
        axes[0][column].set_title(title, fontsize=8)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    write_atomically(path, buffer.getvalue())
