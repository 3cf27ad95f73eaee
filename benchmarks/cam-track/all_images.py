"""Two weight expressions on every image of a problem's data set: how far apart they really are.

    python benchmarks/cam-track/all_images.py PROBLEM.sl BASE EXPR [EXPR ...]

Each EXPR is scored against BASE (e.g. `grads` for Grad-CAM) on all the backend's images under
the problem's first metric: the mean difference and its standard error, the images it is better
and worse on (beyond the metric's tolerance) and the paired two-sided Wilcoxon p-value. The
README's "Other seeds" paragraph quotes `all_images.py deletion-vs-gradcam.sl grads pos_grads`.
"""
from __future__ import annotations

import dataclasses
import sys

import numpy as np
from scipy.stats import wilcoxon

from sycam_sygus.app.answer_reader import read_answer
from sycam_sygus.app.check import answer_body, weights_of
from sycam_sygus.frontend.lower import problem_from_script
from sycam_sygus.frontend.parser import parse_file


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    from sycam_sygus.backends.torch_cam.backend import open_backend

    path, base, expressions = argv[0], argv[1], argv[2:]
    script = parse_file(path)
    problem = problem_from_script(script)
    backend = open_backend(dataclasses.replace(problem.settings, images=sys.maxsize))  # all there are
    images = list(range(backend.images()))
    metric = problem.goals[0].metric
    tolerance = backend.tolerance(metric)
    params = " ".join(f"({name} Real)" for name, _ in problem.synth.params)

    def scores(text: str) -> np.ndarray:
        body, why = answer_body(problem, script, read_answer(f"((define-fun {problem.synth.name} ({params}) Real {text}))"))
        if body is None:
            raise SystemExit(f"{text}: {why}")
        return np.asarray(backend.score([weights_of(backend, body, images)], images, metric)[0], dtype=np.float64)

    reference = scores(base)
    for text in expressions:
        values = scores(text)
        difference = values - reference
        print(f"{text} vs {base}, {metric} on all {len(images)} images: {values.mean():.4f} vs {reference.mean():.4f}, "
              f"difference {difference.mean():+.4f} (standard error {difference.std(ddof=1) / np.sqrt(len(images)):.4f}), "
              f"better on {int((difference > tolerance).sum())}, worse on {int((difference < -tolerance).sum())}, "
              f"paired Wilcoxon p = {wilcoxon(values, reference).pvalue:.2g}", flush=True)
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
