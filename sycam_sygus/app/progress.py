"""Search progress on stderr: a live rich panel on a terminal; otherwise plain lines, one at the
start, one every `plain_every` seconds (candidates, best so far, forwards, time left) and one at
the end.

stdout is reserved for the answer, so everything here writes to the stream it is given
(stderr in the CLI). `--quiet` silences it entirely.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from ..engine.observer import Observer, TierRef
from ..engine.search import SolveResult
from ..ir import Term, to_sygus
from .counters import in_words, stop_in_words

PRUNING_STAGES = ("pruned-syntax", "pruned-value", "shared-scale", "pruned-metric")
PLAIN_EVERY = 10.0  # seconds between plain progress lines when stderr is not a terminal


class Progress(Observer):
    """Counts what the solver reports and shows it; use as a context manager around `solve`."""

    def __init__(self, stream: TextIO, *, quiet: bool = False, backend: object = None, time_limit: float | None = None,
                 plain_every: float = PLAIN_EVERY):
        self.stream = stream
        self.plain_every = plain_every
        self.quiet = quiet
        self.backend = backend
        self.time_limit = time_limit
        self.live_mode = not quiet and stream.isatty()
        self.stages: Counter[str] = Counter()
        self.scored_per_tier: Counter[int] = Counter()
        self.baseline_text: dict[str, str] = {}
        self.baseline_means: dict[str, dict[int, float]] = {}
        self.best: tuple[str, float] | None = None
        self.stopping = False
        self._started = time.monotonic()
        self._finished: float | None = None  # the last panel shows the run as it ended
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._ticker: threading.Thread | None = None
        self._done = threading.Event()

    def __enter__(self) -> "Progress":
        self._started = time.monotonic()
        if self.live_mode:
            console = Console(file=self.stream, stderr=True)
            self._live = Live(
                console=console, refresh_per_second=4, transient=False,
                redirect_stdout=False, redirect_stderr=False, get_renderable=self.render,
            )
            self._live.start()
        elif not self.quiet:
            self._done.clear()
            self._ticker = threading.Thread(target=self._tick, name="sycam-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._ticker is not None:
            self._done.set()
            self._ticker.join()
            self._ticker = None

    def _tick(self) -> None:
        """Off a terminal: a plain line every `plain_every` seconds until the search ends."""
        while not self._done.wait(self.plain_every):
            self.note(f"sycam: {self.plain_line()}")

    def plain_line(self) -> str:
        """Where the search stands, in one line."""
        with self._lock:
            stages = Counter(self.stages)
            scored = sum(self.scored_per_tier.values())
            best = self.best
        elapsed = time.monotonic() - self._started
        parts = [f"{elapsed:.0f}s", f"{stages['enumerated']} enumerated", f"{scored} tier evaluations",
                 f"best {best[1]:.4f} {best[0]}" if best else "no candidate passed yet",
                 f"{getattr(self.backend, 'forwards', 0)} forwards"]
        if self.time_limit is not None:
            parts.append(f"{max(self.time_limit - elapsed, 0):.0f}s left")
        return ", ".join(parts)

    def note(self, message: str) -> None:
        """A one-off message (warnings, interruption) that does not tear the live panel."""
        if self.quiet:
            return
        if self._live is not None:
            self._live.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=self.stream, flush=True)

    # ---------------------------------------------------------------- solver hooks

    def on_start(self, info: dict) -> None:
        """Remember the baselines' texts; say in one plain line what the search is about to do."""
        with self._lock:
            first = not self.baseline_text and not self.scored_per_tier
            self.baseline_text = dict(info.get("baselines", {}))
        if first and not self.live_mode and not self.quiet:
            tiers = " ".join(str(len(t)) for t in info.get("tiers", []))
            limit = f", time limit {self.time_limit:.0f}s" if self.time_limit is not None else ""
            self.note(f"sycam: searching for {info.get('metric', '?')} with tiers of {tiers} images{limit}")

    def on_candidate(self, term: Term, stage: str) -> None:
        """Count the candidate under its stage."""
        with self._lock:
            self.stages[stage] += 1

    def on_scored(self, term: Term, tier: TierRef, images: list[int], scores: list[float], passed: bool) -> None:
        """Count evaluations per tier; keep baseline means for the comparison line."""
        text = to_sygus(term)
        mean = sum(scores) / len(scores) if scores else float("nan")
        tier = tier.tier
        with self._lock:
            self.scored_per_tier[tier] += 1
            for name, body in self.baseline_text.items():
                if body == text:
                    self.baseline_means.setdefault(name, {})[tier] = mean

    def on_best(self, term: Term, mean: float) -> None:
        """Show the new best."""
        with self._lock:
            self.best = (to_sygus(term), mean)

    def on_finish(self, result: SolveResult) -> None:
        """One plain summary line (the live panel already shows the final state)."""
        self._finished = time.monotonic()
        if not self.quiet:
            self.note(f"sycam: {self.summary(result)}")
            for words, count in in_words(result.counts).items():
                self.note(f"sycam:   {words}: {count}")

    # ---------------------------------------------------------------- text

    def summary(self, result: SolveResult) -> str:
        """The run in one line: status, why it stopped, cost, time (the counters follow, in words)."""
        objective = f" (mean {result.objective:.4g})" if result.objective is not None else ""
        return (f"{result.status}{objective}; stopped: {stop_in_words(result.stop_reason)}; "
                f"{result.forwards} forwards in {result.seconds:.1f}s")

    def render(self) -> Table:
        """The live panel: candidates, pruning, tiers, best vs baselines, speed, time left."""
        with self._lock:
            stages = Counter(self.stages)
            tiers = dict(sorted(self.scored_per_tier.items()))
            baselines = {name: dict(means) for name, means in self.baseline_means.items()}
            best = self.best
        elapsed = max((self._finished or time.monotonic()) - self._started, 1e-9)
        table = Table(title="sycam-solve", show_header=False, box=None, padding=(0, 1))
        table.add_column(style="bold")
        table.add_column()
        table.add_row("candidates", f"{stages['enumerated']} enumerated")
        table.add_row("pruned", ", ".join(f"{s.replace('pruned-', '')} {stages[s]}" for s in PRUNING_STAGES))
        table.add_row("scored", "  ".join(f"tier {_tier_name(t)}: {n}" for t, n in tiers.items()) or "-")
        table.add_row("rejected / passed", f"{stages['rejected']} / {stages['passed']}")
        table.add_row("best", f"{best[1]:.4f}  {best[0]}" if best else "-")
        for name, means in baselines.items():
            tier = max(means)
            table.add_row(f"  {name}", f"{means[tier]:.4f}  (tier {_tier_name(tier)})")
        forwards = getattr(self.backend, "forwards", 0)
        table.add_row("forwards/s", f"{forwards / elapsed:.1f}  ({forwards} in {elapsed:.0f}s)")
        if self.time_limit is not None:
            table.add_row("time left", f"{max(self.time_limit - elapsed, 0):.0f}s")
        if self.stopping:
            table.add_row("stopping", "Ctrl-C again to quit at once")
        return table


def _tier_name(tier: int) -> str:
    return "eq" if tier == -1 else str(tier)
