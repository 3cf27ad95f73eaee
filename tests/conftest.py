"""Shared test set-up: one torch thread (two threads on a busy 2-core box are far slower)."""
import os

os.environ.setdefault("SYCAM_THREADS", "1")

try:
    import torch
except ImportError:  # front-end tests do not need torch
    torch = None
else:
    torch.set_num_threads(int(os.environ["SYCAM_THREADS"]))
