"""A second reader of the track: cvc5's SyGuS 2.1 parser on `sycam-solve --parse-only` of every track file.

Each command goes to cvc5 unchanged, after the accepted ones before it (a rejected command is
left out so it cannot disturb the ones after it). cvc5 must accept every command except the
SYCAM-specific constructs listed in `REJECTED`, which benchmarks/cam-track/README.md documents.
`(set-logic SYCAM)` is the one command replaced: cvc5 does not know the logic, so it reads the
rest under its logic ALL.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sycam_sygus.app.answer_reader import top_items
from sycam_sygus.frontend.parser import parse_file
from sycam_sygus.frontend.printer import print_script

cvc5 = pytest.importorskip("cvc5", reason="cvc5's Python API is not installed (pip install '.[bench]')")

TRACK = Path(__file__).resolve().parents[1] / "benchmarks" / "cam-track"
FILES = sorted(TRACK.glob("**/*.sl"))
SYCAM_OPERATORS = re.compile(r"\((relu|pow|topk|normalize|softmax|abs)\s")
ORACLE_USE = re.compile(r"\((deletion|insertion|deletion_auc|insertion_auc|avg_drop|increase|topn_gt|sch|pointing)\s")

# command head -> when cvc5 may reject it (the construct it does not support)
REJECTED = {
    "declare-oracle-fun": lambda text: "(->" in text,  # an oracle over a function-sorted argument
    "optimize-synth": lambda text: True,  # optimisation objectives are not part of SyGuS 2.1
    "constraint": lambda text: bool(ORACLE_USE.search(text)),  # a constraint over the metric oracles
    "synth-fun": lambda text: bool(SYCAM_OPERATORS.search(text)),  # a grammar over SYCAM's operators
}


def _accepts(commands: list[str]) -> str:
    """'' when cvc5 reads and declares every command in order, else its message for the last one."""
    terms = cvc5.TermManager()
    solver = cvc5.Solver(terms)
    solver.setOption("sygus", "true")
    solver.setLogic("ALL")
    symbols = cvc5.SymbolManager(terms)
    for text in commands:
        parser = cvc5.InputParser(solver, symbols)
        parser.setStringInput(cvc5.InputLanguage.SYGUS_2_1, text, "track")
        try:
            command = parser.nextCommand()
            if not text.startswith("(check-synth"):  # read it, but do not run the synthesis
                command.invoke(solver, symbols)
        except Exception as error:  # cvc5 raises its own RuntimeError kinds
            return str(error) or type(error).__name__
    return ""


def _head(command: str) -> str:
    """A command's name: `constraint` of `(constraint …)`."""
    return re.match(r"\(\s*([^\s()]+)", command).group(1)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_cvc5_reads_every_standard_command(path: Path) -> None:
    text = print_script(parse_file(str(path)))
    commands = [text[start:end] for start, end in top_items(text, 0, len(text), str(path))]
    assert commands[0] == "(set-logic SYCAM)"
    accepted: list[str] = []
    for command in commands[1:]:
        why = _accepts([*accepted, command])
        if not why:
            accepted.append(command)
            continue
        allowed = REJECTED.get(_head(command))
        assert allowed is not None and allowed(command), f"cvc5 rejects a standard command: {command[:80]!r}: {why}"
    heads = [_head(c) for c in accepted]
    assert "check-synth" in heads and "set-feature" in heads
