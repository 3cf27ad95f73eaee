"""`python -m sycam_sygus FILE ...` runs `sycam-solve`."""
import sys

from .app.cli import main

sys.exit(main())
