#!/usr/bin/env bash
# The smoothness paper's sine generator (LSTM, stabilised LSTM, expRNN; seeds 0-2) and
# sequence classification (the three models, seed 2) at the authors' sizes and schedule
# (tnrnn/dynamics/paper_setups.py), trained in turns of 10 (sine) / 50 (classification)
# epochs for TRAIN_SECONDS, then analysed (last checkpoints first, then epoch 0).
# Resumable: run it again and every run continues from its resume.pkl.
# Single-threaded and niced, so that it shares a CPU with other work.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=${ROOT:-benchmarks/results/experiments/smoothness}
TRAIN_SECONDS=${TRAIN_SECONDS:-1800}
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
TNRNN="nice -n 15 .venv/bin/tnrnn dynamics"
$TNRNN paper-train --root "$ROOT" --tasks sine --seeds 0,1,2 --seconds "$TRAIN_SECONDS" --chunk 10 &
wait $!
$TNRNN paper-train --root "$ROOT" --tasks seqclass --seeds 2 --seconds "$((TRAIN_SECONDS / 3))" --chunk 10
$TNRNN paper-analyse --root "$ROOT" --which last
$TNRNN paper-analyse --root "$ROOT" --which first
