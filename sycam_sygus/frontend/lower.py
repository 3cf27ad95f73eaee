"""Lowering a checked SYCAM script to the typed IR and to the `Problem` the engine consumes.

Macros (`define-fun`) and `let` are expanded; numerals in Real positions become Real constants;
`(- 1)` becomes the constant -1. In grammar rules a macro applied to non-terminals is replaced
by its canonical form, because each non-terminal occurrence expands independently: a macro
that uses a parameter twice cannot be inlined there unless its canonical form (e.g. `relu` for
the `ite` spelling of ReLU) uses it once.
"""
from __future__ import annotations

from fractions import Fraction

from ..core import logic
from ..core.errors import SygusError, did_you_mean
from ..core.settings import Settings
from ..core.text import sort_text
from ..ir import BOOL, INT, REAL, Term, app, const, hole, problem, substitute, var
from ..ir.symbolic import canonical
from . import ast
from .ast import Sort
from .checker import check, option_value

SYCAM_OPERATORS = frozenset(
    [*logic.ELEMENTWISE, *logic.CHANNELWIDE, *logic.WITH_NUMERAL, *logic.COMPARISONS, *logic.CONNECTIVES, "ite"])
ARITHMETIC = frozenset([*logic.ELEMENTWISE, *logic.COMPARISONS, "ite"])
SUPPORTED_GOALS = ("supported: (constraint (>= (M weights) (M baseline))), (constraint (>= (M weights) 0.5)) "
                   "with >=, <=, > or < in either argument order, and (optimize-synth ((! (M weights) :max))) "
                   "or :min, where M is a declare-oracle-fun bound to sycam.<metric>")
COMPARISON_DIRECTION = {">=": (True, False), ">": (True, True), "<=": (False, False), "<": (False, True)}
FLIPPED = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}


def lower_term(term: ast.Term, scope: dict[str, Term], macros: dict[str, ast.DefineFun] | None = None,
               path: str = "<string>") -> Term:
    """The IR of a checked SYCAM term; `scope` maps free names to IR (vars, holes, let values)."""
    return Lowerer(macros or {}, path).term(term, scope)


def _numeric(value: Term) -> bool:
    return value.op == "const" and isinstance(value.param, (int, Fraction)) and not isinstance(value.param, bool)


def _as_real(value: Term) -> Term:
    """Int numerals standing in Real positions become Real constants (the standard's leniency)."""
    if value.sort == INT and _numeric(value):
        return const(Fraction(value.param), REAL)
    return value


class Lowerer:
    """AST -> IR for one script's macros."""

    def __init__(self, macros: dict[str, ast.DefineFun], path: str):
        self.macros = macros
        self.path = path

    def error(self, message: str, pos: ast.Pos, hint: str = "") -> SygusError:
        return SygusError(message, pos, self.path, hint)

    def term(self, term: ast.Term, scope: dict[str, Term]) -> Term:
        if isinstance(term, ast.Literal):
            return self.literal(term)
        if isinstance(term, ast.Identifier):
            return self.identifier(term, scope)
        if isinstance(term, ast.Annotated):
            return self.term(term.term, scope)
        if isinstance(term, ast.Let):
            values = {name: self.term(value, scope) for name, value in term.bindings}  # parallel let
            return self.term(term.body, {**scope, **values})
        if isinstance(term, ast.App):
            return self.application(term, scope)
        raise self.error(f"'{getattr(term, 'quantifier', type(term).__name__)}' has no meaning in a SYCAM term",
                         term.pos)

    def literal(self, literal: ast.Literal) -> Term:
        if literal.kind == "numeral":
            return const(int(literal.text), INT)
        if literal.kind == "decimal":
            return const(Fraction(literal.text), REAL)
        if literal.kind == "bool":
            return const(literal.text == "true", BOOL)
        raise self.error(f"a {literal.kind} literal has no meaning in a SYCAM term", literal.pos)

    def identifier(self, ident: ast.Identifier, scope: dict[str, Term]) -> Term:
        name = ident.symbol
        if name in scope:
            return scope[name]
        if name in self.macros and not self.macros[name].params:
            return self.term(self.macros[name].body, {})
        if name in ("true", "false"):
            return const(name == "true", BOOL)
        raise self.error(f"undeclared symbol '{name}'", ident.pos, did_you_mean(name, [*scope, *self.macros]))

    def application(self, app_term: ast.App, scope: dict[str, Term]) -> Term:
        name = app_term.head.symbol
        pos = app_term.head.pos if app_term.head.pos.line else app_term.pos
        if name in self.macros:
            return self.expand(self.macros[name], [self.term(a, scope) for a in app_term.args], pos)
        if name == "-" and len(app_term.args) == 1 and isinstance(app_term.args[0], ast.Literal) \
                and app_term.args[0].kind in ("numeral", "decimal"):
            value = self.literal(app_term.args[0])
            return const(-value.param, value.sort)  # v1's `(- 1)` is a negative constant
        if name not in SYCAM_OPERATORS:
            raise self.error(f"'{name}' has no meaning in the SYCAM logic", pos,
                             did_you_mean(name, SYCAM_OPERATORS))
        if name in logic.WITH_NUMERAL:
            base = _as_real(self.term(app_term.args[0], scope))
            return app(name, (base,), REAL, int(app_term.args[1].text))
        args = [self.term(a, scope) for a in app_term.args]
        if name in ARITHMETIC and any(a.sort == REAL for a in args):
            args = [_as_real(a) for a in args]
        return app(name, args, self.result_sort(name, args))

    @staticmethod
    def result_sort(name: str, args: list[Term]) -> Sort:
        if name in logic.COMPARISONS or name in logic.CONNECTIVES:
            return BOOL
        if name == "ite":
            return args[1].sort
        if name in ("/", "relu", *logic.CHANNELWIDE):
            return REAL
        return REAL if any(a.sort == REAL for a in args) else args[0].sort

    def expand(self, macro: ast.DefineFun, args: list[Term], pos: ast.Pos) -> Term:
        """Inline a macro; over non-terminal holes only its canonical form, if that is linear."""
        params = {name: var(name, sort_of(sort)) for name, sort in macro.params}
        args = [_as_real(a) if p.sort == REAL else a for p, a in zip(params.values(), args)]
        if not any(node.op in ("hole", "any_constant", "any_variable") for a in args for node in a.walk()):
            return self.term(macro.body, dict(zip(params, args)))
        body = Lowerer(self.macros, self.path).term(macro.body, params)
        try:
            form = canonical(body)
        except ValueError:  # beyond the sympy bridge (a huge power of a constant): the body as written
            form = body
        counts = _occurrences(form)
        repeated = [name for name, v in params.items() if counts.get(v, 0) > 1]
        if repeated:
            raise self.error(
                f"macro '{macro.name}' uses its parameter '{repeated[0]}' more than once, so it cannot take "
                "non-terminals in a grammar rule", pos,
                "each non-terminal occurrence expands independently; use a built-in operator "
                "(relu, abs, pow, ...) or apply the macro to complete terms")
        return substitute(form, dict(zip(params.values(), args)))


def sort_of(sort: Sort) -> Sort:
    """A written sort without its source position (IR sorts compare by value anyway)."""
    return Sort(sort.name, tuple(sort.indices), tuple(sort_of(p) for p in sort.params))


def _occurrences(term: Term) -> dict[Term, int]:
    """How many times each node occurs in the term tree (shared nodes counted per occurrence)."""
    counts: dict[Term, int] = {}
    stack = [term]
    while stack:
        node = stack.pop()
        counts[node] = counts.get(node, 0) + 1
        stack.extend(node.args)
    return counts


# ---------------------------------------------------------------- problems


def load_problem(path: str, overrides: dict | None = None) -> problem.Problem:
    """Parse, check and lower a SYCAM problem file."""
    from .parser import parse_file

    return problem_from_script(parse_file(path), overrides)


def problem_from_script(script: ast.Script, overrides: dict | None = None) -> problem.Problem:
    """Check and lower a parsed SYCAM problem; `overrides` (option names without prefix) win."""
    warnings = list(script.warnings)
    _check_frame(script, warnings)
    check(script, warnings)
    return ProblemBuilder(script, warnings).build(overrides or {})


def _check_frame(script: ast.Script, warnings: list[str]) -> None:
    """A late set-logic is an error, a second check-synth a warning (CAM-THEORY §7; `sycam-solve` also
    refuses a file without check-synth)."""
    commands = script.commands
    logics = [i for i, c in enumerate(commands) if isinstance(c, ast.SetLogic)]
    early = (ast.SetLogic, ast.SetOption, ast.SetFeature, ast.SetInfo)
    if logics and any(not isinstance(c, early) for c in commands[:logics[0]]):
        raise SygusError("(set-logic) comes after commands that need its functions", commands[logics[0]].pos,
                         script.path, "move (set-logic SYCAM) to the top of the file")
    checks = [c for c in commands if isinstance(c, ast.CheckSynth)]
    for extra in checks[1:]:
        warnings.append(f"{script.path}:{extra.pos.line}:{extra.pos.col}: warning: a second (check-synth); "
                        "sycam answers once, for every command in the file")


class ProblemBuilder:
    """Collects one SYCAM problem's pieces from a checked script."""

    def __init__(self, script: ast.Script, warnings: list[str]):
        self.script = script
        self.path = script.path
        self.warnings = warnings
        self.macros: dict[str, ast.DefineFun] = {}
        self.oracles: dict[str, str] = {}  # oracle function name -> metric
        self.synth: ast.SynthFun | None = None
        self.logic = ""
        self.logic_pos = ast.NOWHERE

    def error(self, message: str, pos: ast.Pos, hint: str = "") -> SygusError:
        return SygusError(message, pos, self.path, hint)

    def build(self, overrides: dict) -> problem.Problem:
        values: dict[str, object] = {}
        positions: dict[str, ast.Pos] = {}
        goal_commands: list[ast.Command] = []
        for command in self.script.commands:
            if isinstance(command, ast.SetLogic):
                if not self.logic:
                    self.logic, self.logic_pos = command.logic, command.pos
            elif isinstance(command, ast.SetOption):
                if command.keyword.startswith(logic.METRIC_PREFIX):
                    name = command.keyword[len(logic.METRIC_PREFIX):]
                    values[name] = option_value(command, self.path)
                    positions[name] = command.pos
            elif isinstance(command, ast.DefineFun):
                self.macros[command.name] = command
            elif isinstance(command, ast.DeclareOracleFun):
                self.oracle(command)
            elif isinstance(command, ast.SynthFun):
                if self.synth is not None:
                    raise self.error(f"a SYCAM problem has one synth-fun; '{command.name}' is a second one",
                                     command.pos, f"'{self.synth.name}' is already the function to synthesise")
                self.synth = command
            elif isinstance(command, (ast.Constraint, ast.OptimizeSynth)):
                goal_commands.append(command)
            elif not isinstance(command, (ast.SetFeature, ast.SetInfo, ast.CheckSynth, ast.DefineSort)):
                raise self.error(f"'{_command_name(command)}' is not supported in a SYCAM problem", command.pos,
                                 SUPPORTED_GOALS)
        if self.logic != "SYCAM":
            raise self.error(f"a CAM-synthesis problem needs (set-logic SYCAM), not {self.logic or 'none'}",
                             self.logic_pos, "write (set-logic SYCAM) as the first command")
        if self.synth is None:
            raise self.error("the problem has no synth-fun", ast.NOWHERE,
                             "declare the weights to synthesise, e.g. (synth-fun weights ((grads Real)) Real)")
        synth = self.synth_fun()
        baselines = self.baselines(synth)
        goals = tuple(goal for command in goal_commands for goal in self.goals(command, baselines))
        if not goals:
            raise self.error("the problem has no goal", ast.NOWHERE, SUPPORTED_GOALS)
        settings = Settings.resolve(values, overrides)
        return problem.Problem(self.path, self.logic, settings, synth, goals, baselines, tuple(self.warnings),
                               positions)

    def oracle(self, command: ast.DeclareOracleFun) -> None:
        if not command.binary.startswith(logic.METRIC_PREFIX):
            raise self.error(f"oracle '{command.name}' runs '{command.binary}'; a SYCAM problem only knows "
                             "the sycam.<metric> oracles", command.pos,
                             "known: " + ", ".join(logic.METRIC_PREFIX + m for m in logic.METRICS))
        self.oracles[command.name] = command.binary[len(logic.METRIC_PREFIX):]

    # ------------------------------------------------------------ the synth-fun

    def scope(self) -> dict[str, Term]:
        return {name: var(name, sort_of(sort)) for name, sort in self.synth.params}

    def synth_fun(self) -> problem.SynthFun:
        synth = self.synth
        if sort_of(synth.sort) != REAL:  # the answer is a channel weight: a Real, whatever the oracles say
            raise self.error(f"the synth-fun '{synth.name}' has sort {sort_text(synth.sort)}; CAM weights are Real",
                             synth.sort.pos if synth.sort.pos.line else synth.pos,
                             f"declare it as (synth-fun {synth.name} (...) Real ...)")
        params = tuple((name, sort_of(sort)) for name, sort in synth.params)
        if synth.grammar is None:
            grammar = default_grammar(params)
        else:
            grammar = self.grammar(synth.grammar)
        class_param = next((name for name, sort in params if name in logic.INT_TERMINALS and sort == INT), None)
        return problem.SynthFun(synth.name, params, sort_of(synth.sort), grammar, class_param)

    def grammar(self, grammar: ast.Grammar) -> problem.Grammar:
        nonterminals = tuple((name, sort_of(sort)) for name, sort in grammar.predeclaration)
        scope = {**self.scope(), **{name: hole(name, sort) for name, sort in nonterminals}}
        lowerer = Lowerer(self.macros, self.path)
        productions: dict[str, tuple[Term, ...]] = {}
        for (name, sort), group in zip(nonterminals, grammar.groups):
            rules = []
            for rule in group.rules:
                if isinstance(rule, ast.AnyConstant):
                    rules.append(app("any_constant", (), sort_of(rule.sort)))
                elif isinstance(rule, ast.AnyVariable):
                    rules.append(app("any_variable", (), sort_of(rule.sort)))
                else:
                    lowered = lowerer.term(rule, scope)
                    rules.append(_as_real(lowered) if sort == REAL else lowered)
            productions[name] = tuple(dict.fromkeys(rules))  # a rule written twice is one production
        return problem.Grammar(nonterminals, productions)

    def baselines(self, synth: problem.SynthFun) -> dict[str, Term]:
        """Every define-fun with the synth-fun's exact signature, lowered over its parameters."""
        found = {}
        for name, macro in self.macros.items():
            signature = tuple((p, sort_of(s)) for p, s in macro.params)
            if signature == synth.params and sort_of(macro.sort) == synth.sort:
                body = Lowerer(self.macros, self.path).term(macro.body, self.scope())
                found[name] = _as_real(body) if synth.sort == REAL else body
        return found

    # ------------------------------------------------------------ goals

    def goals(self, command: ast.Constraint | ast.OptimizeSynth, baselines: dict[str, Term]) -> list[problem.Goal]:
        if isinstance(command, ast.OptimizeSynth):
            return [self.objective(term) for term in command.objectives]
        if command.kind != "constraint":
            raise self.error(f"'{command.kind}' is not supported in a SYCAM problem", command.pos, SUPPORTED_GOALS)
        return [self.constraint(command.term, baselines)]

    def metric_of(self, term: ast.Term) -> tuple[str, str] | None:
        """`(M f)` with M a metric oracle: (metric, f); None for other terms."""
        if isinstance(term, ast.App) and term.head.symbol in self.oracles and len(term.args) == 1 \
                and isinstance(term.args[0], ast.Identifier):
            return self.oracles[term.head.symbol], term.args[0].symbol
        return None

    def constraint(self, term: ast.Term, baselines: dict[str, Term]) -> problem.Goal:
        unsupported = self.error("unsupported constraint in a SYCAM problem", term.pos, SUPPORTED_GOALS)
        if not (isinstance(term, ast.App) and term.head.symbol in COMPARISON_DIRECTION and len(term.args) == 2):
            raise unsupported
        op = term.head.symbol
        left, right = term.args
        ours = self.metric_of(left)
        if ours is None or ours[1] != self.synth.name:
            op, left, right = FLIPPED[op], right, left  # `(<= 0.5 (M weights))` reads `(>= (M weights) 0.5)`
            ours = self.metric_of(left)
        if ours is None or ours[1] != self.synth.name:
            raise unsupported
        metric = ours[0]
        maximise, strict = COMPARISON_DIRECTION[op]
        self.direction(metric, maximise, term.pos)
        theirs = self.metric_of(right)
        if theirs is not None:
            other_metric, baseline = theirs
            if baseline not in baselines:
                raise self.error(f"'{baseline}' is not a baseline: a define-fun with the signature of "
                                 f"'{self.synth.name}'", right.pos, did_you_mean(baseline, baselines))
            if other_metric != metric:
                raise self.error(f"both sides must use one metric, not '{metric}' and '{other_metric}'", right.pos)
            return problem.Goal(metric, maximise, "threshold", baseline=baseline, strict=strict)
        constant = self.constant(right)
        if constant is None:
            raise unsupported
        return problem.Goal(metric, maximise, "threshold", constant=constant, strict=strict)

    def constant(self, term: ast.Term) -> float | None:
        try:
            value = Lowerer({}, self.path).term(term, {})
        except SygusError:
            return None
        return float(value.param) if _numeric(value) else None

    def objective(self, term: ast.Term) -> problem.Goal:
        keywords = {a.keyword.lstrip(":") for a in term.attributes} if isinstance(term, ast.Annotated) else set()
        inner = term.term if isinstance(term, ast.Annotated) else term
        ours = self.metric_of(inner)
        if ours is None or ours[1] != self.synth.name or len(keywords & {"max", "min"}) != 1:
            raise self.error("unsupported objective in a SYCAM problem", term.pos, SUPPORTED_GOALS)
        maximise = "max" in keywords
        self.direction(ours[0], maximise, term.pos)
        return problem.Goal(ours[0], maximise, "optimise")

    def direction(self, metric: str, maximise: bool, pos: ast.Pos) -> None:
        if maximise != logic.METRICS[metric].higher_is_better:
            written, own = ("maximises", "lower") if maximise else ("minimises", "higher")
            self.warnings.append(f"{self.path}:{pos.line}:{pos.col}: warning: the goal {written} '{metric}', "
                                 f"but {own} is better for that metric")


def default_grammar(params: tuple[tuple[str, Sort], ...]) -> problem.Grammar:
    """For a synth-fun without a grammar: its Real parameters under + * relu and (pow _ 2)."""
    start = hole("Start", REAL)
    leaves = [var(name, sort) for name, sort in params if sort == REAL]
    rules = (*leaves, app("+", (start, start), REAL), app("*", (start, start), REAL),
             app("relu", (start,), REAL), app("pow", (start,), REAL, 2))
    return problem.Grammar((("Start", REAL),), {"Start": rules})


def _command_name(command: ast.Command) -> str:
    names = {"DeclareVar": "declare-var", "DeclareWeight": "declare-weight", "DeclareSort": "declare-sort",
             "DeclareDatatypes": "declare-datatypes", "ChcConstraint": "chc-constraint",
             "InvConstraint": "inv-constraint", "OracleConstraint": getattr(command, "kind", "oracle-constraint")}
    return names.get(type(command).__name__, type(command).__name__)
