"""Initialisers: shapes, dtype, bounds and spreads from Flux's formulas, and rng handling."""

import math

import numpy as np
import pytest

import flux

ALL = [flux.glorot_uniform, flux.glorot_normal, flux.kaiming_uniform, flux.kaiming_normal,
       flux.truncated_normal, flux.orthogonal, flux.identity_init, flux.zeros32, flux.ones32,
       flux.rand32, flux.randn32]


@pytest.mark.parametrize("init", ALL, ids=lambda f: f.__name__)
def test_init_shape_float32(init):
    out = init(3, 4)
    assert out.shape == (3, 4)
    assert out.dtype == np.float32


@pytest.mark.parametrize("init", ALL, ids=lambda f: f.__name__)
def test_init_rng_reproducible(init):
    a = init(np.random.default_rng(5), 6, 5)
    b = init(6, 5, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_init_partial_form():
    make = flux.glorot_uniform(rng=np.random.default_rng(1), gain=2.0)
    np.testing.assert_array_equal(make(3, 2),
                                  flux.glorot_uniform(np.random.default_rng(1), 3, 2, gain=2.0))


def test_glorot_uniform_bound():
    out = flux.glorot_uniform(200, 300, rng=np.random.default_rng(0))
    bound = math.sqrt(6 / 500)
    assert np.abs(out).max() <= bound
    assert np.abs(out).max() > 0.95 * bound


def test_glorot_normal_std():
    out = flux.glorot_normal(400, 600, rng=np.random.default_rng(0))
    assert out.std() == pytest.approx(math.sqrt(2 / 1000), rel=0.02)


def test_kaiming_uniform_bound():
    out = flux.kaiming_uniform(300, 200, rng=np.random.default_rng(0))
    bound = math.sqrt(2) * math.sqrt(3 / 200)
    assert np.abs(out).max() <= bound
    assert np.abs(out).max() > 0.95 * bound


def test_kaiming_normal_std():
    out = flux.kaiming_normal(500, 400, rng=np.random.default_rng(0))
    assert out.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)


def test_fan_of_kernel():
    # A (out=8, in=4, 3, 3) kernel has fan-in 4 * 9 and fan-out 8 * 9.
    assert flux.initialisers.nfan((8, 4, 3, 3)) == (36, 72)


def test_truncated_normal_bounds():
    out = flux.truncated_normal(10_000, rng=np.random.default_rng(0), lo=-1.0, hi=0.5)
    assert out.min() >= -1.0
    assert out.max() <= 0.5


def test_orthogonal_rows():
    q = flux.orthogonal(3, 5, rng=np.random.default_rng(0)).astype(np.float64)
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-6)


def test_orthogonal_columns_gain():
    q = flux.orthogonal(5, 3, gain=2.0, rng=np.random.default_rng(0)).astype(np.float64)
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(3), atol=1e-5)


def test_sparse_init_zeros_per_column():
    out = flux.sparse_init(10, 4, sparsity=0.3, rng=np.random.default_rng(0))
    assert list((out == 0).sum(axis=0)) == [3, 3, 3, 3]


def test_identity_init_matrix():
    np.testing.assert_array_equal(flux.identity_init(2, 3), [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(flux.identity_init(3), [0, 0, 0])


def test_identity_init_kernel_centre():
    out = flux.identity_init(2, 2, 3)
    assert out[0, 0, 1] == 1
    assert out[1, 1, 1] == 1
    assert out.sum() == 2


def test_zeros_ones_values():
    assert np.all(flux.zeros32(2, 2) == 0)
    assert np.all(flux.ones32(3) == 1)


def test_rand32_range():
    out = flux.rand32(1000, rng=np.random.default_rng(0))
    assert out.min() >= 0
    assert out.max() < 1


def test_init_negative_dims():
    with pytest.raises(ValueError, match="non-negative"):
        flux.zeros32(-1, 2)
