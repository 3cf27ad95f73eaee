"""Candidate batching: observer events held back while the search looks ahead for candidates.

The search collects several new candidates before scoring their first tier in one backend call
(`Scorer.prefetch`), then decides them one by one in enumeration order. Everything the observer
would have heard between two decisions (the next candidate's "enumerated" stage, its pruned
neighbours, its equivalence-subset scores) is held and replayed just before that candidate's
decision, so observers (the progress display, the candidate log) hear the same events in the same
order as one-at-a-time scoring; events past the last decided candidate are dropped when the search
stops early, as that search would never have produced them.
"""
from __future__ import annotations

from typing import Callable

from .observer import Observer

Event = tuple[str, tuple]  # an Observer method's name and its arguments


class HeldEvents(Observer):
    """An observer that passes events on, or holds them while `holding` (see the module docstring)."""

    def __init__(self, target: Observer):
        self.target = target
        self.holding = False
        self._held: list[Event] = []

    def take(self) -> list[Event]:
        """The events held so far (they are no longer held)."""
        events, self._held = self._held, []
        return events

    def replay(self, events: list[Event]) -> None:
        """Pass held events on, in the order they happened."""
        for name, args in events:
            getattr(self.target, name)(*args)

    def _event(self, name: str) -> Callable[..., None]:
        def handle(*args: object) -> None:
            if self.holding:
                self._held.append((name, args))
            else:
                getattr(self.target, name)(*args)
        return handle

    def on_start(self, *args: object) -> None:
        self._event("on_start")(*args)

    def on_candidate(self, *args: object) -> None:
        self._event("on_candidate")(*args)

    def on_scored(self, *args: object) -> None:
        self._event("on_scored")(*args)

    def on_best(self, *args: object) -> None:
        self._event("on_best")(*args)

    def on_finish(self, *args: object) -> None:
        self._event("on_finish")(*args)
