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
from .report import MethodRow  # noqa: E402

FIGURE_NAME = "heatmaps.png"


def draw_heatmaps(
    path: Path,
    backend: ReportBackend,
    methods: Sequence[tuple[str, Weights]],
    images: Sequence[int],
    rows: Sequence[MethodRow] = (),
    metric: str = "",
) -> None:
    """Write the grid figure; `methods` are (column title, weights on `images`) pairs.

    Each row is titled with the image's file name and target class (named where the model's
    classes have names); under each map, the method's score on `metric` for that image, read from
    the comparison `rows` (whose per-image scores start with `images`); mask outlines in white.
    """
    pictures = np.asarray(backend.pictures(images), dtype=np.float64)
    maps = np.asarray(backend.maps([w for _, w in methods], images), dtype=np.float64)
    scores = {row.method: row.per_image[metric] for row in rows if row.per_image and metric in row.per_image}
    masks = getattr(backend, "masks", None)
    captions = image_captions(backend, images)
    columns = 1 + len(methods)
    figure, axes = plt.subplots(
        len(images), columns, figsize=(2.0 * columns, 2.3 * len(images)), squeeze=False,
    )
    for row, image in enumerate(images):
        picture = np.clip(pictures[row], 0.0, 1.0)
        axes[row][0].imshow(picture, interpolation="nearest")
        axes[row][0].set_ylabel(captions[row], fontsize=7)
        for column, (title, _) in enumerate(methods, start=1):
            axes[row][column].imshow(picture.mean(axis=-1), cmap="gray", interpolation="nearest")
            axes[row][column].imshow(maps[column - 1, row], cmap="jet", alpha=0.5, vmin=0.0, vmax=1.0,
                                     interpolation="nearest")
            if title in scores:
                axes[row][column].set_xlabel(f"{metric} {scores[title][row]:.3f}", fontsize=7)
        if masks is not None:
            outline = np.asarray(masks[image].cpu(), dtype=np.float64)
            for axis in axes[row]:
                axis.contour(outline, levels=[0.5], colors="white", linewidths=0.7)
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


def image_captions(backend: ReportBackend, images: Sequence[int]) -> list[str]:
    """'file name' and 'class NAME (k)' per image; a backend without file names gives 'image i'."""
    names = list(getattr(getattr(backend, "data", None), "names", None) or [])
    classes = backend.target_classes(images)
    known = _class_names(backend, names)
    captions = []
    for image, k in zip(images, classes):
        name = _short(names[image]) if names else f"image {image}"
        label = f"{known[k]} ({k})" if known is not None and 0 <= k < len(known) and known[k] != str(k) else str(k)
        captions.append(f"{name}\nclass {_short(label)}")
    return captions


def _class_names(backend: ReportBackend, names: list[str]) -> list[str] | None:
    """The model's class names when the torch backend's model and data name them (else None)."""
    classifier = getattr(backend, "classifier", None)
    if classifier is None:
        return None
    import torch

    from ..backends.torch_cam.class_names import class_names

    with torch.no_grad():  # the model itself, not the counted classifier: the report's forwards stay exact
        classes = classifier.model(classifier.model_input(backend.pixels[:1])).shape[-1]
    description = backend.describe()
    return class_names(str(description.get("model", "")), str(description.get("data", "")), names, classes)


def _short(text: str, width: int = 22) -> str:
    """Text that fits under a thumbnail (its end kept: file names differ there)."""
    return text if len(text) <= width else "…" + text[-(width - 1):]
