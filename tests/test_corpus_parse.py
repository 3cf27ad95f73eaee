"""Every file of the benchmark-library sample parses, keeps all its commands, and survives
print -> parse as an equal script written in canonical v2.1 (no normalisation warnings left)."""
import re
from pathlib import Path

import pytest

from sycam_sygus.ast import CheckSynth, SetLogic, SynthFun
from sycam_sygus.parser import parse_file, parse_text
from sycam_sygus.printer import print_script

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sygus-lib"
FILES = sorted(CORPUS.rglob("*.sl")) if CORPUS.is_dir() else []


def count_top_level_forms(text: str) -> int:
    """Top-level parenthesised forms, counted independently of the parser (comments,
    strings and quoted symbols skipped)."""
    depth = forms = 0
    for lexeme in re.findall(r';[^\n]*|"(?:[^"]|"")*"|\|[^|]*\||[()]', text):
        if lexeme == "(":
            forms += depth == 0
            depth += 1
        elif lexeme == ")":
            depth -= 1
    return forms


def test_corpus_is_present():
    assert CORPUS.is_dir(), (
        f"the SyGuS benchmark sample is missing: expected it at {CORPUS} "
        "(shared/corpus/sygus-lib next to the repository)")
    assert len(FILES) >= 400, f"only {len(FILES)} .sl files under {CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(CORPUS)))
def test_file_parses_and_round_trips(path):
    script = parse_file(str(path))
    text = path.read_text(encoding="utf-8")
    assert len(script.commands) == count_top_level_forms(text)
    assert sum(isinstance(command, SetLogic) for command in script.commands) == 1
    assert isinstance(script.commands[-1], CheckSynth)
    assert any(isinstance(command, SynthFun) for command in script.commands)

    printed = print_script(script)
    reparsed = parse_text(printed, path="printed")
    assert reparsed == script
    assert reparsed.warnings == ()
    assert print_script(reparsed) == printed
