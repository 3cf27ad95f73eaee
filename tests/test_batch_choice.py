"""The batch size chosen by timing (`batch-size 0`), padded short calls, and out-of-memory back-off."""
import json
import warnings

import pytest
import torch
from sycam_sygus.backends.torch_cam import batch_choice
from sycam_sygus.backends.torch_cam.backend import open_backend
from sycam_sygus.backends.torch_cam.batch_choice import (
    CHOICES_FILE,
    SIZES,
    choose_batch_size,
    fastest,
    sweep,
)
from sycam_sygus.backends.torch_cam.models import MIN_CALL, Classifier, load_model
from tiny_models import GapNet

from sycam_sygus.core.settings import Settings


def small_classifier(batch_size=64):
    model = GapNet()
    return Classifier(model, model.features, None, "cpu", batch_size)


def test_fastest_is_the_smallest_size_within_five_percent_of_the_best():
    assert fastest({1: 1.0, 2: 0.5, 4: 0.49, 8: 0.6}) == 2
    assert fastest({1: 1.0, 2: 0.8, 4: 0.4}) == 4
    assert fastest({16: 0.1}) == 16


def test_sweep_times_sizes_in_order_and_leaves_the_forward_counters_alone():
    classifier = small_classifier()
    per_image = sweep(classifier, torch.rand(3, 3, 16, 16), sizes=(1, 2, 4, 8))
    assert list(per_image) == [1, 2, 4, 8] and all(seconds > 0 for seconds in per_image.values())
    assert classifier.forwards == 0 and classifier.tail_forwards == 0


def test_sweep_stops_once_a_call_is_too_slow_after_three_sizes():
    per_image = sweep(small_classifier(), torch.rand(2, 3, 16, 16), sizes=(4, 8, 16, 32, 64), call_seconds=0.0)
    assert list(per_image) == [4, 8, 16]  # at least three sizes, then the first slow call ends it


def test_a_choice_is_measured_once_then_read_from_the_cache_folder(tmp_path, monkeypatch):
    classifier = small_classifier()
    chosen = choose_batch_size(classifier, torch.rand(2, 3, 16, 16), "key-a", tmp_path)
    assert chosen in SIZES
    assert json.loads((tmp_path / CHOICES_FILE).read_text()) == {"key-a": chosen}

    def no_timing(*args, **kwargs):
        raise AssertionError("a cached choice is not measured again")

    monkeypatch.setattr(batch_choice, "sweep", no_timing)
    assert choose_batch_size(classifier, torch.rand(2, 3, 16, 16), "key-a", tmp_path) == chosen
    (tmp_path / CHOICES_FILE).write_text("{torn")  # a damaged file is measured again, not an error
    monkeypatch.setattr(batch_choice, "sweep", lambda *a, **k: {4: 1.0, 8: 0.5})
    assert choose_batch_size(classifier, torch.rand(2, 3, 16, 16), "key-a", tmp_path) == 8


def settings(tmp_path, **flags):
    return Settings.resolve(flags={"images": 6, "tiers": [3, 6], "device": "cpu", "cache": str(tmp_path), **flags})


def test_open_backend_chooses_a_batch_size_unless_one_is_given(tmp_path, monkeypatch):
    auto = open_backend(settings(tmp_path))
    assert auto.classifier.batch_size in SIZES and auto.describe()["batch_size"] == auto.classifier.batch_size
    assert len(json.loads((tmp_path / CHOICES_FILE).read_text())) == 1

    def no_timing(*args, **kwargs):
        raise AssertionError("an explicit batch size is not measured")

    monkeypatch.setattr(batch_choice, "sweep", no_timing)
    assert open_backend(settings(tmp_path / "other", **{"batch-size": 8})).classifier.batch_size == 8


def test_outputs_do_not_depend_on_how_images_are_grouped_into_calls():
    model, layer, normalize, size = load_model("builtin:cluttered-mnist")
    from sycam_sygus.backends.torch_cam.models import find_layer

    module, _ = find_layer(model, layer)
    pixels = torch.rand(13, 3, *size)
    logits = {b: Classifier(model, module, normalize, "cpu", b).logits(pixels) for b in (1, 2, 3, 5, 13)}
    for b, values in logits.items():
        assert torch.equal(values, logits[13]), b
    classifier = Classifier(model, module, normalize, "cpu", 1)
    classifier.logits(pixels[:1])
    assert classifier.forwards == 1 and MIN_CALL > 1  # the padding rows are not counted


class RunsOutOfMemory(torch.nn.Module):
    """A model that fails like CUDA does on batches larger than `limit`."""

    def __init__(self, limit):
        super().__init__()
        self.inner, self.limit = GapNet(), limit

    def forward(self, x):
        if x.shape[0] > self.limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return self.inner(x)


def test_out_of_memory_halves_the_batch_size_and_retries():
    model = RunsOutOfMemory(limit=8)
    classifier = Classifier(model, model.inner.features, None, "cpu", 32)
    pixels = torch.rand(20, 3, 16, 16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logits = classifier.logits(pixels)
    assert classifier.batch_size == 8 and classifier.forwards == 20  # failed tries are not counted
    assert any("batch size lowered to 8" in str(w.message) for w in caught)
    with torch.no_grad():
        assert torch.allclose(logits, model.inner(pixels), atol=1e-6)


def test_out_of_memory_at_batch_size_one_is_raised():
    model = RunsOutOfMemory(limit=0)
    classifier = Classifier(model, model.inner.features, None, "cpu", 1)
    with pytest.raises(torch.cuda.OutOfMemoryError):
        classifier.logits(torch.rand(2, 3, 16, 16))
