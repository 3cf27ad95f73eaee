"""The command line explains itself: --check without a model, --version, defaults in --help, and
plain progress lines off a terminal."""
import io
import subprocess
import sys
import textwrap
import time

import pytest

import sycam_sygus.app.cli as cli
from sycam_sygus.app.progress import Progress
from sycam_sygus.core.options import OPTIONS
from sycam_sygus.ir import var

GOOD = textwrap.dedent("""\
    (set-logic SYCAM)
    (set-option :sycam.images 6)
    (synth-fun weights ((grads Real) (abl Real)) Real
      ((W Real) (T Real)) ((W Real (T (* T T))) (T Real (grads abl))))
    (define-fun gradcam ((grads Real) (abl Real)) Real grads)
    (declare-oracle-fun deletion ((-> Real Real Real)) Real sycam.deletion)
    (constraint (>= (deletion weights) (deletion gradcam)))
    (check-synth)
""")

# Runs --check in a fresh interpreter and reports whether torch (or any model code) was imported.
CHECK_AND_LIST_MODULES = """
import sys
import sycam_sygus.app.cli as cli
status = cli.main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("sycam_sygus.backends"))
print(status, loaded)
"""


def run_check(path, *flags):
    done = subprocess.run([sys.executable, "-c", CHECK_AND_LIST_MODULES, str(path), "--check", *flags],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip(), done.stderr


def test_check_accepts_a_valid_problem_without_loading_torch_or_a_model(tmp_path):
    path = tmp_path / "p.sl"
    path.write_text(GOOD)
    stdout, stderr = run_check(path)
    assert stdout == "0 []"
    assert f"{path}: ok: threshold deletion" in stderr


@pytest.mark.parametrize("bad, message", [
    (GOOD.replace("(T Real (grads abl))", "(T Real (grad abl))"), "undeclared symbol 'grad'"),
    (GOOD.replace("(set-option :sycam.images 6)", "(set-option :sycam.images -1)"), "option ':sycam.images'"),
    (GOOD.replace("sycam.deletion)", "sycam.delete)"), "sycam.delete"),
    (GOOD.replace("(deletion gradcam)", "(deletion gradcom)"), "gradcom"),
])
def test_check_catches_what_the_full_runs_checker_catches_with_no_model(tmp_path, bad, message):
    path = tmp_path / "p.sl"
    path.write_text(bad)
    stdout, stderr = run_check(path)
    assert stdout == "2 []"
    assert message in stderr and "Traceback" not in stderr


def test_check_places_a_bad_flag(tmp_path):
    path = tmp_path / "p.sl"
    path.write_text(GOOD)
    stdout, stderr = run_check(path, "--eq-images", "0")
    assert stdout == "2 []"
    assert "(option :sycam.eq-images, from --eq-images)" in stderr


def test_version_and_defaults_in_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("sycam-solve ")
    text = cli.build_parser().format_help().replace("\n", " ")
    text = " ".join(text.split())
    for name in ("images", "tiers", "time-limit"):
        assert f"(default: {cli._default_text(OPTIONS[name].default)}; overrides :sycam.{name})" in text


def test_off_a_terminal_progress_prints_a_plain_line_every_few_seconds():
    stream = io.StringIO()  # not a TTY
    with Progress(stream, time_limit=30, plain_every=0.05) as progress:
        progress.on_start({"tiers": [[0, 1]], "metric": "deletion"})
        progress.on_candidate(var("grads"), "enumerated")
        progress.on_best(var("grads"), 0.61)
        time.sleep(0.3)
    lines = [line for line in stream.getvalue().splitlines() if "enumerated" in line]
    assert len(lines) >= 2
    assert "1 enumerated" in lines[-1] and "best 0.6100 grads" in lines[-1] and "s left" in lines[-1]


def test_quiet_prints_no_plain_lines():
    stream = io.StringIO()
    with Progress(stream, quiet=True, plain_every=0.01):
        time.sleep(0.05)
    assert stream.getvalue() == ""
