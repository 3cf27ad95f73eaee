"""The SyGuS-IF 2.1 abstract syntax tree: plain, immutable dataclasses with source positions.

Positions never take part in equality, so a printed and re-parsed script equals the original.
v1 and v2.0 spellings are normalised to v2.1 forms by the parser before they reach these nodes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..core.sorts import NOWHERE, Pos, Sort, position_field  # noqa: F401  (re-exported: the AST's positions and sorts)

# ---------------------------------------------------------------- terms


@dataclass(frozen=True)
class Identifier:
    """A symbol, or an indexed identifier `(_ extract 7 0)`; `|quoted|` symbols are stored unquoted."""

    symbol: str
    indices: tuple[int | str, ...] = ()
    pos: Pos = position_field()


@dataclass(frozen=True)
class Literal:
    """kind is numeral, decimal, hex, binary, bool or string; text is the literal as written
    (strings unescaped, without quotes; hex/binary without `#x`/`#b`)."""

    kind: str
    text: str
    pos: Pos = position_field()


@dataclass(frozen=True)
class App:
    """`(f t1 ... tn)` with `f` an identifier; `(as f S)` heads are kept in `qualifier`."""

    head: Identifier
    args: tuple["Term", ...]
    qualifier: Sort | None = None
    pos: Pos = position_field()


@dataclass(frozen=True)
class Attribute:
    """`:keyword value` inside `(! t ...)` or `set-info`; value is None, a term-like s-expression, or text."""

    keyword: str
    value: "SExpr | None" = None
    pos: Pos = position_field()


@dataclass(frozen=True)
class Annotated:
    """`(! t :k v ...)`."""

    term: "Term"
    attributes: tuple[Attribute, ...]
    pos: Pos = position_field()


@dataclass(frozen=True)
class Let:
    bindings: tuple[tuple[str, "Term"], ...]
    body: "Term"
    pos: Pos = position_field()


@dataclass(frozen=True)
class Quantified:
    """`(forall ((x S) ...) t)` or `(exists ...)`."""

    quantifier: str
    variables: tuple[tuple[str, Sort], ...]
    body: "Term"
    pos: Pos = position_field()


Term = Union[Identifier, Literal, App, Annotated, Let, Quantified]


@dataclass(frozen=True)
class SExpr:
    """A generic s-expression, for option and attribute values that are not terms."""

    items: tuple["SExpr | Literal | Identifier", ...]
    pos: Pos = position_field()


# ---------------------------------------------------------------- grammars


@dataclass(frozen=True)
class AnyConstant:
    """`(Constant S)` in a grammar rule."""

    sort: Sort
    pos: Pos = position_field()


@dataclass(frozen=True)
class AnyVariable:
    """`(Variable S)` in a grammar rule."""

    sort: Sort
    pos: Pos = position_field()


GTerm = Union[Term, AnyConstant, AnyVariable]


@dataclass(frozen=True)
class GroupedRules:
    """`(N S (r1 ... rn))`."""

    name: str
    sort: Sort
    rules: tuple[GTerm, ...]
    pos: Pos = position_field()


@dataclass(frozen=True)
class Grammar:
    """Predeclaration `((N1 S1) ...)` then grouped rule lists; v1 grammars get a synthesised
    predeclaration from their rule lists. The first non-terminal is the start symbol."""

    predeclaration: tuple[tuple[str, Sort], ...]
    groups: tuple[GroupedRules, ...]
    pos: Pos = position_field()


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class SetLogic:
    logic: str
    pos: Pos = position_field()


@dataclass(frozen=True)
class SetOption:
    keyword: str  # without the leading colon, e.g. "sycam.model"
    value: "Literal | Identifier | SExpr"
    pos: Pos = position_field()


@dataclass(frozen=True)
class SetFeature:
    feature: str  # without the leading colon
    value: bool
    pos: Pos = position_field()


@dataclass(frozen=True)
class SetInfo:
    attribute: Attribute
    pos: Pos = position_field()


@dataclass(frozen=True)
class DeclareVar:
    name: str
    sort: Sort
    primed: bool = False  # v2.0 `declare-primed-var` (also declares name!)
    pos: Pos = position_field()


@dataclass(frozen=True)
class DeclareWeight:
    name: str
    attributes: tuple[Attribute, ...] = ()
    pos: Pos = position_field()


@dataclass(frozen=True)
class DefineFun:
    name: str
    params: tuple[tuple[str, Sort], ...]
    sort: Sort
    body: Term
    pos: Pos = position_field()


@dataclass(frozen=True)
class DefineSort:
    """Both `(define-sort S σ)` (params empty) and `(define-sort S (p ...) σ)`."""

    name: str
    params: tuple[str, ...]
    sort: Sort
    pos: Pos = position_field()


@dataclass(frozen=True)
class DeclareSort:
    name: str
    arity: int
    pos: Pos = position_field()


@dataclass(frozen=True)
class Constructor:
    name: str
    selectors: tuple[tuple[str, Sort], ...]
    pos: Pos = position_field()


@dataclass(frozen=True)
class DeclareDatatypes:
    """`declare-datatype` (one) and `declare-datatypes` (several) share this node;
    `single` records which command was written. Each entry: (name, arity, params, constructors)."""

    datatypes: tuple[tuple[str, int, tuple[str, ...], tuple[Constructor, ...]], ...]
    single: bool = False
    pos: Pos = position_field()


@dataclass(frozen=True)
class SynthFun:
    """`synth-fun`, and v2.0 `synth-inv` (sort Bool, `invariant=True`)."""

    name: str
    params: tuple[tuple[str, Sort], ...]
    sort: Sort
    grammar: Grammar | None = None
    invariant: bool = False
    pos: Pos = position_field()
    param_positions: tuple[Pos, ...] = field(default=(), compare=False, repr=False)  # of the names


@dataclass(frozen=True)
class Constraint:
    """`constraint`, `assume`, `chc-constraint` and friends: kind names the command."""

    kind: str  # "constraint" | "assume" | "oracle-assume" | "oracle-constraint" | ...
    term: Term
    pos: Pos = position_field()


@dataclass(frozen=True)
class ChcConstraint:
    variables: tuple[tuple[str, Sort], ...]
    body: Term
    head: Term
    pos: Pos = position_field()


@dataclass(frozen=True)
class InvConstraint:
    inv: str
    pre: str
    trans: str
    post: str
    pos: Pos = position_field()


@dataclass(frozen=True)
class OptimizeSynth:
    """`(optimize-synth (t1 ... tn) :attr ...)`; objectives keep their `(! t :max)` annotations."""

    objectives: tuple[Term, ...]
    attributes: tuple[Attribute, ...] = ()
    pos: Pos = position_field()


@dataclass(frozen=True)
class DeclareOracleFun:
    """Normalised to (name, argument sorts, result sort, binary) whatever order was written."""

    name: str
    arg_sorts: tuple[Sort, ...]
    sort: Sort
    binary: str
    pos: Pos = position_field()


@dataclass(frozen=True)
class OracleConstraint:
    """The `oracle-constraint*`, `oracle-assume` and `declare-correctness*-oracle` commands,
    normalised: kind names the command, binary the oracle, the rest is kept as written."""

    kind: str
    binary: str
    inputs: tuple[tuple[str, Sort], ...] = ()
    outputs: tuple[tuple[str, Sort], ...] = ()
    term: Term | None = None
    pos: Pos = position_field()


@dataclass(frozen=True)
class CheckSynth:
    pos: Pos = position_field()


Command = Union[
    SetLogic, SetOption, SetFeature, SetInfo, DeclareVar, DeclareWeight, DefineFun, DefineSort,
    DeclareSort, DeclareDatatypes, SynthFun, Constraint, ChcConstraint, InvConstraint,
    OptimizeSynth, DeclareOracleFun, OracleConstraint, CheckSynth,
]


@dataclass(frozen=True)
class Script:
    commands: tuple[Command, ...]
    path: str = field(default="<string>", compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)  # normalisations made while reading
