"""The solver's answer as SyGuS competition text (one `define-fun` per synth-fun, `fail` or `infeasible`).

`(` then one `(define-fun NAME PARAMS SORT BODY)` whose parameter list is the synth-fun's own,
then `)`; or the bare words `fail` / `infeasible`. For `optimize-synth` problems the block
starts with the tuple of objective values.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from .ir import Term
from .irprint import literal, to_sygus
from .printer import print_sort
from .problem import Grammar, SynthFun

STATUSES = ("solved", "fail", "infeasible")

# The front end's one sort printer; kept under this name because the checker imports it from here.
sort_text = print_sort


def define_fun(synth: SynthFun, body: Term) -> str:
    """`(define-fun NAME PARAMS SORT BODY)` with the synth-fun's parameter list, verbatim."""
    params = " ".join(f"({name} {sort_text(sort)})" for name, sort in synth.params)
    return f"(define-fun {synth.name} ({params}) {sort_text(synth.sort)} {to_sygus(body)})"


def format_answer(
    synth: SynthFun,
    status: str,
    body: Term | None,
    objectives: Sequence[float] | None = None,
) -> str:
    """The whole stdout answer (without a trailing newline) for a solver status.

    `objectives` (the answer's value of each `optimize-synth` objective) is given exactly for
    optimisation problems and puts the value tuple first, as the standard asks.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown solver status {status!r}; expected one of {', '.join(STATUSES)}")
    if status != "solved":
        return status
    if body is None:
        raise ValueError("a solved status needs an answer term")
    lines = ["("]
    if objectives is not None:
        lines.append("  (" + " ".join(literal(_exact(v), "Real") for v in objectives) + ")")
    lines.append("  " + define_fun(synth, body))
    lines.append(")")
    return "\n".join(lines)


def _exact(value: float) -> Fraction:
    """A finite float as the exact decimal of its shortest repr, so 0.1 prints as `0.1`."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"objective value {value} is not finite; cannot print it as SyGuS")
    return Fraction(repr(float(value)))


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
