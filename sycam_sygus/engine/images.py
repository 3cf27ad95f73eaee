"""The one split of a run's images into the search pool and the held-out images (CAM-THEORY §7).

The search (tiers, equivalence subset, class pools) sees only the pool; the report scores every
method on the held-out images, which nothing in the search has read. The split depends on the
image count, the holdout size and the seed only, so every tool that re-derives it agrees.
"""
from __future__ import annotations

import random

QUARTER = -1  # `:sycam.holdout` default: hold out a quarter of the images (rounded down)


def holdout_size(count: int, holdout: int) -> int:
    """How many of `count` images are held out: `holdout`, or a quarter for `QUARTER` (any negative)."""
    if count < 0:
        raise ValueError(f"image count must be >= 0, got {count}")
    wanted = count // 4 if holdout < 0 else holdout
    return min(wanted, count)


def holdout_split(count: int, holdout: int, seed: int) -> tuple[list[int], list[int]]:
    """(search pool, held-out images) of images 0..count-1: disjoint, seeded, each ascending.

    `holdout` images are held out (a negative value: a quarter of `count`), at most `count`.
    """
    held = sorted(random.Random(f"{seed}:holdout").sample(range(count), holdout_size(count, holdout)))
    chosen = set(held)
    return [i for i in range(count) if i not in chosen], held


def search_tier_sizes(sizes: list[int] | tuple[int, ...], count: int, pool: int) -> list[int]:
    """Tier sizes for the search pool: a tier that fits the images but not the pool (the holdout
    took the difference) shrinks to the pool; a larger one stays, for the tiers' own warning."""
    return [min(size, pool) if size <= count else size for size in sizes]
