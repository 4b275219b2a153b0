"""Exact values for the conventions in docs/conventions.md: zero cotangents at singular
points, kinks, ties, zeros in products, integer inputs and dtypes."""

import builtins
import math

import numpy as np
import pytest

from zygote_py.rules.registry import lookup_method_rule, lookup_rule


def pullback(primal, *args, **kwargs):
    rule = lookup_rule(primal)
    assert rule is not None, f"no rule for {primal}"
    return rule(*args, **kwargs)


def gradient(primal, dy, *args, **kwargs):
    """Return the cotangents of `primal(*args, **kwargs)` for the output cotangent `dy`."""
    _, back = pullback(primal, *args, **kwargs)
    return back(dy)


def assert_exact(actual, expected):
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


# Zero cotangent at singular points -----------------------------------------------------------


def test_sqrt_zero_cotangent_at_zero():
    (g,) = gradient(np.sqrt, np.array([0.0, 1.0]), np.array([0.0, 4.0]))
    assert_exact(g, [0.0, 0.25])


def test_sqrt_behind_where_at_zero():
    x = np.array([0.0, 4.0, -1.0])
    with np.errstate(invalid="ignore"):
        root, sqrt_back = pullback(np.sqrt, x)
    masked, where_back = pullback(np.where, x > 0, root, 0.0)
    _, sum_back = pullback(np.sum, masked)
    (d_masked,) = sum_back(1.0)
    _, d_root, _ = where_back(d_masked)
    (g,) = sqrt_back(d_root)
    assert_exact(g, [0.0, 0.25, 0.0])


def test_log_zero_cotangent_at_zero():
    with np.errstate(divide="ignore"):
        _, back = pullback(np.log, np.array([0.0, 2.0]))
    (g,) = back(np.array([0.0, 1.0]))
    assert_exact(g, [0.0, 0.5])


def test_power_half_behind_where_at_zero():
    x = np.array([0.0, 4.0])
    (g, d_exponent) = gradient(np.power, np.array([0.0, 1.0]), x, 0.5)
    assert_exact(g, [0.0, 0.25])
    assert d_exponent == pytest.approx(2 * math.log(4.0))


def test_power_zero_to_zero():
    y, back = pullback(np.power, 0.0, 0.0)
    assert y == 1.0
    assert back(1.0) == (0.0, 0.0)


def test_power_zero_exponent_array():
    g, _ = gradient(np.power, np.ones(3), np.array([0.0, 2.0, -1.5]), np.array([0.0, 0.0, 0.0]))
    assert_exact(g, [0.0, 0.0, 0.0])


def test_power_zero_base_exponent_gradient():
    with np.errstate(divide="ignore"):
        d_base, d_exponent = gradient(np.power, np.ones(2), np.array([0.0, 0.0]),
                                      np.array([2.0, 0.5]))
    # The base derivative 0.5 * 0 ** -0.5 is genuinely infinite for a nonzero cotangent.
    assert_exact(d_base, [0.0, np.inf])
    assert_exact(d_exponent, [0.0, 0.0])


@pytest.mark.parametrize("primal, edge", [(np.arcsin, 1.0), (np.arccos, -1.0),
                                          (np.arctanh, 1.0), (np.arccosh, 1.0),
                                          (np.reciprocal, 0.0), (np.cbrt, 0.0)])
def test_domain_edge_zero_cotangent(primal, edge):
    with np.errstate(divide="ignore"):
        _, back = pullback(primal, np.array([edge]))
    (g,) = back(np.array([0.0]))
    assert_exact(g, [0.0])


def test_norm_zero_vector():
    for order in (None, 2, 3, 1, np.inf):
        (g,) = gradient(np.linalg.norm, 1.0, np.zeros(3), order)
        assert_exact(g, np.zeros(3))


def test_norm_zero_matrix_fro():
    (g,) = gradient(np.linalg.norm, 1.0, np.zeros((2, 2)))
    assert_exact(g, np.zeros((2, 2)))


def test_norm_zero_row_along_axis():
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    (g,) = gradient(np.linalg.norm, np.ones(2), x, None, 1)
    assert_exact(g, [[0.0, 0.0], [0.6, 0.8]])


def test_std_constant_input():
    (g,) = gradient(np.std, 1.0, np.full(4, 2.5))
    assert_exact(g, np.zeros(4))


def test_hypot_origin():
    assert gradient(np.hypot, 1.0, 0.0, 0.0) == (0.0, 0.0)


def test_arctan2_origin():
    assert gradient(np.arctan2, 1.0, 0.0, 0.0) == (0.0, 0.0)


def test_math_sqrt_zero_cotangent():
    assert gradient(math.sqrt, 0.0, 0.0) == (0.0,)


# Kinks -----------------------------------------------------------------------------------


def test_abs_kink_is_zero():
    (g,) = gradient(np.abs, np.ones(3), np.array([0.0, -2.0, 3.0]))
    assert_exact(g, [0.0, -1.0, 1.0])


def test_builtin_abs_kink_is_zero():
    assert gradient(builtins.abs, 1.0, 0.0) == (0.0,)
    assert gradient(math.fabs, 1.0, 0.0) == (0.0,)


def test_sign_gradient_is_zero():
    (g,) = gradient(np.sign, np.ones(3), np.array([-1.5, 0.0, 2.0]))
    assert_exact(g, [0.0, 0.0, 0.0])


def test_clip_passes_bounds():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    g, d_lower, d_upper = gradient(np.clip, np.ones(5), x, -0.5, 0.5)
    assert_exact(g, [0.0, 1.0, 1.0, 1.0, 0.0])
    assert d_lower == 1.0
    assert d_upper == 1.0


def test_clip_method_passes_bounds():
    rule = lookup_method_rule(np.ndarray, "clip")
    _, back = rule(np.array([-0.5, 0.5, 2.0]), -0.5, 0.5)
    g, _, _ = back(np.ones(3))
    assert_exact(g, [1.0, 1.0, 0.0])


@pytest.mark.parametrize("primal", [np.maximum, np.minimum, np.fmax, np.fmin])
def test_binary_extremum_tie_splits(primal):
    da, db = gradient(primal, np.array([2.0, 4.0]), np.array([1.0, 3.0]), np.array([1.0, 3.0]))
    assert_exact(da, [1.0, 2.0])
    assert_exact(db, [1.0, 2.0])


def test_builtin_max_tie_splits():
    assert gradient(builtins.max, 1.0, 2.0, 2.0, 1.0) == (0.5, 0.5, None)
    assert gradient(builtins.min, 1.0, [1.0, 1.0, 3.0]) == ([0.5, 0.5, None],)


def test_copysign_kink_is_zero():
    g, d_sign = gradient(np.copysign, np.ones(3), np.array([0.0, 2.0, -2.0]), -1.0)
    assert_exact(g, [0.0, -1.0, 1.0])
    assert d_sign == 0.0


# Ties in reductions ----------------------------------------------------------------------


@pytest.mark.parametrize("primal", [np.max, np.amax])
def test_max_ties_share(primal):
    (g,) = gradient(primal, 1.0, np.array([1.0, 3.0, 3.0]))
    assert_exact(g, [0.0, 0.5, 0.5])


def test_max_axis_ties_share():
    x = np.array([[1.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    (g,) = gradient(np.max, np.array([1.0, 3.0]), x, 1)
    assert_exact(g, [[0.0, 0.5, 0.5], [1.0, 1.0, 1.0]])


def test_min_keepdims_ties_share():
    x = np.array([[1.0, 1.0], [0.0, 2.0]])
    (g,) = gradient(np.min, np.array([[4.0, 2.0]]), x, axis=0, keepdims=True)
    assert_exact(g, [[0.0, 2.0], [4.0, 0.0]])


def test_max_method_ties_share():
    rule = lookup_method_rule(np.ndarray, "max")
    _, back = rule(np.array([5.0, 5.0, 5.0, 1.0]))
    (g,) = back(3.0)
    assert_exact(g, [1.0, 1.0, 1.0, 0.0])


def test_ptp_ties_share():
    (g,) = gradient(np.ptp, 1.0, np.array([2.0, 0.0, 2.0, 0.0]))
    assert_exact(g, [0.5, -0.5, 0.5, -0.5])


def test_quantile_ends_pick_extremes():
    x = np.array([3.0, -1.0, 2.0, 0.5])
    g, dq = gradient(np.quantile, np.array([1.0, 2.0]), x, [0.0, 1.0])
    assert_exact(g, [2.0, 1.0, 0.0, 0.0])
    # At q = 1 the slope to the next entry up is 0, and at q = 0 it is 3 * (0.5 - -1).
    assert dq == [4.5, 0.0]


def test_quantile_median_agrees():
    x = np.array([3.0, -1.0, 2.0, 0.5])
    (g_median,) = gradient(np.median, 1.0, x)
    g_quantile, _ = gradient(np.quantile, 1.0, x, 0.5)
    assert_exact(g_quantile, g_median)


def test_norm_inf_ties_share():
    (g,) = gradient(np.linalg.norm, 1.0, np.array([-2.0, 2.0, 1.0]), np.inf)
    assert_exact(g, [-0.5, 0.5, 0.0])


# Products with zeros --------------------------------------------------------------------


def test_prod_one_zero():
    (g,) = gradient(np.prod, 1.0, np.array([2.0, 0.0, 3.0]))
    assert_exact(g, [0.0, 6.0, 0.0])


def test_prod_two_zeros():
    (g,) = gradient(np.prod, 1.0, np.array([0.0, 0.0, 3.0]))
    assert_exact(g, [0.0, 0.0, 0.0])


def test_prod_axis_zeros():
    x = np.array([[2.0, 0.0], [0.0, 0.0], [4.0, 5.0]])
    (g,) = gradient(np.prod, np.ones(3), x, 1)
    assert_exact(g, [[0.0, 2.0], [0.0, 0.0], [5.0, 4.0]])


def test_cumprod_zero():
    (g,) = gradient(np.cumprod, np.ones(3), np.array([2.0, 0.0, 3.0]))
    # d/dx0 (x0 + x0 x1 + x0 x1 x2) = 1 + x1 + x1 x2; d/dx1 = x0 + x0 x2; d/dx2 = x0 x1.
    assert_exact(g, [1.0, 8.0, 0.0])


# Integer and boolean inputs, dtypes -------------------------------------------------------


def test_integer_operand_gets_none():
    da, db = gradient(np.add, np.ones(3), np.arange(3), np.ones(3))
    assert da is None
    assert_exact(db, np.ones(3))


def test_bool_operand_gets_none():
    da, db = gradient(np.multiply, np.ones(2), np.array([True, False]), np.array([2.0, 3.0]))
    assert da is None
    assert_exact(db, [1.0, 0.0])


def test_integer_reduction_gets_none():
    assert gradient(np.sum, 1.0, np.arange(4)) == (None,)


def test_python_int_gets_none():
    assert gradient(np.multiply, 1.0, 3, 2.0) == (None, 3.0)


def test_float32_stays_float32():
    (g,) = gradient(np.sin, np.ones(3), np.zeros(3, dtype=np.float32))
    assert g.dtype == np.float32


def test_mixed_precision_keeps_each_dtype():
    a = np.ones(3, dtype=np.float32)
    b = np.ones((2, 3), dtype=np.float64)
    da, db = gradient(np.multiply, np.ones((2, 3)), a, b)
    assert da.dtype == np.float32
    assert db.dtype == np.float64
    assert_exact(da, [2.0, 2.0, 2.0])


def test_python_float_gets_float():
    (g,) = gradient(np.exp, 1.0, 0.0)
    assert type(g) is float
    assert g == 1.0


def test_broadcast_cotangent_summed():
    da, db = gradient(np.add, np.ones((3, 4)), np.zeros((3, 1)), np.zeros(4))
    assert_exact(da, np.full((3, 1), 4.0))
    assert_exact(db, np.full(4, 3.0))


def test_astype_round_trip_dtype():
    rule = lookup_method_rule(np.ndarray, "astype")
    _, back = rule(np.ones(2, dtype=np.float32), np.float64)
    (g,) = back(np.array([0.5, 1.5]))
    assert g.dtype == np.float32


def test_remainder_dividend_gradient():
    da, db = gradient(np.remainder, 1.0, 5.5, 2.0)
    assert da == 1.0
    assert db == -2.0


# Indexing and sorting --------------------------------------------------------------------


def test_take_repeated_indices_add():
    (g,) = gradient(np.take, np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.zeros(3), [0, 2, 2, 0, 0])
    assert_exact(g, [1.0 + 4.0 + 5.0, 0.0, 2.0 + 3.0])


def test_take_along_axis_repeated_indices_add():
    indices = np.array([[0, 0], [1, 1]])
    (g,) = gradient(np.take_along_axis, np.ones((2, 2)), np.zeros((2, 3)), indices, 1)
    assert_exact(g, [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])


def test_sort_ties_stable():
    x = np.array([2.0, 1.0, 2.0, 0.0])
    (g,) = gradient(np.sort, np.array([10.0, 20.0, 30.0, 40.0]), x)
    assert_exact(g, [30.0, 20.0, 40.0, 10.0])


def test_sort_axis0_permutation():
    x = np.array([[3.0, 0.0], [1.0, 2.0]])
    (g,) = gradient(np.sort, np.array([[1.0, 2.0], [3.0, 4.0]]), x, 0)
    assert_exact(g, [[3.0, 2.0], [1.0, 4.0]])


# Tuple outputs with missing cotangents -------------------------------------------------------


def test_split_missing_pieces_are_zero():
    (g,) = gradient(np.split, (None, np.array([1.0, 2.0])), np.zeros(4), 2)
    assert_exact(g, [0.0, 0.0, 1.0, 2.0])


def test_svd_singular_values_only():
    a = np.array([[3.0, 0.0], [0.0, 2.0]])
    (g,) = gradient(np.linalg.svd, (None, np.array([1.0, 1.0]), None), a)
    np.testing.assert_allclose(g, np.eye(2), atol=1e-12)


def test_eigh_values_only():
    a = np.diag([1.0, 2.0, 5.0])
    (g,) = gradient(np.linalg.eigh, (np.array([1.0, 0.0, 0.0]), None), a)
    np.testing.assert_allclose(g, np.diag([1.0, 0.0, 0.0]), atol=1e-12)


def test_slogdet_sign_cotangent_ignored():
    a = np.array([[2.0, 0.0], [0.0, 4.0]])
    (g,) = gradient(np.linalg.slogdet, (1.0, 1.0), a)
    np.testing.assert_allclose(g, [[0.5, 0.0], [0.0, 0.25]])


def test_average_total_only():
    _, back = pullback(np.average, np.ones(3), 0, np.array([1.0, 2.0, 3.0]), True)
    da, _, dw = back((None, 2.0))
    assert_exact(da, np.zeros(3))
    assert_exact(dw, [2.0, 2.0, 2.0])
    _, back = pullback(np.average, np.ones(3), weights=np.ones(3), returned=True)
    assert back((None, 1.0)) == (None,)


def test_det_singular_gives_adjugate():
    (g,) = gradient(np.linalg.det, 1.0, np.array([[1.0, 2.0], [2.0, 4.0]]))
    np.testing.assert_allclose(g, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


def test_det_rank_two_deficient_is_zero():
    (g,) = gradient(np.linalg.det, 1.0, np.zeros((3, 3)))
    np.testing.assert_allclose(g, np.zeros((3, 3)), atol=1e-12)


def test_slogdet_singular_raises():
    _, back = pullback(np.linalg.slogdet, np.array([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(np.linalg.LinAlgError):
        back((None, 1.0))


def test_list_argument_gets_list():
    x = np.array([1.0, 3.0])
    _, back = pullback(np.mean, [x, np.array([2.0, 2.0])], 0)
    ((dx, dy),) = back(np.array([1.0, 1.0]))
    assert_exact(dx, [0.5, 0.5])
    assert_exact(dy, [0.5, 0.5])
    (d_items,) = gradient(np.array, np.array([1.0, 2.0]), [0.5, np.float32(1.5)])
    assert type(d_items) is list
    assert type(d_items[0]) is float
    assert type(d_items[1]) is np.float32
    assert d_items == [1.0, 2.0]


def test_int_list_gets_none():
    assert gradient(np.sum, 1.0, [1, 2, 3]) == (None,)


def test_float32_conversion_keeps_input_type():
    (g,) = gradient(np.float32, np.float32(2.0), np.float64(0.5))
    assert type(g) is np.float64
    assert g == 2.0


def test_svd_full_matrices_extra_columns_rejected():
    a = np.array([[3.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    du = np.zeros((3, 3))
    du[0, 2] = 1.0
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        gradient(np.linalg.svd, (du, None, None), a)


def test_pad_unsupported_mode_rejected():
    with pytest.raises(NotImplementedError, match="mode='mean'"):
        pullback(np.pad, np.ones(3), 1, "mean")


# Complex inputs --------------------------------------------------------------------------


def complex_gradient_by_differences(primal, args, index, weights, step=1e-6):
    """Return dL/da + i dL/db for argument `index`, z = a + ib, L = sum(Re(conj(w) f))."""
    def loss(value):
        moved = list(args)
        moved[index] = value
        return float(np.sum(np.real(np.conj(weights) * primal(*moved))))

    z = np.asarray(args[index], dtype=complex)
    grad = np.zeros(z.shape, dtype=complex)
    for position in np.ndindex(z.shape):
        for unit in (1.0, 1j):
            direction = np.zeros(z.shape, dtype=complex)
            direction[position] = unit * step
            slope = (loss(z + direction) - loss(z - direction)) / (2 * step)
            grad[position] += slope * unit
    return grad


COMPLEX_A = np.array([[0.5 + 1.0j, -1.2 + 0.3j], [0.7 - 0.4j, 2.0 + 0.1j]])
COMPLEX_B = np.array([[1.5 - 0.5j, 0.2 + 0.9j], [-0.3 + 1.1j, 0.8 - 1.3j]])


@pytest.mark.parametrize("primal, args", [
    (np.add, (COMPLEX_A, COMPLEX_B)), (np.subtract, (COMPLEX_A, COMPLEX_B)),
    (np.multiply, (COMPLEX_A, COMPLEX_B)), (np.divide, (COMPLEX_A, COMPLEX_B)),
    (np.exp, (COMPLEX_A,)), (np.log, (COMPLEX_A,)), (np.square, (COMPLEX_A,)),
    (np.abs, (COMPLEX_A,)), (np.real, (COMPLEX_A,)), (np.imag, (COMPLEX_A,)),
    (np.conjugate, (COMPLEX_A,)), (np.angle, (COMPLEX_A,)), (np.matmul, (COMPLEX_A, COMPLEX_B)),
    (np.dot, (COMPLEX_A, COMPLEX_B)), (np.sum, (COMPLEX_A,)), (np.mean, (COMPLEX_A,)),
    (np.sqrt, (COMPLEX_A,)), (np.reciprocal, (COMPLEX_A,)), (np.sin, (COMPLEX_A,)),
    (np.cos, (COMPLEX_A,)), (np.tan, (COMPLEX_A,)), (np.sinh, (COMPLEX_A,)),
    (np.cosh, (COMPLEX_A,)), (np.tanh, (COMPLEX_A,)), (np.expm1, (COMPLEX_A,)),
    (np.log1p, (COMPLEX_A,)), (np.power, (COMPLEX_A, 3)), (np.power, (COMPLEX_A, COMPLEX_B)),
], ids=lambda value: getattr(value, "__name__", ""))
def test_complex_gradient_convention(primal, args):
    y, back = pullback(primal, *args)
    weights = np.reshape(np.linspace(0.5, 1.5, np.size(y)) * (1 - 0.5j), np.shape(y))
    if not np.iscomplexobj(y):
        weights = np.real(weights)
    cotangents = back(weights)
    for index in range(len(args)):
        if not np.iscomplexobj(args[index]):
            continue
        expected = complex_gradient_by_differences(primal, args, index, weights)
        np.testing.assert_allclose(cotangents[index], expected, rtol=1e-6, atol=1e-6)


def test_complex_einsum_gradient():
    def contract(a, b):
        return np.einsum("ij,jk->ik", a, b)

    _, back = pullback(np.einsum, "ij,jk->ik", COMPLEX_A, COMPLEX_B)
    weights = np.array([[1.0 - 0.5j, 0.5j], [2.0, -1.0 + 1.0j]])
    _, da, db = back(weights)
    np.testing.assert_allclose(da, complex_gradient_by_differences(
        contract, (COMPLEX_A, COMPLEX_B), 0, weights), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(db, complex_gradient_by_differences(
        contract, (COMPLEX_A, COMPLEX_B), 1, weights), rtol=1e-6, atol=1e-6)
