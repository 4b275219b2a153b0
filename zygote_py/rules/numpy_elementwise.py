"""Gradient rules of NumPy's elementwise functions: arithmetic ufuncs, powers, logarithms,
trigonometry, comparisons that select (maximum, clip, where) and complex parts.

Every cotangent goes through `unbroadcast`, which sums the axes that broadcasting added and
casts to the primal's dtype. Where a local derivative is infinite or undefined (sqrt, log,
arcsin at the edge of their domain), a zero incoming cotangent gives a zero gradient. The
derivative is evaluated at a safe point under `np.where(dy == 0 & singular, ...)`, so a
value that a later `np.where` masks out never turns the gradient into `nan`. docs/conventions.md lists
these conventions with examples.
"""

import numpy

from ..runtime import broadcast
from ..runtime.broadcast import is_differentiable_value
from .frozen import frozen
from .registry import register_attribute_rule, register_method_rule, register_rule

# Rules compute derivatives with the functions as they were at import (see `frozen`).
np = frozen(numpy)

LOG2 = np.log(2.0)
LOG10 = np.log(10.0)


def unbroadcast(g, like):
    """Return `broadcast.unbroadcast(g, like)`, with list and tuple primals handled too.

    NumPy functions accept nested lists (`np.mean([a, b])`), and such an argument gets a
    cotangent of the same nesting, each element cast back to its own type.
    """
    if isinstance(like, (list, tuple)):
        if g is None:
            return None
        if nested_shape(like) is None:
            # A ragged sequence: g already has one entry per element.
            return cotangent_like(g, like)
        g = broadcast.unbroadcast(g, np.asarray(like))
        return None if g is None else cotangent_like(g, like)
    return broadcast.unbroadcast(g, like)


def nested_shape(x):
    """Return the array shape of nested lists and tuples, or None when they are ragged."""
    if not isinstance(x, (list, tuple)):
        return np.shape(x)
    inner = [nested_shape(item) for item in x]
    if any(shape is None or shape != inner[0] for shape in inner):
        return None
    return (len(x),) + (inner[0] if inner else ())


def cotangent_like(g, x):
    """Return `g` in the structure of `x`: lists and tuples map element by element."""
    if isinstance(x, (list, tuple)):
        items = [cotangent_like(g[i], item) for i, item in enumerate(x)]
        return items if isinstance(x, list) else tuple(items)
    return broadcast.unbroadcast(g, x)


def register_aliases(primals, rule):
    """Register `rule` for each primal, once per distinct object (`np.abs is np.absolute`)."""
    seen = []
    for primal in primals:
        if any(primal is other for other in seen):
            continue
        seen.append(primal)
        register_rule(primal, rule)
    return rule


def conj_if_complex(a):
    """Return the complex conjugate of `a`, or `a` itself when it is real."""
    kind = type(a)
    if kind is float or (kind is np.ndarray and a.dtype.kind == "f"):
        return a
    if np.iscomplexobj(a):
        return np.conj(a)
    return a


def unused_singularity(dy, singular):
    """Return the places where a zero cotangent meets a singular point of the derivative.

    Singular points are where the derivative is infinite or undefined, outside the domain
    (where the primal is NaN) included.

    Only these places get a gradient of exactly 0. Elsewhere the pullback stays linear in
    `dy`, which forward mode over a pullback relies on: it differentiates the pullback at a
    zero cotangent.
    """
    return singular & (dy == 0)


# Sums and products -----------------------------------------------------------------------


# The compiler reads a call `<name>.add(...)` as an in-place set.add when it transforms this
# rule for second derivatives, so the rule calls np.add through another name.
ADD_UFUNC = np.add


@register_rule(np.add)
def add_rule(x1, x2, /, **kwargs):
    y = ADD_UFUNC(x1, x2, **kwargs)

    def add_back(dy):
        return unbroadcast(dy, x1), unbroadcast(dy, x2)

    return y, add_back


@register_rule(np.subtract)
def subtract_rule(x1, x2, /, **kwargs):
    y = np.subtract(x1, x2, **kwargs)

    def subtract_back(dy):
        return unbroadcast(dy, x1), unbroadcast(np.negative(dy), x2)

    return y, subtract_back


@register_rule(np.multiply)
def multiply_rule(x1, x2, /, **kwargs):
    y = np.multiply(x1, x2, **kwargs)

    def multiply_back(dy):
        return (unbroadcast(dy * conj_if_complex(x2), x1),
                unbroadcast(dy * conj_if_complex(x1), x2))

    return y, multiply_back


def divide_rule(x1, x2, /, **kwargs):
    y = np.divide(x1, x2, **kwargs)

    def divide_back(dy):
        dx1 = dy / conj_if_complex(x2)
        dx2 = np.negative(dx1) * conj_if_complex(y)
        return unbroadcast(dx1, x1), unbroadcast(dx2, x2)

    return y, divide_back


register_aliases([np.divide, np.true_divide], divide_rule)


@register_rule(np.negative)
def negative_rule(x, /, **kwargs):
    y = np.negative(x, **kwargs)

    def negative_back(dy):
        return (unbroadcast(np.negative(dy), x),)

    return y, negative_back


@register_rule(np.positive)
def positive_rule(x, /, **kwargs):
    y = np.positive(x, **kwargs)

    def positive_back(dy):
        return (unbroadcast(dy, x),)

    return y, positive_back


@register_rule(np.reciprocal)
def reciprocal_rule(x, /, **kwargs):
    y = np.reciprocal(x, **kwargs)

    def reciprocal_back(dy):
        # -1/x**2 is infinite at 0, where y is inf as well.
        skip = unused_singularity(dy, x == 0)
        safe_y = np.where(skip, 0, y)
        slope = conj_if_complex(safe_y * safe_y)
        return (unbroadcast(np.where(skip, 0, np.negative(dy) * slope), x),)

    return y, reciprocal_back


@register_rule(np.square)
def square_rule(x, /, **kwargs):
    y = np.square(x, **kwargs)

    def square_back(dy):
        return (unbroadcast(2 * dy * conj_if_complex(x), x),)

    return y, square_back


# Roots and powers ------------------------------------------------------------------------


@register_rule(np.sqrt)
def sqrt_rule(x, /, **kwargs):
    y = np.sqrt(x, **kwargs)

    def sqrt_back(dy):
        # 1/(2 sqrt(x)) is infinite at x = 0, so a zero cotangent must give 0 there.
        skip = unused_singularity(dy, (y == 0) | np.isnan(y))
        safe_y = np.where(skip, 1, y)
        return (unbroadcast(np.where(skip, 0, dy / (2 * conj_if_complex(safe_y))), x),)

    return y, sqrt_back


@register_rule(np.cbrt)
def cbrt_rule(x, /, **kwargs):
    y = np.cbrt(x, **kwargs)

    def cbrt_back(dy):
        skip = unused_singularity(dy, y == 0)
        safe_y = np.where(skip, 1, y)
        return (unbroadcast(np.where(skip, 0, dy / (3 * safe_y * safe_y)), x),)

    return y, cbrt_back


def power_rule(x1, x2, /, **kwargs):
    y = np.power(x1, x2, **kwargs)

    def power_back(dy):
        return power_cotangents(dy, x1, x2, y)

    return y, power_back


def float_power_rule(x1, x2, /, **kwargs):
    y = np.float_power(x1, x2, **kwargs)

    def float_power_back(dy):
        return power_cotangents(dy, x1, x2, y)

    return y, float_power_back


def power_cotangents(dy, x1, x2, y):
    """Return the cotangents of base and exponent of `y = x1 ** x2`.

    A zero exponent makes `x1 ** x2` constant in the base, so the base gets 0 there even at
    `x1 = 0` (where `x2 * x1 ** (x2 - 1)` would be `0 * inf`). The exponent's derivative
    `y * log|x1|` is taken as 0 at `x1 = 0`, the limit from the right. For a negative base
    it uses `log|x1|`, the derivative of the real extension `|x1| ** x2 * cos(pi * x2)` at
    the integer exponents where a negative base is defined. A complex base uses `log(x1)`.
    """
    skip_base = (x2 == 0) | unused_singularity(dy, (x1 == 0) | np.isnan(y))
    safe_base = np.where(skip_base, 1, x1)
    dx1 = np.where(skip_base, 0, dy * conj_if_complex(x2 * safe_base ** (x2 - 1)))
    dx2 = None
    if is_differentiable_value(x2) and not (isinstance(x2, np.ndarray) and x2.dtype.kind in "biu"):
        zero_base = x1 == 0
        nonzero_base = np.where(zero_base, 1, x1)
        log_base = np.log(nonzero_base) if np.iscomplexobj(nonzero_base) else \
            np.log(np.abs(nonzero_base))
        dx2 = np.where(zero_base, 0, dy * conj_if_complex(y * log_base))
    return unbroadcast(dx1, x1), unbroadcast(dx2, x2)


register_aliases([np.power, np.pow], power_rule)
register_rule(np.float_power, float_power_rule)


# Absolute value and sign -----------------------------------------------------------------


def absolute_rule(x, /, **kwargs):
    y = np.absolute(x, **kwargs)

    def absolute_back(dy):
        return (unbroadcast(absolute_cotangent(dy, x, y), x),)

    return y, absolute_back


def absolute_cotangent(dy, x, y):
    """Return `dy * sign(x)`, which is 0 at `x = 0`, or `dy * x / |x|` for complex `x`."""
    if np.iscomplexobj(x):
        safe_y = np.where(y == 0, 1, y)
        return np.where(y == 0, 0, dy * x / safe_y)
    return dy * np.sign(x)


register_aliases([np.absolute, np.abs], absolute_rule)


@register_rule(np.fabs)
def fabs_rule(x, /, **kwargs):
    y = np.fabs(x, **kwargs)

    def fabs_back(dy):
        return (unbroadcast(dy * np.sign(x), x),)

    return y, fabs_back


@register_rule(np.sign)
def sign_rule(x, /, **kwargs):
    y = np.sign(x, **kwargs)

    def sign_back(dy):
        # The sign is piecewise constant, and its jump at 0 gets no gradient.
        return (unbroadcast(np.zeros_like(dy), x),)

    return y, sign_back


@register_rule(np.copysign)
def copysign_rule(x1, x2, /, **kwargs):
    y = np.copysign(x1, x2, **kwargs)

    def copysign_back(dy):
        # y is +x1 or -x1. At x1 = 0 the kink gets 0, as abs does.
        flip = np.sign(x1) * np.sign(y)
        return unbroadcast(dy * flip, x1), unbroadcast(np.zeros_like(dy), x2)

    return y, copysign_back


# Exponentials and logarithms ---------------------------------------------------------------


@register_rule(np.exp)
def exp_rule(x, /, **kwargs):
    y = np.exp(x, **kwargs)

    def exp_back(dy):
        return (unbroadcast(dy * conj_if_complex(y), x),)

    return y, exp_back


@register_rule(np.exp2)
def exp2_rule(x, /, **kwargs):
    y = np.exp2(x, **kwargs)

    def exp2_back(dy):
        return (unbroadcast(dy * y * LOG2, x),)

    return y, exp2_back


@register_rule(np.expm1)
def expm1_rule(x, /, **kwargs):
    y = np.expm1(x, **kwargs)

    def expm1_back(dy):
        return (unbroadcast(dy * conj_if_complex(y + 1), x),)

    return y, expm1_back


@register_rule(np.log)
def log_rule(x, /, **kwargs):
    y = np.log(x, **kwargs)

    def log_back(dy):
        skip = unused_singularity(dy, (x == 0) | np.isnan(y))
        safe_x = np.where(skip, 1, x)
        return (unbroadcast(np.where(skip, 0, dy / conj_if_complex(safe_x)), x),)

    return y, log_back


@register_rule(np.log2)
def log2_rule(x, /, **kwargs):
    y = np.log2(x, **kwargs)

    def log2_back(dy):
        skip = unused_singularity(dy, (x == 0) | np.isnan(y))
        safe_x = np.where(skip, 1, x)
        return (unbroadcast(np.where(skip, 0, dy / (safe_x * LOG2)), x),)

    return y, log2_back


@register_rule(np.log10)
def log10_rule(x, /, **kwargs):
    y = np.log10(x, **kwargs)

    def log10_back(dy):
        skip = unused_singularity(dy, (x == 0) | np.isnan(y))
        safe_x = np.where(skip, 1, x)
        return (unbroadcast(np.where(skip, 0, dy / (safe_x * LOG10)), x),)

    return y, log10_back


@register_rule(np.log1p)
def log1p_rule(x, /, **kwargs):
    y = np.log1p(x, **kwargs)

    def log1p_back(dy):
        skip = unused_singularity(dy, (x == -1) | np.isnan(y))
        safe_x = np.where(skip, 0, x)
        return (unbroadcast(np.where(skip, 0, dy / conj_if_complex(1 + safe_x)), x),)

    return y, log1p_back


@register_rule(np.logaddexp)
def logaddexp_rule(x1, x2, /, **kwargs):
    y = np.logaddexp(x1, x2, **kwargs)

    def logaddexp_back(dy):
        return unbroadcast(dy * np.exp(x1 - y), x1), unbroadcast(dy * np.exp(x2 - y), x2)

    return y, logaddexp_back


@register_rule(np.logaddexp2)
def logaddexp2_rule(x1, x2, /, **kwargs):
    y = np.logaddexp2(x1, x2, **kwargs)

    def logaddexp2_back(dy):
        return unbroadcast(dy * np.exp2(x1 - y), x1), unbroadcast(dy * np.exp2(x2 - y), x2)

    return y, logaddexp2_back


# Trigonometric and hyperbolic functions ----------------------------------------------------


@register_rule(np.sin)
def sin_rule(x, /, **kwargs):
    y = np.sin(x, **kwargs)

    def sin_back(dy):
        return (unbroadcast(dy * conj_if_complex(np.cos(x)), x),)

    return y, sin_back


@register_rule(np.cos)
def cos_rule(x, /, **kwargs):
    y = np.cos(x, **kwargs)

    def cos_back(dy):
        return (unbroadcast(np.negative(dy) * conj_if_complex(np.sin(x)), x),)

    return y, cos_back


@register_rule(np.tan)
def tan_rule(x, /, **kwargs):
    y = np.tan(x, **kwargs)

    def tan_back(dy):
        return (unbroadcast(dy * conj_if_complex(1 + y * y), x),)

    return y, tan_back


def arcsin_rule(x, /, **kwargs):
    y = np.arcsin(x, **kwargs)

    def arcsin_back(dy):
        # 1/sqrt(1 - x**2) is infinite at x = +-1.
        skip = unused_singularity(dy, (np.abs(x) == 1) | np.isnan(y))
        safe_x = np.where(skip, 0, x)
        return (unbroadcast(np.where(skip, 0, dy / np.sqrt(1 - safe_x * safe_x)), x),)

    return y, arcsin_back


def arccos_rule(x, /, **kwargs):
    y = np.arccos(x, **kwargs)

    def arccos_back(dy):
        skip = unused_singularity(dy, (np.abs(x) == 1) | np.isnan(y))
        safe_x = np.where(skip, 0, x)
        slope = np.negative(dy) / np.sqrt(1 - safe_x * safe_x)
        return (unbroadcast(np.where(skip, 0, slope), x),)

    return y, arccos_back


def arctan_rule(x, /, **kwargs):
    y = np.arctan(x, **kwargs)

    def arctan_back(dy):
        return (unbroadcast(dy / (1 + x * x), x),)

    return y, arctan_back


def arctan2_rule(x1, x2, /, **kwargs):
    y = np.arctan2(x1, x2, **kwargs)

    def arctan2_back(dy):
        # The angle has no derivative at the origin, so both cotangents are 0 there.
        radius2 = x1 * x1 + x2 * x2
        at_origin = radius2 == 0
        scale = np.where(at_origin, 0, dy / np.where(at_origin, 1, radius2))
        return unbroadcast(scale * x2, x1), unbroadcast(np.negative(scale) * x1, x2)

    return y, arctan2_back


@register_rule(np.sinh)
def sinh_rule(x, /, **kwargs):
    y = np.sinh(x, **kwargs)

    def sinh_back(dy):
        return (unbroadcast(dy * conj_if_complex(np.cosh(x)), x),)

    return y, sinh_back


@register_rule(np.cosh)
def cosh_rule(x, /, **kwargs):
    y = np.cosh(x, **kwargs)

    def cosh_back(dy):
        return (unbroadcast(dy * conj_if_complex(np.sinh(x)), x),)

    return y, cosh_back


@register_rule(np.tanh)
def tanh_rule(x, /, **kwargs):
    y = np.tanh(x, **kwargs)

    def tanh_back(dy):
        return (unbroadcast(dy * conj_if_complex(1 - y * y), x),)

    return y, tanh_back


def arcsinh_rule(x, /, **kwargs):
    y = np.arcsinh(x, **kwargs)

    def arcsinh_back(dy):
        return (unbroadcast(dy / np.sqrt(x * x + 1), x),)

    return y, arcsinh_back


def arccosh_rule(x, /, **kwargs):
    y = np.arccosh(x, **kwargs)

    def arccosh_back(dy):
        # 1/sqrt(x**2 - 1) is infinite at x = 1. The safe point 2 lies inside the domain.
        skip = unused_singularity(dy, (x == 1) | np.isnan(y))
        safe_x = np.where(skip, 2, x)
        return (unbroadcast(np.where(skip, 0, dy / np.sqrt(safe_x * safe_x - 1)), x),)

    return y, arccosh_back


def arctanh_rule(x, /, **kwargs):
    y = np.arctanh(x, **kwargs)

    def arctanh_back(dy):
        skip = unused_singularity(dy, (np.abs(x) == 1) | np.isnan(y))
        safe_x = np.where(skip, 0, x)
        return (unbroadcast(np.where(skip, 0, dy / (1 - safe_x * safe_x)), x),)

    return y, arctanh_back


register_aliases([np.arcsin, np.asin], arcsin_rule)
register_aliases([np.arccos, np.acos], arccos_rule)
register_aliases([np.arctan, np.atan], arctan_rule)
register_aliases([np.arctan2, np.atan2], arctan2_rule)
register_aliases([np.arcsinh, np.asinh], arcsinh_rule)
register_aliases([np.arccosh, np.acosh], arccosh_rule)
register_aliases([np.arctanh, np.atanh], arctanh_rule)


@register_rule(np.hypot)
def hypot_rule(x1, x2, /, **kwargs):
    y = np.hypot(x1, x2, **kwargs)

    def hypot_back(dy):
        # At the origin the gradient is 0, as for the norm of a zero vector.
        at_origin = y == 0
        scale = np.where(at_origin, 0, dy / np.where(at_origin, 1, y))
        return unbroadcast(scale * x1, x1), unbroadcast(scale * x2, x2)

    return y, hypot_back


@register_rule(np.sinc)
def sinc_rule(x):
    y = np.sinc(x)

    def sinc_back(dy):
        # d/dx sin(pi x)/(pi x) = (cos(pi x) - sinc(x)) / x, which tends to 0 at x = 0.
        at_zero = x == 0
        safe_x = np.where(at_zero, 1, x)
        slope = np.where(at_zero, 0, (np.cos(np.pi * safe_x) - y) / safe_x)
        return (unbroadcast(dy * slope, x),)

    return y, sinc_back


def deg2rad_rule(x, /, **kwargs):
    y = np.deg2rad(x, **kwargs)

    def deg2rad_back(dy):
        return (unbroadcast(dy * (np.pi / 180), x),)

    return y, deg2rad_back


def rad2deg_rule(x, /, **kwargs):
    y = np.rad2deg(x, **kwargs)

    def rad2deg_back(dy):
        return (unbroadcast(dy * (180 / np.pi), x),)

    return y, rad2deg_back


register_rule(np.deg2rad, deg2rad_rule)
register_rule(np.radians, deg2rad_rule)
register_rule(np.rad2deg, rad2deg_rule)
register_rule(np.degrees, rad2deg_rule)


# Selection: maximum, minimum, clip, where ----------------------------------------------------


def selection_weight(first_wins, tie):
    """Return 1 where the first operand is selected, 1/2 on a tie and 0 elsewhere."""
    return np.where(first_wins, 1.0, np.where(tie, 0.5, 0.0))


@register_rule(np.maximum)
def maximum_rule(x1, x2, /, **kwargs):
    y = np.maximum(x1, x2, **kwargs)

    def maximum_back(dy):
        # A tie splits the gradient in half. A NaN operand wins, as np.maximum propagates it.
        weight = selection_weight((x1 > x2) | np.isnan(x1), x1 == x2)
        return unbroadcast(dy * weight, x1), unbroadcast(dy * (1 - weight), x2)

    return y, maximum_back


@register_rule(np.minimum)
def minimum_rule(x1, x2, /, **kwargs):
    y = np.minimum(x1, x2, **kwargs)

    def minimum_back(dy):
        weight = selection_weight((x1 < x2) | np.isnan(x1), x1 == x2)
        return unbroadcast(dy * weight, x1), unbroadcast(dy * (1 - weight), x2)

    return y, minimum_back


@register_rule(np.fmax)
def fmax_rule(x1, x2, /, **kwargs):
    y = np.fmax(x1, x2, **kwargs)

    def fmax_back(dy):
        # np.fmax ignores a NaN operand, so the gradient goes to the other one.
        weight = selection_weight((x1 > x2) | np.isnan(x2), x1 == x2)
        return unbroadcast(dy * weight, x1), unbroadcast(dy * (1 - weight), x2)

    return y, fmax_back


@register_rule(np.fmin)
def fmin_rule(x1, x2, /, **kwargs):
    y = np.fmin(x1, x2, **kwargs)

    def fmin_back(dy):
        weight = selection_weight((x1 < x2) | np.isnan(x2), x1 == x2)
        return unbroadcast(dy * weight, x1), unbroadcast(dy * (1 - weight), x2)

    return y, fmin_back


_NO_VALUE = object()


def clip_cotangents(dy, a, lower, upper, positional_count):
    """Return the cotangents of `clip(a, lower, upper)` for the positional arguments.

    A value on a bound passes its gradient to `a`, so clipping an input that is already in
    range never stops its gradient. A bound gets the gradient where it replaced `a`.
    """
    inside = np.ones(np.shape(dy), dtype=bool)
    d_lower = d_upper = None
    if lower is not None:
        below = a < lower
        inside = inside & ~below
        d_lower = np.where(below, dy, 0)
    if upper is not None:
        above = a > upper
        if lower is not None:
            above = above & ~(a < lower)
        inside = inside & ~above
        d_upper = np.where(above, dy, 0)
    cotangents = [unbroadcast(np.where(inside, dy, 0), a)]
    if positional_count > 1:
        cotangents.append(None if lower is None else unbroadcast(d_lower, lower))
    if positional_count > 2:
        cotangents.append(None if upper is None else unbroadcast(d_upper, upper))
    return tuple(cotangents)


def split_clip_bounds(args, kwargs):
    """Return `(lower, upper, kwargs without the bounds)` from a call of `np.clip`."""
    kwargs = dict(kwargs)
    lower = args[0] if len(args) > 0 else kwargs.pop("a_min", _NO_VALUE)
    upper = args[1] if len(args) > 1 else kwargs.pop("a_max", _NO_VALUE)
    if lower is _NO_VALUE:
        lower = kwargs.pop("min", None)
    if upper is _NO_VALUE:
        upper = kwargs.pop("max", None)
    return lower, upper, kwargs


@register_rule(np.clip)
def clip_rule(a, *args, **kwargs):
    lower, upper, rest = split_clip_bounds(args, kwargs)
    y = np.clip(a, lower, upper, **rest)
    positional_count = 1 + len(args)

    def clip_back(dy):
        return clip_cotangents(dy, a, lower, upper, positional_count)

    return y, clip_back


@register_method_rule(np.ndarray, "clip")
def ndarray_clip_rule(a, *args, **kwargs):
    lower, upper, rest = split_clip_bounds(args, kwargs)
    y = a.clip(lower, upper, **rest)
    positional_count = 1 + len(args)

    def ndarray_clip_back(dy):
        return clip_cotangents(dy, a, lower, upper, positional_count)

    return y, ndarray_clip_back


@register_rule(np.where)
def where_rule(condition, *branches):
    y = np.where(condition, *branches)
    if not branches:
        # The one-argument form returns indices, which carry no gradient.
        def where_indices_back(dy):
            return (None,)

        return y, where_indices_back
    x1, x2 = branches

    def where_back(dy):
        return (None,
                unbroadcast(np.where(condition, dy, 0), x1),
                unbroadcast(np.where(condition, 0, dy), x2))

    return y, where_back


# Remainders -------------------------------------------------------------------------------


def remainder_rule(x1, x2, /, **kwargs):
    y = np.remainder(x1, x2, **kwargs)

    def remainder_back(dy):
        # x1 % x2 = x1 - floor(x1 / x2) * x2, and the quotient is piecewise constant.
        quotient = np.floor_divide(x1, x2)
        return unbroadcast(dy, x1), unbroadcast(np.negative(dy) * quotient, x2)

    return y, remainder_back


register_aliases([np.remainder, np.mod], remainder_rule)


@register_rule(np.fmod)
def fmod_rule(x1, x2, /, **kwargs):
    y = np.fmod(x1, x2, **kwargs)

    def fmod_back(dy):
        quotient = np.trunc(np.divide(x1, x2))
        return unbroadcast(dy, x1), unbroadcast(np.negative(dy) * quotient, x2)

    return y, fmod_back


@register_rule(np.nan_to_num)
def nan_to_num_rule(x, *args, **kwargs):
    y = np.nan_to_num(x, *args, **kwargs)

    def nan_to_num_back(dy):
        # Replaced values are constants.
        return (unbroadcast(np.where(np.isfinite(x), dy, 0), x),)

    return y, nan_to_num_back


# Complex parts ----------------------------------------------------------------------------
# A real-valued loss L of z = a + ib has the gradient dL/da + i dL/db, as in Zygote.jl.


def real_cotangent(dy, x):
    if np.iscomplexobj(x):
        return unbroadcast(np.real(dy) + 0j, x)
    return unbroadcast(np.real(dy), x)


def imag_cotangent(dy, x):
    if np.iscomplexobj(x):
        return unbroadcast(1j * np.real(dy), x)
    # The imaginary part of a real value is the constant 0.
    return unbroadcast(np.zeros_like(np.real(dy)), x)


@register_rule(np.real)
def real_rule(val):
    y = np.real(val)

    def real_back(dy):
        return (real_cotangent(dy, val),)

    return y, real_back


@register_rule(np.imag)
def imag_rule(val):
    y = np.imag(val)

    def imag_back(dy):
        return (imag_cotangent(dy, val),)

    return y, imag_back


@register_rule(np.conjugate)
def conjugate_rule(x, /, **kwargs):
    y = np.conjugate(x, **kwargs)

    def conjugate_back(dy):
        return (unbroadcast(np.conjugate(dy), x),)

    return y, conjugate_back


@register_rule(np.angle)
def angle_rule(z, deg=False):
    y = np.angle(z, deg)

    def angle_back(dy):
        # angle(a + ib) = arctan2(b, a) has the gradient (-b + ia) / |z|**2, and 0 at 0.
        scale = 180 / np.pi if deg else 1.0
        radius2 = np.real(z * np.conj(z))
        at_origin = radius2 == 0
        factor = np.where(at_origin, 0, dy * scale / np.where(at_origin, 1, radius2))
        if np.iscomplexobj(z):
            return (unbroadcast(factor * (1j * z), z),)
        return (unbroadcast(np.zeros_like(factor), z),)

    return y, angle_back


def register_complex_part_methods(cls):
    @register_attribute_rule(cls, "real")
    def real_attribute_rule(obj):
        def real_attribute_back(dy):
            return (real_cotangent(dy, obj),)

        return obj.real, real_attribute_back

    @register_attribute_rule(cls, "imag")
    def imag_attribute_rule(obj):
        def imag_attribute_back(dy):
            return (imag_cotangent(dy, obj),)

        return obj.imag, imag_attribute_back

    def conj_method_rule(obj):
        def conj_method_back(dy):
            return (unbroadcast(np.conjugate(dy), obj),)

        return obj.conj(), conj_method_back

    register_method_rule(cls, "conj", conj_method_rule)
    register_method_rule(cls, "conjugate", conj_method_rule)


register_complex_part_methods(np.ndarray)
register_complex_part_methods(np.generic)
