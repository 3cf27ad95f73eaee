"""The `:sycam.*` options a problem file may set (CAM-THEORY §5), their types and defaults.

Command-line flags override file values; see `cli.py`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    name: str  # without the "sycam." prefix
    kind: type  # str, int, float, or list (a string of space-separated ints)
    default: object
    help: str


OPTIONS = {
    o.name: o
    for o in (
        Option("model", str, "builtin:cluttered-mnist", "built-in model, torchvision architecture, or package.module:factory"),
        Option("weights", str, "", "state-dict path; empty = the model's default"),
        Option("layer", str, "", "dotted module path of the target layer; empty = architecture default"),
        Option("data", str, "builtin:cluttered-mnist", "built-in data set or an image folder"),
        Option("masks", str, "", "mask folder with the images' relative names; empty = none or built-in"),
        Option("target", str, "predicted", "target class: 'predicted' or 'label'"),
        Option("images", int, 300, "how many images to use (a seeded subset)"),
        Option("tiers", list, [30, 100, 300], "tier sizes, smallest first"),
        Option("eq-images", int, 10, "images in the equivalence subset"),
        Option("equivalence", str, "value map", "equivalence levels in use: any of value, map, metric"),
        Option("steps", int, 10, "grid deletion/insertion steps P"),
        Option("time-limit", float, 600.0, "wall-clock budget in seconds"),
        Option("max-size", int, 7, "largest term size to enumerate"),
        Option("max-candidates", int, 0, "stop after this many scored candidates; 0 = no limit"),
        Option("seed", int, 0, "seed for image subsets and tie-free determinism"),
        Option("device", str, "", "torch device; empty = cuda when available, else cpu"),
        Option("batch-size", int, 64, "images per model call"),
        Option("cache", str, "", "terminal cache folder; empty = ~/.cache/sycam"),
    )
}
