"""The solver's answer as SyGuS competition text (one `define-fun` per synth-fun, `fail` or `infeasible`).

`(` then one `(define-fun NAME PARAMS SORT BODY)` whose parameter list is the synth-fun's own,
then `)`; or the bare words `fail` / `infeasible`. For `optimize-synth` problems the block
starts with the tuple of objective values.
"""
from __future__ import annotations

import os
import sys
from fractions import Fraction
from typing import Sequence

from ..core.text import literal_text, sort_text
from ..ir import SynthFun, Term, to_sygus

STATUSES = ("solved", "fail", "infeasible")


def define_fun(synth: SynthFun, body: Term) -> str:
    """`(define-fun NAME PARAMS SORT BODY)` with the synth-fun's parameter list, verbatim."""
    params = " ".join(f"({name} {sort_text(sort)})" for name, sort in synth.params)
    return f"(define-fun {synth.name} ({params}) {sort_text(synth.sort)} {to_sygus(body)})"


def format_answer(
    synth: SynthFun,
    status: str,
    body: Term | None,
    objectives: Sequence[float] | None = None,
) -> str:
    """The whole stdout answer (without a trailing newline) for a solver status.

    `objectives` (the answer's value of each `optimize-synth` objective) is given exactly for
    optimisation problems and puts the value tuple first, as the standard asks.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown solver status {status!r}; expected one of {', '.join(STATUSES)}")
    if status != "solved":
        return status
    if body is None:
        raise ValueError("a solved status needs an answer term")
    lines = ["("]
    if objectives is not None:
        lines.append("  (" + " ".join(literal_text(_exact(v), "Real") for v in objectives) + ")")
    lines.append("  " + define_fun(synth, body))
    lines.append(")")
    return "\n".join(lines)


def _exact(value: float) -> Fraction:
    """A finite float as the exact decimal of its shortest repr, so 0.1 prints as `0.1`."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"objective value {value} is not finite; cannot print it as SyGuS")
    return Fraction(repr(float(value)))


def emit(text: str) -> None:
    """`text` on stdout; a reader that went away (`| head -1`) or a full disk (`> /dev/full`) must
    not cost what follows (the report) nor end the program with a traceback."""
    try:
        print(text, flush=True)
    except OSError as error:
        if not isinstance(error, BrokenPipeError):  # nobody reads a closed pipe; a failed file write is news
            print(f"sycam: warning: could not write to standard output ({error.strerror or error})", file=sys.stderr)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error again at exit
