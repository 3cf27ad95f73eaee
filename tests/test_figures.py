"""heatmaps.png's captions: file names, class names where known offline, per-image scores, masks."""
import pytest
from sycam_sygus.backends.torch_cam.backend import TorchBackend
from sycam_sygus.backends.torch_cam.class_names import class_names, imagenet_categories
from sycam_sygus.backends.torch_cam.data import load_images
from sycam_sygus.backends.torch_cam.models import Classifier, find_layer, load_model

from sycam_sygus.app.figures import draw_heatmaps, image_captions
from sycam_sygus.app.report import MethodRow

BUILTIN = "builtin:cluttered-mnist"


@pytest.fixture(scope="module")
def backend():
    model, layer, normalize, size = load_model(BUILTIN)
    images = load_images(BUILTIN, "", size, 3, 0)
    return TorchBackend(Classifier(model, find_layer(model, layer)[0], normalize, "cpu", 8), images,
                        description={"model": BUILTIN, "data": BUILTIN})


def test_captions_name_the_file_and_the_digit(backend):
    captions = image_captions(backend, [0, 2])
    for caption, image in zip(captions, [0, 2]):
        digit = backend.target_classes([image])[0]
        assert caption == f"{backend.data.names[image]}\nclass {digit}"
    assert backend.forwards == backend.images()  # naming the classes cost no counted forward beyond targets


def test_the_figure_is_drawn_with_scores_and_mask_outlines(backend, tmp_path):
    weights = backend.terminal("grads", [0, 1])
    rows = [MethodRow("Grad-CAM", "grads", {"deletion": 0.5}, {"deletion": [0.25, 0.75, 0.5]})]
    draw_heatmaps(tmp_path / "h.png", backend, [("Grad-CAM", weights)], [0, 1], rows, "deletion")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert backend.masks is not None  # the built-in data has masks: the outline branch ran


def test_class_names_by_source():
    assert class_names("resnet18", "photos/", ["a.jpg"], 1000)[281] == "tabby"
    assert class_names("builtin:imagenet-photos", "builtin:imagenet-photos", ["chelsea"], 1000) == imagenet_categories()
    assert class_names("resnet18", "pets/", ["cat/a.jpg", "dog/b.jpg"], 2) == ["cat", "dog"]
    assert class_names("mypkg.models:net", "pets/", ["cat/a.jpg", "dog/b.jpg"], 3) is None  # outputs do not match
    assert class_names(BUILTIN, BUILTIN, ["canvas-000"], 10) == [str(d) for d in range(10)]
    assert class_names("mypkg.models:net", "flat/", ["a.png"], 1000) is None
