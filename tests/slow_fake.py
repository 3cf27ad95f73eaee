"""A fake backend whose `cic` is slow and checks the run's deadline between chunks, as the torch
backend's Score-CAM does; light to import (no torch), for the subprocess tests."""
import time

import numpy as np
from fake_backend import FakeBackend

from sycam_sygus.core.deadline import NEVER

# Two channels; the truth is channel 0 (as in test_cli).
TABLES = {"grads": np.array([[1.0, 1.0]] * 6), "gradcampp": np.array([[2.0, 1.0]] * 6),
          "xgrads": np.array([[1.0, 2.0]] * 6),
          "cic": np.array([[1.0, 0.0]] * 6), "abl": np.array([[0.0, 1.0]] * 6)}
TRUTH = np.array([[1.0, 0.0]] * 6)


class SlowCic(FakeBackend):
    """`cic` takes `seconds` per image, checking `deadline` every 20 ms (a chunk)."""

    seconds = 0.5
    deadline = NEVER  # the CLI sets the run's

    def terminal(self, name, images):
        if name == "cic":
            for _ in images:
                end = time.monotonic() + self.seconds
                while time.monotonic() < end:
                    self.deadline.check()
                    time.sleep(0.02)
        return super().terminal(name, images)
