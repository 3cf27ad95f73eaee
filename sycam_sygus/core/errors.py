"""The project's own error type: a located message with a hint, rendered like a compiler's."""
from __future__ import annotations

import difflib
from typing import Iterable

from .sorts import NOWHERE, Pos

SOURCE_WINDOW = 160  # characters of a long source line shown around the caret


class SygusError(Exception):
    """Bad input: `path:line:col: error: message` (`path: error: ...` when it has no place), the
    source line, a caret, and a hint."""

    def __init__(self, message: str, pos: Pos = NOWHERE, path: str = "<string>", hint: str = ""):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.path = path
        self.hint = hint

    def __str__(self) -> str:
        if not self.pos.line:  # no place in the file (a flag, a whole-problem error): name only the file
            return f"{self.path}: error: {self.message}"
        return f"{self.path}:{self.pos.line}:{self.pos.col}: error: {self.message}"

    def render(self, source: str | None = None) -> str:
        """The one-line error, then the offending source line with a caret, then the hint."""
        lines = [str(self)]
        if source is not None and 1 <= self.pos.line <= len(source.splitlines()):
            text = source.splitlines()[self.pos.line - 1].expandtabs(1)
            column = max(self.pos.col - 1, 0)
            if len(text) > SOURCE_WINDOW:  # a huge line: show the part around the caret
                start = max(0, min(column - SOURCE_WINDOW // 2, len(text) - SOURCE_WINDOW))
                text, column = ("…" if start else "") + text[start:start + SOURCE_WINDOW] + "…", column - start + bool(start)
            lines += ["  " + text, "  " + " " * column + "^"]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class OptionError(SygusError):
    """Bad input that an option gave (a missing data folder, an unknown layer): the option's name is
    data, and the caller places the error where that option was set (its `set-option`, or its flag)."""

    def __init__(self, option: str, message: str, hint: str = ""):
        super().__init__(message, hint=hint)
        self.option = option  # the name without the "sycam." prefix


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A hint naming the closest known spelling, or listing the known names."""
    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "known: " + ", ".join(known) if len(known) <= 20 else ""
