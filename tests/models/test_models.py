"""Gradients through models: Params/Grads, objects, closures and in-place updates."""

import collections
import dataclasses
import functools

import numpy as np
import pytest

import zygote_py as zp
from zygote_py import Grads, MutationError, Params, gradient
from zygote_py.testing import check_grads

rng = np.random.default_rng(7)


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)


class Sequential:
    def __init__(self, *layers):
        self.layers = list(layers)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class ScaledAffine(Affine):
    def __init__(self, W, b, scale):
        super().__init__(W, b)
        self.scale = scale

    def __call__(self, x):
        return super().__call__(x) * self.scale


class WithProperty:
    def __init__(self, w):
        self.w = w

    @property
    def doubled(self):
        return self.w * 2

    def apply(self, x):
        return self.helper(x) + self.doubled

    def helper(self, x):
        return x * self.w

    @staticmethod
    def static_square(x):
        return x * x

    @classmethod
    def from_class(cls, x):
        return x * 3


@dataclasses.dataclass
class Point:
    x: float
    y: float


@dataclasses.dataclass(frozen=True)
class FrozenPoint:
    x: float
    y: float


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


Pair = collections.namedtuple("Pair", ["left", "right"])


def mse(model, x, y):
    return np.sum((model(x) - y) ** 2)


def test_params_set_semantics():
    W, b = np.ones((2, 2)), np.zeros(2)
    ps = Params([W, b, W])
    assert len(ps) == 2
    assert W in ps
    assert np.ones((2, 2)) not in ps
    ps.append(np.zeros(3))
    assert len(ps) == 3
    assert list(ps)[0] is W
    assert repr(Params([W])) == "Params([float64[2, 2]])"


def test_params_flat_round_trip():
    W, b = np.arange(4.0).reshape(2, 2), np.array([5.0, 6.0])
    ps = Params([W, b])
    flat = ps.flat()
    np.testing.assert_array_equal(flat, [0, 1, 2, 3, 5, 6])
    ps.copy_from(flat * 2)
    np.testing.assert_array_equal(W, [[0, 2], [4, 6]])
    with pytest.raises(ValueError, match="6 values"):
        ps.copy_from(np.zeros(5))


def test_implicit_gradient_through_attributes():
    W, b = rng.standard_normal((2, 3)), rng.standard_normal(2)
    model = Sequential(Affine(W, b))
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    gs = gradient(lambda: mse(model, x, y), Params([W, b]))
    gW, gb = gradient(lambda W, b: mse(Affine(W, b), x, y), W, b)
    np.testing.assert_allclose(gs[W], gW)
    np.testing.assert_allclose(gs[b], gb)


def test_parameter_read_twice_sums():
    w = np.array([2.0])
    gs = gradient(lambda: np.sum(w * w), Params([w]))
    np.testing.assert_allclose(gs[w], [4.0])


def test_parameter_never_read_is_none():
    w, unused = np.array([2.0]), np.array([1.0])
    gs = gradient(lambda: np.sum(w * 3), Params([w, unused]))
    assert gs[unused] is None
    np.testing.assert_allclose(gs[w], [3.0])


def test_non_member_lookup_names_shape():
    w = np.array([2.0])
    gs = gradient(lambda: np.sum(w * 3), Params([w]))
    with pytest.raises(KeyError, match=r"shape \(3,\) and dtype float32"):
        gs[np.zeros(3, np.float32)]


def test_model_in_list_in_dict():
    W, b = rng.standard_normal((2, 2)), rng.standard_normal(2)
    registry = {"models": [Affine(W, b)]}
    x = rng.standard_normal(2)
    gs = gradient(lambda: np.sum(registry["models"][0](x)), Params([W, b]))
    gW, gb = gradient(lambda W, b: np.sum(Affine(W, b)(x)), W, b)
    np.testing.assert_allclose(gs[W], gW)
    np.testing.assert_allclose(gs[b], gb)


def test_captured_array_in_params():
    w = np.array([1.5, -0.5])

    def make_loss():
        def loss(x):
            return np.sum(w * x)

        return loss

    loss = make_loss()
    x = np.array([2.0, 3.0])
    gs = gradient(lambda: loss(x), Params([w]))
    np.testing.assert_allclose(gs[w], x)


def test_gradient_decorator_form():
    w = np.array([1.0, 2.0])
    x = np.array([3.0, 4.0])

    @gradient(Params([w]))
    def gs():
        return np.sum(w * x)

    assert isinstance(gs, Grads)
    np.testing.assert_allclose(gs[w], x)


def test_grads_arithmetic_and_repr():
    w = np.array([1.0, 2.0])
    ps = Params([w])
    gs = gradient(lambda: np.sum(w * 3), ps)
    np.testing.assert_allclose((gs + gs)[w], [6.0, 6.0])
    np.testing.assert_allclose((gs * 2)[w], [6.0, 6.0])
    assert w in gs
    assert len(gs.keys()) == 1
    assert repr(gs) == "Grads(float64[2] => float64[2])"


def test_float32_parameters_give_float32():
    W = rng.standard_normal((2, 2)).astype(np.float32)
    x = rng.standard_normal(2).astype(np.float32)
    gs = gradient(lambda: np.sum(np.tanh(W @ x)), Params([W]))
    assert gs[W].dtype == np.float32


def test_explicit_structural_gradient():
    W, b = rng.standard_normal((2, 3)), rng.standard_normal(2)
    model = Sequential(Affine(W, b), np.sin)
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    (g,) = gradient(lambda m: mse(m, x, y), model)
    gW, gb = gradient(lambda W, b: mse(Sequential(Affine(W, b), np.sin), x, y), W, b)
    np.testing.assert_allclose(g.layers[0].W, gW)
    np.testing.assert_allclose(g["layers"][0]["b"], gb)
    assert g.layers[1] is None


def test_method_calling_super():
    W, b = rng.standard_normal((2, 2)), rng.standard_normal(2)
    x = rng.standard_normal(2)
    (g,) = gradient(lambda m: np.sum(m(x)), ScaledAffine(W, b, 2.0))
    expected = gradient(lambda W, b: np.sum(np.tanh(W @ x + b) * 2.0), W, b)
    np.testing.assert_allclose(g.W, expected[0])
    assert g.scale == pytest.approx(np.sum(np.tanh(W @ x + b)))


def test_properties_methods_static_and_class_methods():
    obj = WithProperty(3.0)
    (g,) = gradient(lambda o, x: o.apply(x), obj, 2.0)[:1]
    assert g.w == pytest.approx(2.0 + 2.0)
    assert gradient(lambda x: WithProperty.static_square(x), 3.0) == (6.0,)
    assert gradient(lambda x: WithProperty.from_class(x), 3.0) == (3.0,)


def test_dataclasses_and_slots_and_namedtuples():
    assert gradient(lambda p: p.x * p.y, Point(2.0, 3.0))[0].x == 3.0
    assert gradient(lambda p: p.x * p.y, FrozenPoint(2.0, 3.0))[0].y == 2.0
    assert gradient(lambda s: s.a * s.b, Slotted(2.0, 3.0))[0].a == 3.0
    (g,) = gradient(lambda p: p.left * p.right + p[0], Pair(2.0, 3.0))
    assert g == Pair(4.0, 2.0)


def test_object_built_inside_function():
    assert gradient(lambda a, b: (lambda c: c.x * c.y)(Point(a, b)), 2.0, 3.0) == (3.0, 2.0)


def test_closures_and_higher_order():
    x = np.array([1.0, 2.0])
    check_grads(lambda x: np.sum(np.stack(list(map(np.sin, [x, x * 2])))), x)
    check_grads(lambda x: functools.reduce(lambda a, b: a * b, [x, x, x]).sum(), x)

    def apply(f, v):
        return f(v)

    check_grads(lambda x: apply(np.exp, x).sum(), x)
    check_grads(lambda x: functools.partial(np.multiply, 3.0)(x).sum(), x)


def test_lambda_stored_in_attribute():
    class Holder:
        def __init__(self):
            self.activation = lambda v: v * v

    holder = Holder()
    assert gradient(lambda x: holder.activation(x), 3.0) == (6.0,)


def test_withgradient_and_pullback_accept_models():
    W, b = rng.standard_normal((2, 2)), rng.standard_normal(2)
    model = Affine(W, b)
    x = rng.standard_normal(2)
    value, (g,) = zp.withgradient(lambda m: np.sum(m(x)), model)
    assert value == pytest.approx(np.sum(model(x)))
    y, back = zp.pullback(lambda m: m(x), model)
    (g2,) = back(np.ones(2))
    np.testing.assert_allclose(g.W, g2.W)


def test_loop_fills_output():
    def f(x):
        out = np.zeros(4)
        for i in range(4):
            out[i] = x[i] ** 2
        return out.sum()

    x = rng.standard_normal(4)
    (g,) = gradient(f, x)
    np.testing.assert_allclose(g, 2 * x)


def test_setitem_variants():
    def f(x):
        out = np.zeros((3, 3))
        out[0] = x
        out[:, 1] += x
        out[out > 100] = 0.0
        np.copyto(out, out * 2)
        return np.sum(out ** 2)

    check_grads(f, rng.standard_normal(3))


def test_list_and_dict_mutation():
    def f(x):
        rows = []
        rows.append(x)
        rows.extend([x * 2, x * 3])
        rows.insert(0, x * 4)
        last = rows.pop()
        table = {}
        table["a"] = last
        table.update({"b": x})
        return np.sum(np.stack(rows)) + np.sum(table["a"] * table["b"])

    check_grads(f, rng.standard_normal(3))


def test_mutating_argument_raises():
    def write_argument(x):
        x[0] = 1.0
        return np.sum(x)

    with pytest.raises(MutationError) as info:
        gradient(write_argument, np.ones(3))
    assert info.value.filename == __file__
    assert info.value.lineno == write_argument.__code__.co_firstlineno + 1
    assert "zygote_py.Buffer" in str(info.value)


def test_mutating_attribute_raises():
    class Box:
        def __init__(self):
            self.value = 0.0

    box = Box()

    def write_attribute(x):
        box.value = x
        return x

    with pytest.raises(MutationError) as info:
        gradient(write_attribute, 1.0)
    assert info.value.lineno == write_attribute.__code__.co_firstlineno + 1
    assert "np.where" in str(info.value)


def test_mutating_global_raises():
    def write_global(x):
        STORE[0] = x
        return x

    with pytest.raises(MutationError) as info:
        gradient(write_global, 1.0)
    assert info.value.lineno == write_global.__code__.co_firstlineno + 1


def test_mutating_alias_raises():
    def write_alias(x):
        a = np.zeros(3)
        b = a
        a[0] = x
        return np.sum(b)

    with pytest.raises(MutationError) as info:
        gradient(write_alias, 1.0)
    assert info.value.lineno == write_alias.__code__.co_firstlineno + 3
    assert "another name" in str(info.value)


STORE = [0.0]


def test_buffer_fill_loop():
    def f(x):
        buf = zp.Buffer(x)
        for i in range(len(x)):
            buf[i] = x[i] * x[i]
        buf[0] = buf[0] * 3
        return np.sum(buf.copy() * np.arange(1.0, 5.0))

    x = rng.standard_normal(4)
    check_grads(f, x)
    (g,) = gradient(f, x)
    expected = 2 * x * np.arange(1.0, 5.0)
    expected[0] *= 3
    np.testing.assert_allclose(g, expected)


def test_differentiable_closure_in_implicit_mode():
    W = rng.standard_normal((2, 2))
    model = Affine(W, np.zeros(2))

    @zp.differentiable
    def loss(x):
        return np.sum(model(x))

    x = rng.standard_normal(2)
    gs = gradient(lambda: loss(x), Params([W]))
    expected = gradient(lambda W: np.sum(np.tanh(W @ x)), W)[0]
    np.testing.assert_allclose(gs[W], expected)


def test_structural_field_named_like_method():
    class Basket:
        def __init__(self, items, weight):
            self.items = items
            self.weight = weight

    (g,) = gradient(lambda b: b.items * b.weight, Basket(2.0, 3.0))
    assert g["items"] == 3.0
    assert g.weight == 2.0


def test_augmented_assignment_through_alias_raises():
    def alias(a, x):
        b = a
        a += x
        return np.sum(b * x)

    with pytest.raises(MutationError) as info:
        gradient(alias, np.ones(3), np.arange(3.0))
    assert info.value.lineno == alias.__code__.co_firstlineno + 2
    assert "copy" in str(info.value)


def test_augmented_assignment_on_view_raises():
    def view(M, x):
        row = M[0]
        row += x
        return np.sum(M * x)

    with pytest.raises(MutationError):
        gradient(view, np.ones((2, 3)), np.arange(3.0))


def test_augmented_assignment_on_float_argument_is_fine():
    def scale(v):
        v *= 3.0
        return v * v

    assert gradient(scale, 2.0) == (36.0,)


def test_write_into_reshaped_argument_raises():
    def reshaped(y):
        m = y.reshape(3, 1)
        m[1, 0] = 0.0
        return np.sum(y ** 2)

    with pytest.raises(MutationError):
        gradient(reshaped, np.ones(3))


def test_out_keyword_raises():
    def writes_out(x):
        y = np.zeros(3)
        np.multiply(x, 2.0, out=y)
        return np.sum(y)

    with pytest.raises(MutationError, match="out="):
        gradient(writes_out, np.ones(3))


def test_dict_gradient_keeps_key_order():
    def weighted(d):
        return d["a"] * 1.0 + d["b"] * 2.0 + d["c"] * 3.0

    (g,) = gradient(weighted, {"a": 1.0, "b": 2.0, "c": 3.0})
    assert list(g) == ["a", "b", "c"]
    assert g == {"a": 1.0, "b": 2.0, "c": 3.0}
