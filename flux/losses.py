"""Loss functions with Flux's definitions: prediction first, target second.

Every loss that reduces takes `agg`, any callable applied to the array of per-element (or
per-observation) losses, `np.mean` by default. `agg=np.sum` gives the total and
`agg=lambda l: l` the unreduced array. Classes lie along axis 0 and observations along the
last axis. Where a loss takes a logarithm of the prediction, `eps` defaults to the machine
epsilon of the prediction's dtype and is added inside the log. A prediction and a target of
different shapes raise `ValueError`; a scalar target is broadcast.
"""

import numpy as np

from ._ad import no_gradient
from .activations import logsigmoid, logsoftmax

__all__ = [
    "mse", "mae", "msle", "huber_loss", "crossentropy", "logitcrossentropy",
    "binarycrossentropy", "logitbinarycrossentropy", "kldivergence", "poisson_loss",
    "hinge_loss", "squared_hinge_loss", "dice_coeff_loss", "tversky_loss", "focal_loss",
    "binary_focal_loss", "siamese_contrastive_loss", "label_smoothing", "xlogy", "xlogx",
]


@no_gradient
def _check_sizes(prediction, target):
    """Raise `ValueError` unless the two shapes match; a scalar on either side is allowed."""
    prediction_shape = np.shape(prediction)
    target_shape = np.shape(target)
    if prediction_shape == () or target_shape == ():
        return None
    if prediction_shape != target_shape:
        raise ValueError(f"loss got a prediction of shape {prediction_shape} and a target of "
                         f"shape {target_shape}; they must match (a scalar target is also "
                         "accepted)")
    return None


@no_gradient
def _eps_of(x):
    """Return the machine epsilon of `x`'s dtype as a Python float (float64's for integers)."""
    dtype = np.asarray(x).dtype
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return float(np.finfo(dtype).eps)


def xlogx(x):
    """xlogx(x) = x * log(x), with xlogx(0) = 0."""
    is_zero = x == 0
    safe_x = np.where(is_zero, 1, x)
    return np.where(is_zero, 0, x * np.log(safe_x))


def xlogy(x, y):
    """xlogy(x, y) = x * log(y), with xlogy(0, y) = 0 for every y, including 0."""
    is_zero = x == 0
    safe_y = np.where(is_zero, 1, y)
    return np.where(is_zero, 0, x * np.log(safe_y))


def mse(prediction, target, agg=np.mean):
    """mse(ŷ, y; agg=mean) = agg((ŷ - y)^2)

    Example: `mse(np.array([1.0, 2.0]), np.array([1.0, 4.0]))` is `2.0`.
    """
    _check_sizes(prediction, target)
    error = prediction - target
    return agg(error * error)


def mae(prediction, target, agg=np.mean):
    """mae(ŷ, y; agg=mean) = agg(|ŷ - y|)"""
    _check_sizes(prediction, target)
    return agg(np.abs(prediction - target))


def msle(prediction, target, agg=np.mean, eps=None):
    """msle(ŷ, y; agg=mean, eps) = agg((log(ŷ + eps) - log(y + eps))^2)

    The mean squared logarithmic error, for non-negative predictions and targets.
    """
    _check_sizes(prediction, target)
    if eps is None:
        eps = _eps_of(prediction)
    log_ratio = np.log((prediction + eps) / (target + eps))
    return agg(log_ratio * log_ratio)


def huber_loss(prediction, target, agg=np.mean, delta=1.0):
    """huber_loss(ŷ, y; agg=mean, delta=1)

    Elementwise `0.5 |ŷ - y|^2` where `|ŷ - y| < delta` (strictly less) and
    `delta * (|ŷ - y| - 0.5 delta)` elsewhere, then `agg`.
    """
    _check_sizes(prediction, target)
    error = np.abs(prediction - target)
    quadratic = 0.5 * error * error
    linear = delta * (error - 0.5 * delta)
    return agg(np.where(error < delta, quadratic, linear))


def label_smoothing(target, alpha, axis=0):
    """label_smoothing(y, alpha; axis=0) = y (1 - alpha) + alpha / size(y, axis)

    Moves a fraction `alpha` (0 < alpha < 1) of each one-hot column's mass onto every class
    along `axis`. With `axis=None` the target contains binary labels and the smoothing is
    `y (1 - alpha) + alpha / 2`.
    Example: `label_smoothing(np.array([[1.0], [0.0]]), 0.2)` is `[[0.9], [0.1]]`.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"label_smoothing needs 0 < alpha < 1, got alpha={alpha}")
    if axis is None:
        return target * (1 - alpha) + alpha / 2
    return target * (1 - alpha) + alpha / np.shape(target)[axis]


def crossentropy(prediction, target, axis=0, agg=np.mean, eps=None):
    """crossentropy(ŷ, y; axis=0, agg=mean, eps) = agg(-sum(xlogy(y, ŷ + eps), axis))

    `ŷ` contains class probabilities along `axis` (the output of `softmax`); `y` contains one-hot or
    smoothed labels of the same shape. Prefer `logitcrossentropy` on raw scores.
    """
    _check_sizes(prediction, target)
    if eps is None:
        eps = _eps_of(prediction)
    return agg(-np.sum(xlogy(target, prediction + eps), axis=axis))


def logitcrossentropy(prediction, target, axis=0, agg=np.mean):
    """logitcrossentropy(ŷ, y; axis=0, agg=mean) = agg(-sum(y * logsoftmax(ŷ, axis), axis))

    Equal to `crossentropy(softmax(ŷ), y)` but stable for large scores.
    """
    _check_sizes(prediction, target)
    return agg(-np.sum(target * logsoftmax(prediction, axis=axis), axis=axis))


def binarycrossentropy(prediction, target, agg=np.mean, eps=None):
    """binarycrossentropy(ŷ, y; agg=mean, eps)

    `agg(-xlogy(y, ŷ + eps) - xlogy(1 - y, 1 - ŷ + eps))` for probabilities `ŷ` (the output
    of `sigmoid`). Prefer `logitbinarycrossentropy` on raw scores.
    """
    _check_sizes(prediction, target)
    if eps is None:
        eps = _eps_of(prediction)
    return agg(-xlogy(target, prediction + eps) - xlogy(1 - target, 1 - prediction + eps))


def logitbinarycrossentropy(prediction, target, agg=np.mean):
    """logitbinarycrossentropy(ŷ, y; agg=mean) = agg((1 - y) ŷ - logsigmoid(ŷ))

    Equal to `binarycrossentropy(sigmoid(ŷ), y)` but stable for large scores.
    """
    _check_sizes(prediction, target)
    return agg((1 - target) * prediction - logsigmoid(prediction))


def kldivergence(prediction, target, axis=0, agg=np.mean, eps=None):
    """kldivergence(ŷ, y; axis=0, agg=mean, eps)

    The Kullback-Leibler divergence of the distribution `y` from `ŷ` along `axis`:
    `agg(sum(xlogx(y), axis)) + crossentropy(ŷ, y; axis, agg, eps)`.
    """
    _check_sizes(prediction, target)
    entropy = agg(np.sum(xlogx(target), axis=axis))
    return entropy + crossentropy(prediction, target, axis=axis, agg=agg, eps=eps)


def poisson_loss(prediction, target, agg=np.mean):
    """poisson_loss(ŷ, y; agg=mean) = agg(ŷ - xlogy(y, ŷ))"""
    _check_sizes(prediction, target)
    return agg(prediction - xlogy(target, prediction))


def hinge_loss(prediction, target, agg=np.mean):
    """hinge_loss(ŷ, y; agg=mean) = agg(max(0, 1 - ŷ y)), for labels y in {-1, 1}."""
    _check_sizes(prediction, target)
    margin = 1 - prediction * target
    return agg(np.where(margin > 0, margin, 0))


def squared_hinge_loss(prediction, target, agg=np.mean):
    """squared_hinge_loss(ŷ, y; agg=mean) = agg(max(0, 1 - ŷ y)^2), for labels in {-1, 1}."""
    _check_sizes(prediction, target)
    margin = 1 - prediction * target
    positive = np.where(margin > 0, margin, 0)
    return agg(positive * positive)


def dice_coeff_loss(prediction, target, smooth=1.0):
    """dice_coeff_loss(ŷ, y; smooth=1)

    `1 - (2 sum(y ŷ) + smooth) / (sum(y^2) + sum(ŷ^2) + smooth)`, over all elements.
    """
    _check_sizes(prediction, target)
    overlap = np.sum(target * prediction)
    total = np.sum(target * target) + np.sum(prediction * prediction)
    return 1 - (2 * overlap + smooth) / (total + smooth)


def tversky_loss(prediction, target, beta=0.7):
    """tversky_loss(ŷ, y; beta=0.7)

    `1 - (sum(y ŷ) + 1) / (sum(y ŷ + beta (1 - y) ŷ + (1 - beta) y (1 - ŷ)) + 1)`: `beta`
    weighs false positives and `1 - beta` false negatives.
    """
    _check_sizes(prediction, target)
    true_positive = np.sum(target * prediction)
    weighted = target * prediction + beta * (1 - target) * prediction \
        + (1 - beta) * target * (1 - prediction)
    return 1 - (true_positive + 1) / (np.sum(weighted) + 1)


def binary_focal_loss(prediction, target, agg=np.mean, gamma=2.0, eps=None):
    """binary_focal_loss(ŷ, y; agg=mean, gamma=2, eps)

    With `p_t = y (ŷ + eps) + (1 - y) (1 - ŷ - eps)`, the loss is
    `agg(-(1 - p_t)^gamma log(p_t))` (Lin et al., 2017); `gamma = 0` gives binary
    cross-entropy. `ŷ` contains probabilities.
    """
    _check_sizes(prediction, target)
    if eps is None:
        eps = _eps_of(prediction)
    shifted = prediction + eps
    p_t = target * shifted + (1 - target) * (1 - shifted)
    return agg(-((1 - p_t) ** gamma) * np.log(p_t))


def focal_loss(prediction, target, axis=0, agg=np.mean, gamma=2.0, eps=None):
    """focal_loss(ŷ, y; axis=0, agg=mean, gamma=2, eps)

    `agg(sum(-y (1 - ŷ')^gamma log(ŷ'), axis))` with `ŷ' = ŷ + eps`, for class probabilities
    `ŷ` along `axis`; `gamma = 0` gives `crossentropy`.
    """
    _check_sizes(prediction, target)
    if eps is None:
        eps = _eps_of(prediction)
    shifted = prediction + eps
    return agg(np.sum(-target * ((1 - shifted) ** gamma) * np.log(shifted), axis=axis))


def siamese_contrastive_loss(prediction, target, agg=np.mean, margin=1.0):
    """siamese_contrastive_loss(ŷ, y; agg=mean, margin=1)

    `agg((1 - y) ŷ^2 + y max(0, margin - ŷ)^2)` for distances `ŷ` and labels `y` (0 for a
    similar pair, 1 for a dissimilar one). `margin` must be non-negative.
    """
    _check_sizes(prediction, target)
    if margin < 0:
        raise ValueError(f"siamese_contrastive_loss needs margin >= 0, got margin={margin}")
    gap = margin - prediction
    positive_gap = np.where(gap > 0, gap, 0)
    return agg((1 - target) * prediction * prediction + target * positive_gap * positive_gap)
