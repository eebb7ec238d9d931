#!/bin/sh
# The small depth experiment (tnrnn protocol, fixed step budget; superseded by depth_paper.sh): does depth buy memory in practice?
# scoRNN stacks of depth 1-3 at a matched budget of ~5,000 parameters, 3 seeds,
# a fixed budget of 2,000 RMSProp steps (the paper's protocol otherwise; with
# validation every 250 steps and patience 10 the plateau rule never fires
# within 2,000 steps). Rerunning the same commands skips finished runs.
# OPENBLAS_NUM_THREADS=1: numpy's small Cayley solves are slow with threads on
# a loaded 2-core machine.
set -e
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1
D=benchmarks/results/experiments/depth
.venv/bin/tnrnn train --task ses --cell scornn --depth 1,2,3 --params-budget 5000 \
    -T 20,40,80 --block 5 --alphabet 8 --seeds 0,1,2 --steps 2000 --eval-every 250 \
    --val-size 500 --test-size 1000 --no-progress --out $D/ses
.venv/bin/tnrnn train --task copying --cell scornn --depth 1,2,3 --params-budget 5000 \
    --delay 10,20,40 --word-length 5 --alphabet 8 --seeds 0,1,2 --steps 2000 --eval-every 250 \
    --val-size 500 --test-size 1000 --no-progress --out $D/copying
