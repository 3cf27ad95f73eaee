"""Terminals (CAM-THEORY §3): hand-computed values, a loop reference for cic, and maps equal to
pytorch-grad-cam's Grad-CAM, Grad-CAM++, XGrad-CAM and Ablation-CAM on random-weight models."""
import pytest
import torch
import torch.nn.functional as F
from sycam_sygus.backends.torch_cam.backend import TorchBackend
from sycam_sygus.backends.torch_cam.data import ImageSet
from sycam_sygus.backends.torch_cam.models import Classifier, find_layer
from tiny_models import GapNet
from torch import nn

from sycam_sygus import explain
from sycam_sygus.core.errors import SygusError


class SmallVgg(nn.Module):
    """A VGG-shaped net: conv/ReLU/pool features, adaptive pool, flatten, MLP classifier."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.avgpool = nn.AdaptiveAvgPool2d(2)
        self.classifier = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 5))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    def forward_steps(self):
        """The forward as a chain, so Ablation-CAM can run only the part after the layer."""
        return [("features", self.features), ("avgpool", self.avgpool),
                (None, lambda x: torch.flatten(x, 1)), ("classifier", self.classifier)]


def backend_for(model, layer, pixels, **kw):
    module, _ = find_layer(model, layer)
    n = len(pixels)
    images = ImageSet(pixels, torch.full((n,), -1), None, [str(i) for i in range(n)], [(1, 1)] * n)
    return TorchBackend(Classifier(model, module, None, "cpu", kw.pop("batch_size", 16), **kw), images)


def test_gap_net_terminals_match_hand_computed_values():
    torch.manual_seed(0)
    model = GapNet().eval()
    pixels = torch.rand(2, 3, 8, 8)
    backend = backend_for(model, "features", pixels)
    with torch.no_grad():
        acts = model.features(pixels)  # [2, 6, 4, 4]
        logits = model(pixels)
    targets = logits.argmax(dim=1)
    w = model.classifier.weight[targets]  # [2, 6]: d y_c / d A^k_ij = w_ck / (h w)
    hw = acts.shape[2] * acts.shape[3]
    images = [0, 1]
    assert backend.target_classes(images) == targets.tolist()
    torch.testing.assert_close(backend.terminal("grads", images), w / hw)
    torch.testing.assert_close(backend.terminal("pos_grads", images), w.relu() / hw)
    torch.testing.assert_close(backend.terminal("act", images), acts.mean(dim=(2, 3)))
    # xgrads: sum_ij G A / sum_ij A = w / hw (G is constant over the map)
    torch.testing.assert_close(backend.terminal("xgrads", images), (w / hw) * (acts.sum((2, 3)) / (acts.sum((2, 3)) + 1e-7)))
    # Grad-CAM++ closed form with constant G = g: hw * relu(g) * g^2 / (2 g^2 + S g^3 + 1e-6), 0 where g = 0
    g, s = w / hw, acts.sum(dim=(2, 3))
    expected = hw * g.relu() * g ** 2 / (2 * g ** 2 + s * g ** 3 + 1e-6)
    torch.testing.assert_close(backend.terminal("gradcampp", images), expected)
    # Ablation of channel k removes w_ck * mean(A^k) from the logit
    y = logits.gather(1, targets.view(-1, 1))
    torch.testing.assert_close(backend.terminal("abl", images), w * acts.mean(dim=(2, 3)) / y, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(backend.terminal("class", images), targets.float().view(-1, 1).expand(-1, 6))


class ClippedGapNet(GapNet):
    """Logits through a ReLU: a target logit can be exactly 0 while ablating a channel raises it."""

    def forward(self, x):
        return super().forward(x).relu()


def test_abl_is_zero_where_the_target_logit_is_zero():
    torch.manual_seed(4)
    model = ClippedGapNet(classes=2, channels=6).eval()
    with torch.no_grad():
        model.classifier.weight[0] = torch.tensor([-100.0, 1, 1, 1, 1, 1])  # channel 0 drives y_0 below 0
        model.classifier.bias[0] = 0
    pixels = torch.rand(2, 3, 8, 8)
    module, _ = find_layer(model, "features")
    images = ImageSet(pixels, torch.full((2,), -1), None, ["0", "1"], [(1, 1)] * 2)
    backend = TorchBackend(Classifier(model, module, None, "cpu", 16), images, targets=torch.tensor([0, 0]))
    with torch.no_grad():
        assert (model(pixels)[:, 0] == 0).all()
        pooled = model.features(pixels).mean(dim=(2, 3))
        pooled[:, 0] = 0  # channel 0 ablated
        assert (model.classifier(pooled)[:, 0] > 0).all()  # so y_c − y_c^(0) is not 0
    with pytest.warns(UserWarning, match="re-runs the whole model"):  # a forward with no steps to split
        values = backend.terminal("abl", [0, 1])
    assert torch.equal(values, torch.zeros(2, 6))  # (y_c - y_c^(k)) / 0 is 0, not ±inf


def test_gradcampp_is_zero_where_the_gradient_is_zero():
    torch.manual_seed(1)
    model = GapNet().eval()
    with torch.no_grad():
        model.classifier.weight[:, 2] = 0  # channel 2 never reaches any logit: G = 0
    backend = backend_for(model, "features", torch.rand(2, 3, 8, 8))
    values = backend.terminal("gradcampp", [0, 1])
    assert torch.isfinite(values).all()
    assert (values[:, 2] == 0).all()


def reference_cic(model, pixels, targets, acts):
    """CAM-THEORY §3 cic, one masked image at a time."""
    out = torch.zeros(acts.shape[:2])
    with torch.no_grad():
        black = model(torch.zeros_like(pixels[:1])).softmax(dim=1)[0]
        for i in range(acts.shape[0]):
            for k in range(acts.shape[1]):
                up = F.interpolate(acts[i:i + 1, k:k + 1], size=pixels.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
                span = up.max() - up.min()
                mask = (up - up.min()) / span if span > 0 else torch.zeros_like(up)
                p = model((pixels[i] * mask).unsqueeze(0)).softmax(dim=1)[0, targets[i]]
                out[i, k] = p - black[targets[i]]
    return out


def test_cic_matches_a_loop_over_channels_and_images():
    torch.manual_seed(2)
    model = SmallVgg().eval()
    pixels = torch.rand(3, 3, 16, 16)
    backend = backend_for(model, "features", pixels, batch_size=7)  # chunks straddle images
    with torch.no_grad():
        acts = model.features(pixels)
    targets = torch.tensor(backend.target_classes([0, 1, 2]))
    torch.testing.assert_close(backend.terminal("cic", [0, 1, 2]), reference_cic(model, pixels, targets, acts),
                               rtol=1e-5, atol=1e-6)


def test_cic_of_a_dead_channel_is_zero_without_a_model_call():
    torch.manual_seed(7)
    model = GapNet().eval()
    with torch.no_grad():
        model.features[3].bias[4] = -1e4  # channel 4 is 0 after the ReLU on every image
    pixels = torch.rand(2, 3, 8, 8)
    backend = backend_for(model, "features", pixels)
    with torch.no_grad():
        acts = model.features(pixels)
    targets = torch.tensor(backend.target_classes([0, 1]))
    before = backend.forwards
    backend.activations([0, 1])
    probe_cost = backend.forwards - before
    before = backend.forwards
    values = backend.terminal("cic", [0, 1])
    assert (values[:, 4] == 0).all()
    live = acts.flatten(2).amax(dim=2) > acts.flatten(2).amin(dim=2)
    assert not live[:, 4].any()
    # The black baseline, the live channels only, and the once-per-classifier check that runs one
    # image through both the model and its inference-optimised copy.
    assert backend.forwards - before == 1 + int(live.sum()) + 2
    torch.testing.assert_close(values, reference_cic(model, pixels, targets, acts), rtol=1e-5, atol=1e-6)
    assert probe_cost == 2


def test_the_black_baseline_costs_one_model_call_per_run_not_per_chunk():
    # the backend computes cic in chunks of images: later chunks reuse the first one's baseline
    torch.manual_seed(2)
    model = SmallVgg().eval()
    pixels = torch.rand(3, 3, 16, 16)
    backend = backend_for(model, "features", pixels)
    with torch.no_grad():
        acts = model.features(pixels)
    live = int((acts.flatten(2).amax(dim=2) > acts.flatten(2).amin(dim=2)).sum(dim=1)[2])
    backend.terminal("cic", [0, 1])
    backend.activations([2])  # image 2's probe, apart
    before = backend.forwards
    values = backend.terminal("cic", [2])
    assert backend.forwards - before == live  # the masked images of image 2 only: no second baseline
    targets = torch.tensor(backend.target_classes([0, 1, 2]))
    torch.testing.assert_close(values, reference_cic(model, pixels, targets, acts)[2:], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer", ["features", "features.7", "features[-1]"])
def test_ablation_fast_path_equals_full_rerun(layer):
    torch.manual_seed(3)
    model = SmallVgg().eval()
    pixels = torch.rand(2, 3, 16, 16)
    fast = backend_for(model, layer, pixels, batch_size=5)
    full = backend_for(model, layer, pixels, batch_size=5, tail_only=False)
    fast_values, full_values = fast.terminal("abl", [0, 1]), full.terminal("abl", [0, 1])
    torch.testing.assert_close(fast_values, full_values, rtol=1e-5, atol=1e-6)
    assert fast.classifier.has_tail and fast.classifier.tail_forwards >= 2 * 16
    assert full.classifier.tail_forwards == 0
    # both count one pass per (image, channel); the full re-run also passes through the trunk
    assert full.forwards - full.classifier.tail_forwards == 2 + 2 + 2 * 16


class MisdescribedVgg(SmallVgg):
    """Its forward_steps leave out the final scaling, so the derived tail is wrong."""

    def forward(self, x):
        return 2 * super().forward(x)


def test_a_tail_that_does_not_reproduce_the_model_is_dropped_with_a_warning():
    torch.manual_seed(8)
    model = MisdescribedVgg().eval()
    pixels = torch.rand(2, 3, 16, 16)
    backend = backend_for(model, "features", pixels)
    with pytest.warns(UserWarning, match="re-runs the whole model"):
        values = backend.terminal("abl", [0, 1])
    assert not backend.classifier.has_tail
    reference = backend_for(model, "features", pixels, tail_only=False).terminal("abl", [0, 1])
    torch.testing.assert_close(values, reference)


def test_ablation_inside_a_non_sequential_block_falls_back_to_full_rerun():
    import torchvision

    torch.manual_seed(4)
    model = torchvision.models.resnet18(num_classes=5).eval()
    backend = backend_for(model, "layer4.1.conv2", torch.rand(1, 3, 32, 32))  # inside a BasicBlock
    assert not backend.classifier.has_tail
    reference = backend_for(model, "layer4.1", torch.rand(1, 3, 32, 32))
    assert reference.classifier.has_tail


def test_unknown_terminal_is_a_clear_error():
    backend = backend_for(GapNet().eval(), "features", torch.rand(1, 3, 8, 8))
    with pytest.raises(SygusError, match="unknown terminal 'grad'") as error:
        backend.terminal("grad", [0])
    assert "grads" in error.value.hint


def test_non_4d_layer_is_a_clear_error():
    backend = backend_for(SmallVgg().eval(), "classifier.0", torch.rand(1, 3, 16, 16))
    with pytest.raises(SygusError, match="not a 4-D") as error:
        backend.terminal("grads", [0])
    assert "features" in error.value.hint or "classifier" in error.value.hint


class BatchNormNet(nn.Module):
    """conv/BN/ReLU features with non-trivial running statistics: BN folding changes the arithmetic."""

    def __init__(self, channels: int = 6, classes: int = 4):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Conv2d(channels, channels, 3, padding=1),
                                      nn.BatchNorm2d(channels), nn.ReLU())
        self.classifier = nn.Linear(channels, classes)
        with torch.no_grad():
            for norm in (self.features[1], self.features[5]):
                norm.running_mean.uniform_(-0.5, 0.5)
                norm.running_var.uniform_(0.5, 2.0)
                norm.weight.uniform_(0.5, 1.5)
                norm.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        return self.classifier(self.features(x).mean(dim=(2, 3)))


class SignBranchNet(BatchNormNet):
    """Python control flow on a tensor value: torch.fx cannot trace it, so no optimised copy exists."""

    def forward(self, x):
        features = self.features(x)
        return self.classifier(features.mean(dim=(2, 3)) if x.sum() > 0 else features.amax(dim=(2, 3)))


def cic_and_reference(model, pixels):
    """cic from the backend and from the loop reference, for all images at the `features` layer."""
    backend = backend_for(model, "features", pixels, batch_size=5)
    with torch.no_grad():
        acts = model.features(pixels)
    images = list(range(len(pixels)))
    targets = torch.tensor(backend.target_classes(images))
    return backend, backend.terminal("cic", images), reference_cic(model, pixels, targets, acts)


def test_cic_through_the_optimised_copy_of_a_batch_norm_net_matches_the_loop():
    torch.manual_seed(8)
    backend, values, expected = cic_and_reference(BatchNormNet().eval(), torch.rand(2, 3, 16, 16))
    assert backend.classifier._inference_model is not None  # the folded oneDNN copy did the work
    assert expected.abs().max() > 1e-3  # values that can disagree, not all zeros
    torch.testing.assert_close(values, expected, rtol=1e-5, atol=1e-6)


class OffByOne(nn.Module):
    """Wraps a model and shifts its logits: an 'optimised copy' that must be rejected."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x) + torch.arange(self.model.classifier.out_features, dtype=x.dtype)


def test_an_optimised_copy_that_disagrees_with_the_model_is_not_used(monkeypatch):
    import torch.fx.experimental.optimization as fx_optimization

    monkeypatch.setattr(fx_optimization, "optimize_for_inference", OffByOne)
    torch.manual_seed(9)
    backend, values, expected = cic_and_reference(BatchNormNet().eval(), torch.rand(2, 3, 16, 16))
    assert backend.classifier._inference_model is None
    torch.testing.assert_close(values, expected, rtol=1e-5, atol=1e-6)


def test_cic_of_a_model_torch_fx_cannot_trace_uses_the_model_itself():
    torch.manual_seed(10)
    backend, values, expected = cic_and_reference(SignBranchNet().eval(), torch.rand(2, 3, 16, 16))
    assert backend.classifier._inference_model is None
    torch.testing.assert_close(values, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- differential vs pytorch-grad-cam

def resnet18_64():
    import torchvision

    torch.manual_seed(5)
    model = torchvision.models.resnet18(num_classes=10).eval()
    return model, model.layer4[-1], torch.rand(2, 3, 64, 64)


def small_vgg_32():
    torch.manual_seed(6)
    model = SmallVgg().eval()
    return model, model.features[-1], torch.rand(2, 3, 32, 32)


METHODS = {"grads": "GradCAM", "gradcampp": "GradCAMPlusPlus", "xgrads": "XGradCAM", "abl": "AblationCAM"}


@pytest.mark.parametrize("make", [resnet18_64, small_vgg_32], ids=["resnet18@64", "small-vgg@32"])
@pytest.mark.parametrize("terminal", sorted(METHODS))
def test_maps_equal_pytorch_grad_cam(make, terminal):
    pytorch_grad_cam = pytest.importorskip("pytorch_grad_cam")
    model, layer, images = make()
    with getattr(pytorch_grad_cam, METHODS[terminal])(model=model, target_layers=[layer]) as cam:
        theirs = torch.from_numpy(cam(input_tensor=images, targets=None))
    ours = explain(model, images, terminal, layer=layer)
    assert ours.shape == theirs.shape == images[:, 0].shape
    assert theirs.amax() > 0.99  # a real map, not an all-zero one on both sides
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-4)


def test_explain_with_normalize_and_explicit_targets_matches_pytorch_grad_cam():
    pytorch_grad_cam = pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model, layer, pixels = resnet18_64()
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    images = (pixels - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    with pytorch_grad_cam.GradCAM(model=model, target_layers=[layer]) as cam:
        theirs = torch.from_numpy(cam(input_tensor=images, targets=[ClassifierOutputTarget(3), ClassifierOutputTarget(7)]))
    ours = explain(model, images, "grads", layer="layer4.1", targets=[3, 7], normalize=(mean, std))
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-4)


# ---------------------------------------------------------------- eigen vs pytorch-grad-cam's EigenCAM

def layer_activations(model, layer, images):
    """The layer's output for the images (a forward hook)."""
    seen = []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output.detach()))
    with torch.no_grad():
        model(images)
    handle.remove()
    return seen[0]


@pytest.mark.parametrize("make", [resnet18_64, small_vgg_32], ids=["resnet18@64", "small-vgg@32"])
def test_eigen_projects_as_pytorch_grad_cams_eigen_cam_with_the_positive_sign(make):
    """Σ_k eigen_k (A^k − mean A^k) is EigenCAM's projection up to the SVD's sign; the sign we choose
    makes the projection correlate positively with Σ_k A^k."""
    pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection

    model, layer, images = make()
    acts = layer_activations(model, layer, images)
    n = len(images)
    data = ImageSet(images, torch.full((n,), -1), None, [str(i) for i in range(n)], [(1, 1)] * n)
    weights = TorchBackend(Classifier(model, layer, None, "cpu", 16), data).terminal("eigen", range(n))
    ours = torch.einsum("ik,ikhw->ihw", weights, acts - acts.mean(dim=(2, 3), keepdim=True))
    theirs = torch.from_numpy(get_2d_projection(acts.numpy()))
    for mine, reference, total in zip(ours, theirs, acts.sum(dim=1)):
        sign = 1.0 if float((mine * reference).sum()) >= 0 else -1.0
        torch.testing.assert_close(mine, sign * reference, rtol=0, atol=1e-4 * float(reference.abs().max()))
        assert float(((mine - mine.mean()) * (total - total.mean())).sum()) > 0
    torch.testing.assert_close(weights.norm(dim=1), torch.ones(len(images)))


def test_eigen_sign_makes_the_projection_follow_the_activation_sum():
    """Hand-built two-channel layers whose principal direction is known: the sign is the one whose
    projection correlates positively with Σ_k A^k, whichever sign the SVD returns."""
    from sycam_sygus.backends.torch_cam.terminals import eigen_terminal

    ramp = torch.arange(16.0).view(1, 1, 4, 4)
    half = torch.cat([ramp, 0.5 * ramp], dim=1)  # direction ±(2, 1), the sum grows with the ramp
    torch.testing.assert_close(eigen_terminal(half), torch.tensor([[2.0, 1.0]]) / 5 ** 0.5)
    torch.testing.assert_close(eigen_terminal(-half), torch.tensor([[2.0, 1.0]]) / 5 ** 0.5)  # sum falls
    against = torch.cat([ramp, 10 - 3 * ramp], dim=1)  # direction ±(1, -3), the sum 10 - 2 ramp falls
    torch.testing.assert_close(eigen_terminal(against), torch.tensor([[-1.0, 3.0]]) / 10 ** 0.5)


def test_eigen_of_non_finite_activations_is_nan_not_an_svd_failure():
    from sycam_sygus.backends.torch_cam.terminals import eigen_terminal

    acts = torch.rand(2, 3, 4, 4)
    acts[1, 0, 0, 0] = float("nan")
    values = eigen_terminal(acts)
    assert torch.isfinite(values[0]).all() and torch.isnan(values[1]).all()


def test_eigen_needs_no_model_call_once_the_activations_are_known():
    torch.manual_seed(2)
    backend = backend_for(GapNet().eval(), "features", torch.rand(3, 3, 8, 8))
    assert backend.terminal_cost("eigen", [0, 1, 2]) == 3  # the probe of each image
    backend.terminal("grads", [0, 1, 2])
    before = backend.forwards
    assert backend.terminal_cost("eigen", [0, 1, 2]) == 0
    assert backend.terminal("eigen", [0, 1, 2]).shape == (3, 6) and backend.forwards == before
