"""The SMT verifier of standard problems (cvc5's Python API): a candidate either satisfies every
constraint for all values of the universal variables, or a counterexample comes back.

The query is SMT-LIB 2.6 text: the user's define-funs, the candidate as a define-fun, the
variables declared, and the negated conjunction of the constraints. cvc5 was chosen over z3
because it decides the string theory the corpus uses best, supports every SMT-LIB 2.6 string
operator name the front end produces, and is the reference SyGuS solver the benchmark compares
against, so one dependency serves both.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Sequence

from ...core.text import sort_text
from ...frontend.lower_standard import StandardProblem
from ...ir import Term, to_sygus
from ..answer import define_fun

QUERY_MILLISECONDS = 5000  # one verification query's budget; past it the candidate is not trusted


class VerifierError(RuntimeError):
    """cvc5 refused the query (a term the verifier cannot express): no answer can be trusted."""


class Verdict:
    """`valid` (no counterexample), or `counterexample` (variable values), or neither (unknown)."""

    def __init__(self, valid: bool, counterexample: dict[str, object] | None = None):
        self.valid = valid
        self.counterexample = counterexample


def query_text(problem: StandardProblem, answers: Mapping[str, Term], constraints: Sequence[Term]) -> str:
    """The SMT-LIB script whose satisfiability means "the answers violate a constraint"."""
    lines = ["(set-logic ALL)"]
    for function in problem.functions.values():
        params = " ".join(f"({n} {sort_text(s)})" for n, s in function.params)
        lines.append(f"(define-fun {function.name} ({params}) {sort_text(function.sort)} {to_sygus(function.body)})")
    for synth in problem.synths:
        lines.append(define_fun(synth, answers[synth.name]))
    for name, sort in problem.variables:
        lines.append(f"(declare-fun {name} () {sort_text(sort)})")
    body = " ".join(to_sygus(c) for c in constraints)
    lines.append(f"(assert (not (and true {body})))")
    return "\n".join(lines)


def verify(problem: StandardProblem, answers: Mapping[str, Term],
           milliseconds: int = QUERY_MILLISECONDS) -> Verdict:
    """Check the answers against all of the problem's constraints."""
    import cvc5  # imported here: SYCAM problems never need it

    manager = cvc5.TermManager()
    solver = cvc5.Solver(manager)
    solver.setOption("produce-models", "true")
    solver.setOption("tlimit-per", str(milliseconds))
    symbols = cvc5.SymbolManager(manager)
    parser = cvc5.InputParser(solver, symbols)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, query_text(problem, answers, problem.constraints),
                          "verification")
    try:
        while True:
            command = parser.nextCommand()
            if command.isNull():
                break
            command.invoke(solver, symbols)
        result = solver.checkSat()
    except RuntimeError as err:
        raise VerifierError(f"the SMT verifier refused the query: {err}") from None
    if result.isUnsat():
        return Verdict(True)
    if not result.isSat():
        return Verdict(False)
    declared = {str(t): t for t in symbols.getDeclaredTerms()}
    values = {name: _python_value(solver.getValue(declared[name])) for name, _ in problem.variables}
    return Verdict(False, values)


def _python_value(value) -> object:
    """A cvc5 model value as the examples backend's scalar."""
    if value.isBooleanValue():
        return value.getBooleanValue()
    if value.isIntegerValue():
        return int(value.getIntegerValue())
    if value.isBitVectorValue():
        return int(value.getBitVectorValue(10))
    if value.isStringValue():
        return value.getStringValue()
    if value.isRealValue():
        return Fraction(value.getRealValue())
    raise ValueError(f"cannot read the model value {value}")
