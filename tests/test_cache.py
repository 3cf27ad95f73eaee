"""The terminal cache: round trips, damaged entries recomputed, atomic writes, and a second run
over the same images that makes no model call at all."""
import os

import pytest
import torch
from sycam_sygus.backends.torch_cam.backend import TorchBackend
from sycam_sygus.backends.torch_cam.cache import (
    TensorCache,
    cache_folder,
    entry_key,
    image_fingerprints,
    model_fingerprint,
)
from sycam_sygus.backends.torch_cam.data import ImageSet
from sycam_sygus.backends.torch_cam.models import Classifier, find_layer
from torch import nn

TERMINALS = ["grads", "pos_grads", "gradcampp", "xgrads", "act", "eigen", "cic", "abl", "class"]


def test_round_trip_keeps_dtype_shape_and_values(tmp_path):
    cache = TensorCache(tmp_path)
    for key, tensor in [("a", torch.randn(3, 5)), ("b", torch.arange(4)), ("c", torch.rand(2, 3, 4, 4).double())]:
        cache.store(key, tensor)
        loaded = cache.load(key)
        assert loaded.dtype == tensor.dtype and torch.equal(loaded, tensor)
    assert cache.load("absent") is None
    assert cache.hits == 3 and cache.misses == 1


@pytest.mark.parametrize("damage", ["truncate", "flip-payload-byte", "garbage", "empty"])
def test_damaged_entry_is_a_warned_miss(tmp_path, damage):
    cache = TensorCache(tmp_path)
    cache.store("k", torch.randn(16))
    path = cache.path("k")
    data = path.read_bytes()
    damaged = {"truncate": data[:-5], "flip-payload-byte": data[:-1] + bytes([data[-1] ^ 1]),
               "garbage": b"not a cache file", "empty": b""}[damage]
    path.write_bytes(damaged)
    with pytest.warns(UserWarning, match="damaged"):
        assert cache.load("k") is None


def test_interrupted_write_never_leaves_a_loadable_entry(tmp_path, monkeypatch):
    cache = TensorCache(tmp_path)

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.store("k", torch.randn(8))
    monkeypatch.undo()
    assert cache.load("k") is None
    assert list(tmp_path.iterdir()) == []  # the temporary file was removed too


def test_interrupted_overwrite_keeps_the_old_entry(tmp_path, monkeypatch):
    cache = TensorCache(tmp_path)
    old = torch.randn(8)
    cache.store("k", old)
    monkeypatch.setattr(os, "replace", lambda s, t: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        cache.store("k", torch.randn(8))
    monkeypatch.undo()
    assert torch.equal(cache.load("k"), old)


def test_cache_folder_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("SYCAM_CACHE", str(tmp_path / "env"))
    assert cache_folder("") == tmp_path / "env"
    assert cache_folder(str(tmp_path / "opt")) == tmp_path / "opt"
    monkeypatch.delenv("SYCAM_CACHE")
    assert cache_folder("").parts[-2:] == (".cache", "sycam")


def test_keys_change_with_content():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    before = model_fingerprint(model)
    with torch.no_grad():
        model.weight[0, 0] += 1e-6
    assert model_fingerprint(model) != before
    pixels = torch.rand(2, 3, 4, 4)
    same = pixels.clone()
    same[1, 0, 0, 0] += 1e-3
    first, second = image_fingerprints(pixels), image_fingerprints(same)
    assert first[0] == second[0] and first[1] != second[1]
    assert entry_key("m", "layer", "img", 3, "grads") != entry_key("m", "layer", "img", 4, "grads")


def make_backend(cache_dir, pixels):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(4, 3)).eval()
    layer, _ = find_layer(model, "1")
    n = len(pixels)
    images = ImageSet(pixels, torch.full((n,), -1), None, [str(i) for i in range(n)], [(8, 8)] * n)
    return TorchBackend(Classifier(model, layer, None, "cpu", 8), images, cache=TensorCache(cache_dir))


def test_second_run_costs_no_forwards_and_gives_equal_values(tmp_path):
    pixels = torch.rand(3, 3, 8, 8)
    first = make_backend(tmp_path, pixels)
    values = {name: first.terminal(name, [0, 1, 2]) for name in TERMINALS}
    assert first.forwards > 0
    second = make_backend(tmp_path, pixels)
    again = {name: second.terminal(name, [2, 0, 1]) for name in TERMINALS}
    assert second.forwards == 0
    for name in TERMINALS:
        torch.testing.assert_close(again[name], values[name][[2, 0, 1]], rtol=0, atol=0)


def test_a_corrupted_terminal_entry_is_recomputed(tmp_path):
    pixels = torch.rand(2, 3, 8, 8)
    first = make_backend(tmp_path, pixels)
    expected = first.terminal("cic", [0, 1])
    cic_entry = first.cache.path(first._key("cic", 1))
    cic_entry.write_bytes(cic_entry.read_bytes()[:-3])
    second = make_backend(tmp_path, pixels)
    with pytest.warns(UserWarning, match="damaged"):
        values = second.terminal("cic", [0, 1])
    torch.testing.assert_close(values, expected)
    # one image's 4 masked copies, the black baseline, and the one-off check of the classifier's
    # inference-optimised copy (the model and the copy on one image: 2 forwards)
    assert second.forwards == 4 + 1 + 2
    assert make_backend(tmp_path, pixels).terminal("cic", [1]).shape == (1, 4)  # rewritten: loads


def test_new_images_compute_only_themselves(tmp_path):
    pixels = torch.rand(3, 3, 8, 8)
    make_backend(tmp_path, pixels[:2]).terminal("grads", [0, 1])
    backend = make_backend(tmp_path, pixels)
    backend.terminal("grads", [0, 1, 2])
    assert backend.forwards == 1 + 1  # image 2: its prediction, then the gradient pass


def test_a_cache_that_cannot_be_written_warns_once_and_the_run_goes_on(tmp_path, monkeypatch):
    pixels = torch.rand(2, 3, 8, 8)
    expected = {name: make_backend(tmp_path / "good", pixels).terminal(name, [0, 1]) for name in TERMINALS}
    monkeypatch.setattr(os, "replace", lambda s, t: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    backend = make_backend(tmp_path / "full", pixels)
    with pytest.warns(UserWarning, match="going on without the cache") as caught:
        values = {name: backend.terminal(name, [0, 1]) for name in TERMINALS}
    assert len([w for w in caught if "cache" in str(w.message)]) == 1
    for name in TERMINALS:
        torch.testing.assert_close(values[name], expected[name], rtol=0, atol=0)
    assert backend.cache is None and "No space left" in backend.describe()["cache"]["error"]


def test_a_cache_folder_under_a_file_warns_once_and_the_run_goes_on(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    pixels = torch.rand(2, 3, 8, 8)
    backend = make_backend(blocker / "cache", pixels)
    with pytest.warns(UserWarning, match="going on without the cache") as caught:
        values = backend.terminal("grads", [0, 1])
        backend.terminal("cic", [0, 1])
    assert len([w for w in caught if "cache" in str(w.message)]) == 1
    torch.testing.assert_close(values, make_backend(tmp_path / "ok", pixels).terminal("grads", [0, 1]))
