"""The terminals of CAM-THEORY §3: per-channel values `[I, K]`, batched on the device."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from ...core.errors import SygusError, did_you_mean
from ...core.logic import TERMINALS
from .cam import normalize_maps
from .models import Classifier
from .operators import protected_divide

GRADIENT_TERMINALS = ("grads", "pos_grads", "gradcampp", "xgrads", "act")
# Terminals computed from the memoised activations alone, on request (no model call of their own).
ACTIVATION_TERMINALS = ("eigen",)
# Terminals whose value is the same whatever the target class (a map built only from these
# cannot be class-sensitive).
CLASS_INDEPENDENT_TERMINALS = ("act", "eigen")


@dataclass(frozen=True)
class LayerProbe:
    """One forward + backward pass over the images: what every gradient terminal needs."""

    acts: Tensor  # [I, K, h, w]
    grads: Tensor  # [I, K, h, w], d y_c / d A
    logits: Tensor  # [I, classes]


def probe_layer(classifier: Classifier, pixels: Tensor, targets: Tensor) -> LayerProbe:
    """Activations, gradients and logits of the images at the classifier's layer."""
    return LayerProbe(*classifier.activations_and_gradients(pixels, targets))


def check_terminal(name: str) -> None:
    """A clear error for a terminal name the backend does not compute."""
    if name not in TERMINALS:
        raise SygusError(f"unknown terminal '{name}'", path="synth-fun", hint=did_you_mean(name, TERMINALS))


def gradient_terminal(name: str, acts: Tensor, grads: Tensor) -> Tensor:
    """grads, pos_grads, gradcampp, xgrads or act from activations and gradients `[I, K, h, w]`."""
    if name == "grads":
        return grads.mean(dim=(2, 3))
    if name == "pos_grads":
        return grads.relu().mean(dim=(2, 3))
    if name == "act":
        return acts.mean(dim=(2, 3))
    if name == "gradcampp":
        square = grads.pow(2)
        activation_sum = acts.sum(dim=(2, 3), keepdim=True)
        alpha = square / (2 * square + activation_sum * square * grads + 1e-6)
        alpha = torch.where(grads != 0, alpha, torch.zeros_like(alpha))
        return (grads.relu() * alpha).sum(dim=(2, 3))
    if name == "xgrads":
        # pytorch-grad-cam adds 1e-7 to the denominator; we keep it so maps agree exactly.
        return (grads * acts).sum(dim=(2, 3)) / (acts.sum(dim=(2, 3)) + 1e-7)
    raise ValueError(f"'{name}' is not a gradient terminal (expected one of {GRADIENT_TERMINALS})")


def eigen_terminal(acts: Tensor) -> Tensor:
    """eigen: the first principal direction of each image's activations as `[hw, K]` rows.

    As pytorch-grad-cam's EigenCAM, the channels are centred first; the direction's sign
    (arbitrary in an SVD) is chosen so that the projection correlates positively with the
    activation sum over channels (a zero correlation keeps the eigensolver's sign). The direction
    is the top eigenvector of the smaller Gram matrix (`[hw, hw]` or `[K, K]`, float64): the SVD's
    first right-singular vector at a fraction of its cost when K is in the thousands.
    """
    rows = acts.flatten(2).transpose(1, 2).to(torch.float64)  # [I, hw, K]
    finite = torch.isfinite(rows).flatten(1).all(dim=1)
    rows = torch.where(finite[:, None, None], rows, torch.zeros_like(rows))  # eigh would fail on NaN
    centred = rows - rows.mean(dim=1, keepdim=True)
    if centred.shape[1] <= centred.shape[2]:
        cells = torch.linalg.eigh(centred @ centred.transpose(1, 2)).eigenvectors[..., -1]  # [I, hw]
        direction = (centred.transpose(1, 2) @ cells.unsqueeze(2)).squeeze(2)
    else:
        direction = torch.linalg.eigh(centred.transpose(1, 2) @ centred).eigenvectors[..., -1]  # [I, K]
    norm = direction.norm(dim=1, keepdim=True)
    direction = torch.where(norm > 0, direction / norm.clamp_min(1e-300), torch.zeros_like(direction))
    projection = (centred @ direction.unsqueeze(2)).squeeze(2)  # [I, hw], mean 0
    total = rows.sum(dim=2)
    correlation = (projection * (total - total.mean(dim=1, keepdim=True))).sum(dim=1, keepdim=True)
    sign = torch.where(correlation < 0, -1.0, 1.0).to(direction.dtype)
    direction = torch.where(finite[:, None], direction * sign, torch.full_like(direction, float("nan")))
    return direction.to(acts.dtype)


def normalized_upsample(acts: Tensor, size: tuple[int, int]) -> Tensor:
    """`H^k`: each channel bilinearly upsampled to `size`, min-max normalised (constant -> 0)."""
    return normalize_maps(torch.nn.functional.interpolate(acts, size=size, mode="bilinear", align_corners=False))


@torch.no_grad()
def score_cam_terminal(classifier: Classifier, pixels: Tensor, targets: Tensor, acts: Tensor,
                       check: Callable[[float], None] = lambda upcoming: None) -> Tensor:
    """cic: `p_c(x ⊙ H^k) − p_c(black)`, the K masked images of all images batched together.

    A constant channel has `H^k = 0`, so its masked image *is* the black baseline and its value
    is exactly 0: those channels cost no model call. The masked images go through the
    classifier's inference-optimised model (no hooks are needed here), checked against the model.
    `check(seconds)` runs before each batch with the last batch's duration (it raises to stop: a
    deadline passed or would pass during the batch, a signal came).
    """
    count, channels = acts.shape[:2]
    device = classifier.device
    targets = targets.to(device)
    pixels = pixels.to(device)
    black = classifier.black_probs(pixels)
    size = tuple(pixels.shape[-2:])
    flat = acts.flatten(2)
    varying = (flat.amax(dim=2) > flat.amin(dim=2)).flatten().nonzero().squeeze(1)
    values = torch.zeros(count * channels, device=device)
    last = 0.0
    for chunk in varying.split(classifier.batch_size) if len(varying) else ():  # all constant: all 0
        check(last)
        began = time.monotonic()
        image, channel = chunk // channels, chunk % channels
        masks = normalized_upsample(acts[image, channel].unsqueeze(1), size)
        values[chunk] = classifier.probs(pixels[image] * masks, targets[image], optimized=True) - black[targets[image]]
        last = time.monotonic() - began
    return values.view(count, channels)


def ablation_terminal(classifier: Classifier, pixels: Tensor, targets: Tensor, acts: Tensor,
                      logits: Tensor, check: Callable[[float], None] = lambda upcoming: None) -> Tensor:
    """abl: `(y_c − y_c^(k)) / y_c` (0 where `y_c = 0`, as protected division)."""
    targets = targets.to(classifier.device)
    clean = logits.gather(1, targets.view(-1, 1))
    ablated = classifier.ablated_logits(pixels, acts, targets, logits, check)
    return protected_divide(clean - ablated, clean)
