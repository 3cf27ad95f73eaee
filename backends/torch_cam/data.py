"""Images (and optional masks) as pixel tensors in [0, 1], fitted to the model's input size.

Folder images are fitted as torchvision's ImageNet evaluation transform does (`resize` "crop",
the default): the image is scaled, keeping its aspect ratio, so that its shorter side is 256/224
of the input's (256 for a 224 input), then the centre is cut out. "stretch" scales each side to
the input size instead. Masks go through the same geometry (nearest-neighbour).

Sources: `builtin:*` (torch_cam.builtin) or an image folder, either with class sub-folders
(sorted names give labels 0, 1, ...) or flat (labels -1). A mask folder holds files with the
images' relative names; non-zero mask pixels are inside the object.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ...core.errors import OptionError

RESIZE_MODES = ("crop", "stretch")
CROP_MARGIN = 256 / 224  # torchvision's ImageNet evaluation: Resize(256), CenterCrop(224)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


@dataclass
class ImageSet:
    pixels: Tensor  # [N, 3, H, W] float32 in [0, 1]
    labels: Tensor  # [N] long; -1 where unknown
    masks: Tensor | None  # [N, H, W] bool, or None
    names: list[str]
    sizes: list[tuple[int, int]]  # each image's original (width, height), to check its mask

    def subset(self, order: Tensor) -> "ImageSet":
        """The images at `order` (a LongTensor of indices), in that order."""
        return ImageSet(self.pixels[order], self.labels[order],
                        None if self.masks is None else self.masks[order],
                        [self.names[i] for i in order.tolist()], [self.sizes[i] for i in order.tolist()])



def load_images(data: str, masks: str, size: tuple[int, int], count: int, seed: int,
                resize: str = "crop") -> ImageSet:
    """The `data`/`masks` options as an ImageSet: a seeded subset of `count` images (all if fewer),
    less those whose mask is empty; folder images fitted to `size` by `resize` ('crop' or 'stretch')."""
    if resize not in RESIZE_MODES:
        raise OptionError("resize", f"unknown resize mode '{resize}'",
                         hint="use 'crop' (shorter side, then the centre: torchvision's ImageNet convention) "
                              "or 'stretch'")
    if data.startswith("builtin:"):
        from . import builtin
        from .models import builtin_name

        pixels, labels, builtin_masks, names = builtin.load_data(builtin_name("data", data))
        height, width = pixels.shape[-2:]
        images = ImageSet(pixels.float(), labels.long(), builtin_masks, list(names), [(width, height)] * len(names))
        images = images.subset(seeded_order(len(images.names), count, seed))
        if masks:
            images.masks = read_masks(Path(masks), images, (height, width))
    else:
        images = read_image_folder(Path(data), size, count, seed, resize)
        if masks:
            images.masks = read_masks(Path(masks), images, size, resize)
    if images.masks is not None:
        usable = images.masks.flatten(1).any(dim=1)
        if not usable.all():
            # A metric over an empty mask is undefined; a NaN there would poison every tier mean.
            warnings.warn(f"{int((~usable).sum())} image(s) have an empty mask and are left out",
                          stacklevel=2)
            images = images.subset(usable.nonzero().squeeze(1))
    return images


def seeded_order(total: int, count: int, seed: int) -> Tensor:
    """A fixed pseudo-random order of `min(count, total)` of `total` indices (count <= 0: all)."""
    generator = torch.Generator().manual_seed(int(seed))
    order = torch.randperm(total, generator=generator)
    return order[:count] if 0 < count < total else order


def read_image_folder(folder: Path, size: tuple[int, int], count: int = 0, seed: int = 0,
                      resize: str = "crop") -> ImageSet:
    """A seeded subset of the images under `folder` (class sub-folders -> labels), fitted to (H, W)."""
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise OptionError("data", f"data folder '{folder}' {what}",
                         hint="give a folder of images (class sub-folders give labels) or 'builtin:cluttered-mnist'")
    # is_file() is False for FIFOs and devices: they are never opened (opening a FIFO blocks)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise OptionError("data", f"no images in '{folder}'",
                         hint=f"image files end in one of {', '.join(IMAGE_SUFFIXES)}")
    names = [p.relative_to(folder).as_posix() for p in files]
    classes = sorted({n.split("/")[0] for n in names if "/" in n})
    labels = [classes.index(n.split("/")[0]) if "/" in n else -1 for n in names]
    chosen = seeded_order(len(files), count, seed).tolist()
    files, names, labels = [files[i] for i in chosen], [names[i] for i in chosen], [labels[i] for i in chosen]
    opened = [_open(p, "data") for p in files]
    pixels = torch.stack([_to_pixels(image, size, resize) for image in opened])
    return ImageSet(pixels, torch.tensor(labels, dtype=torch.long), None, names, [i.size for i in opened])


def _open(path: Path, option: str):
    """A decoded image; a bomb (more than PIL's MAX_IMAGE_PIXELS, warned or not) is refused before
    decoding, as is anything that is not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            image.load()
        return image
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as error:
        text = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise OptionError(option, f"cannot read image '{path}': {text}",
                         hint="check that the file is a readable image of a sensible size") from None


def fit(image, size: tuple[int, int], resize: str, resample: int):
    """A PIL image fitted to (H, W): 'stretch' scales each side; 'crop' scales the shorter side to
    CROP_MARGIN times the input's (aspect kept, as torchvision's Resize) and cuts out the centre
    (as torchvision's CenterCrop)."""
    height, width = size
    if resize == "stretch":
        return image.resize((width, height), resample)
    scale = CROP_MARGIN * max(height / image.height, width / image.width)
    scaled = (max(width, int(image.width * scale)), max(height, int(image.height * scale)))
    image = image.resize(scaled, resample)
    top, left = int(round((scaled[1] - height) / 2.0)), int(round((scaled[0] - width) / 2.0))
    return image.crop((left, top, left + width, top + height))


def _to_pixels(image, size: tuple[int, int], resize: str = "crop") -> Tensor:
    from PIL import Image

    image = fit(image.convert("RGB"), size, resize, Image.BILINEAR)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()


def read_masks(folder: Path, images: ImageSet, size: tuple[int, int], resize: str = "crop") -> Tensor:
    """The mask of each named image (same relative name, any image suffix), fitted as its image.

    A mask must have its image's original size (mismatches are errors, not silent resizes).
    """
    from PIL import Image

    masks = []
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise OptionError("masks", f"mask folder '{folder}' {what}",
                         hint="give a folder of masks with the images' relative names, or leave it empty")
    for name, image_size in zip(images.names, images.sizes):
        stem = Path(name).with_suffix("")
        candidates = [folder / name] + [folder / f"{stem}{s}" for s in IMAGE_SUFFIXES]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            raise OptionError("masks", f"no mask for image '{name}' in '{folder}'",
                             hint="a mask file has the same relative name as its image")
        mask = _open(path, "masks")
        if image_size != mask.size:
            raise OptionError(
                "masks", f"mask '{path}' is {mask.size[0]}x{mask.size[1]} but its image is "
                f"{image_size[0]}x{image_size[1]}",
                hint="masks must have the same width and height as their images")
        inside = np.asarray(mask.convert("L")) > 0
        resized = fit(Image.fromarray(inside.astype(np.uint8) * 255), size, resize, Image.NEAREST)
        masks.append(torch.from_numpy(np.asarray(resized) > 0))
    return torch.stack(masks)
