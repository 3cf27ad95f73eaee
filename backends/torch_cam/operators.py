"""The SYCAM operators (CAM-THEORY §2) on per-channel weight tensors `[I, K]`.

One table maps each operator name of `sycam_sygus.core.logic` to the function computing it, so adding
an operator is adding a row. Element-wise operators broadcast (a constant may be a 0-d tensor or
`[I, 1]`); channel-wide operators (`softmax`, `normalize`, `topk`) work over the last dimension
and need the full `[..., K]` tensor.
"""
from __future__ import annotations

from functools import reduce
from typing import Callable

import torch
from torch import Tensor

from ...core.errors import did_you_mean


class OperatorError(ValueError):
    """An operator name, arity or numeral the backend cannot apply."""


def protected_divide(numerator: Tensor, denominator: Tensor) -> Tensor:
    """Element-wise `numerator / denominator` with `x / 0 = 0` (never NaN from a zero divisor)."""
    zero = denominator == 0
    quotient = numerator / torch.where(zero, torch.ones_like(denominator), denominator)
    return torch.where(zero, torch.zeros_like(quotient), quotient)


def _minus(*args: Tensor) -> Tensor:
    if len(args) == 1:
        return -args[0]
    return reduce(torch.sub, args)


def _topk(x: Tensor, n: int) -> Tensor:
    """Keep the n largest entries per row, zero the rest; ties keep the lower channel index."""
    _channel_wide(x, "topk")
    if n >= x.shape[-1]:
        return x.clone()
    # A stable descending sort keeps equal entries in channel order, so ties go to lower indices.
    order = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :n]
    keep = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, order, True)
    return torch.where(keep, x, torch.zeros_like(x))


def _normalize(x: Tensor) -> Tensor:
    """`x / max_k |x_k|` per row; an all-zero row stays zero."""
    _channel_wide(x, "normalize")
    return protected_divide(x, x.abs().amax(dim=-1, keepdim=True))


def _softmax(x: Tensor) -> Tensor:
    _channel_wide(x, "softmax")
    return torch.softmax(x, dim=-1)


def _channel_wide(x: Tensor, op: str) -> None:
    if x.dim() == 0:
        raise OperatorError(
            f"'{op}' works over channels and needs a [..., K] tensor, got a 0-d constant "
            "(hint: broadcast constants to [I, K] first, as Backend.constant does)"
        )


def _pow(x: Tensor, n: int) -> Tensor:
    return torch.pow(x, n)


def _ite(condition: Tensor, then: Tensor, otherwise: Tensor) -> Tensor:
    """Element-wise selection; a Bool constant arrives as a float tensor (`Backend.constant`), so a
    non-boolean condition means "non-zero"."""
    return torch.where(condition if condition.dtype == torch.bool else condition != 0, then, otherwise)


# name -> (function of the argument tensors, min arity, max arity or None for n-ary)
_NARY: dict[str, tuple[Callable[..., Tensor], int, int | None]] = {
    "+": (lambda *a: reduce(torch.add, a), 2, None),
    "-": (_minus, 1, None),
    "*": (lambda *a: reduce(torch.mul, a), 2, None),
    "/": (lambda *a: reduce(protected_divide, a), 2, None),
    "abs": (torch.abs, 1, 1),
    "relu": (torch.relu, 1, 1),
    "softmax": (_softmax, 1, 1),
    "normalize": (_normalize, 1, 1),
    "ite": (_ite, 3, 3),
    ">=": (torch.ge, 2, 2),
    "<=": (torch.le, 2, 2),
    ">": (torch.gt, 2, 2),
    "<": (torch.lt, 2, 2),
    "=": (torch.eq, 2, 2),
    "and": (lambda *a: reduce(torch.logical_and, a), 2, None),
    "or": (lambda *a: reduce(torch.logical_or, a), 2, None),
    "not": (torch.logical_not, 1, 1),
}
# Operators with a numeral literal >= 1 in the IR node's `param`.
_WITH_NUMERAL: dict[str, Callable[[Tensor, int], Tensor]] = {"pow": _pow, "topk": _topk}

OPERATORS = frozenset(_NARY) | frozenset(_WITH_NUMERAL)


def apply(op: str, args: list[Tensor], param: int | None = None) -> Tensor:
    """Apply one SYCAM operator to argument tensors (`param` is the numeral of `pow`/`topk`)."""
    args = [a if isinstance(a, Tensor) else torch.tensor(a) for a in args]
    if op in _WITH_NUMERAL:
        if len(args) != 1 or not isinstance(param, int) or isinstance(param, bool) or param < 1:
            raise OperatorError(
                f"'{op}' takes one tensor and a numeral >= 1 in param, got {len(args)} "
                f"argument(s) and param={param!r}"
            )
        return _WITH_NUMERAL[op](args[0], param)
    if op not in _NARY:
        raise OperatorError(f"unknown SYCAM operator '{op}' ({did_you_mean(op, OPERATORS)})")
    function, least, most = _NARY[op]
    if len(args) < least or (most is not None and len(args) > most):
        expected = f"{least}" if most == least else f"at least {least}" if most is None else f"{least}..{most}"
        raise OperatorError(f"'{op}' takes {expected} argument(s), got {len(args)}")
    return function(*args)
