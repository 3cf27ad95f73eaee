"""The files `sycam-explain` writes: per image `NAME.png` (the map over the image, at the model's
input size) and `NAME.npy` (the map `[H, W]` float32 in [0, 1]), and one contact sheet.

NAME is the image's path relative to the image folder without its suffix, so class sub-folders
are kept; built-in images are named `canvas-000`, ...
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..overlay import show_cam_on_image
from .figures import image_captions

SHEET_NAME = "contact-sheet.png"
SHEET_IMAGES = 48  # the sheet shows the first this many images; every image gets its own files
SHEET_COLUMNS = 6


def write_outputs(out: Path, backend, maps: np.ndarray, label: str) -> None:
    """Every image's overlay and raw map, then the contact sheet, into `out`."""
    from PIL import Image

    count = len(maps)
    pictures = np.clip(backend.pictures(range(count)), 0.0, 1.0)
    names = [Path(name).with_suffix("").as_posix() for name in backend.data.names]
    overlays = []
    for name, picture, saliency in zip(names, pictures, maps):
        overlay = show_cam_on_image(picture, np.nan_to_num(saliency))
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(overlay).save(out / f"{name}.png")
        np.save(out / f"{name}.npy", saliency)
        overlays.append(overlay)
    masks = None if backend.masks is None else backend.masks.cpu().numpy()
    shown = min(count, SHEET_IMAGES)
    _write_sheet(out / SHEET_NAME, overlays[:shown], image_captions(backend, range(shown)), masks, label, count)


def _write_sheet(path: Path, overlays: list[np.ndarray], captions: list[str], masks: np.ndarray | None,
                 label: str, total: int) -> None:
    """A grid of overlays titled with the file name and target class; mask outlines in white."""
    import matplotlib.pyplot as plt  # the Agg backend: figures.py chose it

    columns = min(SHEET_COLUMNS, len(overlays))
    rows = -(-len(overlays) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.6 * rows + 0.4), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if index >= len(overlays):
            continue
        axis.imshow(overlays[index], interpolation="nearest")
        if masks is not None:
            axis.contour(masks[index].astype(float), levels=[0.5], colors="white", linewidths=0.8)
        axis.set_title(captions[index], fontsize=7)
    shown = f"first {len(overlays)} of {total} images" if total > len(overlays) else f"{total} images"
    figure.suptitle(f"{label} ({shown})", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    path.write_bytes(buffer.getvalue())
