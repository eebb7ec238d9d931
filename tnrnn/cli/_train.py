"""tnrnn train: training sweeps of recurrent cells on memory tasks (issue: cells, tasks, training)."""

from __future__ import annotations
