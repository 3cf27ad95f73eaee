"""Property tests of the front end: print -> parse is the identity on well-formed ASTs, and the
parser raises nothing but SygusError on arbitrary text."""
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sycam_sygus.core.errors import SygusError
from sycam_sygus.core.text import sort_text
from sycam_sygus.frontend.ast import (
    Annotated,
    AnyConstant,
    AnyVariable,
    App,
    Attribute,
    ChcConstraint,
    CheckSynth,
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
from sycam_sygus.frontend.parser import V1_STRING_NAMES, parse_term, parse_text
from sycam_sygus.frontend.printer import print_script, print_term

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SYMBOL_CHARS = string.ascii_letters + string.digits + "~!@$%^&*_-+=<>.?/"

# ------------------------------------------------------------------ strategies

simple_symbols = st.builds(str.__add__, st.sampled_from(string.ascii_letters + "~!@$%^&*_-+=<>.?/"),
                           st.text(SYMBOL_CHARS, max_size=6))
# Names that only survive printing when quoted: reserved words, keyword look-alikes, v1-looking
# negative numbers, spaces, parentheses, digits first, non-ASCII.
awkward_symbols = st.one_of(
    st.sampled_from(["let", "forall", "exists", "!", "_", "as", "Constant", "Variable", "par",
                     "true", "false", "-1", "-2.5", ":k", "1x", "", "a b", "(", ";", '"', "é"]),
    st.text(st.characters(blacklist_characters="|\\", blacklist_categories=("Cs",)), max_size=5),
)
symbols = st.one_of(simple_symbols, simple_symbols, awkward_symbols).filter(
    lambda name: name not in V1_STRING_NAMES)
keywords = st.text(SYMBOL_CHARS, min_size=1, max_size=6)
numerals = st.integers(min_value=0, max_value=10**30).map(str)

literals = st.one_of(
    st.builds(Literal, st.just("numeral"), numerals),
    st.builds(lambda whole, frac: Literal("decimal", f"{whole}.{frac}"), numerals,
              st.text(string.digits, min_size=1, max_size=4)),
    st.builds(Literal, st.just("hex"), st.text(string.hexdigits, min_size=1, max_size=8)),
    st.builds(Literal, st.just("binary"), st.text("01", min_size=1, max_size=8)),
    st.builds(Literal, st.just("bool"), st.sampled_from(["true", "false"])),
    st.builds(Literal, st.just("string"), st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)),
)
indices = st.lists(st.one_of(st.integers(0, 64), symbols), min_size=1, max_size=3).map(tuple)
identifiers = st.one_of(st.builds(Identifier, symbols), st.builds(Identifier, symbols, indices))

sorts = st.recursive(
    st.one_of(st.builds(Sort, symbols), st.builds(Sort, symbols, indices)),
    lambda inner: st.builds(Sort, symbols, st.one_of(st.just(()), indices),
                            st.lists(inner, min_size=1, max_size=3).map(tuple)),
    max_leaves=6,
)
sorted_vars = st.lists(st.tuples(symbols, sorts), max_size=3).map(tuple)
nonempty_sorted_vars = st.lists(st.tuples(symbols, sorts), min_size=1, max_size=3).map(tuple)

s_exprs = st.recursive(
    st.one_of(literals, st.builds(Identifier, symbols),
              st.builds(lambda k: Identifier(":" + k), keywords)),
    lambda inner: st.builds(SExpr, st.lists(inner, max_size=3).map(tuple)),
    max_leaves=6,
)
values = st.one_of(literals, st.builds(Identifier, symbols),
                   st.builds(SExpr, st.lists(s_exprs, max_size=3).map(tuple)))
attributes = st.builds(Attribute, keywords, st.one_of(st.none(), values))


def applications(inner):
    return st.one_of(
        st.builds(App, identifiers, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(App, identifiers, st.lists(inner, min_size=1, max_size=2).map(tuple), sorts),
        st.builds(App, identifiers, st.just(()), sorts),
    )


binder_free_terms = st.recursive(st.one_of(identifiers, literals), applications, max_leaves=8)
terms = st.recursive(
    st.one_of(identifiers, literals),
    lambda inner: st.one_of(
        applications(inner),
        st.builds(Annotated, inner, st.lists(attributes, min_size=1, max_size=2).map(tuple)),
        st.builds(Let, st.lists(st.tuples(symbols, inner), min_size=1, max_size=2).map(tuple), inner),
        st.builds(Quantified, st.sampled_from(["forall", "exists"]), nonempty_sorted_vars, inner),
    ),
    max_leaves=8,
)
gterms = st.one_of(binder_free_terms, st.builds(AnyConstant, sorts), st.builds(AnyVariable, sorts))


@st.composite
def grammars(draw):
    groups = draw(st.lists(st.builds(GroupedRules, symbols, sorts,
                                     st.lists(gterms, min_size=1, max_size=3).map(tuple)),
                           min_size=1, max_size=3))
    return Grammar(tuple((group.name, group.sort) for group in groups), tuple(groups))


@st.composite
def datatypes(draw):
    constructors = st.lists(st.builds(Constructor, symbols, sorted_vars), min_size=1, max_size=3).map(tuple)
    if draw(st.booleans()):
        params = draw(st.lists(symbols, max_size=2).map(tuple))
        return DeclareDatatypes(((draw(symbols), len(params), params, draw(constructors)),), single=True)
    entries = draw(st.lists(st.tuples(symbols, st.integers(0, 3), st.lists(symbols, max_size=2).map(tuple),
                                      constructors), min_size=1, max_size=3))
    return DeclareDatatypes(tuple(entries))


commands = st.one_of(
    st.builds(SetLogic, symbols),
    st.builds(SetOption, keywords, values),
    st.builds(SetFeature, keywords, st.booleans()),
    st.builds(SetInfo, attributes),
    st.builds(DeclareVar, symbols, sorts, st.booleans()),
    st.builds(DeclareWeight, symbols, st.lists(attributes, max_size=2).map(tuple)),
    st.builds(DefineFun, symbols, sorted_vars, sorts, terms),
    st.builds(DefineSort, symbols, st.lists(symbols, max_size=3).map(tuple), sorts),
    st.builds(DeclareSort, symbols, st.integers(0, 5)),
    datatypes(),
    st.builds(SynthFun, symbols, sorted_vars, sorts, st.one_of(st.none(), grammars())),
    st.builds(lambda name, params, grammar: SynthFun(name, params, Sort("Bool"), grammar, invariant=True),
              symbols, sorted_vars, st.one_of(st.none(), grammars())),
    st.builds(Constraint, st.sampled_from(["constraint", "assume"]), terms),
    st.builds(ChcConstraint, sorted_vars, terms, terms),
    st.builds(InvConstraint, symbols, symbols, symbols, symbols),
    st.builds(OptimizeSynth, st.lists(terms, max_size=2).map(tuple),
              st.lists(attributes, max_size=2).map(tuple)),
    st.builds(DeclareOracleFun, symbols, st.lists(sorts, max_size=3).map(tuple), sorts, symbols),
    st.builds(OracleConstraint, st.sampled_from(["oracle-assume", "oracle-constraint"]), symbols,
              sorted_vars, sorted_vars, terms),
    st.builds(lambda kind, function, binary: OracleConstraint(kind, binary, term=Identifier(function)),
              st.sampled_from(["oracle-constraint-io", "oracle-constraint-cex",
                               "oracle-constraint-membership", "oracle-constraint-poswitness",
                               "oracle-constraint-negwitness", "declare-correctness-oracle",
                               "declare-correctness-cex-oracle"]),
              symbols, symbols),
    st.just(CheckSynth()),
)

# ------------------------------------------------------------------ canonical output


def test_old_spellings_print_in_v2_form_one_command_per_line():
    old = """(set-logic SLIA)
(synth-fun f ((s String) (b (BitVec 8))) String
  ((Start String (s (int.to.str I))) (I Int (-1 (str.to.int Start)))))
(declare-oracle-fun o ./bin (Int) Int)
(oracle-constraint ./chk ((x Int)) ((y Int)) (= y (f x)))
(check-synth)
"""
    assert print_script(parse_text(old)) == (
        "(set-logic SLIA)\n"
        "(synth-fun f ((s String) (b (_ BitVec 8))) String ((Start String) (I Int)) "
        "((Start String (s (str.from_int I))) (I Int ((- 1) (str.to_int Start)))))\n"
        "(declare-oracle-fun o (Int) Int ./bin)\n"
        "(oracle-constraint ((x Int)) ((y Int)) (= y (f x)) ./chk)\n"
        "(check-synth)\n")


def test_strings_escape_quotes_and_symbols_are_quoted_only_when_needed():
    term = App(Identifier("str.++"), (Literal("string", 'say "hi"'), Identifier("a b"), Identifier("-1"),
                                      Identifier("let"), Identifier("x.y")))
    assert print_term(term) == '(str.++ "say ""hi""" |a b| |-1| |let| x.y)'


def test_nullary_applications_print_as_valid_terms():
    assert print_term(App(Identifier("nil"), (), Sort("List", (), (Sort("Int"),)))) == "(as nil (List Int))"
    # not produced by the parser, but built by hand it must still print as SyGuS
    assert parse_term(print_term(App(Identifier("c"), ()))) == Identifier("c")


def test_sorts_print_in_standard_form():
    assert sort_text(Sort("BitVec", (32,))) == "(_ BitVec 32)"
    assert sort_text(Sort("->", (), (Sort("Real"), Sort("Real")))) == "(-> Real Real)"
    assert sort_text(Sort("Array", (), (Sort("Int"), Sort("BitVec", (8,))))) == "(Array Int (_ BitVec 8))"


def test_attributes_and_s_expressions_print_as_written():
    script = ('(set-option :sycam.tiers "30 100 300")\n(set-info :x (:k 1 (a)))\n'
              "(optimize-synth ((! (f w) :max)))\n")
    assert print_script(parse_text(script)) == script


# ------------------------------------------------------------------ round trips


@SETTINGS
@given(terms)
def test_terms_round_trip(term):
    assert parse_term(print_term(term)) == term


@SETTINGS
@given(sorts)
def test_sorts_round_trip(sort):
    (declaration,) = parse_text(f"(declare-var x {sort_text(sort)})").commands
    assert declaration.sort == sort


@SETTINGS
@given(st.lists(commands, max_size=4))
def test_scripts_round_trip(command_list):
    script = Script(tuple(command_list))
    assert parse_text(print_script(script)) == script


# ------------------------------------------------------------------ robustness

TOKENS = ["(", ")", "(", ")", "(", ")", " ", "\n", "constraint", "synth-fun", "declare-var",
          "set-logic", "check-synth", "declare-oracle-fun", "define-sort", "let", "forall", "!",
          "_", "as", "par", "Constant", "Int", "(_ BitVec 8)", "x", "-1", "01", "1.", "1.5",
          "#x1F", "#xZZ", "#b2", '"s""t"', '"open', "|q s|", "|open", ":kw", "true", ";c\n",
          "\t", "[", "é", "\\"]


def assert_located_in(error: SygusError, text: str) -> None:
    """A syntax error points at a real place of the text it was raised for."""
    assert 1 <= error.pos.line <= text.count("\n") + 1
    assert error.pos.col >= 1
    assert error.message and "Traceback" not in error.message


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_only_located_sygus_errors(text):
    try:
        parse_text(text)
    except SygusError as error:
        assert_located_in(error, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.booleans())
def test_token_soup_raises_only_located_sygus_errors(tokens, strict):
    text = " ".join(tokens)
    try:
        parse_text(text, strict=strict)
    except SygusError as error:
        assert_located_in(error, text)
    try:
        parse_term(text)
    except SygusError as error:
        assert_located_in(error, text)
