#!/bin/sh
# Tables, JSON and figures of the depth experiments under the paper protocol, from the
# finished run folders (rerun it whenever more runs have landed; unfinished runs are left out).
set -e
cd "$(dirname "$0")/../.."
D=benchmarks/results/experiments/depth-paper
for task in ses copying; do
  ls "$D/$task"/*/result.json >/dev/null 2>&1 || continue  # no finished run yet
  .venv/bin/tnrnn train report "$D/$task" --figure "figures/depth_paper_$task.png" \
      --csv "$D/$task-summary.csv" --json > "$D/$task-summary.json"
  .venv/bin/python benchmarks/experiments/depth_paper_table.py "$D/$task-summary.json" \
      > "$D/$task-summary.md"
done
.venv/bin/python benchmarks/experiments/readme_tables.py
