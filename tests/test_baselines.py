"""sycam_sygus/baselines.py: the classic methods as read from grammars/baselines.sl."""
from pathlib import Path

import pytest

from sycam_sygus.app.baselines import BASELINES_FILE, ClassicMethod, classic_methods
from sycam_sygus.core.errors import SygusError
from sycam_sygus.ir import REAL, app, var


def test_the_library_file_defines_the_six_classic_methods():
    assert BASELINES_FILE == Path(__file__).resolve().parents[1] / "grammars" / "baselines.sl"
    assert classic_methods() == [
        ClassicMethod("gradcam", "Grad-CAM", var("grads"), ("grads",)),
        ClassicMethod("gradcampp", "Grad-CAM++", var("gradcampp"), ("gradcampp",)),
        ClassicMethod("xgradcam", "XGrad-CAM", var("xgrads"), ("xgrads",)),
        ClassicMethod("eigencam", "EigenCAM", var("eigen"), ("eigen",)),
        ClassicMethod("scorecam", "Score-CAM", var("cic"), ("cic",)),
        ClassicMethod("ablationcam", "Ablation-CAM", var("abl"), ("abl",)),
    ]


def test_compound_bodies_lower_to_ir_and_list_their_terminals_in_logic_order(tmp_path):
    path = tmp_path / "mine.sl"
    path.write_text(
        "(set-logic SYCAM)\n"
        "; a comment line between does not hide the display name\n"
        "; display:   Abl times Grad  \n"
        "; source: here\n"
        "(define-fun mine ((abl Real) (grads Real)) Real (* abl (relu grads)))\n"
    )
    (method,) = classic_methods(path)
    assert method.name == "mine" and method.display_name == "Abl times Grad"
    assert method.expression == app("*", [var("abl"), app("relu", [var("grads")], REAL)], REAL)
    assert method.terminals == ("grads", "abl")  # logic.TERMINALS order, not the parameters'


def test_a_method_without_a_display_line_is_a_located_error(tmp_path):
    path = tmp_path / "bad.sl"
    path.write_text("(set-logic SYCAM)\n; Grad-CAM\n\n(define-fun gradcam ((grads Real)) Real grads)\n")
    with pytest.raises(SygusError) as caught:
        classic_methods(path)
    assert (caught.value.pos.line, caught.value.path) == (4, str(path))
    assert "'gradcam' has no display name" in caught.value.message and "; display: NAME" in caught.value.hint


def test_a_missing_definitions_file_names_the_expected_path(tmp_path):
    with pytest.raises(SygusError) as caught:
        classic_methods(tmp_path / "grammars" / "baselines.sl")
    assert str(tmp_path / "grammars" / "baselines.sl") in caught.value.message
    assert "pip install" in caught.value.hint


def test_an_ill_sorted_definition_is_the_checkers_error(tmp_path):
    path = tmp_path / "bad.sl"
    path.write_text("(set-logic SYCAM)\n; display: X\n(define-fun x ((grads Real)) Real (+ grads gradz))\n")
    with pytest.raises(SygusError, match="gradz"):
        classic_methods(path)


def test_a_non_editable_install_ships_the_definitions_inside_the_package():
    """pyproject.toml maps grammars/ to sycam_sygus/grammars with its .sl files as package data,
    the first place the loader looks (a wheel built from it was checked by hand to contain them)."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "sycam_sygus.grammars" in setuptools["packages"]
    assert setuptools["package-dir"]["sycam_sygus.grammars"] == "grammars"
    shipped = setuptools["package-data"]["sycam_sygus.grammars"]
    assert any(Path("baselines.sl").match(pattern) for pattern in shipped)
    import sycam_sygus.app.baselines as baselines

    assert baselines._PLACES[0] == Path(baselines.__file__).resolve().parents[1] / "grammars" / "baselines.sl"
