"""The track at another seed, without BenchExec: every problem with its `:sycam.seed` replaced,
solved by sycam-solve and judged by sycam-check's `judge` as score.py does; one row per problem,
then the solved and wrong counts (the README's "Other seeds" table).

    python benchmarks/cam-track/seeds.py SEED [--out DIR] [PROBLEM.sl ...] [-- SYCAM-SOLVE FLAGS ...]

e.g. `seeds.py 1 -- --validation 0 --acceptance published` for the published rule alone. The
seed draws the held-out images, the validation images and the tiers; the reseeded problems are
written to DIR (default: a temporary folder).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from score import TRACK, Checker, Run, expected_status, extract_answer, solved, wrong

SEED = re.compile(r"\(set-option :sycam\.seed \d+\)")


def main(argv: list[str]) -> int:
    ours, flags = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", type=int)
    parser.add_argument("problems", nargs="*", type=Path, help="track problems (default: every *.sl of the track)")
    parser.add_argument("--out", type=Path, help="folder for the reseeded problems (default: a temporary one)")
    args = parser.parse_args(ours)
    out = args.out or Path(tempfile.mkdtemp(prefix=f"cam-track-seed{args.seed}-"))
    out.mkdir(parents=True, exist_ok=True)
    check = Checker(out)
    counts = {"solved": 0, "wrong": 0}
    paths = args.problems or sorted(TRACK.glob("*.sl"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if not SEED.search(text):
            print(f"{path}: no (set-option :sycam.seed N) to replace", file=sys.stderr)
            return 2
        reseeded = out / path.name
        reseeded.write_text(SEED.sub(f"(set-option :sycam.seed {args.seed})", text), encoding="utf-8")
        began = time.monotonic()
        solver = subprocess.run([sys.executable, "-m", "sycam_sygus", *flags, "--quiet", str(reseeded)],
                                capture_output=True, text=True)
        run = Run("sycam", path.name, f"exit {solver.returncode}", time.monotonic() - began,
                  extract_answer(solver.stdout))
        check(run)
        expected = expected_status(path)
        counts["solved"] += solved(run, expected)
        counts["wrong"] += wrong(run, expected)
        print(f"| {path.stem} | {expected} | {run.verdict}{' **wrong**' if wrong(run, expected) else ''} |", flush=True)
    print(f"\nseed {args.seed}{' ' + ' '.join(flags) if flags else ''}: solved {counts['solved']}/{len(paths)}, "
          f"wrong {counts['wrong']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
