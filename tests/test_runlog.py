"""The candidate log: round trip, torn last line, append after a tear, settings check."""
import json
import math

import pytest

from sycam_sygus.app.runlog import CandidateLog, RunlogError, read_log

SETTINGS = {"problem": "/p.sl", "goals": ["g"], "sycam.seed": 0, "sycam.tiers": [2, 4]}


def write_two(path):
    log = CandidateLog(path, SETTINGS, resume=False)
    log.append("grads", 0, [0, 1], [0.25, 0.5], True)
    log.append("(* grads abl)", 1, [0, 1, 2, 3], [0.1, math.nan, -math.inf, 0.4], False)
    log.close()


def test_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "candidates.jsonl"
    write_two(path)
    header, records = read_log(path)
    assert header["settings"] == SETTINGS
    assert [(r.term, r.tier, r.images, r.passed) for r in records] == [
        ("grads", 0, (0, 1), True),
        ("(* grads abl)", 1, (0, 1, 2, 3), False),
    ]
    assert records[0].scores == (0.25, 0.5)
    # non-finite scores (disqualified candidates) survive the trip through strict JSON
    assert math.isnan(records[1].scores[1]) and records[1].scores[2] == -math.inf
    for line in path.read_text().splitlines():
        json.loads(line)  # strict JSON, no NaN tokens


def test_torn_last_line_is_dropped(tmp_path):
    path = tmp_path / "candidates.jsonl"
    write_two(path)
    with open(path, "a") as handle:
        handle.write('{"term": "(+ grads')  # the process died mid-write
    _, records = read_log(path)
    assert [r.term for r in records] == ["grads", "(* grads abl)"]


def test_resume_cuts_the_tear_and_appends_on_a_fresh_line(tmp_path):
    path = tmp_path / "candidates.jsonl"
    write_two(path)
    with open(path, "a") as handle:
        handle.write('{"term": "ab')
    log = CandidateLog(path, SETTINGS, resume=True)
    assert [r.term for r in log.previous] == ["grads", "(* grads abl)"]
    log.append("abl", 0, [0, 1], [0.9, 0.8], True)
    log.close()
    header, records = read_log(path)
    assert [r.term for r in records] == ["grads", "(* grads abl)", "abl"]
    assert sum(1 for line in path.read_text().splitlines() if '"header"' in line) == 1


def test_resume_refuses_a_log_of_other_settings(tmp_path):
    path = tmp_path / "candidates.jsonl"
    write_two(path)
    with pytest.raises(RunlogError, match="sycam.seed"):
        CandidateLog(path, {**SETTINGS, "sycam.seed": 1}, resume=True)


def test_a_corrupt_middle_line_is_an_error_with_its_line_number(tmp_path):
    path = tmp_path / "candidates.jsonl"
    write_two(path)
    lines = path.read_text().splitlines()
    lines[1] = "garbage"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RunlogError, match=r"candidates.jsonl:2:"):
        read_log(path)


def test_without_resume_a_fresh_log_starts_and_the_old_one_is_kept(tmp_path):
    path = tmp_path / "candidates.jsonl"
    write_two(path)
    log = CandidateLog(path, SETTINGS, resume=False)
    log.close()
    header, records = read_log(path)
    assert header is not None and records == []
    _, old = read_log(log.set_aside_path())
    assert [r.term for r in old] == ["grads", "(* grads abl)"]


def test_known_scores_feed_the_solver_and_are_not_logged_again(tmp_path):
    from sycam_sygus.app.runlog import known_scores
    from sycam_sygus.engine.observer import TierRef
    from sycam_sygus.ir import REAL, app, var

    path = tmp_path / "candidates.jsonl"
    write_two(path)
    log = CandidateLog(path, SETTINGS, resume=True)
    known = known_scores(log.previous)
    assert known[("grads", TierRef(0, 0))] == (0.25, 0.5)
    assert set(known) == {("grads", TierRef(0, 0)), ("(* grads abl)", TierRef(0, 1))}
    product = app("*", [var("grads"), var("abl")], REAL)
    log.on_scored(product, TierRef(0, 1), [0, 1, 2, 3], [0.1, 0.2, 0.3, 0.4], False)  # replayed: skipped
    log.on_scored(product, TierRef(0, 0), [0, 1], [0.7, 0.6], True)  # new tier: logged
    log.close()
    _, records = read_log(path)
    assert [(r.term, r.tier) for r in records] == [("grads", 0), ("(* grads abl)", 1), ("(* grads abl)", 0)]
