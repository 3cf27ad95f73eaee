"""One enumerative search over a fixed example set: the engine's `Enumerator` with observational
equivalence on the examples backend, plus divide and conquer for conditionals.

When every example has one point and the grammar has a production `N -> (ite B N N)` for the
start symbol (or a non-terminal it reaches through unit productions), that production is left
out of the enumeration: terms of N and guards of B are collected with the examples they satisfy
/ hold on, and `unify.learn` builds the `ite` tree, after each size is complete.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

from ...engine.enumerate import Enumerator, TermValues
from ...engine.unify import learn
from ...ir import Grammar, Term, derivable
from .spec import Spec

MAX_SIZE = 60  # the deadline, not this, is what ends a search in practice
UNIFY_TERMS = 200  # the terms (most examples first) a decision tree may use as leaves
PATIENCE_SECONDS, PATIENCE_SHARE = 2.0, 0.2  # how long a refused (rote) tree waits for a smaller answer


@dataclass(frozen=True)
class Outcome:
    """The term found (None if none), and whether the grammar's every value was enumerated."""

    term: Term | None
    exhausted: bool = False


def ite_split(grammar: Grammar) -> tuple[str, str, Term] | None:
    """(N, B, production) for a production `N -> (ite B N N)` that the start symbol reaches by units."""
    reachable, frontier = [grammar.start], [grammar.start]
    while frontier:
        nt = frontier.pop()
        for rule in grammar.productions.get(nt, ()):
            if rule.op == "hole" and str(rule.param) not in reachable:
                reachable.append(str(rule.param))
                frontier.append(str(rule.param))
    for nt in reachable:
        for rule in grammar.productions.get(nt, ()):
            if rule.op == "ite" and all(a.op == "hole" for a in rule.args) \
                    and str(rule.args[1].param) == str(rule.args[2].param) == nt:
                return nt, str(rule.args[0].param), rule
    return None


class Search:
    """Enumerate the synth-fun's grammar against `spec` until `deadline` (time.monotonic)."""

    def __init__(self, spec: Spec, deadline: float, seeds: "Search | None" = None, max_leaves: int | None = None):
        self.spec = spec
        self.max_leaves = max_leaves  # a tree with more leaves is not trusted to generalise (PBE) ...
        self.refused: Term | None = None  # ... but the first one is the answer if nothing better comes soon
        self.patience = time.monotonic() + min(PATIENCE_SECONDS, PATIENCE_SHARE * max(deadline - time.monotonic(), 0))
        self.seeds = seeds  # a previous search on fewer examples: its leaves and guards are tried first
        self.deadline = deadline
        self.grammar = spec.synth.grammar
        unify = spec.single_point and len(spec.examples) > 1
        self.split = ite_split(self.grammar) if unify else None
        self.values = TermValues(spec.backend, range(len(spec.points)))
        self.terms: list[tuple[Term, int]] = []
        self.guards: list[tuple[Term, int]] = []
        self._term_masks: set[int] = set()
        self._guard_masks: set[int] = set()
        self.undefined_seen = False

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def run(self) -> Outcome:
        grammar = self.grammar
        if self.split is not None:
            nt, _, rule = self.split
            productions = {**grammar.productions, nt: tuple(r for r in grammar.productions[nt] if r is not rule)}
            grammar = replace(grammar, productions=productions)
        enumerator = Enumerator(grammar, self.spec.synth.params, MAX_SIZE, self.values, canonical=lambda t: t,
                                should_stop=self.out_of_time)
        if self.split is not None and self.seeds is not None and self.seeds.split == self.split:
            leaf_nt, guard_nt, _ = self.split
            for term, _ in self.seeds.terms:
                self.collect(term, leaf_nt, self.values.get(term), None)
            for guard, _ in self.seeds.guards:
                self.collect(guard, guard_nt, self.values.get(guard), None)
            found = self.unify()
            if found is not None:
                return Outcome(found)
        seen: dict[str, set[bytes]] = {nt: set() for nt, _ in grammar.nonterminals}
        size, fresh = 0, False
        for item in enumerator:
            if item.size != size:
                size = item.size
                if fresh:
                    fresh = False
                    found = self.unify()
                    if found is not None:
                        return Outcome(found)
                if self.refused is not None and time.monotonic() > self.patience:
                    return Outcome(self.refused)
            column = enumerator.value(item.term)
            key = self.spec.backend.value_key(column)
            if key in seen[item.nonterminal]:
                enumerator.reject(item.term, item.nonterminal)
                continue
            seen[item.nonterminal].add(key)
            if None in column.items:
                self.undefined_seen = True
            mask = None
            if item.nonterminal == grammar.start:
                mask = self.spec.coverage(column)
                if mask == self.spec.full:
                    return Outcome(item.term)
            if self.split is not None:
                fresh |= self.collect(item.term, item.nonterminal, column, mask)
        found = self.unify() if fresh else None
        if found is not None or self.refused is not None:
            return Outcome(found or self.refused)
        exhausted = enumerator.exhausted and self.split is None and not self.undefined_seen
        return Outcome(None, exhausted)

    def collect(self, term: Term, nonterminal: str, column, mask: int | None) -> bool:
        """Keep a leaf term or a guard with a new mask; True if one was kept."""
        leaf_nt, guard_nt, _ = self.split
        if nonterminal == leaf_nt:
            mask = self.spec.coverage(column) if mask is None else mask
            if mask and mask not in self._term_masks:
                self._term_masks.add(mask)
                self.terms.append((term, mask))
                return True
        elif nonterminal == guard_nt:
            mask = self.spec.predicate_mask(column)
            if mask and mask != self.spec.full and mask not in self._guard_masks:
                self._guard_masks.add(mask)
                self.guards.append((term, mask))
                return True
        return False

    def unify(self) -> Term | None:
        """A decision tree over the collected terms and guards, checked on every example."""
        union = 0
        for _, mask in self.terms:
            union |= mask
        if union != self.spec.full or not self.guards:
            return None
        leaves = sorted(self.terms, key=lambda t: -t[1].bit_count())[:UNIFY_TERMS]
        leaves.sort(key=lambda t: t[0].size)
        tree = learn(self.spec.full, leaves, self.guards, self.spec.synth.sort, self.out_of_time)
        if tree is None or not derivable(tree, self.grammar):
            return None
        if self.max_leaves is not None and 1 + sum(n.op == "ite" for n in tree.walk()) > self.max_leaves:
            if self.refused is None and self.spec.coverage(self.values.get(tree)) == self.spec.full:
                self.refused = tree
            return None
        if self.spec.coverage(self.values.get(tree)) != self.spec.full:
            return None
        return tree
