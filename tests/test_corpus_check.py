"""Acceptance: every .sl file of the shared SyGuS benchmark sample parses and sort-checks."""
import pytest
from corpus import CORPUS, FILES, corpus_files, needs_corpus

from sycam_sygus.frontend.checker import check
from sycam_sygus.frontend.parser import parse_file


@needs_corpus
def test_the_corpus_is_present():
    assert CORPUS.is_dir(), f"the SyGuS corpus is missing: expected it at {CORPUS}"
    tracks = {path.relative_to(CORPUS).parts[0] for path in FILES}
    assert tracks == {"CLIA_Track", "General_Track", "Inv_Track", "PBE_BV_Track", "PBE_SLIA_Track"}
    assert len(FILES) == 468


@pytest.mark.parametrize("path", corpus_files())
def test_corpus_file_checks(path):
    assert path.is_file(), f"the SyGuS corpus is missing: expected .sl files under {CORPUS}"
    check(parse_file(str(path)))
