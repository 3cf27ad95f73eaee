"""SyGuS-IF 2.1 text to the AST of `ast.py`: a lark LALR parser that builds the nodes as it parses.

v1 and v2.0 spellings found in the public benchmark library are normalised to 2.1 nodes, and each
kind of normalisation leaves one short warning in `Script.warnings`. Bad input raises only
`SygusError`, with the position of the problem and a hint.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedToken,
)

from ..core.errors import SygusError, did_you_mean
from .ast import (
    NOWHERE,
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
    Pos,
    Quantified,
    Script,
    SetFeature,
    SetInfo,
    SetLogic,
    SetOption,
    SExpr,
    Sort,
    SynthFun,
    Term,
)

COMMAND_NAMES = (
    "assume", "check-synth", "chc-constraint", "constraint", "declare-var", "declare-weight",
    "inv-constraint", "optimize-synth", "set-feature", "synth-fun", "oracle-assume",
    "oracle-constraint", "declare-oracle-fun", "oracle-constraint-io", "oracle-constraint-cex",
    "oracle-constraint-membership", "oracle-constraint-poswitness", "oracle-constraint-negwitness",
    "declare-correctness-oracle", "declare-correctness-cex-oracle", "declare-datatype",
    "declare-datatypes", "declare-sort", "define-fun", "define-sort", "set-info", "set-logic",
    "set-option", "synth-inv", "declare-primed-var",
)

# SMT-LIB commands that people reach for in SyGuS files, with what SyGuS uses instead.
_FOREIGN_COMMAND_HINTS = {
    "declare-fun": "declare-fun is not SyGuS: use synth-fun (without a grammar) or declare-var",
    "declare-const": "SyGuS declares universal variables with (declare-var x S)",
    "assert": "SyGuS states constraints with (constraint t)",
    "check-sat": "SyGuS asks for a solution with (check-synth)",
}

# v1 / SyGuS 2.0 string-theory names and their SMT-LIB 2.6 spellings.
V1_STRING_NAMES = {
    "int.to.str": "str.from_int", "str.from-int": "str.from_int",
    "str.to.int": "str.to_int", "str.to-int": "str.to_int",
    "str.in.re": "str.in_re", "str.in-re": "str.in_re",
    "str.to.re": "str.to_re", "str.to-re": "str.to_re",
    "str.to.code": "str.to_code", "str.to-code": "str.to_code",
    "str.from.code": "str.from_code", "str.from-code": "str.from_code",
    "re.nostr": "re.none",
}

_WARNING_TEXT = {
    "negative": "v1 negative literals read as (- n)",
    "bitvec": "v1 sorts without '_' read as indexed sorts",
    "grammar": "v1 grammar without predeclaration: predeclaration taken from the rule lists",
    "start": "v1 grammar listing Start later: Start moved first, where 2.1 starts",
    "let": "v1 typed let bindings: the sort is dropped",
    "strings": "v1 string names read as SMT-LIB 2.6 names",
    "oracle": "oracle arguments not in the standard grammar's order, normalised",
    "order": "commands out of the standard order (set-logic, set-feature/set-option, the rest)",
}

_NEGATIVE_NUMBER = re.compile(r"-(0|[1-9][0-9]*)(\.[0-9]+)?")
_TOKEN_AT = re.compile(r'[^\s()";|]*')
# What matters for bracket matching: comments, strings and quoted symbols (skipped whole),
# parentheses, and a quote or bar that is never closed.
_BRACKET_LEXEMES = re.compile(r';[^\n]*|"(?:[^"]|"")*"|\|[^|]*\||[()"|]')
# Deeper terms would exhaust Python's recursion limit in code that walks the AST (dataclass
# equality fails near 250 levels); the benchmark library stays below 40.
_MAX_NESTING = 200

_GRAMMAR_FILE = Path(__file__).with_name("sygus.lark")


# ------------------------------------------------------------------ public API


def parse_text(text: str, path: str = "<string>", strict: bool = False) -> Script:
    """Parse a SyGuS-IF script; `strict` makes command-order violations errors instead of warnings."""
    with _PARSING:
        commands = tuple(_run("start", text, path))
        _check_order(commands, path, strict)
        return Script(commands, path=path, warnings=_BUILDER.warnings())


def parse_file(path: str, strict: bool = False) -> Script:
    """Read and parse a `.sl` file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # -sig: editors' byte-order marks
    except (OSError, UnicodeDecodeError) as error:
        raise SygusError(f"cannot read '{path}': {error}", NOWHERE, str(path),
                         "check the path and that the file is UTF-8 text") from None
    return parse_text(text, str(path), strict)


def parse_term(text: str) -> Term:
    """Parse one term, e.g. a solver's solution body (cvc5 `let`s and `(/ 1 2)` included)."""
    with _PARSING:
        return _run("term", text, "<term>")


# ------------------------------------------------------------------ driver and errors


def _run(start: str, text: str, path: str):
    """Parse from rule `start` into AST nodes; every failure becomes a SygusError."""
    _check_nesting(text, path)
    _BUILDER.begin(path)
    try:
        return _LARK.parse(text, start=start)
    except SygusError:
        raise
    except LarkError as error:
        raise _located_error(error, text, path) from None
    except Exception as error:  # a bug here must still reach the user as a located report
        raise SygusError(f"internal parser error ({type(error).__name__}: {error})", NOWHERE, path,
                         "please report this input to the sycam developers") from None


def _located_error(error: LarkError, text: str, path: str) -> SygusError:
    """Turn a lark error into a SygusError: bracket problems first, then the token at fault."""
    bracket = _bracket_error(text, path)
    if bracket is not None:
        return bracket
    if isinstance(error, UnexpectedCharacters):
        return _bad_characters(error, text, path)
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        token = error.token
        pos = Pos(token.line, token.column)
        return SygusError(f"unexpected {_describe(token)}", pos, path, _expected_hint(error))
    if isinstance(error, (UnexpectedEOF, UnexpectedToken)):
        return SygusError("unexpected end of input", _end_pos(text), path, _expected_hint(error))
    return SygusError(f"syntax error: {error}", NOWHERE, path)


def _bracket_error(text: str, path: str) -> SygusError | None:
    """The first stray `)`, unclosed `(`, or unterminated string/quoted symbol, if any."""
    opened: list[int] = []
    for match in _BRACKET_LEXEMES.finditer(text):
        lexeme = match.group()
        if lexeme == "(":
            opened.append(match.start())
        elif lexeme == ")":
            if not opened:
                return SygusError("unbalanced ')': no '(' is open here", _pos_of(text, match.start()),
                                  path, "delete this ')' or add the missing '(' before it")
            opened.pop()
        elif lexeme == '"':
            return SygusError("unterminated string literal", _pos_of(text, match.start()), path,
                              'close it with "; a quote inside a string is written ""')
        elif lexeme == "|":
            return SygusError("unterminated quoted symbol", _pos_of(text, match.start()), path,
                              "close it with |; quoted symbols cannot contain |")
    if opened:
        return SygusError("unbalanced '(': it is never closed", _pos_of(text, opened[0]), path,
                          f"add the missing ')' ({len(opened)} still open at the end of the input)")
    return None


def _check_nesting(text: str, path: str) -> None:
    """Refuse absurdly deep nesting with a located error instead of a RecursionError."""
    depth = 0
    for match in _BRACKET_LEXEMES.finditer(text):
        lexeme = match.group()
        if lexeme == "(":
            depth += 1
            if depth > _MAX_NESTING:
                raise SygusError(f"nesting deeper than {_MAX_NESTING} parentheses",
                                 _pos_of(text, match.start()), path,
                                 "split the term with define-fun macros or let bindings")
        elif lexeme == ")":
            depth -= 1


def _bad_characters(error: UnexpectedCharacters, text: str, path: str) -> SygusError:
    """A character no token can start with, or a malformed literal (`01`, `1.`, `#xZZ`)."""
    pos = Pos(error.line, error.column)
    lexeme = _TOKEN_AT.match(text, error.pos_in_stream).group() or text[error.pos_in_stream]
    if lexeme[0].isdigit() or lexeme[0] == "#":
        return SygusError(f"bad literal '{lexeme}'", pos, path, _literal_hint(lexeme))
    if lexeme[0] == "|":
        return SygusError("bad quoted symbol", pos, path, "quoted symbols cannot contain '\\'")
    if lexeme[0] == ":":
        return SygusError(f"bad keyword '{lexeme}'", pos, path,
                          "a keyword is ':' followed by symbol characters, e.g. :grammars")
    return SygusError(f"unexpected character {lexeme[0]!r}", pos, path,
                      "symbols use letters, digits and ~!@$%^&*_-+=<>.?/; quote others as |...|")


def _literal_hint(lexeme: str) -> str:
    """Why a number-like lexeme is not a SyGuS literal."""
    if lexeme.startswith("#x"):
        return "a hexadecimal is #x followed by digits 0-9 and letters A-F, e.g. #x1F"
    if lexeme.startswith("#b"):
        return "a binary is #b followed by bits 0 and 1, e.g. #b0101"
    if lexeme.startswith("#"):
        return "literals starting with # are #x (hexadecimal) or #b (binary)"
    if re.fullmatch(r"[0-9]+\.", lexeme):
        return f"a decimal needs digits after the point, e.g. {lexeme}0"
    if re.fullmatch(r"0[0-9]+(\.[0-9]+)?", lexeme):
        return "numerals have no leading zeros: write " + (lexeme.lstrip("0") or "0")
    return "a literal ends before any symbol character; symbols cannot start with a digit"


def _describe(token: Token) -> str:
    """How a token reads in an error message."""
    if token.type in ("SYMBOL", "QUOTED_SYMBOL"):
        return f"symbol '{token}'"
    if token.type in ("NUMERAL", "DECIMAL", "HEXADECIMAL", "BINARY", "STRING", "TRUE", "FALSE"):
        return f"literal {token}"
    if token.type == "KEYWORD":
        return f"keyword '{token}'"
    return f"'{token}'"


_TERMINAL_WORDS = {
    "LPAR": "'('", "RPAR": "')'", "SYMBOL": "a symbol", "QUOTED_SYMBOL": "a symbol",
    "NUMERAL": "a numeral", "DECIMAL": "a decimal", "HEXADECIMAL": "a hexadecimal",
    "BINARY": "a binary", "STRING": "a string", "KEYWORD": "a keyword", "TRUE": "true",
    "FALSE": "false", "$END": "the end of the input",
}
_TERM_STARTS = frozenset(("SYMBOL", "QUOTED_SYMBOL", "NUMERAL", "DECIMAL", "HEXADECIMAL", "BINARY",
                          "STRING", "TRUE", "FALSE", "LPAR"))


def _expected_hint(error: UnexpectedToken | UnexpectedEOF) -> str:
    """`expected ...` in the standard's words ("a term", "a command name") rather than lark's."""
    remaining = set(getattr(error, "accepts", None) or error.expected)
    words = []
    if _TERM_STARTS <= remaining:
        words.append("a term")
        remaining -= _TERM_STARTS
    commands = {name for name in remaining if _TERMINALS.get(name) is not None
                and _TERMINALS[name].pattern.value in COMMAND_NAMES}
    if len(commands) > 3:
        words.append("a command name")
        remaining -= commands | {"SYMBOL"}  # a symbol there is only taken to name an unknown command
    for name in sorted(remaining):
        terminal = _TERMINALS.get(name)
        word = _TERMINAL_WORDS.get(name) or (f"'{terminal.pattern.value}'" if terminal else name.lower())
        if word not in words:
            words.append(word)
    if not words:  # lark lists nothing when only the end of the input could follow
        return "expected the end of the input"
    return "expected " + (", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0])


def _pos_of(text: str, offset: int) -> Pos:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return Pos(line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _end_pos(text: str) -> Pos:
    """The position just after the last character."""
    return _pos_of(text, len(text))


def _check_order(commands: tuple[Command, ...], path: str, strict: bool) -> None:
    """set-logic, then set-feature/set-option, then the rest: an error when strict, else a warning."""
    phase_of = {SetLogic: 0, SetFeature: 1, SetOption: 1}
    names = {SetLogic: "set-logic", SetFeature: "set-feature", SetOption: "set-option"}
    highest = 0
    for command in commands:
        phase = phase_of.get(type(command), 2)
        if phase < highest:
            if strict:
                raise SygusError(f"{names[type(command)]} after later commands", command.pos, path,
                                 "the order is set-logic, then set-feature/set-option, then the rest")
            _BUILDER.note("order", names[type(command)])
        highest = max(highest, phase)


# ------------------------------------------------------------------ building the AST


def _located(method, _rule: str, children: list, _meta) -> object:
    """Call a builder method with the position of the rule's "(" and the children without it."""
    pos = NOWHERE
    if children and isinstance(children[0], Token) and children[0].type == "LPAR":
        pos = Pos(children[0].line, children[0].column)
    return method(pos, [child for child in children
                        if not (isinstance(child, Token) and child.type == "LPAR")])


def _token_pos(token: Token) -> Pos:
    return Pos(token.line, token.column)


def _name(token: Token) -> str:
    """A symbol's name; quoted symbols are stored without their bars."""
    return token[1:-1] if token.type == "QUOTED_SYMBOL" else str(token)


@v_args(wrapper=_located)
class _AstBuilder(Transformer):
    """Builds AST nodes bottom-up while lark parses, normalising old spellings as it goes.

    One instance serves every parse (lark binds it into the parser); `begin` resets it."""

    def __init__(self):
        super().__init__(visit_tokens=False)
        self.begin("<string>")

    def begin(self, path: str) -> None:
        """Start reading a new text."""
        self.path = path
        self._details: dict[str, list[str]] = {}
        self._counts: Counter[str] = Counter()

    def note(self, kind: str, detail: str) -> None:
        """Record one normalisation of `kind`; the script gets one warning per kind."""
        self._counts[kind] += 1
        details = self._details.setdefault(kind, [])
        if detail not in details:
            details.append(detail)

    def warnings(self) -> tuple[str, ...]:
        """One short line per kind of normalisation, with examples and a count."""
        lines = []
        for kind, details in self._details.items():
            count = self._counts[kind]
            shown = ", ".join(details[:4]) + (", ..." if len(details) > 4 else "")
            lines.append(f"{_WARNING_TEXT[kind]}: {shown}" + (f" ({count} times)" if count > 1 else ""))
        return tuple(lines)

    def _error(self, message: str, pos: Pos, hint: str = "") -> SygusError:
        """A SygusError located in the text being read."""
        return SygusError(message, pos, self.path, hint)

    # ---- script and commands

    def start(self, pos, children):
        return children

    def unknown_cmd(self, pos, children):
        name = children[0]
        hint = _FOREIGN_COMMAND_HINTS.get(str(name)) or did_you_mean(str(name), COMMAND_NAMES)
        raise self._error(f"unknown command '{name}'", _token_pos(name), hint)

    def assume(self, pos, children):
        return Constraint("assume", children[0], pos=pos)

    def constraint(self, pos, children):
        return Constraint("constraint", children[0], pos=pos)

    def check_synth(self, pos, children):
        return CheckSynth(pos=pos)

    def chc_constraint(self, pos, children):
        variables, body, head = children
        return ChcConstraint(variables, body, head, pos=pos)

    def declare_var(self, pos, children):
        return DeclareVar(_name(children[0]), children[1], pos=pos)

    def declare_primed_var(self, pos, children):
        return DeclareVar(_name(children[0]), children[1], primed=True, pos=pos)

    def declare_weight(self, pos, children):
        return DeclareWeight(_name(children[0]), tuple(children[1:]), pos=pos)

    def inv_constraint(self, pos, children):
        inv, pre, trans, post = (_name(child) for child in children)
        return InvConstraint(inv, pre, trans, post, pos=pos)

    def optimize_synth(self, pos, children):
        objectives = tuple(child for child in children if not isinstance(child, Attribute))
        attributes = tuple(child for child in children if isinstance(child, Attribute))
        return OptimizeSynth(objectives, attributes, pos=pos)

    def set_feature(self, pos, children):
        keyword, value = children
        return SetFeature(keyword[1:], value, pos=pos)

    def bool_const(self, pos, children):
        return children[0] == "true"

    def synth_fun(self, pos, children):
        name, params, sort, *grammar = children
        return SynthFun(_name(name), tuple((param, sort) for param, sort, _ in params), sort,
                        grammar[0] if grammar else None, param_positions=tuple(at for *_, at in params),
                        pos=pos)

    def synth_params(self, pos, children):
        return tuple(children)

    def synth_param(self, pos, children):
        name, sort = children
        return _name(name), sort, Pos(name.line, name.column)

    def synth_inv(self, pos, children):
        name, params, *grammar = children
        return SynthFun(_name(name), params, Sort("Bool"), grammar[0] if grammar else None,
                        invariant=True, pos=pos)

    # ---- oracle commands

    def oracle_assume(self, pos, children):
        return self._oracle_io("oracle-assume", children[0], pos)

    def oracle_constraint(self, pos, children):
        return self._oracle_io("oracle-constraint", children[0], pos)

    def _oracle_io(self, kind: str, body: tuple, pos: Pos) -> OracleConstraint:
        binary, inputs, outputs, term = body
        return OracleConstraint(kind, binary, inputs, outputs, term, pos=pos)

    def oracle_binary_late(self, pos, children):
        inputs, outputs, first, second = children
        if _is_plain_identifier(second):
            return second.symbol, inputs, outputs, first
        if _is_plain_identifier(first):
            self.note("oracle", "binary before the term")
            return first.symbol, inputs, outputs, second
        raise self._error("expected the oracle's binary name", second.pos,
                           "write (oracle-constraint (inputs) (outputs) term binary)")

    def oracle_binary_first(self, pos, children):
        binary, inputs, outputs, term = children
        self.note("oracle", "binary first (Delphi)")
        return _name(binary), inputs, outputs, term

    def oracle_fun_binary_late(self, pos, children):
        name, arg_sorts, sort, binary = children
        if _is_plain_sort(binary):
            return DeclareOracleFun(_name(name), arg_sorts, sort, binary.name, pos=pos)
        if _is_plain_sort(sort):
            self.note("oracle", "declare-oracle-fun binary before the result sort")
            return DeclareOracleFun(_name(name), arg_sorts, binary, sort.name, pos=pos)
        raise self._error("expected the oracle's binary name", binary.pos,
                           "write (declare-oracle-fun name (sorts) sort binary)")

    def oracle_fun_binary_first(self, pos, children):
        name, binary, arg_sorts, sort = children
        self.note("oracle", "declare-oracle-fun name binary (sorts) sort (Delphi)")
        return DeclareOracleFun(_name(name), arg_sorts, sort, _name(binary), pos=pos)

    def oracle_symbol_pair_cmd(self, pos, children):
        kind, function, binary = children
        return OracleConstraint(kind, _name(binary),
                                term=Identifier(_name(function), pos=_token_pos(function)),
                                pos=pos)

    def oracle_pair_command(self, pos, children):
        return str(children[0])

    # ---- SMT-LIB commands

    def declare_datatype(self, pos, children):
        name, (params, constructors) = children
        return DeclareDatatypes(((_name(name), len(params), params, constructors),), single=True,
                                pos=pos)

    def declare_datatypes(self, pos, children):
        decls = [child for child in children if isinstance(child, tuple) and len(child) == 3]
        bodies = [child for child in children if isinstance(child, tuple) and len(child) == 2]
        if len(decls) != len(bodies):
            raise self._error(f"declare-datatypes names {len(decls)} sorts but defines {len(bodies)}",
                               pos, "give one constructor list per declared sort")
        return DeclareDatatypes(
            tuple((name, arity, params, ctors) for (name, arity, _), (params, ctors) in zip(decls, bodies)),
            pos=pos)

    def sort_decl(self, pos, children):
        name, arity = children
        return _name(name), int(arity), pos

    def dt_dec(self, pos, children):
        return (), tuple(children)

    def dt_dec_par(self, pos, children):
        params = tuple(_name(child) for child in children if isinstance(child, Token))
        return params, tuple(child for child in children if isinstance(child, Constructor))

    def dt_cons_dec(self, pos, children):
        return Constructor(_name(children[0]), tuple(children[1:]), pos=pos)

    def declare_sort(self, pos, children):
        return DeclareSort(_name(children[0]), int(children[1]), pos=pos)

    def define_fun(self, pos, children):
        name, params, sort, body = children
        return DefineFun(_name(name), params, sort, body, pos=pos)

    def define_sort(self, pos, children):
        if len(children) == 2:
            return DefineSort(_name(children[0]), (), children[1], pos=pos)
        name, params, sort = children
        return DefineSort(_name(name), params, sort, pos=pos)

    def sort_parameters(self, pos, children):
        if not children:
            return ()
        if isinstance(children[0], Token):
            return (_name(children[0]),)
        written = children[0]  # a bare `u` has no params: the list lacks its parentheses
        if written.indices or not written.params or not all(map(_is_plain_sort, written.params)):
            raise self._error("sort parameters must be a list of plain symbols", written.pos,
                              "write (define-sort Name (u1 u2) sort)")
        return (written.name, *(part.name for part in written.params))

    def set_info(self, pos, children):
        keyword, *value = children
        return SetInfo(Attribute(keyword[1:], value[0] if value else None, pos=_token_pos(keyword)),
                       pos=pos)

    def set_logic(self, pos, children):
        return SetLogic(_name(children[0]), pos=pos)

    def set_option(self, pos, children):
        keyword, value = children
        return SetOption(keyword[1:], value, pos=pos)

    # ---- grammars

    def grammar_def(self, pos, children):
        predeclaration = tuple(child for child in children if isinstance(child, tuple))
        groups = tuple(child for child in children if isinstance(child, GroupedRules))
        return Grammar(predeclaration, groups, pos=pos)

    def grammar_def_v1(self, pos, children):
        groups = list(children)
        self.note("grammar", groups[0].name)
        # v1 started at the non-terminal named Start; 2.1 starts at the first one
        starts = [group for group in groups if group.name == "Start"]
        if starts and groups[0] is not starts[0]:
            groups.remove(starts[0])
            groups.insert(0, starts[0])
            self.note("start", f"grammar at line {pos.line}")
        return Grammar(tuple((group.name, group.sort) for group in groups), tuple(groups), pos=pos)

    def grouped_rule_list(self, pos, children):
        name, sort, *rules = children
        for rule in rules:
            binder = _first_binder(rule)
            if binder is not None:
                word = binder.quantifier if isinstance(binder, Quantified) else "let"
                raise self._error(f"grammar rules may not use binders ('{word}')", binder.pos,
                            "define a macro with define-fun and use it in the rule")
        return GroupedRules(_name(name), sort, tuple(rules), pos=pos)

    def any_constant(self, pos, children):
        return AnyConstant(children[0], pos=pos)

    def any_variable(self, pos, children):
        return AnyVariable(children[0], pos=pos)

    # ---- terms

    def symbol_term(self, pos, children):
        token = children[0]
        pos = _token_pos(token)
        if token.type == "SYMBOL" and _NEGATIVE_NUMBER.fullmatch(token):
            self.note("negative", str(token))
            kind = "decimal" if "." in token else "numeral"
            _check_magnitude(token[1:], pos, self.path)
            return App(Identifier("-", pos=pos), (Literal(kind, token[1:], pos=Pos(pos.line, pos.col + 1)),),
                       pos=pos)
        return Identifier(_name(token), pos=pos)

    def application(self, pos, children):
        head, *args = children
        qualifier = None
        if isinstance(head, tuple):
            head, qualifier = head
        elif not head.indices and head.symbol in V1_STRING_NAMES:
            self.note("strings", f"{head.symbol} -> {V1_STRING_NAMES[head.symbol]}")
            head = Identifier(V1_STRING_NAMES[head.symbol], pos=head.pos)
        return App(head, tuple(args), qualifier, pos=pos)

    def qualifier(self, pos, children):
        identifier, sort = children
        return identifier, sort

    def qualified_term(self, pos, children):
        identifier, sort = children
        return App(identifier, (), sort, pos=pos)

    def annotated(self, pos, children):
        term, *attributes = children
        return Annotated(term, tuple(attributes), pos=pos)

    def let_term(self, pos, children):
        *bindings, body = children
        return Let(tuple(bindings), body, pos=pos)

    def forall_term(self, pos, children):
        *variables, body = children
        return Quantified("forall", tuple(variables), body, pos=pos)

    def exists_term(self, pos, children):
        *variables, body = children
        return Quantified("exists", tuple(variables), body, pos=pos)

    def var_binding(self, pos, children):
        name, term = children
        return _name(name), term

    def var_binding_v1(self, pos, children):
        name, _sort, term = children
        self.note("let", _name(name))
        return _name(name), term

    def sorted_var(self, pos, children):
        name, sort = children
        return _name(name), sort

    def sorted_var_list(self, pos, children):
        return tuple(children)

    def sort_list(self, pos, children):
        return tuple(children)

    def literal(self, pos, children):
        if children[0].type in ("NUMERAL", "DECIMAL"):
            _check_magnitude(str(children[0]), _token_pos(children[0]), self.path)
        return _literal(children[0])

    # ---- sorts and identifiers

    def sort(self, pos, children):
        identifier = children[0]
        return Sort(identifier.symbol, identifier.indices, pos=identifier.pos)

    def sort_application(self, pos, children):
        identifier, *params = children
        return Sort(identifier.symbol, identifier.indices, tuple(params), pos=pos)

    def sort_indexed_v1(self, pos, children):
        name, *indices = children
        self.note("bitvec", f"({name} {' '.join(indices)})")
        return Sort(_name(name), tuple(int(index) for index in indices), pos=pos)

    def plain_identifier(self, pos, children):
        return Identifier(_name(children[0]), pos=_token_pos(children[0]))

    def indexed_identifier(self, pos, children):
        symbol, *indices = children
        return Identifier(_name(symbol), tuple(int(i) if i.type == "NUMERAL" else _name(i) for i in indices),
                          pos=pos)

    # ---- attributes and s-expressions

    def attribute(self, pos, children):
        keyword, *value = children
        return Attribute(keyword[1:], value[0] if value else None, pos=_token_pos(keyword))

    def symbol_value(self, pos, children):
        return Identifier(_name(children[0]), pos=_token_pos(children[0]))

    def keyword_value(self, pos, children):
        return Identifier(str(children[0]), pos=_token_pos(children[0]))

    def s_expr_list(self, pos, children):
        return SExpr(tuple(children), pos=pos)


# sycam computes in 64-bit floats (largest about 1.8e308): a numeral with more integer digits
# than that range holds is refused where it is written, not when the search meets it.
MAX_INTEGER_DIGITS = 308
MAX_LITERAL_CHARS = 400


def _check_magnitude(text: str, pos: Pos, path: str) -> None:
    """A numeral or decimal beyond the float range (or absurdly long) is a located error."""
    digits = len(text.split(".")[0].lstrip("0"))
    if digits > MAX_INTEGER_DIGITS or len(text) > MAX_LITERAL_CHARS:
        raise SygusError(f"number of {len(text)} characters is out of range: sycam computes in 64-bit floats, "
                         "whose range ends near 1.8e308", pos, path,
                         f"write a constant of at most {MAX_INTEGER_DIGITS} digits before the point "
                         f"and {MAX_LITERAL_CHARS} characters in all")


def _literal(token: Token) -> Literal:
    """A literal token as a Literal node (strings unescaped, #x/#b prefixes removed)."""
    kind = _LITERAL_KINDS[token.type]
    text = str(token)
    if kind == "string":
        text = text[1:-1].replace('""', '"')
    elif kind in ("hex", "binary"):
        text = text[2:]
    return Literal(kind, text, pos=_token_pos(token))


_LITERAL_KINDS = {
    "NUMERAL": "numeral", "DECIMAL": "decimal", "HEXADECIMAL": "hex", "BINARY": "binary",
    "STRING": "string", "TRUE": "bool", "FALSE": "bool",
}


def _is_plain_identifier(term: Term) -> bool:
    return isinstance(term, Identifier) and not term.indices


def _is_plain_sort(sort: Sort) -> bool:
    return not sort.indices and not sort.params


def _first_binder(term) -> Let | Quantified | None:
    """The first let/forall/exists inside a grammar rule, if any."""
    if isinstance(term, (Let, Quantified)):
        return term
    if isinstance(term, App):
        for arg in term.args:
            found = _first_binder(arg)
            if found is not None:
                return found
    if isinstance(term, Annotated):
        return _first_binder(term.term)
    return None


# Built once per process (lark also caches the LALR tables on disk). The builder runs inside the
# parser, so no parse tree is ever made; "term" is a second entry point for solution readers.
_BUILDER = _AstBuilder()
_LARK = Lark(
    _GRAMMAR_FILE.read_text(encoding="utf-8"),
    parser="lalr", lexer="contextual", maybe_placeholders=False,
    start=["start", "term"], transformer=_BUILDER, cache=True,
)
_TERMINALS = {terminal.name: terminal for terminal in _LARK.terminals}
_PARSING = threading.Lock()  # the shared builder holds one parse's warnings at a time
