"""SyGuS-Comp scoring of a BenchExec run of the CAM track, with sycam-check's held-out column.

    python benchmarks/cam-track/score.py RESULTS_DIR [--out score.md]

RESULTS_DIR is a `benchexec -o` folder: one `*.results.<rundefinition>.*.xml.bz2` per compared
solver and the `*.logfiles` folder (or .zip) with each run's output. For every problem and solver:
- the answer is read from the run's log and judged by sycam-check's `judge` (held-out images),
  in this process with one backend per problem;
- it is *solved* when it is a `valid` answer, or `infeasible` where the problem's header states
  `expected: infeasible`; `fail`, a timeout or an error is not solved; an `invalid` answer or an
  unexpected `infeasible` is *wrong* (no points, listed);
- points as in SyGuS-Comp: 5 per solved problem, 3 to the fastest solver of a problem (wall time,
  among those that solved it; ties share), 1 to the smallest answer (IR nodes of the body).
"""
from __future__ import annotations

import argparse
import bz2
import io
import re
import sys
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass
from pathlib import Path

TRACK = Path(__file__).resolve().parent
EXPECTED = re.compile(r"^;\s*expected:\s*(.+?)\s*$", re.MULTILINE)
SOLVED, FASTEST, SMALLEST = 5, 3, 1


@dataclass
class Run:
    solver: str
    problem: str  # path under the track folder, e.g. deletion-vs-gradcam.sl or photos/x.sl
    status: str  # BenchExec status from the tool-info module
    walltime: float
    answer: str  # the answer text from the log ('' when none)
    verdict: str = ""
    quality: str = ""
    size: int | None = None


def expected_status(problem: Path) -> str:
    """The `; expected: …` line of a track problem's header."""
    match = EXPECTED.search(problem.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{problem}: no '; expected: ...' line in the header")
    return match.group(1)


def read_runs(results_dir: Path) -> list[Run]:
    """Every run of every results XML in the folder, with its answer from the log files."""
    runs = []
    for xml_path in sorted(results_dir.glob("*.results.*.xml.bz2")):
        root = ElementTree.fromstring(bz2.decompress(xml_path.read_bytes()))
        solver = xml_path.name.split(".results.")[1].split(".")[0]
        logs = _log_reader(results_dir, xml_path)
        for run in root.iter("run"):
            columns = {c.get("title"): c.get("value") for c in run.iter("column")}
            problem = track_relative(run.get("name"), results_dir)
            log = logs(f"{solver}.{run.get('name').split('/')[-1]}.log")
            runs.append(Run(solver, problem, columns.get("status", ""),
                            float(columns.get("walltime", "nan").rstrip("s")), extract_answer(log)))
    return runs


def track_relative(name: str, base: Path) -> str:
    """A run's task path as BenchExec recorded it (relative to the results folder `base`, or
    absolute) as a path under the track folder: `photos/x.sl` stays apart from a top-level `x.sl`.
    A path that does not lead into the track (results copied elsewhere) keeps its last parts."""
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        return path.resolve().relative_to(TRACK).as_posix()
    except ValueError:
        parts = Path(name).parts
        return "/".join(parts[-2:]) if len(parts) > 1 and parts[-2] == "photos" else parts[-1]


def _log_reader(results_dir: Path, xml_path: Path):
    """A function from a log's file name to its text, over the run's .logfiles folder or zip."""
    stem = xml_path.name.split(".results.")[0]
    folder, archive = results_dir / f"{stem}.logfiles", results_dir / f"{stem}.logfiles.zip"
    if archive.is_file():
        zipped = zipfile.ZipFile(archive)
        names = {Path(n).name: n for n in zipped.namelist()}
        return lambda name: zipped.read(names[name]).decode("utf-8", "replace") if name in names else ""
    return lambda name: (folder / name).read_text(encoding="utf-8", errors="replace") if (folder / name).is_file() else ""


def extract_answer(log: str) -> str:
    """The answer in a run's log: BenchExec's header, stderr lines and the answer share the file."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        word = line.strip()
        if word in ("fail", "infeasible"):
            return word
        if word == "(" or word.startswith("(define-fun"):
            depth, block = 0, []
            for text in lines[i:]:
                block.append(text)
                depth += text.count("(") - text.count(")")
                if depth <= 0:
                    return "\n".join(block)
            return "\n".join(block)
    return ""


class Checker:
    """sycam-check's verdicts (sycam_sygus.app.check.judge), one backend per problem shared by its runs."""

    def __init__(self, folder: Path = TRACK):
        self.folder = folder  # where the runs' problem files are
        self.backends: dict[str, object] = {}

    def __call__(self, run: Run) -> None:
        """Fill the run's verdict, held-out figures and answer size."""
        from sycam_sygus.backends.torch_cam.metrics import MetricError
        from sycam_sygus.backends.torch_cam.operators import OperatorError

        from sycam_sygus.app.answer_reader import read_answer
        from sycam_sygus.app.check import judge
        from sycam_sygus.core.errors import SygusError
        from sycam_sygus.frontend.lower import problem_from_script
        from sycam_sygus.frontend.parser import parse_file

        if run.answer in ("", "fail"):
            run.verdict = run.answer or "none"
            return
        path = str(self.folder / run.problem)
        script = parse_file(path)
        try:
            report = judge(problem_from_script(script), script, read_answer(run.answer, run.solver), self.backend(path))
        except (SygusError, MetricError, OperatorError) as error:  # sycam-check's exit status 2
            run.verdict = f"unreadable ({error})"
            return
        run.verdict = report.line()
        run.size = report.figures.get("size")
        goal = (report.figures.get("goals") or [None])[0]
        if goal:
            if goal.get("constant") is not None:
                versus = f" vs {goal['constant']:g}"
            else:
                versus = f" vs {goal['against']} {goal['baselines'][goal['against']]:.4f}" if goal.get("against") else ""
            run.quality = f"{goal['metric']} {goal['answer_mean']:.4f}{versus}"
            if "beats_best" in goal:  # an objective: whether it beat the best baseline on the held-out images
                run.quality += " (better)" if goal["beats_best"] else " (not better)"

    def backend(self, path: str):
        """A factory returning the problem's torch backend, opened once."""
        def factory(settings):
            if path not in self.backends:
                from sycam_sygus.backends.torch_cam.backend import open_backend

                self.backends = {path: open_backend(settings)}  # one at a time: runs come problem by problem
            return self.backends[path]

        return factory


def solved(run: Run, expected: str) -> bool:
    return run.verdict == "valid" or (run.verdict == "infeasible" and "infeasible" in expected)


def wrong(run: Run, expected: str) -> bool:
    return run.verdict.startswith("invalid") or (run.verdict == "infeasible" and "infeasible" not in expected)


def score(runs: list[Run]) -> tuple[dict[str, int], list[str]]:
    """Points per solver and the Markdown table rows (one per problem and solver)."""
    points: dict[str, int] = {run.solver: 0 for run in runs}
    rows = []
    for problem in sorted({run.problem for run in runs}):
        expected = expected_status(TRACK / problem)
        mine = [run for run in runs if run.problem == problem]
        good = [run for run in mine if solved(run, expected)]
        fastest = min((run.walltime for run in good), default=None)
        smallest = min((run.size for run in good if run.size is not None), default=None)
        for run in mine:
            gained = 0
            if run in good:
                gained += SOLVED
                gained += FASTEST if run.walltime == fastest else 0
                gained += SMALLEST if smallest is not None and run.size == smallest else 0
            points[run.solver] += gained
            flag = " **wrong**" if wrong(run, expected) else ""
            rows.append(f"| {problem} | {expected} | {run.solver} | {run.status} | {run.walltime:.1f} | "
                        f"{run.verdict}{flag} | {run.quality} | {run.size if run.size is not None else ''} | {gained} |")
    return points, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the benchexec -o folder")
    parser.add_argument("--out", type=Path, help="write the Markdown summary here (default: stdout)")
    args = parser.parse_args(argv)
    runs = read_runs(args.results)
    if not runs:
        print(f"{args.results}: no *.results.*.xml.bz2 files", file=sys.stderr)
        return 2
    check = Checker()
    for run in sorted(runs, key=lambda r: r.problem):
        check(run)
    points, rows = score(runs)
    out = io.StringIO()
    out.write("| problem | expected | solver | BenchExec status | wall s | sycam-check verdict | held-out quality | size | points |\n")
    out.write("|---|---|---|---|---:|---|---|---:|---:|\n")
    out.write("\n".join(rows) + "\n\n")
    out.write("| solver | solved | wrong | points |\n|---|---:|---:|---:|\n")
    for solver in sorted(points):
        mine = [run for run in runs if run.solver == solver]
        count = sum(solved(run, expected_status(TRACK / run.problem)) for run in mine)
        bad = sum(wrong(run, expected_status(TRACK / run.problem)) for run in mine)
        out.write(f"| {solver} | {count}/{len(mine)} | {bad} | {points[solver]} |\n")
    if args.out:
        args.out.write_text(out.getvalue(), encoding="utf-8")
    else:
        sys.stdout.write(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
