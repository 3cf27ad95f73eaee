"""A numpy backend with hand-set terminal values and a hand-set metric, counting "forwards".

Its maps follow the CAM template (CAM-THEORY §1): `S = minmax(ReLU(Σ_k w_k A^k))` over each
image's cells, with min-max normalisation (a constant map becomes zeros). By default channel k
activates cell k alone and one background cell is never activated, so `S` is ReLU(w) scaled to
a peak of 1 (the background keeps the minimum at 0); `acts` [I, K, P] sets other activations.
Each image has a non-negative "truth" over its cells (default: the K channel cells, background 0).
A candidate's per-image score is the cosine between S and the truth (0 when S is all zero), so
positive scaling and negative entries never change a score, and the map key (S rounded) is exact.
Lower-is-better metrics score 1 - cosine. Every candidate-image pair scored counts as one forward.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from sycam_sygus.engine.port import ReportBackend

LOWER_IS_BETTER = ("avg_drop", "deletion_auc")  # the fake scores these as 1 - cosine


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def _protected_divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def _topk(x: np.ndarray, k: int) -> np.ndarray:
    keep = np.argsort(-x, axis=1, kind="stable")[:, :k]
    out = np.zeros_like(x)
    np.put_along_axis(out, keep, np.take_along_axis(x, keep, axis=1), axis=1)
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _normalize(x: np.ndarray) -> np.ndarray:
    return _protected_divide(x, np.abs(x).max(axis=1, keepdims=True))


OPERATORS = {
    "+": lambda a, *r: a + sum(r),
    "-": lambda a, *r: -a if not r else a - sum(r),
    "*": lambda a, *r: a * np.prod(r, axis=0),
    "/": lambda a, b: _protected_divide(a, b),
    "abs": np.abs,
    "relu": _relu,
    "softmax": _softmax,
    "normalize": _normalize,
    "ite": lambda c, a, b: np.where(c > 0, a, b),
    ">=": lambda a, b: (a >= b).astype(float),
    "<=": lambda a, b: (a <= b).astype(float),
    ">": lambda a, b: (a > b).astype(float),
    "<": lambda a, b: (a < b).astype(float),
    "=": lambda a, b: (a == b).astype(float),
    "and": lambda *a: np.all(np.array(a) > 0, axis=0).astype(float),
    "or": lambda *a: np.any(np.array(a) > 0, axis=0).astype(float),
    "not": lambda a: (a <= 0).astype(float),
}


class FakeBackend(ReportBackend):
    """The engine's port over hand-set tables, written against the port alone (it imports nothing else
    of sycam): a second backend needs no change to the engine. Counts applies, forwards and score calls."""

    def __init__(self, terminals: dict[str, np.ndarray], truth: np.ndarray, classes: Sequence[int] | None = None,
                 per_channel: Sequence[str] = ("cic", "abl"), tolerance: float = 0.0,
                 class_independent: Sequence[str] = ("act",), acts: np.ndarray | None = None):
        self.tables = {name: np.asarray(v, dtype=float) for name, v in terminals.items()}
        self.per_channel = set(per_channel)  # terminals that would cost one forward per channel
        self.computed: set[tuple[str, int]] = set()  # (terminal, image) pairs asked for already
        self.truth = np.asarray(truth, dtype=float)
        self.channels = self.truth.shape[1] if acts is None else np.asarray(acts).shape[1]
        self.acts_given = acts
        if acts is None:  # channel k lights cell k; the last cell is background, never lit
            count, channels = self.truth.shape
            acts = np.concatenate([np.eye(channels), np.zeros((channels, 1))], axis=1)[None].repeat(count, axis=0)
            self.truth_cells = np.concatenate([self.truth, np.zeros((count, 1))], axis=1)
        else:
            self.truth_cells = self.truth
        self.acts = np.asarray(acts, dtype=float)  # [I, K, P]
        self.classes = list(classes) if classes is not None else [0] * len(self.truth)
        self.tables["class"] = np.repeat(np.asarray(self.classes, dtype=float)[:, None], self.channels, axis=1)
        self.forwards = 0
        self.applies = 0
        self.score_log: list[tuple[tuple[int, ...], int]] = []
        self.tolerance_value = tolerance
        self.class_independent = set(class_independent)

    def images(self) -> int:
        return len(self.truth)

    def target_classes(self, images: Sequence[int]) -> list[int]:
        return [self.classes[i] for i in images]

    def terminal(self, name: str, images: Sequence[int]) -> np.ndarray:
        self.computed.update((name, i) for i in images)
        return self.tables[name][list(images)]

    def terminal_cost(self, name: str, images: Sequence[int]) -> int:
        per_image = self.channels if name in self.per_channel else 1
        return per_image * len({i for i in images if (name, i) not in self.computed})

    def constant(self, value: object, images: Sequence[int], sort: object = None) -> np.ndarray:
        return np.full((len(images), self.channels), float(value))

    def apply(self, op: str, args: Sequence[np.ndarray], param: int | None = None) -> np.ndarray:
        self.applies += 1
        if op == "pow":
            return args[0] ** param
        if op == "topk":
            return _topk(args[0], param)
        with np.errstate(all="ignore"):
            return OPERATORS[op](*args)

    def value_key(self, value: np.ndarray) -> bytes:
        return (np.round(value, 9) + 0.0).tobytes()

    def scale_key(self, value: np.ndarray) -> bytes:
        largest = np.abs(np.nan_to_num(value)).max(axis=1, keepdims=True)
        return self.value_key(_protected_divide(value, largest))

    def tolerance(self, metric: str) -> float:
        return self.tolerance_value

    def class_dependent(self, name: str) -> bool:
        return name not in self.class_independent

    def runner_up(self) -> "FakeBackend":
        """The class-dependent tables reversed along the channels: another class's values."""
        tables = {name: (v if name in self.class_independent else v[:, ::-1]) for name, v in self.tables.items()
                  if name != "class"}
        return FakeBackend(tables, self.truth, self.classes, tuple(self.per_channel), self.tolerance_value,
                           tuple(self.class_independent), self.acts_given)

    def rank_agreement(self, first: np.ndarray, second: np.ndarray, images: Sequence[int]) -> np.ndarray:
        a, b = (_relu(np.nan_to_num(w)) for w in (first, second))
        return np.array([1.0 if np.array_equal(np.argsort(x), np.argsort(y)) else 0.0 for x, y in zip(a, b)])

    def _maps(self, w: np.ndarray, images: Sequence[int]) -> np.ndarray:
        """`[I, P]` CAM maps: min-max normalised ReLU(Σ_k w_k A^k); NaN rows where w is not finite."""
        finite = np.isfinite(w).all(axis=1)
        clean = np.where(finite[:, None], w, 0.0)
        with np.errstate(all="ignore"):
            s = _relu(np.einsum("ik,ikp->ip", clean, self.acts[list(images)]))
        low, high = s.min(axis=1, keepdims=True), s.max(axis=1, keepdims=True)
        normalised = _protected_divide(s - low, high - low)  # a constant map becomes zeros
        normalised[~finite] = np.nan
        return normalised

    def image_keys(self, weights: Sequence[np.ndarray], images: Sequence[int], metric: str) -> list[list[bytes]]:
        keys = []
        for w in weights:
            maps = np.round(self._maps(w, images), 9) + 0.0
            keys.append([b"flagged" if np.isnan(row).any() else row.tobytes() for row in maps])
        return keys

    def map_keys(self, weights: Sequence[np.ndarray], images: Sequence[int], metric: str) -> list[bytes]:
        return [b"|".join(per_image) for per_image in self.image_keys(weights, images, metric)]

    def score(self, weights: Sequence[np.ndarray], images: Sequence[int], metric: str) -> np.ndarray:
        images = list(images)
        self.forwards += len(weights) * len(images)
        self.score_log.append((tuple(images), len(weights)))
        truth = self.truth_cells[images]
        unit_truth = _protected_divide(truth, np.linalg.norm(truth, axis=1, keepdims=True))
        higher = metric not in LOWER_IS_BETTER
        rows = []
        for w in weights:
            maps = self._maps(w, images)
            unit = _protected_divide(maps, np.linalg.norm(np.nan_to_num(maps), axis=1, keepdims=True))
            cosine = (np.nan_to_num(unit) * unit_truth).sum(axis=1)
            value = cosine if higher else 1.0 - cosine
            value[~np.isfinite(w).all(axis=1)] = -np.inf if higher else np.inf
            rows.append(value)
        return np.array(rows, dtype=np.float64).reshape(len(weights), len(images))

    def maps(self, weights: Sequence[np.ndarray], images: Sequence[int]) -> np.ndarray:
        return np.stack([np.nan_to_num(self._maps(w, images))[:, None, :] for w in weights])

    def pictures(self, images: Sequence[int]) -> np.ndarray:
        return np.zeros((len(images), 1, self.truth_cells.shape[1], 3))

    def describe(self) -> dict:
        return {"model": "fake", "images": self.images(), "forwards": self.forwards}
