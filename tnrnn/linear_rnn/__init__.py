"""tnrnn.linear_rnn: the curse of memory in linear RNNs.

Memory kernels with exact norms and Laplace transforms, the kernel of a linear
RNN, best approximation by sums of exponentials (fixed rates exactly, free
rates as upper bounds, L2 and L1 errors), the white-noise loss with its
gradient, gradient flows and their plateaus, and linear-functional data.
After Li, Han, E, Li, *On the Curse of Memory in Recurrent Neural Networks:
Approximation and Optimization Analysis* (arXiv 2009.07799, ICLR 2021).

``import tnrnn.linear_rnn`` loads numpy only; scipy and mpmath are imported by
the functions that need them, jax/optax/diffrax only by the gradient flows
and training.
"""

from .approx import (PROJECT_ROUTES, L1Error, Projection, exp_sum, get_project_route, l1_error,
                     project, rate_grid, rnn_kernel, rnn_kernel_discrete)
from .bestsum import BestSum, best_exponential_sum, polish_exponential_sum
from .data import (LinearFunctionalData, causal_convolve, discrete_kernel,
                   linear_functional_dataset)
from .flow import (FLOW_METHODS, FlowResult, get_flow_method, gradient_flow, initial_point,
                   random_point, white_noise_grad, white_noise_loss)
from .l1lp import L1Bracket, l1_bracket
from .plateaus import PLATEAU_RULE, Plateau, plateau_times
from .kernels import (KERNEL_FAMILIES, Kernel, airy, delayed, exponential, parse_kernel,
                      polynomial, smooth, tabulated)
from ._store import load_result

__all__ = [
    "Kernel", "exponential", "polynomial", "delayed", "airy", "smooth", "tabulated", "parse_kernel",
    "KERNEL_FAMILIES",
    "rnn_kernel", "rnn_kernel_discrete", "exp_sum", "rate_grid",
    "Projection", "project", "PROJECT_ROUTES", "get_project_route",
    "L1Error", "l1_error", "BestSum", "best_exponential_sum", "polish_exponential_sum",
    "white_noise_loss", "white_noise_grad", "initial_point", "random_point", "FlowResult",
    "gradient_flow", "FLOW_METHODS", "get_flow_method", "Plateau", "plateau_times",
    "PLATEAU_RULE", "L1Bracket", "l1_bracket",
    "LinearFunctionalData", "linear_functional_dataset", "discrete_kernel", "causal_convolve",
    "load_result",
]
