"""Weight initialisers with Flux's definitions.

Each initialiser is called as `init(*dims, rng=None, **keywords)` or `init(rng, *dims)` and
returns a float32 array of shape `dims`. Called with no dimensions, it returns a function of
the dimensions with the rng and keywords fixed, as `glorot_uniform(rng=rng)` does in Flux.
For a weight of shape `(out, in)` the fan-in is `in` and the fan-out is `out`. For a
convolution kernel `(out, in, k...)` both are multiplied by the kernel size.
"""

import functools
import math

import numpy as np

__all__ = [
    "glorot_uniform", "glorot_normal", "kaiming_uniform", "kaiming_normal", "truncated_normal",
    "orthogonal", "sparse_init", "identity_init", "zeros32", "ones32", "rand32", "randn32",
]

_default_rng = np.random.default_rng()


def default_rng():
    """Return the generator flux uses when no `rng` is given."""
    return _default_rng


def _split_args(args, rng):
    """Separate a leading generator from the dimensions."""
    if args and isinstance(args[0], np.random.Generator):
        if rng is not None:
            raise TypeError("rng given both positionally and as a keyword")
        rng, args = args[0], args[1:]
    if len(args) == 1 and isinstance(args[0], tuple):
        args = args[0]
    dims = tuple(int(d) for d in args)
    if any(d < 0 for d in dims):
        raise ValueError(f"array dimensions must be non-negative, got {dims}")
    return (rng if rng is not None else _default_rng), dims


def _initialiser(function):
    """Let `function(rng, dims, **kw)` be called Flux-style, or partially with no dims."""

    @functools.wraps(function)
    def wrapper(*args, rng=None, **keywords):
        if not args or (len(args) == 1 and isinstance(args[0], np.random.Generator)):
            fixed_rng = args[0] if args else rng
            return functools.partial(wrapper, rng=fixed_rng, **keywords)
        generator, dims = _split_args(args, rng)
        return function(generator, dims, **keywords).astype(np.float32, copy=False)

    return wrapper


def nfan(dims):
    """Return `(fan_in, fan_out)` for an array of shape `dims`, weight layout `(out, in, ...)`."""
    if len(dims) == 0:
        return 1, 1
    if len(dims) == 1:
        return 1, dims[0]
    receptive = math.prod(dims[2:])
    return dims[1] * receptive, dims[0] * receptive


@_initialiser
def glorot_uniform(rng, dims, gain=1.0):
    """glorot_uniform(*dims; rng, gain=1)

    Uniform on `[-a, a]` with `a = gain * sqrt(6 / (fan_in + fan_out))` (Glorot and Bengio,
    2010). The default initialiser of `Dense`.
    Example: `glorot_uniform(3, 2).shape` is `(3, 2)`.
    """
    fan_in, fan_out = nfan(dims)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=dims)


@_initialiser
def glorot_normal(rng, dims, gain=1.0):
    """glorot_normal(*dims; rng, gain=1)

    Normal with mean 0 and standard deviation `gain * sqrt(2 / (fan_in + fan_out))`.
    """
    fan_in, fan_out = nfan(dims)
    return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=dims)


@_initialiser
def kaiming_uniform(rng, dims, gain=math.sqrt(2.0)):
    """kaiming_uniform(*dims; rng, gain=sqrt(2))

    Uniform on `[-a, a]` with `a = gain * sqrt(3 / fan_in)` (He et al., 2015).
    """
    fan_in, _ = nfan(dims)
    bound = gain * math.sqrt(3.0 / fan_in)
    return rng.uniform(-bound, bound, size=dims)


@_initialiser
def kaiming_normal(rng, dims, gain=math.sqrt(2.0)):
    """kaiming_normal(*dims; rng, gain=sqrt(2))

    Normal with mean 0 and standard deviation `gain / sqrt(fan_in)`.
    """
    fan_in, _ = nfan(dims)
    return rng.normal(0.0, gain / math.sqrt(fan_in), size=dims)


@_initialiser
def truncated_normal(rng, dims, mean=0.0, std=1.0, lo=-2.0, hi=2.0):
    """truncated_normal(*dims; rng, mean=0, std=1, lo=-2, hi=2)

    Normal with `mean` and `std`, restricted to `[lo, hi]` by redrawing every value that
    falls outside.
    """
    if lo >= hi:
        raise ValueError(f"truncated_normal needs lo < hi, got lo={lo}, hi={hi}")
    values = rng.normal(mean, std, size=dims)
    outside = (values < lo) | (values > hi)
    while outside.any():
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < lo) | (values > hi)
    return values


@_initialiser
def orthogonal(rng, dims, gain=1.0):
    """orthogonal(*dims; rng, gain=1)

    A matrix with orthonormal rows or columns, whichever are fewer, scaled by `gain` (Saxe et
    al., 2014). More than two dimensions are flattened to `(prod(dims[:-1]), dims[-1])`.
    """
    if len(dims) < 2:
        raise ValueError(f"orthogonal needs at least 2 dimensions, got {dims}")
    rows, cols = math.prod(dims[:-1]), dims[-1]
    flipped = rows < cols
    matrix = rng.standard_normal((cols, rows) if flipped else (rows, cols))
    q, r = np.linalg.qr(matrix)
    q = q * np.sign(np.diag(r))
    if flipped:
        q = q.T
    return gain * q.reshape(dims)


@_initialiser
def sparse_init(rng, dims, sparsity, std=0.01):
    """sparse_init(rows, cols; rng, sparsity, std=0.01)

    A matrix drawn from a normal with standard deviation `std`, where each column has
    `ceil(sparsity * rows)` entries set to zero (Martens, 2010).
    """
    if len(dims) != 2:
        raise ValueError(f"sparse_init needs exactly 2 dimensions, got {dims}")
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparse_init needs 0 <= sparsity <= 1, got sparsity={sparsity}")
    rows, cols = dims
    zeros_per_column = math.ceil(sparsity * rows)
    values = rng.normal(0.0, std, size=dims)
    for column in range(cols):
        values[rng.permutation(rows)[:zeros_per_column], column] = 0.0
    return values


@_initialiser
def identity_init(rng, dims, gain=1.0, shift=0):
    """identity_init(*dims; gain=1, shift=0)

    For 1 dimension all zeros, for 2 an identity matrix (padded with zeros when not square),
    scaled by `gain` and rolled by `shift` along every axis. For a convolution kernel
    `(out, in, k...)` the centre tap of each matching channel pair is `gain`.
    """
    values = np.zeros(dims)
    if len(dims) == 2:
        n = min(dims)
        values[np.arange(n), np.arange(n)] = gain
    elif len(dims) > 2:
        if dims[0] != dims[1]:
            raise ValueError(f"identity_init of a kernel needs as many output as input "
                             f"channels, got {dims}")
        centre = tuple(k // 2 for k in dims[2:])
        for channel in range(dims[0]):
            values[(channel, channel) + centre] = gain
    if shift:
        values = np.roll(values, shift, axis=tuple(range(len(dims))))
    return values


@_initialiser
def zeros32(rng, dims):
    """zeros32(*dims) = np.zeros(dims, float32)"""
    return np.zeros(dims)


@_initialiser
def ones32(rng, dims):
    """ones32(*dims) = np.ones(dims, float32)"""
    return np.ones(dims)


@_initialiser
def rand32(rng, dims):
    """rand32(*dims; rng): uniform on [0, 1), float32."""
    return rng.random(dims)


@_initialiser
def randn32(rng, dims):
    """randn32(*dims; rng): standard normal, float32."""
    return rng.standard_normal(dims)
