"""A CAM method's weight expression from what a user has at hand: SyGuS term text, or a file
holding either such text or a `sycam-solve` answer (`( (define-fun NAME PARAMS Real BODY) )`,
optionally with the objective values first).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .core.errors import SygusError
from .core.logic import INT_TERMINALS, TERMINALS
from .frontend import ast
from .ir import INT, REAL, Term, var

DEFINE_FUN = "(define-fun"


def read_method(source: str | os.PathLike) -> tuple[Term, str]:
    """`(weights term, its label)`: a path (`os.PathLike`, or a string naming an existing file) is
    read as a file; any other string is expression text such as `"(* grads abl)"`."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _names_a_file(source)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SygusError(f"cannot read '{path}': {error}", path=str(path),
                             hint="give an expression such as '(* grads abl)' or a sycam-solve answer file") from None
        return method_from_text(text, str(path)), path.name
    if not isinstance(source, str):
        raise TypeError(f"expected an expression string or a path, got {type(source).__name__}")
    if "(" not in source and re.search(r"[/\\]|\.[A-Za-z]\w*$", source.strip()):  # a path, not a terminal name
        raise SygusError(f"no file '{source}'", path=source,
                         hint="give an expression such as '(* grads abl)' or an existing sycam-solve answer file")
    return method_from_text(source, "<expression>"), source.strip()


def method_from_text(text: str, path: str) -> Term:
    """The weights of an answer block or of bare expression text (`path` locates errors)."""
    stripped = text.strip()
    if stripped in ("fail", "infeasible"):
        raise SygusError(f"the answer is '{stripped}': the solver found no expression", path=path,
                         hint="run sycam-solve with a larger budget, or give an expression")
    if DEFINE_FUN in stripped:
        return _answer_body(text, path)
    from .frontend.lower import lower_term
    from .frontend.parser import parse_term

    scope = {name: var(name, INT if name in INT_TERMINALS else REAL) for name in TERMINALS}
    return lower_term(parse_term(stripped), scope, path=path)


def _answer_body(text: str, path: str) -> Term:
    """The body of the first `define-fun` of an answer block, over its own parameters."""
    from .frontend.lower import lower_term, sort_of
    from .frontend.parser import parse_text

    start = text.index(DEFINE_FUN)
    end = _matching_paren(text, start)
    if end is None:
        raise SygusError("the answer's define-fun is not closed", path=path, hint="a ')' is missing")
    # Blank out everything but the define-fun, so positions in errors are the file's own.
    masked = "".join(c if start <= i <= end or c == "\n" else " " for i, c in enumerate(text))
    (command,) = [c for c in parse_text(masked, path).commands if isinstance(c, ast.DefineFun)]
    for name, _ in command.params:
        if name not in TERMINALS:
            raise SygusError(f"unknown terminal '{name}' in the answer's parameters", command.pos, path,
                             hint="known terminals: " + ", ".join(TERMINALS))
    scope = {name: var(name, sort_of(sort)) for name, sort in command.params}
    return lower_term(command.body, scope, path=path)


def _matching_paren(text: str, start: int) -> int | None:
    """The index of the ')' closing the '(' at `start` (answers hold no strings or comments)."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return None


def _names_a_file(text: str) -> bool:
    """Whether `text` could be a file name that exists (expression text never has a newline or '/')."""
    if "\n" in text or text.lstrip().startswith("(") or text.strip() in TERMINALS:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False
