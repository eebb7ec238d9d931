#!/bin/sh
# Capacity against use (RACs of depth 1-2; depth 3 in depth_rac_l3.sh): capacity against use.
# RACs of depth 1-3, width 8, trained on Start-End Similarity with m = T/2
# (no pad: every sequence over the alphabet is an input), alphabet 3, T = 8
# and 12, 3 seeds, 3,000 RMSProp steps at lr 3e-3 (1e-3 barely moves a RAC
# here), near-identity start with spread 0.01 (0.1 overflows float32 at
# depth 3). Then capacity_use.py certifies the Start-End one-hot rank of each
# trained output beside the generic rank, the bounds and the task's demand.
set -e
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1
D=benchmarks/results/experiments/depth
for T in 8 12; do
  .venv/bin/tnrnn train --task ses --cell rac --depth 1,2,3 --hidden 8 -T $T \
      --block $((T / 2)) --alphabet 3 --seeds 0,1,2 --steps 3000 --eval-every 250 --lr 3e-3 \
      --cell-option sigma=0.01 --val-size 500 --test-size 1000 --no-progress --out $D/rac_ses
done
sh benchmarks/experiments/depth_rac_l3.sh
.venv/bin/python benchmarks/experiments/capacity_use.py $D/rac_ses_plateau $D/rac_ses_l3_lr1e-4 $D/capacity_use.json
