#!/bin/sh
# Capacity against use, trained until the plateau rule stops them. Depths 1 and 2 at
# learning rate 3e-3 (folder rac_ses_plateau), depth 3 at 1e-4 (rac_ses_l3_lr1e-4).
# Depth 3: RACs of depth 3 and width 8 on SES with m = T/2
# (alphabet 3, no pad), T = 8 and 12, seeds 0, 1, 2, at a learning rate 30x lower
# than depths 1 and 2 (1e-4 against 3e-3; at 3e-3 and 1e-3 the depth-3 product of
# C(T + 3, 3) factors blows up in the first steps and the network collapses to a
# constant, see docs/training.md), up to 100,000 RMSProp steps, validation every 500,
# plateau rule of the tnrnn protocol, near-identity start of spread 0.01.
set -e
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1
D=benchmarks/results/experiments/depth
for T in 8 12; do
  .venv/bin/tnrnn train --task ses --cell rac --depth 1,2 --hidden 8 -T $T \
      --block $((T / 2)) --alphabet 3 --seeds 0,1,2 --steps 100000 --eval-every 500 --lr 3e-3 \
      --cell-option sigma=0.01 --val-size 500 --test-size 1000 --no-progress \
      --out $D/rac_ses_plateau
  .venv/bin/tnrnn train --task ses --cell rac --depth 3 --hidden 8 -T $T \
      --block $((T / 2)) --alphabet 3 --seeds 0,1,2 --steps 100000 --eval-every 500 --lr 1e-4 \
      --cell-option sigma=0.01 --val-size 500 --test-size 1000 --no-progress \
      --out $D/rac_ses_l3_lr1e-4
done
