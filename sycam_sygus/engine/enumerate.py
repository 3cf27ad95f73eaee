"""Bottom-up enumeration of grammar terms by size, with a bank per non-terminal.

Terms of size s are built from production templates whose `hole` leaves are filled with banked
terms whose sizes sum right (each hole occurrence independently). `(Constant S)` slots take a
small fixed set of constants (`CONSTANTS`: 0.5 1.0 2.0 for Real, 0 1 2 for Int, false true for
Bool); `(Variable S)` slots take the synth-fun's parameters of sort S. Size is `Term.size`.

Syntactic duplicates (same `symbolic.canonical_key`, e.g. `(+ b a)` after `(+ a b)`, or
`(+ y (+ x x))` after `(+ x (+ x y))`) are dropped before the consumer sees them. The consumer
reports value duplicates back with `Enumerator.reject`: a rejected term leaves the bank and never
builds bigger terms (observational equivalence). Values on the equivalence images are kept for
banked terms, so a new term's value is one `backend.apply` on its children's cached values
(`Enumerator.value`).
"""
from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Hashable, Iterator, Sequence

from ..ir import Grammar, Sort, Term, const, var
from ..ir.symbolic import canonical_key
from .port import SearchBackend, Weights

CONSTANTS: dict[str, tuple[object, ...]] = {
    "Real": (Fraction(1, 2), Fraction(1), Fraction(2)),
    "Int": (0, 1, 2),
    "Bool": (False, True),
}
SLOT_OPS = ("hole", "any_constant", "any_variable")


@dataclass(frozen=True)
class Enumerated:
    """One new term of `nonterminal` (the consumer may `reject` it before asking for the next)."""

    term: Term
    nonterminal: str
    size: int


class TermValues:
    """Memoised bottom-up evaluation of IR terms on a fixed image list through a backend.

    `capacity` bounds the memo (least recently used entries go first); None keeps everything.
    """

    def __init__(self, backend: SearchBackend, images: Sequence[int], capacity: int | None = None):
        self.backend = backend
        self.images = list(images)
        self.capacity = capacity
        self._memo: OrderedDict[Term, Weights] = OrderedDict()

    def get(self, term: Term) -> Weights:
        """The term's weights `[I, K]` on this list's images."""
        memo = self._memo
        if term in memo:
            memo.move_to_end(term)
            return memo[term]
        if all(a in memo for a in term.args):  # the usual case in enumeration: one apply, no walk
            value = self._evaluate(term, [memo[a] for a in term.args])
            self._remember(term, value)
            return value
        local: dict[Term, Weights] = {}
        for node in term.walk():
            if node in self._memo:
                local[node] = self._memo[node]
            else:
                local[node] = self._evaluate(node, [local[a] for a in node.args])
                self._remember(node, local[node])
        return local[term]

    def __len__(self) -> int:
        """How many values are cached."""
        return len(self._memo)

    def forget(self, term: Term) -> None:
        """Drop a term's cached value (it will be recomputed if asked again)."""
        self._memo.pop(term, None)

    def _remember(self, term: Term, value: Weights) -> None:
        self._memo[term] = value
        if self.capacity is not None and len(self._memo) > self.capacity:
            self._memo.popitem(last=False)

    def _evaluate(self, node: Term, args: list[Weights]) -> Weights:
        if node.op == "var":
            return self.backend.terminal(str(node.param), self.images)
        if node.op == "const":
            return self.backend.constant(node.param, self.images, node.sort)
        if node.op in SLOT_OPS:
            raise ValueError(f"cannot evaluate a grammar slot {node!r}; fill it first")
        param = node.param if isinstance(node.param, int) else None
        return self.backend.apply(node.op, args, param)


def fill(template: Term, fillers: Sequence[Term]) -> Term:
    """The template with its slot occurrences (pre-order, left to right) replaced by `fillers`."""
    remaining = iter(fillers)

    def build(node: Term) -> Term:
        if node.op in SLOT_OPS:
            return next(remaining)
        if not node.args:
            return node
        return Term(node.op, tuple(build(a) for a in node.args), node.sort, node.param)

    return build(template)


def slots(template: Term) -> list[Term]:
    """The template's slot occurrences in pre-order (a repeated hole counts each time)."""
    if template.op in SLOT_OPS:
        return [template]
    return [s for a in template.args for s in slots(a)]


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Ordered ways to write `total` as `parts` positive integers, lexicographically."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(1, total - parts + 2):
        for rest in _compositions(total - first, parts - 1):
            yield (first,) + rest


class Enumerator:
    """A generator of new grammar terms, smallest first, fed back by `reject` (see module doc)."""

    def __init__(
        self,
        grammar: Grammar,
        params: Sequence[tuple[str, Sort]],
        max_size: int,
        values: TermValues | None = None,
        canonical: Callable[[Term], Hashable] = canonical_key,
        on_syntax_duplicate: Callable[[Term, str], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ):
        self.grammar = grammar
        self.max_size = max_size
        self.values = values
        self.canonical = canonical
        self.on_syntax_duplicate = on_syntax_duplicate
        self.should_stop = should_stop  # polled between terms, so long runs of duplicates stop too
        self.exhausted = False
        self.stopped = False
        self._params = [var(name, sort) for name, sort in params]
        # per non-terminal and size, the banked terms in order (a dict: O(1) removal on reject)
        self._bank: dict[str, dict[int, dict[Term, None]]] = {nt: {} for nt, _ in grammar.nonterminals}
        self._seen: dict[str, set[Hashable]] = {nt: set() for nt, _ in grammar.nonterminals}
        self._templates = {
            nt: [(p, slots(p)) for p in grammar.productions.get(nt, ())] for nt, _ in grammar.nonterminals
        }
        # the least a term grows by when it fills a slot of a non-unit production
        self._min_growth = min(
            (p.size - 1 for ts in self._templates.values() for p, p_slots in ts if p.op not in SLOT_OPS and p_slots),
            default=max_size,
        )

    def bank(self, nonterminal: str, size: int) -> list[Term]:
        """The banked terms of `nonterminal` with exactly `size` nodes."""
        return list(self._bank[nonterminal].get(size, ()))

    def value(self, term: Term) -> Weights:
        """The term's weights on the equivalence images (one apply when its children are banked)."""
        if self.values is None:
            raise ValueError("this enumerator was built without a TermValues")
        return self.values.get(term)

    def reject(self, term: Term, nonterminal: str) -> None:
        """`term` duplicates an earlier term of `nonterminal`: drop it from that bank."""
        self._bank[nonterminal].get(term.size, {}).pop(term, None)
        if self.values is not None and not any(term in b.get(term.size, ()) for b in self._bank.values()):
            self.values.forget(term)

    def __iter__(self) -> Iterator[Enumerated]:
        for size in range(1, self.max_size + 1):
            yield from self._terms_of_size(size)
            if self.stopped:
                return
            if self._largest_buildable() <= size:
                self.exhausted = True
                return

    def _terms_of_size(self, size: int) -> Iterator[Enumerated]:
        units: list[tuple[str, str]] = []
        for nt, _ in self.grammar.nonterminals:
            for template, template_slots in self._templates[nt]:
                if template.op == "hole":
                    units.append((nt, str(template.param)))
                    continue
                for term in self._instances(template, template_slots, size):
                    if self.should_stop():
                        self.stopped = True
                        return
                    yield from self._offer(term, nt, size)
        # Unit productions (N -> M) copy M's terms of this size, which must be final first.
        changed = True
        while changed:
            changed = False
            for nt, source in units:
                for term in list(self._bank[source].get(size, ())):
                    if self.canonical(term) not in self._seen[nt]:
                        changed = True
                        yield from self._offer(term, nt, size)

    def _offer(self, term: Term, nt: str, size: int) -> Iterator[Enumerated]:
        key = self.canonical(term)
        if key in self._seen[nt]:
            if self.on_syntax_duplicate is not None:
                self.on_syntax_duplicate(term, nt)
            return
        self._seen[nt].add(key)
        self._bank[nt].setdefault(size, {})[term] = None
        yield Enumerated(term, nt, size)
        if self.values is not None and size + self._min_growth > self.max_size:
            self.values.forget(term)  # too big to be a child within max_size: free its weights

    def _instances(self, template: Term, template_slots: list[Term], size: int) -> Iterator[Term]:
        fixed = template.size - len(template_slots)
        if not template_slots:
            if fixed == size:
                yield template
            return
        for sizes in _compositions(size - fixed, len(template_slots)):
            choices = [self._choices(slot, s) for slot, s in zip(template_slots, sizes)]
            for fillers in itertools.product(*choices):
                yield fill(template, fillers)

    def _choices(self, slot: Term, size: int) -> list[Term]:
        if slot.op == "hole":
            return list(self._bank[str(slot.param)].get(size, ()))
        if size != 1:
            return []
        if slot.op == "any_variable":
            return [p for p in self._params if p.sort == slot.sort]
        return [const(c, slot.sort) for c in CONSTANTS.get(slot.sort.name, ())]

    def _largest_buildable(self) -> int:
        """The largest size any production can still reach from the current banks (0 if none)."""
        largest_in = {nt: max((s for s, ts in b.items() if ts), default=0) for nt, b in self._bank.items()}
        best = 0
        for nt, _ in self.grammar.nonterminals:
            for template, template_slots in self._templates[nt]:
                reach = template.size - len(template_slots)
                for slot in template_slots:
                    if slot.op == "hole":
                        most = largest_in[str(slot.param)]
                    else:
                        most = 1 if self._choices(slot, 1) else 0
                    if most == 0:
                        reach = 0
                        break
                    reach += most
                best = max(best, reach)
        return best
