"""The run report: `report.json` (everything) and `report.md` (the table people read).

The table is shaped like the published comparisons: one row per classic method of
grammars/baselines.sl (sycam_sygus/baselines.py) and the synthesised answer, columns the goal
metrics (and per class when the problem decomposes by class), all scored by the backend on the
images of the last tier. The classic methods are scored whatever the grammar allows, which costs
model calls (`comparison_forwards` in the JSON says how many): under `--compare auto` a method
whose terminals are neither cached nor cheap is left out with its estimated cost when that is
large (`why_not_compared`); `--compare all` scores every method, `--compare none` none.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..core.atomic import write_atomically
from ..engine.correctness import Threshold, beats, equivalent, mean_better, passes_tier
from ..engine.decompose import has_class_param
from ..engine.enumerate import TermValues
from ..engine.observer import Observer, TierRef
from ..engine.port import ReportBackend
from ..engine.search import SolveResult
from ..ir import Term, to_sygus
from ..ir.problem import Problem
from .acceptance_text import acceptance_lines, verdict_word
from .baselines import ClassicMethod, classic_methods
from .counters import in_words, stop_in_words
from .heldout import markdown_lines
from .runlog import ScoredCandidate, tier_code, tier_ref
from .sanity import markdown_lines as sanity_lines
from .strict_json import json_safe

ANSWER_ROW = "sycam answer"
COMPARE_MODES = ("auto", "all", "none")  # `--compare`: which classic methods the report scores
# `--compare auto` scores a method whose terminals are not cached yet only up to this many model
# forwards: Score-CAM/Ablation-CAM on the quickstart (60 images, 64 channels) cost 3,840 each;
# on a ResNet-50 (2048 channels) 8 images already cost 16,384 each, minutes on a CPU.
AUTO_COMPARE_FORWARDS = 10_000


class Recorder(Observer):
    """Keeps what the report needs from the solver's hooks."""

    def __init__(self, previous: Sequence[ScoredCandidate] = ()):
        self.searches: list[dict] = []  # one `on_start` info per search (several when split by class)
        self.scored: list[ScoredCandidate] = list(previous)  # a resumed run reports the old ones too
        self.resumed = len(self.scored)
        self._seen = {(r.term, r.tier) for r in self.scored}
        self.best_history: list[dict] = []
        self._started = time.monotonic()

    def on_start(self, info: dict) -> None:
        """Keep the solver's description of each search (its scope as report.json numbers tiers)."""
        if not self.searches:
            self._started = time.monotonic()
        self.searches.append({("tier_offset" if key == "scope_index" else key):
                              (tier_code(TierRef(value, 0)) if key == "scope_index" else value)
                              for key, value in info.items()})

    def on_scored(self, term: Term, tier: TierRef, images: list[int], scores: list[float], passed: bool) -> None:
        """Keep every evaluation with its per-image scores (a term re-scored on a tier once)."""
        text, code = to_sygus(term), tier_code(tier)
        if (text, code) not in self._seen:
            self._seen.add((text, code))
            self.scored.append(ScoredCandidate(text, code, tuple(images), tuple(map(float, scores)), bool(passed)))

    def candidate_evaluations(self) -> int:
        """Tier evaluations of candidates in this run: not the baselines', not the equivalence
        subset's, not those an earlier run logged (a resumed run replays them without scoring)."""
        baselines = {text for info in self.searches for text in info.get("baselines", {}).values()}
        return sum(1 for r in self.scored[self.resumed:] if r.term not in baselines and tier_ref(r.tier).is_tier)

    def on_best(self, term: Term, mean: float) -> None:
        """Keep the history of improvements with the time they happened."""
        self.best_history.append({"term": to_sygus(term), "mean": mean, "seconds": time.monotonic() - self._started})


@dataclass
class MethodRow:
    """One row of the comparison table; a method left out has no scores and says why."""

    method: str
    expression: str
    means: dict[str, float] | None = field(default_factory=dict)  # column -> mean
    per_image: dict[str, list[float]] | None = field(default_factory=dict)  # metric -> scores
    reason: str | None = None  # why the row was not computed


def comparison_images(problem: Problem, backend: ReportBackend, recorder: Recorder) -> list[int]:
    """The last tier's images of the search over all images, else the first `tiers[-1]` images."""
    if recorder.searches and recorder.searches[0].get("tiers"):
        return list(recorder.searches[0]["tiers"][-1])
    return list(range(min(problem.settings.tiers[-1], backend.images())))


def method_cost(method: ClassicMethod, backend: ReportBackend, images: Sequence[int]) -> int:
    """Model forwards scoring `method` on `images` would add for its terminals now (0 when cached)."""
    return sum(backend.terminal_cost(name, images) for name in method.terminals)


def why_not_compared(method: ClassicMethod, cost: int, images: Sequence[int], compare: str) -> str | None:
    """None when `method` is to be scored under the `--compare` mode, else the reason it is not.

    `auto` scores what is cached or cheap: at most one pass per image and terminal (the gradient
    terminals), or at most `AUTO_COMPARE_FORWARDS` in all (Score-CAM, Ablation-CAM on small runs).
    """
    if compare == "none":
        return "not computed (--compare none)"
    if compare == "all" or cost <= max(AUTO_COMPARE_FORWARDS, len(images) * len(method.terminals)):
        return None
    return f"not computed (≈{cost} model forwards; pass --compare all)"


def compare_methods(problem: Problem, backend: ReportBackend, answer: Term | None, images: Sequence[int],
                    compare: str = "auto", note: Callable[[str], None] = lambda line: None,
                    deadline: float | None = None) -> list[MethodRow]:
    """Score the classic methods the `compare` mode allows and the answer on `images` for every
    goal metric; `note` receives one progress line per method with its cost. A method not begun
    by `deadline` (time.monotonic) is "not computed (time)"; the answer is always scored."""
    if compare not in COMPARE_MODES:
        raise ValueError(f"compare mode {compare!r}: expected one of {COMPARE_MODES}")
    metrics = goal_metrics(problem)
    values = TermValues(backend, images)
    rows, weights = [], []
    for method in classic_methods():
        row = MethodRow(method.display_name, to_sygus(method.expression))
        cost = method_cost(method, backend, images) if compare != "none" else 0
        row.reason = why_not_compared(method, cost, images, compare)
        if row.reason is None and deadline is not None and time.monotonic() >= deadline:
            row.reason = "not computed (time; pass --compare all)"
        if row.reason is None:
            note(f"sycam: comparing with {method.display_name} on {len(images)} images "
                 + (f"(≈{cost} model forwards for its terminals)" if cost else "(terminals cached)"))
            weights.append(values.get(method.expression))
        else:
            note(f"sycam: {method.display_name} {row.reason}")
            row.means = row.per_image = None
        rows.append(row)
    if answer is not None:
        rows.append(MethodRow(ANSWER_ROW, to_sygus(answer)))
        weights.append(values.get(answer))
    scored = [row for row in rows if row.reason is None]
    classes = backend.target_classes(images) if has_class_param(problem.synth) else []
    for metric in metrics:
        scores = np.asarray(backend.score(weights, images, metric), dtype=np.float64) if weights else []
        for row, per_image in zip(scored, scores):
            row.per_image[metric] = per_image.tolist()
            row.means[metric] = float(np.mean(per_image))
            for c in sorted(set(classes)):
                chosen = [s for s, k in zip(per_image, classes) if k == c]
                row.means[f"{metric} (class {c})"] = float(np.mean(chosen))
    return rows


def goal_metrics(problem: Problem) -> list[str]:
    """The distinct metrics of the problem's goals, in the order written."""
    return list(dict.fromkeys(goal.metric for goal in problem.goals))


def acceptance(candidate: Sequence[float], baseline: Sequence[float], maximise: bool, strict: bool = False,
               tolerance: float = 0.0) -> dict:
    """How the candidate fares against a baseline under CAM-THEORY §6's rule (correctness.py).

    `accepted` is the engine's own verdict (mean strictly better; per image strictly better too
    when the goal is `strict`, written `>`/`<`); `at_least_as_good` allows ties on images and on
    the mean, which is how a candidate equal to the baseline compares. Both allow the metric's
    `tolerance`; `equivalent` says the scores equal the baseline's within it on every image.
    """
    scores, reference = np.asarray(candidate, dtype=float), np.asarray(baseline, dtype=float)
    wins = int(np.count_nonzero(beats(scores, reference, maximise, strict=False, tolerance=tolerance)))
    tie_ok = mean_better(float(np.mean(scores)), float(np.mean(reference)), maximise, strict=False, tolerance=tolerance)
    accepted = passes_tier(scores, Threshold(per_tier=[reference], strict=strict, tolerance=tolerance), 0, maximise)
    return {
        "equivalent": equivalent(scores, reference, tolerance),
        "images": len(scores),
        "images_at_least_as_good": wins,
        "mean_at_least_as_good": tie_ok,
        "at_least_as_good": bool(2 * wins >= len(scores) and tie_ok),
        "accepted": accepted,
        "verdict": verdict_text(scores, reference, maximise, strict, accepted, tolerance),
    }


def verdict_text(scores: np.ndarray, reference: np.ndarray, maximise: bool, strict: bool, accepted: bool,
                 tolerance: float = 0.0) -> str:
    """The acceptance rule's verdict with its numbers: `passes on 28/60 images (needs 30) and mean
    0.4531 > 0.4476` (or `does not pass: ...`)."""
    wins = int(np.count_nonzero(beats(scores, reference, maximise, strict, tolerance)))
    mean, other = float(np.mean(scores)), float(np.mean(reference))
    better = mean_better(mean, other, maximise, strict=True, tolerance=tolerance)
    sign = (">" if maximise else "<") if better else ("≤" if maximise else "≥")
    text = f"on {wins}/{len(scores)} images (needs {math.ceil(len(scores) / 2)}) and mean {mean:.4f} {sign} {other:.4f}"
    return f"passes {text}" if accepted else f"does not pass: {text}"


def build_report(
    problem: Problem,
    backend: ReportBackend,
    result: SolveResult,
    recorder: Recorder,
    rows: Sequence[MethodRow],
    images: Sequence[int],
    settings: dict,
    comparison_forwards: int,
    comparison_seconds: float,
    holdout: dict | None = None,
    sanity: dict | None = None,
) -> dict:
    """Everything about the run as one JSON-ready dict."""
    answer_row = next((r for r in rows if r.method == ANSWER_ROW), None)
    verdicts = {}
    if answer_row is not None:
        for goal in problem.goals:
            verdicts[goal.metric] = {
                row.method: acceptance(answer_row.per_image[goal.metric], row.per_image[goal.metric], goal.maximise,
                                       goal.strict, backend.tolerance(goal.metric))
                for row in rows if row is not answer_row and row.reason is None
            }
    return json_safe({
        "problem": os.path.abspath(problem.path),
        "status": result.status,
        "stop_reason": result.stop_reason,
        "answer": to_sygus(result.answer) if result.answer is not None else None,
        "raw_answer": to_sygus(result.raw_answer) if result.raw_answer is not None else None,
        "objective": result.objective,
        "interrupted": result.interrupted,
        "settings": settings,
        "goals": [asdict(goal) for goal in problem.goals],
        "backend": backend.describe(),
        "baselines": result.baselines,
        "acceptance": {**result.acceptance, "reason": result.reason},
        "holdout": holdout,
        "sanity": sanity,
        "comparison": {
            "in_sample": True,  # the last tier: the images that selected the answer
            "images": list(images),
            "rows": [asdict(row) for row in rows],
            "acceptance_of_answer": verdicts,
        },
        "comparison_forwards": comparison_forwards,
        "timings": {"search_seconds": result.seconds, "comparison_seconds": comparison_seconds},
        "counts": result.counts,
        "counts_in_words": in_words(result.counts),
        "candidate_evaluations": recorder.candidate_evaluations(),
        "forwards": result.forwards,
        "seconds": result.seconds,
        "warnings": list(backend.describe().get("warnings", [])) + list(problem.warnings) + list(result.warnings),
        "best_history": recorder.best_history,
        "searches": recorder.searches,
        "candidates": [asdict(r) for r in recorder.scored],
    })


def markdown(report: dict, figure: str | None = None) -> str:
    """The human-readable report: the comparison table first, then the run's numbers."""
    rows = report["comparison"]["rows"]
    goal_columns = list(dict.fromkeys(g["metric"] for g in report["goals"]))
    columns = next((list(row["means"]) for row in rows if row["means"] is not None), goal_columns)
    arrows = {g["metric"]: ("↑" if g["maximise"] else "↓") for g in report["goals"]}
    lines = [
        f"# sycam report: `{Path(report['problem']).name}`",
        "",
        f"- status: **{report['status']}**" + (" (interrupted; best so far)" if report["interrupted"] else ""),
        f"- stopped: {stop_in_words(report['stop_reason'])}",
        f"- answer: `{report['answer']}`" if report["answer"] else "- answer: none",
        "- goals: " + "; ".join(f"{g['metric']} ({g['mode']}, {'max' if g['maximise'] else 'min'})" for g in report["goals"]),
        f"- backend: {_describe(report['backend'])}",
        *[f"- **warning**: {w}" for w in report["backend"].get("warnings", [])],
        "",
        *_holdout_section(report),
        f"## In-sample comparison on {len(report['comparison']['images'])} images (the last tier: the images "
        "that selected the answer, so the answer's lead here holds by construction)",
        "",
        "| method | expression | " + " | ".join(f"{c} {arrows.get(c.split(' ')[0], '')}".strip() for c in columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for row in rows:
        name = f"**{row['method']}**" if row["method"] == ANSWER_ROW else row["method"]
        if row["means"] is None:
            cells = " | ".join([row["reason"]] + [""] * (len(columns) - 1))
        else:
            cells = " | ".join(_number(row["means"][c]) for c in columns)
        lines.append(f"| {name} | `{row['expression']}` | {cells} |")
    verdicts_by_metric = report["comparison"]["acceptance_of_answer"]
    if verdicts_by_metric:
        lines.append("")
    for metric, verdicts in verdicts_by_metric.items():
        for method, v in verdicts.items():
            word = verdict_word(v, method)
            text = v["verdict"] if word in ("passes", "does not pass") else word
            lines.append(f"- {metric}: answer vs {method}: acceptance rule {text}")
    lines += acceptance_lines(report)
    lines += [
        "",
        f"Scoring the classic methods for this table (and the figure) cost {report['comparison_forwards']} extra "
        f"image forwards and {report['timings']['comparison_seconds']:.1f}s.",
        "",
        *(sanity_lines(report["sanity"]) if report.get("sanity") is not None else []),
        "## Search",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in report["counts_in_words"].items()],
        f"| model forwards | {report['forwards']} |",
        f"| seconds | {_number(report['seconds'])} |",
    ]
    if report["baselines"]:
        lines += ["", "Declared baselines, mean per tier: " + "; ".join(
            f"{name}: " + ", ".join(_number(m) for m in means) for name, means in report["baselines"].items())]
    if report["warnings"]:
        lines += ["", "## Warnings", "", *[f"- {w}" for w in report["warnings"]]]
    if figure:
        lines += ["", "## Heatmaps", "", f"![heatmaps]({figure})"]
    return "\n".join(lines) + "\n"


def _holdout_section(report: dict) -> list[str]:
    """The held-out table (first: the numbers that are not in-sample), or why there is none."""
    block = report.get("holdout")
    if not block or not block.get("images"):
        return ["## Held-out evaluation", "", "No images were held out (`:sycam.holdout 0`): only the in-sample "
                "comparison below exists.", ""]
    return [*markdown_lines(block, ANSWER_ROW, _number), ""]


def write_report(folder: Path, report: dict, figure: str | None = None) -> None:
    """Write report.json and report.md into `folder`, each atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "report.json", json.dumps(report, indent=1, allow_nan=False, default=str) + "\n")
    write_atomically(folder / "report.md", markdown(report, figure))


def _number(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _describe(backend: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in backend.items() if not isinstance(v, (dict, list)))
