"""`python -m sycam_sygus FILE ...` runs `sycam-solve`.

`python -m` puts the working directory first on `sys.path`; it is taken off before anything
else is imported, so a module planted there (`torch.py`, a factory a problem names) is never
imported in sycam's stead (sycam itself is already imported by then).
"""
import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from .app.cli import main  # noqa: E402 - after the import path is cleaned

sys.exit(main())
