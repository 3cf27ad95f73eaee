"""Reading any solver's answer in the SyGuS competition format (the inverse of answer.py).

Accepted forms: the bare words `fail` / `infeasible`; `( (define-fun …) … )`, optionally with the
tuple of objective values first (`optimize-synth` answers, `((0.61) (define-fun …))`); and the
older form, `(define-fun …)` commands one after the other. Comments (`; …`) are allowed anywhere.
Unreadable text is a located `SygusError` in the answer file.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..core.errors import SygusError
from ..frontend import ast
from ..frontend.ast import NOWHERE, Pos
from ..frontend.lower import lower_term
from ..frontend.parser import parse_term, parse_text

WORDS = ("fail", "infeasible")
ANSWER_FORM = ("an answer is `fail`, `infeasible`, or `( (define-fun NAME PARAMS SORT BODY) … )`, "
               "optionally with the objective values first: `((0.61) (define-fun …))`")


@dataclass(frozen=True)
class Answer:
    """What a solver answered: a status word, or its define-funs (and objective values, if any)."""

    status: str  # "solved" | "fail" | "infeasible"
    functions: tuple[ast.DefineFun, ...] = ()
    objectives: tuple[float, ...] | None = None


def read_answer(text: str, path: str = "<answer>") -> Answer:
    """The answer in `text` (see the module docstring); SygusError when it is not readable as one."""
    items = top_items(text, 0, len(text), path)
    if not items:
        raise SygusError("the answer is empty", NOWHERE, path, ANSWER_FORM)
    if len(items) == 1 and text[items[0][0]:items[0][1]] in WORDS:
        return Answer(text[items[0][0]:items[0][1]])
    if any(text[start] != "(" for start, _ in items):
        start = next(start for start, _ in items if text[start] != "(")
        raise SygusError(f"unexpected '{_word_at(text, start)}' in the answer", _pos(text, start), path, ANSWER_FORM)
    blanked, objectives = list(text), None
    if len(items) == 1 and _head(text, items[0], path) != "define-fun":  # the wrapping list
        outer_start, outer_end = items[0]
        blanked[outer_start] = blanked[outer_end - 1] = " "
        inner = top_items(text, outer_start + 1, outer_end - 1, path)
        if inner and text[inner[0][0]] == "(" and _head(text, inner[0], path) != "define-fun":
            objectives = _objectives(text, inner[0], path)
            for i in range(*inner[0]):
                if blanked[i] != "\n":
                    blanked[i] = " "  # offsets stay, so parse errors below point into the original text
    script = parse_text("".join(blanked), path)
    for command in script.commands:
        if not isinstance(command, ast.DefineFun):
            raise SygusError("an answer holds only define-fun commands", command.pos, path, ANSWER_FORM)
    if not script.commands:
        raise SygusError("the answer defines no function", NOWHERE, path, ANSWER_FORM)
    return Answer("solved", tuple(script.commands), objectives)


def _objectives(text: str, span: tuple[int, int], path: str) -> tuple[float, ...]:
    """The objective tuple's values (each a numeric literal such as `0.61` or `(- 0.5)`)."""
    values = []
    for start, end in top_items(text, span[0] + 1, span[1] - 1, path):
        try:
            value = lower_term(parse_term(text[start:end]), {}, path=path)
        except SygusError:
            value = None
        if value is None or value.op != "const" or isinstance(value.param, (bool, str)):
            raise SygusError(f"objective value '{text[start:end]}' is not a number", _pos(text, start), path,
                             ANSWER_FORM)
        values.append(float(Fraction(value.param)))
    return tuple(values)


def _head(text: str, span: tuple[int, int], path: str) -> str:
    """The first word inside a parenthesised item ('' when it starts with another list)."""
    inner = top_items(text, span[0] + 1, span[1] - 1, path)
    if not inner or text[inner[0][0]] == "(":
        return ""
    return text[inner[0][0]:inner[0][1]]


def top_items(text: str, start: int, end: int, path: str) -> list[tuple[int, int]]:
    """Spans of the top-level items (atoms, strings, balanced lists) of `text[start:end]`."""
    items, i = [], start
    while i < end:
        char = text[i]
        if char.isspace():
            i += 1
        elif char == ";":
            newline = text.find("\n", i, end)
            i = end if newline < 0 else newline + 1
        elif char == ")":
            raise SygusError("unbalanced ')' in the answer", _pos(text, i), path, ANSWER_FORM)
        elif char == "(":
            close = _matching(text, i, end, path)
            items.append((i, close + 1))
            i = close + 1
        else:
            j = _atom_end(text, i, end)
            items.append((i, j))
            i = j
    return items


def _matching(text: str, open_at: int, end: int, path: str) -> int:
    """The index of the ')' closing the '(' at `open_at` (strings, |symbols| and comments skipped)."""
    depth, i = 0, open_at
    while i < end:
        char = text[i]
        if char == ";":
            newline = text.find("\n", i, end)
            i = end if newline < 0 else newline + 1
            continue
        if char in "\"|":
            i = _atom_end(text, i, end)
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return i
        i += 1
    raise SygusError("unclosed '(' in the answer", _pos(text, open_at), path, ANSWER_FORM)


def _atom_end(text: str, i: int, end: int) -> int:
    """Where the atom (symbol, literal, "string" or |quoted symbol|) starting at `i` ends."""
    if text[i] in "\"|":
        quote, j = text[i], i + 1
        while j < end:
            if text[j] == quote:
                if quote == '"' and j + 1 < end and text[j + 1] == '"':  # "" is an escaped quote
                    j += 2
                    continue
                return j + 1
            j += 1
        return end
    j = i
    while j < end and not text[j].isspace() and text[j] not in "();\"":
        j += 1
    return max(j, i + 1)


def _word_at(text: str, i: int) -> str:
    return text[i:_atom_end(text, i, len(text))][:40]


def _pos(text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset) + 1
    return Pos(line, offset - text.rfind("\n", 0, offset))
