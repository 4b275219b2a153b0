"""Loss values worked out by hand from each formula, and agreement with scikit-learn."""

import math

import numpy as np
import pytest

import flux
from flux import losses

LOG2 = math.log(2.0)


def arr(values, dtype=np.float64):
    return np.asarray(values, dtype=dtype)


def test_mse_by_hand():
    # (1 - 1)^2 = 0 and (2 - 4)^2 = 4, mean 2.
    assert flux.mse(arr([1.0, 2.0]), arr([1.0, 4.0])) == pytest.approx(2.0)


def test_mse_sum_aggregation():
    assert flux.mse(arr([1.0, 2.0]), arr([1.0, 4.0]), agg=np.sum) == pytest.approx(4.0)


def test_mse_identity_aggregation():
    out = flux.mse(arr([1.0, 2.0]), arr([1.0, 4.0]), agg=lambda l: l)
    np.testing.assert_allclose(out, [0.0, 4.0])


def test_mae_by_hand():
    # |1 - 2| + |2 - 2| + |3 - 1| = 3 over 3 elements.
    assert flux.mae(arr([1.0, 2.0, 3.0]), arr([2.0, 2.0, 1.0])) == pytest.approx(1.0)


def test_msle_by_hand():
    # (log(e) - log(1))^2 = 1 with eps = 0.
    assert flux.msle(arr([math.e]), arr([1.0]), eps=0.0) == pytest.approx(1.0)


def test_msle_equal_is_zero():
    assert flux.msle(arr([0.0, 3.0]), arr([0.0, 3.0])) == pytest.approx(0.0)


def test_huber_by_hand():
    # Errors 0.5, 1.0 and 3.0 with delta 1: 0.5 * 0.25 = 0.125, then 1 * (1 - 0.5) = 0.5
    # and 1 * (3 - 0.5) = 2.5.
    out = flux.huber_loss(arr([0.0, 0.0, 0.0]), arr([0.5, 1.0, 3.0]), agg=lambda l: l)
    np.testing.assert_allclose(out, [0.125, 0.5, 2.5])


def test_huber_delta_two():
    # Error 1.5 < 2 is quadratic (1.125); error 2.0 is not < 2, so linear: 2 * (2 - 1) = 2.
    out = flux.huber_loss(arr([0.0, 0.0]), arr([1.5, 2.0]), delta=2.0, agg=lambda l: l)
    np.testing.assert_allclose(out, [1.125, 2.0])


def test_crossentropy_by_hand():
    y_hat = arr([[0.1, 0.5], [0.9, 0.5]])
    y = arr([[0.0, 1.0], [1.0, 0.0]])
    expected = (-math.log(0.9) - math.log(0.5)) / 2
    assert flux.crossentropy(y_hat, y, eps=0.0) == pytest.approx(expected)


def test_crossentropy_matches_sklearn():
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(0)
    probabilities = flux.softmax(rng.normal(size=(4, 30)))
    labels = rng.integers(0, 4, size=30)
    y = flux.onehotbatch(labels, range(4), dtype=np.float64)
    expected = log_loss(labels, probabilities.T, labels=range(4))
    assert flux.crossentropy(probabilities, y, eps=0.0) == pytest.approx(expected, rel=1e-10)


def test_crossentropy_default_eps_float32():
    # A zero probability on the true class gives -log(eps of float32), finite.
    out = flux.crossentropy(arr([[0.0], [1.0]], np.float32), arr([[1.0], [0.0]], np.float32))
    assert out == pytest.approx(-math.log(np.finfo(np.float32).eps), rel=1e-5)


def test_crossentropy_keeps_float32():
    out = flux.crossentropy(arr([[0.3], [0.7]], np.float32), arr([[0.0], [1.0]], np.float32))
    assert out.dtype == np.float32


def test_logitcrossentropy_by_hand():
    # Equal scores give probability 1/2 for the true class.
    assert flux.logitcrossentropy(arr([[0.0], [0.0]]), arr([[1.0], [0.0]])) == \
        pytest.approx(LOG2)


def test_logitcrossentropy_large_scores():
    # softmax would overflow without the shift; the loss is exactly 1000 + log(1 + e^-1000).
    out = flux.logitcrossentropy(arr([[1000.0], [2000.0]]), arr([[1.0], [0.0]]))
    assert out == pytest.approx(1000.0)


def test_logitcrossentropy_matches_crossentropy():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(3, 5))
    y = flux.onehotbatch(rng.integers(0, 3, size=5), range(3), dtype=np.float64)
    assert flux.logitcrossentropy(scores, y) == \
        pytest.approx(flux.crossentropy(flux.softmax(scores), y, eps=0.0))


def test_binarycrossentropy_by_hand():
    out = flux.binarycrossentropy(arr([0.8, 0.2]), arr([1.0, 0.0]), eps=0.0)
    assert out == pytest.approx(-math.log(0.8))


def test_binarycrossentropy_extremes_finite():
    out = flux.binarycrossentropy(arr([0.0, 1.0]), arr([0.0, 1.0]))
    assert np.isfinite(out)
    assert out == pytest.approx(0.0, abs=1e-12)


def test_logitbinarycrossentropy_by_hand():
    # y = 1 at score 0 gives log 2; y = 0 at score 2 gives log(1 + e^2).
    out = flux.logitbinarycrossentropy(arr([0.0, 2.0]), arr([1.0, 0.0]), agg=lambda l: l)
    np.testing.assert_allclose(out, [LOG2, math.log1p(math.exp(2.0))])


def test_logitbinarycrossentropy_large_scores():
    out = flux.logitbinarycrossentropy(arr([-1000.0, 1000.0]), arr([1.0, 0.0]), agg=np.sum)
    assert out == pytest.approx(2000.0)


def test_kldivergence_by_hand():
    y_hat = arr([[0.25], [0.75]])
    y = arr([[0.5], [0.5]])
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert flux.kldivergence(y_hat, y, eps=0.0) == pytest.approx(expected)


def test_kldivergence_same_is_zero():
    p = arr([[0.2], [0.0], [0.8]])
    assert flux.kldivergence(p, p, eps=0.0) == pytest.approx(0.0, abs=1e-12)


def test_poisson_by_hand():
    assert flux.poisson_loss(arr([2.0]), arr([3.0])) == pytest.approx(2.0 - 3.0 * LOG2)


def test_hinge_by_hand():
    out = flux.hinge_loss(arr([0.5, 2.0, -1.0]), arr([1.0, 1.0, 1.0]), agg=lambda l: l)
    np.testing.assert_allclose(out, [0.5, 0.0, 2.0])


def test_squared_hinge_by_hand():
    out = flux.squared_hinge_loss(arr([0.5, 2.0, -1.0]), arr([1.0, 1.0, 1.0]))
    assert out == pytest.approx((0.25 + 0.0 + 4.0) / 3)


def test_dice_by_hand():
    # 1 - (2 * 1 + 1) / (2 + 1 + 1)
    assert flux.dice_coeff_loss(arr([1.0, 0.0]), arr([1.0, 1.0])) == pytest.approx(0.25)


def test_tversky_by_hand():
    # numerator 1 + 1; denominator (1 + 0 + 0.3) + 1.
    assert flux.tversky_loss(arr([1.0, 0.0]), arr([1.0, 1.0])) == pytest.approx(1 - 2 / 2.3)


def test_binary_focal_by_hand():
    out = flux.binary_focal_loss(arr([0.8, 0.3]), arr([1.0, 0.0]), eps=0.0, agg=lambda l: l)
    np.testing.assert_allclose(out, [0.2 ** 2 * -math.log(0.8), 0.3 ** 2 * -math.log(0.7)])


def test_binary_focal_gamma_zero_is_bce():
    y_hat, y = arr([0.8, 0.3, 0.6]), arr([1.0, 0.0, 1.0])
    assert flux.binary_focal_loss(y_hat, y, gamma=0.0, eps=0.0) == \
        pytest.approx(flux.binarycrossentropy(y_hat, y, eps=0.0))


def test_focal_by_hand():
    out = flux.focal_loss(arr([[0.8], [0.2]]), arr([[1.0], [0.0]]), eps=0.0)
    assert out == pytest.approx(0.2 ** 2 * -math.log(0.8))


def test_siamese_by_hand():
    # (1 - 0) * 0.5^2 = 0.25 and 1 * max(0, 1 - 0.3)^2 = 0.49.
    out = flux.siamese_contrastive_loss(arr([0.5, 0.3]), arr([0.0, 1.0]))
    assert out == pytest.approx(0.37)


def test_siamese_negative_margin_raises():
    with pytest.raises(ValueError, match="margin"):
        flux.siamese_contrastive_loss(arr([0.5]), arr([0.0]), margin=-1.0)


def test_label_smoothing_by_hand():
    np.testing.assert_allclose(flux.label_smoothing(arr([[1.0], [0.0]]), 0.2), [[0.9], [0.1]])


def test_label_smoothing_three_classes():
    out = flux.label_smoothing(arr([[0.0], [1.0], [0.0]]), 0.3)
    np.testing.assert_allclose(out, [[0.1], [0.8], [0.1]])


def test_label_smoothing_binary():
    np.testing.assert_allclose(flux.label_smoothing(arr([1.0, 0.0]), 0.2, axis=None),
                               [0.9, 0.1])


def test_label_smoothing_rejects_alpha():
    with pytest.raises(ValueError, match="alpha"):
        flux.label_smoothing(arr([1.0, 0.0]), 1.5)


def test_xlogy_zero_cases():
    assert flux.xlogy(0.0, 0.0) == 0.0
    assert flux.xlogy(0.0, -1.0) == 0.0
    assert flux.xlogy(2.0, 3.0) == pytest.approx(2 * math.log(3.0))


def test_xlogx_values():
    np.testing.assert_allclose(flux.xlogx(arr([0.0, 1.0, 2.0])), [0.0, 0.0, 2 * LOG2])


@pytest.mark.parametrize("loss", [
    flux.mse, flux.mae, flux.msle, flux.huber_loss, flux.crossentropy,
    flux.logitcrossentropy, flux.binarycrossentropy, flux.logitbinarycrossentropy,
    flux.kldivergence, flux.poisson_loss, flux.hinge_loss, flux.squared_hinge_loss,
    flux.dice_coeff_loss, flux.tversky_loss, flux.focal_loss, flux.binary_focal_loss,
    flux.siamese_contrastive_loss,
])
def test_loss_shape_mismatch_raises(loss):
    with pytest.raises(ValueError, match="shape"):
        loss(np.full((2, 3), 0.5), np.full((3, 2), 0.5))


def test_loss_scalar_target_allowed():
    assert flux.mse(arr([1.0, 3.0]), 2.0) == pytest.approx(1.0)


def test_losses_all_exported():
    for name in losses.__all__:
        assert callable(getattr(flux, name)), name


# ---------------------------------------------------------------------------------------
# Gradients through zygote_py, against central finite differences.

zygote_py = pytest.importorskip("zygote_py")
pytest.importorskip("zygote_py.testing")

RNG = np.random.default_rng(7)
PROBABILITIES = flux.softmax(RNG.normal(size=(3, 4)))
ONEHOT = flux.onehotbatch([0, 2, 1, 2], range(3), dtype=np.float64)
SCORES = RNG.normal(size=(3, 4))
UNIT = RNG.uniform(0.1, 0.9, size=(3, 4))
LABELS01 = (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float64)
SIGNS = np.where(LABELS01 > 0, 1.0, -1.0)
POSITIVE = RNG.uniform(0.5, 2.0, size=(3, 4))

GRADIENT_CASES = [
    ("mse", flux.mse, SCORES, UNIT),
    ("mae", flux.mae, SCORES, UNIT),
    ("msle", flux.msle, POSITIVE, UNIT),
    ("huber", flux.huber_loss, 2 * SCORES, UNIT),
    ("crossentropy", flux.crossentropy, PROBABILITIES, ONEHOT),
    ("logitcrossentropy", flux.logitcrossentropy, SCORES, ONEHOT),
    ("binarycrossentropy", flux.binarycrossentropy, UNIT, LABELS01),
    ("logitbinarycrossentropy", flux.logitbinarycrossentropy, SCORES, LABELS01),
    ("kldivergence", flux.kldivergence, PROBABILITIES, flux.softmax(SCORES)),
    ("poisson", flux.poisson_loss, POSITIVE, UNIT),
    ("hinge", flux.hinge_loss, SCORES, SIGNS),
    ("squared_hinge", flux.squared_hinge_loss, SCORES, SIGNS),
    ("dice", flux.dice_coeff_loss, UNIT, LABELS01),
    ("tversky", flux.tversky_loss, UNIT, LABELS01),
    ("focal", flux.focal_loss, PROBABILITIES, ONEHOT),
    ("binary_focal", flux.binary_focal_loss, UNIT, LABELS01),
    ("siamese", flux.siamese_contrastive_loss, 1.5 * UNIT, LABELS01),
]


@pytest.mark.parametrize("loss,prediction,target", [c[1:] for c in GRADIENT_CASES],
                         ids=[c[0] for c in GRADIENT_CASES])
def test_loss_gradient(loss, prediction, target):
    zygote_py.testing.check_grads(lambda p: loss(p, target), prediction.copy())


def test_xlogy_gradient_at_zero_finite():
    grads = zygote_py.gradient(lambda x, y: np.sum(flux.xlogy(x, y)),
                               np.array([0.0, 2.0]), np.array([0.0, 3.0]))
    assert np.all(np.isfinite(grads[0]))
    assert np.all(np.isfinite(grads[1]))
    assert grads[1][1] == pytest.approx(2.0 / 3.0)


def test_xlogy_gradient_both_arguments():
    zygote_py.testing.check_grads(lambda x, y: np.sum(flux.xlogy(x, y)),
                                  np.array([0.5, 2.0]), np.array([1.5, 3.0]))


def test_label_smoothing_gradient():
    zygote_py.testing.check_grads(
        lambda p: flux.crossentropy(p, flux.label_smoothing(ONEHOT, 0.1)), PROBABILITIES.copy())


def test_xlogx_gradient():
    zygote_py.testing.check_grads(lambda x: np.sum(flux.xlogx(x)), np.array([0.3, 1.5, 2.0]))
