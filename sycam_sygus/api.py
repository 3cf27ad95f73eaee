"""The public API: a synthesised (or hand-written) CAM expression as a reusable CAM method.

`explain` gives saliency maps and `score` a metric's per-image values for a model and a batch of
model-ready images, like pytorch-grad-cam's `input_tensor`. An expression is SyGuS term text
over terminal names, e.g. `"(* grads abl)"` (CAM-THEORY §2-3).
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Sequence

import torch
from torch import Tensor, nn

from .errors import SygusError, did_you_mean
from .ir import BOOL, REAL, Term, app, const, var
from .logic import COMPARISONS, CONNECTIVES, TERMINALS, WITH_NUMERAL

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
    from backends.data import ImageSet
    from backends.models import Classifier, default_layer, find_layer
    from backends.torch_backend import TorchBackend

    from .enumerate import TermValues

    if images.dim() != 4:
        raise ValueError(f"expected images [B, C, H, W], got shape {list(images.shape)}")
    term = parse_expression(expression)
    if isinstance(layer, nn.Module):
        layer_module = layer
    else:
        layer_module, _ = find_layer(model, layer or default_layer(model))
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


_TOKEN = re.compile(r"\s*(?:(\()|(\))|([^\s()]+))")
_BOOL_OPS = set(COMPARISONS) | set(CONNECTIVES)


def parse_expression(text: str) -> Term:
    """The IR of an expression's text (terminal names as variables, decimals as constants)."""
    tokens = _tokens(text)
    term, position = _read(tokens, 0, text)
    if position != len(tokens):
        raise SygusError(f"unexpected '{tokens[position]}' after the expression", path="<expression>")
    return term


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        tokens.append(match.group(0).strip())
        position = match.end()
    return tokens


def _read(tokens: list[str], position: int, text: str) -> tuple[Term, int]:
    if position >= len(tokens):
        raise SygusError(f"expression '{text}' ends early", path="<expression>", hint="check the parentheses")
    token = tokens[position]
    if token == ")":
        raise SygusError(f"unexpected ')' in '{text}'", path="<expression>")
    if token != "(":
        return _atom(token), position + 1
    if position + 1 >= len(tokens) or tokens[position + 1] in "()":
        raise SygusError(f"expected an operator after '(' in '{text}'", path="<expression>")
    op = tokens[position + 1]
    position += 2
    args = []
    while position < len(tokens) and tokens[position] != ")":
        arg, position = _read(tokens, position, text)
        args.append(arg)
    if position >= len(tokens):
        raise SygusError(f"expression '{text}' ends early", path="<expression>", hint="check the parentheses")
    if op == "-" and len(args) == 1 and args[0].op == "const":
        return const(-args[0].param, REAL), position + 1
    if op in WITH_NUMERAL:
        if len(args) != 2 or args[1].op != "const" or args[1].param.denominator != 1 or args[1].param < 1:
            raise SygusError(f"'({op} x n)' needs a numeral n >= 1", path="<expression>")
        return app(op, (args[0],), REAL, int(args[1].param)), position + 1
    return app(op, args, BOOL if op in _BOOL_OPS else REAL), position + 1


def _atom(token: str) -> Term:
    try:
        return const(Fraction(token), REAL)
    except ValueError:
        pass
    if token not in TERMINALS:
        raise SygusError(f"unknown terminal '{token}'", path="<expression>", hint=did_you_mean(token, TERMINALS))
    return var(token, REAL)
