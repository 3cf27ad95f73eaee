"""A checked, lowered CAM-synthesis problem: what the engine needs and nothing else."""
from __future__ import annotations

from dataclasses import dataclass, field

from .ast import Sort
from .ir import Term


@dataclass(frozen=True)
class Grammar:
    """Non-terminals in declaration order (the first is the start symbol) and their productions.

    A production is an IR term whose `hole` leaves name non-terminals; `(Constant S)` and
    `(Variable S)` rules are the nodes `app("any_constant", (), S)` / `app("any_variable", (), S)`.
    """

    nonterminals: tuple[tuple[str, Sort], ...]
    productions: dict[str, tuple[Term, ...]]

    @property
    def start(self) -> str:
        return self.nonterminals[0][0]


@dataclass(frozen=True)
class SynthFun:
    name: str
    params: tuple[tuple[str, Sort], ...]
    sort: Sort
    grammar: Grammar  # synth-funs without a grammar get the default one for their params


@dataclass(frozen=True)
class Goal:
    """One metric objective or constraint, e.g. `(>= (deletion weights) (deletion gradcam))`.

    `baseline` is the name of the define-fun the candidate is compared with (its body is in
    `Problem.baselines`), or None with `constant` set, or both None in optimise mode (start from
    the best declared baseline, else the worst value).
    """

    metric: str  # a key of logic.METRICS
    maximise: bool  # direction written in the file (>= / :max); warns if against the metric's own
    mode: str  # "threshold" | "optimise"
    baseline: str | None = None
    constant: float | None = None
    strict: bool = False  # `>` / `<` rather than `>=` / `<=`


@dataclass(frozen=True)
class Problem:
    path: str
    logic: str
    options: dict[str, object]  # every key of options.OPTIONS, file values over defaults
    synth: SynthFun
    goals: tuple[Goal, ...]
    baselines: dict[str, Term] = field(default_factory=dict)  # define-funs over synth's params
    warnings: tuple[str, ...] = ()
