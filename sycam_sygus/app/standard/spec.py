"""A standard problem's constraints on a finite set of examples, as the enumerator consumes them.

An example is an assignment of the universal variables (empty for a ground input/output example)
and the constraint it must satisfy. The synth-fun is called in that constraint at "points"
(its argument values under the assignment); the points of all examples are the examples
backend's images, so a candidate's column over the points decides every example, and two
candidates with equal columns are equivalent on the whole example set (observational
equivalence). `coverage` gives the examples a candidate satisfies, as a bit mask.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from ...backends.examples import Column, ExamplesBackend, Macro, evaluate, sort_tag
from ...frontend.lower_standard import StandardProblem
from ...ir import SynthFun, Term, app, const


class UnsupportedSpec(ValueError):
    """A constraint shape this engine does not handle (e.g. the synth-fun nested in its own arguments)."""


@dataclass(frozen=True)
class Example:
    assignment: Mapping[str, object]
    constraint: Term


def macros_of(problem: StandardProblem) -> dict[str, Macro]:
    """The user define-funs as the examples backend's operators."""
    return {name: Macro(tuple(n for n, _ in f.params), f.body) for name, f in problem.functions.items()}


def _calls(term: Term, name: str) -> list[Term]:
    """The applications of `name` in a term (each distinct node once)."""
    found = [node for node in term.walk() if node.op == name]
    for call in found:
        if any(node.op == name for a in call.args for node in a.walk()):
            raise UnsupportedSpec(f"'{name}' is applied inside its own arguments")
    return found


class Spec:
    """The examples of one synth-fun's problem, their points and the fast equality checks."""

    def __init__(self, problem: StandardProblem, synth: SynthFun, examples: Sequence[Example]):
        self.synth = synth
        self.examples = list(examples)
        self.variable_sorts = variable_sorts = dict(problem.variables)
        self.macros = macros_of(problem)
        self.points: list[dict[str, object]] = []
        self._index: dict[tuple, int] = {}
        self.example_points: list[list[int]] = []
        self.expected: list[object | None] = []  # `(= (f args) c)` examples: c's value, else None
        scratch = ExamplesBackend([], variable_sorts, self.macros)
        for example in self.examples:
            env = {n: Column(sort_tag(variable_sorts[n]), (v,)) for n, v in example.assignment.items()}
            indices = []
            for call in _calls(example.constraint, synth.name):
                row = tuple(evaluate(a, env, scratch, 1).items[0] for a in call.args)
                indices.append(self._point(row))
            self.example_points.append(list(dict.fromkeys(indices)))
            self.expected.append(self._fast_target(example.constraint, env, scratch))
        self.full = (1 << len(self.examples)) - 1
        self.backend = ExamplesBackend(self.points, dict(synth.params), self.macros)
        self.single_point = all(len(p) == 1 for p in self.example_points)
        self._slow = [i for i, e in enumerate(self.expected) if e is None]
        self._memo: dict[int, dict[tuple, bool]] = {i: {} for i in self._slow}
        self._residual = {i: self._partial(self.examples[i]) for i in self._slow}
        self._fast = [(i, self.example_points[i][0], e) for i, e in enumerate(self.expected) if e is not None]

    def _point(self, row: tuple) -> int:
        if row not in self._index:
            self._index[row] = len(self.points)
            self.points.append(dict(zip((n for n, _ in self.synth.params), row)))
        return self._index[row]

    def _fast_target(self, constraint: Term, env: dict, scratch: ExamplesBackend) -> object | None:
        """c's value when the constraint is `(= (f args) c)` or `(= c (f args))` with c free of f."""
        if constraint.op != "=" or len(constraint.args) != 2:
            return None
        for call, other in (constraint.args, constraint.args[::-1]):
            if call.op == self.synth.name and not any(n.op == self.synth.name for n in other.walk()):
                return evaluate(other, env, scratch, 1).items[0]
        return None

    def coverage(self, column: Column) -> int:
        """The examples this candidate column (over the points) satisfies, as a bit mask."""
        items = column.items
        mask = 0
        for i, point, expected in self._fast:
            if items[point] == expected:
                mask |= 1 << i
        for i in self._slow:
            if self._satisfies(i, column):
                mask |= 1 << i
        return mask

    def _satisfies(self, i: int, column: Column) -> bool:
        """Whether example i holds; it depends only on the values at its points, so it is memoised on them."""
        key = tuple(column.items[p] for p in self.example_points[i])
        memo = self._memo[i]
        if key not in memo:
            memo[key] = self._evaluate_example(i, column)
        return memo[key]

    def _env(self, example: Example) -> dict[str, Column]:
        return {n: Column(sort_tag(self.variable_sorts[n]), (v,)) for n, v in example.assignment.items()}

    def _partial(self, example: Example) -> Term:
        """The constraint with everything that does not involve the synth-fun evaluated, and the
        connectives simplified, so each new candidate value costs a few operations."""
        env, done, values = self._env(example), {}, {}
        for node in example.constraint.walk():
            args = [done[a] for a in node.args]
            if node.op != self.synth.name and all(a in values for a in node.args):
                if node.op == "var":
                    value = env[str(node.param)]
                elif node.op == "const":
                    value = self.backend.constant(node.param, range(1), node.sort)
                else:
                    value = self.backend.apply(node.op, [values[a] for a in node.args])
                if value.items and value.items[0] is not None:
                    values[node] = value
                    done[node] = const(value.items[0], node.sort)
                    continue
            done[node] = _simplified(node.op, args, node) if args else node
        return done[example.constraint]

    def _evaluate_example(self, i: int, column: Column) -> bool:
        example = self.examples[i]
        env = self._env(example)

        def call(args: list[Column]) -> Column:
            point = self._index[tuple(a.items[0] for a in args)]
            return Column(column.tag, (column.items[point],))

        value = evaluate(self._residual[i], env, self.backend, 1, {self.synth.name: call})
        return value.items[0] is True

    def predicate_mask(self, column: Column) -> int:
        """For single-point examples: the examples whose point the Bool column holds at."""
        items = column.items
        return sum(1 << i for i, points in enumerate(self.example_points) if items[points[0]] is True)



def _simplified(op: str, args: list[Term], node: Term) -> Term:
    """`node` over the partly evaluated `args`, with constant Boolean operands simplified away."""
    def is_const(t: Term, value: bool) -> bool:
        return t.op == "const" and t.param is value

    if op in ("and", "or"):
        absorbing, unit = (False, True) if op == "and" else (True, False)
        if any(is_const(a, absorbing) for a in args):
            return const(absorbing)
        kept = [a for a in args if not is_const(a, unit)]
        return const(unit) if not kept else kept[0] if len(kept) == 1 else app(op, kept, node.sort)
    if op == "=>":
        *premises, conclusion = args
        if is_const(conclusion, True) or any(is_const(p, False) for p in premises):
            return const(True)
        kept = [p for p in premises if not is_const(p, True)]
        return conclusion if not kept else app("=>", [*kept, conclusion], node.sort)
    if op == "ite" and args[0].op == "const":
        return args[1] if args[0].param else args[2]
    return Term(op, tuple(args), node.sort, node.param)
