"""Focused tests of the SyGuS-IF 2.1 parser: each syntax feature, each normalisation of older
spellings, and the located errors (exact line, column and message) for malformed input."""
import pytest

from sycam_sygus.core.errors import SygusError
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
    Pos,
    Quantified,
    SetFeature,
    SetInfo,
    SetLogic,
    SetOption,
    SExpr,
    Sort,
    SynthFun,
)
from sycam_sygus.frontend.parser import parse_file, parse_term, parse_text
from sycam_sygus.frontend.printer import print_term

INT, REAL, BOOL = Sort("Int"), Sort("Real"), Sort("Bool")


def only(text: str, strict: bool = False):
    """The single command of a one-command script."""
    (command,) = parse_text(text, strict=strict).commands
    return command


def app(name: str, *args) -> App:
    return App(Identifier(name), tuple(args))


def num(text: str) -> Literal:
    return Literal("numeral", text)


def error_of(text: str, **kwargs) -> SygusError:
    with pytest.raises(SygusError) as caught:
        parse_text(text, **kwargs)
    return caught.value


# ------------------------------------------------------------------ literals and symbols


@pytest.mark.parametrize("written, kind, stored", [
    ("0", "numeral", "0"),
    ("42", "numeral", "42"),
    ("12.50", "decimal", "12.50"),
    ("1.05", "decimal", "1.05"),
    ("#x1aF", "hex", "1aF"),
    ("#b0101", "binary", "0101"),
    ("true", "bool", "true"),
    ("false", "bool", "false"),
    ('"say ""hi"""', "string", 'say "hi"'),
    ('"a\\nb"', "string", "a\\nb"),  # no escapes other than "": backslash-n is two characters
    ('""', "string", ""),
])
def test_literals(written, kind, stored):
    assert parse_term(written) == Literal(kind, stored)


def test_quoted_symbols_are_stored_without_bars_and_equal_plain_ones():
    assert parse_term("|hello world|") == Identifier("hello world")
    assert parse_term("|abc|") == parse_term("abc") == Identifier("abc")
    # a quoted "-1" stays a symbol: only the bare v1 spelling is a negative number
    assert parse_term("|-1|") == Identifier("-1")


def test_symbols_use_every_special_character():
    assert parse_term("a.b-c_d+e*f&g!h~i<j>k=l/m%n?o$p^q@r") == Identifier(
        "a.b-c_d+e*f&g!h~i<j>k=l/m%n?o$p^q@r")


def test_keywords_in_a_symbol_position_are_plain_symbols():
    # `let` or `as` only act as keywords where the grammar allows them
    assert only("(declare-var let Int)") == DeclareVar("let", INT)


# ------------------------------------------------------------------ identifiers, sorts, terms


def test_indexed_identifiers_and_sorts():
    assert parse_term("((_ extract 7 0) x)") == App(Identifier("extract", (7, 0)), (Identifier("x"),))
    assert parse_term("(_ bv4 8)") == Identifier("bv4", (8,))
    assert parse_term("(_ re.loop lo 3)") == Identifier("re.loop", ("lo", 3))
    assert only("(declare-var b (_ BitVec 32))") == DeclareVar("b", Sort("BitVec", (32,)))
    assert only("(declare-var a (Array Int (_ BitVec 8)))") == DeclareVar(
        "a", Sort("Array", (), (INT, Sort("BitVec", (8,)))))


def test_function_sorts_are_arrow_sorts():
    assert only("(declare-var f (-> Real Real Bool))") == DeclareVar("f", Sort("->", (), (REAL, REAL, BOOL)))


def test_applications_nest():
    assert parse_term("(+ x (* 2 y))") == app("+", Identifier("x"), app("*", num("2"), Identifier("y")))


def test_qualified_identifiers():
    list_int = Sort("List", (), (INT,))
    assert parse_term("(as nil (List Int))") == App(Identifier("nil"), (), list_int)
    assert parse_term("((as cons (List Int)) 1 tail)") == App(
        Identifier("cons"), (num("1"), Identifier("tail")), list_int)


def test_annotations():
    term = parse_term('(! (deletion weights) :max :named obj :weight 2 :pattern ((f x) "s"))')
    assert term == Annotated(app("deletion", Identifier("weights")), (
        Attribute("max"),
        Attribute("named", Identifier("obj")),
        Attribute("weight", num("2")),
        Attribute("pattern", SExpr((SExpr((Identifier("f"), Identifier("x"))), Literal("string", "s")))),
    ))


def test_binders():
    assert parse_term("(let ((a 1) (b x)) (+ a b))") == Let(
        (("a", num("1")), ("b", Identifier("x"))), app("+", Identifier("a"), Identifier("b")))
    assert parse_term("(forall ((x Int) (y Real)) (>= x y))") == Quantified(
        "forall", (("x", INT), ("y", REAL)), app(">=", Identifier("x"), Identifier("y")))
    assert parse_term("(exists ((b Bool)) b)") == Quantified("exists", (("b", BOOL),), Identifier("b"))


def test_parse_term_reads_cvc5_solutions():
    term = parse_term("(let ((_let_1 (/ 1 2))) (ite (>= x _let_1) _let_1 (- 1)))")
    half = app("/", num("1"), num("2"))
    assert term == Let((("_let_1", half),), app(
        "ite", app(">=", Identifier("x"), Identifier("_let_1")), Identifier("_let_1"), app("-", num("1"))))


def test_comments_and_crlf_are_whitespace():
    script = parse_text("; header\r\n(set-logic LIA) ; trailing\r\n\r\n(check-synth)\r\n")
    assert script.commands == (SetLogic("LIA"), CheckSynth())
    assert script.commands[1].pos == Pos(4, 1)


# ------------------------------------------------------------------ commands


def test_every_plain_command():
    x = Identifier("x")
    cases = {
        "(set-logic SYCAM)": SetLogic("SYCAM"),
        "(set-feature :oracles true)": SetFeature("oracles", True),
        "(set-feature :grammars false)": SetFeature("grammars", False),
        '(set-option :sycam.model "builtin:cluttered-mnist")':
            SetOption("sycam.model", Literal("string", "builtin:cluttered-mnist")),
        "(set-option :sycam.images 300)": SetOption("sycam.images", num("300")),
        "(set-option :produce-models true)": SetOption("produce-models", Literal("bool", "true")),
        "(set-option :mode fast)": SetOption("mode", Identifier("fast")),
        "(set-option :list (1 :k (a)))": SetOption(
            "list", SExpr((num("1"), Identifier(":k"), SExpr((Identifier("a"),))))),
        '(set-info :source "lib")': SetInfo(Attribute("source", Literal("string", "lib"))),
        "(set-info :status sat)": SetInfo(Attribute("status", Identifier("sat"))),
        "(set-info :flag)": SetInfo(Attribute("flag")),
        "(declare-var x Int)": DeclareVar("x", INT),
        "(declare-weight w :default 1)": DeclareWeight("w", (Attribute("default", num("1")),)),
        "(declare-weight w)": DeclareWeight("w"),
        "(declare-sort U 0)": DeclareSort("U", 0),
        "(define-fun relu ((v Real)) Real (ite (>= v 0) v 0))": DefineFun(
            "relu", (("v", REAL),), REAL, app("ite", app(">=", Identifier("v"), num("0")),
                                              Identifier("v"), num("0"))),
        "(define-fun one () Int 1)": DefineFun("one", (), INT, num("1")),
        "(define-sort Word (_ BitVec 16))": DefineSort("Word", (), Sort("BitVec", (16,))),
        "(define-sort Pair (A B) (Tuple A B))": DefineSort(
            "Pair", ("A", "B"), Sort("Tuple", (), (Sort("A"), Sort("B")))),
        "(define-sort Box (A) (Array Int A))": DefineSort("Box", ("A",), Sort("Array", (), (INT, Sort("A")))),
        "(define-sort Same () Int)": DefineSort("Same", (), INT),
        "(constraint (= x 1))": Constraint("constraint", app("=", x, num("1"))),
        "(assume (> x 0))": Constraint("assume", app(">", x, num("0"))),
        "(chc-constraint ((x Int)) (> x 0) (inv x))": ChcConstraint(
            (("x", INT),), app(">", x, num("0")), app("inv", x)),
        "(inv-constraint inv pre trans post)": InvConstraint("inv", "pre", "trans", "post"),
        "(optimize-synth ((! (deletion weights) :max)) :id 1)": OptimizeSynth(
            (Annotated(app("deletion", Identifier("weights")), (Attribute("max"),)),),
            (Attribute("id", num("1")),)),
        "(check-synth)": CheckSynth(),
    }
    for text, expected in cases.items():
        assert only(text) == expected, text


def test_synth_fun_with_and_without_grammar():
    plain = only("(synth-fun f ((x Int) (y Int)) Int)")
    assert plain == SynthFun("f", (("x", INT), ("y", INT)), INT)
    with_grammar = only("""
        (synth-fun weights ((grads Real) (cic Real)) Real
          ((W Real) (T Real))
          ((W Real (T (+ W W) (Constant Real) (Variable Real)))
           (T Real (grads cic))))""")
    w, t = Identifier("W"), Identifier("T")
    assert with_grammar == SynthFun("weights", (("grads", REAL), ("cic", REAL)), REAL, Grammar(
        (("W", REAL), ("T", REAL)),
        (GroupedRules("W", REAL, (t, app("+", w, w), AnyConstant(REAL), AnyVariable(REAL))),
         GroupedRules("T", REAL, (Identifier("grads"), Identifier("cic"))))))
    assert with_grammar.pos == Pos(2, 9)
    assert with_grammar.grammar.groups[1].pos == Pos(5, 12)


def test_datatypes():
    single = only("(declare-datatype Color ((red) (green) (rgb (r Int) (g Int))))")
    assert single == DeclareDatatypes((("Color", 0, (), (
        Constructor("red", ()), Constructor("green", ()),
        Constructor("rgb", (("r", INT), ("g", INT))))),), single=True)
    several = only("(declare-datatypes ((Tree 0) (List 1)) (((leaf) (node (l Tree)))"
                   " (par (T) ((nil) (cons (hd T) (tl (List T)))))))")
    assert several == DeclareDatatypes((
        ("Tree", 0, (), (Constructor("leaf", ()), Constructor("node", (("l", Sort("Tree")),)),)),
        ("List", 1, ("T",), (Constructor("nil", ()), Constructor(
            "cons", (("hd", Sort("T")), ("tl", Sort("List", (), (Sort("T"),)))))))))
    assert not several.single


@pytest.mark.parametrize("parameters", ["U", "(U (V W))", "(_ BitVec 8)"])
def test_define_sort_parameters_must_be_a_list_of_symbols(parameters):
    error = error_of(f"(define-sort S {parameters} Int)")
    # "(define-sort S " is 15 characters: the parameters start at column 16
    assert (error.pos, error.message) == (Pos(1, 16), "sort parameters must be a list of plain symbols")


def test_datatypes_count_mismatch_is_an_error():
    error = error_of("(declare-datatypes ((A 0) (B 0)) (((a))))")
    assert (error.pos, error.message) == (Pos(1, 1), "declare-datatypes names 2 sorts but defines 1")


# ------------------------------------------------------------------ oracles


SYCAM_ORACLE = DeclareOracleFun("deletion", (Sort("->", (), (REAL, REAL, REAL, REAL)),), REAL,
                                "sycam.deletion")


def test_declare_oracle_fun_standard_order_has_no_warning():
    script = parse_text("(declare-oracle-fun deletion ((-> Real Real Real Real)) Real sycam.deletion)")
    assert script.commands == (SYCAM_ORACLE,)
    assert script.warnings == ()


def test_declare_oracle_fun_delphi_order_is_normalised_with_a_warning():
    script = parse_text("(declare-oracle-fun deletion sycam.deletion ((-> Real Real Real Real)) Real)")
    assert script.commands == (SYCAM_ORACLE,)
    assert len(script.warnings) == 1 and "oracle" in script.warnings[0]


def test_declare_oracle_fun_binary_before_an_indexed_result_sort():
    script = parse_text("(declare-oracle-fun ref ((_ BitVec 8)) oracle.sh (_ BitVec 8))")
    bv8 = Sort("BitVec", (8,))
    assert script.commands == (DeclareOracleFun("ref", (bv8,), bv8, "oracle.sh"),)
    assert len(script.warnings) == 1


def test_oracle_constraints_in_three_orders():
    expected = OracleConstraint("oracle-constraint", "./check.sh", (("x", INT),), (("ok", BOOL),),
                                app("=>", Identifier("ok"), app("f", Identifier("x"))))
    standard = parse_text("(oracle-constraint ((x Int)) ((ok Bool)) (=> ok (f x)) ./check.sh)")
    examples = parse_text("(oracle-constraint ((x Int)) ((ok Bool)) ./check.sh (=> ok (f x)))")
    delphi = parse_text("(oracle-constraint ./check.sh ((x Int)) ((ok Bool)) (=> ok (f x)))")
    assert standard.commands == examples.commands == delphi.commands == (expected,)
    assert standard.warnings == ()
    assert len(examples.warnings) == len(delphi.warnings) == 1
    assume = only("(oracle-assume () ((y Int)) (> y 0) gen)")
    assert assume == OracleConstraint("oracle-assume", "gen", (), (("y", INT),),
                                      app(">", Identifier("y"), num("0")))


@pytest.mark.parametrize("kind", [
    "oracle-constraint-io", "oracle-constraint-cex", "oracle-constraint-membership",
    "oracle-constraint-poswitness", "oracle-constraint-negwitness", "declare-correctness-oracle",
    "declare-correctness-cex-oracle"])
def test_oracle_symbol_pair_commands(kind):
    assert only(f"({kind} f ./oracle)") == OracleConstraint(kind, "./oracle", term=Identifier("f"))


def test_cam_theory_problem_file_parses():
    script = parse_text("""
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.tiers "30 100 300")
(synth-fun weights ((grads Real) (cic Real) (abl Real)) Real
  ((W Real) (T Real))
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads cic abl))))
(define-fun gradcam ((grads Real) (cic Real) (abl Real)) Real grads)
(declare-oracle-fun deletion ((-> Real Real Real Real)) Real sycam.deletion)
(constraint (>= (deletion weights) (deletion gradcam)))
(check-synth)
""")
    assert [type(c).__name__ for c in script.commands] == [
        "SetLogic", "SetFeature", "SetOption", "SynthFun", "DefineFun", "DeclareOracleFun",
        "Constraint", "CheckSynth"]
    assert script.commands[5] == SYCAM_ORACLE
    assert script.warnings == ()


# ------------------------------------------------------------------ v1 / v2.0 normalisation


def test_synth_inv_and_declare_primed_var():
    assert only("(synth-inv inv ((x Int)))") == SynthFun("inv", (("x", INT),), BOOL, invariant=True)
    assert only("(declare-primed-var x Int)") == DeclareVar("x", INT, primed=True)


def test_v1_grammar_gets_a_predeclaration_from_its_rule_lists():
    script = parse_text("(synth-fun f ((x Int)) Int ((Start Int (x 1 (+ Start B))) (B Int (0))))")
    (command,) = script.commands
    assert command.grammar.predeclaration == (("Start", INT), ("B", INT))
    assert [group.name for group in command.grammar.groups] == ["Start", "B"]
    assert script.warnings == (
        "v1 grammar without predeclaration: predeclaration taken from the rule lists: Start",)


def test_v1_grammar_starts_at_start_wherever_it_is_listed():
    script = parse_text("(synth-fun f ((x Int)) Bool ((B Int (x 0)) (Start Bool ((< B B)))))")
    grammar = script.commands[0].grammar
    assert grammar.predeclaration == (("Start", BOOL), ("B", INT))
    assert [group.name for group in grammar.groups] == ["Start", "B"]
    assert script.warnings == (
        "v1 grammar without predeclaration: predeclaration taken from the rule lists: B",
        "v1 grammar listing Start later: Start moved first, where 2.1 starts: grammar at line 1")


def test_v1_bitvec_sort_without_underscore():
    script = parse_text("(declare-var x (BitVec 32))")
    assert script.commands == (DeclareVar("x", Sort("BitVec", (32,))),)
    assert script.warnings == ("v1 sorts without '_' read as indexed sorts: (BitVec 32)",)


def test_v1_negative_literals_become_unary_minus_with_one_counted_warning():
    script = parse_text("(constraint (= (f -1) -2.5))\n(constraint (= (f -1) 3))")
    first, second = script.commands
    assert first.term == app("=", app("f", app("-", num("1"))), app("-", Literal("decimal", "2.5")))
    assert second.term.args[0] == app("f", app("-", num("1")))
    assert script.warnings == ("v1 negative literals read as (- n): -1, -2.5 (3 times)",)


def test_negative_literal_positions():
    term = parse_term("(f -7)")
    minus = term.args[0]
    assert minus.pos == minus.head.pos == Pos(1, 4)
    assert minus.args[0].pos == Pos(1, 5)


def test_v1_string_names_are_renamed():
    script = parse_text("(constraint (= (str.to.int (int.to.str 5)) (str.to.int \"5\")))")
    term = script.commands[0].term
    assert term == app("=", app("str.to_int", app("str.from_int", num("5"))),
                       app("str.to_int", Literal("string", "5")))
    assert script.warnings == (
        "v1 string names read as SMT-LIB 2.6 names: int.to.str -> str.from_int, "
        "str.to.int -> str.to_int (3 times)",)


def test_v1_typed_let_drops_the_sort():
    script = parse_text("(constraint (let ((y Int (+ x 1))) (> y 0)))")
    assert script.commands[0].term == Let((("y", app("+", Identifier("x"), num("1"))),),
                                          app(">", Identifier("y"), num("0")))
    assert script.warnings == ("v1 typed let bindings: the sort is dropped: y",)


# ------------------------------------------------------------------ ordering rule


def test_ordering_is_lenient_by_default_with_a_warning():
    script = parse_text("(declare-var x Int)\n(set-option :a 1)\n(set-logic LIA)")
    assert len(script.commands) == 3
    assert script.warnings == (
        "commands out of the standard order (set-logic, set-feature/set-option, the rest): "
        "set-option, set-logic (2 times)",)


def test_ordering_in_strict_mode_is_an_error_at_the_offending_command():
    error = error_of("(set-logic LIA)\n(declare-var x Int)\n  (set-feature :weights true)", strict=True)
    assert (error.pos, error.message) == (Pos(3, 3), "set-feature after later commands")
    assert "set-logic, then set-feature/set-option" in error.hint


def test_well_ordered_script_passes_strict_mode():
    script = parse_text("(set-logic LIA)(set-feature :grammars true)(set-option :x 1)"
                        "(set-info :a 1)(declare-var x Int)(check-synth)", strict=True)
    assert len(script.commands) == 6 and script.warnings == ()


# ------------------------------------------------------------------ errors


def test_unclosed_parenthesis_points_at_the_open_one():
    error = error_of("(set-logic LIA)\n(constraint (= x 1)\n(check-synth)")
    assert (error.pos, error.message) == (Pos(2, 1), "unbalanced '(': it is never closed")


def test_stray_closing_parenthesis():
    error = error_of("(set-logic LIA)\n(check-synth))")
    assert (error.pos, error.message) == (Pos(2, 14), "unbalanced ')': no '(' is open here")


def test_parentheses_in_strings_comments_and_quoted_symbols_do_not_count():
    script = parse_text('; (((\n(constraint (= |a)b| ")("))')
    assert script.commands[0].term == app("=", Identifier("a)b"), Literal("string", ")("))


def test_unknown_command_suggests_the_closest():
    error = error_of("(set-logic LIA)\n  (synth-fn f () Int)")
    assert (error.pos, error.message) == (Pos(2, 4), "unknown command 'synth-fn'")
    assert error.hint == "did you mean 'synth-fun'?"


def test_smt_lib_commands_get_a_sygus_hint():
    error = error_of("(declare-fun f (Int) Int)")
    assert (error.pos, error.message) == (Pos(1, 2), "unknown command 'declare-fun'")
    assert "synth-fun" in error.hint


@pytest.mark.parametrize("literal, hint_part", [
    ("01", "no leading zeros"),
    ("#xZZ", "#x followed by digits"),
    ("#b012", "bits 0 and 1"),
    ("1.", "digits after the point"),
    ("12abc", "cannot start with a digit"),
])
def test_bad_literals(literal, hint_part):
    error = error_of(f"(set-logic LIA)\n(constraint (= x {literal}))")
    assert (error.pos, error.message) == (Pos(2, 18), f"bad literal '{literal}'")
    assert hint_part in error.hint


@pytest.mark.parametrize("binder, word", [("(let ((y x)) y)", "let"), ("(exists ((y Int)) y)", "exists")])
def test_binders_inside_grammar_rules_are_rejected(binder, word):
    text = f"(synth-fun f ((x Int)) Int ((S Int)) ((S Int (x (+ S {binder})))))"
    error = error_of(text)
    assert text.index(binder) + 1 == 54
    assert (error.pos, error.message) == (Pos(1, 54), f"grammar rules may not use binders ('{word}')")


def test_unexpected_token_says_what_was_expected():
    error = error_of("(set-logic LIA)\n(declare-var x Int 3)")
    assert (error.pos, error.message) == (Pos(2, 20), "unexpected literal 3")
    assert error.hint == "expected ')'"
    with pytest.raises(SygusError) as trailing:
        parse_term("x y")
    assert (trailing.value.pos, trailing.value.message, trailing.value.hint) == (
        Pos(1, 3), "unexpected symbol 'y'", "expected the end of the input")
    missing_term = error_of("(constraint)")
    assert (missing_term.pos, missing_term.message, missing_term.hint) == (
        Pos(1, 12), "unexpected ')'", "expected a term")


def test_unexpected_end_of_input():
    with pytest.raises(SygusError) as caught:
        parse_term("  ")
    assert (caught.value.pos, caught.value.message) == (Pos(1, 3), "unexpected end of input")


def test_unterminated_string_and_quoted_symbol():
    error = error_of('(constraint (= s "abc))\n')
    assert (error.pos, error.message) == (Pos(1, 18), "unterminated string literal")
    error = error_of("(constraint (= |abc x))")
    assert (error.pos, error.message) == (Pos(1, 16), "unterminated quoted symbol")


def test_unexpected_character():
    error = error_of("(constraint (= x [1]))")
    assert (error.pos, error.message) == (Pos(1, 18), "unexpected character '['")


def test_error_carries_the_path_and_renders_a_caret():
    text = "(set-logic LIA)\n(constraint (= x 01))"
    error = error_of(text, path="p.sl")
    assert str(error) == "p.sl:2:18: error: bad literal '01'"
    assert error.render(text).splitlines()[1:3] == ["  (constraint (= x 01))", "                   ^"]


def test_parse_file(tmp_path):
    problem = tmp_path / "p.sl"
    problem.write_text("\ufeff(set-logic LIA)\n(check-synth)\n", encoding="utf-8")  # with a BOM
    script = parse_file(str(problem))
    assert script.path == str(problem)
    assert script.commands == (SetLogic("LIA"), CheckSynth())
    assert script.commands[1].pos == Pos(2, 1)


def test_unreadable_file_is_a_sygus_error(tmp_path):
    missing = tmp_path / "missing.sl"
    with pytest.raises(SygusError) as caught:
        parse_file(str(missing))
    assert caught.value.message.startswith(f"cannot read '{missing}'")
    binary = tmp_path / "binary.sl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SygusError, match="cannot read"):
        parse_file(str(binary))


def test_absurd_nesting_is_a_located_error():
    error = error_of("(constraint\n" + "(f " * 1000 + "x" + ")" * 1000 + ")")
    # the 201st "(" is the 200th "(f" of line 2: column 3 * 199 + 1
    assert (error.pos, error.message) == (Pos(2, 598), "nesting deeper than 200 parentheses")


def test_deep_but_allowed_nesting_round_trips():
    depth = 199
    term = parse_term("(f " * depth + "x" + ")" * depth)
    assert parse_term(print_term(term)) == term
