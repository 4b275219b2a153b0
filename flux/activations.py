"""Activation functions with NNlib's definitions.

Every function works elementwise on a NumPy array or a scalar and keeps a float32 input in
float32: constants are Python floats, which NumPy treats as weakly typed. Branches use
`np.where` with the argument of `exp` clamped on the untaken side, so no branch overflows and
no gradient becomes `0 * inf`. `sigmoid`, `softplus`, `softmax`, `logsoftmax` and
`logsumexp` carry hand-written gradient rules (as NNlib's do), because their stable forms
contain kinks such as `abs(x)` whose derivative at 0 would come out wrong.
"""

import math

import numpy as np

from ._ad import custom_rule

__all__ = [
    "identity", "sigmoid", "hardsigmoid", "hardtanh", "relu", "leakyrelu", "relu6", "elu",
    "gelu", "swish", "hardswish", "selu", "celu", "softplus", "softsign", "logsigmoid",
    "logcosh", "mish", "tanhshrink", "softshrink", "trelu", "lisht", "softmax", "logsoftmax",
    "logsumexp",
]

_SELU_LAMBDA = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717
_GELU_SCALE = math.sqrt(2.0 / math.pi)
_LOG2 = math.log(2.0)


def identity(x):
    """identity(x) = x"""
    return x


def _sigmoid_value(x):
    x = np.asarray(x)
    negative_part = np.exp(np.where(x < 0, x, 0))
    positive_part = np.exp(-np.where(x < 0, 0, x))
    return np.where(x < 0, negative_part / (1 + negative_part), 1 / (1 + positive_part))


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x))

    Computed as `exp(x) / (1 + exp(x))` for negative `x`, so it never overflows.
    Example: `sigmoid(np.array([0.0]))` is `[0.5]`.
    """
    return _sigmoid_value(x)


@custom_rule(sigmoid)
def _sigmoid_rule(x):
    y = _sigmoid_value(x)

    def back(dy):
        return (dy * y * (1 - y),)

    return y, back


def hardsigmoid(x):
    """hardsigmoid(x) = max(0, min(1, (x + 3) / 6))"""
    return np.where(x <= -3, 0, np.where(x >= 3, 1, x / 6 + 0.5))


def hardtanh(x):
    """hardtanh(x) = max(-1, min(1, x))"""
    return np.where(x < -1, -1, np.where(x > 1, 1, x))


def relu(x):
    """relu(x) = max(0, x), with derivative 0 at x = 0."""
    return np.where(x > 0, x, 0)


def leakyrelu(x, a=0.01):
    """leakyrelu(x, a=0.01) = x if x > 0 else a * x"""
    return np.where(x > 0, x, a * x)


def relu6(x):
    """relu6(x) = min(max(0, x), 6)"""
    return np.where(x > 0, np.where(x < 6, x, 6), 0)


def elu(x, alpha=1.0):
    """elu(x, alpha=1) = x if x > 0 else alpha * (exp(x) - 1)"""
    negative = np.where(x > 0, 0, x)
    return np.where(x > 0, x, alpha * np.expm1(negative))


def gelu(x):
    """gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the tanh approximation."""
    return 0.5 * x * (1 + np.tanh(_GELU_SCALE * (x + 0.044715 * x * x * x)))


def swish(x):
    """swish(x) = x * sigmoid(x)"""
    return x * sigmoid(x)


def hardswish(x):
    """hardswish(x) = x * hardsigmoid(x)"""
    return x * hardsigmoid(x)


def selu(x):
    """selu(x) = lambda * (x if x > 0 else alpha * (exp(x) - 1))

    With lambda = 1.0507009873554804 and alpha = 1.6732632423543772, the self-normalising
    constants of Klambauer et al. (2017).
    """
    negative = np.where(x > 0, 0, x)
    return _SELU_LAMBDA * np.where(x > 0, x, _SELU_ALPHA * np.expm1(negative))


def celu(x, alpha=1.0):
    """celu(x, alpha=1) = x if x >= 0 else alpha * (exp(x / alpha) - 1)"""
    negative = np.where(x >= 0, 0, x)
    return np.where(x >= 0, x, alpha * np.expm1(negative / alpha))


def _softplus_value(x):
    x = np.asarray(x)
    return np.log1p(np.exp(-np.abs(x))) + np.where(x > 0, x, 0)


def softplus(x):
    """softplus(x) = log(1 + exp(x)), computed as log1p(exp(-|x|)) + max(x, 0)."""
    return _softplus_value(x)


@custom_rule(softplus)
def _softplus_rule(x):
    y = _softplus_value(x)
    slope = _sigmoid_value(x)

    def back(dy):
        return (dy * slope,)

    return y, back


def softsign(x):
    """softsign(x) = x / (1 + |x|)"""
    return x / (1 + np.abs(x))


def logsigmoid(x):
    """logsigmoid(x) = log(sigmoid(x)) = -softplus(-x)"""
    return -softplus(-x)


def logcosh(x):
    """logcosh(x) = log(cosh(x)) = x + softplus(-2x) - log(2)"""
    return x + softplus(-2 * x) - _LOG2


def mish(x):
    """mish(x) = x * tanh(softplus(x))"""
    return x * np.tanh(softplus(x))


def tanhshrink(x):
    """tanhshrink(x) = x - tanh(x)"""
    return x - np.tanh(x)


def softshrink(x, lambd=0.5):
    """softshrink(x, lambd=0.5) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0"""
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0))


def trelu(x, theta=1.0):
    """trelu(x, theta=1) = x if x > theta else 0 (the thresholded relu)"""
    return np.where(x > theta, x, 0)


def lisht(x):
    """lisht(x) = x * tanh(x)"""
    return x * np.tanh(x)


def _softmax_value(x, axis):
    x = np.asarray(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax(x, axis=0):
    """softmax(x, axis=0) = exp(x) / sum(exp(x), axis)

    Normalises along `axis` (the class axis, 0 for a `(classes, batch)` array); `axis=None`
    normalises over every element. Shifted by the maximum, so it never overflows.
    Example: `softmax(np.array([[0.0], [0.0]]))` is `[[0.5], [0.5]]`.
    """
    return _softmax_value(x, axis)


@custom_rule(softmax)
def _softmax_rule(x, axis=0):
    y = _softmax_value(x, axis)

    def back(dy):
        return (y * (dy - np.sum(dy * y, axis=axis, keepdims=True)),)

    return y, back


def _logsoftmax_value(x, axis):
    x = np.asarray(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def logsoftmax(x, axis=0):
    """logsoftmax(x, axis=0) = x - logsumexp(x, axis, keepdims)

    More accurate than `log(softmax(x))` for very negative entries.
    """
    return _logsoftmax_value(x, axis)


@custom_rule(logsoftmax)
def _logsoftmax_rule(x, axis=0):
    y = _logsoftmax_value(x, axis)

    def back(dy):
        return (dy - np.exp(y) * np.sum(dy, axis=axis, keepdims=True),)

    return y, back


def _logsumexp_value(x, axis):
    x = np.asarray(x)
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    total = top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True))
    if axis is None:
        return total.reshape(())[()]
    return np.squeeze(total, axis=axis)


def logsumexp(x, axis=0):
    """logsumexp(x, axis=0) = log(sum(exp(x), axis))

    The reduced axis is dropped; `axis=None` reduces every element to a scalar.
    """
    return _logsumexp_value(x, axis)


@custom_rule(logsumexp)
def _logsumexp_rule(x, axis=0):
    y = _logsumexp_value(x, axis)
    weights = _softmax_value(x, axis)

    def back(dy):
        if axis is None:
            return (dy * weights,)
        return (np.expand_dims(dy, axis) * weights,)

    return y, back
