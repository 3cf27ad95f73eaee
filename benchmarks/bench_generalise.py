"""Do answers generalise? Published vs validated vs significance-aware acceptance on held-out images.

Each setting searches the same seeded subset of the built-in cluttered-MNIST images
(`:sycam.images`), optimising `topn_gt` from the best of Grad-CAM, Grad-CAM++ and XGrad-CAM; the
answer and the baselines are then scored on the built-in images outside that subset (held out:
never seen by the search, its tiers or its validation images). Printed per setting: the answer,
its in-sample mean (the last tier), validation mean (when on), held-out mean, and the best
baseline's held-out mean. The last setting also rejects class-insensitive candidates (`act`
alone). Score-CAM and Ablation-CAM (terminals `cic`, `abl`) come in with `--all-terminals` only:
they cost one forward per channel and image.

    python benchmarks/bench_generalise.py [--images 150] [--time-limit 40] [--max-size 5] [--all-terminals]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch
from sycam_sygus.backends.torch_cam.backend import open_backend

from sycam_sygus.engine.scorer import evaluate
from sycam_sygus.engine.search import solve
from sycam_sygus.frontend.lower import load_problem
from sycam_sygus.ir import to_sygus


def problem_text(terminals: list[str]) -> str:
    """The optimise-topn_gt problem over `terminals`, with a baseline per classic method among them."""
    params = "(" + " ".join(f"({t} Real)" for t in terminals) + ")"
    methods = {"grads": "gradcam", "gradcampp": "gradcampp", "xgrads": "xgradcam", "cic": "scorecam",
               "abl": "ablationcam"}
    baselines = "\n".join(f"(define-fun {methods[t]} {params} Real {t})" for t in terminals if t in methods)
    arrow = "(-> " + " ".join(["Real"] * (len(terminals) + 1)) + ")"
    return f"""(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.seed 0)
(synth-fun weights {params} Real
  ((W Real) (P Real) (T Real))
  ((W Real (P (* P P) (* P (* P P))))
   (P Real (T (pow T 2) (pow T 3) (pow T 4) (relu T)))
   (T Real ({" ".join(terminals)}))))
{baselines}
(declare-oracle-fun topn_gt ({arrow}) Real sycam.topn_gt)
(optimize-synth ((! (topn_gt weights) :max)))
(check-synth)
"""


SETTINGS = {
    "published": {},
    "validated": {"validation": 50},
    "significance-aware": {"validation": 50, "acceptance": "significant"},
    "significance-aware, class-sensitive": {"validation": 50, "acceptance": "significant", "class-sensitive": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=150, help="search images (of the 300 built-in)")
    parser.add_argument("--time-limit", type=float, default=40.0, help="seconds per search")
    parser.add_argument("--max-size", type=int, default=5)
    parser.add_argument("--all-terminals", action="store_true",
                        help="add cic and abl (Score-CAM, Ablation-CAM): one forward per channel and image")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("SYCAM_THREADS", "1")))
    with tempfile.NamedTemporaryFile("w", suffix=".sl", delete=False) as handle:
        terminals = ["grads", "pos_grads", "gradcampp", "xgrads", "act"] + (["cic", "abl"] if args.all_terminals else [])
        handle.write(problem_text(terminals))
    tiers = f"30 100 {args.images}"
    rows = []
    for name, extra in SETTINGS.items():
        overrides = {"images": args.images, "tiers": tiers, "time-limit": args.time_limit,
                     "max-size": args.max_size, "device": "cpu", **extra}
        problem = load_problem(handle.name, overrides)
        search = open_backend(problem.settings)
        full = open_backend(problem.settings.replace(images=0))  # every built-in image
        seen = set(search.data.names)
        held_out = [i for i, n in enumerate(full.data.names) if n not in seen]
        began = time.process_time()
        result = solve(problem, search)
        seconds = time.process_time() - began

        def held_out_mean(term) -> float:
            return float(np.mean(full.score([evaluate(term, full, held_out)], held_out, "topn_gt")[0]))

        baselines = {b: held_out_mean(body) for b, body in problem.baselines.items()}
        best = max(baselines, key=baselines.get)
        answer = result.answer
        rows.append((name, to_sygus(answer) if answer is not None else f"{result.status}: {result.reason}",
                     result.objective, result.acceptance.get("validation_mean"),
                     held_out_mean(answer) if answer is not None else None, f"{best} {baselines[best]:.4f}",
                     len(held_out), seconds, result.counts.get("rejected-validation", 0),
                     result.counts.get("rejected-significance", 0)))
    os.unlink(handle.name)
    print(f"search images {args.images} (tiers {tiers}), time limit {args.time_limit:g} s, max size {args.max_size}, "
          f"terminals {' '.join(terminals)}")
    print("| setting | answer | in-sample | validation | held-out | best baseline held-out | held-out images "
          "| CPU s | rejected on validation | rejected by the test |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        cells = [f"{v:.4f}" if isinstance(v, float) else ("–" if v is None else str(v)) for v in row]
        cells[7] = f"{row[7]:.0f}"
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
