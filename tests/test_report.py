"""report.json / report.md / heatmaps.png / candidates.jsonl of a run on the fake backend.

The fake backend scores a weight vector by the cosine between ReLU(w) and a per-image truth
vector, so every classic method's score below is computed by hand.
"""
import contextlib
import dataclasses
import io
import json
import math
import os
import stat

import numpy as np
import pytest
from fake_backend import FakeBackend

from sycam_sygus.app.cli import run_search
from sycam_sygus.app.report import Recorder, acceptance, markdown
from sycam_sygus.app.runlog import ScoredCandidate, read_log
from sycam_sygus.core.settings import Settings
from sycam_sygus.engine.observer import TierRef
from sycam_sygus.ir import INT, REAL, app, hole, var
from sycam_sygus.ir.problem import Goal, Grammar, Problem, SynthFun

TERMINALS = ("grads", "gradcampp", "cic", "abl")
# Two channels, four images; the truth points at channel 0 on every image.
TRUTH = np.array([[1.0, 0.0]] * 4)
TABLES = {
    "grads": np.array([[1.0, 1.0]] * 4),  # cos 45° = 1/sqrt 2
    "gradcampp": np.array([[2.0, 1.0]] * 4),  # 2/sqrt 5
    "xgrads": np.array([[3.0, 4.0]] * 4),  # 3/5
    "eigen": np.array([[4.0, 3.0]] * 4),  # 4/5
    "cic": np.array([[3.0, 0.0], [3.0, 0.0], [1.0, 1.0], [0.0, 1.0]]),  # 1, 1, 1/sqrt 2, 0
    "abl": np.array([[-1.0, 1.0]] * 4),  # ReLU leaves only channel 1: 0
}
CURRENT_UMASK = os.umask(0o022)
os.umask(CURRENT_UMASK)
EXPECTED = {
    "Grad-CAM": [1 / math.sqrt(2)] * 4,
    "Grad-CAM++": [2 / math.sqrt(5)] * 4,
    "XGrad-CAM": [0.6] * 4,
    "EigenCAM": [0.8] * 4,
    "Score-CAM": [1.0, 1.0, 1 / math.sqrt(2), 0.0],
    "Ablation-CAM": [0.0] * 4,
}


def make_problem(path, mode="threshold", by_class=False, tiers=(2, 4), terminals=TERMINALS, holdout=0):
    t = hole("T", REAL)
    grammar = Grammar(
        (("W", REAL), ("T", REAL)),
        {"W": (t, app("*", [t, t], REAL)), "T": tuple(var(n) for n in terminals)},
    )
    params = tuple((n, REAL) for n in terminals) + ((("class", INT),) if by_class else ())
    synth = SynthFun("weights", params, REAL, grammar, "class" if by_class else None)
    options = Settings.resolve(flags={"images": 4, "tiers": list(tiers), "eq-images": 2, "time-limit": 60.0,
                                      "max-size": 3, "holdout": holdout})
    goal = Goal("deletion", True, mode, baseline="gradcam" if mode == "threshold" else None)
    path.write_text("; a hand-built problem (the report reads only its path)\n")
    return Problem(str(path), "SYCAM", options, synth, (goal,), {"gradcam": var("grads")})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run shared by the tests that read its files (drawing the figure is the slow part)."""
    folder = tmp_path_factory.mktemp("report")
    problem = make_problem(folder / "p.sl")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run_search(problem, FakeBackend(TABLES, TRUTH), {"tiers": [2, 4]}, folder / "out", quiet=True)
    report = json.loads((folder / "out" / "report.json").read_text())
    return status, (out.getvalue(), err.getvalue()), report, folder / "out"


def test_stdout_is_only_the_answer_and_matches_the_report(run):
    status, captured, report, _ = run
    assert status == 0
    assert report["status"] == "solved"
    stdout, stderr = captured
    assert stdout == (
        "(\n  (define-fun weights ((grads Real) (gradcampp Real) (cic Real) (abl Real)) Real "
        f"{report['answer']})\n)\n"
    )
    assert stderr == ""  # --quiet


def test_classic_methods_are_scored_by_hand_values_on_the_last_tier(run):
    _, _, report, _ = run
    comparison = report["comparison"]
    assert sorted(comparison["images"]) == [0, 1, 2, 3]  # the last tier holds all four images
    rows = {row["method"]: row for row in comparison["rows"]}
    assert list(rows) == ["Grad-CAM", "Grad-CAM++", "XGrad-CAM", "EigenCAM", "Score-CAM", "Ablation-CAM", "sycam answer"]
    for method, expected in EXPECTED.items():
        by_image = dict(zip(comparison["images"], rows[method]["per_image"]["deletion"]))
        assert [by_image[i] for i in range(4)] == pytest.approx(expected)
        assert rows[method]["means"]["deletion"] == pytest.approx(np.mean(expected))
    assert rows["sycam answer"]["expression"] == report["answer"]


def test_answer_is_accepted_against_grad_cam_by_the_rule(run):
    _, _, report, _ = run
    rows = {row["method"]: row for row in report["comparison"]["rows"]}
    verdict = report["comparison"]["acceptance_of_answer"]["deletion"]["Grad-CAM"]
    answer, gradcam = rows["sycam answer"]["per_image"]["deletion"], rows["Grad-CAM"]["per_image"]["deletion"]
    wins = sum(a >= g for a, g in zip(answer, gradcam))
    assert verdict["images_at_least_as_good"] == wins and 2 * wins >= 4
    assert verdict["accepted"] and np.mean(answer) > np.mean(gradcam)


def test_every_scored_candidate_is_in_the_report_and_the_log(run):
    _, _, report, folder = run
    header, records = read_log(folder / "candidates.jsonl")
    logged = [(r.term, r.tier, list(r.images), list(r.scores)) for r in records]
    reported = [(c["term"], c["tier"], c["images"], c["scores"]) for c in report["candidates"]]
    assert logged == reported
    assert len({(term, tier) for term, tier, _, _ in logged}) == len(logged)
    assert ("grads", 0) in {(t, k) for t, k, _, _ in logged}  # the declared baseline, tier 0
    assert header["settings"]["sycam.tiers"] == [2, 4]


def test_markdown_has_the_published_table_shape(run):
    _, _, report, folder = run
    text = (folder / "report.md").read_text()
    assert text == markdown(report, "heatmaps.png")
    table = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert [line.split("|")[1].strip() for line in table] == [
        "Grad-CAM", "Grad-CAM++", "XGrad-CAM", "EigenCAM", "Score-CAM", "Ablation-CAM", "**sycam answer**"]
    assert "| method | expression | deletion ↑ |" in text
    assert f"{np.mean(EXPECTED['Score-CAM']):.4f}" in table[4]
    assert "![heatmaps](heatmaps.png)" in text


def test_heatmaps_png_is_written(run):
    _, _, _, folder = run
    assert (folder / "heatmaps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(folder.glob(".*.tmp"))  # atomic writes leave no temporaries


def test_optimise_answer_starts_with_the_objective_tuple(tmp_path, capsys):
    problem = make_problem(tmp_path / "p.sl", mode="optimise")
    run_search(problem, FakeBackend(TABLES, TRUTH), {}, None, quiet=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "(" and lines[-1] == ")" and lines[2].startswith("  (define-fun weights")
    value = float(lines[1].strip("() "))
    # Score-CAM has the best mean of the single terminals, and no product beats 1 on cosines
    assert value >= np.mean(EXPECTED["Score-CAM"]) - 1e-12


@pytest.mark.parametrize(
    "candidate, baseline, maximise, expected",
    [
        ([1, 1, 0, 0], [0, 0, 1, 1], True, (2, True, True, False)),  # tie on the mean: not accepted
        ([2, 1, 0, 0], [0, 0, 1, 1], True, (2, True, True, True)),
        ([2, 1, 0, 0], [0, 0, 1, 1], False, (2, False, False, False)),  # lower is better
        ([5, 0, 0, 0], [1, 1, 1, 1], True, (1, True, False, False)),  # better mean, too few images
    ],
)
def test_acceptance_counts_images_and_means(candidate, baseline, maximise, expected):
    v = acceptance(candidate, baseline, maximise)
    assert (v["images_at_least_as_good"], v["mean_at_least_as_good"], v["at_least_as_good"], v["accepted"]) == expected


def test_acceptance_follows_a_strict_goal_like_the_engine():
    # ties on three of four images: a `>=` goal beats the baseline on all four, a `>` goal on one
    candidate, baseline = [1, 1, 1, 3], [1, 1, 1, 1]
    assert acceptance(candidate, baseline, True)["accepted"]
    strict = acceptance(candidate, baseline, True, strict=True)
    assert not strict["accepted"] and strict["images_at_least_as_good"] == 4  # that count allows ties


def test_the_candidate_evaluation_count_leaves_out_baselines(run):
    _, _, report, folder = run
    # grads (the baseline gradcam) is scored on both tiers; of the candidates, grads reuses the
    # baseline's scores (it only ties: rejected) and gradcampp passes both tiers: two evaluations
    assert [(c["term"], c["tier"]) for c in report["candidates"]] == [
        ("grads", 0), ("grads", 1), ("gradcampp", 0), ("gradcampp", 1)]
    assert report["candidate_evaluations"] == 2
    # both candidates were checked (grads on the baseline's own scores); report.md says so in words
    assert "| candidates checked against the tiers | 2 |" in (folder / "report.md").read_text().splitlines()


def test_a_problem_split_by_class_gets_per_class_columns(tmp_path):
    # class 0 images want channel 0 (Score-CAM's), class 1 images channel 1 (Ablation-CAM's)
    truth = np.array([[1.0, 0.0]] * 4 + [[0.0, 1.0]] * 4)
    tables = {"grads": np.array([[1.0, 1.0]] * 8), "gradcampp": np.array([[2.0, 1.0]] * 8),
              "xgrads": np.array([[1.0, 1.0]] * 8), "eigen": np.array([[1.0, 1.0]] * 8),
              "cic": np.array([[1.0, 0.0]] * 8), "abl": np.array([[0.0, 1.0]] * 8)}
    backend = FakeBackend(tables, truth, classes=[0] * 4 + [1] * 4)
    problem = make_problem(tmp_path / "p.sl", by_class=True, tiers=(4, 8))
    with contextlib.redirect_stdout(io.StringIO()):
        run_search(problem, backend, {}, tmp_path / "out", quiet=True)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    rows = {row["method"]: row["means"] for row in report["comparison"]["rows"]}
    assert list(rows["Grad-CAM"]) == ["deletion", "deletion (class 0)", "deletion (class 1)"]
    assert rows["Grad-CAM"]["deletion (class 0)"] == pytest.approx(1 / math.sqrt(2))
    assert (rows["Score-CAM"]["deletion (class 0)"], rows["Score-CAM"]["deletion (class 1)"]) == (1.0, 0.0)
    assert (rows["Ablation-CAM"]["deletion (class 0)"], rows["Ablation-CAM"]["deletion (class 1)"]) == (0.0, 1.0)
    assert rows["Ablation-CAM"]["deletion"] == pytest.approx(0.5)
    assert "deletion (class 1)" in (tmp_path / "out" / "report.md").read_text()


def test_the_reports_rows_are_the_classic_methods_of_baselines_sl(run):
    from sycam_sygus.app.baselines import classic_methods
    from sycam_sygus.ir import to_sygus

    _, _, report, _ = run
    rows = [(row["method"], row["expression"]) for row in report["comparison"]["rows"]][:-1]
    assert rows == [(m.display_name, to_sygus(m.expression)) for m in classic_methods()]


def test_the_report_scores_whatever_baselines_sl_defines(tmp_path, monkeypatch):
    """A compound method in the definitions file gets its own row, scored by hand values."""
    import sycam_sygus.app.report as report_module
    from sycam_sygus.app.baselines import classic_methods

    definitions = tmp_path / "baselines.sl"
    definitions.write_text(
        "(set-logic SYCAM)\n; display: Product\n(define-fun product ((grads Real) (cic Real)) Real (* grads cic))\n")
    monkeypatch.setattr(report_module, "classic_methods", lambda: classic_methods(definitions))
    rows = report_module.compare_methods(make_problem(tmp_path / "p.sl"), FakeBackend(TABLES, TRUTH), None, range(4))
    assert [(row.method, row.expression) for row in rows] == [("Product", "(* grads cic)")]
    # grads * cic = cic on images 0, 1 and 3 (grads is all ones there), (1, 1) on image 2
    assert rows[0].per_image["deletion"] == pytest.approx([1.0, 1.0, 1 / math.sqrt(2), 0.0])


def test_two_objectives_print_two_values_in_goal_order(tmp_path, capsys):
    problem = make_problem(tmp_path / "p.sl", mode="optimise")
    # the fake backend scores lower-is-better metrics as 1 - cosine, so the values must sum to 1
    both = dataclasses.replace(problem, goals=(problem.goals[0], Goal("avg_drop", False, "optimise")))
    run_search(both, FakeBackend(TABLES, TRUTH), {}, None, quiet=True)
    captured = capsys.readouterr()
    deletion, avg_drop = map(float, captured.out.splitlines()[1].strip("() ").split())
    assert deletion + avg_drop == pytest.approx(1.0)
    assert deletion >= np.mean(EXPECTED["Score-CAM"]) - 1e-12
    assert "only the first one guides the search" in captured.err


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_report_files_follow_the_umask_like_ordinary_files(tmp_path, umask):
    from sycam_sygus.app.report import write_atomically

    previous = os.umask(umask)
    try:
        write_atomically(tmp_path / "report.md", "text\n")
        (tmp_path / "ordinary.md").write_text("text\n")
    finally:
        os.umask(previous)
    mode = stat.S_IMODE((tmp_path / "report.md").stat().st_mode)
    assert mode == 0o666 & ~umask == stat.S_IMODE((tmp_path / "ordinary.md").stat().st_mode)
    assert (tmp_path / "report.md").read_text() == "text\n"


def test_a_runs_report_files_get_the_mode_of_ordinary_files(run):
    _, _, _, folder = run  # the module's run happened under pytest's usual umask
    for name in ("report.json", "report.md", "heatmaps.png"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o666 & ~CURRENT_UMASK, name


# --------------------------------------------------------------- what the comparison costs


def wide_backend(channels):
    """Four images, `channels` channels, truth on channel 0; cic is exactly the truth (cosine 1),
    abl exactly the other channels (cosine 0); grads, gradcampp, xgrads and eigen are ones with 1,
    2, 3 and 4 on channel 0 (cosines 1/sqrt K, 2/sqrt(K + 3), 3/sqrt(K + 8), 4/sqrt(K + 15))."""
    truth = np.zeros((4, channels))
    truth[:, 0] = 1.0
    ones = np.ones((4, channels))
    return FakeBackend({"grads": ones, "gradcampp": ones + truth, "xgrads": ones + 2 * truth,
                        "eigen": ones + 3 * truth, "cic": truth,
                        "abl": ones - truth}, truth)


GRADIENT_ONLY = ("grads", "gradcampp", "xgrads", "eigen")


def compare(channels, mode, tmp_path, terminals=GRADIENT_ONLY):
    from sycam_sygus.app.report import compare_methods

    backend, lines = wide_backend(channels), []
    problem = make_problem(tmp_path / "p.sl", terminals=terminals)
    rows = compare_methods(problem, backend, var("grads"), range(4), mode, lines.append)
    return {row.method: row for row in rows}, lines, backend


def test_auto_scores_per_channel_methods_up_to_the_limit_of_forwards(tmp_path):
    from sycam_sygus.app.report import AUTO_COMPARE_FORWARDS

    channels = AUTO_COMPARE_FORWARDS // 4  # 4 images x K channels: exactly the limit
    rows, lines, backend = compare(channels, "auto", tmp_path)
    assert all(row.reason is None for row in rows.values())
    assert rows["Score-CAM"].per_image["deletion"] == pytest.approx([1.0] * 4)
    assert rows["Ablation-CAM"].per_image["deletion"] == pytest.approx([0.0] * 4)
    assert f"sycam: comparing with Score-CAM on 4 images (≈{AUTO_COMPARE_FORWARDS} model forwards" in lines[4]
    assert len(lines) == 6  # one line per classic method


def test_auto_leaves_out_an_expensive_per_channel_method_with_its_cost(tmp_path):
    from sycam_sygus.app.report import AUTO_COMPARE_FORWARDS

    channels = AUTO_COMPARE_FORWARDS // 4 + 1  # 4 more forwards than the limit
    rows, lines, backend = compare(channels, "auto", tmp_path)
    expected = f"not computed (≈{4 * channels} model forwards; pass --compare all)"
    for method in ("Score-CAM", "Ablation-CAM"):
        assert (rows[method].reason, rows[method].means, rows[method].per_image) == (expected, None, None)
        assert f"sycam: {method} {expected}" in lines
    assert not {name for name, _ in backend.computed} & {"cic", "abl"}  # never computed
    # the gradient methods cost one pass per image: always scored (cosine 1/sqrt K)
    assert rows["Grad-CAM"].means["deletion"] == pytest.approx(1 / math.sqrt(channels))
    assert rows["Grad-CAM++"].means["deletion"] == pytest.approx(2 / math.sqrt(channels + 3))
    assert rows["XGrad-CAM"].means["deletion"] == pytest.approx(3 / math.sqrt(channels + 8))
    assert rows["sycam answer"].means["deletion"] == pytest.approx(1 / math.sqrt(channels))


def test_auto_scores_a_method_whose_terminals_the_search_computed_whatever_they_cost(tmp_path):
    channels = 3000  # 12,000 forwards if computed now
    rows, lines, backend = compare(channels, "auto", tmp_path)
    backend.terminal("cic", range(4))  # as a search over a grammar with cic would have
    from sycam_sygus.app.report import compare_methods

    rows = {r.method: r for r in compare_methods(make_problem(tmp_path / "p.sl"), backend, None, range(4),
                                                 "auto", lines.append)}
    assert rows["Score-CAM"].reason is None and rows["Score-CAM"].means["deletion"] == pytest.approx(1.0)
    assert "sycam: comparing with Score-CAM on 4 images (terminals cached)" in lines
    assert rows["Ablation-CAM"].reason.startswith("not computed (≈12000 model forwards")


def test_compare_all_scores_every_method_and_none_only_the_answer(tmp_path):
    rows, _, _ = compare(3000, "all", tmp_path)
    assert all(row.reason is None for row in rows.values())
    assert rows["Score-CAM"].means["deletion"] == pytest.approx(1.0)
    rows, lines, backend = compare(3000, "none", tmp_path)
    assert [name for name, row in rows.items() if row.reason is None] == ["sycam answer"]
    assert {row.reason for name, row in rows.items() if name != "sycam answer"} == {"not computed (--compare none)"}
    assert not {name for name, _ in backend.computed} - {"grads"}  # only the answer's terminal


def test_a_left_out_method_is_null_in_the_json_and_explained_in_the_markdown(tmp_path):
    problem = make_problem(tmp_path / "p.sl", terminals=GRADIENT_ONLY)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        run_search(problem, wide_backend(3000), {}, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    rows = {row["method"]: row for row in report["comparison"]["rows"]}
    reason = "not computed (≈12000 model forwards; pass --compare all)"
    assert rows["Score-CAM"] == {"method": "Score-CAM", "expression": "cic", "means": None, "per_image": None,
                                 "reason": reason}
    assert "Score-CAM" not in report["comparison"]["acceptance_of_answer"]["deletion"]
    assert "Grad-CAM" in report["comparison"]["acceptance_of_answer"]["deletion"]
    assert f"| Score-CAM | `cic` | {reason} |" in (tmp_path / "out" / "report.md").read_text()
    assert f"sycam: Score-CAM {reason}" in err.getvalue()  # progress on stderr
    assert report["settings"]["compare"] == "auto"


def test_compare_none_without_an_answer_writes_the_report_without_a_figure(tmp_path):
    problem = make_problem(tmp_path / "p.sl", terminals=GRADIENT_ONLY)
    impossible = dataclasses.replace(problem, goals=(Goal("deletion", True, "threshold", constant=2.0),))
    with contextlib.redirect_stdout(io.StringIO()):
        run_search(impossible, wide_backend(3), {}, tmp_path / "out", quiet=True, compare="none")
    text = (tmp_path / "out" / "report.md").read_text()
    assert "| Grad-CAM | `grads` | not computed (--compare none) |" in text
    assert not (tmp_path / "out" / "heatmaps.png").exists() and "![heatmaps]" not in text


def test_the_torch_backends_terminal_cost_on_the_built_in_model(tmp_path):
    from sycam_sygus.backends.torch_cam.backend import open_backend

    backend = open_backend(Settings.resolve(flags={"images": 3, "cache": str(tmp_path)}))
    channels = backend.channels()  # probes image 0: its activations and gradient terminals are known
    assert backend.terminal_cost("grads", [0, 1, 2]) == 2 and backend.terminal_cost("class", [0, 1, 2]) == 0
    predicted = backend.terminal_cost("cic", [0, 1, 2])
    assert predicted == 3 * channels + 2  # K masked images per image, plus two probes
    before = backend.forwards
    backend.terminal("cic", [0, 1, 2])
    assert abs((backend.forwards - before) - predicted) <= 0.05 * predicted  # an estimate, close to the count
    assert backend.terminal_cost("cic", [0, 1, 2]) == 0 and backend.terminal_cost("grads", [1, 2]) == 0
    # a second backend on the same disk cache has cic already; abl still costs K passes per image
    again = open_backend(Settings.resolve(flags={"images": 3, "cache": str(tmp_path)}))
    assert again.terminal_cost("cic", [0, 1, 2]) == 0
    assert again.terminal_cost("abl", [0, 1, 2]) == 3 * channels


def test_a_resumed_run_counts_only_its_own_candidate_evaluations():
    recorder = Recorder([ScoredCandidate("abl", 0, (0, 1), (0.0, 0.0), False)])  # from the earlier run
    recorder.on_start({"baselines": {"gradcam": "grads"}})
    recorder.on_scored(var("grads"), TierRef(0, 0), [0, 1], [0.5, 0.5], True)  # the baseline
    recorder.on_scored(var("abl"), TierRef(0, 0), [0, 1], [0.0, 0.0], False)  # replayed: already logged
    recorder.on_scored(var("cic"), TierRef(0, -1), [0], [0.9], True)  # the equivalence subset, not a tier
    recorder.on_scored(var("cic"), TierRef(0, 0), [0, 1], [0.9, 0.8], True)
    recorder.on_scored(var("cic"), TierRef(1, 1), [2, 3], [0.9, 0.8], True)  # class 1's tier 1
    assert len(recorder.scored) == 5 and recorder.candidate_evaluations() == 2
