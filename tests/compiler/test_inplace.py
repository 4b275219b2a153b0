"""In-place sums of gradients that repeat inside loops."""

import numpy as np
import pytest

import zygote_py as zp
from zygote_py.runtime.accumulate import accumulate_owned
from zygote_py.testing import check_grads

rng = np.random.default_rng(7)
W = rng.standard_normal((3, 3)) * 0.5
x = np.array([0.3, -0.2, 0.5])


def recurrent(W, x):
    h = x
    for _ in range(5):
        h = np.tanh(W @ h + x)
    return np.sum(h ** 2)


def shared_in_loop(W, x):
    total = 0.0
    h = x
    for k in range(4):
        passed = h + 0.0
        doubled = passed + h
        total = total + np.sum(doubled * x) + np.sum(W * k)
        h = np.sin(W @ doubled)
    return total


def straight_line(W, x):
    a = W @ x
    b = W @ a
    return np.sum(a * b)


def test_loop_sums_in_place():
    assert "accumulate_owned" in zp.source(recurrent)


def test_straight_line_sums_allocate():
    assert "accumulate_owned" not in zp.source(straight_line)


@pytest.mark.parametrize("program", [recurrent, shared_in_loop, straight_line])
def test_gradients_with_in_place_sums(program):
    check_grads(program, W, x, modes=("rev", "fwd"), order=2)


def test_repeated_calls_give_the_same_gradient():
    first = zp.gradient(shared_in_loop, W, x)
    second = zp.gradient(shared_in_loop, W, x)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_accumulate_owned_adds_into_owned_array():
    a = np.ones(3)
    total, owned = accumulate_owned(a, np.full(3, 2.0), True)
    assert total is a
    assert owned
    np.testing.assert_array_equal(a, [3.0, 3.0, 3.0])


def test_accumulate_owned_copies_otherwise():
    a = np.ones(3)
    total, owned = accumulate_owned(a, np.full(3, 2.0), False)
    assert total is not a
    assert owned
    np.testing.assert_array_equal(a, [1.0, 1.0, 1.0])
    mixed, mixed_owned = accumulate_owned(total, np.ones(3, dtype=np.float32), True)
    assert mixed is not total
    assert mixed_owned
    np.testing.assert_array_equal(total, [3.0, 3.0, 3.0])
