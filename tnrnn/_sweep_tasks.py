"""Old import path of :mod:`tnrnn.rank.executor_tasks` (kept for one release).

The task functions of the rank sweeps moved into the package they serve;
import them from :mod:`tnrnn.rank.executor_tasks`. Task functions pickled by
this path (a Dask worker or a spawned process unpickles them by import path)
still resolve to the same objects.
"""

from .rank.executor_tasks import (BLOCK_MAX_BYTES, BLOCK_MIN_ENTRIES, BLOCKS_PER_WORKER,
                                  RowBlocks, rank_claim, rank_row, rank_row_cost,
                                  sample_block)

__all__ = ["rank_row", "rank_row_cost", "rank_claim", "sample_block", "RowBlocks",
           "BLOCK_MIN_ENTRIES", "BLOCK_MAX_BYTES", "BLOCKS_PER_WORKER"]
