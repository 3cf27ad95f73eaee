"""The engine's port: what a backend offers the search, and what reports need besides.

The engine never sees a model or a metric's meaning. It names images by index (0 .. images()-1,
a fixed, seeded order), asks for terminal values, combines them with `apply`, keys them for
equivalence, and asks for per-image scores under a metric name it only passes on. A backend's
`Weights` are opaque to the engine (the torch CAM backend's are tensors `[I, K]`).
"""
from __future__ import annotations

from typing import Protocol, Sequence, TypeVar

import numpy as np

from ..core.sorts import Sort

Weights = TypeVar("Weights")  # one backend's per-channel values of a term on a list of images


class SearchBackend(Protocol[Weights]):
    """What enumeration, equivalence and the correctness oracle call."""

    forwards: int  # model evaluations so far (a batch of n images counts n): the unit of cost

    def images(self) -> int:
        """How many images the backend holds."""

    def target_classes(self, images: Sequence[int]) -> list[int]:
        """The target class of each image (prediction by default, label on request)."""

    def terminal(self, name: str, images: Sequence[int]) -> Weights:
        """A terminal's values on `images` (cached; never recomputed for the same images)."""

    def constant(self, value: object, images: Sequence[int], sort: Sort) -> Weights:
        """A constant (its exact IR value: Fraction, int, bool or str, and its sort) broadcast to the
        shape of a terminal's values."""

    def apply(self, op: str, args: Sequence[Weights], param: int | None = None) -> Weights:
        """One operator of the problem's logic on argument values of the same images."""

    def value_key(self, value: Weights) -> bytes:
        """A key equal for values that agree up to float rounding (value equivalence)."""

    def scale_key(self, value: Weights) -> bytes:
        """A key equal for values that differ by a positive factor, up to float rounding (CAM-THEORY §7)."""

    def tolerance(self, metric: str) -> float:
        """The smallest difference of a per-image score or a mean that counts under `metric`."""

    def class_dependent(self, name: str) -> bool:
        """Can the terminal `name`'s value change with the target class?"""

    def runner_up(self) -> "SearchBackend[Weights]":
        """The same images and model with each image's next most likely class as its target."""

    def rank_agreement(self, first: Weights, second: Weights, images: Sequence[int]) -> np.ndarray:
        """Per image `[I]`: the rank correlation (Spearman) of the two weights' saliency maps."""

    def map_keys(self, weights: Sequence[Weights], images: Sequence[int], metric: str) -> list[bytes]:
        """One key per candidate: equal keys guarantee equal scores for `metric` on `images`."""

    def image_keys(self, weights: Sequence[Weights], images: Sequence[int], metric: str) -> list[list[bytes]]:
        """One key per candidate and image: equal keys on an image guarantee equal scores there."""

    def score(self, weights: Sequence[Weights], images: Sequence[int], metric: str) -> np.ndarray:
        """Per-image metric values `[C, I]` (float64); non-finite weights score the worst value."""


class ReportBackend(SearchBackend[Weights], Protocol[Weights]):
    """What the application adds to the search's needs: costs, pictures and a description."""

    def terminal_cost(self, name: str, images: Sequence[int]) -> int:
        """About how many model forwards `terminal(name, images)` would take now (0 when cached)."""

    def maps(self, weights: Sequence[Weights], images: Sequence[int]) -> np.ndarray:
        """Saliency maps `[C, I, H, W]` in [0, 1] (for figures)."""

    def pictures(self, images: Sequence[int]) -> np.ndarray:
        """The images in pixel space `[I, H, W, 3]` in [0, 1] (for figures)."""

    def describe(self) -> dict:
        """Model, layer, data, device and counts, for reports."""
