"""sycam against cvc5 on the public SyGuS tracks: solved, wrong, unique, median time, answer size.

Each problem is normalised to SyGuS v2.1 by `sycam-solve --parse-only` (cvc5 rejects v1), then
solved by `sycam-solve` (told `--time-limit LIMIT-2`, its own start-up counts) and by cvc5 (its
Python API in `sygus` mode), each in its own process killed at the same wall-clock LIMIT. Every
answer is checked independently of the solver that gave it (sycam_sygus.app.standard.answer_check: the
file's constraints with the answer's define-funs, negated, as a plain SMT query to cvc5; unsat =
correct). An `infeasible` claim counts as wrong when the other solver's answer checks.

    python benchmarks/bench_standard.py --corpus DIR --per-track 12 --limit 10 --out results.json
    python benchmarks/bench_standard.py --table results.json
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRACKS = ("PBE_SLIA_Track", "PBE_BV_Track", "CLIA_Track", "General_Track", "Inv_Track")
CVC5_RUNNER = """
import sys, cvc5
tm = cvc5.TermManager(); solver = cvc5.Solver(tm); symbols = cvc5.SymbolManager(tm)
solver.setOption("sygus", "true")
parser = cvc5.InputParser(solver, symbols)
parser.setFileInput(cvc5.InputLanguage.SYGUS_2_1, sys.argv[1])
while True:
    command = parser.nextCommand()
    if command.isNull():
        break
    out = command.invoke(solver, symbols)
    if out:
        sys.stdout.write(out)
"""
CHECK_RUNNER = """
import sys
from sycam_sygus.app.standard.answer_check import answer_holds
print("unsat" if answer_holds(sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3])) else "unknown")
"""


def sample(corpus: Path, track: str, count: int) -> list[Path]:
    """`count` files spread evenly over the track's sorted file list (deterministic)."""
    files = sorted((corpus / track).rglob("*.sl"))
    if len(files) <= count:
        return files
    step = len(files) / count
    return [files[int(i * step)] for i in range(count)]


def run(command: list[str], limit: float) -> tuple[str, float, bool]:
    """(stdout, seconds, timed out)."""
    began = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit)
        return done.stdout.strip(), time.monotonic() - began, False
    except subprocess.TimeoutExpired:
        return "", time.monotonic() - began, True


def answer_status(text: str) -> str:
    """solved, fail, infeasible or none (no usable answer)."""
    if text.startswith("(") and "define-fun" in text:
        return "solved"
    return text if text in ("fail", "infeasible", "unsat") else "none"


def checked(problem_v2: Path, answer: str, limit: float) -> bool:
    """Whether an SMT solver proves the answer meets every constraint (sycam_sygus.app.standard.answer_check)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as text:
        text.write(answer)
    out, _, _ = run([sys.executable, "-c", CHECK_RUNNER, str(problem_v2), text.name, str(int(limit * 1000))], limit + 5)
    return out.strip() == "unsat"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="the sygus-lib folder (one folder per track)")
    parser.add_argument("--per-track", type=int, default=12)
    parser.add_argument("--limit", type=float, default=10.0, help="wall-clock seconds per problem and solver")
    parser.add_argument("--tracks", nargs="*", default=list(TRACKS))
    parser.add_argument("--out", type=Path, default=Path("bench_standard.json"))
    parser.add_argument("--table", type=Path, help="only print the table of an earlier run's --out file")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return 0
    if args.corpus is None:
        parser.error("--corpus DIR is needed to run the benchmark")
    rows = []
    work = Path(tempfile.mkdtemp(prefix="bench_standard_"))
    for track in args.tracks:
        for path in sample(args.corpus, track, args.per_track):
            v2 = work / f"{track}__{path.stem}.sl"
            text, _, _ = run([sys.executable, "-m", "sycam_sygus", "--parse-only", str(path)], 60)
            v2.write_text(text + "\n")
            row = {"track": track, "file": str(path.relative_to(args.corpus))}
            for solver, command in (
                ("sycam", [sys.executable, "-m", "sycam_sygus", "--quiet", "--time-limit", str(max(args.limit - 2, 1)), str(v2)]),
                ("cvc5", [sys.executable, "-c", CVC5_RUNNER, str(v2)]),
            ):
                out, seconds, timed_out = run(command, args.limit)
                status = "timeout" if timed_out else answer_status(out)
                correct = checked(v2, out, 30) if status == "solved" else None
                row[solver] = {"status": status, "seconds": round(seconds, 2), "correct": correct, "answer": out}
            print(json.dumps({k: (v if not isinstance(v, dict) else {x: v[x] for x in ("status", "seconds", "correct")})
                              for k, v in row.items()}), flush=True)
            rows.append(row)
    args.out.write_text(json.dumps(rows, indent=1))
    print(table(rows))
    return 0


def answer_size(answer: str) -> int:
    """Symbols and literals in the answer block (layout and parentheses do not count)."""
    return len(re.findall(r'"(?:[^"]|"")*"|[^\s()]+', answer))


def table(rows: list[dict]) -> str:
    """The per-track Markdown table."""
    lines = ["| track | problems | sycam solved | sycam wrong | cvc5 solved | cvc5 wrong | sycam only | cvc5 only "
             "| median s (both solved) sycam / cvc5 | median answer size (symbols) sycam / cvc5 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for track in dict.fromkeys(r["track"] for r in rows):
        mine = [r for r in rows if r["track"] == track]

        def good(r, s):
            return r[s]["status"] == "solved" and r[s]["correct"]

        def wrong(r, s):
            return r[s]["status"] == "solved" and not r[s]["correct"] or \
                (r[s]["status"] == "infeasible" and good(r, "cvc5" if s == "sycam" else "sycam"))

        both = [r for r in mine if good(r, "sycam") and good(r, "cvc5")]

        def median(key, s):
            values = [r[s]["seconds"] if key == "seconds" else answer_size(r[s]["answer"]) for r in both]
            return f"{statistics.median(values):.2f}" if both else "-"

        lines.append(
            f"| {track} | {len(mine)} | {sum(good(r, 'sycam') for r in mine)} | {sum(wrong(r, 'sycam') for r in mine)} "
            f"| {sum(good(r, 'cvc5') for r in mine)} | {sum(wrong(r, 'cvc5') for r in mine)} "
            f"| {sum(good(r, 'sycam') and not good(r, 'cvc5') for r in mine)} "
            f"| {sum(good(r, 'cvc5') and not good(r, 'sycam') for r in mine)} "
            f"| {median('seconds', 'sycam')} / {median('seconds', 'cvc5')} "
            f"| {median('size', 'sycam').removesuffix('.00')} / {median('size', 'cvc5').removesuffix('.00')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
