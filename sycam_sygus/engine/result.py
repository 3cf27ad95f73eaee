"""What a search answers: `SolveResult`, shared by the search and everything that observes it."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Term


@dataclass
class SolveResult:
    """What `solve` found; `answer` is printable (simplified), `raw_answer` as enumerated."""

    status: str  # "solved" | "fail" | "infeasible"
    answer: Term | None
    raw_answer: Term | None
    objective: float | None  # the answer's mean score on the last tier
    baselines: dict[str, list[float]] = field(default_factory=dict)  # name -> mean per tier
    counts: dict[str, int] = field(default_factory=dict)
    forwards: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)
    stop_reason: str = ""  # one of search.STOP_REASONS
    holdout: list[int] = field(default_factory=list)  # images the search never read (engine/images.py)
    reason: str | None = None  # why nothing was answered
    acceptance: dict = field(default_factory=dict)  # the rule in force: tolerance, level, validation figures
