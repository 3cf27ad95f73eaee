"""Class-based decomposition (CAM-THEORY §6): one search per predicted class, joined by `ite`.

When the synth-fun has a class parameter (`SynthFun.class_param`: the front end marks the Int
parameter that holds the target class, `class` in the SYCAM logic), each class with at least as many images
as the smallest tier gets its own search on its own images; the others use the default, which
is the search over all images. The answer is `(ite (= class c1) E1 (ite (= class c2) E2 …
Edefault))`, a term over the synth-fun's parameters. The grammar need not derive this `ite`:
the case split is the engine's own construction on top of grammar answers (by design of §6),
and each E_i is derivable from the grammar.
"""
from __future__ import annotations

from typing import Sequence

from ..ir import BOOL, INT, Term, app, const, var
from ..ir.problem import SynthFun


def has_class_param(synth: SynthFun) -> bool:
    """Does the synth-fun take the target class as a parameter?"""
    return synth.class_param is not None


def class_pools(pool: Sequence[int], classes: Sequence[int], smallest_tier: int) -> list[tuple[int, list[int]]]:
    """(class, its images) for each class with at least `smallest_tier` images, classes ascending."""
    members: dict[int, list[int]] = {}
    for image, cls in zip(pool, classes):
        members.setdefault(cls, []).append(image)
    return [(cls, members[cls]) for cls in sorted(members) if len(members[cls]) >= smallest_tier]


def split_budget(seconds: float, candidates: int, parts: int) -> tuple[float, int]:
    """An even share of the time and candidate budgets (0 candidates stays unlimited)."""
    share = candidates if candidates == 0 else max(1, candidates // parts)
    return seconds / parts, share


def ite_by_class(class_param: str, per_class: Sequence[tuple[int, Term]], default: Term) -> Term:
    """`(ite (= class c1) E1 (ite … default))` in the order given."""
    answer = default
    class_var = var(class_param, INT)
    for cls, term in reversed(per_class):
        test = app("=", (class_var, const(cls, INT)), BOOL)
        answer = app("ite", (test, term, answer), default.sort)
    return answer
