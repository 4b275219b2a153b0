"""Gradient rules of NumPy's reductions and scans: sum, mean, prod, max/min, var/std,
cumulative sums and products, average, the NaN-ignoring forms, ptp, median and diff.

Each rule is shared by the function (`np.sum(x, axis=0)`) and the method (`x.sum(axis=0)`),
since NumPy gives both the same parameters after the array. Ties in max/min share the
gradient evenly. Products with zeros use exclusive products, so one zero and two zeros are
exact without dividing by an element.
"""

import inspect

import numpy as np

from .numpy_elementwise import register_aliases, unbroadcast
from .registry import (lookup_rule, register_method_rule, register_non_differentiable,
                       register_rule)


def normalize_axes(axis, ndim):
    """Return `axis` (None, an int or a tuple, negatives allowed) as sorted non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = [int(a) for a in axis]
    else:
        axes = [int(axis)]
    normalized = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(a, ndim)
        normalized.append(a % ndim if ndim else 0)
    return tuple(sorted(normalized))


def keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand_reduced(g, shape, axes, keepdims):
    """Broadcast the cotangent of a reduction over `axes` back to the input's `shape`."""
    g = np.reshape(g, keepdims_shape(shape, axes)) if not keepdims or np.ndim(g) != len(shape) \
        else g
    return np.broadcast_to(g, shape).copy()


def parameter_defaults(function, skip=1):
    """Return `(name, default)` for each parameter of `function` after the first `skip`.

    NumPy's `<no value>` defaults become None. Read once at import, so that the rules bind
    arguments without `inspect`, which the compiler cannot transform.
    """
    parameters = list(inspect.signature(function).parameters.values())[skip:]
    defaults = []
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        default = parameter.default
        if default is parameter.empty or type(default).__name__ == "_NoValueType":
            default = None
        defaults.append((parameter.name, default))
    return tuple(defaults)


def bind_arguments(parameters, args, kwargs):
    """Return every parameter of a call, with the defaults filled in for those not passed."""
    values = dict(parameters)
    for (name, _), value in zip(parameters, args):
        values[name] = value
    values.update(kwargs)
    return values


def flag(value):
    """Return a keyword flag as a bool, treating NumPy's `<no value>` default as False."""
    return value is True or (isinstance(value, (bool, np.bool_)) and bool(value))


def passed(value):
    """Return whether a parameter was given, as opposed to left at NumPy's `<no value>`."""
    return value is not None and type(value).__name__ != "_NoValueType"


SUM_PARAMETERS = parameter_defaults(np.sum)
MEAN_PARAMETERS = parameter_defaults(np.mean)
PROD_PARAMETERS = parameter_defaults(np.prod)
MAX_PARAMETERS = parameter_defaults(np.max)
VAR_PARAMETERS = parameter_defaults(np.var)
CUMSUM_PARAMETERS = parameter_defaults(np.cumsum)
AVERAGE_PARAMETERS = parameter_defaults(np.average)
PTP_PARAMETERS = parameter_defaults(np.ptp)
MEDIAN_PARAMETERS = parameter_defaults(np.median)
NANSUM_PARAMETERS = parameter_defaults(np.nansum)
NANMEAN_PARAMETERS = parameter_defaults(np.nanmean)
NANMAX_PARAMETERS = parameter_defaults(np.nanmax)
CUMULATIVE_PARAMETERS = parameter_defaults(np.cumulative_sum)
DIFF_PARAMETERS = parameter_defaults(np.diff)
TRAPEZOID_PARAMETERS = parameter_defaults(np.trapezoid)
NANPROD_PARAMETERS = parameter_defaults(np.nanprod)
QUANTILE_PARAMETERS = parameter_defaults(np.quantile, skip=2)


def reduction_frame(parameters, a, args, kwargs):
    """Return `(params, axes, keepdims)` of a call to a reduction over `a`."""
    if not args and kwargs.keys() <= {"axis", "keepdims"}:
        # The common calls skip the signature binding, which costs more than the sum itself.
        params = kwargs
    else:
        params = bind_arguments(parameters, args, kwargs)
    axes = normalize_axes(params.get("axis"), np.ndim(a))
    return params, axes, flag(params.get("keepdims"))


def where_mask(params, shape):
    """Return the `where=` mask of a reduction broadcast to `shape`, or None."""
    where = params.get("where")
    if not passed(where) or where is True:
        return None
    return np.broadcast_to(where, shape)


# Sum and mean -----------------------------------------------------------------------------


_REAL_SCALARS = frozenset({float, np.float64, np.float32})


@register_non_differentiable
def ones_of(a):
    """Return an array of ones with `a`'s shape and dtype; faster than np.ones for small `a`."""
    out = np.empty(a.shape, a.dtype)
    out.fill(1)
    return out


def sum_rule(a, *args, **kwargs):
    if not args and not kwargs and type(a) is np.ndarray:
        # The common full reduction: every entry gets the scalar gradient. For an ndarray,
        # np.sum(a) and a.sum() run the same reduction, and the method skips a dispatch
        # that costs about a microsecond.
        y = a.sum()

        def full_sum_back(dy):
            if a.dtype.kind not in "fc":
                return (None,)
            if type(dy) in _REAL_SCALARS:
                # One pass over memory rather than two; np.full's rule keeps this
                # differentiable in the fill value.
                return (np.full(a.shape, dy, a.dtype),)
            return (dy * ones_of(a),)

        return y, full_sum_back
    y = np.sum(a, *args, **kwargs)
    params, axes, keepdims = reduction_frame(SUM_PARAMETERS, a, args, kwargs)
    shape = np.shape(a)

    def sum_back(dy):
        g = expand_reduced(dy, shape, axes, keepdims)
        mask = where_mask(params, shape)
        if mask is not None:
            g = np.where(mask, g, 0)
        return (unbroadcast(g, a),)

    return y, sum_back


def mean_rule(a, *args, **kwargs):
    y = np.mean(a, *args, **kwargs)
    params, axes, keepdims = reduction_frame(MEAN_PARAMETERS, a, args, kwargs)
    shape = np.shape(a)

    def mean_back(dy):
        g = expand_reduced(dy, shape, axes, keepdims)
        mask = where_mask(params, shape)
        if mask is None:
            count = max(int(np.prod([shape[i] for i in axes])), 1)
            return (unbroadcast(g / count, a),)
        count = np.sum(mask, axis=axes, keepdims=True)
        return (unbroadcast(np.where(mask, g / np.maximum(count, 1), 0), a),)

    return y, mean_back


register_rule(np.sum, sum_rule)
register_rule(np.mean, mean_rule)


# Products ---------------------------------------------------------------------------------


def exclusive_products(a):
    """Return, along the last axis, the product of every element except the one at each place.

    Left and right running products avoid dividing by an element, so zeros are exact: with
    one zero only its own place is nonzero, with two or more every place is 0.
    """
    n = a.shape[-1]
    ones = np.ones(a.shape[:-1] + (1,), dtype=a.dtype)
    left = np.cumprod(np.concatenate([ones, a[..., : n - 1]], axis=-1), axis=-1)
    reversed_a = np.flip(a, axis=-1)
    right = np.cumprod(np.concatenate([ones, reversed_a[..., : n - 1]], axis=-1), axis=-1)
    return left * np.flip(right, axis=-1)


def prod_cotangent(dy, a, axes, keepdims):
    """Return the cotangent of `prod(a, axis=axes)` for the cotangent `dy` of the product."""
    a = np.asarray(a)
    shape = a.shape
    kept_axes = [i for i in range(a.ndim) if i not in axes]
    order = kept_axes + list(axes)
    moved = np.transpose(a, order)
    n = int(np.prod([shape[i] for i in axes]))
    if n == 0:
        return np.zeros(shape, dtype=np.result_type(a, dy))
    flat = np.reshape(moved, moved.shape[: len(kept_axes)] + (n,))
    others = np.reshape(exclusive_products(flat), moved.shape)
    others = np.transpose(others, np.argsort(order))
    return expand_reduced(dy, shape, axes, keepdims) * others


def prod_rule(a, *args, **kwargs):
    y = np.prod(a, *args, **kwargs)
    params, axes, keepdims = reduction_frame(PROD_PARAMETERS, a, args, kwargs)
    shape = np.shape(a)

    def prod_back(dy):
        mask = where_mask(params, shape)
        values = a if mask is None else np.where(mask, a, 1)
        g = prod_cotangent(dy, values, axes, keepdims)
        if passed(params.get("initial")):
            g = g * params["initial"]
        if mask is not None:
            g = np.where(mask, g, 0)
        return (unbroadcast(g, a),)

    return y, prod_back


register_rule(np.prod, prod_rule)


@register_rule(np.nanprod)
def nanprod_rule(a, *args, **kwargs):
    y = np.nanprod(a, *args, **kwargs)
    params, axes, keepdims = reduction_frame(NANPROD_PARAMETERS, a, args, kwargs)

    def nanprod_back(dy):
        # NaNs count as 1, a constant.
        is_nan = np.isnan(a)
        g = prod_cotangent(dy, np.where(is_nan, 1, a), axes, keepdims)
        return (unbroadcast(np.where(is_nan, 0, g), a),)

    return y, nanprod_back


# Max and min ------------------------------------------------------------------------------


def extremum_cotangent(dy, a, y, axes, keepdims, mask=None):
    """Share `dy` evenly among the elements of `a` equal to the reduced extremum `y`."""
    shape = np.shape(a)
    selected = np.asarray(a) == expand_reduced(y, shape, axes, keepdims)
    if mask is not None:
        selected = selected & mask
    count = np.sum(selected, axis=axes, keepdims=True)
    share = expand_reduced(dy, shape, axes, keepdims) / np.maximum(count, 1)
    return np.where(selected, share, 0)


def make_extremum_rule(function, parameters):
    def extremum_rule(a, *args, **kwargs):
        y = function(a, *args, **kwargs)
        params, axes, keepdims = reduction_frame(parameters, a, args, kwargs)

        def extremum_back(dy):
            mask = where_mask(params, np.shape(a))
            return (unbroadcast(extremum_cotangent(dy, a, y, axes, keepdims, mask), a),)

        return y, extremum_back

    extremum_rule.__name__ = f"{function.__name__}_rule"
    return extremum_rule


max_rule = make_extremum_rule(np.max, MAX_PARAMETERS)
min_rule = make_extremum_rule(np.min, MAX_PARAMETERS)
register_rule(np.max, max_rule)
register_rule(np.min, min_rule)
register_rule(np.amax, make_extremum_rule(np.amax, MAX_PARAMETERS))
register_rule(np.amin, make_extremum_rule(np.amin, MAX_PARAMETERS))
# NaN never equals the extremum, so NaN entries get no gradient.
register_rule(np.nanmax, make_extremum_rule(np.nanmax, NANMAX_PARAMETERS))
register_rule(np.nanmin, make_extremum_rule(np.nanmin, NANMAX_PARAMETERS))


@register_rule(np.ptp)
def ptp_rule(a, *args, **kwargs):
    y = np.ptp(a, *args, **kwargs)
    params, axes, keepdims = reduction_frame(PTP_PARAMETERS, a, args, kwargs)
    high = np.max(a, axis=axes, keepdims=keepdims)
    low = np.min(a, axis=axes, keepdims=keepdims)

    def ptp_back(dy):
        g_high = extremum_cotangent(dy, a, high, axes, keepdims)
        g_low = extremum_cotangent(dy, a, low, axes, keepdims)
        return (unbroadcast(g_high - g_low, a),)

    return y, ptp_back


# Variance and standard deviation ------------------------------------------------------------


def variance_frame(a, args, kwargs):
    params, axes, keepdims = reduction_frame(VAR_PARAMETERS, a, args, kwargs)
    if passed(params.get("where")):
        raise NotImplementedError("the gradient of var/std with where= is not implemented, "
                                  "so select the elements with indexing first")
    ddof = params["correction"] if passed(params.get("correction")) else params.get("ddof", 0)
    shape = np.shape(a)
    count = int(np.prod([shape[i] for i in axes]))
    centered = a - np.mean(a, axis=axes, keepdims=True)
    return axes, keepdims, centered, count - ddof


def var_rule(a, *args, **kwargs):
    y = np.var(a, *args, **kwargs)
    axes, keepdims, centered, dof = variance_frame(a, args, kwargs)

    def var_back(dy):
        g = expand_reduced(dy, np.shape(a), axes, keepdims)
        return (unbroadcast(g * (2 / dof) * centered, a),)

    return y, var_back


def std_rule(a, *args, **kwargs):
    y = np.std(a, *args, **kwargs)
    axes, keepdims, centered, dof = variance_frame(a, args, kwargs)

    def std_back(dy):
        # std = sqrt(var) has no derivative where all elements are equal, so it gets 0 there.
        std_kept = expand_reduced(y, np.shape(a), axes, keepdims)
        g = expand_reduced(dy, np.shape(a), axes, keepdims)
        constant = std_kept == 0
        scale = np.where(constant, 0, g / (dof * np.where(constant, 1, std_kept)))
        return (unbroadcast(scale * centered, a),)

    return y, std_back


register_rule(np.var, var_rule)
register_rule(np.std, std_rule)


# Scans ------------------------------------------------------------------------------------


def reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis=axis), axis=axis), axis=axis)


def cumsum_rule(a, *args, **kwargs):
    y = np.cumsum(a, *args, **kwargs)
    params = bind_arguments(CUMSUM_PARAMETERS, args, kwargs)
    axis = params.get("axis")

    def cumsum_back(dy):
        if axis is None:
            g = np.reshape(reverse_cumsum(np.ravel(dy), 0), np.shape(a))
        else:
            g = reverse_cumsum(dy, axis)
        return (unbroadcast(g, a),)

    return y, cumsum_back


def cumprod_cotangent(dy, a, axis):
    """Return the cotangent of `cumprod(a, axis)`, exact where `a` has zeros."""
    a = np.asarray(a)
    y = np.cumprod(a, axis=axis)
    if np.all(a != 0):
        return reverse_cumsum(dy * y, axis) / a
    # With zeros: entry i gets sum over j >= i of dy_j * prod(a_k for k <= j, k != i). Row i of
    # `without` is `a` with a_i replaced by 1, so its running product gives those terms.
    moved_a = np.moveaxis(a, axis, -1)
    moved_dy = np.moveaxis(dy, axis, -1)
    n = moved_a.shape[-1]
    diagonal = np.eye(n, dtype=bool)
    without = np.where(diagonal, 1, np.expand_dims(moved_a, -2))
    running = np.cumprod(without, axis=-1)
    upper = np.triu(np.ones((n, n), dtype=bool))
    terms = np.where(upper, running * np.expand_dims(moved_dy, -2), 0)
    return np.moveaxis(np.sum(terms, axis=-1), -1, axis)


def cumprod_rule(a, *args, **kwargs):
    y = np.cumprod(a, *args, **kwargs)
    params = bind_arguments(CUMSUM_PARAMETERS, args, kwargs)
    axis = params.get("axis")

    def cumprod_back(dy):
        if axis is None:
            g = np.reshape(cumprod_cotangent(np.ravel(dy), np.ravel(a), 0), np.shape(a))
        else:
            g = cumprod_cotangent(dy, a, axis)
        return (unbroadcast(g, a),)

    return y, cumprod_back


register_rule(np.cumsum, cumsum_rule)
register_rule(np.cumprod, cumprod_rule)


def drop_initial(dy, axis):
    """Remove the leading entry that `include_initial=True` adds along `axis`."""
    n = np.shape(dy)[axis]
    return np.take(dy, np.arange(1, n), axis=axis)


@register_rule(np.cumulative_sum)
def cumulative_sum_rule(x, /, **kwargs):
    y = np.cumulative_sum(x, **kwargs)
    axis = kwargs.get("axis")
    axis = 0 if axis is None else axis

    def cumulative_sum_back(dy):
        if kwargs.get("include_initial"):
            dy = drop_initial(dy, axis)
        return (unbroadcast(reverse_cumsum(dy, axis), x),)

    return y, cumulative_sum_back


@register_rule(np.cumulative_prod)
def cumulative_prod_rule(x, /, **kwargs):
    y = np.cumulative_prod(x, **kwargs)
    axis = kwargs.get("axis")
    axis = 0 if axis is None else axis

    def cumulative_prod_back(dy):
        if kwargs.get("include_initial"):
            dy = drop_initial(dy, axis)
        return (unbroadcast(cumprod_cotangent(dy, x, axis), x),)

    return y, cumulative_prod_back


# Weighted and NaN-ignoring means --------------------------------------------------------------


def weights_like(weights, a, axes):
    """Return `average`'s weights shaped to broadcast against `a`."""
    weights = np.asarray(weights)
    if weights.shape == np.shape(a):
        return weights
    # 1-D weights run along the single averaged axis.
    shape = [1] * np.ndim(a)
    shape[axes[0]] = weights.shape[0]
    return np.reshape(weights, shape)


@register_rule(np.average)
def average_rule(a, *args, **kwargs):
    y = np.average(a, *args, **kwargs)
    params = bind_arguments(AVERAGE_PARAMETERS, args, kwargs)
    weights = params.get("weights")
    returned = flag(params.get("returned"))
    keepdims = flag(params.get("keepdims"))
    axes = normalize_axes(params.get("axis"), np.ndim(a))
    weights_positional = len(args) >= 2
    shape = np.shape(a)

    def average_back(dy):
        dy_average, dy_total = dy if returned else (dy, None)
        if dy_average is None and (dy_total is None or not weights_positional):
            return (None,)
        if weights is None:
            count = int(np.prod([shape[i] for i in axes])) if axes else 1
            g = expand_reduced(dy_average, shape, axes, keepdims) / count
            return (unbroadcast(g, a),)
        w = weights_like(weights, a, axes)
        total = np.sum(w * np.ones(shape), axis=axes, keepdims=True)
        mean = np.sum(a * w, axis=axes, keepdims=True) / total
        g_average = expand_reduced(dy_average, shape, axes, keepdims) if dy_average is not None \
            else np.zeros(shape)
        da = g_average * w / total
        if not weights_positional:
            return (unbroadcast(da, a),)
        # d(sum(a w) / sum(w)) / dw = (a - mean) / sum(w), summed over broadcast copies.
        dw = g_average * (a - mean) / total
        if dy_total is not None:
            dw = dw + expand_reduced(dy_total, shape, axes, keepdims)
        dw = unbroadcast(dw, np.zeros(np.shape(w)))
        return unbroadcast(da, a), None, unbroadcast(np.reshape(dw, np.shape(weights)), weights)

    return y, average_back


@register_rule(np.nansum)
def nansum_rule(a, *args, **kwargs):
    y = np.nansum(a, *args, **kwargs)
    params, axes, keepdims = reduction_frame(NANSUM_PARAMETERS, a, args, kwargs)

    def nansum_back(dy):
        g = expand_reduced(dy, np.shape(a), axes, keepdims)
        return (unbroadcast(np.where(np.isnan(a), 0, g), a),)

    return y, nansum_back


@register_rule(np.nanmean)
def nanmean_rule(a, *args, **kwargs):
    y = np.nanmean(a, *args, **kwargs)
    params, axes, keepdims = reduction_frame(NANMEAN_PARAMETERS, a, args, kwargs)

    def nanmean_back(dy):
        present = ~np.isnan(a)
        count = np.sum(present, axis=axes, keepdims=True)
        g = expand_reduced(dy, np.shape(a), axes, keepdims) / np.maximum(count, 1)
        return (unbroadcast(np.where(present, g, 0), a),)

    return y, nanmean_back


@register_rule(np.median)
def median_rule(a, *args, **kwargs):
    y = np.median(a, *args, **kwargs)
    params, axes, keepdims = reduction_frame(MEDIAN_PARAMETERS, a, args, kwargs)
    shape = np.shape(a)

    def median_back(dy):
        # The median averages the middle one or two sorted entries, and a stable sort decides
        # which of several equal entries those are.
        kept_axes = [i for i in range(len(shape)) if i not in axes]
        order = kept_axes + list(axes)
        moved = np.transpose(a, order)
        n = int(np.prod([shape[i] for i in axes]))
        flat = np.reshape(moved, moved.shape[: len(kept_axes)] + (n,))
        ranks = np.argsort(np.argsort(flat, axis=-1, kind="stable"), axis=-1, kind="stable")
        middle = (ranks == (n - 1) // 2) | (ranks == n // 2)
        weight = middle / np.sum(middle, axis=-1, keepdims=True)
        weight = np.transpose(np.reshape(weight, moved.shape), np.argsort(order))
        return (unbroadcast(expand_reduced(dy, shape, axes, keepdims) * weight, a),)

    return y, median_back


def quantile_cotangent(dy, a, q, axes, keepdims):
    """Return the cotangent of `np.quantile(a, q, axes, method="linear")`.

    Quantile q interpolates between the sorted entries at floor(q (n - 1)) and the next one,
    so those two entries share the gradient by the interpolation weights. A stable sort
    decides which of several equal entries they are.
    """
    shape = np.shape(a)
    kept_axes = [i for i in range(len(shape)) if i not in axes]
    order = kept_axes + list(axes)
    moved = np.transpose(a, order)
    n = int(np.prod([shape[i] for i in axes]))
    flat = np.reshape(moved, moved.shape[: len(kept_axes)] + (n,))
    ranks = np.argsort(np.argsort(flat, axis=-1, kind="stable"), axis=-1, kind="stable")
    q = np.asarray(q, dtype=np.float64)
    position = q * (n - 1)
    lower = np.floor(position)
    upper = np.minimum(lower + 1, n - 1)
    fraction = position - lower
    # Give the quantile axes trailing axes to broadcast against the ranks.
    trailing = (1,) * (len(kept_axes) + 1)
    lower = np.reshape(lower, q.shape + trailing)
    upper = np.reshape(upper, q.shape + trailing)
    fraction = np.reshape(fraction, q.shape + trailing)
    weight = (1 - fraction) * (ranks == lower) + fraction * (ranks == upper)
    g = np.reshape(dy, q.shape + flat.shape[:-1] + (1,)) * weight
    g = np.sum(g, axis=tuple(range(q.ndim)))
    return np.transpose(np.reshape(g, moved.shape), np.argsort(order))


def quantile_level_cotangent(dy, a, q, axes):
    """Return the cotangent of the level q: the slope between the two interpolated entries.

    At a level that falls exactly on an entry it is the slope to the next entry up.
    """
    shape = np.shape(a)
    kept_axes = [i for i in range(len(shape)) if i not in axes]
    moved = np.transpose(a, kept_axes + list(axes))
    n = int(np.prod([shape[i] for i in axes]))
    flat = np.reshape(moved, moved.shape[: len(kept_axes)] + (n,))
    ordered = np.take_along_axis(flat, np.argsort(flat, axis=-1), -1)
    lower = np.floor(q * (n - 1)).astype(np.intp)
    upper = np.minimum(lower + 1, n - 1)
    slope = (np.take(ordered, upper, axis=-1) - np.take(ordered, lower, axis=-1)) * (n - 1)
    # slope has the kept_axes axes first and the level axes last; dy has them the other way round.
    slope = np.moveaxis(slope, tuple(range(len(kept_axes), slope.ndim)), tuple(range(q.ndim)))
    g = np.reshape(dy, q.shape + ordered.shape[:-1]) * slope
    return np.sum(g, axis=tuple(range(q.ndim, g.ndim)))


def make_quantile_rule(function, scale):
    def quantile_rule(a, q, *args, **kwargs):
        y = function(a, q, *args, **kwargs)
        params = bind_arguments(QUANTILE_PARAMETERS, args, kwargs)
        if params.get("method", "linear") != "linear" or params.get("weights") is not None:
            raise NotImplementedError(
                f"the gradient of np.{function.__name__} is implemented for method='linear' "
                f"without weights, not method={params.get('method')!r}")
        axes = normalize_axes(params.get("axis"), np.ndim(a))
        keepdims = flag(params.get("keepdims"))

        def quantile_back(dy):
            g = quantile_cotangent(dy, a, np.asarray(q) / scale, axes, keepdims)
            dq = quantile_level_cotangent(dy, a, np.asarray(q) / scale, axes) / scale
            return unbroadcast(g, a), unbroadcast(dq, q)

        return y, quantile_back

    quantile_rule.__name__ = f"{function.__name__}_rule"
    return quantile_rule


register_rule(np.quantile, make_quantile_rule(np.quantile, 1.0))
register_rule(np.percentile, make_quantile_rule(np.percentile, 100.0))


def along_axis(values, ndim, axis):
    """Shape a 1-D `values` to broadcast along `axis` of an array with `ndim` axes."""
    shape = [1] * ndim
    shape[axis] = np.size(values)
    return np.reshape(values, shape)


@register_rule(np.trapezoid)
def trapezoid_rule(y, *args, **kwargs):
    result = np.trapezoid(y, *args, **kwargs)
    params = bind_arguments(TRAPEZOID_PARAMETERS, args, kwargs)
    x, dx = params["x"], params["dx"]
    ndim = np.ndim(y)
    axis = params["axis"] % ndim
    positional_count = 1 + len(args)

    def trapezoid_back(dresult):
        g = np.expand_dims(dresult, axis)
        # Sample i weighs half of the intervals on each side of it.
        count = np.shape(y)[axis]
        if x is None:
            widths = along_axis(np.full(max(count - 1, 0), 1.0), ndim, axis) * dx
        elif np.ndim(x) == 1:
            widths = along_axis(np.diff(x), ndim, axis)
        else:
            widths = np.diff(x, axis=axis)
        weights = (diff_padding(widths, axis, (1, 0)) + diff_padding(widths, axis, (0, 1))) / 2
        dy = unbroadcast(g * weights, y)
        if positional_count == 1:
            return (dy,)
        if x is None:
            # The result is linear in the spacing dx.
            d_dx = unbroadcast(np.sum(dresult * np.trapezoid(y, axis=axis)), dx)
            return (dy, None, d_dx)[:positional_count]
        # d/dx_j of sum_i (x_(i+1) - x_i) (y_i + y_(i+1)) / 2 is s_(j-1) - s_j, with
        # s_i = (y_i + y_(i+1)) / 2 and s = 0 outside its range.
        midpoints = (np.take(y, np.arange(count - 1), axis=axis)
                     + np.take(y, np.arange(1, count), axis=axis)) / 2
        d_x = g * (diff_padding(midpoints, axis, (1, 0)) - diff_padding(midpoints, axis, (0, 1)))
        if np.ndim(x) == 1:
            others = tuple(i for i in range(ndim) if i != axis)
            d_x = np.sum(d_x, axis=others)
        return (dy, unbroadcast(d_x, x), None)[:positional_count]

    return result, trapezoid_back


def diff_padding(values, axis, widths):
    """Pad `values` with zeros along `axis` by `widths` = (before, after)."""
    pad_widths = [(0, 0)] * np.ndim(values)
    pad_widths[axis] = widths
    return np.pad(values, pad_widths)


# Differences ------------------------------------------------------------------------------


def diff_adjoint(g, axis):
    """Return the adjoint of one first difference along `axis`: pad with a zero on each side."""
    widths = [(0, 0)] * np.ndim(g)
    before = list(widths)
    before[axis] = (1, 0)
    after = list(widths)
    after[axis] = (0, 1)
    return np.pad(g, before) - np.pad(g, after)


@register_rule(np.diff)
def diff_rule(a, *args, **kwargs):
    y = np.diff(a, *args, **kwargs)
    params = bind_arguments(DIFF_PARAMETERS, args, kwargs)
    n = params.get("n", 1)
    axis = params.get("axis", -1) % max(np.ndim(a), 1)
    prepend = params.get("prepend")
    # A scalar prepend= adds one entry along the axis, and an array adds its length there.
    prepend_count = 0
    if passed(prepend):
        prepend_count = 1 if np.ndim(prepend) == 0 else np.shape(prepend)[axis]

    append = params.get("append")
    positional_count = 1 + len(args)

    def diff_back(dy):
        g = dy
        for _ in range(n):
            g = diff_adjoint(g, axis)
        # g also covers the entries of prepend= and append=, which sit before and after a's.
        size = np.shape(a)[axis]
        cotangents = [unbroadcast(np.take(g, np.arange(prepend_count, prepend_count + size),
                                          axis=axis), a), None, None]
        if positional_count > 3:
            d_prepend = np.take(g, np.arange(prepend_count), axis=axis)
            cotangents.append(unbroadcast(d_prepend, prepend) if passed(prepend) else None)
        if positional_count > 4:
            d_append = np.take(g, np.arange(prepend_count + size, np.shape(g)[axis]), axis=axis)
            cotangents.append(unbroadcast(d_append, append) if passed(append) else None)
        return tuple(cotangents[:positional_count])

    return y, diff_back


# Methods of ufuncs: np.add.reduce(x), np.maximum.reduce(x), np.multiply.accumulate(x) ...

UFUNC_REDUCE_PARAMETERS = ("axis", "dtype", "out", "keepdims", "initial", "where")


def ufunc_reduce_frame(array, args, kwargs):
    """Return `(params, axes, keepdims)` of `ufunc.reduce(array, ...)`, whose axis is 0 by
    default, unlike np.sum's."""
    params = dict(zip(UFUNC_REDUCE_PARAMETERS, args))
    params.update(kwargs)
    axes = normalize_axes(params.get("axis", 0), np.ndim(array))
    return params, axes, flag(params.get("keepdims"))


def ufunc_reduce_rule(ufunc, array, *args, **kwargs):
    y = ufunc.reduce(array, *args, **kwargs)
    params, axes, keepdims = ufunc_reduce_frame(array, args, kwargs)
    shape = np.shape(array)
    mask = where_mask(params, shape)
    if ufunc not in (np.add, np.multiply, np.maximum, np.minimum, np.fmax, np.fmin,
                     np.logaddexp, np.logaddexp2):
        raise NotImplementedError(f"the gradient of np.{ufunc.__name__}.reduce is not "
                                  "implemented; use the matching NumPy reduction")

    def ufunc_reduce_back(dy):
        if ufunc is np.add:
            g = expand_reduced(dy, shape, axes, keepdims)
        elif ufunc is np.multiply:
            values = array if mask is None else np.where(mask, array, 1)
            g = prod_cotangent(dy, values, axes, keepdims)
            if passed(params.get("initial")):
                g = g * params["initial"]
        elif ufunc is np.logaddexp or ufunc is np.logaddexp2:
            # Each element gets its softmax weight exp(a - y) (base 2 for logaddexp2).
            power = np.exp if ufunc is np.logaddexp else np.exp2
            g = expand_reduced(dy, shape, axes, keepdims) * power(
                array - expand_reduced(y, shape, axes, keepdims))
        else:
            g = extremum_cotangent(dy, array, y, axes, keepdims, mask)
        if mask is not None:
            g = np.where(mask, g, 0)
        return None, unbroadcast(g, array)

    return y, ufunc_reduce_back


def ufunc_accumulate_rule(ufunc, array, axis=0, *args, **kwargs):
    y = ufunc.accumulate(array, axis, *args, **kwargs)
    if ufunc not in (np.add, np.multiply):
        raise NotImplementedError(f"the gradient of np.{ufunc.__name__}.accumulate is not "
                                  "implemented; only add and multiply have one")

    def ufunc_accumulate_back(dy):
        if ufunc is np.add:
            return None, unbroadcast(reverse_cumsum(dy, axis), array)
        return None, unbroadcast(cumprod_cotangent(dy, array, axis), array)

    return y, ufunc_accumulate_back


def ufunc_outer_rule(ufunc, a, b, **kwargs):
    """Differentiate `ufunc.outer(a, b)` as `ufunc(a[..., None, ...], b)` with its own rule."""
    elementwise_rule = lookup_rule(ufunc)
    if elementwise_rule is None:
        raise NotImplementedError(f"np.{ufunc.__name__} has no gradient rule, so neither has "
                                  f"np.{ufunc.__name__}.outer")
    a_shape = np.shape(a)
    expanded = np.reshape(a, a_shape + (1,) * np.ndim(b))
    y, back = elementwise_rule(expanded, b, **kwargs)

    def ufunc_outer_back(dy):
        d_expanded, db = back(dy)
        da = None if d_expanded is None else unbroadcast(np.reshape(d_expanded, a_shape), a)
        return None, da, db

    return y, ufunc_outer_back


register_method_rule(np.ufunc, "reduce", ufunc_reduce_rule)
register_method_rule(np.ufunc, "accumulate", ufunc_accumulate_rule)
register_method_rule(np.ufunc, "outer", ufunc_outer_rule)


# Methods ----------------------------------------------------------------------------------

METHOD_RULES = {
    "sum": sum_rule,
    "mean": mean_rule,
    "prod": prod_rule,
    "max": max_rule,
    "min": min_rule,
    "var": var_rule,
    "std": std_rule,
    "cumsum": cumsum_rule,
    "cumprod": cumprod_rule,
}

for _name, _rule in METHOD_RULES.items():
    register_method_rule(np.ndarray, _name, _rule)
for _name in ("sum", "mean", "prod", "max", "min"):
    register_method_rule(np.generic, _name, METHOD_RULES[_name])
