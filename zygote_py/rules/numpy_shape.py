"""Gradient rules of NumPy's shape functions, array assembly and conversions.

Reshapes, transposes and flips move elements without changing them, so their pullbacks apply
the inverse move to the cotangent. Functions that take a sequence of arrays (concatenate,
stack, ...) return the cotangent of that argument as a list or tuple like the one passed in,
and `np.array` over nested lists returns nested lists of the same structure.
"""

import numpy as np

from .numpy_elementwise import cotangent_like, register_aliases, unbroadcast
from .numpy_reductions import normalize_axes
from .registry import register_attribute_rule, register_method_rule, register_rule


def same_container(items, like):
    """Return `items` as a list or tuple, whichever `like` is."""
    return tuple(items) if isinstance(like, tuple) else list(items)


def zeros_for_missing(cotangents, like_values):
    """Replace `None` entries of a tuple cotangent by zeros shaped like the primal entries."""
    return [np.zeros(np.shape(value), dtype=np.result_type(value, np.float64))
            if g is None else g for g, value in zip(cotangents, like_values)]


def axis_permutation(function, ndim):
    """Return the permutation of axes that `function` applies to an array with `ndim` axes.

    The probe array has distinct lengths on its axes and no memory of its own.
    """
    probe = np.broadcast_to(np.float64(0), tuple(range(2, ndim + 2)))
    moved = function(probe)
    return [s - 2 for s in moved.shape]


def reshape_order(order, a):
    if order in ("A", "K"):
        a = np.asarray(a)
        return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"
    return order


# Reshapes ---------------------------------------------------------------------------------


@register_rule(np.reshape)
def reshape_rule(a, *args, **kwargs):
    y = np.reshape(a, *args, **kwargs)
    order = reshape_order(args[1] if len(args) > 1 else kwargs.get("order", "C"), a)

    def reshape_back(dy):
        return (unbroadcast(np.reshape(dy, np.shape(a), order=order), a),)

    return y, reshape_back


def ndarray_reshape_rule(a, *shape, **kwargs):
    y = a.reshape(*shape, **kwargs)
    order = reshape_order(kwargs.get("order", "C"), a)

    def ndarray_reshape_back(dy):
        return (unbroadcast(np.reshape(dy, np.shape(a), order=order), a),)

    return y, ndarray_reshape_back


@register_rule(np.ravel)
def ravel_rule(a, order="C"):
    y = np.ravel(a, order)
    order = reshape_order(order, a)

    def ravel_back(dy):
        return (unbroadcast(np.reshape(dy, np.shape(a), order=order), a),)

    return y, ravel_back


def ndarray_ravel_rule(a, order="C"):
    y = a.ravel(order)
    order = reshape_order(order, a)

    def ndarray_ravel_back(dy):
        return (unbroadcast(np.reshape(dy, np.shape(a), order=order), a),)

    return y, ndarray_ravel_back


def ndarray_flatten_rule(a, order="C"):
    y = a.flatten(order)
    order = reshape_order(order, a)

    def ndarray_flatten_back(dy):
        return (unbroadcast(np.reshape(dy, np.shape(a), order=order), a),)

    return y, ndarray_flatten_back


@register_rule(np.expand_dims)
def expand_dims_rule(a, axis):
    y = np.expand_dims(a, axis)

    def expand_dims_back(dy):
        return (unbroadcast(np.reshape(dy, np.shape(a)), a),)

    return y, expand_dims_back


@register_rule(np.squeeze)
def squeeze_rule(a, axis=None):
    y = np.squeeze(a, axis)

    def squeeze_back(dy):
        return (unbroadcast(np.reshape(dy, np.shape(a)), a),)

    return y, squeeze_back


def ndarray_squeeze_rule(a, axis=None):
    y = a.squeeze(axis)

    def ndarray_squeeze_back(dy):
        return (unbroadcast(np.reshape(dy, np.shape(a)), a),)

    return y, ndarray_squeeze_back


def make_atleast_rule(function):
    def atleast_rule(*arys):
        y = function(*arys)

        def atleast_back(dy):
            if len(arys) == 1:
                return (unbroadcast(np.reshape(dy, np.shape(arys[0])), arys[0]),)
            return tuple(None if g is None else unbroadcast(np.reshape(g, np.shape(x)), x)
                         for g, x in zip(dy, arys))

        return y, atleast_back

    atleast_rule.__name__ = f"{function.__name__}_rule"
    return atleast_rule


for _function in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    register_rule(_function, make_atleast_rule(_function))


# Axis permutations ----------------------------------------------------------------------


def inverse_permutation(axes):
    return tuple(int(i) for i in np.argsort(axes))


@register_rule(np.transpose)
def transpose_rule(a, axes=None):
    y = np.transpose(a, axes)
    ndim = np.ndim(a)
    forward = tuple(range(ndim))[::-1] if axes is None else normalize_permutation(axes, ndim)

    def transpose_back(dy):
        return (unbroadcast(np.transpose(dy, inverse_permutation(forward)), a),)

    return y, transpose_back


def normalize_permutation(axes, ndim):
    return tuple(int(i) % ndim for i in axes)


def ndarray_transpose_rule(a, *axes):
    y = a.transpose(*axes)
    ndim = np.ndim(a)
    if len(axes) == 1 and (axes[0] is None or not np.isscalar(axes[0])):
        axes = axes[0]
    forward = tuple(range(ndim))[::-1] if not axes or axes is None \
        else normalize_permutation(axes, ndim)

    def ndarray_transpose_back(dy):
        return (unbroadcast(np.transpose(dy, inverse_permutation(forward)), a),)

    return y, ndarray_transpose_back


def transpose_attribute_rule(obj):
    def transpose_attribute_back(dy):
        return (unbroadcast(np.transpose(dy), obj),)

    return obj.T, transpose_attribute_back


def matrix_transpose_attribute_rule(obj):
    def matrix_transpose_attribute_back(dy):
        return (unbroadcast(np.swapaxes(dy, -1, -2), obj),)

    return obj.mT, matrix_transpose_attribute_back


def matrix_transpose_rule(x, /):
    y = np.swapaxes(x, -1, -2)

    def matrix_transpose_back(dy):
        return (unbroadcast(np.swapaxes(dy, -1, -2), x),)

    return y, matrix_transpose_back


register_aliases([np.matrix_transpose, np.linalg.matrix_transpose], matrix_transpose_rule)


@register_rule(np.swapaxes)
def swapaxes_rule(a, axis1, axis2):
    y = np.swapaxes(a, axis1, axis2)

    def swapaxes_back(dy):
        return (unbroadcast(np.swapaxes(dy, axis1, axis2), a),)

    return y, swapaxes_back


def ndarray_swapaxes_rule(a, axis1, axis2):
    y = a.swapaxes(axis1, axis2)

    def ndarray_swapaxes_back(dy):
        return (unbroadcast(np.swapaxes(dy, axis1, axis2), a),)

    return y, ndarray_swapaxes_back


@register_rule(np.moveaxis)
def moveaxis_rule(a, source, destination):
    y = np.moveaxis(a, source, destination)

    def moveaxis_back(dy):
        return (unbroadcast(np.moveaxis(dy, destination, source), a),)

    return y, moveaxis_back


@register_rule(np.rollaxis)
def rollaxis_rule(a, axis, start=0):
    y = np.rollaxis(a, axis, start)

    def roll_axes(probe):
        return np.rollaxis(probe, axis, start)

    forward = axis_permutation(roll_axes, np.ndim(a))

    def rollaxis_back(dy):
        return (unbroadcast(np.transpose(dy, inverse_permutation(forward)), a),)

    return y, rollaxis_back


# Broadcasting ---------------------------------------------------------------------------


@register_rule(np.broadcast_to)
def broadcast_to_rule(array, shape, subok=False):
    y = np.broadcast_to(array, shape, subok=subok)

    def broadcast_to_back(dy):
        return (unbroadcast(dy, array),)

    return y, broadcast_to_back


@register_rule(np.broadcast_arrays)
def broadcast_arrays_rule(*args, **kwargs):
    y = np.broadcast_arrays(*args, **kwargs)

    def broadcast_arrays_back(dy):
        return tuple(None if g is None else unbroadcast(g, x) for g, x in zip(dy, args))

    return y, broadcast_arrays_back


# Assembly: concatenate, stack, split ---------------------------------------------------------


def split_along(dy, shapes, axis):
    """Split `dy` along `axis` into pieces whose lengths there are those of `shapes`."""
    lengths = [shape[axis] for shape in shapes]
    boundaries = np.cumsum(lengths)[:-1]
    return np.split(dy, boundaries, axis=axis)


@register_rule(np.concatenate)
def concatenate_rule(arrays, /, *args, **kwargs):
    y = np.concatenate(arrays, *args, **kwargs)
    axis = args[0] if args else kwargs.get("axis", 0)

    def concatenate_back(dy):
        if axis is None:
            shapes = [(int(np.size(x)),) for x in arrays]
            pieces = split_along(np.ravel(dy), shapes, 0)
        else:
            shapes = [np.shape(x) for x in arrays]
            pieces = split_along(dy, shapes, axis % np.ndim(dy))
        pieces = [cotangent_like(np.reshape(piece, np.shape(x)), x)
                  for piece, x in zip(pieces, arrays)]
        return (same_container(pieces, arrays),)

    return y, concatenate_back


def make_stacking_rule(function, convert, axis_for):
    """Build the rule of a stacking function that converts each array, then concatenates."""

    def stacking_rule(tup, *args, **kwargs):
        y = function(tup, *args, **kwargs)
        converted = [convert(x) for x in tup]
        axis = axis_for(converted)

        def stacking_back(dy):
            pieces = split_along(dy, [np.shape(x) for x in converted], axis)
            pieces = [cotangent_like(np.reshape(piece, np.shape(x)), x)
                      for piece, x in zip(pieces, tup)]
            return (same_container(pieces, tup),)

        return y, stacking_back

    stacking_rule.__name__ = f"{function.__name__}_rule"
    return stacking_rule


def column(x):
    x = np.asarray(x)
    return np.reshape(x, (-1, 1)) if x.ndim < 2 else x


register_rule(np.hstack, make_stacking_rule(
    np.hstack, np.atleast_1d, lambda xs: 0 if np.ndim(xs[0]) == 1 else 1))
register_rule(np.vstack, make_stacking_rule(np.vstack, np.atleast_2d, lambda xs: 0))
register_rule(np.dstack, make_stacking_rule(np.dstack, np.atleast_3d, lambda xs: 2))
register_rule(np.column_stack, make_stacking_rule(np.column_stack, column, lambda xs: 1))


@register_rule(np.stack)
def stack_rule(arrays, axis=0, *args, **kwargs):
    y = np.stack(arrays, axis, *args, **kwargs)
    axis = axis % np.ndim(y)

    def stack_back(dy):
        moved = np.moveaxis(dy, axis, 0)
        pieces = [cotangent_like(moved[i], x) for i, x in enumerate(arrays)]
        return (same_container(pieces, arrays),)

    return y, stack_back


@register_rule(np.unstack)
def unstack_rule(x, /, *, axis=0):
    y = np.unstack(x, axis=axis)

    def unstack_back(dy):
        return (unbroadcast(np.stack(zeros_for_missing(dy, y), axis=axis), x),)

    return y, unstack_back


@register_rule(np.append)
def append_rule(arr, values, axis=None):
    # np.append is a concatenation; calling np.concatenate keeps the method name `append`,
    # which reads as an in-place list operation, out of the transformed code.
    if axis is None:
        y = np.concatenate((np.ravel(arr), np.ravel(values)))
    else:
        y = np.concatenate((arr, values), axis=axis)

    def append_back(dy):
        if axis is None:
            d_arr, d_values = np.split(dy, [int(np.size(arr))])
        else:
            d_arr, d_values = split_along(dy, [np.shape(arr), np.shape(values)], axis)
        return (cotangent_like(np.reshape(d_arr, np.shape(arr)), arr),
                cotangent_like(np.reshape(d_values, np.shape(values)), values))

    return y, append_back


def make_split_rule(function, axis_for):
    def split_rule(ary, indices_or_sections, *args, **kwargs):
        y = function(ary, indices_or_sections, *args, **kwargs)
        axis = axis_for(ary, args, kwargs)

        def split_back(dy):
            pieces = zeros_for_missing(dy, y)
            return (unbroadcast(np.concatenate(pieces, axis=axis), ary),)

        return y, split_back

    split_rule.__name__ = f"{function.__name__}_rule"
    return split_rule


def given_axis(ary, args, kwargs):
    return args[0] if args else kwargs.get("axis", 0)


register_rule(np.split, make_split_rule(np.split, given_axis))
register_rule(np.array_split, make_split_rule(np.array_split, given_axis))
register_rule(np.hsplit, make_split_rule(
    np.hsplit, lambda ary, args, kwargs: 1 if np.ndim(ary) > 1 else 0))
register_rule(np.vsplit, make_split_rule(np.vsplit, lambda ary, args, kwargs: 0))
register_rule(np.dsplit, make_split_rule(np.dsplit, lambda ary, args, kwargs: 2))


# Repetition -------------------------------------------------------------------------------


@register_rule(np.tile)
def tile_rule(A, reps):
    y = np.tile(A, reps)
    shape = np.shape(A)
    reps_tuple = tuple(reps) if np.ndim(reps) else (int(reps),)
    ndim = max(len(shape), len(reps_tuple))
    padded_shape = (1,) * (ndim - len(shape)) + tuple(shape)
    padded_reps = (1,) * (ndim - len(reps_tuple)) + reps_tuple

    def tile_back(dy):
        # Give every axis a (repetition, element) pair of axes and sum the repetitions.
        interleaved = []
        for count, length in zip(padded_reps, padded_shape):
            interleaved.extend([count, length])
        g = np.sum(np.reshape(dy, interleaved), axis=tuple(range(0, 2 * ndim, 2)))
        return (unbroadcast(np.reshape(g, shape), A),)

    return y, tile_back


def repeat_cotangent(dy, a, repeats, axis):
    """Sum the copies that `repeat` made of each element."""
    if axis is None:
        source_shape = (int(np.size(a)),)
        axis = 0
    else:
        source_shape = np.shape(a)
        axis = axis % len(source_shape)
    n = source_shape[axis]
    moved = np.moveaxis(dy, axis, 0)
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:
        count = int(np.ravel(repeats)[0])
        g = np.sum(np.reshape(moved, (n, count) + moved.shape[1:]), axis=1)
    else:
        owners = np.repeat(np.arange(n), repeats)
        g = np.zeros((n,) + moved.shape[1:], dtype=moved.dtype)
        np.add.at(g, owners, moved)
    return np.reshape(np.moveaxis(g, 0, axis), np.shape(a))


@register_rule(np.repeat)
def repeat_rule(a, repeats, axis=None):
    y = np.repeat(a, repeats, axis)

    def repeat_back(dy):
        return (unbroadcast(repeat_cotangent(dy, a, repeats, axis), a),)

    return y, repeat_back


def ndarray_repeat_rule(a, repeats, axis=None):
    y = a.repeat(repeats, axis=axis)

    def ndarray_repeat_back(dy):
        return (unbroadcast(repeat_cotangent(dy, a, repeats, axis), a),)

    return y, ndarray_repeat_back


# Flips, rolls and rotations ---------------------------------------------------------------


@register_rule(np.flip)
def flip_rule(m, axis=None):
    y = np.flip(m, axis)

    def flip_back(dy):
        return (unbroadcast(np.flip(dy, axis), m),)

    return y, flip_back


@register_rule(np.fliplr)
def fliplr_rule(m):
    y = np.fliplr(m)

    def fliplr_back(dy):
        return (unbroadcast(np.fliplr(dy), m),)

    return y, fliplr_back


@register_rule(np.flipud)
def flipud_rule(m):
    y = np.flipud(m)

    def flipud_back(dy):
        return (unbroadcast(np.flipud(dy), m),)

    return y, flipud_back


@register_rule(np.roll)
def roll_rule(a, shift, axis=None):
    y = np.roll(a, shift, axis)
    back_shift = tuple(-s for s in shift) if np.ndim(shift) else -shift

    def roll_back(dy):
        return (unbroadcast(np.roll(dy, back_shift, axis), a),)

    return y, roll_back


@register_rule(np.rot90)
def rot90_rule(m, k=1, axes=(0, 1)):
    y = np.rot90(m, k, axes)

    def rot90_back(dy):
        return (unbroadcast(np.rot90(dy, -k, axes), m),)

    return y, rot90_back


# Padding ----------------------------------------------------------------------------------

# In these modes every padded entry copies an input entry. An index array padded the same
# way records where each output entry came from.
_COPYING_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


@register_rule(np.pad)
def pad_rule(array, pad_width, mode="constant", **kwargs):
    y = np.pad(array, pad_width, mode, **kwargs)
    shape = np.shape(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (len(shape), 2))

    if mode in ("constant", "empty"):
        def pad_constant_back(dy):
            # The pad values are constants, and the input sits in the middle block.
            inner = tuple(slice(int(before), int(before) + n)
                          for (before, _), n in zip(widths, shape))
            return (unbroadcast(dy[inner], array),)

        return y, pad_constant_back

    if mode not in _COPYING_PAD_MODES or kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError(
            f"the gradient of np.pad with mode={mode!r} and options {kwargs} is not "
            f"implemented. Use one of 'constant', 'empty', {', '.join(_COPYING_PAD_MODES)}")
    sources = np.pad(np.arange(int(np.size(array))).reshape(shape), pad_width, mode, **kwargs)

    def pad_copy_back(dy):
        g = np.zeros(int(np.size(array)), dtype=np.result_type(dy, np.float64))
        np.add.at(g, np.ravel(sources), np.ravel(dy))
        return (unbroadcast(np.reshape(g, shape), array),)

    return y, pad_copy_back


# Triangles and diagonals -----------------------------------------------------------------


@register_rule(np.triu)
def triu_rule(m, k=0):
    y = np.triu(m, k)

    def triu_back(dy):
        return (unbroadcast(np.triu(dy, k), m),)

    return y, triu_back


@register_rule(np.tril)
def tril_rule(m, k=0):
    y = np.tril(m, k)

    def tril_back(dy):
        return (unbroadcast(np.tril(dy, k), m),)

    return y, tril_back


def place_diagonal(values, shape, offset, axis1, axis2):
    """Return an array of `shape`, zero but for `values` on the diagonal of `axis1`/`axis2`.

    This is the adjoint of `np.diagonal(x, offset, axis1, axis2)`: `values` has the other
    axes first and the diagonal last. Built with a mask instead of writes, so it stays
    differentiable.
    """
    ndim = len(shape)
    axis1, axis2 = axis1 % ndim, axis2 % ndim
    rows, cols = shape[axis1], shape[axis2]
    length = np.shape(values)[-1]
    mask = np.eye(rows, cols, k=offset, dtype=bool)
    # Entry (i, i + offset) contains diagonal element i - max(-offset, 0), which is
    # column - max(offset, 0).
    column_to_element = np.clip(np.arange(cols) - max(offset, 0), 0, max(length - 1, 0))
    if length == 0:
        placed = np.zeros(np.shape(values)[:-1] + (rows, cols), dtype=np.result_type(values))
    else:
        spread = np.expand_dims(np.take(values, column_to_element, axis=-1), -2)
        placed = np.where(mask, spread, 0)
    return np.moveaxis(placed, (-2, -1), (axis1, axis2))


@register_rule(np.diagonal)
def diagonal_rule(a, offset=0, axis1=0, axis2=1):
    y = np.diagonal(a, offset, axis1, axis2)

    def diagonal_back(dy):
        return (unbroadcast(place_diagonal(dy, np.shape(a), offset, axis1, axis2), a),)

    return y, diagonal_back


def ndarray_diagonal_rule(a, offset=0, axis1=0, axis2=1):
    y = a.diagonal(offset, axis1, axis2)

    def ndarray_diagonal_back(dy):
        return (unbroadcast(place_diagonal(dy, np.shape(a), offset, axis1, axis2), a),)

    return y, ndarray_diagonal_back


@register_rule(np.linalg.diagonal)
def linalg_diagonal_rule(x, /, *, offset=0):
    y = np.linalg.diagonal(x, offset=offset)

    def linalg_diagonal_back(dy):
        return (unbroadcast(place_diagonal(dy, np.shape(x), offset, -2, -1), x),)

    return y, linalg_diagonal_back


def trace_cotangent(dy, shape, offset, axis1, axis2):
    ndim = len(shape)
    rows, cols = shape[axis1 % ndim], shape[axis2 % ndim]
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    values = np.broadcast_to(np.expand_dims(dy, -1), np.shape(dy) + (length,))
    return place_diagonal(values, shape, offset, axis1, axis2)


@register_rule(np.trace)
def trace_rule(a, offset=0, axis1=0, axis2=1, *args, **kwargs):
    y = np.trace(a, offset, axis1, axis2, *args, **kwargs)

    def trace_back(dy):
        return (unbroadcast(trace_cotangent(dy, np.shape(a), offset, axis1, axis2), a),)

    return y, trace_back


def ndarray_trace_rule(a, offset=0, axis1=0, axis2=1, *args, **kwargs):
    y = a.trace(offset, axis1, axis2, *args, **kwargs)

    def ndarray_trace_back(dy):
        return (unbroadcast(trace_cotangent(dy, np.shape(a), offset, axis1, axis2), a),)

    return y, ndarray_trace_back


@register_rule(np.linalg.trace)
def linalg_trace_rule(x, /, *, offset=0, dtype=None):
    y = np.linalg.trace(x, offset=offset, dtype=dtype)

    def linalg_trace_back(dy):
        return (unbroadcast(trace_cotangent(dy, np.shape(x), offset, -2, -1), x),)

    return y, linalg_trace_back


@register_rule(np.diag)
def diag_rule(v, k=0):
    y = np.diag(v, k)

    def diag_back(dy):
        if np.ndim(v) == 1:
            return (unbroadcast(np.diagonal(dy, k), v),)
        return (unbroadcast(place_diagonal(dy, np.shape(v), k, 0, 1), v),)

    return y, diag_back


@register_rule(np.diagflat)
def diagflat_rule(v, k=0):
    y = np.diagflat(v, k)

    def diagflat_back(dy):
        return (unbroadcast(np.reshape(np.diagonal(dy, k), np.shape(v)), v),)

    return y, diagflat_back


@register_rule(np.meshgrid)
def meshgrid_rule(*xi, **kwargs):
    y = np.meshgrid(*xi, **kwargs)
    count = len(xi)
    cartesian = kwargs.get("indexing", "xy") == "xy" and count > 1

    def meshgrid_back(dy):
        cotangents = []
        for i, (g, x) in enumerate(zip(dy, xi)):
            if g is None:
                cotangents.append(None)
                continue
            # With 'xy' indexing the first two inputs run along axes 1 and 0.
            axis = (1 - i if i < 2 else i) if cartesian else i
            total = np.sum(g, axis=axes_except(np.ndim(g), axis))
            cotangents.append(unbroadcast(np.reshape(total, np.shape(x)), x))
        return tuple(cotangents)

    return y, meshgrid_back


def axes_except(ndim, axis):
    """Return every axis of an `ndim`-axis array except `axis`, as a tuple."""
    return tuple(j for j in range(ndim) if j != axis)


# Conversions ------------------------------------------------------------------------------


def make_conversion_rule(function):
    def conversion_rule(a, *args, **kwargs):
        y = function(a, *args, **kwargs)

        def conversion_back(dy):
            return (cotangent_like(dy, a),)

        return y, conversion_back

    conversion_rule.__name__ = f"{function.__name__}_rule"
    return conversion_rule


for _function in (np.array, np.asarray, np.asanyarray, np.ascontiguousarray,
                  np.asfortranarray, np.copy, np.astype):
    register_rule(_function, make_conversion_rule(_function))


def make_scalar_type_rule(scalar_type):
    def scalar_type_rule(value=0.0):
        y = scalar_type(value)

        def scalar_type_back(dy):
            return (cotangent_like(dy, value),)

        return y, scalar_type_back

    scalar_type_rule.__name__ = f"{scalar_type.__name__}_rule"
    return scalar_type_rule


# np.float32(x) and friends convert a value; the cotangent goes back in x's own dtype.
for _scalar_type in (np.float16, np.float32, np.float64, np.longdouble, np.complex64,
                     np.complex128):
    register_rule(_scalar_type, make_scalar_type_rule(_scalar_type))


def ndarray_copy_rule(a, *args, **kwargs):
    y = a.copy(*args, **kwargs)

    def ndarray_copy_back(dy):
        return (unbroadcast(dy, a),)

    return y, ndarray_copy_back


def ndarray_astype_rule(a, dtype, *args, **kwargs):
    y = a.astype(dtype, *args, **kwargs)

    def ndarray_astype_back(dy):
        # unbroadcast casts back to a's dtype, so float32 -> float64 -> float32 round-trips.
        return (unbroadcast(dy, a),)

    return y, ndarray_astype_back


def ndarray_item_rule(a, *args):
    y = a.item(*args)

    def ndarray_item_back(dy):
        shape = np.shape(a)
        if not args:
            return (unbroadcast(np.reshape(dy, shape) * np.ones(shape), a),)
        if len(args) == 1 and np.ndim(args[0]) == 0:
            position = int(args[0]) % max(int(np.size(a)), 1)
        else:
            index = args[0] if len(args) == 1 else args
            position = int(np.ravel_multi_index(tuple(index), shape, mode="wrap"))
        g = np.zeros(int(np.size(a)), dtype=np.result_type(a, np.float64))
        np.add.at(g, position, dy)
        return (unbroadcast(np.reshape(g, shape), a),) + (None,) * len(args)

    return y, ndarray_item_back


def dense_from_nested(g, shape):
    """Return nested lists of cotangents (with `None` for zeros) as an array of `shape`."""
    if g is None:
        return np.zeros(shape)
    if not shape:
        return np.asarray(g, dtype=np.result_type(g, np.float64))
    return np.stack([dense_from_nested(g[i], shape[1:]) for i in range(shape[0])]) \
        if shape[0] else np.zeros(shape)


def ndarray_tolist_rule(a):
    y = a.tolist()

    def ndarray_tolist_back(dy):
        return (unbroadcast(dense_from_nested(dy, np.shape(a)), a),)

    return y, ndarray_tolist_back


# Methods and attributes -------------------------------------------------------------------

NDARRAY_METHOD_RULES = {
    "reshape": ndarray_reshape_rule,
    "ravel": ndarray_ravel_rule,
    "flatten": ndarray_flatten_rule,
    "squeeze": ndarray_squeeze_rule,
    "transpose": ndarray_transpose_rule,
    "swapaxes": ndarray_swapaxes_rule,
    "repeat": ndarray_repeat_rule,
    "diagonal": ndarray_diagonal_rule,
    "trace": ndarray_trace_rule,
    "copy": ndarray_copy_rule,
    "astype": ndarray_astype_rule,
    "item": ndarray_item_rule,
    "tolist": ndarray_tolist_rule,
}

for _name, _rule in NDARRAY_METHOD_RULES.items():
    register_method_rule(np.ndarray, _name, _rule)
# NumPy scalars (np.float64(1.5).item(), ...) share these methods.
for _name in ("reshape", "ravel", "flatten", "squeeze", "copy", "astype", "item", "tolist"):
    register_method_rule(np.generic, _name, NDARRAY_METHOD_RULES[_name])

register_attribute_rule(np.ndarray, "T", transpose_attribute_rule)
register_attribute_rule(np.ndarray, "mT", matrix_transpose_attribute_rule)


# Filled arrays: the fill value carries a gradient, the shape does not. -----------------


@register_rule(np.full, replace=True)
def full_rule(shape, fill_value, dtype=None, **kwargs):
    y = np.full(shape, fill_value, dtype=dtype, **kwargs)

    def full_back(dy):
        return None, unbroadcast(np.sum(dy), fill_value) if np.ndim(fill_value) == 0 \
            else unbroadcast(dy, fill_value)

    return y, full_back


@register_rule(np.full_like, replace=True)
def full_like_rule(a, fill_value, dtype=None, **kwargs):
    y = np.full_like(a, fill_value, dtype=dtype, **kwargs)

    def full_like_back(dy):
        return None, unbroadcast(np.sum(dy), fill_value) if np.ndim(fill_value) == 0 \
            else unbroadcast(dy, fill_value)

    return y, full_like_back
