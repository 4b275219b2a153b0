"""Tangents of Python's operators, for the `__zpf.binary` and `__zpf.unary` calls."""

import numpy as np

from .forward_dispatch import _from_reverse_rule


def binary(name, a, b, da, db):
    rule = _BINARY[name]
    return rule(a, b, da, db)


def _unbroadcast_like(t, y):
    if t is None:
        return None
    if isinstance(y, np.ndarray) and np.shape(t) != y.shape:
        return np.broadcast_to(t, y.shape)
    return t


def _add(a, b, da, db):
    y = a + b
    if isinstance(a, (list, tuple)):
        return y, _sequence_tangent(a, da) + _sequence_tangent(b, db)
    return y, _sum_tangents(da, db)


def _sequence_tangent(value, tangent):
    if tangent is None:
        return type(value)([None] * len(value)) if type(value) in (list, tuple) else \
            tuple([None] * len(value))
    return tangent


def _sum_tangents(*tangents):
    total = None
    for t in tangents:
        if t is not None:
            total = t if total is None else total + t
    return total


def _sub(a, b, da, db):
    return a - b, _sum_tangents(da, None if db is None else -db)


def _mul(a, b, da, db):
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        y = a * b
        sequence, count = (a, b) if isinstance(a, (list, tuple)) else (b, a)
        tangent = da if sequence is a else db
        return y, None if tangent is None else tangent * count
    return a * b, _sum_tangents(None if da is None else da * b, None if db is None else a * db)


def _truediv(a, b, da, db):
    y = a / b
    return y, _sum_tangents(None if da is None else da / b,
                            None if db is None else -db * y / b)


def _pow(a, b, da, db):
    from ..rules.builtins import power_derivative

    y = a ** b
    first = None
    if da is not None:
        local = power_derivative(a, b)
        first = da * local
        if not np.all(np.isfinite(local)):
            first = np.where(da == 0, 0 * local, first)
    second = None
    if db is not None:
        second = db * y * np.log(np.abs(np.where(a == 0, 1, a)))
    return y, _sum_tangents(first, second)


def _matmul(a, b, da, db):
    return a @ b, _sum_tangents(None if da is None else da @ b, None if db is None else a @ db)


def _mod(a, b, da, db):
    y = a % b
    return y, _sum_tangents(da, None if db is None else -db * np.floor_divide(a, b))


def _no_tangent(op):
    return lambda a, b, da, db: (op(a, b), None)


_BINARY = {
    "add": _add, "sub": _sub, "mul": _mul, "truediv": _truediv, "pow": _pow, "matmul": _matmul,
    "mod": _mod, "floordiv": _no_tangent(lambda a, b: a // b),
    "and_": _no_tangent(lambda a, b: a & b), "or_": _no_tangent(lambda a, b: a | b),
    "xor": _no_tangent(lambda a, b: a ^ b), "lshift": _no_tangent(lambda a, b: a << b),
    "rshift": _no_tangent(lambda a, b: a >> b),
}


def _overloaded_binary(name, a, b, da, db):
    from ..rules.builtins import OPERATOR_RULES

    return _from_reverse_rule(OPERATOR_RULES[name], (a, b), (da, db), {})


def binary_any(name, a, b, da, db):
    numeric = (np.ndarray, float, int, complex, np.generic)
    sequences = (list, tuple)
    if (isinstance(a, numeric) and isinstance(b, numeric)) or \
            (name in ("add", "mul") and (isinstance(a, sequences) or isinstance(b, sequences))):
        return _BINARY[name](a, b, da, db)
    return _overloaded_binary(name, a, b, da, db)


def unary(name, a, da):
    if name == "neg":
        return -a, None if da is None else -da
    if name == "pos":
        return +a, da
    from ..rules.builtins import OPERATOR_RULES

    return _from_reverse_rule(OPERATOR_RULES[name], (a,), (da,), {})


