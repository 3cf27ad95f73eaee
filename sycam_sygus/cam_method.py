"""A weight expression as a CAM method in pytorch-grad-cam's shape.

    cam = ExpressionCAM(model, target_layers=[model.layer4[-1]], expression="(* grads abl)")
    maps = cam(input_tensor=images, targets=[ClassifierOutputTarget(281)])   # numpy [B, H, W]

As pytorch-grad-cam: `targets` are class indices or callables on one image's model output (None:
the predicted class); several target layers give one map each (min-max normalised on the layer's
grid, then upsampled), averaged and normalised again; `reshape_transform` turns a layer's token-shaped output into `[N, K, h, w]` (applied to
activations and gradients alike). Terminals are the torch backend's (CAM-THEORY §3), so the maps
are exactly those `sycam_sygus.explain` and the solver score.
"""
from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from .backends.torch_cam.backend import TorchBackend
from .backends.torch_cam.cam import linear_upsampling_matrix, normalize_maps
from .backends.torch_cam.data import ImageSet
from .backends.torch_cam.models import Classifier, default_layer, find_layer
from .core.errors import SygusError, did_you_mean
from .engine.enumerate import TermValues
from .method_source import read_method

Normalize = tuple[Sequence[float], Sequence[float]]
Target = int | Callable[[Tensor], Tensor]
# Terminals that need a class index (not a callable target) and a 4-D layer output.
_CLASS_TERMINALS = ("cic", "abl", "class")
_LISTED_LAYERS = 60


class ExpressionCAM:
    """`ExpressionCAM(model, target_layers, expression)(input_tensor, targets)` -> maps `[B, H, W]` in [0, 1].

    `expression`: SyGuS term text over terminal names, or the path of a file holding one or a
    sycam-solve answer. `normalize`: the `(mean, std)` the images were normalised with (Score-CAM's
    `cic` masks in pixel space). `batch_size`: images per model call.
    """

    def __init__(self, model: nn.Module, target_layers: Sequence[nn.Module | str] | nn.Module | str | None,
                 expression: str | os.PathLike, reshape_transform: Callable[[Tensor], Tensor] | None = None,
                 normalize: Normalize | None = None, batch_size: int = 64):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        self.model = model.eval()
        if target_layers is None or isinstance(target_layers, (nn.Module, str)):
            target_layers = [target_layers]
        if not target_layers:
            raise ValueError("target_layers: give at least one layer (a module of the model or its dotted path)")
        self.target_layers = [resolve_layer(model, layer, f"target_layers[{i}]") for i, layer in enumerate(target_layers)]
        try:
            self.weights, self.expression = read_method(expression)
        except SygusError as error:
            raise ValueError(f"expression: {error.render()}") from None
        self.terminals = {str(node.param) for node in self.weights.walk() if node.op == "var"}
        self.reshape_transform = reshape_transform
        self.normalize = normalize
        self.batch_size = batch_size
        needs_4d = sorted(self.terminals & {"cic", "abl"})
        if reshape_transform is not None and needs_4d:
            raise ValueError(f"reshape_transform: the terminals {needs_4d} substitute or mask the layer's own "
                             "output and need it 4-D [N, K, h, w]; use gradient terminals with token-shaped layers")

    def __call__(self, input_tensor: Tensor, targets: Sequence[Target] | Tensor | None = None) -> np.ndarray:
        """Saliency maps `[B, H, W]` (float32) of the model-ready images `input_tensor` `[B, C, H, W]`."""
        if not isinstance(input_tensor, Tensor) or input_tensor.dim() != 4:
            shape = list(input_tensor.shape) if isinstance(input_tensor, Tensor) else type(input_tensor).__name__
            raise ValueError(f"input_tensor: expected images [B, C, H, W], got {shape}")
        class_ids, functions = self._targets(targets, len(input_tensor))
        pixels = self._pixels(input_tensor)
        maps = torch.stack([self._layer_maps(layer, pixels, class_ids, functions) for layer in self.target_layers])
        return normalize_maps(maps.mean(dim=0)).cpu().numpy().astype(np.float32)

    def __enter__(self) -> "ExpressionCAM":
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Nothing to release: hooks live only during a call (pytorch-grad-cam's `with` form works)."""

    def _targets(self, targets: Sequence[Target] | Tensor | None,
                 count: int) -> tuple[Tensor | None, list[Callable[[Tensor], Tensor]] | None]:
        """(class per image, or None) and (callable per image, or None when all are classes)."""
        if targets is None:
            return None, None
        items = targets.tolist() if isinstance(targets, Tensor) else list(targets)
        if len(items) != count:
            raise ValueError(f"targets: expected one per image ({count}), got {len(items)}")
        classes = [_class_of(item) for item in items]
        if all(c is not None for c in classes):
            return torch.tensor(classes, dtype=torch.long), None
        for position, item in enumerate(items):
            if classes[position] is None and not callable(item):
                raise TypeError(f"targets[{position}]: expected a class index or a callable on the model "
                                f"output, got {type(item).__name__}")
        if self.terminals & set(_CLASS_TERMINALS):
            raise ValueError(f"targets: the terminals {sorted(self.terminals & set(_CLASS_TERMINALS))} are "
                             "defined for a class index; callable targets give the gradient terminals only")
        functions = [item if c is None else _ClassOutput(c) for item, c in zip(items, classes)]
        return torch.arange(count), functions

    def _pixels(self, input_tensor: Tensor) -> Tensor:
        """The images in the model's pixel space (the backend applies `normalize` itself)."""
        device = next(self.model.parameters()).device
        pixels = input_tensor.detach().to(device, torch.float32)
        if self.normalize is None:
            return pixels
        mean = torch.tensor(self.normalize[0], dtype=torch.float32, device=device).view(1, -1, 1, 1)
        std = torch.tensor(self.normalize[1], dtype=torch.float32, device=device).view(1, -1, 1, 1)
        return pixels * std + mean

    def _layer_maps(self, layer: nn.Module, pixels: Tensor, class_ids: Tensor | None,
                    functions: list[Callable[[Tensor], Tensor]] | None) -> Tensor:
        """The maps `[B, H, W]` of one target layer, through the torch backend."""
        count, height, width = len(pixels), pixels.shape[-2], pixels.shape[-1]
        classifier = _TargetedClassifier(self.model, layer, self.normalize, pixels.device, self.batch_size,
                                         self.reshape_transform, functions)
        data = ImageSet(pixels, torch.full((count,), -1, dtype=torch.long), None, [str(i) for i in range(count)],
                        [(width, height)] * count)
        backend = TorchBackend(classifier, data, targets=class_ids)
        weights = TermValues(backend, range(count)).get(self.weights)
        # pytorch-grad-cam normalises each layer's map on its own grid, then upsamples, averages the
        # layers and normalises again. With one layer that is the CAM template's map (min-max
        # normalisation commutes with linear upsampling); with several it weighs them as it does.
        s_fm = normalize_maps(backend.saliency([weights], range(count), upsample=False)[0][0])
        rows = linear_upsampling_matrix(s_fm.shape[-2], height, s_fm.dtype, str(s_fm.device))
        cols = linear_upsampling_matrix(s_fm.shape[-1], width, s_fm.dtype, str(s_fm.device))
        return rows @ s_fm @ cols.T


class _ClassOutput:
    """A class index as a target function (pytorch-grad-cam's ClassifierOutputTarget)."""

    def __init__(self, category: int):
        self.category = category

    def __call__(self, output: Tensor) -> Tensor:
        return output[self.category] if output.dim() == 1 else output[:, self.category]


def _class_of(item: object) -> int | None:
    """The class index an item names: an int, a 0-d integer tensor, or pytorch-grad-cam's
    ClassifierOutputTarget (the logit of a class, which is what our class targets mean)."""
    if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
        return int(item)
    if isinstance(item, Tensor) and item.dim() == 0 and not item.is_floating_point():
        return int(item)
    if type(item).__name__ == "ClassifierOutputTarget" and isinstance(getattr(item, "category", None), int):
        return item.category
    return None


class _TargetedClassifier(Classifier):
    """The backend's Classifier whose gradient pass takes callable targets and a reshape_transform.

    With callable targets the backend's per-image "class" is the image's position, which picks its
    function here. pytorch-grad-cam differentiates the layer's raw output and reshapes the
    gradient with the same transform; so do we.
    """

    def __init__(self, model: nn.Module, layer: nn.Module, normalize: Normalize | None, device: torch.device,
                 batch_size: int, reshape_transform: Callable[[Tensor], Tensor] | None,
                 functions: list[Callable[[Tensor], Tensor]] | None):
        super().__init__(model, layer, normalize, device, batch_size)
        self.reshape_transform = reshape_transform
        self.functions = functions

    def activations_and_gradients(self, pixels: Tensor, targets: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Activations, gradients of the targets' sum (both `[N, K, h, w]`) and model outputs."""
        reshape = self.reshape_transform or (lambda x: x)
        acts, grads, outputs = [], [], []
        for chunk, chunk_targets in zip(pixels.split(self.batch_size), targets.to(self.device).split(self.batch_size)):
            captured: list[Tensor] = []

            def hook(module: nn.Module, inputs: tuple, output: Tensor, sink: list[Tensor] = captured) -> Tensor:
                sink.append(output)
                return output.clone()  # in-place ops downstream must not touch our copy

            handle = self.layer.register_forward_hook(hook)
            try:
                with torch.enable_grad():
                    out = self._run(chunk)
                    if self.functions is None:
                        total = out.gather(1, chunk_targets.view(-1, 1)).sum()
                    else:
                        total = sum(self.functions[int(i)](o) for i, o in zip(chunk_targets, out))
                    (grad,) = torch.autograd.grad(total, captured[0])
            finally:
                handle.remove()
            real = len(chunk)  # the model call was padded (models.MIN_CALL): keep the real images' rows
            layer_acts = reshape(captured[0][:real].detach())
            if layer_acts.dim() != 4:
                raise ValueError(f"target layer '{self.layer_name}' gives {list(layer_acts.shape)}, not "
                                 "[N, K, h, w]: pass a reshape_transform that makes it so")
            acts.append(layer_acts)
            grads.append(reshape(grad[:real].detach()))
            outputs.append(out.detach())
        return torch.cat(acts), torch.cat(grads), torch.cat(outputs)


def resolve_layer(model: nn.Module, layer: nn.Module | str | None, argument: str = "layer") -> nn.Module:
    """The target layer a module, dotted path ('layer4.1', 'features[-1]') or None (the
    architecture's usual one) names; a ValueError naming `argument` and the available layers."""
    if isinstance(layer, nn.Module):
        if not any(module is layer for module in model.modules()):
            raise ValueError(f"{argument}: this {type(layer).__name__} is not a module of the "
                             f"{type(model).__name__} (available: {layer_listing(model)})")
        return layer
    if layer is not None and not isinstance(layer, str):
        raise TypeError(f"{argument}: expected a module of the model or its dotted path, got {type(layer).__name__}")
    path = layer or default_layer(model)
    if not path:
        raise ValueError(f"{argument}: no target layer given and none is known for {type(model).__name__}; "
                         f"pass a module or dotted path, one of: {layer_listing(model)}")
    try:
        return find_layer(model, path)[0]
    except SygusError as error:
        names = [name for name, _ in model.named_modules() if name]
        hint = did_you_mean(path, names)
        raise ValueError(f"{argument}: {error.message} in {type(model).__name__}"
                         + (f" ({hint})" if hint.startswith("did") else "")
                         + f"; available: {layer_listing(model)}") from None


def layer_listing(model: nn.Module) -> str:
    """The model's module paths, comma-separated (the first few dozen for big models)."""
    names = [name for name, _ in model.named_modules() if name]
    shown = ", ".join(names[:_LISTED_LAYERS])
    more = len(names) - _LISTED_LAYERS
    return shown + (f", … ({more} more: see model.named_modules())" if more > 0 else "")
