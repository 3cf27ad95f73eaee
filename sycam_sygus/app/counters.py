"""The search's counters in words: the one naming stderr's summary and report.md both print.

The engine counts under short keys (`SolveResult.counts`, kept as they are in report.json for
tools); people read these words instead.
"""
from __future__ import annotations

import re
from typing import Mapping

WORDS = {
    "enumerated": "candidates enumerated",
    "pruned-syntax": "candidates skipped as syntactic duplicates",
    "pruned-value": "candidates skipped: same values on the equivalence images",
    "pruned-metric": "candidates skipped: same scores on the equivalence images",
    "shared-scale": "candidates skipped: a positive multiple of an earlier one on the equivalence images",
    "scored": "candidates checked against the tiers",
    "rejected": "candidates rejected",
    "passed": "candidates that passed every tier",
    "shared-map": "tier evaluations reusing the scores of equal maps (no scoring)",
    "reused-scores": "tier evaluations reusing a baseline's scores",
    "known-scores": "tier evaluations replayed from the run log",
    "scored-equivalence": "candidates scored on the equivalence images",
    "bank-enumerated": "helper terms enumerated",
    "bank-pruned-syntax": "helper terms skipped as syntactic duplicates",
    "bank-pruned-value": "helper terms skipped: same values on the equivalence images",
    "classes-split": "classes given their own expression",
}
_TIER = re.compile(r"scored-tier-(\d+)$")


def in_words(counts: Mapping[str, int]) -> dict[str, int]:
    """The counters under their words, in a fixed order (known keys, then tiers, then any other)."""
    named = {WORDS[key]: int(counts[key]) for key in WORDS if key in counts}
    tiers = sorted((int(m.group(1)), key) for key in counts if (m := _TIER.match(key)))
    named.update({f"tier {tier + 1} evaluations (candidates and baselines)": int(counts[key]) for tier, key in tiers})
    named.update({key: int(value) for key, value in counts.items() if key not in WORDS and not _TIER.match(key)})
    return named


STOP_WORDS = {
    "exhausted": "every candidate up to :sycam.max-size was seen",
    "time-limit": ":sycam.time-limit reached",
    "max-candidates": ":sycam.max-candidates reached",
    "interrupted": "interrupted",
    "answered": "the first candidate to pass every tier is the answer",
}


def stop_in_words(reason: str) -> str:
    """`exhausted (every candidate up to :sycam.max-size was seen)`, for stderr and report.md."""
    return f"{reason} ({STOP_WORDS[reason]})" if reason in STOP_WORDS else reason or "unknown"
