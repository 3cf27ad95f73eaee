"""A fixed sample of the public SyGuS library, one or two files per track, solved by
`sycam-solve` and each answer checked by SMT from the file alone (sycam_sygus.app.standard.answer_check).

The library is found through SYCAM_SYGUS_CORPUS (the folder holding PBE_SLIA_Track, CLIA_Track,
...); without it these tests are skipped."""
import os
from pathlib import Path

import pytest

from sycam_sygus.app.cli import main
from sycam_sygus.app.standard.answer_check import answer_holds

CORPUS = os.environ.get("SYCAM_SYGUS_CORPUS")
SAMPLE = [
    "PBE_SLIA_Track/from_2018/reverse-name_short.sl",
    "CLIA_Track/from_2018/jmbl_fg_mpg_plane1.sl",
    "General_Track/bv-conditional-inverses/find_inv_bvsge_bvashr0_4bit.sl",
    "General_Track/from_2018/inv_gen_w1.sl",
]


@pytest.mark.skipif(not CORPUS, reason="set SYCAM_SYGUS_CORPUS to the sygus-lib folder to run the corpus sample")
@pytest.mark.parametrize("name", SAMPLE)
def test_corpus_problem_is_solved_and_checked(name, tmp_path, capsys):
    source = Path(CORPUS) / name
    assert source.is_file(), f"{source} is missing from SYCAM_SYGUS_CORPUS"
    normalised = tmp_path / "problem.sl"  # the checker's SMT solver reads SyGuS v2.1 spellings only
    assert main([str(source), "--parse-only"]) == 0
    normalised.write_text(capsys.readouterr().out)
    assert main([str(normalised), "--time-limit", "20", "--quiet"]) == 0
    answer = capsys.readouterr().out
    assert answer.startswith("(\n  (define-fun "), answer
    assert answer_holds(str(normalised), answer), answer
