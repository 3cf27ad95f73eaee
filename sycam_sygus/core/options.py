"""The one table of `:sycam.*` options (CAM-THEORY §5): types, defaults, help and checks.

A problem file's `set-option`, a command-line flag and an API override are all checked here by
`checked_value`; `settings.Settings` resolves them once (defaults, then file, then flags).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Option:
    name: str  # without the "sycam." prefix
    kind: type  # str, int, float, bool, or list (a string of space-separated ints)
    default: object
    help: str
    low: float | None = None  # numeric options: the smallest value allowed (file and flag alike)
    low_excluded: bool = False  # the value must be above `low`, not equal to it


# Whole-number options (seeds, counts, sizes) reach torch and numpy as signed 64-bit integers.
INT_LIMIT = 2**63


def out_of_range(option: Option, value: float) -> str:
    """Why a numeric option's value is out of range ("expected a number >= 1, got 0"), or "" when it is fine."""
    if option.kind is int and not -INT_LIMIT < value < INT_LIMIT:
        return f"expected a whole number of magnitude below 2^63, got {str(value)[:30]}{'...' if len(str(value)) > 30 else ''}"
    if option.low is None or value > option.low or (value == option.low and not option.low_excluded):
        return ""
    return f"expected a number {'>' if option.low_excluded else '>='} {option.low:g}, got {value:g}"


EQUIVALENCE_LEVELS = ("value", "map", "metric")


def equivalence_levels(text: str) -> frozenset[str]:
    """The level names in the `equivalence` option ("value map" by default)."""
    words = frozenset(text.replace(",", " ").split())
    unknown = words - set(EQUIVALENCE_LEVELS)
    if unknown:
        raise ValueError(f"unknown equivalence level(s) {sorted(unknown)}; expected any of {list(EQUIVALENCE_LEVELS)}")
    return words


def tier_sizes(value: str | Sequence[int]) -> list[int]:
    """The `tiers` option as sizes: positive whole numbers, smallest first; ValueError says what is wrong."""
    parts = value.split() if isinstance(value, str) else list(value)
    try:
        sizes = [int(part) for part in parts]
    except (TypeError, ValueError):
        raise ValueError(f'expected space-separated whole numbers like "30 100 300", got {value!r}') from None
    if sizes and max(sizes) >= INT_LIMIT:
        raise ValueError(f"tier sizes must be below 2^63, got {str(value)[:40]!r}")
    if not sizes or min(sizes) < 1 or sizes != sorted(sizes):  # a tier only grows: each re-checks its prefix
        raise ValueError(f"tier sizes must be positive and ascending (smallest first), got {value!r}")
    return sizes


OPTIONS = {
    o.name: o
    for o in (
        Option("model", str, "builtin:cluttered-mnist", "built-in model, torchvision architecture, or package.module:factory"),
        Option("weights", str, "", "state-dict path; empty = the model's default"),
        Option("layer", str, "", "dotted module path of the target layer; empty = architecture default"),
        Option("data", str, "builtin:cluttered-mnist", "built-in data set or an image folder"),
        Option("masks", str, "", "mask folder with the images' relative names; empty = none or built-in"),
        Option("resize", str, "crop", "folder images: 'crop' (shorter side, then centre: torchvision's ImageNet way) or 'stretch'"),
        Option("target", str, "predicted", "target class: 'predicted' or 'label'"),
        Option("images", int, 300, "how many images to use (a seeded subset)", low=0),
        Option("tiers", list, [30, 100, 300], "tier sizes, smallest first"),
        Option("eq-images", int, 10, "images in the equivalence subset", low=0),
        Option("equivalence", str, "value map", "equivalence levels in use: any of value, map, metric"),
        Option("steps", int, 10, "grid deletion/insertion steps P", low=1),
        Option("time-limit", float, 600.0, "wall-clock budget in seconds", low=0, low_excluded=True),
        Option("max-size", int, 7, "largest term size to enumerate", low=1),
        Option("max-candidates", int, 0, "stop after this many scored candidates; 0 = no limit", low=0),
        Option("seed", int, 0, "seed for image subsets and tie-free determinism"),
        Option("device", str, "", "torch device; empty = cuda when available, else cpu"),
        Option("batch-size", int, 0, "images per model call; 0 = the fastest, timed at start-up", low=0),
        Option("cache", str, "", "terminal cache folder; empty = ~/.cache/sycam"),
        Option("figure-images", int, 4, "images shown in the report's heatmaps.png", low=1),
        Option("validation", int, 0, "images held apart from the tiers to confirm each improvement; 0 = off", low=0),
        Option("acceptance", str, "published", "acceptance rule: 'published' or 'significant' (adds a Wilcoxon test)"),
        Option("significance", float, 0.05, "Wilcoxon level (significant rule, validation) before its correction", low=0,
               low_excluded=True),
        Option("class-sensitive", bool, False, "reject candidates whose maps cannot depend on the target class"),
        # -1 stands for "unset": neither a file (no negative numerals) nor a flag (>= 0) can write it
        Option("holdout", int, -1, "images held out of the search and scored only in the report; unset = a "
               "quarter of the images", low=0),
        Option("candidate-batch", int, 16, "candidates whose first tier is scored in one backend call; 1 = one at a time", low=1),
        Option("workers", int, 1, "Ray actors the images are sharded over (needs the 'ray' extra); 1 = no Ray", low=1),
        Option("ray-address", str, "", "Ray cluster to join (ray.init address); empty = a local Ray"),
    )
}


ACCEPTANCE_RULES = ("published", "significant")


def parse_bool(text: object) -> bool:
    """A boolean option's value from `true`/`false` (any case) or a bool; ValueError otherwise."""
    if isinstance(text, bool):
        return text
    words = {"true": True, "false": False}
    if str(text).lower() not in words:
        raise ValueError(f"expected true or false, got {text!r}")
    return words[str(text).lower()]


def checked_value(spec: Option, value: object) -> object:
    """An option's value, converted to its type, checked (bounds, tier order, level names) the same way
    whether a file, a flag or an API override gave it; ValueError says what is wrong."""
    if spec.kind is list:
        return tier_sizes(value)
    if spec.kind is bool:
        return parse_bool(value)
    if spec.name == "equivalence":
        equivalence_levels(value)
    elif spec.name == "acceptance" and value not in ACCEPTANCE_RULES:
        raise ValueError(f"unknown acceptance rule {value!r}; expected one of {list(ACCEPTANCE_RULES)}")
    elif spec.kind in (int, float) and out_of_range(spec, value):
        raise ValueError(out_of_range(spec, value))
    return value
