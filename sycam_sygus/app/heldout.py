"""Held-out statistics (CAM-THEORY §7): every method's scores on images the search never read.

Per method: the mean, a 95% bootstrap confidence interval of the mean (scipy's BCa, percentile
where BCa is undefined), and against the answer a paired Wilcoxon signed-rank test (two-sided,
scipy) with the images it wins, ties and loses. Statistics are scipy's, not hand-written.
"""
from __future__ import annotations

import math
import warnings
from typing import Mapping, Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 9999


def mean_interval(scores: Sequence[float], seed: int) -> list[float] | None:
    """The 95% bootstrap confidence interval of the mean; None when it is undefined (fewer than
    two images, or a non-finite score: a flagged map scores an infinite worst value)."""
    values = np.asarray(scores, dtype=np.float64)
    if len(values) < 2 or not np.isfinite(values).all():
        return None
    if np.ptp(values) == 0:  # every resample has the same mean
        return [float(values[0]), float(values[0])]
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BCa warns on degenerate resamples; we fall back instead
            interval = stats.bootstrap((values,), np.mean, confidence_level=CONFIDENCE, n_resamples=RESAMPLES,
                                       method=method, rng=np.random.default_rng(seed)).confidence_interval
        if math.isfinite(interval.low) and math.isfinite(interval.high):
            return [float(interval.low), float(interval.high)]
    return None


def paired_comparison(answer: Sequence[float], other: Sequence[float], maximise: bool) -> dict:
    """The answer against one method on the same images: wins, ties, losses (per image, in the
    goal's direction) and the two-sided Wilcoxon signed-rank p-value (1.0 when every image ties)."""
    a, b = np.asarray(answer, dtype=np.float64), np.asarray(other, dtype=np.float64)
    better = a > b if maximise else a < b
    worse = a < b if maximise else a > b
    ties = ~(better | worse)
    differences = np.where(ties, 0.0, a - b)  # two equal infinities tie (inf - inf would be NaN)
    if not differences.any():
        p_value = 1.0
    else:
        finite_span = np.abs(differences[np.isfinite(differences)])
        # only the ranks of |d| matter: an infinite difference ranks above every finite one
        ceiling = (finite_span.max() if len(finite_span) else 0.0) + 1.0
        ranked = np.clip(differences, -ceiling, ceiling)
        p_value = float(stats.wilcoxon(ranked, zero_method="wilcox", alternative="two-sided").pvalue)
    return {"p_value": p_value, "wins": int(better.sum()), "ties": int(ties.sum()), "losses": int(worse.sum())}


def holdout_block(images: Sequence[int], metric: str, maximise: bool, answer_name: str | None,
                  methods: Mapping[str, tuple[str, Sequence[float] | None, str | None]], seed: int) -> dict:
    """report.json's `holdout`: per method (expression, scores or None, reason) its mean, CI and
    scores, and against the answer (`answer_name`, if any) the paired comparison."""
    answer = methods.get(answer_name) if answer_name is not None else None
    block: dict = {"images": list(images), "metric": metric, "maximise": maximise, "confidence": CONFIDENCE,
                   "test": "Wilcoxon signed-rank, two-sided, paired by image", "methods": {}}
    for name, (expression, scores, reason) in methods.items():
        entry: dict = {"expression": expression}
        if scores is None:
            entry["reason"] = reason
        else:
            entry.update(mean=float(np.mean(scores)), ci95=mean_interval(scores, seed), scores=list(map(float, scores)))
            if answer is not None and answer[1] is not None and name != answer_name:
                entry.update(paired_comparison(answer[1], scores, maximise))
        block["methods"][name] = entry
    return block


def markdown_lines(block: dict, answer_name: str, number=lambda v: f"{v:.4f}") -> list[str]:
    """The held-out table for report.md."""
    arrow = "↑" if block["maximise"] else "↓"
    lines = [
        f"## Held-out evaluation on {len(block['images'])} images (never read by the search)",
        "",
        f"{block['metric']} {arrow}: mean, {int(block['confidence'] * 100)}% bootstrap confidence interval of the "
        f"mean; the answer against each method: images it wins/ties/loses and the {block['test']} p-value.",
        "",
        "| method | expression | mean | 95% CI | answer wins/ties/losses | p-value |",
        "|---|---|---:|---|---:|---:|",
    ]
    for name, entry in block["methods"].items():
        shown = f"**{name}**" if name == answer_name else name
        if "mean" not in entry:
            lines.append(f"| {shown} | `{entry['expression']}` | {entry['reason']} | | | |")
            continue
        interval = entry["ci95"]
        ci = f"[{number(interval[0])}, {number(interval[1])}]" if interval else "undefined"
        versus = (f"{entry['wins']}/{entry['ties']}/{entry['losses']}", _p(entry["p_value"])) if "p_value" in entry \
            else ("", "")
        lines.append(f"| {shown} | `{entry['expression']}` | {number(entry['mean'])} | {ci} | {versus[0]} | {versus[1]} |")
    return lines


def _p(value: float) -> str:
    return f"{value:.2g}" if value < 0.001 else f"{value:.3f}"
