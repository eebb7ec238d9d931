"""tnrnn: how much long-term memory can a recurrent network express?

Turn a recurrent architecture (Recurrent Arithmetic Circuits of any depth,
tensor-train RNNs) into tensor networks, and get hard numbers on its
Start-End separation rank: theorem bounds, min-cut and duplication-aware
bounds, and ranks certified by exact arithmetic over a prime field.

``import tnrnn`` is light: it loads numpy, not jax, graphviz or matplotlib.
Those load when a function that needs them is first called.

Examples
--------
>>> import tnrnn
>>> spec = tnrnn.RAC(depth=2, hidden=3, input_dim=3, length=6)
>>> net = tnrnn.compile_network(spec)
>>> net.input_leaves()
{1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1}
>>> tnrnn.separation_rank(spec).rank     # certified mod p
30
>>> [b.value for b in tnrnn.all_bounds(spec) if b.name == "u-sym"]
[30]
"""

from importlib.metadata import PackageNotFoundError, version as _version

from .circuit import (
    DEFAULT_PRIME,
    RAC,
    TTRNN,
    RACParams,
    TTParams,
    evaluate,
    init_params,
    init_params_modp,
    one_hot,
    random_inputs,
    validate_params,
)
from .bounds import Bound, all_bounds, min_cut, tree_min_cut
from .compile import compile_network, estimate_size, tensor_arrays
from .partition import Partition, odd_even, parse_partition, start_end
from .rank import RankResult, check_certificate, separation_rank
from .errors import (
    CertificateError,
    MissingDependencyError,
    PartitionError,
    SpecError,
    TnrnnError,
    TooLargeError,
)
from .network import Leg, Network, Tensor

try:
    __version__ = _version("tnrnn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "RAC",
    "TTRNN",
    "RACParams",
    "TTParams",
    "DEFAULT_PRIME",
    "init_params",
    "init_params_modp",
    "validate_params",
    "evaluate",
    "random_inputs",
    "one_hot",
    "Network",
    "Tensor",
    "Leg",
    "compile_network",
    "estimate_size",
    "tensor_arrays",
    "Partition",
    "start_end",
    "odd_even",
    "parse_partition",
    "Bound",
    "all_bounds",
    "min_cut",
    "tree_min_cut",
    "separation_rank",
    "RankResult",
    "check_certificate",
    "TnrnnError",
    "SpecError",
    "PartitionError",
    "TooLargeError",
    "MissingDependencyError",
    "CertificateError",
]
