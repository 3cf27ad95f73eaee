"""ExpressionCAM, the pytorch-grad-cam-shaped class API, against pytorch-grad-cam itself on a real
architecture (torchvision resnet18, random seeded weights): class and callable targets, two target
layers, a reshape_transform for token-shaped activations, answer files and Python-speaking errors."""
import numpy as np
import pytest
import torch
from torch import nn

import sycam_sygus
from sycam_sygus import ExpressionCAM

pytorch_grad_cam = pytest.importorskip("pytorch_grad_cam")
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402

METHODS = {"grads": "GradCAM", "gradcampp": "GradCAMPlusPlus", "xgrads": "XGradCAM"}


@pytest.fixture(scope="module")
def resnet():
    import torchvision

    torch.manual_seed(5)
    model = torchvision.models.resnet18(num_classes=10).eval()
    return model, torch.rand(3, 3, 64, 64)


def margin(first, second):
    """A callable target: the difference of two logits (no class index expresses it)."""
    return lambda output: output[first] - output[second]


TARGETS = {
    "predicted": lambda: None,
    "classes": lambda: [ClassifierOutputTarget(3), ClassifierOutputTarget(7), ClassifierOutputTarget(3)],
    "callable": lambda: [margin(1, 2), ClassifierOutputTarget(4), margin(6, 0)],
}


@pytest.mark.parametrize("two_layers", [False, True], ids=["layer4", "layer3+layer4"])
@pytest.mark.parametrize("targets", sorted(TARGETS))
@pytest.mark.parametrize("terminal", sorted(METHODS))
def test_maps_equal_pytorch_grad_cam(resnet, terminal, targets, two_layers):
    model, images = resnet
    layers = [model.layer3[-1], model.layer4[-1]] if two_layers else [model.layer4[-1]]
    with getattr(pytorch_grad_cam, METHODS[terminal])(model=model, target_layers=layers) as cam:
        theirs = cam(input_tensor=images, targets=TARGETS[targets]())
    with ExpressionCAM(model, target_layers=layers, expression=terminal) as cam:
        ours = cam(input_tensor=images, targets=TARGETS[targets]())
    assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape == (3, 64, 64)
    assert theirs.max() > 0.99  # real maps, not all-zero ones on both sides
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4)


def test_a_callable_target_changes_the_map(resnet):
    """The callable target is really used: the margin's map is not the predicted class's."""
    model, images = resnet
    cam = ExpressionCAM(model, [model.layer4[-1]], "grads")
    assert np.abs(cam(images, [margin(1, 2)] * 3) - cam(images)).max() > 0.1


class TemplateEigenCAM(pytorch_grad_cam.EigenCAM):
    """pytorch-grad-cam's EigenCAM projecting the uncentred activations onto its direction, with
    the direction's sign set by the activation sum: EigenCAM under sycam's CAM template
    (CAM-THEORY §7); the rest (layers, scaling, averaging) is pytorch-grad-cam's own code."""

    def get_cam_image(self, input_tensor, target_layer, target_category, activations, grads, eigen_smooth):
        maps = []
        for acts in activations:  # [K, h, w], numpy
            rows = acts.reshape(len(acts), -1).T.astype(np.float64)
            centred = rows - rows.mean(axis=0)
            direction = np.linalg.svd(centred, full_matrices=False)[2][0]
            total = rows.sum(axis=1)
            if (centred @ direction) @ (total - total.mean()) < 0:
                direction = -direction
            maps.append((rows @ direction).reshape(acts.shape[1:]))
        return np.float32(maps)


@pytest.mark.parametrize("two_layers", [False, True], ids=["layer4", "layer3+layer4"])
def test_eigen_maps_equal_eigen_cam_under_the_cam_template(resnet, two_layers):
    model, images = resnet
    layers = [model.layer3[-1], model.layer4[-1]] if two_layers else [model.layer4[-1]]
    with TemplateEigenCAM(model=model, target_layers=layers) as cam:
        theirs = cam(input_tensor=images, targets=None)
    ours = ExpressionCAM(model, layers, "eigen")(images)
    assert theirs.max() > 0.99
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4)


def test_ablation_with_classifier_output_targets_equals_ablation_cam(resnet):
    """ClassifierOutputTarget(k) is the class k, so the class terminals (here abl) work with it."""
    model, images = resnet
    targets = [ClassifierOutputTarget(2), ClassifierOutputTarget(5), ClassifierOutputTarget(9)]
    with pytorch_grad_cam.AblationCAM(model=model, target_layers=[model.layer4[-1]]) as cam:
        theirs = cam(input_tensor=images[:2], targets=targets[:2])
    ours = ExpressionCAM(model, ["layer4[-1]"], "abl")(images[:2], targets[:2])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4)


class TokenNet(nn.Module):
    """A ViT-shaped toy: patch embedding to tokens [N, 1 + h*w, D] (a class token first), an MLP
    block over tokens, the class token's head."""

    def __init__(self, dim=12, classes=5):
        super().__init__()
        self.embed = nn.Conv2d(3, dim, 4, stride=4)
        self.cls = nn.Parameter(torch.randn(1, 1, dim))
        self.block = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        tokens = self.embed(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls.expand(len(x), -1, -1), tokens], dim=1)
        tokens = self.norm(tokens + self.block(tokens))
        return self.head(tokens.mean(dim=1))


def tokens_to_maps(tokens, side=4):
    """pytorch-grad-cam's ViT recipe: drop the class token, [N, h*w, D] -> [N, D, h, w]."""
    return tokens[:, 1:, :].reshape(tokens.size(0), side, side, tokens.size(2)).permute(0, 3, 1, 2)


@pytest.mark.parametrize("terminal", ["grads", "gradcampp"])
def test_reshape_transform_for_token_shaped_activations(terminal):
    torch.manual_seed(3)
    model = TokenNet().eval()
    images = torch.rand(2, 3, 16, 16)
    layers = [model.block[-1]]
    with getattr(pytorch_grad_cam, METHODS[terminal])(model=model, target_layers=layers,
                                                      reshape_transform=tokens_to_maps) as cam:
        theirs = cam(input_tensor=images, targets=None)
    ours = ExpressionCAM(model, layers, terminal, reshape_transform=tokens_to_maps)(images)
    assert theirs.max() > 0.99
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4)


def test_token_shaped_layer_without_reshape_transform_says_what_to_pass():
    model = TokenNet().eval()
    with pytest.raises(ValueError, match=r"gives \[2, 17, 12\], not \[N, K, h, w\]: pass a reshape_transform"):
        ExpressionCAM(model, [model.block[-1]], "grads")(torch.rand(2, 3, 16, 16))


def test_an_answer_file_is_its_expression(resnet, tmp_path):
    model, images = resnet
    answer = tmp_path / "answer.txt"
    answer.write_text("(\n  (0.61)\n  (define-fun weights ((pos_grads Real) (act Real)) Real (* pos_grads act))\n)\n")
    from_file = ExpressionCAM(model, [model.layer4[-1]], answer)(images)
    from_text = ExpressionCAM(model, [model.layer4[-1]], "(* pos_grads act)")(images)
    np.testing.assert_array_equal(from_file, from_text)
    assert ExpressionCAM(model, [model.layer4[-1]], str(answer)).expression == "answer.txt"


def test_explain_and_expression_cam_agree_on_the_builtin_model():
    model, layer, normalize = sycam_sygus.builtin_model()
    images = sycam_sygus.builtin_images(4)
    assert images.shape == (4, 3, 64, 64) and normalize is None
    ours = ExpressionCAM(model, [layer], "(* grads act)")(images)
    np.testing.assert_allclose(ours, sycam_sygus.explain(model, images, "(* grads act)", layer=layer).numpy(), rtol=0, atol=1e-6)
    # with no layer the built-in model's usual one is taken, as for torchvision architectures
    np.testing.assert_array_equal(ExpressionCAM(model, None, "(* grads act)")(images), ours)


# ---------------------------------------------------------------- errors speak Python


def test_a_wrong_layer_lists_the_available_ones(resnet):
    model, _ = resnet
    with pytest.raises(ValueError) as error:
        ExpressionCAM(model, ["layer4.1", "layer5"], "grads")
    message = str(error.value)
    assert message.startswith("target_layers[1]: layer 'layer5' does not exist in ResNet")
    assert "did you mean 'layer4'" in message or "did you mean 'layer1'" in message
    assert "available: conv1, bn1, relu, maxpool, layer1, layer1.0" in message
    assert "sycam." not in message


def test_a_layer_of_another_model_is_refused(resnet):
    model, _ = resnet
    with pytest.raises(ValueError, match="target_layers\\[0\\]: this Conv2d is not a module of the ResNet"):
        ExpressionCAM(model, [nn.Conv2d(3, 3, 1)], "grads")


def test_no_layer_on_an_unknown_architecture_names_the_argument():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match="target_layers\\[0\\]: no target layer given .*one of: 0, 1, 2, 3, 4"):
        ExpressionCAM(model, None, "grads")


def test_bad_targets_and_inputs_name_their_argument(resnet):
    model, images = resnet
    cam = ExpressionCAM(model, [model.layer4[-1]], "grads")
    with pytest.raises(ValueError, match=r"targets: expected one per image \(3\), got 1"):
        cam(images, [1])
    with pytest.raises(TypeError, match="targets\\[1\\]: expected a class index or a callable"):
        cam(images, [1, "cat", 2])
    with pytest.raises(ValueError, match="input_tensor: expected images"):
        cam(images[0])
    with pytest.raises(ValueError, match="callable targets give the gradient terminals only"):
        ExpressionCAM(model, [model.layer4[-1]], "(* grads abl)")(images, [margin(0, 1)] * 3)
    with pytest.raises(ValueError, match="reshape_transform: the terminals \\['cic'\\]"):
        ExpressionCAM(model, [model.layer4[-1]], "cic", reshape_transform=tokens_to_maps)
    with pytest.raises(ValueError, match="expression: <expression>:1:4: error: undeclared symbol 'gradz'"):
        ExpressionCAM(model, [model.layer4[-1]], "(* gradz act)")


def test_an_answer_that_failed_is_a_clear_error(resnet, tmp_path):
    model, _ = resnet
    answer = tmp_path / "answer.txt"
    answer.write_text("fail\n")
    with pytest.raises(ValueError, match="the answer is 'fail': the solver found no expression"):
        ExpressionCAM(model, [model.layer4[-1]], answer)


# ---------------------------------------------------------------- the overlay


def test_overlay_follows_show_cam_on_image():
    from pytorch_grad_cam.utils.image import show_cam_on_image as theirs

    rng = np.random.default_rng(0)
    image = rng.random((16, 20, 3), dtype=np.float32)
    mask = rng.random((16, 20), dtype=np.float32)
    ours = sycam_sygus.show_cam_on_image(image, mask)
    assert ours.dtype == np.uint8 and ours.shape == (16, 20, 3)
    # Same formula; matplotlib's jet and OpenCV's differ by a few levels.
    assert np.abs(ours.astype(int) - theirs(image, mask, use_rgb=True).astype(int)).mean() < 6
    only_image = sycam_sygus.show_cam_on_image(image, mask, image_weight=1.0)
    np.testing.assert_array_equal(only_image, np.uint8(255 * image / image.max()))
    with pytest.raises(ValueError, match="img: expected float RGB values in \\[0, 1\\]"):
        sycam_sygus.show_cam_on_image(image * 255, mask)
