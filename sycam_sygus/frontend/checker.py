"""The sort checker: declaration before use, arities and sorts, grammar well-formedness, SYCAM rules.

`check(script)` walks the commands in order with one environment (sorts, variables, functions)
and raises a located `SygusError` at the first problem. Theory signatures live in theories.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core import logic, options
from ..core.errors import SygusError, did_you_mean
from . import ast, theories
from .ast import NOWHERE, Pos, Sort
from .theories import BOOL, INT, REAL, SignatureError, accepts, sort_text

ARROW = "->"
BINDERS = (ast.Let, ast.Quantified)
MAX_OPERATOR_NUMERAL = 2**31 - 1  # pow exponent, topk count


@dataclass(frozen=True)
class FunctionSignature:
    """A user-declared function; `type_params` are free sort names of a parametric datatype's
    constructors and selectors, instantiated per use."""

    params: tuple[Sort, ...]
    result: Sort
    kind: str  # define-fun | synth-fun | oracle | constructor | selector
    type_params: tuple[str, ...] = ()


@dataclass
class Environment:
    """Everything declared so far in a script."""

    logic: str = ""
    aliases: dict[str, tuple[tuple[str, ...], Sort]] = field(default_factory=dict)
    user_sorts: dict[str, int] = field(default_factory=dict)  # declared sorts and datatypes: arity
    constructors: dict[str, str] = field(default_factory=dict)  # constructor -> datatype name
    variables: dict[str, Sort] = field(default_factory=dict)
    functions: dict[str, FunctionSignature] = field(default_factory=dict)
    synth_funs: dict[str, ast.SynthFun] = field(default_factory=dict)
    weights: set[str] = field(default_factory=set)


def check(script: ast.Script, warnings: list[str] | None = None) -> None:
    """Raise SygusError at the first ill-sorted or undeclared thing; append warnings if given."""
    Checker(script, warnings).run()


def arrow(params: tuple[Sort, ...], result: Sort) -> Sort:
    """The sort `(-> p1 ... pn r)` of a function used as a value (an oracle's argument)."""
    return Sort(ARROW, (), (*params, result))


def option_value(option: ast.SetOption, path: str = "<string>") -> object:
    """The Python value of a `:sycam.*` option, validated against options.OPTIONS."""
    name = option.keyword[len(logic.METRIC_PREFIX):]
    spec = options.OPTIONS.get(name)
    if spec is None:
        raise SygusError(f"unknown option ':{option.keyword}'", option.pos, path,
                         did_you_mean(option.keyword, (logic.METRIC_PREFIX + n for n in options.OPTIONS)))
    value = option.value
    pos = _at(getattr(value, "pos", NOWHERE), option.pos)
    kind = value.kind if isinstance(value, ast.Literal) else None
    hint = f":{option.keyword} is {spec.help}"
    converted = _converted(spec, value, kind)
    if converted is None:
        expected = {int: "a numeral", float: "a number", str: "a string", bool: "true or false",
                    list: 'a string of positive integers like "30 100 300"'}[spec.kind]
        raise SygusError(f"option ':{option.keyword}' expects {expected}", pos, path, hint)
    try:
        return options.checked_value(spec, converted)
    except ValueError as problem:  # the same checks as the option's command-line flag
        raise SygusError(f"option ':{option.keyword}': {problem}", pos, path, hint) from None


def _converted(spec: options.Option, value: object, kind: str | None) -> object:
    """The option's written value in its Python type, or None when it is written as the wrong kind."""
    if spec.kind is int and kind == "numeral":
        return int(value.text)
    if spec.kind is float and kind in ("numeral", "decimal"):
        return float(value.text)
    if spec.kind is str and kind == "string":
        return value.text
    if spec.kind is str and isinstance(value, ast.Identifier) and not value.indices:
        return value.symbol
    if spec.kind is list and kind in ("numeral", "string"):
        return value.text
    if spec.kind is bool and kind == "bool":
        return value.text == "true"
    return None


def _at(pos: Pos, fallback: Pos) -> Pos:
    return pos if pos != NOWHERE and pos.line else fallback


def _is_numeral(term: ast.Term) -> bool:
    """A numeral literal or its negation `(- 3)`: the terms a Real rule may write as Int."""
    if isinstance(term, ast.App) and term.head.symbol == "-" and len(term.args) == 1:
        term = term.args[0]
    return isinstance(term, ast.Literal) and term.kind == "numeral"


def _name_pos(name: str, sort: Sort, fallback: Pos) -> Pos:
    """Where a parameter's name starts, for ASTs built without the parser's name positions:
    estimated from its sort's position, assuming the usual `(name Sort)` with one space."""
    if sort.pos.line and sort.pos.col > len(name) + 1:
        return Pos(sort.pos.line, sort.pos.col - len(name) - 1)
    return fallback


def _numeral_index(index: int | str) -> int | None:
    if isinstance(index, int):
        return index
    return int(index) if index.isdigit() else None


class Checker:
    """One pass over a script's commands, keeping the environment they build."""

    def __init__(self, script: ast.Script, warnings: list[str] | None = None):
        self.script = script
        self.path = script.path
        self.env = Environment()
        self.warnings = warnings if warnings is not None else []
        self.operators = theories.operators("")

    # ------------------------------------------------------------ helpers

    def error(self, message: str, pos: Pos, hint: str = "") -> SygusError:
        return SygusError(message, pos, self.path, hint)

    @property
    def sycam(self) -> bool:
        return self.env.logic == "SYCAM"

    def run(self) -> None:
        for command in self.script.commands:
            handler = getattr(self, "_" + type(command).__name__)
            handler(command)

    # ------------------------------------------------------------ sorts

    def sort(self, sort: Sort, type_params: tuple[str, ...] = ()) -> Sort:
        """Resolve a written sort: aliases expanded, arities checked, indices made numerals."""
        pos = sort.pos
        if sort.name in type_params and not sort.indices and not sort.params:
            return Sort(sort.name)
        params = tuple(self.sort(p, type_params) for p in sort.params)
        if sort.name in self.env.aliases:
            names, body = self.env.aliases[sort.name]
            if sort.indices or len(params) != len(names):
                raise self.error(f"sort '{sort.name}' takes {len(names)} parameters, got {len(params)}", pos)
            return _substitute_sort(body, dict(zip(names, params)))
        if sort.name == ARROW:
            if len(params) < 2:
                raise self.error("a function sort (-> ...) needs argument sorts and a result sort", pos)
            return Sort(ARROW, (), params)
        if sort.name in self.env.user_sorts:
            arity = self.env.user_sorts[sort.name]
            if sort.indices or len(params) != arity:
                raise self.error(f"sort '{sort.name}' takes {arity} parameters, got {len(params)}", pos)
            return Sort(sort.name, (), params)
        if sort.name in theories.BUILTIN_SORTS:
            want_indices, want_params = theories.BUILTIN_SORTS[sort.name]
            indices = tuple(_numeral_index(i) for i in sort.indices)
            if len(indices) != want_indices or len(params) != want_params or None in indices:
                shape = f"(_ {sort.name} n)" if want_indices else (
                    f"({sort.name} " + " ".join(["S"] * want_params) + ")" if want_params else sort.name)
                raise self.error(f"sort '{sort.name}' is written {shape}", pos)
            if sort.name == "BitVec" and indices[0] < 1:
                raise self.error("a bit-vector sort needs a width >= 1", pos)
            return Sort(sort.name, indices, params)
        known = [*theories.BUILTIN_SORTS, *self.env.user_sorts, *self.env.aliases, *type_params]
        raise self.error(f"unknown sort '{sort.name}'", pos, did_you_mean(sort.name, known))

    def sorted_vars(self, variables: tuple[tuple[str, Sort], ...]) -> dict[str, Sort]:
        return {name: self.sort(s) for name, s in variables}

    # ------------------------------------------------------------ terms

    def term(self, term: ast.Term, scope: dict[str, Sort], grammar: bool = False) -> Sort:
        """The sort of a term whose free symbols are in `scope` (then functions and theories)."""
        if isinstance(term, ast.Literal):
            return theories.literal_sort(term.kind, term.text)
        if isinstance(term, ast.Identifier):
            return self.identifier(term, scope)
        if isinstance(term, ast.App):
            return self.application(term, scope, grammar)
        if isinstance(term, ast.Annotated):
            return self.term(term.term, scope, grammar)
        if grammar and isinstance(term, BINDERS):
            binder = "let" if isinstance(term, ast.Let) else term.quantifier
            raise self.error(f"'{binder}' is not allowed in a grammar rule", term.pos,
                             "grammar rules may not bind variables; define a macro with define-fun instead")
        if isinstance(term, ast.Let):
            inner = dict(scope)
            for name, value in term.bindings:
                inner[name] = self.term(value, scope)
            return self.term(term.body, inner)
        if isinstance(term, ast.Quantified):
            inner = {**scope, **self.sorted_vars(term.variables)}
            self.expect(term.body, inner, BOOL, f"the body of '{term.quantifier}'")
            return BOOL
        raise self.error(f"not a term: {type(term).__name__}", getattr(term, "pos", NOWHERE))

    def expect(self, term: ast.Term, scope: dict[str, Sort], want: Sort, what: str) -> None:
        got = self.term(term, scope)
        if not accepts(want, got):
            raise self.error(f"{what} has sort {sort_text(got)}, expected {sort_text(want)}", term.pos)

    def identifier(self, ident: ast.Identifier, scope: dict[str, Sort]) -> Sort:
        name = ident.symbol
        if ident.indices:
            width = _numeral_index(ident.indices[0])
            if name.startswith("bv") and name[2:].isdigit() and len(ident.indices) == 1 and width:
                return theories.bitvec(width)  # (_ bv5 32)
            raise self.error(f"unknown indexed constant '(_ {name} ...)'", ident.pos)
        if name in scope:
            return scope[name]
        function = self.env.functions.get(name)
        if function is not None:
            if not function.params:
                if function.type_params and function.result.params:
                    raise self.error(f"cannot infer the sort of '{name}'", ident.pos,
                                     f"qualify it: (as {name} {sort_text(function.result)})")
                return function.result
            return arrow(function.params, function.result)
        constants = theories.constants()
        if name in constants:
            return constants[name]
        raise self.error(f"undeclared symbol '{name}'", ident.pos,
                         did_you_mean(name, [*scope, *self.env.functions, *constants]))

    def application(self, app: ast.App, scope: dict[str, Sort], grammar: bool) -> Sort:
        head = app.head
        pos = _at(head.pos, app.pos)
        name = head.symbol
        if self.sycam and name in logic.WITH_NUMERAL and name not in self.env.functions:
            self.numeral_operand(app)
        args = tuple(self.term(a, scope, grammar) for a in app.args)
        held = None if head.indices else scope.get(name)
        if held is not None and held.name == ARROW:  # a function-sorted parameter, applied
            result = self.user_call(name, FunctionSignature(held.params[:-1], held.params[-1], "value"), app, args)
        elif name in self.env.functions and not head.indices:
            result = self.user_call(name, self.env.functions[name], app, args)
        elif name == "is" or (name.startswith("is-") and name[3:] in self.env.constructors):
            result = self.tester(app, args)
        elif name in self.operators:
            indices = tuple(_numeral_index(i) for i in head.indices)
            if None in indices:
                raise self.error(f"the indices of '{name}' must be numerals", pos)
            try:
                result = self.operators[name](args, indices)
            except SignatureError as problem:
                culprit = app.args[problem.argument].pos if problem.argument is not None else pos
                raise self.error(problem.message, _at(culprit, pos)) from None
        else:
            known = [*self.env.functions, *self.operators, *(n for n, s in scope.items() if s.name == ARROW)]
            raise self.error(f"unknown function '{name}'", pos, did_you_mean(name, known))
        if app.qualifier is not None:
            qualified = self.sort(app.qualifier)
            if not accepts(qualified, result) and not self.instance(result, qualified):
                raise self.error(f"'{name}' has sort {sort_text(result)}, not {sort_text(qualified)}", pos)
            return qualified
        return result

    def instance(self, result: Sort, qualified: Sort) -> bool:
        """`(as nil (List Int))`: a parametric result with free sort variables fits its instance."""
        free = tuple(_sort_names(result) - set(self.env.user_sorts) - set(theories.BUILTIN_SORTS))
        return _unify(result, qualified, free, {})

    def numeral_operand(self, app: ast.App) -> None:
        """SYCAM's `(pow x n)` / `(topk x n)`: n is a numeral literal >= 1, not a term."""
        name = app.head.symbol
        what = "pow exponent" if name == "pow" else "topk count"
        if len(app.args) != 2:
            raise self.error(f"'{name}' expects 2 arguments, got {len(app.args)}", _at(app.head.pos, app.pos))
        operand = app.args[1]
        if not (isinstance(operand, ast.Literal) and operand.kind == "numeral" and int(operand.text) >= 1):
            raise self.error(f"{what} must be a numeral literal >= 1", _at(operand.pos, app.pos),
                             f"write e.g. ({name} x 2); the {what} is part of the operator, not a term")
        if int(operand.text) > MAX_OPERATOR_NUMERAL:  # torch takes it as a 64-bit integer, then computes
            raise self.error(f"{what} {operand.text[:20]}{'...' if len(operand.text) > 20 else ''} is out of range",
                             _at(operand.pos, app.pos), f"the {what} is at most {MAX_OPERATOR_NUMERAL}")

    def user_call(self, name: str, function: FunctionSignature, app: ast.App, args: tuple[Sort, ...]) -> Sort:
        pos = _at(app.head.pos, app.pos)
        if len(args) != len(function.params):
            raise self.error(f"'{name}' expects {len(function.params)} argument"
                             f"{'' if len(function.params) == 1 else 's'}, got {len(args)}", pos)
        bindings: dict[str, Sort] = {}
        for i, (want, got) in enumerate(zip(function.params, args)):
            if function.type_params:
                ok = _unify(want, got, function.type_params, bindings)
            else:
                ok = accepts(want, got)
            if not ok:
                raise self.error(f"argument {i + 1} of '{name}' has sort {sort_text(got)}, "
                                 f"expected {sort_text(want)}", _at(app.args[i].pos, pos))
        return _substitute_sort(function.result, bindings) if bindings else function.result

    def tester(self, app: ast.App, args: tuple[Sort, ...]) -> Sort:
        """`((_ is C) t)` and the older `(is-C t)`."""
        head = app.head
        constructor = str(head.indices[0]) if head.symbol == "is" and len(head.indices) == 1 else head.symbol[3:]
        pos = _at(head.pos, app.pos)
        if constructor not in self.env.constructors:
            raise self.error(f"'{constructor}' is not a datatype constructor", pos,
                             did_you_mean(constructor, self.env.constructors))
        if len(args) != 1:
            raise self.error(f"a tester expects 1 argument, got {len(args)}", pos)
        datatype = self.env.constructors[constructor]
        if args[0].name != datatype:
            raise self.error(f"the argument of the tester has sort {sort_text(args[0])}, expected {datatype}",
                             _at(app.args[0].pos, pos))
        return BOOL

    # ------------------------------------------------------------ commands

    def declare_function(self, name: str, signature: FunctionSignature, pos: Pos) -> None:
        self.ensure_new(name, pos)
        self.env.functions[name] = signature

    def ensure_new(self, name: str, pos: Pos) -> None:
        if name in self.env.functions:
            previous = self.env.functions[name].kind
            raise self.error(f"'{name}' is already defined (as a {previous})", pos,
                             "every synth-fun, define-fun and oracle needs its own name")

    def _SetLogic(self, command: ast.SetLogic) -> None:
        if not self.env.logic:
            self.env.logic = command.logic
            self.operators = theories.operators(command.logic)

    def _SetOption(self, command: ast.SetOption) -> None:
        if command.keyword.startswith(logic.METRIC_PREFIX):
            option_value(command, self.path)
        else:
            self.warnings.append(f"{self.path}:{command.pos.line}:{command.pos.col}: warning: "
                                 f"option ':{command.keyword}' is not a sycam option; ignored")

    def _SetFeature(self, command: ast.SetFeature) -> None:
        pass  # every feature is accepted; grammars and oracles are always on here

    def _SetInfo(self, command: ast.SetInfo) -> None:
        pass

    def _CheckSynth(self, command: ast.CheckSynth) -> None:
        pass

    def _DeclareVar(self, command: ast.DeclareVar) -> None:
        sort = self.sort(command.sort)
        names = (command.name, command.name + "!") if command.primed else (command.name,)
        for name in names:
            if name in self.env.variables:
                raise self.error(f"variable '{name}' is already declared", command.pos)
            self.env.variables[name] = sort

    def _DeclareWeight(self, command: ast.DeclareWeight) -> None:
        if command.name in self.env.weights:
            raise self.error(f"weight '{command.name}' is already declared", command.pos)
        self.env.weights.add(command.name)

    def _DefineSort(self, command: ast.DefineSort) -> None:
        if command.name in self.env.aliases or command.name in self.env.user_sorts:
            raise self.error(f"sort '{command.name}' is already defined", command.pos)
        body = self.sort(command.sort, command.params)
        self.env.aliases[command.name] = (command.params, body)

    def _DeclareSort(self, command: ast.DeclareSort) -> None:
        if command.name in self.env.aliases or command.name in self.env.user_sorts:
            raise self.error(f"sort '{command.name}' is already defined", command.pos)
        self.env.user_sorts[command.name] = command.arity

    def _DeclareDatatypes(self, command: ast.DeclareDatatypes) -> None:
        for name, arity, _params, _constructors in command.datatypes:
            if name in self.env.aliases or name in self.env.user_sorts:
                raise self.error(f"sort '{name}' is already defined", command.pos)
            self.env.user_sorts[name] = arity  # declared first: datatypes may refer to each other
        for name, _arity, params, constructors in command.datatypes:
            own = Sort(name, (), tuple(Sort(p) for p in params))
            for constructor in constructors:
                fields = tuple((sel, self.sort(s, params)) for sel, s in constructor.selectors)
                self.declare_function(constructor.name, FunctionSignature(
                    tuple(s for _, s in fields), own, "constructor", params), constructor.pos)
                self.env.constructors[constructor.name] = name
                for selector, field_sort in fields:
                    self.declare_function(selector, FunctionSignature((own,), field_sort, "selector", params),
                                          constructor.pos)

    def _DefineFun(self, command: ast.DefineFun) -> None:
        params = self.sorted_vars(command.params)
        result = self.sort(command.sort)
        self.ensure_new(command.name, command.pos)
        # Inv-track files (andrew_lustre) let define-fun bodies read declared variables.
        got = self.term(command.body, {**self.env.variables, **params})
        if not accepts(result, got):
            raise self.error(f"the body of '{command.name}' has sort {sort_text(got)}, "
                             f"expected {sort_text(result)}", _at(command.body.pos, command.pos))
        self.declare_function(command.name, FunctionSignature(tuple(params.values()), result, "define-fun"),
                              command.pos)

    def _SynthFun(self, command: ast.SynthFun) -> None:
        self.ensure_new(command.name, command.pos)
        params = self.sorted_vars(command.params)
        result = self.sort(command.sort)
        if command.invariant and result != BOOL:
            raise self.error("an invariant must have sort Bool", command.pos)
        if self.sycam:
            self.terminals(command)
        if command.grammar is not None:
            self.grammar(command, params, result)
        self.declare_function(command.name, FunctionSignature(tuple(params.values()), result, "synth-fun"),
                              command.pos)
        self.env.synth_funs[command.name] = command

    def terminals(self, command: ast.SynthFun) -> None:
        """SYCAM synth-fun parameters name terminals (CAM-THEORY §3)."""
        written = command.param_positions or [_name_pos(name, sort, command.pos) for name, sort in command.params]
        for (name, sort), pos in zip(command.params, written):
            if name not in logic.TERMINALS:
                raise self.error(f"unknown terminal '{name}'", pos, did_you_mean(name, logic.TERMINALS))
            want = INT if name in logic.INT_TERMINALS else REAL
            if self.sort(sort) != want:
                raise self.error(f"terminal '{name}' has sort {sort_text(want)}, not {sort_text(self.sort(sort))}",
                                 pos)

    def grammar(self, command: ast.SynthFun, params: dict[str, Sort], result: Sort) -> None:
        grammar = command.grammar
        declared = [(name, self.sort(s)) for name, s in grammar.predeclaration]
        seen: set[str] = set()
        for name, _ in declared:
            if name in seen:
                raise self.error(f"non-terminal '{name}' is declared twice", grammar.pos)
            seen.add(name)
        if len(declared) != len(grammar.groups):
            raise self.error(f"the grammar declares {len(declared)} non-terminals but gives rules for "
                             f"{len(grammar.groups)}", grammar.pos,
                             "the predeclaration and the rule lists name the same non-terminals in the same order")
        for (name, sort), group in zip(declared, grammar.groups):
            group_pos = _at(group.pos, grammar.pos)
            if group.name != name:
                raise self.error(f"rule list for '{group.name}' where the predeclaration has '{name}'", group_pos,
                                 "the predeclaration and the rule lists name the same non-terminals in the same order")
            if self.sort(group.sort) != sort:
                raise self.error(f"non-terminal '{name}' is predeclared with sort {sort_text(sort)} but its rules "
                                 f"say {sort_text(self.sort(group.sort))}", _at(group.sort.pos, group_pos))
        if declared and declared[0][1] != result:
            start, sort = declared[0]
            raise self.error(f"the start symbol '{start}' has sort {sort_text(sort)} but '{command.name}' returns "
                             f"{sort_text(result)}", _at(grammar.groups[0].pos, grammar.pos))
        scope = {**params, **dict(declared)}
        for (name, sort), group in zip(declared, grammar.groups):
            for rule in group.rules:
                self.rule(rule, name, sort, scope, _at(group.pos, grammar.pos))

    def rule(self, rule: ast.GTerm, nonterminal: str, sort: Sort, scope: dict[str, Sort], pos: Pos) -> None:
        if isinstance(rule, (ast.AnyConstant, ast.AnyVariable)):
            got = self.sort(rule.sort)
            form = "Constant" if isinstance(rule, ast.AnyConstant) else "Variable"
            if got != sort:
                raise self.error(f"({form} {sort_text(got)}) in the rules of '{nonterminal}', which has sort "
                                 f"{sort_text(sort)}", _at(rule.pos, pos))
            return
        got = self.term(rule, scope, grammar=True)
        if not (got == sort or (sort == REAL and got == INT and _is_numeral(rule))):
            raise self.error(f"rule of sort {sort_text(got)} for non-terminal '{nonterminal}' of sort "
                             f"{sort_text(sort)}", _at(rule.pos, pos))

    def _Constraint(self, command: ast.Constraint) -> None:
        self.expect(command.term, self.env.variables, BOOL, f"a '{command.kind}' term")

    def _ChcConstraint(self, command: ast.ChcConstraint) -> None:
        scope = {**self.env.variables, **self.sorted_vars(command.variables)}
        self.expect(command.body, scope, BOOL, "the body of a chc-constraint")
        self.expect(command.head, scope, BOOL, "the head of a chc-constraint")

    def _InvConstraint(self, command: ast.InvConstraint) -> None:
        names = {"inv": command.inv, "pre": command.pre, "trans": command.trans, "post": command.post}
        for role, name in names.items():
            if name not in self.env.functions:
                raise self.error(f"undeclared {role} function '{name}' in inv-constraint", command.pos,
                                 did_you_mean(name, self.env.functions))
        inv = self.env.functions[command.inv]
        if command.inv not in self.env.synth_funs or inv.result != BOOL:
            raise self.error(f"'{command.inv}' must be a synth-inv or a Bool synth-fun", command.pos)
        state = inv.params
        expected = {"pre": state, "trans": state + state, "post": state}
        for role, params in expected.items():
            function = self.env.functions[names[role]]
            if function.params != params or function.result != BOOL:
                shape = " ".join(map(sort_text, params))
                raise self.error(f"{role} function '{names[role]}' must have sort ({shape}) -> Bool", command.pos)

    def _OptimizeSynth(self, command: ast.OptimizeSynth) -> None:
        for objective in command.objectives:
            self.term(objective, self.env.variables)

    def _DeclareOracleFun(self, command: ast.DeclareOracleFun) -> None:
        params = tuple(self.sort(s) for s in command.arg_sorts)
        result = self.sort(command.sort)
        if self.sycam and command.binary.startswith(logic.METRIC_PREFIX):
            metric = command.binary[len(logic.METRIC_PREFIX):]
            if metric not in logic.METRICS:
                raise self.error(f"unknown metric oracle '{command.binary}'", command.pos,
                                 did_you_mean(command.binary, (logic.METRIC_PREFIX + m for m in logic.METRICS)))
        self.declare_function(command.name, FunctionSignature(params, result, "oracle"), command.pos)

    def _OracleConstraint(self, command: ast.OracleConstraint) -> None:
        scope = {**self.env.variables, **self.sorted_vars(command.inputs), **self.sorted_vars(command.outputs)}
        if command.term is not None:
            self.expect(command.term, scope, BOOL, f"the term of '{command.kind}'")


def _substitute_sort(sort: Sort, mapping: dict[str, Sort]) -> Sort:
    if not sort.params and not sort.indices and sort.name in mapping:
        return mapping[sort.name]
    if not sort.params:
        return sort
    return Sort(sort.name, sort.indices, tuple(_substitute_sort(p, mapping) for p in sort.params))


def _unify(pattern: Sort, actual: Sort, variables: tuple[str, ...], bindings: dict[str, Sort]) -> bool:
    """Match a constructor's parametric sort against an argument's sort, binding type variables."""
    if pattern.name in variables and not pattern.params:
        bound = bindings.setdefault(pattern.name, actual)
        return bound == actual
    if pattern.name != actual.name or pattern.indices != actual.indices or len(pattern.params) != len(actual.params):
        return False
    return all(_unify(p, a, variables, bindings) for p, a in zip(pattern.params, actual.params))


def _sort_names(sort: Sort) -> set[str]:
    return {sort.name}.union(*(_sort_names(p) for p in sort.params))
