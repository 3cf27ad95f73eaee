"""Divide and conquer for conditionals (EUSolver-style unification): when no single enumerated
term satisfies every example, learn a decision tree of `ite` guards whose leaves do.

Terms and guards come with bit masks over the examples (which examples a term satisfies, where a
guard holds). A node takes the first (smallest) term covering all its examples; otherwise it
splits on the guard that leaves the purest halves (the most examples one term covers on each
side), trying the few best guards before giving up.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

from ..ir import Term, app

GUARDS_TRIED = 2  # best-scoring guards tried at a node before it fails
MAX_DEPTH = 40
MAX_NODES = 400  # tree nodes one `learn` call may try in all (backtracking included)


def _labels(examples: int, terms: Sequence[tuple[Term, int]]) -> dict[int, int]:
    """Each example's label: the most general term (most examples covered, then smallest) covering it."""
    ranked = sorted(range(len(terms)), key=lambda k: (-(terms[k][1] & examples).bit_count(), terms[k][0].size))
    labels: dict[int, int] = {}
    remaining = examples
    for k in ranked:
        hit = terms[k][1] & remaining
        while hit:
            low = hit & -hit
            labels[low.bit_length() - 1] = k
            hit ^= low
        remaining &= ~terms[k][1]
        if not remaining:
            break
    return labels


def _entropy(examples: int, labels: dict[int, int]) -> float:
    """Size-weighted entropy of the labels of `examples`."""
    counts: dict[int, int] = {}
    total = 0
    while examples:
        low = examples & -examples
        label = labels[low.bit_length() - 1]
        counts[label] = counts.get(label, 0) + 1
        total += 1
        examples ^= low
    return -sum(c * math.log2(c / total) for c in counts.values())


def learn(examples: int, terms: Sequence[tuple[Term, int]], guards: Sequence[tuple[Term, int]],
          sort, out_of_time: Callable[[], bool]) -> Term | None:
    """An `ite` tree over `terms` and `guards` correct on every example in the mask, or None."""
    budget = [MAX_NODES]

    def give_up() -> bool:
        budget[0] -= 1
        return budget[0] < 0 or out_of_time()

    return _learn(examples, terms, guards, sort, give_up, MAX_DEPTH)


def _learn(examples: int, terms: Sequence[tuple[Term, int]], guards: Sequence[tuple[Term, int]],
           sort, give_up: Callable[[], bool], depth: int) -> Term | None:
    for term, mask in terms:
        if mask & examples == examples:
            return term
    if depth == 0 or give_up():
        return None
    labels = _labels(examples, terms)
    if len(labels) != examples.bit_count():
        return None  # some example no term satisfies: no tree can
    scored = []
    for guard, mask in guards:
        yes, no = examples & mask, examples & ~mask
        if yes and no:
            scored.append((_entropy(yes, labels) + _entropy(no, labels), guard.size, len(scored), guard, yes, no))
    scored.sort(key=lambda s: s[:3])
    for *_, guard, yes, no in scored[:GUARDS_TRIED]:
        then = _learn(yes, terms, guards, sort, give_up, depth - 1)
        if then is None:
            continue
        otherwise = _learn(no, terms, guards, sort, give_up, depth - 1)
        if otherwise is not None:
            return app("ite", (guard, then, otherwise), sort)
    return None
