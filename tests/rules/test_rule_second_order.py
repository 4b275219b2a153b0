"""Second derivatives through the rules: the compiler differentiates the pullbacks.

Each check differentiates `v -> sum(sin(gradient(f, v)))` by the compiler and compares it
with central differences of that same function, so a pullback whose own derivative is wrong
fails here even when its first derivative is right.
"""

import math

import numpy as np
import pytest

import zygote_py

rng = np.random.default_rng(3)
POINT = rng.uniform(0.3, 0.8, 3)
MATRIX = rng.standard_normal((3, 3)) + 3 * np.eye(3)
STEP = 1e-6


def second_derivative_check(f, x):
    def first(v):
        return np.sum(np.sin(zygote_py.gradient(f, v)[0]))

    (analytic,) = zygote_py.gradient(first, x)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        direction = np.zeros_like(x)
        direction[index] = STEP
        numeric[index] = (first(x + direction) - first(x - direction)) / (2 * STEP)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-5)


UNARY = [np.sin, np.cos, np.tan, np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10,
         np.log1p, np.sqrt, np.cbrt, np.square, np.reciprocal, np.tanh, np.sinh, np.cosh,
         np.arcsin, np.arccos, np.arctan, np.arcsinh, np.arctanh, np.sinc, np.abs]


@pytest.mark.parametrize("function", UNARY, ids=lambda function: function.__name__)
def test_unary_second_derivative(function):
    def f(x):
        return np.sum(function(x) * x)

    second_derivative_check(f, POINT)


def power_sum(x):
    return np.sum(np.power(x, 3.5)) + np.sum(np.float_power(x, x))


def quotient_sum(x):
    return np.sum(np.divide(1.0, x) + np.arctan2(x, 0.7) + np.hypot(x, 0.4))


def reductions(x):
    return np.sum(x * x) * np.mean(x) + np.prod(x) + np.var(x) + np.std(x) + np.max(x * x)


def scans(x):
    return np.sum(np.cumsum(x) ** 2) + np.sum(np.cumprod(x))


def matrix_products(a):
    return np.sum(np.sin(a @ a)) + np.sum(np.dot(a, a.T) ** 2) + \
        np.sum(np.einsum("ij,jk->ik", a, a) ** 2)


def matrix_functions(a):
    return np.sum(np.linalg.inv(a)) + np.linalg.det(a) + np.sum(np.linalg.solve(a, np.ones(3)))


def factorizations(a):
    spd = a @ a.T
    return np.sum(np.linalg.cholesky(spd)) + np.sum(np.linalg.svd(a, compute_uv=False) ** 2) + \
        np.sum(np.linalg.eigh(a + a.T)[0] ** 3)


def vector_norm(x):
    return np.linalg.norm(x) ** 3


def shapes(a):
    return np.sum(np.sin(a.reshape(9)) * np.arange(9.0)) + \
        np.sum(np.sin(a.T) * np.arange(9.0).reshape(3, 3)) + np.sum(np.diag(a) ** 3) + \
        np.trace(a @ a)


def assembly(x):
    return np.sum(np.concatenate([x, x * x]) ** 2) + np.sum(np.stack([x, x * x]) ** 3) + \
        np.sum(np.pad(x, 1, mode="edge") ** 3) + np.sum(np.tile(x, 2) ** 3)


def indexing(x):
    return np.sum(np.take(x, [0, 2, 2]) ** 3) + np.sum(np.sort(x) ** 3 * np.arange(3.0)) + \
        np.sum(np.repeat(x, [1, 2, 0]) ** 3)


def selection(x):
    return np.sum(np.where(x > 0.5, x ** 3, x ** 2)) + np.sum(np.clip(x, 0.4, 0.7) ** 3) + \
        np.sum(np.maximum(x, 0.5) ** 3)


def python_math(x):
    return np.sum(x) * 0 + math.sin(float(x[0])) ** 2 + math.sqrt(float(x[1])) * float(x[2])


def grids_and_chains(x):
    grid_x, grid_y = np.meshgrid(x, x * x, indexing="ij")
    chain = np.linalg.multi_dot([x, np.outer(x, x), x])
    return np.sum(np.add(grid_x, grid_y) ** 3) + chain


def fourier(x):
    return np.sum(np.abs(np.fft.rfft(x * x)) ** 2)


@pytest.mark.parametrize("f, x", [
    (power_sum, POINT), (quotient_sum, POINT), (reductions, POINT), (scans, POINT),
    (matrix_products, MATRIX), (matrix_functions, MATRIX), (factorizations, MATRIX),
    (vector_norm, POINT), (shapes, MATRIX), (assembly, POINT), (indexing, POINT),
    (selection, POINT), (python_math, POINT), (fourier, POINT), (grids_and_chains, POINT),
], ids=lambda value: getattr(value, "__name__", ""))
def test_composite_second_derivative(f, x):
    second_derivative_check(f, x)


def masked_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(np.where(x > 0, x, 1.0)), 0.0) * x)


def test_masked_sqrt_second_derivative():
    x = np.array([0.0, 0.25, 1.0])
    (g,) = zygote_py.gradient(summed_gradient(masked_sqrt), x)
    np.testing.assert_allclose(g[1:], [0.75 / 0.5, 0.75], rtol=1e-12)
    assert g[0] == 0.0


def summed_gradient(f):
    """Return the function `v -> sum(gradient(f, v))`."""
    def first(v):
        return np.sum(zygote_py.gradient(f, v)[0])

    return first
