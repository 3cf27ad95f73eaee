"""A checked, lowered CAM-synthesis problem: what the engine needs and nothing else."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.settings import Settings
from ..core.sorts import Pos, Sort
from .grammar import Grammar
from .term import Term


@dataclass(frozen=True)
class SynthFun:
    name: str
    params: tuple[tuple[str, Sort], ...]
    sort: Sort
    grammar: Grammar  # synth-funs without a grammar get the default one for their params
    class_param: str | None = None  # the Int parameter holding the target class: the engine splits by it


@dataclass(frozen=True)
class Goal:
    """One metric objective or constraint, e.g. `(>= (deletion weights) (deletion gradcam))`.

    `baseline` is the name of the define-fun the candidate is compared with (its body is in
    `Problem.baselines`), or None with `constant` set, or both None in optimise mode (start from
    the best declared baseline, else the worst value).
    """

    metric: str  # the oracle's metric name, for the backend (the engine only passes it on)
    maximise: bool  # direction written in the file (>= / :max); warns if against the metric's own
    mode: str  # "threshold" | "optimise"
    baseline: str | None = None
    constant: float | None = None
    strict: bool = False  # `>` / `<` rather than `>=` / `<=`


@dataclass(frozen=True)
class Problem:
    path: str
    logic: str
    settings: Settings  # defaults, then the file's set-options, then the caller's flags
    synth: SynthFun
    goals: tuple[Goal, ...]
    baselines: dict[str, Term] = field(default_factory=dict)  # define-funs over synth's params
    warnings: tuple[str, ...] = ()
    option_positions: dict[str, Pos] = field(default_factory=dict)  # where the file set each option
