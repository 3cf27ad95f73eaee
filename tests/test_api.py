"""The public API: `sycam_sygus.explain` and `sycam_sygus.score` on model-ready images."""
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from tiny_models import GapNet

import sycam_sygus
from sycam_sygus.api import parse_expression
from sycam_sygus.core.errors import SygusError

MEAN, STD = (0.4, 0.5, 0.6), (0.2, 0.3, 0.25)


@pytest.fixture
def setup():
    torch.manual_seed(0)
    model = GapNet(channels=5).eval()
    pixels = torch.rand(3, 3, 12, 12)
    images = (pixels - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return model, pixels, images


def test_import_does_not_load_torch():
    code = "import sys, sycam_sygus; assert 'torch' not in sys.modules; print(sorted(sycam_sygus.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(sorted(["ExpressionCAM", "builtin_images", "builtin_model", "explain", "score", "show_cam_on_image"]))


def test_explain_is_the_cam_template_of_the_expression(setup):
    model, pixels, images = setup
    maps = sycam_sygus.explain(model, images, "(+ (* 2 act) (pow grads 2))", layer="features")
    with torch.no_grad():
        acts = model.features(images)
        targets = model(images).argmax(dim=1)
    grads = model.classifier.weight[targets] / (6 * 6)  # GAP then linear: dy/dA = w / (h w)
    weights = 2 * acts.mean(dim=(2, 3)) + grads ** 2
    cam = F.relu((weights[:, :, None, None] * acts).sum(dim=1, keepdim=True))
    up = F.interpolate(cam, size=(12, 12), mode="bilinear", align_corners=False)[:, 0]
    low = up.amin(dim=(1, 2), keepdim=True)
    expected = (up - low) / (up.amax(dim=(1, 2), keepdim=True) - low)
    torch.testing.assert_close(maps, expected, rtol=1e-5, atol=1e-5)
    assert maps.shape == (3, 12, 12)


def test_positive_scaling_does_not_change_maps_and_layer_module_equals_path(setup):
    model, _, images = setup
    base = sycam_sygus.explain(model, images, "grads", layer="features")
    torch.testing.assert_close(sycam_sygus.explain(model, images, "(* grads 3.5)", layer=model.features), base)


def test_avg_drop_uses_pixel_space_products(setup):
    model, pixels, images = setup
    maps = sycam_sygus.explain(model, images, "act", layer="features", targets=[1, 2, 3], normalize=(MEAN, STD))
    values = sycam_sygus.score(model, images, "act", "avg_drop", layer="features", targets=[1, 2, 3],
                               normalize=(MEAN, STD))
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    targets = torch.tensor([1, 2, 3])
    with torch.no_grad():
        clean = model(images).softmax(dim=1)[torch.arange(3), targets]
        masked = model((pixels * maps[:, None] - mean) / std).softmax(dim=1)[torch.arange(3), targets]
    expected = (clean - masked).clamp_min(0) / clean
    torch.testing.assert_close(values, expected.double(), rtol=1e-4, atol=1e-6)


def test_mask_metrics_against_the_maps(setup):
    model, _, images = setup
    maps = sycam_sygus.explain(model, images, "gradcampp", layer="features")
    peak = maps.flatten(1).argmax(dim=1)
    on_peak = torch.zeros(3, 144, dtype=torch.bool)
    on_peak[torch.arange(3), peak] = True
    on_peak = on_peak.view(3, 12, 12)
    pointing = sycam_sygus.score(model, images, "gradcampp", "sycam.pointing", masks=on_peak, layer="features")
    assert pointing.tolist() == [1.0, 1.0, 1.0]
    assert sycam_sygus.score(model, images, "gradcampp", "pointing", masks=~on_peak, layer="features").tolist() == [0.0] * 3
    sch = sycam_sygus.score(model, images, "gradcampp", "sch", masks=on_peak, layer="features")
    torch.testing.assert_close(sch, (maps.flatten(1).amax(dim=1) / maps.flatten(1).sum(dim=1)).double())


def test_deletion_steps_option_changes_the_curve_length(setup):
    model, _, images = setup
    one = sycam_sygus.score(model, images, "grads", "deletion", layer="features", steps=1)
    three = sycam_sygus.score(model, images, "grads", "deletion", layer="features", steps=3)
    assert one.shape == three.shape == (3,) and not torch.equal(one, three)
    with pytest.raises(TypeError, match="unknown metric option"):
        sycam_sygus.score(model, images, "grads", "deletion", layer="features", stpes=3)


def test_default_layer_of_a_torchvision_model():
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=3).eval()
    images = torch.randn(1, 3, 64, 64)
    torch.testing.assert_close(sycam_sygus.explain(model, images, "grads"),
                               sycam_sygus.explain(model, images, "grads", layer=model.layer4[1]))


@pytest.mark.parametrize("text, message", [
    ("(* grads gradz)", "undeclared symbol 'gradz'"),
    ("(* grads act", "unbalanced '\\('"),
    ("(* grads act))", "unbalanced '\\)'"),
    ("()", "unexpected '\\)'"),
])
def test_bad_expressions_are_clear_errors(text, message):
    with pytest.raises(SygusError, match=message):
        parse_expression(text)


def test_a_zero_power_is_refused_when_evaluated(setup):
    model, _, images = setup
    with pytest.raises(ValueError, match="numeral >= 1"):
        sycam_sygus.explain(model, images, "(pow grads 0)", layer="features")


def test_class_case_split(setup):
    model, _, images = setup
    targets = [0, 2, 2]
    split = sycam_sygus.explain(model, images, "(ite (= class 2) act grads)", layer="features", targets=targets)
    act = sycam_sygus.explain(model, images, "act", layer="features", targets=targets)
    grads = sycam_sygus.explain(model, images, "grads", layer="features", targets=targets)
    torch.testing.assert_close(split, torch.stack([grads[0], act[1], act[2]]))


def test_expression_reader_builds_ir():
    term = parse_expression("(topk (- grads (- 1.5)) 3)")
    assert term.op == "topk" and term.param == 3
    assert term.args[0].args[1].op == "const" and term.args[0].args[1].param == -1.5


def test_bad_targets_and_shapes(setup):
    model, _, images = setup
    with pytest.raises(ValueError, match="one target per image"):
        sycam_sygus.explain(model, images, "grads", layer="features", targets=[0])
    with pytest.raises(ValueError, match="expected images"):
        sycam_sygus.explain(model, images[0], "grads", layer="features")
    with pytest.raises(ValueError, match="layer: layer 'features.11' does not exist in .*; available: features"):
        sycam_sygus.explain(model, images, "grads", layer="features.11")


@pytest.mark.parametrize("constant, chosen", [("true", "grads"), ("false", "act")])
def test_boolean_constants_select_like_their_truth_value(setup, constant, chosen):
    model, _, images = setup
    maps = sycam_sygus.explain(model, images, f"(ite {constant} grads act)", layer="features")
    torch.testing.assert_close(maps, sycam_sygus.explain(model, images, chosen, layer="features"))
