"""Every problem of the CAM track parses, checks, lowers, prints back, and states its expected status."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sycam_sygus.app.cli import main as solve_main
from sycam_sygus.core.logic import METRICS
from sycam_sygus.frontend.lower import load_problem

TRACK = Path(__file__).resolve().parents[1] / "benchmarks" / "cam-track"
FILES = sorted(TRACK.glob("*.sl"))
PHOTOS = sorted((TRACK / "photos").glob("*.sl"))
EXPECTED = re.compile(r"^; expected: (valid|valid or fail|fail|infeasible)$", re.MULTILINE)


@pytest.mark.parametrize("path", FILES + PHOTOS, ids=lambda p: p.name)
def test_each_problem_checks_and_states_its_expected_status(path: Path, capsys) -> None:
    text = path.read_text(encoding="utf-8")
    header = text[:text.index("(set-logic")]
    assert len(EXPECTED.findall(header)) == 1, "the header needs one '; expected: STATUS' line"
    problem = load_problem(str(path))
    assert problem.goals and problem.settings.time_limit <= 60
    assert problem.settings.images <= 80 and problem.settings.max_size <= 5
    assert solve_main(["--parse-only", str(path)]) == 0
    assert capsys.readouterr().out.startswith("(set-logic SYCAM)")


def test_the_track_covers_what_it_promises() -> None:
    assert 20 <= len(FILES) <= 30 and PHOTOS
    problems = [load_problem(str(path)) for path in FILES]
    assert {goal.metric for p in problems for goal in p.goals} == set(METRICS)
    goals = [goal for p in problems for goal in p.goals]
    assert any(g.mode == "optimise" and g.maximise for g in goals)
    assert any(g.mode == "optimise" and not g.maximise for g in goals)
    assert any(g.baseline for g in goals) and any(g.constant is not None for g in goals)
    assert any(any(name == "class" for name, _ in p.synth.params) for p in problems)
    assert any({"cic", "abl"} <= {name for name, _ in p.synth.params} for p in problems)
    assert any(p.settings.validation for p in problems) and any(p.settings.acceptance == "significant" for p in problems)
    statuses = {EXPECTED.search(path.read_text()).group(1) for path in FILES}
    assert {"valid", "infeasible", "fail"} <= statuses
    assert all("builtin:imagenet-photos" in path.read_text() for path in PHOTOS)
