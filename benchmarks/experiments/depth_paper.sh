#!/bin/sh
# The depth experiments under the depth paper's own protocol (tnrnn train --protocol paper):
# scoRNN stacks of depth 1, 2, 3 at a matched budget of 5,000 parameters in the paper's
# count (W counted H x H), seeds 0, 1, 2, trained until the protocol's plateau rule stops
# them (cap 50,000 iterations).
#   Start-End Similarity: m = 30, n = 32, 3 classes, T = 80, 160, 320 (then 640).
#   Copying Memory: M = 30, n = 32, B = 20, 50, 100 (then 200).
# Sizes alternate between the tasks so that a partial sweep compares depths on both.
# Rerunning this script resumes: finished runs are skipped, unfinished ones continue from
# their checkpoints. Two worker processes with single-threaded XLA (one core each: on a
# 2-core machine this trains about twice as fast as one process with two threads).
# Results: benchmarks/results/experiments/depth-paper/{ses,copying}/<run>/ (or $DEPTH_PAPER_OUT).
set -e
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
D=${DEPTH_PAPER_OUT:-benchmarks/results/experiments/depth-paper}
mkdir -p "$D"
WORKERS=${WORKERS:-2}
TNRNN=${TNRNN:-.venv/bin/tnrnn}
BUDGET=${BUDGET:-5000}
ses() {
  "$TNRNN" train --protocol paper --task ses --cell scornn --depth 1,2,3 \
      --params-budget "$BUDGET" -T "$1" --seeds 0,1,2 --workers "$WORKERS" --no-progress \
      --out "$D/ses"
}
copying() {
  "$TNRNN" train --protocol paper --task copying --cell scornn --depth 1,2,3 \
      --params-budget "$BUDGET" --delay "$1" --seeds 0,1,2 --workers "$WORKERS" --no-progress \
      --out "$D/copying"
}
ses 80
copying 20
ses 160
copying 50
ses 320
copying 100
ses 640
copying 200
