"""The batch size chosen by measurement (`:sycam.batch-size 0`, the default).

At start-up the classifier's forward pass is timed on the real model, device and input size at
a few batch sizes (powers of two from `MIN_CALL`, the fewest images a call carries; a second or
two in all, at least three sizes); the size with the lowest time per image wins, the smallest one
within `_CLOSE` of it when several are close, since a smaller batch pads short calls less. The choice is cached as JSON in the terminal cache folder, keyed by the
model's fingerprint, device, input size and torch thread count. On CUDA, a size that runs out
of memory ends the sweep instead of failing it.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from torch import Tensor

from ...core.atomic import write_atomically
from .models import MIN_CALL, Classifier

SIZES = tuple(MIN_CALL << i for i in range(7))  # 4 ... 256: a smaller call is padded to MIN_CALL anyway
CHOICES_FILE = "batch-sizes.json"
_CLOSE = 1.05  # sizes within 5% of the fastest per image count as equally fast
_CALL_SECONDS = 0.4  # a single timed call slower than this ends the sweep (larger ones are slower still)
_SWEEP_SECONDS = 2.0  # the whole sweep's share of start-up
_REPEATS = 3  # each size is timed this many times (the fastest counts: a busy machine only adds)
_AT_LEAST = 3  # sizes measured whatever the time (unless memory runs out)


def sweep(classifier: Classifier, sample: Tensor, sizes: tuple[int, ...] = SIZES,
          call_seconds: float = _CALL_SECONDS, sweep_seconds: float = _SWEEP_SECONDS) -> dict[int, float]:
    """Seconds per image of a forward pass at each batch size (until the time or memory runs out).

    `sample` `[N, 3, H, W]` pixels are repeated to fill larger batches. The classifier's forward
    counters are left as they were: timing is not part of a search.
    """
    counts = classifier.forwards, classifier.tail_forwards
    began = time.perf_counter()
    per_image: dict[int, float] = {}
    try:
        for size in sizes:
            batch = sample[torch.arange(size) % len(sample)].to(classifier.device)
            try:
                seconds = _fastest_call(classifier, batch)
            except torch.cuda.OutOfMemoryError:
                torch.cuda.empty_cache()
                break
            per_image[size] = seconds / size
            enough = len(per_image) >= _AT_LEAST
            if enough and (seconds > call_seconds or time.perf_counter() - began > sweep_seconds):
                break
    finally:
        classifier.forwards, classifier.tail_forwards = counts
    return per_image


def _fastest_call(classifier: Classifier, batch: Tensor) -> float:
    with torch.no_grad():
        fastest = _timed(classifier, batch)  # also the warm-up: allocation and kernel selection
        for _ in range(_REPEATS if fastest < _CALL_SECONDS / 4 else 1):  # slow calls vary less
            fastest = min(fastest, _timed(classifier, batch))
    return fastest


def _timed(classifier: Classifier, batch: Tensor) -> float:
    _synchronize(classifier.device)
    start = time.perf_counter()
    classifier._run(batch)
    _synchronize(classifier.device)
    return time.perf_counter() - start


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def fastest(per_image: dict[int, float]) -> int:
    """The smallest batch size whose time per image is within `_CLOSE` of the best."""
    best = min(per_image.values())
    return min(size for size, seconds in per_image.items() if seconds <= best * _CLOSE)


def choice_key(model_hash: str, device: torch.device, size: tuple[int, int]) -> str:
    """What a cached choice depends on: the model, the device, the input size and the threads."""
    return f"{model_hash}|{device}|{size[0]}x{size[1]}|threads={torch.get_num_threads()}"


def choose_batch_size(classifier: Classifier, sample: Tensor, key: str, folder: Path | None) -> int:
    """The cached choice for `key`, else a fresh `sweep` (cached in `folder` when it is writable)."""
    path = None if folder is None else folder / CHOICES_FILE
    choices = _read(path)
    if key in choices:
        return int(choices[key])
    choice = fastest(sweep(classifier, sample))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, json.dumps({**_read(path), key: choice}, indent=1, sort_keys=True))
        except OSError:
            pass  # the cache only saves the next start-up a second or two
    return choice


def _read(path: Path | None) -> dict[str, int]:
    if path is None or not path.is_file():
        return {}
    try:
        choices = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # a torn or foreign file: measure again (and overwrite it)
    return {k: v for k, v in choices.items() if isinstance(v, int) and v >= 1} if isinstance(choices, dict) else {}
