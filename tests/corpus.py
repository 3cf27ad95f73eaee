"""Where the public SyGuS benchmarks are: the folder named by SYCAM_SYGUS_CORPUS, if any.

A user's clone has no corpus, so corpus tests skip with the instruction below; `.ci/run` sets the
variable, so CI always runs them, and a variable naming a missing folder fails them loudly.
"""
import os
from pathlib import Path

import pytest

VARIABLE = "SYCAM_SYGUS_CORPUS"
SKIP_REASON = (f"set {VARIABLE} to a checkout of the public SyGuS benchmarks' lib/ folder to run this "
               "(.ci/run sets it to ../shared/corpus/sygus-lib)")
CORPUS = Path(os.environ[VARIABLE]).resolve() if os.environ.get(VARIABLE) else None
FILES = sorted(CORPUS.rglob("*.sl")) if CORPUS is not None and CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(CORPUS is None, reason=SKIP_REASON)


def corpus_files() -> list:
    """The corpus's .sl files as test parameters: one skipped parameter without the variable, and
    one failing parameter when the variable names a folder without files."""
    if CORPUS is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=SKIP_REASON), id="no-corpus")]
    return [pytest.param(p, id=p.relative_to(CORPUS).as_posix()) for p in FILES] or [CORPUS / "missing.sl"]
