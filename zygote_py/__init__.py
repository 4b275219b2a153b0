"""zygote_py: source-to-source reverse-mode automatic differentiation for Python + NumPy.

`gradient(f, *args)` reads `f`'s source, generates its adjoint code, compiles and caches it.
See `source(f)` for the generated code and `docs/limitations.md` for what is supported.
"""

from . import rules  # noqa: F401 - importing registers every rule
from .api import Differentiable, differentiable, gradient, pullback, source, withgradient
from .checkpoint import checkpointed, hook
from .errors import (MissingRuleError, MutationError, NonScalarOutputError,
                     SourceUnavailableError, UnsupportedSyntaxError)
from .extend import adjoint, dropgrad, ignore, non_differentiable
from .higher_order import (diaghessian, hessian, hessian_vector_product, jacobian, jvp,
                           pushforward, withjacobian)
from .runtime.buffer import Buffer
from .runtime.params import Grads, Params
from .runtime.structures import Structural

__all__ = [
    "gradient", "withgradient", "pullback", "jvp", "pushforward", "jacobian", "withjacobian",
    "hessian", "hessian_vector_product", "diaghessian", "differentiable", "Differentiable", "source",
    "checkpointed", "hook", "adjoint", "non_differentiable", "dropgrad", "ignore", "Params", "Grads", "Structural", "Buffer",
    "UnsupportedSyntaxError", "MissingRuleError", "SourceUnavailableError", "MutationError",
    "NonScalarOutputError",
]
