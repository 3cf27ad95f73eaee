"""The grammar library: every file parses and checks, says at its top what it needs, agrees with
baselines.sl, and contains the classic methods it compares against; templates carry placeholders."""
import re
from pathlib import Path

import pytest

from sycam_sygus.app.baselines import classic_methods
from sycam_sygus.core import logic
from sycam_sygus.frontend import ast
from sycam_sygus.frontend.checker import check
from sycam_sygus.frontend.lower import load_problem, lower_term, sort_of
from sycam_sygus.frontend.parser import parse_file
from sycam_sygus.ir import derivable, to_sygus, var

GRAMMARS = Path(__file__).resolve().parents[1] / "grammars"
ALL_FILES = sorted(GRAMMARS.glob("*.sl")) + sorted((GRAMMARS / "templates").glob("*.sl"))
PROBLEM_FILES = [path for path in ALL_FILES if any(
    isinstance(command, ast.CheckSynth) for command in parse_file(str(path)).commands)]
TEMPLATES = sorted((GRAMMARS / "templates").glob("*.sl"))
# The classic methods' weight expressions, as CAM-THEORY section 3 defines them.
CLASSIC_BODIES = {"gradcam": "grads", "gradcampp": "gradcampp", "xgradcam": "xgrads", "eigencam": "eigen",
                  "scorecam": "cic", "ablationcam": "abl"}


def _id(path: Path) -> str:
    return str(path.relative_to(GRAMMARS))


def header(path: Path) -> str:
    """The leading `;` comment block."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith(";"):
            break
        lines.append(line.lstrip("; "))
    return "\n".join(lines)


def header_terminals(path: Path) -> list[str]:
    """The terminal names listed after `Terminals:` in the header, in order."""
    match = re.search(r"^Terminals:(.*)$", header(path), re.MULTILINE)
    assert match, f"{path.name}: no 'Terminals:' line in the header"
    names = []
    for word in re.findall(r"[a-z_]+", match.group(1)):
        if word not in logic.TERMINALS:
            break
        names.append(word)
    return names


def test_library_has_the_expected_files():
    names = {path.name for path in ALL_FILES}
    assert {"paper-g1.sl", "paper-g2.sl", "baselines.sl", "ground-truth.sl", "quickstart.sl"} <= names
    assert len(TEMPLATES) == 15


@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_every_file_parses_and_checks(path):
    script = parse_file(str(path))
    warnings = []
    check(script, warnings)
    assert not warnings and not script.warnings
    if path in PROBLEM_FILES:
        problem = load_problem(str(path))
        assert problem.logic == "SYCAM" and len(problem.goals) == 1 and not problem.warnings


@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_every_header_says_purpose_terminals_and_cost(path):
    text = header(path)
    assert text.splitlines()[0].startswith(path.name + ":")
    assert "Cost per image:" in text
    script = parse_file(str(path))
    functions = [c for c in script.commands if isinstance(c, (ast.SynthFun, ast.DefineFun))]
    for function in functions:  # the synth-fun and every baseline take exactly the listed terminals
        assert [name for name, _ in function.params] == header_terminals(path), function.name


def test_baselines_file_defines_the_classic_methods_over_all_real_terminals():
    script = parse_file(str(GRAMMARS / "baselines.sl"))
    definitions = [c for c in script.commands if isinstance(c, ast.DefineFun)]
    real_terminals = [name for name in logic.TERMINALS if name not in logic.INT_TERMINALS]
    assert {d.name: d.body.symbol for d in definitions} == CLASSIC_BODIES
    for definition in definitions:
        assert [name for name, _ in definition.params] == real_terminals
        assert {sort.name for _, sort in definition.params} == {"Real"}
    # the report's classic methods are read from this file (sycam_sygus/baselines.py)
    assert {m.name: to_sygus(m.expression) for m in classic_methods()} == CLASSIC_BODIES


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=_id)
def test_problem_baselines_agree_with_baselines_file_and_the_grammar_derives_them(path):
    problem = load_problem(str(path))
    assert problem.baselines, "every problem compares against at least one classic method"
    for name, body in problem.baselines.items():
        assert to_sygus(body) == CLASSIC_BODIES[name]
        assert derivable(body, problem.synth.grammar), f"the search space lacks its baseline {name}"


@pytest.mark.parametrize("name", ["paper-g1.sl", "paper-g2.sl", "ground-truth.sl"])
def test_paper_grammars_derive_every_classic_method_they_can_express(name):
    problem = load_problem(str(GRAMMARS / name))
    scope = {param: var(param, sort_of(sort)) for param, sort in problem.synth.params}
    for method, body in CLASSIC_BODIES.items():
        if body in scope:
            assert derivable(lower_term(ast.Identifier(body), scope), problem.synth.grammar), method


def test_g2_is_g1_plus_cic_abl_and_topk_gradients():
    g1 = load_problem(str(GRAMMARS / "paper-g1.sl")).synth
    g2 = load_problem(str(GRAMMARS / "paper-g2.sl")).synth
    assert [p for p, _ in g2.params] == [p for p, _ in g1.params] + ["cic", "abl"]
    assert len(g2.params) == 7
    g1_rules = {to_sygus(r) for rules in g1.grammar.productions.values() for r in rules}
    g2_rules = {to_sygus(r) for rules in g2.grammar.productions.values() for r in rules}
    assert g1_rules < g2_rules
    assert any(rule.startswith("(topk grads ") for rule in g2_rules - g1_rules)


def test_quickstart_is_small_and_cheap_on_the_built_in_data():
    problem = load_problem(str(GRAMMARS / "quickstart.sl"))
    options = problem.settings.as_options()
    assert options["model"] == options["data"] == "builtin:cluttered-mnist"
    assert options["tiers"][-1] == options["images"] <= 100
    assert options["time-limit"] <= 120
    assert not {"cic", "abl"} & {name for name, _ in problem.synth.params}
    assert problem.goals[0].baseline == "gradcam"


@pytest.mark.parametrize("path", TEMPLATES, ids=_id)
def test_templates_name_their_inputs_as_relative_placeholders(path):
    options = load_problem(str(path)).settings.as_options()
    assert options["model"] in {"resnet50", "vgg16", "vgg19"} and path.name.startswith(options["model"])
    for key in ("weights", "data"):
        assert options[key] and not options[key].startswith(("/", "builtin:")), key
    assert options["weights"].startswith("weights/") and options["data"].startswith("data/")
    steps = re.search(r"-p(\d+)-", path.name)
    if steps:
        assert options["steps"] == int(steps.group(1))
    metric = load_problem(str(path)).goals[0].metric
    assert metric.replace("_", "-") in path.name
    if logic.METRICS[metric].needs_masks:
        assert options["masks"].startswith("data/")
