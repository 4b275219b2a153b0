"""Rules outside the NumPy rule table, each checked through the compiler.

The table in tests/rules covers the NumPy and math rules. This file covers the operator,
container, checkpoint and higher-order rules, and its guard fails when one of those is
registered without a check here.
"""

import functools
import operator

import numpy as np
import pytest

import zygote_py as zp
from zygote_py import gradient
from zygote_py.rules import registry
from zygote_py.testing import check_grads

from tests.rules.rule_table import TABLE_MODULES, describe

rng = np.random.default_rng(5)
A = rng.standard_normal((3, 3))
v = rng.uniform(0.5, 1.5, 3)
w = rng.uniform(0.5, 1.5, 3)


def forward_and_reverse(f, *args):
    """Check reverse mode against finite differences, and forward mode against reverse."""
    check_grads(f, *args)
    tangents = tuple(rng.standard_normal(a.shape) for a in args)
    y, tangent = zp.jvp(f, args, tangents)
    cotangent = rng.standard_normal(np.shape(y))
    _, back = zp.pullback(f, *args)
    grads = back(cotangent if np.ndim(y) else float(cotangent))
    expected = sum(np.sum(g * t) for g, t in zip(grads, tangents) if g is not None)
    assert np.sum(cotangent * tangent) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def check_structural_gradient():
    class Pair:
        def __init__(self, a, b):
            self.a = a
            self.b = b

    (g,) = gradient(lambda p: np.sum(p.a * p.b), Pair(v, w))
    np.testing.assert_allclose(g.a, w)
    np.testing.assert_allclose(g.b, v)


def check_super():
    class Base:
        def __call__(self, x):
            return x * 2.0

    class Child(Base):
        def __call__(self, x):
            return super().__call__(x) + x

    assert gradient(lambda x: Child()(x), 1.5) == (3.0,)


def check_getattr():
    class Box:
        def __init__(self, value):
            self.value = value

    (g,) = gradient(lambda b: np.sum(getattr(b, "value") ** 2), Box(v))
    np.testing.assert_allclose(g.value, 2 * v)


def check_buffer():
    def fill(x):
        buffer = zp.Buffer(x)
        for i in range(len(x)):
            buffer[i] = x[i] ** 2
        return np.sum(buffer.copy() * w)

    check_grads(fill, v)


def check_bitwise():
    # Integer operators carry no gradient; the float operand still gets its own.
    assert gradient(lambda x, n: x * (n & 3) + x * (n | 1) + x * (n ^ 2) + x * (n << 1)
                    + x * (n >> 1), 2.0, 5) == (1.0 + 5.0 + 7.0 + 10.0 + 2.0, None)


def check_checkpointed():
    check_grads(lambda x: np.sum(zp.checkpointed(np.tanh, x) ** 2), v)


def check_hook():
    assert gradient(lambda a, b: zp.hook(np.negative, a) * b, 2.0, 3.0) == (-3.0, 2.0)


def check_nested_gradient():
    (g,) = gradient(lambda x: np.sum(gradient(lambda y: np.sum(y ** 3), x)[0]), v)
    np.testing.assert_allclose(g, 6 * v)


def check_cotangent_helpers():
    # The generated pullback calls these; a Hessian runs reverse and forward mode over them.
    def loss(x):
        scale = x[0]
        inner = lambda y: y * scale  # noqa: E731
        pair = (x, x * 2)
        table = {"a": x}
        return np.sum(inner(pair[1]) * table["a"])

    H = zp.hessian(loss, v)
    eps = 1e-5
    columns = [(gradient(loss, v + eps * e)[0] - gradient(loss, v - eps * e)[0]) / (2 * eps)
               for e in np.eye(3)]
    np.testing.assert_allclose(H, np.stack(columns, axis=1), rtol=1e-6, atol=1e-8)


COVERED = {
    "_operator.add": lambda: forward_and_reverse(lambda a, b: a + b * 1.5, A, v),
    "_operator.sub": lambda: forward_and_reverse(lambda a, b: np.sum((a - b) ** 2), A, v),
    "_operator.mul": lambda: forward_and_reverse(lambda a, b: np.sum(a * b * a), A, v),
    "_operator.truediv": lambda: forward_and_reverse(lambda a, b: np.sum(a / b), A, w),
    "_operator.floordiv": lambda: forward_and_reverse(lambda a: np.sum(a // 0.3 + a), v),
    "_operator.mod": lambda: forward_and_reverse(lambda a, b: np.sum(a % b), v * 3, w),
    "_operator.pow": lambda: forward_and_reverse(lambda a, b: np.sum(a ** b), v, w),
    "_operator.matmul": lambda: forward_and_reverse(lambda a, b: np.sum(np.sin(a @ b)), A, v),
    "_operator.neg": lambda: forward_and_reverse(lambda a, b: np.sum(-(a * b)), A, v),
    "_operator.pos": lambda: forward_and_reverse(lambda a, b: np.sum(+(a * b)), A, v),
    "_operator.and_": check_bitwise,
    "_operator.or_": check_bitwise,
    "_operator.xor": check_bitwise,
    "_operator.lshift": check_bitwise,
    "_operator.rshift": check_bitwise,
    "_operator.getitem": lambda: forward_and_reverse(lambda a: a[1:, [0, 2, 2]] * a[0, 1], A),
    "zygote_py.runtime.buffer.Buffer": check_buffer,
    "Buffer.copy": check_buffer,
    "builtins.zip": lambda: check_grads(lambda a, b: sum(x * y for x, y in zip(a, b)), v, w),
    "builtins.enumerate": lambda: check_grads(
        lambda a: sum(i * x for i, x in enumerate(a)), v),
    "builtins.reversed": lambda: check_grads(
        lambda a: np.sum(np.stack(list(reversed(a))) * w), v),
    "builtins.list": lambda: check_grads(lambda a: np.sum(np.stack(list(a)) ** 2), A),
    "builtins.tuple": lambda: check_grads(lambda a: tuple(a)[1] ** 2, [1.5, 2.5]),
    "builtins.dict": lambda: check_grads(lambda a, b: dict(x=a, y=b)["x"] * b, 1.5, 2.5),
    "builtins.sorted": lambda: check_grads(lambda a: sorted(a)[0] * 3 + sorted(a)[-1],
                                           [2.5, 1.5, 3.5]),
    "builtins.map": lambda: check_grads(lambda a: sum(map(np.sin, a)), [1.5, 2.5]),
    "builtins.filter": lambda: check_grads(
        lambda a: sum(filter(lambda x: x > 2.0, a)) * 2, [1.5, 2.5, 3.5]),
    "_functools.reduce": lambda: check_grads(
        lambda a: functools.reduce(operator.mul, a, 1.0), [1.5, 2.5, 0.5]),
    "builtins.getattr": check_getattr,
    "builtins.divmod": lambda: check_grads(lambda a: divmod(a, 0.7)[1] * a, 2.3),
    "builtins.super": check_super,
    "dict.items": lambda: check_grads(
        lambda d: sum(value * value for key, value in d.items()), {"a": 1.5, "b": 2.5}),
    "dict.values": lambda: check_grads(lambda d: sum(d.values()) ** 2, {"a": 1.5, "b": 2.5}),
    "dict.get": lambda: check_grads(lambda d: d.get("a") * d.get("z", 2.0), {"a": 1.5}),
    "dict.copy": lambda: check_grads(lambda d: d.copy()["a"] ** 3, {"a": 1.5}),
    "list.copy": lambda: check_grads(lambda a: a.copy()[1] ** 3, [1.5, 2.5]),
    "zygote_py.checkpoint.checkpointed": check_checkpointed,
    "zygote_py.checkpoint.hook": check_hook,
    "zygote_py.api.gradient": check_nested_gradient,
    "zygote_py.runtime.containers.closure_cotangent": check_cotangent_helpers,
    "zygote_py.runtime.containers.field_cotangent": check_cotangent_helpers,
    "zygote_py.runtime.containers.sequence_cotangent": check_cotangent_helpers,
    "zygote_py.runtime.containers.dict_cotangent": check_cotangent_helpers,
    "zygote_py.runtime.structures.Structural": check_structural_gradient,
}


def rules_outside_table():
    keys = set()
    for primal, rule in registry._rules.items():
        if _ours(rule) and not isinstance(primal, tuple):
            keys.add(describe(primal))
    for (cls, name), rule in registry._method_rules.items():
        if _ours(rule) and not registry.is_non_differentiable_method(rule):
            keys.add(f"{cls.__name__}.{name}")
    return keys


def _ours(rule):
    # flux registers its own rules, which tests/flux checks.
    module = rule.__module__ or ""
    return module.startswith("zygote_py") and module not in TABLE_MODULES


def test_every_rule_outside_table_is_checked():
    missing = sorted(rules_outside_table() - set(COVERED))
    assert not missing, f"rules without a check in this file: {missing}"


@pytest.mark.parametrize("key", sorted(COVERED))
def test_rule_outside_table(key):
    COVERED[key]()
