"""The built-in models and images for Python users: what `sycam-solve` runs on by default.

    model, layer, normalize = sycam_sygus.builtin_model()
    images = sycam_sygus.builtin_images(8)          # model-ready [8, 3, 64, 64]
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

from torch import Tensor, nn

DEFAULT = "builtin:cluttered-mnist"


class BuiltinModel(NamedTuple):
    """A built-in model in eval mode, its usual CAM target layer and its input normalisation."""

    model: nn.Module
    target_layer: nn.Module
    normalize: tuple[Sequence[float], Sequence[float]] | None  # (mean, std), None: raw pixels in [0, 1]


def builtin_model(name: str = DEFAULT) -> BuiltinModel:
    """`builtin:cluttered-mnist` (shipped) or `builtin:imagenet-photos` (needs the `photos` extra)."""
    from .backends.torch_cam import builtin
    from .backends.torch_cam.models import find_layer

    model, layer, normalize, _ = builtin.load_model(name)
    return BuiltinModel(model, find_layer(model, layer)[0], normalize)


def builtin_images(count: int = 8, name: str = DEFAULT, seed: int = 0) -> Tensor:
    """A seeded choice of `count` of the built-in data's images, model-ready `[count, 3, H, W]`
    (normalised as `builtin_model(name).normalize` says); count <= 0: all of them."""
    from .backends.torch_cam import builtin
    from .backends.torch_cam.data import seeded_order

    pixels = builtin.load_data(name)[0].float()
    pixels = pixels[seeded_order(len(pixels), count, seed)]
    if name.removeprefix("builtin:") != builtin.IMAGENET_PHOTOS.removeprefix("builtin:"):
        return pixels  # the cluttered-MNIST model takes raw pixels
    mean = pixels.new_tensor(builtin.PHOTO_NORMALISATION[0]).view(1, -1, 1, 1)
    std = pixels.new_tensor(builtin.PHOTO_NORMALISATION[1]).view(1, -1, 1, 1)
    return (pixels - mean) / std
