"""Bring a cotangent back to the shape, dtype and type of its primal."""

import numbers

import numpy as np


def is_differentiable_value(x):
    """Return whether `x` is a real or complex floating value that can carry a gradient."""
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        return np.issubdtype(x.dtype, np.inexact)
    if isinstance(x, (float, complex)):
        return True
    if isinstance(x, numbers.Integral):
        return False
    return True


def unbroadcast(g, like):
    """Sum `g` over the axes that broadcasting added to `like`, and match `like`'s dtype.

    Integer and boolean primals get `None`; a Python float gets a Python float.
    """
    if g is None:
        return None
    # Fast paths for the common exact types; the general cases follow.
    like_type = type(like)
    if like_type is float or like_type is np.float64 or like_type is np.float32:
        if type(g) is like_type:
            return g
    elif like_type is np.ndarray and type(g) is np.ndarray and g.shape == like.shape \
            and g.dtype == like.dtype and like.dtype.kind in "fc":
        return g
    if isinstance(like, np.ndarray):
        if not np.issubdtype(like.dtype, np.inexact):
            return None
        g = np.asarray(g)
        if g.shape != like.shape:
            g = _sum_to_shape(g, like.shape)
        if g.dtype != like.dtype:
            g = _cast(g, like.dtype)
        return g
    if isinstance(like, (bool, np.bool_)) or isinstance(like, numbers.Integral):
        return None
    if isinstance(like, np.generic):
        if not np.issubdtype(like.dtype, np.inexact):
            return None
        total = np.sum(g) if np.ndim(g) else g
        return _cast(np.asarray(total), like.dtype)[()]
    if isinstance(like, float):
        total = np.sum(g) if np.ndim(g) else g
        return float(np.real(total))
    if isinstance(like, complex):
        total = np.sum(g) if np.ndim(g) else g
        return complex(total)
    return g


def _sum_to_shape(g, shape):
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    kept_ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if kept_ones:
        g = g.sum(axis=kept_ones, keepdims=True)
    if g.shape != tuple(shape):
        g = np.broadcast_to(g, shape)
    return g


def _cast(g, dtype):
    # A real primal takes the real part of a complex cotangent.
    if np.iscomplexobj(g) and not np.issubdtype(dtype, np.complexfloating):
        g = g.real
    return g.astype(dtype, copy=False)
