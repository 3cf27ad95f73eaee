"""Human names of a model's classes, where they are known offline: ImageNet's 1000 for torchvision
architectures and the built-in photos' EfficientNet, digits for the built-in cluttered MNIST, and
the class sub-folders' names for a labelled image folder whose classes the model's outputs match.
"""
from __future__ import annotations

IMAGENET_CLASSES = 1000


def class_names(model: str, data: str, image_names: list[str], classes: int) -> list[str] | None:
    """The names of the model's `classes` outputs, or None when nothing names them.

    `model`/`data` are the `:sycam.model`/`:sycam.data` values; `image_names` the images' paths
    relative to the folder (class sub-folders first, as backends.data reads them).
    """
    folders = sorted({name.split("/")[0] for name in image_names if "/" in name})
    if not data.startswith("builtin:") and folders and len(folders) == classes:
        return folders  # ImageFolder's convention: sorted sub-folder names are the class indices
    if model == "builtin:cluttered-mnist" and classes == 10:
        return [str(digit) for digit in range(10)]
    if classes == IMAGENET_CLASSES and (model == "builtin:imagenet-photos" or _is_torchvision(model)):
        return imagenet_categories()
    return None


def imagenet_categories() -> list[str]:
    """ImageNet-1k's class names in index order (shipped inside torchvision: no download)."""
    import torchvision

    return list(torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def _is_torchvision(model: str) -> bool:
    if ":" in model:
        return False
    import torchvision

    return model in torchvision.models.list_models(module=torchvision.models)
