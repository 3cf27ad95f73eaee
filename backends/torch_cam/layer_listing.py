"""A model's layers with their output shapes for one dummy input, and which a CAM can target.

A CAM target layer must give a 4-D `[N, K, h, w]` tensor with more than one spatial cell, and
run once per forward (a module shared by several places, as an activation reused along the
network, would be hooked at each use).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .models import load_model


@dataclass(frozen=True)
class LayerInfo:
    """One module: its dotted path (as :sycam.layer takes it), type, output shape and CAM use."""

    path: str
    kind: str
    shape: tuple[int, ...] | None  # the output's shape without the batch dimension; None: not a tensor or not run
    calls: int  # how many times the module ran in one forward

    @property
    def usable(self) -> bool:
        """Whether a CAM can use it: one 4-D output per forward with more than one cell."""
        return self.calls == 1 and self.shape is not None and len(self.shape) == 3 and self.shape[1] * self.shape[2] > 1


@torch.no_grad()
def list_layers(model: nn.Module, size: tuple[int, int]) -> list[LayerInfo]:
    """Every named module of `model` with what it gives for one all-zero image of `size` (H, W)."""
    shapes: dict[str, tuple[int, ...] | None] = {}
    calls: dict[str, int] = {}

    def recorder(path: str):
        def hook(module: nn.Module, inputs: tuple, output: object) -> None:
            calls[path] = calls.get(path, 0) + 1
            shapes[path] = tuple(output.shape[1:]) if isinstance(output, Tensor) else None
        return hook

    named = [(path, module) for path, module in model.named_modules() if path]
    handles = [module.register_forward_hook(recorder(path)) for path, module in named]
    try:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        model.eval()(torch.zeros(1, 3, *size, device=device))
    finally:
        for handle in handles:
            handle.remove()
    return [LayerInfo(path, type(module).__name__, shapes.get(path), calls.get(path, 0)) for path, module in named]


def layer_table(model_name: str, weights: str = "") -> str:
    """The text `sycam-solve --list-layers` prints: one line per module, CAM-usable ones marked."""
    from .models import find_layer

    model, default, _, size = load_model(model_name, weights)
    default_path = find_layer(model, default)[1] if default else ""
    layers = list_layers(model, size)
    width = max(len(layer.path) for layer in layers)
    kind_width = max(len(layer.kind) for layer in layers)
    lines = [(f"# {model_name}: output shapes for one {size[0]}x{size[1]} input; "
              "* = a CAM can use it ([K, h, w], run once per forward)")]
    for layer in layers:
        shape = "-" if layer.shape is None else "[" + ", ".join(map(str, layer.shape)) + "]"
        if layer.calls > 1:
            shape += f" (runs {layer.calls} times)"
        mark = "*" if layer.usable else " "
        note = "  (default)" if layer.path == default_path else ""
        lines.append(f"{mark} {layer.path:<{width}}  {layer.kind:<{kind_width}}  {shape}{note}")
    return "\n".join(lines)
