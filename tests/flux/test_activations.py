"""Activation values against NNlib's formulas, stability at extremes, and gradient checks."""

import math
import warnings

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import flux

ELEMENTWISE = [
    flux.sigmoid, flux.hardsigmoid, flux.hardtanh, flux.relu, flux.leakyrelu, flux.relu6,
    flux.elu, flux.gelu, flux.swish, flux.hardswish, flux.selu, flux.celu, flux.softplus,
    flux.softsign, flux.logsigmoid, flux.logcosh, flux.mish, flux.tanhshrink, flux.softshrink,
    flux.trelu, flux.lisht,
]

# Points away from every kink (0, +-0.5, +-1, +-3, 6), where finite differences are exact.
SMOOTH_POINTS = np.array([-7.3, -3.7, -2.2, -0.8, -0.3, 0.35, 0.7, 1.4, 2.6, 4.1, 7.3])


def sigmoid_reference(x):
    return 1 / (1 + math.exp(-x))


def softplus_reference(x):
    return math.log1p(math.exp(x))


VALUES = [
    (flux.sigmoid, 0.0, 0.5),
    (flux.sigmoid, 2.0, sigmoid_reference(2.0)),
    (flux.hardsigmoid, 0.0, 0.5),
    (flux.hardsigmoid, 1.0, 4 / 6),
    (flux.hardsigmoid, 4.0, 1.0),
    (flux.hardsigmoid, -4.0, 0.0),
    (flux.hardtanh, -2.0, -1.0),
    (flux.hardtanh, 0.3, 0.3),
    (flux.hardtanh, 2.0, 1.0),
    (flux.relu, -1.0, 0.0),
    (flux.relu, 2.0, 2.0),
    (flux.leakyrelu, -1.0, -0.01),
    (flux.leakyrelu, 2.0, 2.0),
    (flux.relu6, 7.0, 6.0),
    (flux.relu6, 3.0, 3.0),
    (flux.relu6, -1.0, 0.0),
    (flux.elu, -1.0, math.exp(-1.0) - 1),
    (flux.elu, 2.0, 2.0),
    (flux.gelu, 1.0, 0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * (1 + 0.044715)))),
    (flux.swish, 1.0, sigmoid_reference(1.0)),
    (flux.hardswish, 1.0, 4 / 6),
    (flux.selu, 1.0, 1.0507009873554805),
    (flux.selu, -1.0, 1.0507009873554805 * 1.6732632423543772 * (math.exp(-1.0) - 1)),
    (flux.celu, -1.0, math.exp(-1.0) - 1),
    (flux.celu, 2.0, 2.0),
    (flux.softplus, 1.0, softplus_reference(1.0)),
    (flux.softplus, -3.0, softplus_reference(-3.0)),
    (flux.softsign, 1.0, 0.5),
    (flux.softsign, -3.0, -0.75),
    (flux.logsigmoid, 1.0, math.log(sigmoid_reference(1.0))),
    (flux.logcosh, 1.0, math.log(math.cosh(1.0))),
    (flux.mish, 1.0, math.tanh(softplus_reference(1.0))),
    (flux.tanhshrink, 1.0, 1 - math.tanh(1.0)),
    (flux.softshrink, 1.0, 0.5),
    (flux.softshrink, 0.2, 0.0),
    (flux.softshrink, -1.0, -0.5),
    (flux.trelu, 0.5, 0.0),
    (flux.trelu, 2.0, 2.0),
    (flux.lisht, 1.0, math.tanh(1.0)),
]


@pytest.mark.parametrize("f,x,expected", VALUES,
                         ids=[f"{f.__name__}({x})" for f, x, _ in VALUES])
def test_activation_value(f, x, expected):
    assert float(f(np.array(x))) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_celu_alpha():
    assert float(flux.celu(np.array(-1.0), alpha=2.0)) == pytest.approx(2 * (math.exp(-0.5) - 1))


def test_leakyrelu_slope():
    assert float(flux.leakyrelu(np.array(-2.0), a=0.2)) == pytest.approx(-0.4)


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.__name__)
def test_activation_keeps_float32(f):
    x = SMOOTH_POINTS.astype(np.float32)
    assert f(x).dtype == np.float32


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.__name__)
def test_activation_extremes_finite(f):
    x = np.array([-1e4, -800.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = f(x)
    assert np.all(np.isfinite(y))


def test_sigmoid_extremes():
    np.testing.assert_array_equal(flux.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


def test_sigmoid_tail_precision():
    assert float(flux.sigmoid(np.array(-30.0))) == pytest.approx(math.exp(-30.0), rel=1e-12)


def test_softplus_extremes():
    np.testing.assert_allclose(flux.softplus(np.array([-1000.0, 1000.0])), [0.0, 1000.0])


def test_logsigmoid_extremes():
    np.testing.assert_allclose(flux.logsigmoid(np.array([-1000.0, 1000.0])), [-1000.0, 0.0])


def test_logcosh_large():
    assert float(flux.logcosh(np.array(1000.0))) == pytest.approx(1000.0 - math.log(2.0))


def test_softmax_columns():
    y = flux.softmax(np.array([[1.0, 0.0], [2.0, 0.0]]))
    e = math.exp(1.0)
    np.testing.assert_allclose(y, [[1 / (1 + e), 0.5], [e / (1 + e), 0.5]])


def test_softmax_axis_one():
    y = flux.softmax(np.array([[1.0, 2.0]]), axis=1)
    np.testing.assert_allclose(y.sum(axis=1), [1.0])


def test_softmax_overflow_safe():
    y = flux.softmax(np.array([[1000.0], [1000.0]]))
    np.testing.assert_allclose(y, [[0.5], [0.5]])


def test_logsoftmax_matches_log_softmax():
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(flux.logsoftmax(x), np.log(flux.softmax(x)))


def test_logsoftmax_very_negative():
    y = flux.logsoftmax(np.array([[0.0], [-1000.0]]))
    np.testing.assert_allclose(y, [[0.0], [-1000.0]])


def test_logsumexp_by_hand():
    np.testing.assert_allclose(flux.logsumexp(np.array([[0.0, 1000.0], [0.0, 1000.0]])),
                               [math.log(2.0), 1000.0 + math.log(2.0)])


def test_logsumexp_all_axes():
    assert float(flux.logsumexp(np.zeros((2, 2)), axis=None)) == pytest.approx(math.log(4.0))


def test_softmax_keeps_float32():
    x = np.ones((3, 2), np.float32)
    assert flux.softmax(x).dtype == np.float32
    assert flux.logsoftmax(x).dtype == np.float32
    assert flux.logsumexp(x).dtype == np.float32


FINITE = st.floats(min_value=-700, max_value=700, allow_nan=False)


@settings(deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=5), elements=FINITE))
def test_softmax_sums_to_one(x):
    np.testing.assert_allclose(flux.softmax(x).sum(axis=0), 1.0, rtol=1e-12)


@settings(deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=5), elements=FINITE))
def test_logsumexp_matches_scipy(x):
    special = pytest.importorskip("scipy.special")
    np.testing.assert_allclose(flux.logsumexp(x), special.logsumexp(x, axis=0), rtol=1e-12,
                               atol=1e-13)


@settings(deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=1, max_side=8), elements=FINITE))
def test_sigmoid_matches_scipy(x):
    special = pytest.importorskip("scipy.special")
    np.testing.assert_allclose(flux.sigmoid(x), special.expit(x), rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(flux.logsigmoid(x), special.log_expit(x), rtol=1e-10)


# ---------------------------------------------------------------------------------------
# Gradients through zygote_py.

zygote_py = pytest.importorskip("zygote_py")
pytest.importorskip("zygote_py.testing")


def check_grads(f, *args):
    zygote_py.testing.check_grads(f, *args)


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.__name__)
def test_activation_gradient(f):
    check_grads(lambda x: np.sum(f(x)), SMOOTH_POINTS.copy())


@pytest.mark.parametrize("f,expected", [
    (flux.sigmoid, 0.25), (flux.softplus, 0.5), (flux.relu, 0.0), (flux.logsigmoid, 0.5),
    (flux.elu, 1.0), (flux.celu, 1.0), (flux.softsign, 1.0), (flux.swish, 0.5),
])
def test_activation_gradient_at_zero(f, expected):
    (g,) = zygote_py.gradient(lambda x: np.sum(f(x)), np.zeros(1))
    assert float(g[0]) == pytest.approx(expected)


def test_sigmoid_gradient_extremes_finite():
    (g,) = zygote_py.gradient(lambda x: np.sum(flux.sigmoid(x)), np.array([-1000.0, 1000.0]))
    assert np.all(np.isfinite(g))


def test_elu_gradient_large_input_finite():
    (g,) = zygote_py.gradient(lambda x: np.sum(flux.elu(x)), np.array([1000.0]))
    assert float(g[0]) == 1.0


@pytest.mark.parametrize("f", [flux.softmax, flux.logsoftmax, flux.logsumexp],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", [0, 1])
def test_softmax_family_gradient(f, axis):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3))
    weights = rng.normal(size=np.shape(f(x, axis=axis)))
    check_grads(lambda x: np.sum(f(x, axis=axis) * weights), x)


def test_logsumexp_all_axes_gradient():
    x = np.random.default_rng(4).normal(size=(3, 2))
    check_grads(lambda x: flux.logsumexp(x, axis=None), x)
