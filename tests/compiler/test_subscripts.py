"""Reads `x[i]` of arrays, lists, dicts, buffers and user classes inside loops."""

import gc
import types

import numpy as np
import pytest

import zygote_py as zp
from zygote_py.testing import check_grads


def squares_by_index(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] ** 2
    return total


def reads_with_reassigned_index(x):
    total = 0.0
    i = 0
    while i < 3:
        total = total + x[i] * x[2 - i]
        i += 1
    return total


def reads_from_list_and_dict(values, table):
    total = 0.0
    for k in range(len(values)):
        total = total + values[k] * table["scale"]
    return total


def reads_from_buffer(x):
    buffer = zp.Buffer(np.zeros(3))
    total = 0.0
    for i in range(3):
        buffer[i] = x[i] * 2.0
        total = total + buffer[i] * x[i]
        buffer[i] = 0.0
    return total


read_log = []


@zp.non_differentiable
def log_read(index):
    read_log.append(index)


class Doubling:
    def __init__(self, values):
        self.values = values

    def __getitem__(self, index):
        log_read(index)
        return self.values[index] * 2.0


def reads_from_user_class(x, wrapper):
    total = 0.0
    for i in range(3):
        total = total + wrapper[i] * x[i]
    return total


x = np.array([0.5, -1.5, 2.0])


def test_array_reads_in_loop():
    check_grads(squares_by_index, x, modes=("rev", "fwd"), order=2)
    np.testing.assert_allclose(zp.gradient(squares_by_index, x)[0], 2 * x)


def test_reassigned_index_is_kept_per_read():
    check_grads(reads_with_reassigned_index, x)
    expected = np.array([2 * x[2], 2 * x[1], 2 * x[0]])
    np.testing.assert_allclose(zp.gradient(reads_with_reassigned_index, x)[0], expected)


def test_list_and_dict_reads():
    grads = zp.gradient(reads_from_list_and_dict, [1.5, 2.5], {"scale": 3.0})
    assert grads[0] == [3.0, 3.0]
    assert grads[1]["scale"] == pytest.approx(4.0)


def test_buffer_read_sees_value_at_read_time():
    check_grads(reads_from_buffer, x)
    np.testing.assert_allclose(zp.gradient(reads_from_buffer, x)[0], 4 * x)


def test_user_getitem_runs_once_per_read():
    wrapper = Doubling(np.array([1.0, 2.0, 3.0]))
    read_log.clear()
    value, grads = zp.withgradient(reads_from_user_class, x, wrapper)
    assert value == pytest.approx(np.sum(2 * wrapper.values * x))
    assert read_log == [0, 1, 2]
    np.testing.assert_allclose(grads[0], 2 * wrapper.values)
    np.testing.assert_allclose(grads[1]["values"], 2 * x)


def test_integer_array_read_has_no_gradient():
    def scaled_count(x, counts):
        total = 0.0
        for i in range(2):
            total = total + x[i] * counts[i]
        return total

    grads = zp.gradient(scaled_count, x, np.array([2, 3]))
    np.testing.assert_allclose(grads[0], [2.0, 3.0, 0.0])
    assert grads[1] is None


def test_loop_of_reads_keeps_no_closures():
    # The tape of a read loop keeps indices and a shared marker, which the garbage collector
    # does not track.
    big = np.arange(2000.0)
    _, back = zp.pullback(squares_by_index, big)
    tracked = gc.get_objects()
    closures = [obj for obj in tracked if type(obj) is types.FunctionType
                and obj.__name__ == "array_getitem_back"]
    assert closures == []
    np.testing.assert_allclose(back(1.0)[0], 2 * big)



def linear_read(x):
    return x[0] * 2.0 + x[1]


def test_hessian_of_linear_reads_is_zero():
    np.testing.assert_array_equal(zp.hessian(linear_read, x), np.zeros((3, 3)))


def test_hessian_of_product_of_reads():
    def product(x):
        return x[0] * x[1]

    expected = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(zp.hessian(product, x), expected)


def test_gradient_penalty_through_reads():
    def inner(v):
        return v[0] * 2.0 + v[1] ** 2

    def penalty(v):
        return np.sum(zp.gradient(inner, v)[0] ** 2) + np.sum(v ** 2)

    v = np.array([0.5, 0.3])
    # The inner gradient is (2, 2 v1), so the penalty is 4 + 4 v1^2 + v0^2 + v1^2.
    np.testing.assert_allclose(zp.gradient(penalty, v)[0], [2 * 0.5, 10 * 0.3])


def repeated_buffer_reads(x):
    buffer = zp.Buffer(x)
    for i in range(3):
        buffer[i] = x[i] * 2.0
    total = np.sum(buffer.copy())
    for k in range(6):
        total = total + buffer[k % 3] * x[k % 3]
    return total


def test_repeated_buffer_reads_accumulate():
    check_grads(repeated_buffer_reads, x)
    # total = sum(2 x) + 2 * sum(2 x^2), so d/dx = 2 + 8 x.
    np.testing.assert_allclose(zp.gradient(repeated_buffer_reads, x)[0], 2 + 8 * x)


def dict_reads_and_methods(d):
    total = 0.0
    for key in d:
        total = total + d[key] * d[key]
    for value in d.values():
        total = total + 3.0 * value
    return total + d.get("b") * d["a"]


def test_dict_reads_mixed_with_methods():
    d = {"a": 1.5, "b": -0.5, "c": 2.0}
    (g,) = zp.gradient(dict_reads_and_methods, d)
    assert list(g) == ["a", "b", "c"]
    assert g["a"] == pytest.approx(2 * 1.5 + 3.0 - 0.5)
    assert g["b"] == pytest.approx(2 * -0.5 + 3.0 + 1.5)
    assert g["c"] == pytest.approx(2 * 2.0 + 3.0)


def test_dict_of_arrays_read_in_loop():
    def weighted(d):
        total = 0.0
        for key in ("w", "v", "w"):
            total = total + np.sum(d[key] ** 2)
        return total

    d = {"w": np.array([1.0, 2.0]), "v": np.array([3.0])}
    (g,) = zp.gradient(weighted, d)
    np.testing.assert_allclose(g["w"], 4 * d["w"])
    np.testing.assert_allclose(g["v"], 2 * d["v"])


def test_gradient_of_many_dict_reads():
    # Each read adds one key; the sparse gradient keeps that from copying the whole dict.
    d = {f"k{j}": float(j) for j in range(20_000)}

    def squares(table):
        total = 0.0
        for key in table:
            total = total + table[key] * table[key]
        return total

    (g,) = zp.gradient(squares, d)
    assert g["k7"] == 14.0
    assert len(g) == 20_000
