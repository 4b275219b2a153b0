"""Names bound to rules at transform time and rebound afterwards."""

import math
import sys
import types

import numpy as np
import pytest

import zygote_py as zp
from zygote_py.testing import check_grads

fake_numpy = types.ModuleType("fake_numpy")
fake_numpy.sin = np.sin
fake_numpy.sum = np.sum


def softplus(x):
    return np.log1p(np.exp(x))


@zp.adjoint(softplus)
def softplus_rule(x):
    return softplus(x), lambda dy: (dy / (1 + np.exp(-x)),)


def sine_total(x):
    return fake_numpy.sum(fake_numpy.sin(x))


def softplus_total(x):
    return np.sum(softplus(x))


def packed_arguments(x, *rest, scale=1.0, **extra):
    return fake_numpy.sum(fake_numpy.sin(x)) * scale + sum(rest) + extra["shift"]


def scalar_sine(a):
    return fake_numpy.sin(a) * a


@pytest.fixture
def this_module():
    return sys.modules[__name__]


x = np.array([0.3, -0.4, 1.1])


def test_rebound_module_attribute(monkeypatch):
    np.testing.assert_allclose(zp.gradient(sine_total, x)[0], np.cos(x))
    monkeypatch.setattr(fake_numpy, "sin", np.cos)
    np.testing.assert_allclose(zp.gradient(sine_total, x)[0], -np.sin(x))


def test_rebound_global_function(monkeypatch, this_module):
    np.testing.assert_allclose(zp.gradient(softplus_total, x)[0], 1 / (1 + np.exp(-x)))
    monkeypatch.setattr(this_module, "softplus", np.tanh)
    np.testing.assert_allclose(zp.gradient(softplus_total, x)[0], 1 - np.tanh(x) ** 2)


def test_rebound_with_packed_arguments(monkeypatch):
    monkeypatch.setattr(fake_numpy, "sin", np.cos)
    value, grads = zp.withgradient(packed_arguments, x, 2.0, 3.0, scale=2.0, shift=0.5)
    assert value == pytest.approx(2 * np.sum(np.cos(x)) + 5.5)
    np.testing.assert_allclose(grads[0], -2 * np.sin(x))
    assert grads[1] == 1.0
    assert grads[2] == 1.0


def test_rebound_float_arguments(monkeypatch):
    assert zp.gradient(scalar_sine, 0.5)[0] == pytest.approx(np.cos(0.5) * 0.5 + np.sin(0.5))
    monkeypatch.setattr(fake_numpy, "sin", np.exp)
    assert zp.gradient(scalar_sine, 0.5)[0] == pytest.approx(np.exp(0.5) * 1.5)


def test_rebound_second_order(monkeypatch):
    monkeypatch.setattr(fake_numpy, "sin", np.cos)
    check_grads(sine_total, x, modes=("rev", "fwd"), order=2)
    hessian = zp.hessian(sine_total, x)
    np.testing.assert_allclose(hessian, np.diag(-np.cos(x)), atol=1e-12)


def sine_product(x):
    return fake_numpy.sum(fake_numpy.sin(x) * fake_numpy.sin(2 * x))


def test_generated_code_checks_bindings_once():
    lines = zp.source(sine_product).splitlines()
    guard = "if ((fake_numpy.sin is not sin_function) or (fake_numpy.sum is not sum_function)):"
    assert lines[1].strip() == guard
    assert sum("sin_function" in line for line in lines) == 1



# The real sine, kept before any test patches np.sin.
true_sine = np.sin


def cosine_total(x):
    return np.sum(np.cos(x))


def math_cosine(a):
    return math.cos(a) * 2.0


def test_patched_sine_leaves_cosine_gradient(monkeypatch):
    monkeypatch.setattr(np, "sin", np.exp)
    np.testing.assert_allclose(zp.gradient(cosine_total, x)[0], -true_sine(x))


def test_patched_math_sine_leaves_cosine_gradient(monkeypatch):
    monkeypatch.setattr(math, "sin", math.exp)
    assert zp.gradient(math_cosine, 0.5)[0] == pytest.approx(-2.0 * true_sine(0.5))
