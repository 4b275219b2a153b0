"""Gradients through the compiler for every spelling of the main functions: the NumPy
function, the ndarray method and the operator or built-in form.

Each spelling is checked against finite differences with `zygote_py.testing.check_grads`,
and the spellings of one operation must give the same gradient.
"""

import numpy as np
import pytest

import zygote_py
from zygote_py.testing import check_grads

rng = np.random.default_rng(7)
X = rng.standard_normal((2, 3))
Y = rng.standard_normal((2, 3))
V = rng.standard_normal(3)
M = rng.standard_normal((3, 4))
POSITIVE = rng.uniform(0.5, 2.0, (2, 3))
SQUARE = rng.standard_normal((3, 3)) + 3 * np.eye(3)


# Each group lists functions that compute the same value in different spellings.

def sum_function(x):
    return np.sum(np.sin(np.sum(x, axis=0)))


def sum_method(x):
    return np.sum(np.sin(x.sum(axis=0)))


def sum_builtin(x):
    return np.sum(np.sin(sum(x)))


def sum_ufunc_reduce(x):
    return np.sum(np.sin(np.add.reduce(x)))


def mean_function(x):
    return np.sin(np.mean(x))


def mean_method(x):
    return np.sin(x.mean())


def add_function(x, y):
    return np.sum(np.sin(np.add(x, y)))


def add_operator(x, y):
    return np.sum(np.sin(x + y))


def subtract_function(x, y):
    return np.sum(np.sin(np.subtract(x, y)))


def subtract_operator(x, y):
    return np.sum(np.sin(x - y))


def multiply_function(x, y):
    return np.sum(np.sin(np.multiply(x, y)))


def multiply_operator(x, y):
    return np.sum(np.sin(x * y))


def divide_function(x, y):
    return np.sum(np.sin(np.divide(x, y)))


def divide_operator(x, y):
    return np.sum(np.sin(x / y))


def true_divide_function(x, y):
    return np.sum(np.sin(np.true_divide(x, y)))


def power_function(x):
    return np.sum(np.sin(np.power(x, 3)))


def power_operator(x):
    return np.sum(np.sin(x ** 3))


def power_builtin(x):
    return np.sum(np.sin(pow(x, 3)))


def negative_function(x):
    return np.sum(np.sin(np.negative(x) * x))


def negative_operator(x):
    return np.sum(np.sin(-x * x))


def matmul_function(x, m):
    return np.sum(np.sin(np.matmul(x, m)))


def matmul_operator(x, m):
    return np.sum(np.sin(x @ m))


def matmul_dot(x, m):
    return np.sum(np.sin(np.dot(x, m)))


def matmul_dot_method(x, m):
    return np.sum(np.sin(x.dot(m)))


def matmul_einsum(x, m):
    return np.sum(np.sin(np.einsum("ij,jk->ik", x, m)))


def matmul_tensordot(x, m):
    return np.sum(np.sin(np.tensordot(x, m, 1)))


def transpose_function(x):
    return np.sum(np.sin(np.transpose(x)) * np.arange(6.0).reshape(3, 2))


def transpose_method(x):
    return np.sum(np.sin(x.transpose()) * np.arange(6.0).reshape(3, 2))


def transpose_attribute(x):
    return np.sum(np.sin(x.T) * np.arange(6.0).reshape(3, 2))


def transpose_swapaxes(x):
    return np.sum(np.sin(x.swapaxes(0, 1)) * np.arange(6.0).reshape(3, 2))


def transpose_matrix(x):
    return np.sum(np.sin(np.matrix_transpose(x)) * np.arange(6.0).reshape(3, 2))


def transpose_attribute_mt(x):
    return np.sum(np.sin(x.mT) * np.arange(6.0).reshape(3, 2))


def reshape_function(x):
    return np.sum(np.sin(np.reshape(x, (3, 2))) * np.arange(6.0).reshape(3, 2))


def reshape_method_args(x):
    return np.sum(np.sin(x.reshape(3, 2)) * np.arange(6.0).reshape(3, 2))


def reshape_method_tuple(x):
    return np.sum(np.sin(x.reshape((3, 2))) * np.arange(6.0).reshape(3, 2))


def flatten_ravel(x):
    return np.sum(np.sin(np.ravel(x)) * np.arange(6.0))


def flatten_method(x):
    return np.sum(np.sin(x.flatten()) * np.arange(6.0))


def flatten_ravel_method(x):
    return np.sum(np.sin(x.ravel()) * np.arange(6.0))


def max_function(x):
    return np.sum(np.max(x, axis=1) * np.array([1.0, 2.0]))


def max_amax(x):
    return np.sum(np.amax(x, axis=1) * np.array([1.0, 2.0]))


def max_method(x):
    return np.sum(x.max(axis=1) * np.array([1.0, 2.0]))


def max_ufunc_reduce(x):
    return np.sum(np.maximum.reduce(x, axis=1) * np.array([1.0, 2.0]))


def min_function(x):
    return np.min(x) * 3.0


def min_method(x):
    return x.min() * 3.0


def abs_function(x):
    return np.sum(np.abs(x) * np.arange(6.0).reshape(2, 3))


def abs_absolute(x):
    return np.sum(np.absolute(x) * np.arange(6.0).reshape(2, 3))


def abs_builtin(x):
    return np.sum(abs(x) * np.arange(6.0).reshape(2, 3))


def clip_function(x):
    return np.sum(np.sin(np.clip(x, -0.5, 0.5)))


def clip_method(x):
    return np.sum(np.sin(x.clip(-0.5, 0.5)))


def prod_function(x):
    return np.sum(np.prod(x, axis=0))


def prod_method(x):
    return np.sum(x.prod(axis=0))


def var_function(x):
    return np.var(x, ddof=1)


def var_method(x):
    return x.var(ddof=1)


def std_function(x):
    return np.sum(np.std(x, axis=1))


def std_method(x):
    return np.sum(x.std(axis=1))


def cumsum_function(x):
    return np.sum(np.sin(np.cumsum(x, axis=1)))


def cumsum_method(x):
    return np.sum(np.sin(x.cumsum(axis=1)))


def cumsum_ufunc_accumulate(x):
    return np.sum(np.sin(np.add.accumulate(x, axis=1)))


def cumprod_function(x):
    return np.sum(np.cumprod(x))


def cumprod_method(x):
    return np.sum(x.cumprod())


def trace_function(a):
    return np.sin(np.trace(a))


def trace_method(a):
    return np.sin(a.trace())


def trace_einsum(a):
    return np.sin(np.einsum("ii", a))


def diagonal_function(a):
    return np.sum(np.sin(np.diagonal(a)))


def diagonal_method(a):
    return np.sum(np.sin(a.diagonal()))


def diagonal_einsum(a):
    return np.sum(np.sin(np.einsum("ii->i", a)))


def diagonal_diag(a):
    return np.sum(np.sin(np.diag(a)))


def take_function(v):
    return np.sum(np.sin(np.take(v, [0, 2, 2])))


def take_method(v):
    return np.sum(np.sin(v.take([0, 2, 2])))


def take_subscript(v):
    return np.sum(np.sin(v[np.array([0, 2, 2])]))


def repeat_function(v):
    return np.sum(np.sin(np.repeat(v, 2)) * np.arange(6.0))


def repeat_method(v):
    return np.sum(np.sin(v.repeat(2)) * np.arange(6.0))


def squeeze_function(v):
    return np.sum(np.sin(np.squeeze(np.expand_dims(v, 0))))


def squeeze_method(v):
    return np.sum(np.sin(np.expand_dims(v, 0).squeeze()))


def copy_function(x):
    return np.sum(np.sin(np.copy(x)))


def copy_method(x):
    return np.sum(np.sin(x.copy()))


def copy_array(x):
    return np.sum(np.sin(np.array(x)))


def stack_function(x, y):
    return np.sum(np.sin(np.stack([x, y])) * np.arange(12.0).reshape(2, 2, 3))


def stack_array(x, y):
    return np.sum(np.sin(np.array([x, y])) * np.arange(12.0).reshape(2, 2, 3))


def logsumexp_explicit(x):
    return np.sum(np.log(np.sum(np.exp(x), axis=0)))


def logsumexp_ufunc_reduce(x):
    return np.sum(np.logaddexp.reduce(x))


def outer_function(v, w):
    return np.sum(np.sin(np.outer(v, w)))


def outer_ufunc(v, w):
    return np.sum(np.sin(np.multiply.outer(v, w)))


def outer_einsum(v, w):
    return np.sum(np.sin(np.einsum("i,j->ij", v, w)))


def item_method(v):
    return np.sin(v.item(1)) + v[0]


def item_subscript(v):
    return np.sin(v[1]) + v[0]


def tolist_method(v):
    values = v.tolist()
    return np.sin(values[1]) + values[0]


GROUPS = {
    "sum": ([sum_function, sum_method, sum_builtin, sum_ufunc_reduce], (X,)),
    "mean": ([mean_function, mean_method], (X,)),
    "add": ([add_function, add_operator], (X, V)),
    "subtract": ([subtract_function, subtract_operator], (X, Y)),
    "multiply": ([multiply_function, multiply_operator], (X, V)),
    "divide": ([divide_function, divide_operator, true_divide_function], (X, POSITIVE)),
    "power": ([power_function, power_operator, power_builtin], (X,)),
    "negative": ([negative_function, negative_operator], (X,)),
    "matmul": ([matmul_function, matmul_operator, matmul_dot, matmul_dot_method, matmul_einsum,
                matmul_tensordot], (X, M)),
    "transpose": ([transpose_function, transpose_method, transpose_attribute, transpose_swapaxes,
                   transpose_matrix, transpose_attribute_mt], (X,)),
    "reshape": ([reshape_function, reshape_method_args, reshape_method_tuple], (X,)),
    "flatten": ([flatten_ravel, flatten_method, flatten_ravel_method], (X,)),
    "max": ([max_function, max_amax, max_method, max_ufunc_reduce], (X,)),
    "min": ([min_function, min_method], (X,)),
    "abs": ([abs_function, abs_absolute, abs_builtin], (X,)),
    "clip": ([clip_function, clip_method], (X,)),
    "prod": ([prod_function, prod_method], (X,)),
    "var": ([var_function, var_method], (X,)),
    "std": ([std_function, std_method], (X,)),
    "cumsum": ([cumsum_function, cumsum_method, cumsum_ufunc_accumulate], (X,)),
    "cumprod": ([cumprod_function, cumprod_method], (X,)),
    "trace": ([trace_function, trace_method, trace_einsum], (SQUARE,)),
    "diagonal": ([diagonal_function, diagonal_method, diagonal_einsum, diagonal_diag], (SQUARE,)),
    "take": ([take_function, take_method, take_subscript], (V,)),
    "repeat": ([repeat_function, repeat_method], (V,)),
    "squeeze": ([squeeze_function, squeeze_method], (V,)),
    "copy": ([copy_function, copy_method, copy_array], (X,)),
    "stack": ([stack_function, stack_array], (X, Y)),
    "item": ([item_method, item_subscript, tolist_method], (V,)),
    "logsumexp": ([logsumexp_explicit, logsumexp_ufunc_reduce], (X,)),
    "outer": ([outer_function, outer_ufunc, outer_einsum], (V, V[:2].copy())),
}

SPELLINGS = [(name, f, args) for name, (functions, args) in GROUPS.items() for f in functions]


@pytest.mark.parametrize("name, f, args", SPELLINGS, ids=[f.__name__ for _, f, _ in SPELLINGS])
def test_spelling_matches_finite_differences(name, f, args):
    check_grads(f, *args)


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_spellings_agree(name):
    functions, args = GROUPS[name]
    reference = zygote_py.gradient(functions[0], *args)
    for f in functions[1:]:
        grads = zygote_py.gradient(f, *args)
        for expected, actual in zip(reference, grads):
            np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{f.__name__} differs from "
                                               f"{functions[0].__name__}")


@pytest.mark.parametrize("name, f, args", SPELLINGS, ids=[f.__name__ for _, f, _ in SPELLINGS])
def test_spelling_keeps_float32(name, f, args):
    narrow = tuple(a.astype(np.float32) for a in args)
    grads = zygote_py.gradient(f, *narrow)
    for g in grads:
        assert g.dtype == np.float32


# Conventions through the compiler -------------------------------------------------------------


def masked_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def masked_power(x):
    return np.sum(np.where(x > 0, x ** 0.5, 0.0))


def masked_log(x):
    return np.sum(np.where(x > 0, np.log(np.where(x > 0, x, 0.0)), 0.0))


def test_masked_sqrt_at_zero():
    with np.errstate(invalid="ignore"):
        (g,) = zygote_py.gradient(masked_sqrt, np.array([0.0, 4.0, -1.0]))
    np.testing.assert_array_equal(g, [0.0, 0.25, 0.0])


def test_masked_power_at_zero():
    with np.errstate(invalid="ignore"):
        (g,) = zygote_py.gradient(masked_power, np.array([0.0, 4.0, -1.0]))
    np.testing.assert_array_equal(g, [0.0, 0.25, 0.0])


def test_masked_log_at_zero():
    with np.errstate(divide="ignore"):
        (g,) = zygote_py.gradient(masked_log, np.array([0.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5])


def zero_to_zero(x, y):
    return x ** y


def test_zero_to_zero_power():
    assert zygote_py.gradient(zero_to_zero, 0.0, 0.0) == (0.0, 0.0)


def row_max_total(x):
    return np.sum(np.max(x, axis=1))


def test_row_max_ties():
    x = np.array([[1.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    (g,) = zygote_py.gradient(row_max_total, x)
    np.testing.assert_allclose(g, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)


def weighted_sort(x):
    return np.sum(np.sort(x) * np.array([10.0, 20.0, 30.0, 40.0]))


def test_sort_ties_through_compiler():
    (g,) = zygote_py.gradient(weighted_sort, np.array([2.0, 1.0, 2.0, 0.0]))
    np.testing.assert_array_equal(g, [30.0, 20.0, 40.0, 10.0])


def repeated_take(v):
    return np.sum(np.take(v, [0, 2, 2, 0, 0]) * np.array([1.0, 2.0, 3.0, 4.0, 5.0]))


def test_take_repeated_through_compiler():
    (g,) = zygote_py.gradient(repeated_take, np.zeros(3))
    np.testing.assert_array_equal(g, [10.0, 0.0, 5.0])


def norm_of(x):
    return np.linalg.norm(x)


def test_norm_zero_through_compiler():
    (g,) = zygote_py.gradient(norm_of, np.zeros(3))
    np.testing.assert_array_equal(g, np.zeros(3))


def integer_scaled(x, k):
    return np.sum(x * k)


def test_integer_argument_no_gradient():
    g, dk = zygote_py.gradient(integer_scaled, np.ones(3), np.arange(3))
    np.testing.assert_array_equal(g, [0.0, 1.0, 2.0])
    assert dk is None


def python_extremes(a, b, c):
    return max(a, b, c) - min([a, b, c])


def test_python_max_min():
    d_middle, d_max, d_min = zygote_py.gradient(python_extremes, 0.5, 2.0, -1.0)
    # No gradient reaches the middle value, and None is the zero of every type.
    assert d_middle in (None, 0.0)
    assert d_max == 1.0
    assert d_min == -1.0


def cholesky_logdet(a):
    return 2 * np.sum(np.log(np.diagonal(np.linalg.cholesky(a))))


def slogdet_logdet(a):
    return np.linalg.slogdet(a)[1]


def test_cholesky_logdet_gradient():
    b = rng.standard_normal((3, 3))
    a = b @ b.T + 3 * np.eye(3)
    (g,) = zygote_py.gradient(cholesky_logdet, a)
    (reference,) = zygote_py.gradient(slogdet_logdet, a)
    np.testing.assert_allclose(g, np.linalg.inv(a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(reference, np.linalg.inv(a), rtol=1e-10, atol=1e-12)


# Composite programs --------------------------------------------------------------------------


def softmax_cross_entropy(logits, weights):
    z = logits @ weights
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.mean(np.log(np.clip(p[:, 0], 1e-7, 1.0)))


def normalized_rows(x):
    return np.sum(np.sin(x / np.linalg.norm(x, axis=1, keepdims=True)))


def leaky_relu_square(x):
    return np.sum(np.where(x > 0, x, 0.01 * x) ** 2)


def padded_assembly(x, y):
    z = np.concatenate([x, y], axis=1)
    z = np.pad(z, 1, mode="reflect")
    return np.sum(np.tanh(np.stack([z, z @ z.T @ z / 10]).mean(0)))


def batched_contraction(a, b):
    return np.einsum("bij,bjk->bik", a, b).std()


def layer_norm(x):
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return np.sum(np.cos((x - mean) / np.sqrt(variance + 1e-5)))


def row_loop(rows):
    total = 0.0
    for i in range(len(rows)):
        total = total + np.prod(rows[i]) + max(rows[i]) * float(rows[i].sum())
    return total


def gaussian_log_likelihood(mean, factor):
    covariance = factor @ factor.T + 3 * np.eye(3)
    lower = np.linalg.cholesky(covariance)
    residual = np.linalg.solve(lower, np.ones(3) - mean)
    return -0.5 * residual @ residual - np.sum(np.log(np.diagonal(lower)))


def power_spectrum(signal):
    spectrum = np.fft.rfft(signal * np.hanning(6))
    return np.sum(np.abs(spectrum) ** 2 * np.arange(4.0)) + np.sum(np.fft.irfft(spectrum, 6))


COMPOSITES = [
    (softmax_cross_entropy, (rng.standard_normal((4, 3)), rng.standard_normal((3, 5)))),
    (normalized_rows, (X,)),
    (leaky_relu_square, (X,)),
    (padded_assembly, (rng.standard_normal((4, 3)), rng.standard_normal((4, 2)))),
    (batched_contraction, (rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 2)))),
    (layer_norm, (X,)),
    (row_loop, (X,)),
    (gaussian_log_likelihood, (V, rng.standard_normal((3, 3)))),
    (power_spectrum, (rng.standard_normal(6),)),
]


@pytest.mark.parametrize("f, args", COMPOSITES, ids=[f.__name__ for f, _ in COMPOSITES])
def test_composite_program(f, args):
    check_grads(f, *args)


@pytest.mark.parametrize("f, args", COMPOSITES, ids=[f.__name__ for f, _ in COMPOSITES])
def test_composite_program_float32(f, args):
    check_grads(f, *[a.astype(np.float32) for a in args])
