"""The SYCAM logic's vocabulary (CAM-THEORY §2-4): operators, terminals and metric oracles.

Pure data, shared by the sort checker, the engine and (through a consistency test) the backend.
"""
from __future__ import annotations

from dataclasses import dataclass

# Element-wise operators on per-channel vectors: name -> allowed arities.
ELEMENTWISE = {
    "+": (2, None),  # (min, max); None = unbounded
    "-": (1, None),
    "*": (2, None),
    "/": (2, None),
    "abs": (1, 1),
    "relu": (1, 1),
}
# Channel-wide operators (one vector argument).
CHANNELWIDE = ("softmax", "normalize")
# Operators whose second operand is a numeral literal >= 1, stored in the IR node's `param`.
WITH_NUMERAL = ("pow", "topk")
# Comparisons and connectives give element-wise Bool vectors; `ite` selects element-wise.
COMPARISONS = (">=", "<=", ">", "<", "=")
CONNECTIVES = ("and", "or", "not")

TERMINALS = ("grads", "pos_grads", "gradcampp", "xgrads", "act", "eigen", "cic", "abl", "class")
INT_TERMINALS = ("class",)


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    rank_only: bool  # depends only on the ranking of cells/pixels of the map
    needs_masks: bool


METRICS = {
    m.name: m
    for m in (
        Metric("avg_drop", False, False, False),
        Metric("increase", True, False, False),
        Metric("deletion", True, True, False),
        Metric("insertion", True, True, False),
        Metric("deletion_auc", False, True, False),
        Metric("insertion_auc", True, True, False),
        Metric("topn_gt", True, True, True),
        Metric("sch", True, False, True),
        Metric("pointing", True, True, True),
    )
}
METRIC_PREFIX = "sycam."
