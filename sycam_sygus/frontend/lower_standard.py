"""Lowering a checked standard SyGuS problem (any logic but SYCAM) to what the examples engine needs.

Each `synth-fun` (or `synth-inv`) keeps its grammar, or gets a default one for its sorts;
`(Constant S)` becomes a finite set of constants (0 1 2, the file's own literals of sort S), so
the enumerator can fill it. User `define-fun`s stay named operators in every term (grammar rules,
constraints), evaluated by the examples backend and declared to the SMT verifier; answers may use
them, as the standard allows. `inv-constraint` becomes its three constraints over the invariant's
parameters and their primed copies (`x!`). Theory operators keep their SMT-LIB names; indexed
ones are spelled `(_ extract 7 0)` so the IR printer writes them back verbatim.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

from ..core.errors import SygusError, did_you_mean
from ..ir import BOOL, INT, REAL, Term, app, const, hole, problem, substitute, var
from . import ast
from .ast import Sort
from .checker import check
from .lower import Lowerer, _as_real, sort_of
from .theories import STRING, bitvec, operators
from .theories import constants as theory_constants

SUPPORTED = ("supported: synth-fun / synth-inv, declare-var, declare-primed-var, define-fun, define-sort "
             "without parameters, constraint, assume, inv-constraint")
MAX_FILE_CONSTANTS = 24  # of each sort, taken from the file into `(Constant S)` and default grammars


class Unsupported(SygusError):
    """A well-formed problem that uses something the examples engine does not handle (answered `fail`)."""


@dataclass(frozen=True)
class Function:
    """A user `define-fun` over its parameters (lowered body)."""

    name: str
    params: tuple[tuple[str, Sort], ...]
    sort: Sort
    body: Term


@dataclass(frozen=True)
class StandardProblem:
    """A standard SyGuS problem: functions to synthesise, universal variables and constraints.

    Constraints are IR terms in which a synth-fun applied to arguments is the operator named by
    the synth-fun. `open_constants` names the synth-funs whose grammar had `(Constant S)` (so the
    finite stand-in does not make the grammar finite and cannot prove infeasibility).
    """

    path: str
    logic: str
    synths: tuple[problem.SynthFun, ...]
    variables: tuple[tuple[str, Sort], ...]
    constraints: tuple[Term, ...]
    functions: dict[str, Function] = field(default_factory=dict)
    open_constants: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()


def is_standard(script: ast.Script) -> bool:
    """Whether the script sets a logic other than SYCAM (those go to the examples engine)."""
    logic = next((c.logic for c in script.commands if isinstance(c, ast.SetLogic)), "")
    return logic not in ("", "SYCAM")


def standard_problem(script: ast.Script) -> StandardProblem:
    """Check and lower a parsed standard problem."""
    warnings = list(script.warnings)
    check(script, warnings)
    return StandardBuilder(script, warnings).build()


class StandardLowerer(Lowerer):
    """AST -> IR for every theory operator; macros and synth-funs stay named applications."""

    def __init__(self, builder: "StandardBuilder"):
        super().__init__({}, builder.path)
        self.builder = builder

    def literal(self, literal: ast.Literal) -> Term:
        if literal.kind == "string":
            return const(literal.text, STRING)
        if literal.kind == "hex":
            return const(int(literal.text, 16), bitvec(4 * len(literal.text)))
        if literal.kind == "binary":
            return const(int(literal.text, 2), bitvec(len(literal.text)))
        return super().literal(literal)

    def identifier(self, ident: ast.Identifier, scope: dict[str, Term]) -> Term:
        name = ident.symbol
        if name in scope:
            return scope[name]
        function = self.builder.functions.get(name)
        if function is not None and not function.params:
            return function.body  # a named constant: inlined
        if name in self.builder.declared:  # a define-fun over a universal variable (inlined later)
            return var(name, self.builder.declared[name])
        if name in theory_constants() and name not in ("true", "false"):
            raise Unsupported(f"'{name}' (regular expressions) is not supported by the examples engine", ident.pos,
                              self.path)
        return super().identifier(ident, scope)

    def application(self, app_term: ast.App, scope: dict[str, Term]) -> Term:
        head = app_term.head
        name = head.symbol
        pos = head.pos if head.pos.line else app_term.pos
        if name == "-" and len(app_term.args) == 1 and isinstance(app_term.args[0], ast.Literal) \
                and app_term.args[0].kind in ("numeral", "decimal"):
            value = self.literal(app_term.args[0])
            return const(-value.param, value.sort)
        args = [self.term(a, scope) for a in app_term.args]
        called = self.builder.functions.get(name) or self.builder.synth_signatures.get(name)
        if called is not None:
            return app(name, args, called.sort)
        table = operators(self.builder.logic)
        if name not in table:
            raise self.error(f"unknown function '{name}'", pos, did_you_mean(name, [*table, *self.builder.functions]))
        if any(a.sort == REAL for a in args) and name in ("+", "-", "*", "/", "<=", "<", ">=", ">", "=", "ite"):
            args = [_as_real(a) for a in args]
        indices = tuple(int(i) for i in head.indices)
        sort = sort_of(table[name](tuple(a.sort for a in args), indices))
        op = f"(_ {name} {' '.join(map(str, indices))})" if indices else name
        return app(op, args, sort)


class StandardBuilder:
    """Collects one standard problem's pieces from a checked script."""

    def __init__(self, script: ast.Script, warnings: list[str]):
        self.script = script
        self.path = script.path
        self.warnings = warnings
        self.logic = ""
        self.aliases: dict[str, Sort] = {}
        self.functions: dict[str, Function] = {}
        self.synth_signatures: dict[str, Function] = {}  # name -> signature (body unused)
        self.declared: dict[str, Sort] = {}  # universal variables declared so far
        self.lowerer = StandardLowerer(self)

    def error(self, message: str, pos: ast.Pos, hint: str = "") -> SygusError:
        return SygusError(message, pos, self.path, hint)

    def sort(self, sort: Sort) -> Sort:
        """A written sort without position, `define-sort` aliases expanded."""
        if sort.name in self.aliases and not sort.indices and not sort.params:
            return self.aliases[sort.name]
        return Sort(sort.name, tuple(int(i) for i in sort.indices), tuple(self.sort(p) for p in sort.params))

    def build(self) -> StandardProblem:
        synth_commands: list[ast.SynthFun] = []
        variables: list[tuple[str, Sort]] = []
        constraints: list[tuple[ast.Constraint | ast.InvConstraint, ast.Pos]] = []
        for command in self.script.commands:
            if isinstance(command, ast.SetLogic):
                self.logic = self.logic or command.logic
            elif isinstance(command, ast.DefineSort) and not command.params:
                self.aliases[command.name] = self.sort(command.sort)
            elif isinstance(command, ast.DefineFun):
                self.define_fun(command)
            elif isinstance(command, ast.SynthFun):
                synth_commands.append(command)
                params = tuple((n, self.sort(s)) for n, s in command.params)
                self.synth_signatures[command.name] = Function(command.name, params, self.sort(command.sort),
                                                               const(0))
            elif isinstance(command, ast.DeclareVar):
                variables.append((command.name, self.sort(command.sort)))
                self.declared[command.name] = self.sort(command.sort)
                if command.primed:
                    variables.append((command.name + "!", self.sort(command.sort)))
            elif isinstance(command, (ast.Constraint, ast.InvConstraint)):
                if isinstance(command, ast.Constraint) and command.kind not in ("constraint", "assume"):
                    raise Unsupported(f"'{command.kind}' is not supported by the examples engine", command.pos,
                                      self.path, SUPPORTED)
                constraints.append((command, command.pos))
            elif not isinstance(command, (ast.SetFeature, ast.SetInfo, ast.SetOption, ast.CheckSynth)):
                raise Unsupported(f"'{type(command).__name__}' is not supported by the examples engine",
                                  command.pos, self.path, SUPPORTED)
        if not synth_commands:
            raise self.error("the problem has no synth-fun", ast.NOWHERE)
        literals = self.literals()
        synths, open_constants = [], set()
        for command in synth_commands:
            synth, has_constant = self.synth_fun(command, literals)
            synths.append(synth)
            if has_constant:
                open_constants.add(synth.name)
        declared = dict(variables)
        lowered, assumptions = [], []
        for command, pos in constraints:
            if isinstance(command, ast.InvConstraint):
                lowered.extend(self.inv_constraints(command, declared, variables))
                continue
            term = self.lowerer.term(command.term, {n: var(n, s) for n, s in declared.items()})
            (assumptions if command.kind == "assume" else lowered).append(term)
        if assumptions:  # `assume` guards every constraint
            premise = assumptions[0] if len(assumptions) == 1 else app("and", assumptions, BOOL)
            lowered = [app("=>", (premise, c), BOOL) for c in lowered]
        lowered = self.inline_synth_callers(lowered)
        return StandardProblem(self.path, self.logic, tuple(synths), tuple(variables), tuple(lowered),
                               dict(self.functions), frozenset(open_constants), tuple(self.warnings))

    def inline_synth_callers(self, constraints: list[Term]) -> list[Term]:
        """Expand, in the constraints, every define-fun that calls a synth-fun or mentions a universal
        variable (and drop it), so the engine and the verifier see those as in any constraint."""
        callers: dict[str, Function] = {}
        for name, function in self.functions.items():
            params = {n for n, _ in function.params}
            if any(n.op in self.synth_signatures or n.op in callers or (n.op == "var" and n.param not in params)
                   for n in function.body.walk()):
                callers[name] = replace(function, body=_inline(function.body, callers))
        for name in callers:
            del self.functions[name]
        return [_inline(c, callers) for c in constraints]

    def define_fun(self, command: ast.DefineFun) -> None:
        params = tuple((n, self.sort(s)) for n, s in command.params)
        body = self.lowerer.term(command.body, {n: var(n, s) for n, s in params})
        sort = self.sort(command.sort)
        self.functions[command.name] = Function(command.name, params, sort, _as_real(body) if sort == REAL else body)

    def inv_constraints(self, command: ast.InvConstraint, declared: dict[str, Sort],
                        variables: list[tuple[str, Sort]]) -> list[Term]:
        """pre => inv, inv and trans => inv', inv => post over the invariant's parameters."""
        inv = self.synth_signatures.get(command.inv)
        if inv is None:
            raise self.error(f"'{command.inv}' is not a synth-inv", command.pos)
        for name in (command.pre, command.trans, command.post):
            if name not in self.functions:
                raise self.error(f"'{name}' is not a define-fun", command.pos)
        now = [var(n, s) for n, s in inv.params]
        primed = [var(n + "!", s) for n, s in inv.params]
        for v in (*now, *primed):
            if str(v.param) not in declared:
                declared[str(v.param)] = v.sort
                variables.append((str(v.param), v.sort))
        pre = app(command.pre, now, BOOL)
        trans = app(command.trans, now + primed, BOOL)
        post = app(command.post, now, BOOL)
        inv_now, inv_next = app(inv.name, now, BOOL), app(inv.name, primed, BOOL)
        return [app("=>", (pre, inv_now), BOOL), app("=>", (app("and", (inv_now, trans), BOOL), inv_next), BOOL),
                app("=>", (inv_now, post), BOOL)]

    # ------------------------------------------------------------ grammars

    def literals(self) -> dict[Sort, list[Term]]:
        """Constants written in the file's constraints and define-funs, by sort, smallest first."""
        found: dict[Sort, dict[Term, None]] = {}

        def collect(term: ast.Term) -> None:
            if isinstance(term, ast.Literal) and term.kind != "decimal":
                value = self.lowerer.literal(term)
                found.setdefault(value.sort, {})[value] = None
            elif isinstance(term, ast.App):
                for a in term.args:
                    collect(a)
            elif isinstance(term, (ast.Let, ast.Annotated)):
                for a in ([v for _, v in term.bindings] + [term.body] if isinstance(term, ast.Let) else [term.term]):
                    collect(a)

        for command in self.script.commands:
            if isinstance(command, ast.Constraint):
                collect(command.term)
            elif isinstance(command, ast.DefineFun):
                collect(command.body)
        return {s: sorted(ts, key=lambda t: (abs(t.param) if isinstance(t.param, int) else len(str(t.param))))
                [:MAX_FILE_CONSTANTS] for s, ts in found.items()}

    def synth_fun(self, command: ast.SynthFun, literals: dict[Sort, list[Term]]) -> tuple[problem.SynthFun, bool]:
        params = tuple((n, self.sort(s)) for n, s in command.params)
        sort = self.sort(command.sort)
        if command.grammar is None:
            try:
                grammar = default_grammar(params, sort, literals)
            except Unsupported as err:  # located at the synth-fun
                raise Unsupported(err.message, command.pos, self.path, err.hint) from None
            return problem.SynthFun(command.name, params, sort, grammar), False
        nonterminals = tuple((name, self.sort(s)) for name, s in command.grammar.predeclaration)
        scope = {**{n: var(n, s) for n, s in params}, **{n: hole(n, s) for n, s in nonterminals}}
        productions: dict[str, tuple[Term, ...]] = {}
        has_constant = False
        for (name, nt_sort), group in zip(nonterminals, command.grammar.groups):
            rules: list[Term] = []
            for rule in group.rules:
                if isinstance(rule, ast.AnyConstant):
                    has_constant = True
                    rules.extend(constant_pool(self.sort(rule.sort), literals))
                elif isinstance(rule, ast.AnyVariable):
                    rules.append(app("any_variable", (), self.sort(rule.sort)))
                else:
                    lowered = self.lowerer.term(rule, scope)
                    rules.append(_as_real(lowered) if nt_sort == REAL else lowered)
            productions[name] = tuple(dict.fromkeys(rules))
        return problem.SynthFun(command.name, params, sort, problem.Grammar(nonterminals, productions)), has_constant


def constant_pool(sort: Sort, literals: dict[Sort, list[Term]]) -> list[Term]:
    """The finite stand-in for `(Constant S)`: a few small constants and the file's literals of S."""
    if sort == BOOL:
        base = [const(False), const(True)]
    elif sort == INT:
        base = [const(0, INT), const(1, INT), const(2, INT)]
    elif sort == REAL:
        base = [const(Fraction(0), REAL), const(Fraction(1), REAL)]
    elif sort.name == "BitVec":
        base = [const(0, sort), const(1, sort)]
    elif sort == STRING:
        base = [const("", STRING)]
    else:
        base = []
    return list(dict.fromkeys([*base, *literals.get(sort, [])]))


def _bitvector_rules(start: Term, params: tuple[tuple[str, Sort], ...], literals: dict[Sort, list[Term]]) -> list[Term]:
    """Parameters and constants of `start`'s bit-vector sort, and the usual operators over `start`."""
    sort = start.sort
    leaves = [var(n, s) for n, s in params if s == sort] + constant_pool(sort, literals)
    unary = [app(op, (start,), sort) for op in ("bvnot", "bvneg")]
    binary = [app(op, (start, start), sort) for op in
              ("bvand", "bvor", "bvxor", "bvadd", "bvsub", "bvmul", "bvshl", "bvlshr", "bvudiv", "bvurem")]
    return list(dict.fromkeys(leaves + unary + binary))


def _bool_rules(condition: Term, comparisons: list[Term], params: tuple[tuple[str, Sort], ...]) -> list[Term]:
    """Bool parameters, the comparisons, and not / and / or over `condition`."""
    return [var(n, s) for n, s in params if s == BOOL] + comparisons + [
        app("not", (condition,), BOOL), app("and", (condition, condition), BOOL), app("or", (condition, condition), BOOL)]


def default_grammar(params: tuple[tuple[str, Sort], ...], sort: Sort,
                    literals: dict[Sort, list[Term]]) -> problem.Grammar:
    """The grammar of a synth-fun written without one: linear integer arithmetic with `ite` and
    comparisons (Int and Bool results over Int and Bool parameters), or the usual bit-vector
    operators (a bit-vector result, or Bool over bit-vectors of one width and Bools)."""
    if sort.name == "BitVec":
        return problem.Grammar((("Start", sort),), {"Start": tuple(_bitvector_rules(hole("Start", sort), params,
                                                                                     literals))})
    widths = {s for _, s in params if s.name == "BitVec"}
    if sort == BOOL and len(widths) == 1 and all(s == BOOL or s in widths for _, s in params):
        (vector,) = widths
        term, condition = hole("BV", vector), hole("Start", BOOL)
        comparisons = [app(op, (term, term), BOOL) for op in ("=", "bvule", "bvult", "bvsle", "bvslt")]
        productions = {"Start": tuple(_bool_rules(condition, comparisons, params)),
                       "BV": tuple(_bitvector_rules(term, params, literals))}
        return problem.Grammar((("Start", BOOL), ("BV", vector)), productions)
    if sort not in (INT, BOOL) or any(s not in (INT, BOOL) for _, s in params):
        raise Unsupported(f"no default grammar for a synth-fun of sort {sort.name} over these parameters",
                          hint="default grammars cover Int and Bool functions over Int and Bool, bit-vector "
                               "functions, and Bool functions over bit-vectors of one width")
    integer, condition = hole("Int", INT), hole("Bool", BOOL)
    int_rules = [var(n, s) for n, s in params if s == INT] + constant_pool(INT, literals)[:MAX_FILE_CONSTANTS]
    int_rules += [app("+", (integer, integer), INT), app("-", (integer, integer), INT),
                  app("ite", (condition, integer, integer), INT)]
    bool_rules = _bool_rules(condition, [app(op, (integer, integer), BOOL) for op in ("<=", "=", "<")], params)
    productions = {"Int": tuple(dict.fromkeys(int_rules)), "Bool": tuple(dict.fromkeys(bool_rules))}
    order = (("Int", INT), ("Bool", BOOL)) if sort == INT else (("Bool", BOOL), ("Int", INT))
    return problem.Grammar(order, productions)


def _inline(term: Term, functions: dict[str, Function]) -> Term:
    """The term with applications of `functions` replaced by their (already inlined) bodies."""
    done: dict[Term, Term] = {}
    for node in term.walk():
        args = tuple(done[a] for a in node.args)
        if node.op in functions:
            function = functions[node.op]
            done[node] = substitute(function.body, {var(n, s): a for (n, s), a in zip(function.params, args)})
        else:
            done[node] = Term(node.op, args, node.sort, node.param) if args else node
    return done[term]
