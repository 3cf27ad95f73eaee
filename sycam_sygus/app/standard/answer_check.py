"""An answer checked against its problem file by an SMT solver, independently of the engine.

The query is built from the parsed file alone (its define-funs, variables, constraints and
`inv-constraint`s, printed back as written) and the answer's text: the engine's lowering and
evaluation take no part, so the check can catch their mistakes. Unsat of the negated
constraints means every constraint holds for every value of the variables.
"""
from __future__ import annotations

from ...core.text import sort_text as print_sort
from ...frontend import ast
from ...frontend.parser import parse_file
from ...frontend.printer import print_command, print_term


def check_query(problem_path: str, answer: str) -> str:
    """SMT-LIB text: the problem's definitions, the answer, its variables, the negated constraints."""
    script = parse_file(problem_path)
    body = answer.strip()
    if body[1:].lstrip().startswith("(define-fun"):  # the answer block: ( (define-fun ...) ... )
        body = body[1:-1]
    lines = ["(set-logic ALL)"]
    constraints, assumptions = [], []
    synth_params = {}
    answered = False
    declared: set[str] = set()

    def declare(name: str, sort: ast.Sort) -> None:
        if name not in declared:
            declared.add(name)
            lines.append(f"(declare-fun {name} () {print_sort(sort)})")

    for command in script.commands:
        if isinstance(command, ast.DefineFun):
            lines.append(print_command(command))
        elif isinstance(command, ast.DeclareVar):
            declare(command.name, command.sort)
            if command.primed:
                declare(command.name + "!", command.sort)
        elif isinstance(command, ast.SynthFun):
            synth_params[command.name] = command.params
            if not answered:  # the answer goes where the synth-funs are declared (later define-funs may call it)
                lines.append(body)
                answered = True
        elif isinstance(command, ast.Constraint):
            (assumptions if command.kind == "assume" else constraints).append(print_term(command.term))
        elif isinstance(command, ast.InvConstraint):
            names = [n for n, _ in synth_params[command.inv]]
            now, primed = " ".join(names), " ".join(n + "!" for n in names)
            for n, s in synth_params[command.inv]:
                declare(n, s)
                declare(n + "!", s)
            constraints += [f"(=> ({command.pre} {now}) ({command.inv} {now}))",
                            f"(=> (and ({command.inv} {now}) ({command.trans} {now} {primed})) ({command.inv} {primed}))",
                            f"(=> ({command.inv} {now}) ({command.post} {now}))"]
    goal = f"(and true {' '.join(constraints)})"
    if assumptions:
        goal = f"(=> (and true {' '.join(assumptions)}) {goal})"
    lines.append(f"(assert (not {goal}))")
    return "\n".join(lines)


def answer_holds(problem_path: str, answer: str, milliseconds: int = 30000) -> bool:
    """Whether cvc5 proves the answer meets every constraint of the problem (False if unknown)."""
    import cvc5

    manager = cvc5.TermManager()
    solver = cvc5.Solver(manager)
    solver.setOption("tlimit-per", str(milliseconds))
    symbols = cvc5.SymbolManager(manager)
    parser = cvc5.InputParser(solver, symbols)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, check_query(problem_path, answer), problem_path)
    while True:
        command = parser.nextCommand()
        if command.isNull():
            break
        command.invoke(solver, symbols)
    return solver.checkSat().isUnsat()
