"""Gradient rules of NumPy's indexing functions: take, take_along_axis, compress, extract,
delete, sort, select, choose, and interp, which looks up the segment of each point.

Their pullbacks scatter the cotangent back with `np.add.at` into a freshly made zeros array,
so an index that appears several times receives the sum of its cotangents. Plain subscripts
(`x[i]`) belong to the operator rules.
"""

import numpy as np

from .numpy_elementwise import unbroadcast
from .numpy_shape import same_container
from .registry import register_method_rule, register_rule


def scatter_along_axis(g, indices, shape, axis):
    """Return the adjoint of `np.take(x, indices, axis)` for an `x` of `shape`.

    `axis=None` means `x` was flattened first.
    """
    dtype = np.result_type(g, np.float64)
    if axis is None:
        out = np.zeros(int(np.prod(shape)), dtype=dtype)
        np.add.at(out, np.ravel(indices), np.ravel(g))
        return np.reshape(out, shape)
    ndim = len(shape)
    axis = axis % ndim
    index_ndim = np.ndim(indices)
    # In g the index axes sit at `axis`. Moving them to the front matches `out`'s first axis.
    g = np.moveaxis(g, tuple(range(axis, axis + index_ndim)), tuple(range(index_ndim)))
    out = np.zeros((shape[axis],) + tuple(shape[:axis]) + tuple(shape[axis + 1:]), dtype=dtype)
    np.add.at(out, indices, g)
    return np.moveaxis(out, 0, axis)


def wrapped_indices(indices, length, mode):
    if mode == "wrap":
        return np.mod(indices, length)
    if mode == "clip":
        return np.clip(indices, 0, length - 1)
    return indices


def take_cotangent(dy, a, indices, axis, mode):
    shape = np.shape(a)
    length = int(np.prod(shape)) if axis is None else shape[axis % len(shape)]
    indices = wrapped_indices(np.asarray(indices), length, mode)
    return unbroadcast(scatter_along_axis(dy, indices, shape, axis), a)


@register_rule(np.take)
def take_rule(a, indices, axis=None, out=None, mode="raise"):
    y = np.take(a, indices, axis, out, mode)

    def take_back(dy):
        return (take_cotangent(dy, a, indices, axis, mode),)

    return y, take_back


def ndarray_take_rule(a, indices, axis=None, out=None, mode="raise"):
    y = a.take(indices, axis=axis, out=out, mode=mode)

    def ndarray_take_back(dy):
        return (take_cotangent(dy, a, indices, axis, mode),)

    return y, ndarray_take_back


def along_axis_index(indices, shape, axis):
    """Return the full index tuple that `take_along_axis(x, indices, axis)` reads."""
    ndim = len(shape)
    index = []
    for dim in range(ndim):
        if dim == axis:
            index.append(indices)
        else:
            grid_shape = [1] * ndim
            grid_shape[dim] = shape[dim]
            index.append(np.reshape(np.arange(shape[dim]), grid_shape))
    return tuple(np.broadcast_arrays(*index))


def take_along_axis_cotangent(dy, arr, indices, axis):
    shape = np.shape(arr)
    out = np.zeros(shape, dtype=np.result_type(dy, np.float64))
    if axis is None:
        flat = np.zeros(int(np.size(arr)), dtype=out.dtype)
        np.add.at(flat, np.ravel(indices), np.ravel(dy))
        return unbroadcast(np.reshape(flat, shape), arr)
    axis = axis % len(shape)
    index = along_axis_index(np.asarray(indices), np.shape(dy), axis)
    np.add.at(out, index, dy)
    return unbroadcast(out, arr)


@register_rule(np.take_along_axis)
def take_along_axis_rule(arr, indices, axis=-1):
    y = np.take_along_axis(arr, indices, axis)

    def take_along_axis_back(dy):
        return (take_along_axis_cotangent(dy, arr, indices, axis),)

    return y, take_along_axis_back


def compress_cotangent(dy, condition, a, axis):
    shape = np.shape(a)
    length = int(np.size(a)) if axis is None else shape[axis % len(shape)]
    positions = np.flatnonzero(np.asarray(condition)[:length])
    return unbroadcast(scatter_along_axis(dy, positions, shape, axis), a)


@register_rule(np.compress)
def compress_rule(condition, a, axis=None, out=None):
    y = np.compress(condition, a, axis, out)

    def compress_back(dy):
        return None, compress_cotangent(dy, condition, a, axis)

    return y, compress_back


def ndarray_compress_rule(a, condition, axis=None, out=None):
    y = a.compress(condition, axis=axis, out=out)

    def ndarray_compress_back(dy):
        return (compress_cotangent(dy, condition, a, axis),)

    return y, ndarray_compress_back


@register_rule(np.extract)
def extract_rule(condition, arr):
    y = np.extract(condition, arr)

    def extract_back(dy):
        positions = np.flatnonzero(np.ravel(condition)[: int(np.size(arr))])
        return None, unbroadcast(scatter_along_axis(dy, positions, np.shape(arr), None), arr)

    return y, extract_back


@register_rule(np.delete)
def delete_rule(arr, obj, axis=None):
    y = np.delete(arr, obj, axis)

    def delete_back(dy):
        shape = np.shape(arr)
        length = int(np.size(arr)) if axis is None else shape[axis % len(shape)]
        kept_positions = np.delete(np.arange(length), obj)
        return (unbroadcast(scatter_along_axis(dy, kept_positions, shape, axis), arr),)

    return y, delete_back


# Sorting ----------------------------------------------------------------------------------


def sort_permutation(a, axis):
    """Return the stable sorting permutation of `a` along `axis` (None sorts the flat array)."""
    if axis is None:
        return np.argsort(np.ravel(a), kind="stable")
    return np.argsort(a, axis=axis, kind="stable")


@register_rule(np.sort)
def sort_rule(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise NotImplementedError("the gradient of np.sort with order= (structured arrays) is "
                                  "not implemented")
    # The gradient follows a stable permutation, so equal elements keep their order. The
    # sorted values come from that permutation too: they equal np.sort's for every kind.
    permutation = sort_permutation(a, axis)
    if axis is None:
        y = np.take(np.ravel(a), permutation)
    else:
        y = np.take_along_axis(np.asarray(a), permutation, axis)

    def sort_back(dy):
        return (take_along_axis_cotangent(dy, a, permutation, axis),)

    return y, sort_back


# Selecting among arrays -------------------------------------------------------------------


@register_rule(np.select)
def select_rule(condlist, choicelist, *args, **kwargs):
    y = np.select(condlist, choicelist, *args, **kwargs)
    default = args[0] if args else kwargs.get("default", 0)

    def select_back(dy):
        # The first true condition wins at each element.
        already_chosen = np.zeros(np.shape(dy), dtype=bool)
        choice_cotangents = []
        for condition, choice in zip(condlist, choicelist):
            chosen = np.asarray(condition) & ~already_chosen
            choice_cotangents.append(unbroadcast(np.where(chosen, dy, 0), choice))
            already_chosen = already_chosen | chosen
        cotangents = (None, same_container(choice_cotangents, choicelist))
        if args:
            cotangents = cotangents + (unbroadcast(np.where(already_chosen, 0, dy), default),)
        return cotangents

    return y, select_back


def choose_cotangent(dy, a, choices, mode):
    index = wrapped_indices(np.asarray(a), len(choices), mode)
    cotangents = [unbroadcast(np.where(index == i, dy, 0), choice)
                  for i, choice in enumerate(choices)]
    return same_container(cotangents, choices)


@register_rule(np.choose)
def choose_rule(a, choices, out=None, mode="raise"):
    y = np.choose(a, choices, out, mode)

    def choose_back(dy):
        return None, choose_cotangent(dy, a, choices, mode)

    return y, choose_back


def ndarray_choose_rule(a, choices, out=None, mode="raise"):
    y = a.choose(choices, out=out, mode=mode)

    def ndarray_choose_back(dy):
        return None, choose_cotangent(dy, a, choices, mode)

    return y, ndarray_choose_back


# Interpolation ----------------------------------------------------------------------------


@register_rule(np.interp)
def interp_rule(x, xp, fp, *args, **kwargs):
    y = np.interp(x, xp, fp, *args, **kwargs)
    left = args[0] if len(args) > 0 else kwargs.get("left")
    right = args[1] if len(args) > 1 else kwargs.get("right")
    period = args[2] if len(args) > 2 else kwargs.get("period")
    positional_count = 3 + len(args)
    if period is not None:
        raise NotImplementedError("the gradient of np.interp with period= is not implemented")
    knots = np.asarray(xp)
    values = np.asarray(fp)
    count = knots.shape[0]
    # Segment i runs from xp[i] to xp[i + 1]; y = fp[i] + slope * (x - xp[i]) inside it.
    segment = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, max(count - 2, 0))
    upper = np.minimum(segment + 1, count - 1)
    width = knots[upper] - knots[segment]
    safe_width = np.where(width == 0, 1, width)
    position = (np.asarray(x) - knots[segment]) / safe_width
    slope = (values[upper] - values[segment]) / safe_width
    below = np.asarray(x) < knots[0]
    above = np.asarray(x) > knots[-1]
    inside = ~below & ~above

    def interp_back(dy):
        g = np.where(inside, dy, 0) * np.ones(np.shape(y))
        dx = g * slope
        dfp = np.zeros(count, dtype=np.result_type(dy, np.float64))
        np.add.at(dfp, segment, g * (1 - position))
        np.add.at(dfp, upper, g * position)
        # Outside the knots y is the end value, or left=/right= when given.
        outside = np.broadcast_to(dy, np.shape(y))
        if left is None:
            np.add.at(dfp, np.zeros(1, dtype=np.intp), np.sum(np.where(below, outside, 0)))
        if right is None:
            np.add.at(dfp, np.full(1, count - 1), np.sum(np.where(above, outside, 0)))
        dxp = np.zeros(count, dtype=dfp.dtype)
        np.add.at(dxp, segment, g * slope * (position - 1))
        np.add.at(dxp, upper, -g * slope * position)
        cotangents = [unbroadcast(dx, x), unbroadcast(dxp, xp), unbroadcast(dfp, fp)]
        if positional_count > 3:
            d_left = np.sum(np.where(below, outside, 0))
            cotangents.append(None if left is None else unbroadcast(d_left, left))
        if positional_count > 4:
            d_right = np.sum(np.where(above, outside, 0))
            cotangents.append(None if right is None else unbroadcast(d_right, right))
        return tuple(cotangents)

    return y, interp_back


register_method_rule(np.ndarray, "take", ndarray_take_rule)
register_method_rule(np.ndarray, "compress", ndarray_compress_rule)
register_method_rule(np.ndarray, "choose", ndarray_choose_rule)
