#!/bin/sh
# Tables, JSON and figures of the depth experiments under the paper protocol, from the
# finished run folders (rerun it whenever more runs have landed; unfinished runs are left out).
set -e
cd "$(dirname "$0")/../.."
D=benchmarks/results/experiments/depth-paper
for task in ses copying; do
  [ -d "$D/$task" ] || continue
  .venv/bin/tnrnn train report "$D/$task" --figure "figures/depth_paper_$task.png" \
      --csv "$D/$task-summary.csv" --json > "$D/$task-summary.json"
  .venv/bin/tnrnn train report "$D/$task" --no-figure > "$D/$task-summary.txt"
done
