"""The libraries under test and how each one computes a workload's value and gradient.

`numpy` is the plain forward pass that every ratio divides by, `adjoint` is the hand-written NumPy
reverse pass, and the peers are imported only when selected, after the thread settings are in
place. Every builder returns a zero-argument callable whose result `to_numpy_result` turns into
`(value, [gradient arrays])`.
"""

import functools
import importlib

import numpy as np

from benchmarks import threads
from benchmarks.library_names import ALL_LIBRARIES


class UnsupportedWorkload(Exception):
    """The library cannot express the workload; the message gives the reason."""


@functools.cache
def import_library(library, thread_count):
    """Import and configure the module that runs `library`, once per process."""
    if library in ("numpy", "adjoint"):
        return np
    if library == "zygote_py":
        return importlib.import_module("zygote_py")
    if library == "autograd":
        return importlib.import_module("autograd")
    if library in ("jax", "jax-jit"):
        jax = importlib.import_module("jax")
        # float64 workloads must stay float64, as in the other libraries.
        jax.config.update("jax_enable_x64", True)
        return jax
    if library == "torch":
        torch = importlib.import_module("torch")
        threads.apply_torch_threads(torch, thread_count)
        return torch
    raise ValueError(f"unknown library {library!r}; expected one of {', '.join(ALL_LIBRARIES)}")


def build_candidate(library, workload, case, thread_count):
    """Return a zero-argument callable that computes the case's value and gradients.

    For `numpy` the callable computes the value only. Raises `UnsupportedWorkload` when the
    workload lists the library in its `UNSUPPORTED` table.
    """
    reason = getattr(workload, "UNSUPPORTED", {}).get(library)
    if reason:
        raise UnsupportedWorkload(reason)
    module = import_library(library, thread_count)
    params, data = case.params, case.data
    argnums = tuple(range(len(params)))

    if library == "numpy":
        return functools.partial(workload.numpy_loss, *params, *data)
    if library == "adjoint":
        return functools.partial(workload.numpy_adjoint, *params, *data)
    if library == "zygote_py":
        if hasattr(workload, "zygote_objective"):
            objective = workload.zygote_objective(data)
        else:
            objective = workload.numpy_loss
        return functools.partial(module.withgradient, objective, *params)
    if library == "autograd":
        import autograd.numpy as autograd_numpy

        loss = functools.partial(workload.peer_loss, autograd_numpy)
        value_and_grad = module.value_and_grad(loss, argnum=argnums)
        return functools.partial(value_and_grad, *params, *data)
    if library in ("jax", "jax-jit"):
        return _build_jax(module, workload, params, data, argnums, jit=library == "jax-jit")
    if library == "torch":
        return _build_torch(module, workload, params, data)
    raise ValueError(f"unknown library {library!r}")


def _build_jax(jax, workload, params, data, argnums, jit):
    import jax.numpy as jnp

    loss = functools.partial(workload.peer_loss, jnp)
    value_and_grad = jax.value_and_grad(loss, argnums=argnums)
    if jit:
        value_and_grad = jax.jit(value_and_grad)
    arguments = [_to_jax(jnp, value) for value in params + data]

    def run():
        return jax.block_until_ready(value_and_grad(*arguments))

    return run


def _to_jax(jnp, value):
    # Python floats stay Python floats, as in the other libraries.
    return value if isinstance(value, float) else jnp.asarray(value)


def _build_torch(torch, workload, params, data):
    leaves = [_to_torch(torch, value).requires_grad_() for value in params]
    constants = [_to_torch(torch, value) for value in data]
    loss = functools.partial(workload.torch_loss, torch)

    def run():
        value = loss(*leaves, *constants)
        grads = torch.autograd.grad(value, leaves)
        return value.detach(), grads

    return run


def _to_torch(torch, value):
    if isinstance(value, float):
        return torch.tensor(value, dtype=torch.float64)
    return torch.from_numpy(np.array(value))


def to_numpy_result(library, result):
    """Convert a candidate's result to `(value as float, [gradients as NumPy arrays])`."""
    if library == "numpy":
        return float(np.asarray(result)), []
    value, grads = result
    return float(_to_numpy(value)), [None if g is None else _to_numpy(g) for g in grads]


def _to_numpy(value):
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return np.asarray(value)


def relative_error(actual, expected):
    """Return the norm-wise relative error of `actual` against `expected`.

    The error is ||actual - expected|| / ||expected||, in float64, or the absolute norm of the
    difference where `expected` is zero. A missing gradient (None) counts as infinitely wrong.
    """
    if actual is None:
        return float("inf")
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return float("inf")
    scale = np.linalg.norm(expected)
    difference = np.linalg.norm(actual - expected)
    return float(difference / scale) if scale > 0 else float(difference)


def gradient_error(library_result, adjoint_result):
    """Return the largest relative error over the value and every gradient."""
    value, grads = library_result
    expected_value, expected_grads = adjoint_result
    if len(grads) != len(expected_grads):
        return float("inf")
    errors = [relative_error(value, expected_value)]
    errors.extend(relative_error(g, e) for g, e in zip(grads, expected_grads))
    return max(errors)
