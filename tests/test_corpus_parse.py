"""Every file of the benchmark-library sample parses, keeps all its commands, and survives
print -> parse as an equal script written in canonical v2.1 (no normalisation warnings left)."""
import re

import pytest
from corpus import CORPUS, FILES, corpus_files, needs_corpus

from sycam_sygus.frontend.ast import CheckSynth, SetLogic, SynthFun
from sycam_sygus.frontend.parser import parse_file, parse_text
from sycam_sygus.frontend.printer import print_script


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


@needs_corpus
def test_corpus_is_present():
    assert CORPUS.is_dir(), f"the SyGuS benchmark sample is missing: expected it at {CORPUS}"
    assert len(FILES) >= 400, f"only {len(FILES)} .sl files under {CORPUS}"


@pytest.mark.parametrize("path", corpus_files())
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
