"""TorchBackend against the engine's port (sycam_sygus.engine.port.ReportBackend): options, targets, values, keys, scores, maps."""
import inspect

import numpy as np
import pytest
import torch
from PIL import Image
from sycam_sygus.backends.torch_cam.backend import TorchBackend, open_backend
from sycam_sygus.backends.torch_cam.metrics import MetricError, MetricEvaluator
from tiny_models import GapNet

from sycam_sygus.core.errors import SygusError
from sycam_sygus.core.settings import Settings
from sycam_sygus.engine.port import ReportBackend


def gap_model():
    """Entry point: (model, default layer, normalisation, input size)."""
    torch.manual_seed(0)
    return GapNet(classes=3), "features", ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)), (16, 16)


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(6):
        label = "ab"[i % 2]
        for kind in ("data", "masks"):
            (tmp_path / kind / label).mkdir(parents=True, exist_ok=True)
        image = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
        Image.fromarray(image).save(tmp_path / "data" / label / f"{i}.png")
        mask = np.zeros((20, 20), dtype=np.uint8)
        if i != 5:  # image 5 has an empty mask
            mask[4:12, 6:14] = 1
        Image.fromarray(mask).save(tmp_path / "masks" / label / f"{i}.png")
    return tmp_path


def options(folder, **extra):
    return Settings.resolve(flags={"model": "test_torch_backend:gap_model", "data": str(folder / "data"),
                                   "device": "cpu", "cache": str(folder / "cache"), "images": 0, **extra})


def test_every_protocol_method_is_implemented_with_its_parameters():
    for name, member in inspect.getmembers(ReportBackend, inspect.isfunction):
        if name.startswith("_"):
            continue
        ours = getattr(TorchBackend, name)
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(member).parameters), name
    assert isinstance(TorchBackend.forwards, property)


def test_open_backend_reads_the_options(folder):
    backend = open_backend(options(folder, images=4, seed=3, target="label", **{"batch-size": 2}),
                           trust_code=True)
    assert backend.images() == 4
    labels = [int(name.startswith("b/")) for name in backend.data.names]
    assert backend.target_classes(range(4)) == labels
    again = open_backend(options(folder, images=4, seed=3), trust_code=True)
    assert again.data.names == backend.data.names
    assert open_backend(options(folder, images=4, seed=4), trust_code=True).data.names != backend.data.names
    info = backend.describe()
    assert info["layer"] == "features" and info["device"] == "cpu" and info["images"] == 4
    assert backend.classifier.batch_size == 2
    assert backend.pictures([0, 1]).shape == (2, 16, 16, 3)
    np.testing.assert_allclose(backend.pictures([1]), backend.data.pixels[1:2].permute(0, 2, 3, 1).numpy())


def test_predicted_targets_are_the_model_argmax(folder):
    backend = open_backend(options(folder), trust_code=True)
    model = backend.classifier.model
    with torch.no_grad():
        expected = model((backend.data.pixels - 0.5) / 0.5).argmax(dim=1)
    assert backend.target_classes(range(6)) == expected.tolist()


@pytest.mark.parametrize("bad, message", [
    ({"target": "truth"}, "unknown target"),
    ({"layer": "features.9"}, "does not exist"),
    ({"layer": "classifier"}, "not a 4-D"),
    ({"model": "resnet-18"}, "unknown model"),
    ({"colour": "red"}, "unknown option"),
])
def test_bad_options_are_clear_errors(folder, bad, message):
    with pytest.raises(SygusError, match=message):
        open_backend(options(folder, **bad), trust_code=True)


def test_label_target_needs_labels(tmp_path):
    (tmp_path / "flat").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "flat" / "x.png")
    with pytest.raises(SygusError, match="needs labelled images"):
        open_backend(Settings.resolve(flags={"model": "test_torch_backend:gap_model", "data": str(tmp_path / "flat"),
                                             "target": "label", "cache": str(tmp_path / "c")}), trust_code=True)


def test_constants_apply_and_class(folder):
    backend = open_backend(options(folder), trust_code=True)
    grads = backend.terminal("grads", [0, 1, 2])
    two = backend.constant(2.0, [0, 1, 2])
    assert two.shape == (3, 6) and (two == 2).all()
    torch.testing.assert_close(backend.apply("*", [grads, two]), 2 * grads)
    torch.testing.assert_close(backend.apply("pow", [grads], 2), grads ** 2)
    targets = backend.target_classes([0, 1, 2])
    assert backend.terminal("class", [0, 1, 2])[:, 0].tolist() == targets


def test_value_key_ignores_float_noise_only(folder):
    backend = open_backend(options(folder), trust_code=True)
    w = backend.terminal("gradcampp", [0, 1, 2])
    noisy = w * (1 + 1e-9) + 1e-14
    assert backend.value_key(w) == backend.value_key(noisy)
    assert backend.value_key(w) != backend.value_key(w * 1.001)
    assert backend.value_key(w) != backend.value_key(w * 2)  # same maps, different values
    assert backend.value_key(w) != backend.value_key(w[:2])
    bad = w.clone()
    bad[0, 0] = float("nan")
    assert backend.value_key(bad) != backend.value_key(w)
    assert backend.value_key(bad) == backend.value_key(bad.clone())


def test_scores_maps_and_keys(folder):
    with pytest.warns(UserWarning, match="1 image"):
        backend = open_backend(options(folder, masks=str(folder / "masks")), trust_code=True)
    assert backend.images() == 5 and not any(name.endswith("5.png") for name in backend.data.names)
    assert backend.describe()["has_masks"] is True
    images = list(range(5))
    broken = 1
    grads = backend.terminal("grads", images)
    act = backend.terminal("act", images)
    nan = grads.clone()
    nan[broken, 3] = float("inf")
    weights = [grads, act, nan]
    maps = backend.maps(weights, images)
    assert maps.shape == (3, 5, 16, 16) and np.nanmin(maps) >= 0 and np.nanmax(maps) <= 1
    sch = backend.score(weights, images, "sycam.sch")
    assert sch.dtype == np.float64 and sch.shape == (3, 5)
    masks = backend.data.masks.numpy()
    for c in range(2):
        for i in images:
            total = maps[c, i].sum()
            expected = (maps[c, i] * masks[i]).sum() / total if total > 0 else 0.0
            assert sch[c, i] == pytest.approx(expected, abs=1e-6)
    assert sch[2, broken] == -np.inf
    assert np.isfinite(sch[2, [i for i in images if i != broken]]).all()
    deletion = backend.score(weights, images, "deletion")
    assert deletion[2, broken] == -np.inf
    keys = backend.map_keys([grads, grads * 3, act], images, "deletion")
    assert keys[0] == keys[1]
    scaled = backend.score([grads * 3], images, "deletion")
    np.testing.assert_array_equal(scaled[0], deletion[0])


def test_mask_metric_without_masks_is_an_error(folder):
    backend = open_backend(options(folder), trust_code=True)
    assert backend.describe()["has_masks"] is False
    grads = backend.terminal("grads", [0])
    for ask in (backend.score, backend.map_keys):
        with pytest.raises(MetricError, match="metric 'pointing' needs ground-truth masks.*:sycam.masks"):
            ask([grads], [0], "sycam.pointing")
        with pytest.raises(MetricError, match="unknown metric 'sycam.delet' .*did you mean 'deletion'"):
            ask([grads], [0], "sycam.delet")


def test_builtin_cluttered_mnist_defaults(tmp_path):
    backend = open_backend(Settings.resolve(flags={"images": 2, "cache": str(tmp_path), "device": "cpu"}))
    assert backend.describe()["model"] == "builtin:cluttered-mnist" and backend.images() == 2
    values = backend.terminal("abl", [0, 1])
    assert backend.classifier.has_tail and backend.classifier.tail_forwards >= 2 * values.shape[1]
    assert backend.data.masks is not None and backend.data.masks.flatten(1).any(dim=1).all()


@pytest.mark.parametrize("metric", ["deletion", "insertion", "avg_drop", "sch"])
def test_metrics_that_read_only_s_fm_get_no_upsampled_map(folder, metric):
    with pytest.warns(UserWarning, match="1 image"):
        backend = open_backend(options(folder, masks=str(folder / "masks")), trust_code=True)
    images = [0, 1, 2]
    weights = [backend.terminal("grads", images), backend.terminal("act", images)]
    evaluator = backend._metrics()
    seen = []
    for method in ("score", "map_keys"):
        original = getattr(evaluator, method)

        def spy(name, *args, method=method, original=original):
            seen.append((method, args[2 if method == "score" else 1] is None))
            return original(name, *args)
        setattr(evaluator, method, spy)
    scores = backend.score_tensor(weights, images, metric)
    keys = backend.map_keys(weights, images, metric)
    reads_s_to_score = metric in ("avg_drop", "sch")
    assert seen == [("score", not reads_s_to_score), ("map_keys", True)]
    # the same values and keys as from the full maps
    s_fm, s = backend.saliency(weights, images)
    fresh = MetricEvaluator(backend.classifier.probs, backend.pixels, backend._all_targets(), backend.masks,
                            backend.steps, backend.classifier.batch_size)
    torch.testing.assert_close(scores, fresh.score(metric, torch.tensor(images), s_fm, s), rtol=0, atol=0)
    assert keys == fresh.map_keys(metric, s_fm, s, torch.tensor(images))
