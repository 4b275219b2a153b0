"""Plain arithmetic adjoints for Python floats: the type inference and the gradients."""

import math

import gast
import numpy as np
import pytest

import zygote_py as zp
from zygote_py.compiler import scalars
from zygote_py.compiler.cache import transformed
from zygote_py.compiler.transform import Variant
from zygote_py.testing import check_grads


def kinds_of(text, params, float_params):
    body = gast.parse(text).body
    return scalars.scalar_kinds(body, params, frozenset(float_params))


def test_arithmetic_on_floats_is_float():
    kinds = kinds_of("y = x * 2\nz = y / 3\nw = -z + x ** 2\nn = 1 + 2\n", ["x"], ["x"])
    assert kinds == {"x": "float", "y": "float", "z": "float", "w": "float", "n": "int"}


def test_loop_carried_value_stays_float():
    text = "y = x\nwhile y > 1.0:\n    y = 0.5 * (y + x / y)\n"
    assert kinds_of(text, ["x"], ["x"])["y"] == "float"


def test_float_power_of_float_is_unknown():
    kinds = kinds_of("y = x ** x\nz = x ** 0.5\nw = x ** 2.0\n", ["x"], ["x"])
    assert "y" not in kinds
    assert "z" not in kinds
    assert kinds["w"] == "float"


def test_call_result_is_unknown():
    kinds = kinds_of("y = abs(x)\nz = y * x\n", ["x"], ["x"])
    assert "y" not in kinds
    assert "z" not in kinds


def test_mixed_assignments_are_unknown():
    kinds = kinds_of("y = x\nif x > 0:\n    y = g(x)\nz = 1\nz = 2.0\n", ["x"], ["x"])
    assert "y" not in kinds
    assert "z" not in kinds


def test_other_bindings_are_unknown():
    text = ("y = x\nfor y in range(3):\n    pass\n"
            "a, b = x, x\n"
            "c = x\n"
            "def inner():\n    nonlocal c\n    c = 'text'\n")
    kinds = kinds_of(text, ["x"], ["x"])
    assert "y" not in kinds
    assert "a" not in kinds
    assert "c" not in kinds


def test_parameter_not_float_is_unknown():
    kinds = kinds_of("y = x * w\n", ["x", "w"], ["x"])
    assert "w" not in kinds
    assert "y" not in kinds


def test_no_float_parameters_gives_nothing():
    assert kinds_of("y = 1.0 * 2\n", ["x"], []) == {}


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def rational(x, y):
    z = x * y - x / y + 3.0 / x - y
    return z * z + x ** 3 - 2 * y


def with_unknown_contribution(a, b):
    d = dict(x=a, y=b)
    return d["x"] * b + a * a


def float_and_int(x, n):
    total = x
    for _ in range(n):
        total = total * x + n
    return total


def scalar_source(fn, *float_params):
    info, _ = transformed(fn, Variant(inactive_free=True, float_params=frozenset(float_params)))
    return info.source


def test_newton_sqrt_uses_plain_arithmetic():
    source = scalar_source(newton_sqrt, "a")
    assert "binary_pullback" not in source
    assert "accumulate" not in source


@pytest.mark.parametrize("a", [10.0, 2.0, 0.25])
def test_newton_sqrt_gradient(a):
    grad, = zp.gradient(newton_sqrt, a)
    assert grad == pytest.approx(0.5 / math.sqrt(a), rel=1e-10)
    assert type(grad) is float


def test_rational_gradient():
    check_grads(rational, 1.3, -0.7)


def test_rational_gradient_by_hand():
    x, y = 1.3, -0.7
    z = x * y - x / y + 3.0 / x - y
    dx = 2 * z * (y - 1 / y - 3.0 / x ** 2) + 3 * x ** 2
    dy = 2 * z * (x + x / y ** 2 - 1) - 2
    grads = zp.gradient(rational, x, y)
    assert grads[0] == pytest.approx(dx, rel=1e-12)
    assert grads[1] == pytest.approx(dy, rel=1e-12)


def test_gradient_none_from_rule_is_skipped():
    check_grads(with_unknown_contribution, 1.5, 2.5)
    grads = zp.gradient(with_unknown_contribution, 1.5, 2.5)
    assert grads[0] == pytest.approx(2.5 + 3.0)
    assert grads[1] == pytest.approx(1.5)


def test_int_argument_gets_no_gradient():
    value, grads = zp.withgradient(float_and_int, 1.5, 3)
    assert value == pytest.approx(((1.5 * 1.5 + 3) * 1.5 + 3) * 1.5 + 3)
    assert grads[1] is None
    check_grads(lambda x: float_and_int(x, 3), 1.5)


def summed_rational(x, y):
    return np.sum(rational(x, y))


def test_array_argument_takes_general_path():
    grads = zp.gradient(summed_rational, np.array([1.3, 2.0]), -0.7)
    expected = [zp.gradient(rational, value, -0.7)[0] for value in (1.3, 2.0)]
    np.testing.assert_allclose(grads[0], expected, rtol=1e-12)
    assert grads[1] == pytest.approx(sum(zp.gradient(rational, value, -0.7)[1]
                                         for value in (1.3, 2.0)), rel=1e-12)


def test_array_cotangent_through_scalar_code():
    _, back = zp.pullback(rational, 1.3, -0.7)
    dx, dy = back(np.float64(2.0))
    expected = zp.gradient(rational, 1.3, -0.7)
    assert dx == pytest.approx(2 * expected[0], rel=1e-12)
    assert dy == pytest.approx(2 * expected[1], rel=1e-12)


def test_second_derivative_through_scalar_code():
    check_grads(rational, 1.3, -0.7, order=2)
    hessian = zp.hessian(lambda x: x * x * x - 2.0 * x, 1.5)
    assert float(np.squeeze(hessian)) == pytest.approx(9.0)


def ratio(x, y):
    return x / y


@pytest.mark.parametrize("x, y", [(1e-200, 1e-170), (1e200, 1e160), (3.0, -4.0)])
def test_division_gradient_at_extreme_magnitudes(x, y):
    dx, dy = zp.gradient(ratio, x, y)
    assert dx == pytest.approx(1 / y, rel=1e-12)
    assert dy == pytest.approx(-x / y / y, rel=1e-12)
    adx, ady = zp.gradient(lambda u, v: np.sum(ratio(u, v)), np.array([x]), np.array([y]))
    assert adx[0] == pytest.approx(1 / y, rel=1e-12)
    assert ady[0] == pytest.approx(-x / y / y, rel=1e-12)


def max_with_int(x):
    return max(x, 3)


def test_forward_mode_when_int_wins_max():
    assert zp.jvp(max_with_int, (1.7,), (1.0,)) == (3, 0)
    assert zp.jvp(max_with_int, (5.0,), (1.0,)) == (5.0, 1.0)
    assert float(zp.hessian(max_with_int, 1.7)) == 0.0
