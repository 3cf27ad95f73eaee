"""Hostile and careless input: every case ends in a located message and exit 2 (or an answer),
never a traceback, a hang, a lost answer, or code run because a problem file named it.

Most cases run `cli.main` in this process (with the fake backend, or the torch backend on a tiny
model and a folder of four PNGs); a subprocess is used only where the process itself matters:
signals, and what `python -m sycam_sygus` puts on the import path.
"""
import errno
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from fake_backend import FakeBackend
from slow_fake import SlowCic
from sycam_sygus.backends.torch_cam.cache import TensorCache
from test_cli import PROBLEM, TABLES, TRUTH

import sycam_sygus.app.cli as cli
from sycam_sygus.app import runlog
from sycam_sygus.app.guard import MAX_PROBLEM_BYTES
from sycam_sygus.core.deadline import ANSWER_GRACE

TESTS = Path(__file__).parent
ANSWER = re.compile(r"\A(\(\n(  \(.*\)\n)+\)\n|fail\n|infeasible\n)?\Z", re.S)  # answer, status, or nothing
LONGEST_LINE = 500  # error lines are bounded (cli.MAX_ERROR_LINE plus the caret window)
OPTIMISE = PROBLEM.replace("(constraint (>= (deletion weights) (deletion gradcam)))",
                           "(optimize-synth ((! (deletion weights) :max)))")


def run(capsys, path, *flags):
    """`sycam-solve path flags` in this process: (status, stdout, stderr)."""
    status = cli.main([str(path), "--quiet", *map(str, flags)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_clean(status, out, err, expected_status=2, *fragments):
    """The status, no traceback, every fragment in stderr, bounded stderr lines, stdout an answer or empty."""
    assert status == expected_status, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert all(len(line) <= LONGEST_LINE for line in err.splitlines())
    assert ANSWER.match(out), out
    if expected_status == 2:
        assert out == ""


def refused(capsys, path, fragments, *flags):
    assert_clean(*run(capsys, path, *flags), 2, *fragments)


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(cli, "open_backend", lambda problem, **trusted: FakeBackend(TABLES, TRUTH))


@pytest.fixture
def write(tmp_path):
    def write(text, name="p.sl"):
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


# ------------------------------------------------------------------ numbers and nesting


@pytest.mark.parametrize("literal, where", [
    ("1" * 1000 + ".0", "11:27"), ("1" * 1000, "11:27"), ("-" + "1" * 1000, "11:27"), ("0." + "5" * 1000, "11:27"),
])
def test_a_number_beyond_the_float_range_is_located(capsys, fake, write, literal, where):
    path = write(PROBLEM.replace("(T Real (grads cic abl))", f"(T Real (grads cic abl {literal}))"))
    refused(capsys, path, [f"{path}:{where}: error: number of", "hint:"])


@pytest.mark.parametrize("operator", ["pow", "topk"])
def test_a_huge_operator_numeral_is_located(capsys, fake, write, operator):
    path = write(PROBLEM.replace("(relu W)))", f"(relu W) ({operator} W {10**30})))"))
    refused(capsys, path, [f"{path}:10:", "is out of range", "at most 2147483647"])


def test_a_100k_deep_nesting_gives_one_bounded_error(capsys, fake, write):
    path = write(PROBLEM.replace("(check-synth)", "(constraint " + "(not " * 100_000 + "true" + ")" * 100_001
                                 + "\n(check-synth)"))
    status, out, err = run(capsys, path)
    assert_clean(status, out, err, 2, "nesting deeper than")
    assert len(err) < 2000


def test_an_error_at_the_end_of_a_200kb_line_shows_a_window_with_the_caret(capsys, fake, write):
    path = write(PROBLEM.replace("(check-synth)", "(constraint (and " + "true " * 40_000 + "(nosuch 1)))\n(check-synth)"))
    status, out, err = run(capsys, path)
    assert_clean(status, out, err, 2, "nosuch")
    source, caret = err.splitlines()[1:3]
    assert source[caret.index("^"):].startswith("nosuch") or source[caret.index("^"):].startswith("(nosuch")


# ------------------------------------------------------------------ the file and its commands


def test_a_file_without_check_synth_is_an_error(capsys, fake, write):
    refused(capsys, write(PROBLEM.replace("(check-synth)", "")), ["error: the problem has no (check-synth)"])


def test_a_second_check_synth_is_a_located_warning_and_the_problem_is_answered(capsys, fake, write):
    path = write(PROBLEM + "(check-synth)\n")
    status, out, err = run(capsys, path)
    assert_clean(status, out, err, 0, f"{path}:18:1: warning: a second (check-synth)")
    assert out.startswith("(\n  (define-fun weights")


def test_a_late_set_logic_says_so_where_it_is(capsys, fake, write):
    text = PROBLEM.replace("(set-logic SYCAM)\n", "").replace("(check-synth)", "(set-logic SYCAM)\n(check-synth)")
    path = write(text)
    refused(capsys, path, [f"{path}:16:1: error: (set-logic) comes after commands", "move (set-logic SYCAM) to the top"])


def test_a_fifo_as_the_problem_is_refused_without_opening_it(capsys, tmp_path):
    fifo = tmp_path / "p.sl"
    os.mkfifo(fifo)
    refused(capsys, fifo, ["cannot read the problem file", "special file"])


def test_a_folder_as_the_problem_is_refused(capsys, tmp_path):
    refused(capsys, tmp_path, ["cannot read the problem file", "is a folder"])


def test_a_problem_over_the_size_bound_is_refused_unparsed(capsys, write):
    path = write(PROBLEM + ";" + "x" * MAX_PROBLEM_BYTES + "\n")
    refused(capsys, path, ["cannot read the problem file", "at most"])


def test_a_problem_that_is_not_utf8_is_refused(capsys, tmp_path):
    path = tmp_path / "p.sl"
    path.write_bytes(PROBLEM.encode() + b"\xff\xfe")
    refused(capsys, path, ["cannot read the problem file"])


# ------------------------------------------------------------------ options and flags


@pytest.mark.parametrize("flag, value", [("--seed", 2**63), ("--batch-size", 2**63), ("--seed", -(2**63)),
                                         ("--images", "9" * 5000), ("--max-size", 2**64)])
def test_a_flag_beyond_64_bits_is_refused_naming_the_flag(capsys, fake, write, flag, value):
    refused(capsys, write(PROBLEM), [flag, "error:"], flag, value)


@pytest.mark.parametrize("option, value", [("seed", 2**64), ("images", 10**30), ("batch-size", 2**63),
                                           ("tiers", f'"2 {10**30}"')])
def test_an_option_beyond_64_bits_is_located_in_the_file(capsys, fake, write, option, value):
    path = write(PROBLEM.replace("(set-option :sycam.time-limit 30)", f"(set-option :sycam.{option} {value})"))
    refused(capsys, path, [f"{path}:6:", f"':sycam.{option}'", "2^63"])


def test_a_misspelt_flag_gets_a_did_you_mean(capsys, fake, write):
    refused(capsys, write(PROBLEM), ["unrecognized arguments: --tme-limit", "did you mean --time-limit?"],
            "--tme-limit", "3")


# ------------------------------------------------------------------ trust: a problem file never runs code


@pytest.mark.parametrize("model", ["os:abort", "sys:exit", "this:x", "platform:node", "attack_models:tiny"])
def test_a_problem_file_naming_code_is_refused_with_the_flag_in_the_hint(capsys, write, model):
    path = write(PROBLEM.replace("(set-option :sycam.images 6)", f'(set-option :sycam.model "{model}")'))
    before = set(sys.modules)
    refused(capsys, path, [f"{path}:3:1: error: the model '{model}' is code", f"--model {model} --trust-code"])
    assert "this" not in set(sys.modules) - before


def test_an_entry_point_flag_without_trust_is_refused(capsys, write):
    refused(capsys, write(PROBLEM), ["from --model", "--trust-code"], "--model", "os:abort")


def test_trust_code_does_not_extend_to_the_file(capsys, write):
    path = write(PROBLEM.replace("(set-option :sycam.images 6)", '(set-option :sycam.model "os:abort")'))
    refused(capsys, path, ["is code", "--trust-code"], "--trust-code")


@pytest.mark.parametrize("model", [":x", ".rel:x", "a..b:c", "os:", "a:b:c", "a-b:c"])
def test_a_malformed_entry_point_is_refused_before_any_import(capsys, write, model):
    refused(capsys, write(PROBLEM), ["is not a model name or an entry point"], "--model", model, "--trust-code")


def test_a_trusted_factory_that_returns_no_model_is_refused(capsys, write):
    refused(capsys, write(PROBLEM), ["returned str, not a model"], "--model", "attack_models:not_a_model",
            "--trust-code")


PLANTED = "import pathlib\npathlib.Path(__file__).with_suffix('.imported').write_text('ran')\ndef make():\n    raise SystemExit(0)\n"


@pytest.fixture
def planted(tmp_path):
    """A problem folder and a working directory, each holding planted.py, which leaves a mark when imported."""
    home, work = tmp_path / "problems", tmp_path / "cwd"
    for folder in (home, work):
        folder.mkdir()
        (folder / "planted.py").write_text(PLANTED)
    problem = home / "p.sl"
    problem.write_text(PROBLEM.replace("(set-option :sycam.images 6)", '(set-option :sycam.model "planted:make")'))
    yield problem, work
    assert not any(folder.joinpath("planted.imported").exists() for folder in (home, work))
    assert "planted" not in sys.modules


def test_a_problem_naming_a_planted_module_never_imports_it_even_from_the_import_path(capsys, planted, monkeypatch):
    problem, work = planted
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(problem.parent))  # even where an import would find it
    monkeypatch.syspath_prepend(str(work))
    refused(capsys, problem, [f"{problem}:3:1: error: the model 'planted:make' is code", "--trust-code"])


def test_python_m_sycam_sygus_never_imports_from_the_working_directory(planted):
    problem, work = planted
    env = {**os.environ, "PYTHONPATH": ""}
    trusted = subprocess.run([sys.executable, "-m", "sycam_sygus", str(problem), "--model", "planted:make",
                              "--trust-code"], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert trusted.returncode == 2 and trusted.stdout == "" and "Traceback" not in trusted.stderr
    assert "cannot load model entry point 'planted:make'" in trusted.stderr  # not found: cwd is off the path


# ------------------------------------------------------------------ models, weights, images (torch backend)


@pytest.fixture
def images(tmp_path):
    """A folder of four 16x16 PNGs."""
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    generator = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(generator.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


@pytest.fixture
def torch_problem(tmp_path, images):
    """A problem over the image folder; solved with `--model attack_models:tiny --trust-code`."""
    path = tmp_path / "t.sl"
    path.write_text(OPTIMISE.replace("(set-option :sycam.images 6)", "(set-option :sycam.images 4)")
                    .replace('"builtin:cluttered-mnist"', f'"{images}"'))
    return path


def trusted(model="attack_models:tiny", *more):
    return ["--model", model, "--trust-code", *more]


def test_the_tiny_model_solves_so_the_refusals_below_are_about_their_input(capsys, torch_problem, tmp_path):
    status, out, err = run(capsys, torch_problem, *trusted(), "--cache", tmp_path / "c")
    assert_clean(status, out, err, 0)
    assert out  # an answer (this random network's maps may all tie: then "infeasible")


@pytest.mark.parametrize("option", ["model", "data"])
def test_a_misspelt_builtin_gets_a_did_you_mean(capsys, write, option):
    line = f'(set-option :sycam.{option} "builtin:cluttered_mnist")'
    path = write(PROBLEM.replace('(set-option :sycam.images 6)', line).replace('(set-option :sycam.data "builtin:cluttered-mnist")', ""))
    refused(capsys, path, [f"{path}:3:1: error: unknown built-in 'builtin:cluttered_mnist'",
                           "did you mean 'builtin:cluttered-mnist'?"])


def test_data_naming_a_file_says_it_is_a_file(capsys, torch_problem, images):
    refused(capsys, torch_problem, ["is a file, not a folder", "--data"], *trusted(), "--data", images / "0.png")


def test_a_decompression_bomb_png_is_refused_before_decoding(capsys, torch_problem, images):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)  # 30000x30000 RGB claimed in 100 bytes
    (images / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                                      + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    refused(capsys, torch_problem, ["cannot read image", "bomb.png", "(option :sycam.data)"], *trusted(),
            "--images", 0)


def test_a_non_image_with_an_image_suffix_is_refused(capsys, torch_problem, images):
    (images / "fake.png").write_text("this is not a picture")
    refused(capsys, torch_problem, ["cannot read image", "fake.png"], *trusted(), "--images", 0)


def zip_of(tmp_path, payload):
    path = tmp_path / "w.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w/data.pkl", payload)
    return path


@pytest.mark.parametrize("kind", ["empty", "pickle", "passwd", "text", "zip-pickle", "list", "wrong-keys", "folder"])
def test_unusable_weights_are_refused_naming_the_option(capsys, torch_problem, tmp_path, kind):
    path = tmp_path / "w.pt"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "pickle":
        path.write_bytes(pickle.dumps({"a": 1}))
    elif kind == "passwd":
        path = Path("/etc/passwd")
    elif kind == "text":
        path.write_text("weights" * 100)
    elif kind == "zip-pickle":
        path = zip_of(tmp_path, pickle.dumps(os.system))
    elif kind == "list":
        torch.save([torch.zeros(1)], path)
    elif kind == "wrong-keys":
        torch.save({"unrelated": torch.zeros(1)}, path)
    else:
        path = tmp_path
    status, out, err = run(capsys, torch_problem, *trusted(), "--weights", path)
    assert_clean(status, out, err, 2, "cannot load weights", "(option :sycam.weights, from --weights)")
    assert "weights_only=False" not in err


def test_a_fifo_as_weights_is_refused_without_opening_it(capsys, torch_problem, tmp_path):
    fifo = tmp_path / "w.pt"
    os.mkfifo(fifo)
    refused(capsys, torch_problem, ["cannot load weights", "special file"], *trusted(), "--weights", fifo)


def test_a_fifo_as_the_data_or_the_masks_is_refused_without_opening_it(capsys, torch_problem, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused(capsys, torch_problem, ["data folder", "is a file, not a folder"], *trusted(), "--data", fifo)
    refused(capsys, torch_problem, ["mask folder", "is a file, not a folder"], *trusted(), "--masks", fifo)


def test_a_layer_with_only_constant_channels_still_answers_and_reports(capsys, torch_problem, tmp_path):
    status, out, err = run(capsys, torch_problem, *trusted("attack_models:flat"), "--cache", tmp_path / "c",
                           "--report", tmp_path / "r", "--compare", "all")
    assert_clean(status, out, err, 0)
    assert json.loads((tmp_path / "r" / "report.json").read_text())["status"] in ("solved", "fail", "infeasible")


# ------------------------------------------------------------------ the terminal cache


def entry(cache, key, tensor):
    cache.store(key, tensor)
    return cache.path(key)


def test_a_fifo_in_place_of_a_cache_entry_is_a_warned_miss(tmp_path):
    cache = TensorCache(tmp_path)
    os.mkfifo(cache.path("k"))
    with pytest.warns(UserWarning, match="damaged"):
        assert cache.load("k") is None
    cache.store("k", torch.ones(2))  # replaced by a real entry
    assert torch.equal(cache.load("k"), torch.ones(2))


def test_a_cache_entry_with_a_rewritten_shape_is_refused(tmp_path):
    cache = TensorCache(tmp_path)
    path = entry(cache, "k", torch.arange(12.0).view(3, 4))
    path.write_bytes(path.read_bytes().replace(b'"shape": [3, 4]', b'"shape": [4, 3]'))  # same size
    with pytest.warns(UserWarning, match="damaged"):
        assert cache.load("k") is None


def test_a_cache_entry_of_an_unexpected_shape_is_refused(tmp_path):
    cache = TensorCache(tmp_path)
    entry(cache, "k", torch.zeros(6))
    with pytest.warns(UserWarning, match="damaged"):
        assert cache.load("k", shape=(4,)) is None


def test_a_cache_entry_swapped_to_another_key_is_refused(tmp_path):
    cache = TensorCache(tmp_path)
    entry(cache, "image-a", torch.ones(4))
    entry(cache, "image-b", torch.zeros(4))
    cache.path("image-a").write_bytes(cache.path("image-b").read_bytes())
    with pytest.warns(UserWarning, match="damaged"):
        assert cache.load("image-a") is None


def test_a_cache_entry_of_nan_with_a_consistent_checksum_is_refused(tmp_path):
    cache = TensorCache(tmp_path)
    entry(cache, "k", torch.full((4,), float("nan")))
    with pytest.warns(UserWarning, match="damaged"):
        assert cache.load("k") is None


def test_swapped_cache_entries_do_not_change_the_answer(capsys, torch_problem, tmp_path):
    first = run(capsys, torch_problem, *trusted(), "--cache", tmp_path / "c")
    entries = sorted((tmp_path / "c").glob("*.sycam"))
    blobs = [p.read_bytes() for p in entries]
    for path, blob in zip(entries, blobs[1:] + blobs[:1]):  # every entry now holds another's content
        path.write_bytes(blob)
    second = run(capsys, torch_problem, *trusted(), "--cache", tmp_path / "c")
    assert second[0] == 0 and second[1] == first[1]


# ------------------------------------------------------------------ the candidate log and the report folder


def test_a_log_without_its_header_is_not_resumed(capsys, fake, write, tmp_path):
    path = write(PROBLEM)
    assert run(capsys, path, "--report", tmp_path / "r")[0] == 0
    log = tmp_path / "r" / "candidates.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[1:]))
    refused(capsys, path, [f"{log}:1: the log has no format-2 header line"], "--report", tmp_path / "r", "--resume")


def test_a_tampered_score_is_refused(capsys, fake, write, tmp_path):
    path = write(PROBLEM)
    run(capsys, path, "--report", tmp_path / "r")
    log = tmp_path / "r" / "candidates.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    record = json.loads(lines[1])
    record["scores"] = [s + 0.25 if isinstance(s, float) else s for s in record["scores"]]
    lines[1] = json.dumps(record) + "\n"
    log.write_text("".join(lines))
    refused(capsys, path, [f"{log}:2: the record's checksum does not match"], "--report", tmp_path / "r", "--resume")


def test_a_record_copied_from_another_runs_log_is_refused(capsys, fake, write, tmp_path):
    path = write(PROBLEM)
    run(capsys, path, "--report", tmp_path / "a")
    run(capsys, path, "--report", tmp_path / "b")
    foreign = (tmp_path / "a" / "candidates.jsonl").read_text().splitlines(keepends=True)[1]
    with open(tmp_path / "b" / "candidates.jsonl", "a") as log:
        log.write(foreign)
    refused(capsys, path, ["checksum does not match", "copied"], "--report", tmp_path / "b", "--resume")


def test_a_report_folder_in_use_by_another_run_is_refused(capsys, fake, write, tmp_path):
    from sycam_sygus.app.guard import locked_folder

    path = write(PROBLEM)
    with locked_folder(tmp_path / "r", str(path)):  # another run holds it (flock is per open file)
        refused(capsys, path, ["the report folder", "is in use by another sycam-solve run"], "--report", tmp_path / "r")
    assert run(capsys, path, "--report", tmp_path / "r")[0] == 0  # free again


def test_every_earlier_log_is_kept_as_a_numbered_generation(capsys, fake, write, tmp_path):
    path = write(PROBLEM)
    for _ in range(3):
        assert run(capsys, path, "--report", tmp_path / "r")[0] == 0
    names = sorted(p.name for p in (tmp_path / "r").glob("candidates*.jsonl"))
    assert names == ["candidates.1.jsonl", "candidates.2.jsonl", "candidates.jsonl"]
    assert all(runlog.read_log(tmp_path / "r" / name)[1] for name in names)


def test_a_full_disk_during_the_search_still_prints_the_answer(capsys, fake, write, tmp_path, monkeypatch):
    path = write(OPTIMISE)
    calls = {"n": 0}
    real_fsync = os.fsync

    def fsync(descriptor):
        calls["n"] += 1
        if calls["n"] > 3:  # the header and two records get out; then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(descriptor)

    monkeypatch.setattr(runlog.os, "fsync", fsync)
    status, out, err = run(capsys, path, "--report", tmp_path / "r")
    assert_clean(status, out, err, 0, "warning: the candidate log", "No space left on device", "not logged")
    assert "(define-fun weights" in out


def test_a_report_that_cannot_be_written_after_the_answer_keeps_the_answer(capsys, fake, write, tmp_path, monkeypatch):
    def full(folder, report, figure=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli, "write_report", full)
    status, out, err = run(capsys, write(PROBLEM), "--report", tmp_path / "r")
    assert_clean(status, out, err, 0, "warning: the report was not written", "No space left on device")
    assert out.startswith("(\n  (define-fun weights")


@pytest.mark.parametrize("value", [0.1, 1 / 3, 2.0 ** -1074, -0.0, 1e308, 0.1 + 0.2, float(np.float32(0.7968))])
def test_logged_scores_replay_bit_for_bit(tmp_path, value):
    log = runlog.CandidateLog(tmp_path / "c.jsonl", {"s": 1}, resume=False)
    log.append("grads", 0, [0], [value], True)
    log.close()
    (replayed,) = runlog.read_log(tmp_path / "c.jsonl")[1][0].scores
    assert np.float64(replayed).tobytes() == np.float64(value).tobytes()


# ------------------------------------------------------------------ deadlines and signals


def test_the_time_limit_holds_while_a_slow_terminal_is_computed(capsys, write, monkeypatch):
    SlowCic.seconds = 30.0  # one image alone would take longer than the limit
    monkeypatch.setattr(cli, "open_backend", lambda problem, **trusted: SlowCic(TABLES, TRUTH))
    began = time.monotonic()
    status, out, err = run(capsys, write(OPTIMISE), "--time-limit", 2)
    assert time.monotonic() - began < 2 + ANSWER_GRACE
    assert_clean(status, out, err, 0)
    assert out  # the best so far, or the status when cic was needed before any candidate


SLOW_RUN = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import sycam_sygus.app.cli as cli
    from slow_fake import SlowCic, TABLES, TRUTH
    SlowCic.seconds = 60.0
    cli.open_backend = lambda problem, **trusted: SlowCic(TABLES, TRUTH)
    sys.exit(cli.main({argv!r}))
""")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_terminal_answers_with_the_best_so_far(write, tmp_path, signum):
    path = write(OPTIMISE)
    code = SLOW_RUN.format(tests=str(TESTS), argv=[str(path), "--report", str(tmp_path / "r"), "--compare", "none"])
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stderr.readline().startswith("sycam: searching")
        time.sleep(1.5)  # grads is scored; cic (60 s an image) is being computed
        sent = time.monotonic()
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
        answered_in = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "Traceback" not in stderr
    assert answered_in < ANSWER_GRACE + 3  # and the report (no comparison) written
    assert ANSWER.match(stdout) and stdout
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] is True


def test_a_deadline_passing_mid_cic_keeps_the_finished_images_cached(tmp_path, monkeypatch):
    from test_cache import make_backend

    from sycam_sygus.core.deadline import Deadline, Stopped

    pixels = torch.rand(4, 3, 8, 8)
    backend = make_backend(tmp_path, pixels)
    backend.channels()
    finished = []
    real = backend._remember

    def remember(kind, index, values, store=True):
        real(kind, index, values, store)
        if kind == "cic":
            finished.append(index.tolist())
            backend.deadline.stop.set()  # a stop arrives while the first chunk is stored

    monkeypatch.setattr(backend, "_remember", remember)
    backend.deadline = Deadline()
    with pytest.raises(Stopped):
        backend.terminal("cic", [0, 1, 2, 3])
    assert finished == [[0, 1]]  # 8 passes a batch, 4 channels an image: two images a chunk
    fresh = make_backend(tmp_path, pixels)
    assert fresh._uncached("cic", torch.arange(4)) == [2, 3]  # the finished chunk is on disk


def test_values_in_memory_are_the_cached_ones_so_a_resumed_run_sees_the_same(tmp_path, monkeypatch):
    from test_cache import make_backend

    backend = make_backend(tmp_path, torch.rand(3, 3, 8, 8))
    probe = backend.classifier.activations_and_gradients

    def other_batch(pixels, targets):  # the probe's logits as another batch may round them
        acts, grads, logits = probe(pixels, targets)
        return acts, grads, logits + 1e-3

    monkeypatch.setattr(backend.classifier, "activations_and_gradients", other_batch)
    backend.terminal("grads", [0, 1, 2])  # logits first (for the targets), then a probe that returns them again
    for image in range(3):
        cached = backend.cache.load(backend._key("logits", image))
        assert torch.equal(backend._memo["logits"][0][image], cached)
