"""A synth-fun's grammar and grammar membership (`derivable`), as competition checkers test it."""
from __future__ import annotations

from dataclasses import dataclass

from ..core.sorts import Sort
from .term import Term


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



def derivable(term: Term, grammar: Grammar, nonterminal: str | None = None) -> bool:
    """Whether the grammar derives `term` from `nonterminal` (the start symbol by default).

    Competition checkers test this before semantics; the CLI uses it to choose between the
    engine's simplified answer and the term as enumerated.
    """
    memo: dict[tuple[Term, str], bool] = {}
    open_keys: set[tuple[Term, str]] = set()
    cut = [False]  # did the computation in progress meet an open (term, name), i.e. a cycle?

    def from_nonterminal(t: Term, name: str) -> bool:
        key = (t, name)
        if key in memo:
            return memo[key]
        if key in open_keys:  # a production cycle through the same (term, name) derives nothing new
            cut[0] = True
            return False
        outer_cut, cut[0] = cut[0], False
        open_keys.add(key)
        result = any(matches(rule, t) for rule in grammar.productions.get(name, ()))
        open_keys.discard(key)
        # "yes" is final; a "no" reached through a cut cycle only holds while that cycle is
        # open, so it is not remembered (it is recomputed when asked again).
        if result or not cut[0]:
            memo[key] = result
        cut[0] = outer_cut or (cut[0] and not result)
        return result

    def matches(rule: Term, t: Term) -> bool:
        if rule.op == "hole":
            return from_nonterminal(t, str(rule.param))
        if rule.op == "any_constant":
            return t.op == "const" and t.sort == rule.sort
        if rule.op == "any_variable":
            return t.op == "var" and t.sort == rule.sort
        if not rule.args:
            return rule is t
        return (
            rule.op == t.op and rule.param == t.param and len(rule.args) == len(t.args)
            and all(matches(r, a) for r, a in zip(rule.args, t.args))
        )

    return from_nonterminal(term, nonterminal or grammar.start)
