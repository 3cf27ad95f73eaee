"""The classic CAM methods, read from grammars/baselines.sl (their one definition in the project).

Each `define-fun` there is one method: its name is the identifier, the `; display: NAME` comment
line among the comments just above it the name reports print, its body the channel weights.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import SygusError
from ..core.logic import TERMINALS
from ..frontend import ast
from ..frontend.checker import check
from ..frontend.lower import lower_term, sort_of
from ..frontend.parser import parse_file
from ..ir import Term, var

# An installed wheel carries the grammar library as sycam_sygus/grammars (pyproject.toml); a source
# checkout, installed editable or not at all, has it at the top of the checkout.
_PLACES = (Path(__file__).resolve().parents[1] / "grammars" / "baselines.sl",
           Path(__file__).resolve().parents[2] / "grammars" / "baselines.sl")
BASELINES_FILE = next((place for place in _PLACES if place.is_file()), _PLACES[-1])
DISPLAY_KEY = "display:"


@dataclass(frozen=True)
class ClassicMethod:
    """One classic method: identifier, display name, weight expression and the terminals it reads."""

    name: str
    display_name: str
    expression: Term
    terminals: tuple[str, ...]  # in logic.TERMINALS order


def classic_methods(path: Path | str = BASELINES_FILE) -> list[ClassicMethod]:
    """The methods defined in `path` (default grammars/baselines.sl), in file order."""
    return list(_load(str(path)))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> tuple[ClassicMethod, ...]:
    if not Path(path).is_file():
        raise SygusError(f"the classic methods' definitions are missing: expected them at {path}",
                         path=path, hint="reinstall sycam (`pip install .` ships grammars/ inside the package), "
                                         "or run it from a source checkout installed with `pip install -e .`")
    script = parse_file(path)
    check(script)
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    methods = []
    for command in script.commands:
        if isinstance(command, ast.DefineFun):
            scope = {name: var(name, sort_of(sort)) for name, sort in command.params}
            expression = lower_term(command.body, scope, path=path)
            used = {str(node.param) for node in expression.walk() if node.op == "var"}
            methods.append(ClassicMethod(command.name, _display_name(command, lines, path), expression,
                                         tuple(t for t in TERMINALS if t in used)))
    return tuple(methods)


def _display_name(command: ast.DefineFun, lines: list[str], path: str) -> str:
    """The `; display: NAME` line in the block of comment lines right above the define-fun."""
    row = command.pos.line - 2  # the line above, 0-based
    while row >= 0 and lines[row].lstrip().startswith(";"):
        text = lines[row].lstrip().lstrip(";").strip()
        if text.startswith(DISPLAY_KEY):
            return text[len(DISPLAY_KEY):].strip()
        row -= 1
    raise SygusError(f"define-fun '{command.name}' has no display name", command.pos, path,
                     hint=f"put a comment line '; {DISPLAY_KEY} NAME' right above it")

