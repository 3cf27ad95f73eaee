"""Acceptance: every .sl file of the shared SyGuS benchmark sample parses and sort-checks."""
from pathlib import Path

import pytest

from sycam_sygus.checker import check
from sycam_sygus.parser import parse_file

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sygus-lib"
# A missing corpus still yields one parameter, so the run fails loudly instead of skipping.
FILES = sorted(CORPUS.rglob("*.sl")) or [CORPUS / "missing.sl"]


def test_the_corpus_is_present():
    assert CORPUS.is_dir(), f"the SyGuS corpus is missing: expected it at {CORPUS}"
    tracks = {path.relative_to(CORPUS).parts[0] for path in FILES}
    assert tracks == {"CLIA_Track", "General_Track", "Inv_Track", "PBE_BV_Track", "PBE_SLIA_Track"}
    assert len(FILES) == 468


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_corpus_file_checks(path):
    assert path.is_file(), f"the SyGuS corpus is missing: expected .sl files under {CORPUS}"
    check(parse_file(str(path)))
