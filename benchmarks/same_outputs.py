"""Check that a change leaves sycam's outputs byte-identical, timings aside.

Runs the quickstart and paper-g1 (`--images 100 --tiers "20 100"`) with a fresh terminal cache and
keeps stdout, stderr, report.json, report.md, heatmaps.png and candidates.jsonl; then compares two
such folders with every wall-clock figure blanked out.

    python benchmarks/same_outputs.py run BEFORE_DIR                      # at the old commit
    python benchmarks/same_outputs.py run AFTER_DIR                       # at the new one
    python benchmarks/same_outputs.py compare BEFORE_DIR AFTER_DIR        # exit 1 on any difference

`run --solver "python -m sycam_sygus.cli"` runs another entry point (an older checkout's, from its
folder with `--cwd`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = {
    "quickstart": ["grammars/quickstart.sl"],
    "paper-g1": ["grammars/paper-g1.sl", "--images", "100", "--tiers", "20 100"],
}
OUTPUTS = ("report.json", "report.md", "heatmaps.png", "candidates.jsonl")
TIMING_KEYS = {"seconds", "search_seconds", "comparison_seconds"}


def run(folder: Path, solver: list[str], cwd: Path) -> None:
    """Solve each problem into `folder/NAME` with a cache of its own, keeping stdout and stderr."""
    env = {**os.environ, "SYCAM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    for name, args in PROBLEMS.items():
        out = folder / name
        out.mkdir(parents=True, exist_ok=True)
        command = [*solver, str(ROOT / args[0]), *args[1:], "--report", str(out / "report"),
                   "--cache", str(out / "cache"), "--quiet"]
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
        (out / "stdout").write_text(done.stdout)
        (out / "stderr").write_text(done.stderr)
        print(f"{name}: exit {done.returncode}, answer {done.stdout.strip().splitlines()[-2:]}")


def _without_timings(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def normalised(path: Path, run_folder: Path) -> bytes:
    """A file's bytes with its wall-clock figures blanked (JSON keys, `1.8s` and `| seconds |` rows),
    the run's own folder (where its cache lives) written as `<run>`, and a candidate log's nonce
    and checksums left out."""
    data = path.read_bytes().replace(str(run_folder.resolve()).encode(), b"<run>")
    if path.name == "report.json":
        return json.dumps(_without_timings(json.loads(data)), indent=1).encode()
    if path.name == "candidates.jsonl":  # each log has its own nonce, and checksums bound to it
        lines = [json.loads(line) for line in data.decode().splitlines()]
        for line in lines:
            line.pop("check", None)
            line.get("settings", {}).pop("nonce", None)
        return "\n".join(json.dumps(line) for line in lines).encode()
    if path.name == "report.md":
        text = re.sub(r"\b\d+(\.\d+)?s\b", "<time>", data.decode())
        return re.sub(r"\| seconds \| [^|]+ \|", "| seconds | <time> |", text).encode()
    return data


def compare(before: Path, after: Path) -> int:
    """Print each differing file; 0 when all are equal."""
    differing = 0
    for name in PROBLEMS:
        for item in ("stdout", "stderr", *(f"report/{o}" for o in OUTPUTS)):
            a, b = before / name / item, after / name / item
            if not a.exists() and not b.exists():
                continue
            if not (a.exists() and b.exists()) or normalised(a, before) != normalised(b, after):
                differing += 1
                print(f"differs: {name}/{item}")
    print("identical, timings aside" if not differing else f"{differing} file(s) differ")
    return 1 if differing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True)
    running = verbs.add_parser("run")
    running.add_argument("folder", type=Path)
    running.add_argument("--solver", default=f"{shlex.quote(sys.executable)} -m sycam_sygus")
    running.add_argument("--cwd", type=Path, default=ROOT)
    comparing = verbs.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.verb == "run":
        run(args.folder.resolve(), shlex.split(args.solver), args.cwd)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
