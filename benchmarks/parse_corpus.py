"""Front-end benchmark: parse (and sort-check, when the checker is present) every file of the
SyGuS benchmark-library sample, and print files per second (not a test).

Times are CPU seconds of this process (`time.process_time`), so other work on a shared machine
does not count; wall-clock seconds are printed too.

    python benchmarks/parse_corpus.py
    python benchmarks/parse_corpus.py --corpus path/to/sygus-lib --repeat 3
"""
from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

from sycam_sygus.core.errors import SygusError
from sycam_sygus.frontend.parser import parse_text

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sygus-lib"


def find_checker():
    """`sycam_sygus.frontend.checker.check` when that module exists, else None."""
    try:
        return importlib.import_module("sycam_sygus.frontend.checker").check
    except (ImportError, AttributeError):
        return None


def timed(step, items) -> tuple[float, float, list]:
    """Run `step` on every item: (CPU seconds, wall seconds, results)."""
    cpu, wall = time.process_time(), time.perf_counter()
    results = [step(item) for item in items]
    return time.process_time() - cpu, time.perf_counter() - wall, results


def main() -> None:
    """Parse (and check) the corpus `--repeat` times and report the best rate."""
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    arguments.add_argument("--repeat", type=int, default=1)
    options = arguments.parse_args()

    files = sorted(options.corpus.rglob("*.sl"))
    if not files:
        raise SystemExit(f"no .sl files under {options.corpus}")
    texts = [(str(path), path.read_text(encoding="utf-8")) for path in files]
    megabytes = sum(len(text) for _, text in texts) / 1e6
    check = find_checker()
    print(f"{len(files)} files, {megabytes:.1f} MB, checker: {'yes' if check else 'absent'}")

    for round_number in range(1, options.repeat + 1):
        cpu, wall, scripts = timed(lambda item: parse_text(item[1], item[0]), texts)
        print(f"round {round_number}: parse  {cpu:6.2f} s CPU ({wall:6.2f} s wall)  "
              f"{len(files) / cpu:7.1f} files/s  {megabytes / cpu:5.2f} MB/s")
        if check is not None:
            failures: list[str] = []

            def check_one(script):
                try:
                    check(script)
                except SygusError as error:
                    failures.append(str(error))

            cpu_check, wall_check, _ = timed(check_one, scripts)
            print(f"round {round_number}: check  {cpu_check:6.2f} s CPU ({wall_check:6.2f} s wall)  "
                  f"{len(files) / cpu_check:7.1f} files/s  ({len(failures)} rejected)")
            for failure in failures[:5]:
                print("  " + failure)


if __name__ == "__main__":
    main()
