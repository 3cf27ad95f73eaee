"""Models (names, default layers, layer paths, weights, entry points, the Classifier) and image
folders (labels, masks, subsets, bad input)."""
import warnings

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from sycam_sygus.backends.torch_cam.data import (
    load_images,
    read_image_folder,
    seeded_order,
)
from sycam_sygus.backends.torch_cam.models import (
    Classifier,
    default_layer,
    derive_tail,
    find_layer,
    load_model,
)
from torch import nn

from sycam_sygus.core.errors import SygusError


def light_model(name: str) -> nn.Module:
    """A torchvision architecture built without VGG's 100M-parameter head (slow to initialise)."""
    torch.manual_seed(0)
    with torch.device("meta"):
        model = torchvision.models.get_model(name, weights=None, num_classes=4)
        if isinstance(model, torchvision.models.VGG):
            model.classifier = nn.Sequential(nn.Dropout(), nn.Linear(512 * 7 * 7, 4))
    model = model.to_empty(device="cpu")
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    return model.eval()


def tiny_factory():
    """An entry point returning a bare module (default input size, no normalisation)."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


@pytest.mark.parametrize("name, path, canonical", [
    ("resnet18", "layer4[-1]", "layer4.1"),
    ("vgg16", "features.29", "features.29"),
    ("vgg19", "features.35", "features.35"),
    ("densenet121", "features", "features"),
    ("mobilenet_v2", "features[-1]", "features.18"),
    ("efficientnet_b0", "features[-1]", "features.8"),
])
def test_default_layers_of_torchvision_architectures(name, path, canonical):
    model = light_model(name)
    assert default_layer(model) == path
    assert find_layer(model, path)[1] == canonical


def test_layer_paths_in_both_styles_name_the_same_module():
    model = torchvision.models.resnet18(num_classes=3)
    assert find_layer(model, "layer4[-1]")[0] is model.layer4[1]
    assert find_layer(model, "layer4.1.conv2")[0] is model.layer4[1].conv2
    assert find_layer(model, "layer4[1].bn2")[1] == "layer4.1.bn2"


@pytest.mark.parametrize("path", ["layer5", "layer4.7", "layer4[9]", "layer4..1x!", "fc.weight"])
def test_missing_layer_is_an_error_listing_nearby_names(path):
    model = torchvision.models.resnet18(num_classes=3)
    with pytest.raises(SygusError, match="layer") as error:
        find_layer(model, path)
    assert "nearby names: " in error.value.hint and "layer4" in error.value.hint


def test_unknown_model_name_has_a_hint():
    with pytest.raises(SygusError, match="unknown model 'resnet81'") as error:
        load_model("resnet81")
    assert "resnet18" in error.value.hint


def test_entry_point_and_weights_file(tmp_path):
    model, layer, normalize, size = load_model("test_models_data:tiny_factory", trust_code=True)
    assert isinstance(model, nn.Sequential) and normalize is None and size == (224, 224)
    assert layer == ""
    with pytest.raises(SygusError, match="no target layer given") as error:
        find_layer(model, layer)
    assert "0" in error.value.hint  # the only convolution's path
    state = {k: torch.full_like(v, 0.25) for k, v in model.state_dict().items()}
    torch.save(state, tmp_path / "w.pt")
    loaded, *_ = load_model("test_models_data:tiny_factory", str(tmp_path / "w.pt"), trust_code=True)
    assert all(torch.equal(v, state[k]) for k, v in loaded.state_dict().items())
    torch.save({"unrelated": torch.zeros(1)}, tmp_path / "bad.pt")
    with pytest.raises(SygusError, match="cannot load weights"):
        load_model("test_models_data:tiny_factory", str(tmp_path / "bad.pt"), trust_code=True)
    with pytest.raises(SygusError, match="cannot load model entry point"):
        load_model("test_models_data:no_such_factory", trust_code=True)


@pytest.mark.parametrize("name", ["resnet18", "vgg11", "densenet121", "mobilenet_v2", "mobilenet_v3_small",
                                  "efficientnet_b0"])
def test_derived_tail_reproduces_the_model(name):
    model = light_model(name)
    layer, path = find_layer(model, default_layer(model))
    captured = []
    handle = layer.register_forward_hook(lambda m, i, o: captured.append(o.clone()))
    with torch.no_grad():
        x = torch.rand(2, 3, 64, 64)
        logits = model(x)
    handle.remove()
    tail = derive_tail(model, path)
    with torch.no_grad():
        torch.testing.assert_close(tail(captured[0]), logits, rtol=1e-4, atol=1e-5)


def test_classifier_normalises_batches_counts_and_leaves_no_hooks():
    torch.manual_seed(0)
    model = tiny_factory().eval()
    mean, std = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
    classifier = Classifier(model, model[1], (mean, std), "cpu", batch_size=3)
    pixels = torch.rand(7, 3, 10, 10)
    targets = torch.tensor([0, 1, 0, 1, 1, 0, 0])
    with torch.no_grad():
        expected = model((pixels - 0.5) / 0.25).softmax(dim=1).gather(1, targets.view(-1, 1)).squeeze(1)
    torch.testing.assert_close(classifier.probs(pixels, targets), expected)
    assert classifier.forwards == 7
    acts, grads, logits = classifier.activations_and_gradients(pixels, targets)
    assert acts.shape == grads.shape == (7, 4, 8, 8) and logits.shape == (7, 2)
    classifier.ablated_logits(pixels, acts, targets, logits)
    assert classifier.forwards == 7 + 7 + 7 * 4 + 2  # probs, gradients, one per channel, tail check
    assert not model[1]._forward_hooks and not any(m._forward_hooks for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_hooks_are_removed_when_the_forward_fails():
    model = tiny_factory().eval()
    classifier = Classifier(model, model[3], None, "cpu", 4)  # Flatten: a 2-D output
    with pytest.raises(SygusError, match="not a 4-D"):
        classifier.activations_and_gradients(torch.rand(1, 3, 8, 8), torch.tensor([0]))
    assert not any(m._forward_hooks for m in model.modules())


# ---------------------------------------------------------------- data

def write_image(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


def test_class_folders_give_labels_and_resized_pixels(tmp_path):
    write_image(tmp_path / "cat" / "a.png", np.full((6, 4, 3), 255))
    write_image(tmp_path / "dog" / "b.png", np.zeros((5, 5, 3)))
    write_image(tmp_path / "cat" / "c.png", np.full((8, 8, 3), 51))
    images = read_image_folder(tmp_path, (3, 2))
    by_name = dict(zip(images.names, range(3)))
    assert sorted(images.names) == ["cat/a.png", "cat/c.png", "dog/b.png"]
    assert images.pixels.shape == (3, 3, 3, 2)
    assert images.labels[by_name["cat/a.png"]] == 0 and images.labels[by_name["dog/b.png"]] == 1
    torch.testing.assert_close(images.pixels[by_name["cat/c.png"]], torch.full((3, 3, 2), 0.2))
    assert images.sizes[by_name["cat/a.png"]] == (4, 6)


def test_flat_folder_has_unknown_labels(tmp_path):
    write_image(tmp_path / "x.png", np.zeros((4, 4, 3)))
    assert read_image_folder(tmp_path, (4, 4)).labels.tolist() == [-1]


def test_seeded_subsets_are_deterministic_and_distinct():
    assert seeded_order(10, 4, 0).tolist() == seeded_order(10, 4, 0).tolist()
    assert seeded_order(10, 4, 0).tolist() != seeded_order(10, 4, 1).tolist()
    assert sorted(seeded_order(10, 0, 3).tolist()) == list(range(10))
    assert len(set(seeded_order(10, 4, 0).tolist())) == 4


def test_masks_and_empty_mask_warning(tmp_path):
    for i in range(3):
        write_image(tmp_path / "img" / f"{i}.png", np.full((8, 8, 3), 100))
    inside = np.zeros((8, 8))
    inside[2:6, 2:6] = 255
    write_image(tmp_path / "masks" / "0.png", inside)
    write_image(tmp_path / "masks" / "1.png", inside)
    write_image(tmp_path / "masks" / "2.png", np.zeros((8, 8)))
    with pytest.warns(UserWarning, match="1 image"):
        images = load_images(str(tmp_path / "img"), str(tmp_path / "masks"), (4, 4), 0, 0)
    assert sorted(images.names) == ["0.png", "1.png"]  # 2.png's mask is empty: left out
    assert len(images.pixels) == len(images.labels) == len(images.sizes) == 2
    expected = torch.zeros(4, 4, dtype=torch.bool)
    expected[1:3, 1:3] = True
    assert all(torch.equal(mask, expected) for mask in images.masks)


def test_mask_size_mismatch_is_an_error(tmp_path):
    write_image(tmp_path / "img" / "a.png", np.zeros((8, 8, 3)))
    write_image(tmp_path / "masks" / "a.png", np.zeros((8, 7)))
    with pytest.raises(SygusError, match="7x8 but its image is 8x8"):
        load_images(str(tmp_path / "img"), str(tmp_path / "masks"), (4, 4), 0, 0)


def test_missing_mask_and_unreadable_image_name_the_file(tmp_path):
    write_image(tmp_path / "img" / "a.png", np.zeros((8, 8, 3)))
    (tmp_path / "masks").mkdir()
    with pytest.raises(SygusError, match="no mask for image 'a.png'"):
        load_images(str(tmp_path / "img"), str(tmp_path / "masks"), (4, 4), 0, 0)
    (tmp_path / "img" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(SygusError, match="broken.jpg"):
        load_images(str(tmp_path / "img"), "", (4, 4), 0, 0)
    with pytest.raises(SygusError, match="does not exist"):
        load_images(str(tmp_path / "missing"), "", (4, 4), 0, 0)


def test_no_warning_without_empty_masks(tmp_path):
    write_image(tmp_path / "img" / "a.png", np.zeros((8, 8, 3)))
    write_image(tmp_path / "masks" / "a.png", np.full((8, 8), 255))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_images(str(tmp_path / "img"), str(tmp_path / "masks"), (4, 4), 0, 0)


def test_folder_images_are_resized_and_centre_cropped_as_torchvision_does(tmp_path):
    from torchvision import transforms

    rng = np.random.default_rng(1)
    write_image(tmp_path / "img" / "wide.png", rng.integers(0, 256, (30, 90, 3)))
    write_image(tmp_path / "img" / "tall.png", rng.integers(0, 256, (100, 40, 3)))
    images = read_image_folder(tmp_path / "img", (16, 16))
    reference = transforms.Compose([transforms.Resize(int(16 * 256 / 224)), transforms.CenterCrop(16),
                                    transforms.ToTensor()])
    for name, pixels in zip(images.names, images.pixels):
        expected = reference(Image.open(tmp_path / "img" / name).convert("RGB"))
        torch.testing.assert_close(pixels, expected, rtol=0, atol=1.5 / 255)
    stretched = read_image_folder(tmp_path / "img", (16, 16), resize="stretch")
    assert not torch.equal(stretched.pixels, images.pixels)


def test_masks_are_cropped_with_their_images(tmp_path):
    image = np.zeros((20, 60, 3))
    image[:, 24:36] = 255  # a bright vertical band in the middle, 12 of 60 columns
    write_image(tmp_path / "img" / "a.png", image)
    write_image(tmp_path / "masks" / "a.png", image[..., 0])
    widths = {}
    for resize in ("crop", "stretch"):
        images = load_images(str(tmp_path / "img"), str(tmp_path / "masks"), (8, 8), 0, 0, resize)
        mask_columns = images.masks[0].any(dim=0)
        bright_columns = images.pixels[0, 0].mean(dim=0) > 0.5
        assert torch.equal(mask_columns, bright_columns), resize  # the mask lands where its image does
        widths[resize] = int(mask_columns.sum())
    # crop: the 20-pixel height becomes 9, so the band spans about 5 of 8 columns; stretch: 1 or 2
    assert widths["crop"] >= 4 and widths["stretch"] <= 2


def test_an_unknown_resize_mode_names_its_option(tmp_path):
    write_image(tmp_path / "img" / "a.png", np.zeros((8, 8, 3)))
    with pytest.raises(SygusError, match="unknown resize mode 'squash'") as error:
        load_images(str(tmp_path / "img"), "", (4, 4), 0, 0, "squash")
    assert error.value.option == "resize"
