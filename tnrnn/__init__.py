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

from .circuit import (
    DEFAULT_PRIME,
    RAC,
    TTRNN,
    RACParams,
    TTParams,
    evaluate,
    init_params,
    init_params_modp,
    load_params,
    one_hot,
    random_inputs,
    save_params,
    validate_params,
)
from .bounds import Bound, all_bounds, min_cut, tree_min_cut
from .compile import compile_network, estimate_size, export_network, tensor_arrays
from .partition import Partition, odd_even, parse_partition, start_end
from .rank import RankResult, check_certificate, separation_rank
from .errors import (
    CertificateError,
    MissingDependencyError,
    OutputPathError,
    PartitionError,
    SpecError,
    TnrnnError,
    TooLargeError,
)
from .network import Leg, Network, Tensor



def __getattr__(name: str):
    """``tnrnn.__version__``, read from the installed metadata on first use.

    Reading package metadata costs about a tenth of a second, so the command
    line does not pay for it at start-up.
    """
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("tnrnn")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'tnrnn' has no attribute {name!r}")

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
    "save_params",
    "load_params",
    "Network",
    "Tensor",
    "Leg",
    "compile_network",
    "estimate_size",
    "export_network",
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
    "OutputPathError",
]
