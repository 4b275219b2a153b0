"""Gradient rules of Python's built-in numeric functions and of the `math` module.

They take and return Python floats, so their cotangents are floats (or arrays, when a
built-in such as `sum` or `abs` receives arrays). The zero conventions of the NumPy rules
apply here too: `abs` and `fabs` have derivative 0 at 0, and `math.sqrt` at 0 gives 0 for a
zero cotangent.
"""

import builtins
import math as math_module

import numpy

from .frozen import frozen
from .numpy_elementwise import absolute_cotangent, cotangent_like, power_cotangents, unbroadcast
from .registry import register_rule

# Rules compute derivatives with the functions as they were at import (see `frozen`).
np = frozen(numpy)
math = frozen(math_module)

TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


@register_rule(builtins.abs)
def abs_rule(x):
    y = abs(x)

    def abs_back(dy):
        return (unbroadcast(absolute_cotangent(dy, x, y), x),)

    return y, abs_back


def extremum_cotangents(dy, values, winner, key):
    """Share `dy` evenly among the `values` that tie with `winner`."""
    keys = [v if key is None else key(v) for v in values]
    winning_key = winner if key is None else key(winner)
    ties = [k == winning_key for k in keys]
    count = builtins.sum(1 for t in ties if t)
    return [cotangent_like(dy / count, v) if t else None for v, t in zip(values, ties)]


def make_python_extremum_rule(function):
    def python_extremum_rule(*args, **kwargs):
        y = function(*args, **kwargs)
        key = kwargs.get("key")

        def python_extremum_back(dy):
            if len(args) > 1:
                return tuple(extremum_cotangents(dy, args, y, key))
            iterable = args[0]
            if isinstance(iterable, np.ndarray):
                # max over an array compares its rows (or elements) with Python's ordering.
                winners = [np.array_equal(row, y) for row in iterable]
                count = builtins.sum(winners)
                mask = np.reshape(np.asarray(winners, dtype=float),
                                  (-1,) + (1,) * (np.ndim(iterable) - 1))
                return (unbroadcast(mask * dy / count * np.ones(np.shape(iterable)), iterable),)
            items = list(iterable)
            cotangents = extremum_cotangents(dy, items, y, key)
            return (tuple(cotangents) if isinstance(iterable, tuple) else cotangents,)

        return y, python_extremum_back

    python_extremum_rule.__name__ = f"{function.__name__}_rule"
    return python_extremum_rule


register_rule(builtins.max, make_python_extremum_rule(builtins.max))
register_rule(builtins.min, make_python_extremum_rule(builtins.min))


@register_rule(builtins.sum)
def sum_rule(iterable, /, *args, **kwargs):
    items = iterable if isinstance(iterable, np.ndarray) else list(iterable)
    start = args[0] if args else kwargs.get("start", 0)
    y = builtins.sum(items, start)

    def sum_back(dy):
        if isinstance(iterable, np.ndarray):
            # sum over an array adds its rows.
            shape = np.shape(iterable)
            d_iterable = unbroadcast(np.broadcast_to(dy, shape[1:]) * np.ones(shape), iterable)
        else:
            cotangents = [cotangent_like(dy, item) for item in items]
            d_iterable = tuple(cotangents) if isinstance(iterable, tuple) else cotangents
        if args:
            return d_iterable, unbroadcast(dy, start)
        return (d_iterable,)

    return y, sum_back


@register_rule(builtins.pow)
def pow_rule(base, exp, mod=None):
    y = pow(base, exp, mod) if mod is not None else pow(base, exp)

    def pow_back(dy):
        if mod is not None:
            return None, None, None
        return power_cotangents(dy, base, exp, y)

    return y, pow_back


@register_rule(builtins.float)
def float_rule(x=0.0):
    y = float(x)

    def float_back(dy):
        if isinstance(x, str):
            return (None,)
        return (unbroadcast(np.reshape(dy, np.shape(x)) if np.ndim(x) else dy, x),)

    return y, float_back


# math ------------------------------------------------------------------------------------


def unary_math_rule(function, derivative):
    """Build the rule of a one-argument `math` function from its derivative `f'(x, y)`."""

    def math_rule(x):
        y = function(x)

        def math_back(dy):
            return (unbroadcast(dy * derivative(x, y), x),)

        return y, math_back

    math_rule.__name__ = f"{function.__name__}_rule"
    return math_rule


def divide_or_infinity(numerator, denominator):
    """Return numerator / denominator, or a signed infinity for a zero denominator."""
    if denominator == 0:
        return math.copysign(math.inf, numerator) if numerator != 0 else math.nan
    return numerator / denominator


@register_rule(math.sqrt)
def math_sqrt_rule(x):
    y = math.sqrt(x)

    def math_sqrt_back(dy):
        # The derivative is infinite at 0, so a zero cotangent must give 0 there.
        if dy == 0 and y == 0:
            return (unbroadcast(0.0, x),)
        return (unbroadcast(divide_or_infinity(dy, 2 * y), x),)

    return y, math_sqrt_back


@register_rule(math.log)
def math_log_rule(x, *base):
    y = math.log(x, *base)

    def math_log_back(dy):
        scale = 1 / math.log(base[0]) if base else 1.0
        # math.log raises at 0, so x is never singular here.
        dx = dy * scale / x
        if not base:
            return (unbroadcast(dx, x),)
        # log_b(x) = ln x / ln b.
        db = -dy * y / (base[0] * math.log(base[0]))
        return unbroadcast(dx, x), unbroadcast(db, base[0])

    return y, math_log_back


@register_rule(math.log1p)
def math_log1p_rule(x):
    y = math.log1p(x)

    def math_log1p_back(dy):
        return (unbroadcast(dy / (1 + x), x),)

    return y, math_log1p_back


@register_rule(math.log2)
def math_log2_rule(x):
    y = math.log2(x)

    def math_log2_back(dy):
        return (unbroadcast(dy / (x * math.log(2)), x),)

    return y, math_log2_back


@register_rule(math.log10)
def math_log10_rule(x):
    y = math.log10(x)

    def math_log10_back(dy):
        return (unbroadcast(dy / (x * math.log(10)), x),)

    return y, math_log10_back


@register_rule(math.asin)
def math_asin_rule(x):
    y = math.asin(x)

    def math_asin_back(dy):
        if dy == 0 and abs(x) == 1:
            return (unbroadcast(0.0, x),)
        return (unbroadcast(divide_or_infinity(dy, math.sqrt(1 - x * x)), x),)

    return y, math_asin_back


@register_rule(math.acos)
def math_acos_rule(x):
    y = math.acos(x)

    def math_acos_back(dy):
        if dy == 0 and abs(x) == 1:
            return (unbroadcast(0.0, x),)
        return (unbroadcast(divide_or_infinity(-dy, math.sqrt(1 - x * x)), x),)

    return y, math_acos_back


def exp_derivative(x, y):
    return y


def expm1_derivative(x, y):
    return y + 1


def sin_derivative(x, y):
    return math.cos(x)


def cos_derivative(x, y):
    return -math.sin(x)


def tan_derivative(x, y):
    return 1 + y * y


def atan_derivative(x, y):
    return 1 / (1 + x * x)


def sinh_derivative(x, y):
    return math.cosh(x)


def cosh_derivative(x, y):
    return math.sinh(x)


def tanh_derivative(x, y):
    return 1 - y * y


def asinh_derivative(x, y):
    return 1 / math.sqrt(x * x + 1)


def erf_derivative(x, y):
    return TWO_OVER_SQRT_PI * math.exp(-x * x)


def erfc_derivative(x, y):
    return -TWO_OVER_SQRT_PI * math.exp(-x * x)


def fabs_derivative(x, y):
    return float(np.sign(x))


def degrees_derivative(x, y):
    return 180 / math.pi


def radians_derivative(x, y):
    return math.pi / 180


def lgamma_derivative(x, y):
    return digamma(x)


UNARY_DERIVATIVES = {
    math.exp: exp_derivative,
    math.expm1: expm1_derivative,
    math.sin: sin_derivative,
    math.cos: cos_derivative,
    math.tan: tan_derivative,
    math.atan: atan_derivative,
    math.sinh: sinh_derivative,
    math.cosh: cosh_derivative,
    math.tanh: tanh_derivative,
    math.asinh: asinh_derivative,
    math.erf: erf_derivative,
    math.erfc: erfc_derivative,
    math.fabs: fabs_derivative,
    math.degrees: degrees_derivative,
    math.radians: radians_derivative,
    math.lgamma: lgamma_derivative,
}

for _function, _derivative in UNARY_DERIVATIVES.items():
    register_rule(_function, unary_math_rule(_function, _derivative))


def digamma(x):
    """Return the digamma function psi(x), the derivative of lgamma, for real non-integer x
    or x > 0.

    psi(x) = psi(x + 1) - 1/x shifts x to at least 6, where the asymptotic series is used.
    NOTE: the error is below 1e-11 at x = -0.5, 0.5, 1 and 10 (against known values of psi).
    """
    result = 0.0
    while x < 6:
        result -= 1 / x
        x += 1
    inverse2 = 1 / (x * x)
    series = 1 / 12 - inverse2 * (1 / 120 - inverse2 * (1 / 252 - inverse2 * (
        1 / 240 - inverse2 / 132)))
    return result + math.log(x) - 0.5 / x - inverse2 * series


@register_rule(math.atan2)
def math_atan2_rule(y, x):
    angle = math.atan2(y, x)

    def math_atan2_back(dangle):
        radius2 = x * x + y * y
        if radius2 == 0:
            return unbroadcast(0.0, y), unbroadcast(0.0, x)
        return unbroadcast(dangle * x / radius2, y), unbroadcast(-dangle * y / radius2, x)

    return angle, math_atan2_back


@register_rule(math.fmod)
def math_fmod_rule(x, y):
    remainder = math.fmod(x, y)

    def math_fmod_back(dremainder):
        # fmod(x, y) = x - y * trunc(x / y), and the quotient is constant between its jumps.
        quotient = round((x - remainder) / y)
        return unbroadcast(dremainder, x), unbroadcast(-dremainder * quotient, y)

    return remainder, math_fmod_back


@register_rule(math.hypot)
def math_hypot_rule(*coordinates):
    y = math.hypot(*coordinates)

    def math_hypot_back(dy):
        # At the origin the gradient is 0, as for the norm of a zero vector.
        if y == 0:
            return tuple(unbroadcast(0.0, c) for c in coordinates)
        return tuple(unbroadcast(dy * c / y, c) for c in coordinates)

    return y, math_hypot_back


@register_rule(math.pow)
def math_pow_rule(x, y):
    result = math.pow(x, y)

    def math_pow_back(dresult):
        if y == 0:
            # x ** 0 is constant in x, even at x = 0.
            dx = 0.0
        elif x == 0 and y < 1:
            # The derivative is infinite here, so a zero cotangent must give 0.
            dx = 0.0 if dresult == 0 else math.copysign(math.inf, dresult * y)
        else:
            dx = dresult * y * math.pow(x, y - 1)
        dy = 0.0 if x == 0 else dresult * result * math.log(abs(x))
        return unbroadcast(dx, x), unbroadcast(dy, y)

    return result, math_pow_back


@register_rule(math.copysign)
def math_copysign_rule(x, y):
    result = math.copysign(x, y)

    def math_copysign_back(dresult):
        # result is +x or -x. At x = 0 the kink gets 0, as abs does.
        flip = 0.0 if x == 0 else math.copysign(1.0, x) * math.copysign(1.0, result)
        return unbroadcast(dresult * flip, x), unbroadcast(0.0, y)

    return result, math_copysign_back


@register_rule(math.fsum)
def math_fsum_rule(seq):
    items = list(seq)
    y = math.fsum(items)

    def math_fsum_back(dy):
        cotangents = [unbroadcast(dy, item) for item in items]
        return (tuple(cotangents) if isinstance(seq, tuple) else cotangents,)

    return y, math_fsum_back


@register_rule(math.prod)
def math_prod_rule(iterable, *, start=1):
    items = list(iterable)
    y = math.prod(items, start=start)

    def math_prod_back(dy):
        cotangents = []
        for i, item in enumerate(items):
            others = math.prod(items[:i] + items[i + 1:], start=start)
            cotangents.append(unbroadcast(dy * others, item))
        return (tuple(cotangents) if isinstance(iterable, tuple) else cotangents,)

    return y, math_prod_back

