"""sycam-explain: its maps are explain()'s, it runs on a folder of PNGs of different sizes, it takes
an answer file, and bad input is a located error with exit status 2."""
import numpy as np
import pytest
from PIL import Image
from sycam_sygus.backends.torch_cam.data import load_images

import sycam_sygus
from sycam_sygus.app.explain_cli import main

BUILTIN = "builtin:cluttered-mnist"


def test_maps_on_the_builtin_data_equal_explain(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["(* grads act)", "--images", BUILTIN, "--count", "5", "--seed", "3", "--out", str(out)]) == 0
    model, layer, _ = sycam_sygus.builtin_model()
    images = load_images(BUILTIN, "", (64, 64), 5, 3)
    expected = sycam_sygus.explain(model, images.pixels, "(* grads act)", layer=layer).numpy()
    for name, reference in zip(images.names, expected):
        saved = np.load(out / f"{name}.npy")
        assert saved.shape == (64, 64) and saved.dtype == np.float32
        np.testing.assert_allclose(saved, reference, rtol=0, atol=1e-6)
        assert np.asarray(Image.open(out / f"{name}.png")).shape == (64, 64, 3)
    assert (out / "contact-sheet.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "5 image(s)" in capsys.readouterr().err


@pytest.fixture
def folder(tmp_path):
    """Three PNGs of different sizes and aspect ratios, one in a sub-folder."""
    rng = np.random.default_rng(0)
    images = tmp_path / "images"
    (images / "sub").mkdir(parents=True)
    for name, (height, width) in {"wide.png": (30, 90), "tall.png": (120, 48), "sub/square.png": (64, 64)}.items():
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(images / name)
    return images


def test_a_folder_of_pngs_of_different_sizes_with_an_answer_file(folder, tmp_path):
    answer = tmp_path / "answer.txt"
    answer.write_text("(\n  (define-fun weights ((grads Real) (abl Real)) Real (* grads abl))\n)\n")
    out = tmp_path / "out"
    assert main([str(answer), "--images", str(folder), "--out", str(out), "--quiet"]) == 0
    for name in ("wide", "tall", "sub/square"):
        saliency = np.load(out / f"{name}.npy")
        assert saliency.shape == (64, 64) and 0.0 <= saliency.min() and saliency.max() <= 1.0
        assert saliency.max() == pytest.approx(1.0)  # a real map, not a flat one
        assert np.asarray(Image.open(out / f"{name}.png")).shape == (64, 64, 3)
    assert (out / "contact-sheet.png").is_file()
    # the same answer as an expression gives the same maps
    again = tmp_path / "again"
    assert main(["(* grads abl)", "--images", str(folder), "--out", str(again), "--quiet"]) == 0
    np.testing.assert_array_equal(np.load(again / "wide.npy"), np.load(out / "wide.npy"))


def test_a_class_index_target_is_used(folder, tmp_path):
    first, second = tmp_path / "k1", tmp_path / "k2"
    assert main(["grads", "--images", str(folder), "--out", str(first), "--target", "1", "--quiet"]) == 0
    assert main(["grads", "--images", str(folder), "--out", str(second), "--target", "2", "--quiet"]) == 0
    assert not np.array_equal(np.load(first / "wide.npy"), np.load(second / "wide.npy"))


@pytest.mark.parametrize("argv, message", [
    (["grads", "--target", "cat"], "sycam-explain: error: unknown target 'cat' (--target)"),
    (["grads", "--target", "10"], "sycam-explain: error: class 10 is out of range: the model has 10 classes (--target)"),
    (["grads", "--target", "label"], "needs labelled images; some have none (--target)"),
    (["grads", "--layer", "features.block9"], "layer 'features.block9' does not exist (--layer)\nhint: nearby names"),
    (["grads", "--model", "resnet19"], "unknown model 'resnet19' (--model)\nhint: did you mean 'resnet18'?"),
    (["(* grads actt)"], "<expression>:1:10: error: undeclared symbol 'actt'\n  (* grads actt)\n           ^"),
    (["answr.txt"], "answr.txt: error: no file 'answr.txt'\nhint: give an expression such as '(* grads abl)'"),
    (["(pow grads 0)"], "sycam-explain: error: the expression cannot be evaluated: 'pow' takes one tensor and a "
                        "numeral >= 1"),
])
def test_bad_input_is_a_located_error(folder, tmp_path, capsys, argv, message):
    assert main(argv + ["--images", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_missing_folder_names_the_flag(tmp_path, capsys):
    assert main(["grads", "--images", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist (--images)" in capsys.readouterr().err


def test_an_error_in_an_answer_file_points_into_the_file(tmp_path, capsys):
    answer = tmp_path / "answer.txt"
    answer.write_text("(\n  (define-fun weights ((grads Real)) Real (* grads gradz))\n)\n")
    assert main([str(answer), "--images", BUILTIN, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{answer}:2:") and "undeclared symbol 'gradz'" in err


def test_progress_on_a_long_folder(tmp_path, capsys):
    assert main(["grads", "--images", BUILTIN, "--count", "6", "--batch-size", "2", "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "sycam-explain: 6/6 images" in err


def test_an_output_that_cannot_be_written_names_the_flag(tmp_path, capsys):
    out = tmp_path / "out"
    main(["grads", "--images", BUILTIN, "--count", "1", "--out", str(out), "--quiet"])
    taken = next(out.glob("*.npy"))
    taken.unlink()
    taken.mkdir()  # the map's file name is now a folder
    assert main(["grads", "--images", BUILTIN, "--count", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot write into the output folder" in err and "(--out)" in err and "Traceback" not in err
