"""Strict JSON for what sycam writes (report.json, `sycam-check --json`): no NaN or Infinity tokens."""
from __future__ import annotations

import math

import numpy as np


def json_safe(value: object) -> object:
    """`value` for strict JSON: non-finite floats become their text, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
