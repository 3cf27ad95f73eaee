"""AST to canonical SyGuS-IF 2.1 text: one command per line, v2 spellings, parseable back to an equal AST.

Canonical means: negative numbers as `(- 1)`, indexed sorts as `(_ BitVec 32)`, SMT-LIB 2.6 string
names (the parser already normalised those), grammars always with their predeclaration, oracle
arguments in the standard grammar's order, strings escaped with `""`, and symbols quoted with
`|...|` whenever the bare spelling would read back as something else.
"""
from __future__ import annotations

import re

from ..core.text import indexed_text, sort_text, symbol_text
from .ast import (
    Annotated,
    AnyConstant,
    AnyVariable,
    App,
    Attribute,
    ChcConstraint,
    CheckSynth,
    Command,
    Constraint,
    Constructor,
    DeclareDatatypes,
    DeclareOracleFun,
    DeclareSort,
    DeclareVar,
    DeclareWeight,
    DefineFun,
    DefineSort,
    Grammar,
    GroupedRules,
    Identifier,
    InvConstraint,
    Let,
    Literal,
    OptimizeSynth,
    OracleConstraint,
    Quantified,
    Script,
    SetFeature,
    SetInfo,
    SetLogic,
    SetOption,
    SExpr,
    Sort,
    SynthFun,
)

_KEYWORD = re.compile(r":[0-9A-Za-z~!@$%^&*_+=<>.?/\-]+")


def print_script(script: Script) -> str:
    """The whole script, one command per line."""
    return "".join(print_command(command) + "\n" for command in script.commands)


def print_term(term) -> str:
    """A term, or a grammar term (`(Constant S)`, `(Variable S)`)."""
    if isinstance(term, Identifier):
        return indexed_text(term.symbol, term.indices) if term.indices else symbol_text(term.symbol)
    if isinstance(term, Literal):
        return _literal(term)
    if isinstance(term, App):
        head = print_term(term.head)
        if term.qualifier is not None:
            head = f"(as {head} {sort_text(term.qualifier)})"
        if not term.args:  # `(as nil S)`; an unqualified nullary App is just its symbol
            return head
        # map, not a generator, keeps deep terms at one Python frame per level
        return f"({head} {' '.join(map(print_term, term.args))})"
    if isinstance(term, Annotated):
        return f"(! {print_term(term.term)} {_attributes(term.attributes)})"
    if isinstance(term, Let):
        bindings = " ".join(f"({symbol_text(name)} {print_term(value)})" for name, value in term.bindings)
        return f"(let ({bindings}) {print_term(term.body)})"
    if isinstance(term, Quantified):
        return f"({term.quantifier} {_sorted_vars(term.variables)} {print_term(term.body)})"
    if isinstance(term, AnyConstant):
        return f"(Constant {sort_text(term.sort)})"
    if isinstance(term, AnyVariable):
        return f"(Variable {sort_text(term.sort)})"
    raise TypeError(f"print_term expected a term node, got {type(term).__name__}")


def print_command(command: Command) -> str:
    """One command on one line."""
    printer = _COMMAND_PRINTERS.get(type(command))
    if printer is None:
        raise TypeError(f"print_command expected a command node, got {type(command).__name__}")
    return printer(command)


# ------------------------------------------------------------------ pieces


def _literal(literal: Literal) -> str:
    if literal.kind == "string":
        return '"' + literal.text.replace('"', '""') + '"'
    if literal.kind == "hex":
        return "#x" + literal.text
    if literal.kind == "binary":
        return "#b" + literal.text
    return literal.text


def _sorted_vars(variables: tuple[tuple[str, Sort], ...]) -> str:
    return "(" + " ".join(f"({symbol_text(name)} {sort_text(sort)})" for name, sort in variables) + ")"


def _value(value) -> str:
    """An option or attribute value: literal, symbol, or s-expression."""
    if isinstance(value, SExpr):
        return "(" + " ".join(_s_expr_item(item) for item in value.items) + ")"
    return print_term(value)


def _s_expr_item(item) -> str:
    # Inside an s-expression a keyword stands for itself (the parser stores `:k` as a symbol).
    if isinstance(item, Identifier) and not item.indices and _KEYWORD.fullmatch(item.symbol):
        return item.symbol
    return _value(item)


def _attribute(attribute: Attribute) -> str:
    if attribute.value is None:
        return f":{attribute.keyword}"
    return f":{attribute.keyword} {_value(attribute.value)}"


def _attributes(attributes: tuple[Attribute, ...]) -> str:
    return " ".join(_attribute(attribute) for attribute in attributes)


def _grammar(grammar: Grammar) -> str:
    predeclaration = _sorted_vars(grammar.predeclaration)
    groups = " ".join(_group(group) for group in grammar.groups)
    return f"{predeclaration} ({groups})"


def _group(group: GroupedRules) -> str:
    rules = " ".join(print_term(rule) for rule in group.rules)
    return f"({symbol_text(group.name)} {sort_text(group.sort)} ({rules}))"


def _constructor(constructor: Constructor) -> str:
    selectors = "".join(f" ({symbol_text(name)} {sort_text(sort)})" for name, sort in constructor.selectors)
    return f"({symbol_text(constructor.name)}{selectors})"


def _datatype_body(params: tuple[str, ...], constructors: tuple[Constructor, ...]) -> str:
    listing = "(" + " ".join(_constructor(c) for c in constructors) + ")"
    if not params:
        return listing
    return f"(par ({' '.join(symbol_text(p) for p in params)}) {listing})"


# ------------------------------------------------------------------ commands


def _synth_fun(command: SynthFun) -> str:
    grammar = f" {_grammar(command.grammar)}" if command.grammar is not None else ""
    if command.invariant:
        return f"(synth-inv {symbol_text(command.name)} {_sorted_vars(command.params)}{grammar})"
    return (f"(synth-fun {symbol_text(command.name)} {_sorted_vars(command.params)} "
            f"{sort_text(command.sort)}{grammar})")


def _declare_datatypes(command: DeclareDatatypes) -> str:
    if command.single:
        name, _arity, params, constructors = command.datatypes[0]
        return f"(declare-datatype {symbol_text(name)} {_datatype_body(params, constructors)})"
    decls = " ".join(f"({symbol_text(name)} {arity})" for name, arity, _, _ in command.datatypes)
    bodies = " ".join(_datatype_body(params, ctors) for _, _, params, ctors in command.datatypes)
    return f"(declare-datatypes ({decls}) ({bodies}))"


def _define_sort(command: DefineSort) -> str:
    if not command.params:
        return f"(define-sort {symbol_text(command.name)} {sort_text(command.sort)})"
    params = " ".join(symbol_text(param) for param in command.params)
    return f"(define-sort {symbol_text(command.name)} ({params}) {sort_text(command.sort)})"


def _oracle_constraint(command: OracleConstraint) -> str:
    if command.kind in ("oracle-assume", "oracle-constraint"):
        return (f"({command.kind} {_sorted_vars(command.inputs)} {_sorted_vars(command.outputs)} "
                f"{print_term(command.term)} {symbol_text(command.binary)})")
    return f"({command.kind} {print_term(command.term)} {symbol_text(command.binary)})"


def _set_info(command: SetInfo) -> str:
    return f"(set-info {_attribute(command.attribute)})"


def _declare_weight(command: DeclareWeight) -> str:
    attributes = f" {_attributes(command.attributes)}" if command.attributes else ""
    return f"(declare-weight {symbol_text(command.name)}{attributes})"


def _optimize_synth(command: OptimizeSynth) -> str:
    objectives = " ".join(print_term(term) for term in command.objectives)
    attributes = f" {_attributes(command.attributes)}" if command.attributes else ""
    return f"(optimize-synth ({objectives}){attributes})"


_COMMAND_PRINTERS = {
    SetLogic: lambda c: f"(set-logic {symbol_text(c.logic)})",
    SetOption: lambda c: f"(set-option :{c.keyword} {_value(c.value)})",
    SetFeature: lambda c: f"(set-feature :{c.feature} {'true' if c.value else 'false'})",
    SetInfo: _set_info,
    DeclareVar: lambda c: (f"({'declare-primed-var' if c.primed else 'declare-var'} "
                           f"{symbol_text(c.name)} {sort_text(c.sort)})"),
    DeclareWeight: _declare_weight,
    DefineFun: lambda c: (f"(define-fun {symbol_text(c.name)} {_sorted_vars(c.params)} "
                          f"{sort_text(c.sort)} {print_term(c.body)})"),
    DefineSort: _define_sort,
    DeclareSort: lambda c: f"(declare-sort {symbol_text(c.name)} {c.arity})",
    DeclareDatatypes: _declare_datatypes,
    SynthFun: _synth_fun,
    Constraint: lambda c: f"({c.kind} {print_term(c.term)})",
    ChcConstraint: lambda c: (f"(chc-constraint {_sorted_vars(c.variables)} {print_term(c.body)} "
                              f"{print_term(c.head)})"),
    InvConstraint: lambda c: f"(inv-constraint {' '.join(map(symbol_text, (c.inv, c.pre, c.trans, c.post)))})",
    OptimizeSynth: _optimize_synth,
    DeclareOracleFun: lambda c: (f"(declare-oracle-fun {symbol_text(c.name)} "
                                 f"({' '.join(sort_text(s) for s in c.arg_sorts)}) "
                                 f"{sort_text(c.sort)} {symbol_text(c.binary)})"),
    OracleConstraint: _oracle_constraint,
    CheckSynth: lambda c: "(check-synth)",
}
