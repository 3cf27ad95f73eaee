"""The public API: a synthesised (or hand-written) CAM expression as a reusable CAM method.

`explain` gives saliency maps and `score` a metric's per-image values for a model and a batch of
model-ready images, like pytorch-grad-cam's `input_tensor`. An expression is SyGuS term text
over terminal names, e.g. `"(* grads abl)"` (CAM-THEORY §2-3).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from .core.logic import INT_TERMINALS, TERMINALS
from .ir import INT, REAL, Term, var

Normalize = tuple[Sequence[float], Sequence[float]]


def explain(model: nn.Module, images: Tensor, expression: str, layer: str | nn.Module | None = None,
            targets: Sequence[int] | Tensor | None = None, normalize: Normalize | None = None) -> Tensor:
    """Saliency maps `[B, H, W]` in [0, 1] of `expression` for model-ready `images` `[B, 3, H, W]`."""
    backend, weights = _evaluate(model, images, expression, layer, targets, normalize, masks=None, steps=10)
    return backend.saliency([weights], range(len(images)))[1][0]


def score(model: nn.Module, images: Tensor, expression: str, metric: str, masks: Tensor | None = None,
          layer: str | nn.Module | None = None, targets: Sequence[int] | Tensor | None = None,
          normalize: Normalize | None = None, **metric_options: object) -> Tensor:
    """Per-image values `[B]` of `metric` (e.g. 'deletion') for the maps of `expression`.

    `metric_options`: `steps` (grid deletion/insertion steps, default 10).
    """
    unknown = set(metric_options) - {"steps"}
    if unknown:
        raise TypeError(f"unknown metric option(s) {sorted(unknown)}; known: steps")
    steps = int(metric_options.get("steps", 10))
    backend, weights = _evaluate(model, images, expression, layer, targets, normalize, masks, steps)
    return backend.score_tensor([weights], range(len(images)), metric)[0]


def _evaluate(model: nn.Module, images: Tensor, expression: str, layer: str | nn.Module | None,
              targets: Sequence[int] | Tensor | None, normalize: Normalize | None, masks: Tensor | None,
              steps: int):
    """A cache-free torch backend over the images, and the expression's weights `[B, K]` on it."""
    from .backends.torch_cam.backend import TorchBackend
    from .backends.torch_cam.data import ImageSet
    from .backends.torch_cam.models import Classifier
    from .cam_method import resolve_layer
    from .engine.enumerate import TermValues

    if images.dim() != 4:
        raise ValueError(f"expected images [B, C, H, W], got shape {list(images.shape)}")
    term = parse_expression(expression)
    layer_module = resolve_layer(model, layer, "layer")
    device = next(model.parameters()).device
    pixels = images.detach().to(device, torch.float32)
    if normalize is not None:
        mean = torch.tensor(normalize[0], dtype=torch.float32, device=device).view(1, -1, 1, 1)
        std = torch.tensor(normalize[1], dtype=torch.float32, device=device).view(1, -1, 1, 1)
        pixels = pixels * std + mean
    count, height, width = len(images), images.shape[-2], images.shape[-1]
    if masks is not None and masks.shape != (count, height, width):
        raise ValueError(f"expected masks [B, H, W] = {[count, height, width]}, got {list(masks.shape)}")
    if targets is not None and len(targets) != count:
        raise ValueError(f"expected one target per image ({count}), got {len(targets)}")
    data = ImageSet(pixels, torch.full((count,), -1, dtype=torch.long),
                    None if masks is None else masks.to(torch.bool), [str(i) for i in range(count)],
                    [(width, height)] * count)
    classifier = Classifier(model, layer_module, normalize, device, batch_size=64)
    backend = TorchBackend(classifier, data, targets=None if targets is None else torch.as_tensor(targets),
                           steps=steps)
    return backend, TermValues(backend, range(count)).get(term)


def parse_expression(text: str) -> Term:
    """The IR of an expression's SyGuS text over terminal names (parsed and lowered by the front end)."""
    from .frontend.lower import lower_term
    from .frontend.parser import parse_term

    scope = {name: var(name, INT if name in INT_TERMINALS else REAL) for name in TERMINALS}
    return lower_term(parse_term(text), scope, path="<expression>")
