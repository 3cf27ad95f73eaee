"""The append-only candidate log (`candidates.jsonl` in the report folder) behind `--resume`.

One JSON object per line, flushed as soon as a candidate is scored, so a killed run loses at
most the line being written. The first line is a header naming the settings the scores depend
on; a resumed run with different settings would reuse scores that no longer mean the same
thing, so it is refused, and so is a log without its header. Every record carries a checksum
over its own fields and its header, so a tampered record, or one copied from another run's log,
is refused rather than trusted. Scores are written as JSON numbers in Python's shortest
round-trip form, so a replayed score is bit-for-bit the one measured. A torn last line (the
process died mid-write) is dropped on reading and cut off before appending. A fresh run moves
an existing log aside as `candidates.1.jsonl`, `candidates.2.jsonl`, ... (never overwritten).
A write that fails (a full disk) stops the log, not the run: `lost` says what was not logged.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Sequence

from ..core.settings import Settings
from ..engine.observer import Observer, TierRef
from ..ir import Term, to_sygus

LOG_NAME = "candidates.jsonl"
FORMAT = 2  # 2: every record carries "check", and the header is required

# Options that change what a score means. Budget options (time-limit, max-candidates,
# max-size) and the device do not, so a resumed run may raise the budget.
SCORE_SETTINGS = (
    "model", "weights", "layer", "data", "masks", "resize", "target", "images", "tiers", "eq-images",
    "equivalence", "steps", "seed", "holdout",
)


class RunlogError(Exception):
    """A candidate log that cannot be resumed (corrupt, or written for other settings)."""


@dataclass(frozen=True)
class ScoredCandidate:
    """One line of the log: a candidate's per-image scores on one tier."""

    term: str  # SyGuS text of the candidate (ir.to_sygus)
    tier: int  # the tier as the log and report.json write it: see `tier_code`
    images: tuple[int, ...]
    scores: tuple[float, ...]
    passed: bool


SCOPE_STRIDE = 1000  # the file formats' tier number is SCOPE_STRIDE·scope + tier


def tier_code(ref: TierRef) -> int:
    """A tier as the log and report.json write it: one number, 1000·scope + tier (-1: equivalence subset)."""
    return SCOPE_STRIDE * ref.scope + ref.tier


def tier_ref(code: int) -> TierRef:
    """The inverse of `tier_code`."""
    scope, tier = divmod(code + 1, SCOPE_STRIDE)
    return TierRef(scope, tier - 1)


def log_settings(problem_path: str, goals: Sequence[object], settings: Settings,
                 fingerprints: dict | None = None) -> dict:
    """The header that identifies what the logged scores were computed for; `fingerprints` (the
    backend's content hashes of model and images) catch a weights file or image folder whose
    contents changed under the same path."""
    header = {"problem": os.path.abspath(problem_path), "goals": [repr(g) for g in goals]}
    header.update({f"sycam.{key}": settings.value(key) for key in SCORE_SETTINGS})
    if fingerprints:
        header["fingerprints"] = dict(fingerprints)
    return header


def read_log(path: Path) -> tuple[dict | None, list[ScoredCandidate]]:
    """The header and every complete record of a log; a torn last line is ignored."""
    header: dict | None = None
    records: list[ScoredCandidate] = []
    lines = _complete_lines(path)
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as err:
            raise RunlogError(
                f"{path}:{number}: not a JSON line ({err.msg}); only the last line may be torn. "
                "hint: delete the log or choose another --report folder"
            ) from None
        if not isinstance(entry, dict):
            raise RunlogError(f"{path}:{number}: not a log record (a JSON {type(entry).__name__}). "
                              "hint: delete the log or choose another --report folder")
        if number == 1:
            if entry.get("kind") != "header" or entry.get("format") != FORMAT:
                raise RunlogError(f"{path}:1: the log has no format-{FORMAT} header line, so nothing says what its "
                                  "scores were computed for. hint: drop --resume or choose another --report folder")
            header = entry
            continue
        if entry.get("check") != _check(header, entry):
            raise RunlogError(f"{path}:{number}: the record's checksum does not match: it was changed, or copied "
                              "from another run's log. hint: drop --resume or choose another --report folder")
        records.append(_record(entry, path, number))
    return header, records


def known_scores(records: Sequence[ScoredCandidate]) -> dict[tuple[str, TierRef], tuple[float, ...]]:
    """The solver's `known_scores`: (candidate text, tier) -> per-image scores."""
    return {(r.term, tier_ref(r.tier)): r.scores for r in records}


class CandidateLog(Observer):
    """Appends every scored candidate to the log, one flushed line each, never the same twice."""

    def __init__(self, path: Path, settings: dict, resume: bool):
        self.path = path
        self.previous: list[ScoredCandidate] = []
        self.lost = ""  # why records were not logged (a full disk), "" while every one was
        self._logged: set[tuple[str, int]] = set()
        self._set_aside: Path | None = None
        if path.exists() and not path.is_file():
            raise RunlogError(f"{path}: the candidate log is not a regular file. hint: choose another --report folder")
        if resume and path.exists() and path.stat().st_size:
            header, self.previous = read_log(path)  # RunlogError if corrupt, headerless or tampered
            _check_same_settings(header.get("settings", {}), settings, path)
            self._header = header
            self._logged = {(r.term, r.tier) for r in self.previous}
            _cut_torn_tail(path)
            self._file: IO[str] = open(path, "a", encoding="utf-8")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size:
                self._set_aside = _next_generation(path)
                os.replace(path, self._set_aside)  # a fresh run never destroys old work
            self._header = {"kind": "header", "format": FORMAT, "settings": json.loads(json.dumps(settings)),
                            "nonce": os.urandom(8).hex()}  # two runs' logs never share checksums
            self._file = open(path, "w", encoding="utf-8")
            self._write(self._header)

    def set_aside_path(self) -> Path:
        """Where this fresh run moved the log it found (the next free `candidates.N.jsonl`)."""
        return self._set_aside or _next_generation(self.path)

    def on_scored(self, term: Term, tier: TierRef, images: list[int], scores: list[float], passed: bool) -> None:
        """Solver hook: log the candidate as soon as it is scored."""
        self.append(to_sygus(term), tier_code(tier), images, scores, passed)

    def append(self, term: str, tier: int, images: Sequence[int], scores: Sequence[float], passed: bool) -> None:
        """Record one candidate's scores on one tier, durably before returning (once per pair)."""
        if (term, int(tier)) in self._logged:
            return
        self._logged.add((term, int(tier)))
        entry = {
            "term": term,
            "tier": int(tier),
            "images": [int(i) for i in images],
            "scores": [_json_number(float(s)) for s in scores],
            "passed": bool(passed),
        }
        entry["check"] = _check(self._header, entry)
        self._write(entry)

    def close(self) -> None:
        """Close the file (records are already on disk)."""
        try:
            self._file.close()
        except OSError as err:  # the last buffered bytes could not be written
            self._lose(err)

    def _write(self, entry: dict) -> None:
        if self.lost:
            return
        try:
            self._file.write(json.dumps(entry, allow_nan=False) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as err:  # e.g. ENOSPC: the search goes on, the log stops here
            self._lose(err)

    def _lose(self, err: OSError) -> None:
        if not self.lost:
            self.lost = (f"the candidate log {self.path} could not be written ({err.strerror or err}); "
                         "scores from then on are not logged, so a --resume will score them again")


def _check(header: dict | None, entry: dict) -> str:
    """A record's checksum: sha256 over its header and its own fields (not the check itself)."""
    fields = {key: value for key, value in entry.items() if key != "check"}
    text = json.dumps([header, fields], sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _next_generation(path: Path) -> Path:
    """The first free `stem.N.suffix` next to `path` (N = 1, 2, ...)."""
    number = 1
    while path.with_name(f"{path.stem}.{number}{path.suffix}").exists():
        number += 1
    return path.with_name(f"{path.stem}.{number}{path.suffix}")


def _complete_lines(path: Path) -> list[str]:
    """Non-empty lines that end with a newline (the last one may have been cut mid-write)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    complete = text[: text.rfind("\n") + 1]
    return [line for line in complete.splitlines() if line.strip()]


def _cut_torn_tail(path: Path) -> None:
    """Drop bytes after the last newline so the next record starts on a line of its own."""
    data = path.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(keep)


def _record(entry: dict, path: Path, number: int) -> ScoredCandidate:
    try:
        scores = tuple(float(s) for s in entry["scores"])  # float("-inf") reads the text form
        record = ScoredCandidate(
            str(entry["term"]), int(entry["tier"]), tuple(int(i) for i in entry["images"]),
            scores, bool(entry["passed"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise RunlogError(f"{path}:{number}: not a candidate record ({err!r})") from None
    if len(record.images) != len(record.scores):
        raise RunlogError(f"{path}:{number}: {len(record.images)} images but {len(record.scores)} scores")
    return record


def _check_same_settings(logged: dict, current: dict, path: Path) -> None:
    current = json.loads(json.dumps(current))  # compare as JSON sees it (tuples become lists)
    differing = sorted(
        key for key in set(logged) | set(current) if logged.get(key) != current.get(key)
    )
    if differing:
        raise RunlogError(
            f"{path}: the log was written for different settings ({', '.join(differing)} differ), "
            "so its scores cannot be reused. hint: drop --resume or choose another --report folder"
        )


def _json_number(value: float) -> float | str:
    """JSON has no NaN/inf; a non-finite score (a disqualified candidate) is stored as text."""
    return value if math.isfinite(value) else str(value)
