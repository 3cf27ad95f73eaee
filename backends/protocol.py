"""The one protocol between the synthesis engine and an evaluation backend.

The engine never sees a model. It names images by index (0 .. images()-1, a fixed, seeded
order), asks for terminal values, combines them with `apply`, and asks for metric scores.
Values are opaque to the engine (torch tensors `[I, K]` in the torch backend).
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np

Value = Any  # a backend's per-channel weights for a list of images, shape [I, K]


class Backend(Protocol):
    forwards: int  # images passed through the model so far (a batch of n counts n)

    def images(self) -> int:
        """How many images the backend holds."""

    def target_classes(self, images: Sequence[int]) -> list[int]:
        """The target class of each image (prediction by default, label on request)."""

    def terminal(self, name: str, images: Sequence[int]) -> Value:
        """A terminal's values `[I, K]` (cached; never recomputed for the same images)."""

    def terminal_cost(self, name: str, images: Sequence[int]) -> int:
        """About how many model forwards `terminal(name, images)` would take now (0 when cached)."""

    def constant(self, value: float, images: Sequence[int]) -> Value:
        """A constant broadcast to `[I, K]`."""

    def apply(self, op: str, args: Sequence[Value], param: int | None = None) -> Value:
        """One SYCAM operator (logic.py names) on argument values of the same images."""

    def value_key(self, value: Value) -> bytes:
        """A key equal for weight vectors that agree up to float rounding (value equivalence)."""

    def map_keys(self, weights: Sequence[Value], images: Sequence[int], metric: str) -> list[bytes]:
        """One key per candidate: equal keys guarantee equal scores for `metric` on `images`
        (same normalised maps; for rank-only metrics the same cell/pixel ranking suffices)."""

    def score(self, weights: Sequence[Value], images: Sequence[int], metric: str) -> np.ndarray:
        """Per-image metric values `[C, I]` (float64); NaN/inf weights score the worst value."""

    def maps(self, weights: Sequence[Value], images: Sequence[int]) -> np.ndarray:
        """Saliency maps `[C, I, H, W]` in [0, 1] (for figures)."""

    def pictures(self, images: Sequence[int]) -> np.ndarray:
        """The images in pixel space `[I, H, W, 3]` in [0, 1] (for figures)."""

    def describe(self) -> dict:
        """Model, layer, data, device and counts, for reports."""
