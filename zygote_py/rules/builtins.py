"""Rules for Python's operators: arithmetic, `@`, `**`, unary minus and subscript reads.

The compiler calls these rules directly for `a + b`, `-a`, `x[i]` and the like, so they
handle NumPy arrays, NumPy and Python scalars, lists and tuples (`+` concatenates), and
defer to the object's own method for user classes that overload an operator.
"""

import numbers
import operator

import numpy

from ..runtime.accumulate import IndexedGradient
from ..runtime.broadcast import unbroadcast
from ..runtime.buffer import Buffer, buffer_copy, buffer_getitem
from .frozen import frozen
from .registry import register_method_rule, register_non_differentiable, register_rule

# Rules compute derivatives with the functions as they were at import (see `frozen`).
np = frozen(numpy)


def _dense(dy):
    return dy.dense() if type(dy) is IndexedGradient else dy


_NUMERIC_TYPES = frozenset({float, int, np.ndarray, np.float64, np.float32, complex})


def _is_numeric(x):
    return type(x) in _NUMERIC_TYPES or isinstance(x, (np.ndarray, numbers.Number, np.generic))


def _overloaded(name, a, b=None, reflected=None):
    """Run a user class's own operator method through the dispatcher."""
    from ..runtime.dispatch import call_method

    if b is None:
        y, back = call_method(a, name)
        return y, (None if back is None else lambda dy: (back(dy)[0],))
    if not _is_numeric(a) and hasattr(type(a), name):
        y, back = call_method(a, name, b)
        if y is not NotImplemented:
            return y, (None if back is None else lambda dy: tuple(back(dy)[:2]))
    y, back = call_method(b, reflected, a)
    return y, (None if back is None else lambda dy: tuple(reversed(back(dy)[:2])))


def _sequence_concat(a, b):
    y = a + b
    size = len(a)

    def concat_back(dy):
        dy = _dense(dy)
        return type(a)(dy[:size]), type(b)(dy[size:])

    return y, concat_back


@register_rule(operator.add)
def add_rule(a, b):
    if not (_is_numeric(a) and _is_numeric(b)):
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return _sequence_concat(a, b)
        return _overloaded("__add__", a, b, "__radd__")
    y = a + b

    def add_back(dy):
        dy = _dense(dy)
        return unbroadcast(dy, a), unbroadcast(dy, b)

    return y, add_back


@register_rule(operator.sub)
def sub_rule(a, b):
    if not (_is_numeric(a) and _is_numeric(b)):
        return _overloaded("__sub__", a, b, "__rsub__")
    y = a - b

    def sub_back(dy):
        dy = _dense(dy)
        return unbroadcast(dy, a), unbroadcast(-dy, b)

    return y, sub_back


@register_rule(operator.mul)
def mul_rule(a, b):
    if not (_is_numeric(a) and _is_numeric(b)):
        if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
            return _sequence_repeat(a, b)
        return _overloaded("__mul__", a, b, "__rmul__")
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        return _UFUNC_OF_OPERATOR["mul"](a, b)
    y = a * b

    def mul_back(dy):
        dy = _dense(dy)
        return unbroadcast(dy * b, a), unbroadcast(dy * a, b)

    return y, mul_back


def _sequence_repeat(a, b):
    sequence, times = (a, b) if isinstance(a, (list, tuple)) else (b, a)
    y = a * b
    size = len(sequence)

    def repeat_back(dy):
        dy = _dense(dy)
        parts = [None] * size
        from ..runtime.accumulate import accumulate

        for index, g in enumerate(dy):
            parts[index % size] = accumulate(parts[index % size], g)
        grad = type(sequence)(parts)
        return (grad, None) if sequence is a else (None, grad)

    return y, repeat_back


@register_rule(operator.truediv)
def truediv_rule(a, b):
    if not (_is_numeric(a) and _is_numeric(b)):
        return _overloaded("__truediv__", a, b, "__rtruediv__")
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        return _UFUNC_OF_OPERATOR["truediv"](a, b)
    y = a / b

    def truediv_back(dy):
        dy = _dense(dy)
        da = unbroadcast(dy / b, a)
        db = unbroadcast(-dy * y / b, b) if _differentiable(b) else None
        return da, db

    return y, truediv_back


@register_rule(operator.floordiv)
def floordiv_rule(a, b):
    if not (_is_numeric(a) and _is_numeric(b)):
        return _overloaded("__floordiv__", a, b, "__rfloordiv__")
    # Piecewise constant: the gradient is zero almost everywhere.
    return a // b, None


@register_rule(operator.mod)
def mod_rule(a, b):
    if isinstance(a, str):
        return a % b, None
    if not (_is_numeric(a) and _is_numeric(b)):
        return _overloaded("__mod__", a, b, "__rmod__")
    y = a % b

    def mod_back(dy):
        dy = _dense(dy)
        db = unbroadcast(-dy * np.floor_divide(a, b), b) if _differentiable(b) else None
        return unbroadcast(dy, a), db

    return y, mod_back


def _differentiable(x):
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        return np.issubdtype(x.dtype, np.inexact)
    return isinstance(x, (float, complex))


@register_rule(operator.pow)
def pow_rule(a, b):
    if not (_is_numeric(a) and _is_numeric(b)):
        return _overloaded("__pow__", a, b, "__rpow__")
    y = a ** b

    def pow_back(dy):
        dy = _dense(dy)
        da = None
        if _differentiable(a):
            local = power_derivative(a, b)
            # Integer exponents of at least 1 have a finite derivative everywhere.
            finite = not np.ndim(b) and b >= 1 and b == int(b)
            da = unbroadcast(dy * local if finite else _zero_where_no_cotangent(dy, local), a)
        db = None
        if _differentiable(b):
            # d(a**b)/db = a**b * log(a); at a == 0 the limit is 0 for b > 0. A negative base
            # gives the real part, log|a|.
            db = unbroadcast(dy * y * np.log(np.abs(np.where(a == 0, 1, a))), b)
        return da, db

    return y, pow_back


def power_derivative(a, b):
    """d(a**b)/da, taking the limit at a == 0: 0 for b > 1 or b == 0, 1 for b == 1, else inf."""
    if not np.ndim(b) and b == 0:
        return np.zeros_like(a * 1.0)
    if not np.ndim(b) and b == 1:
        return np.ones_like(a * 1.0)
    if not np.ndim(b) and b == 2:
        return 2 * a
    safe = np.where(a == 0, 1, a)
    away = b * safe ** (b - 1)
    at_zero = np.where(b > 1, 0.0, np.where(b == 1, 1.0, np.where(b == 0, 0.0, np.inf)))
    return np.where(a == 0, at_zero, away)


def _zero_where_no_cotangent(dy, local):
    product = dy * local
    if np.all(np.isfinite(local)):
        return product
    return np.where(dy == 0, np.zeros_like(product), product)


@register_rule(operator.matmul)
def matmul_rule(a, b):
    if not (_is_numeric(a) and _is_numeric(b)):
        return _overloaded("__matmul__", a, b, "__rmatmul__")
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        return _UFUNC_OF_OPERATOR["matmul"](a, b)
    y = a @ b

    def matmul_back(dy):
        dy = _dense(dy)
        return matmul_gradients(dy, a, b)

    return y, matmul_back


def matmul_gradients(dy, a, b, need_a=True, need_b=True):
    """Return the gradients of `a @ b` for every combination of 1-D and N-D operands."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.ndim == 2 and b_arr.ndim == 2:
        da = unbroadcast(dy @ b_arr.T, a) if need_a else None
        db = unbroadcast(a_arr.T @ dy, b) if need_b else None
        return da, db
    if a_arr.ndim == 1 and b_arr.ndim == 1:
        return unbroadcast(dy * b_arr, a), unbroadcast(dy * a_arr, b)
    if a_arr.ndim == 1:
        da = np.matmul(b_arr, dy[..., None])[..., 0] if b_arr.ndim > 2 else b_arr @ dy
        db = a_arr[:, None] * dy[..., None, :]
        return unbroadcast(da, a), unbroadcast(db, b)
    if b_arr.ndim == 1:
        da = dy[..., :, None] * b_arr
        db = np.swapaxes(a_arr, -1, -2) @ dy[..., :, None] if a_arr.ndim > 2 else a_arr.T @ dy
        if a_arr.ndim > 2:
            db = db[..., 0]
        return unbroadcast(da, a), unbroadcast(db, b)
    da = dy @ np.swapaxes(b_arr, -1, -2)
    db = np.swapaxes(a_arr, -1, -2) @ dy
    return unbroadcast(da, a), unbroadcast(db, b)


@register_rule(operator.neg)
def neg_rule(a):
    if not _is_numeric(a):
        return _overloaded("__neg__", a)
    return -a, lambda dy: (unbroadcast(-_dense(dy), a),)


@register_rule(operator.pos)
def pos_rule(a):
    if not _is_numeric(a):
        return _overloaded("__pos__", a)
    return +a, lambda dy: (unbroadcast(_dense(dy), a),)


def _bitwise(op):
    def bitwise_rule(a, b):
        return op(a, b), None

    bitwise_rule.__name__ = f"{op.__name__.rstrip('_')}_rule"
    return bitwise_rule


for _op in (operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift):
    register_rule(_op, _bitwise(_op))


@register_rule(operator.getitem)
def getitem_rule(x, index):
    if not isinstance(x, _BUILTIN_INDEXABLE):
        # A class's own __getitem__ is differentiated, and it runs once, through the dispatcher.
        from ..runtime.dispatch import call_method

        y, back = call_method(x, "__getitem__", index)
        return y, (None if back is None else lambda dy: tuple(back(dy)[:2]))
    y = x[index]
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.inexact):
            return y, None
        shape, dtype = x.shape, x.dtype

        def array_getitem_back(dy):
            return IndexedGradient(shape, dtype, [(index, _dense(dy))]), None

        return y, array_getitem_back
    if isinstance(x, (list, tuple)):
        size = len(x)
        kind = type(x)
        if isinstance(index, (int, np.integer)):
            def item_back(dy):
                return IndexedGradient(size, kind, [(int(index), dy)]), None

            return y, item_back

        def slice_back(dy):
            dy = _dense(dy)
            parts = [None] * size
            positions = range(size)[index]
            for position, g in zip(positions, dy):
                parts[position] = g
            return _rebuild_sequence(kind, parts), None

        return y, slice_back
    if isinstance(x, dict):
        return y, lambda dy: ({index: dy}, None)
    if isinstance(x, Buffer):
        return buffer_getitem(x, index)
    # Strings, bytes, ranges and NumPy scalars carry no gradient.
    return y, None


# Stands in for the pullback of a subscript that `subscript_pullback` builds from the
# operands: an array, list, tuple or dict, whose gradient needs no user code.
FROM_OPERANDS = object()
PLAIN_CONTAINERS = frozenset({np.ndarray, list, tuple, dict})


def subscript(x, index):
    """Return `(x[index], back)` for the inlined `x[index]` of a variable `x`.

    For plain containers `back` is a shared marker, so a loop of reads keeps only its
    indices on the tape rather than a closure per read. The backward pass then calls
    `subscript_pullback`. Any other `x` (a Buffer, a class with `__getitem__`) runs its rule
    now, because its pullback depends on the state at the time of the read.
    """
    if type(x) in PLAIN_CONTAINERS:
        return x[index], FROM_OPERANDS
    return getitem_rule(x, index)


def subscript_pullback(back, dy, x, index):
    """Return the gradient of `x` from a read `x[index]` that `subscript` recorded."""
    if back is not FROM_OPERANDS:
        return back(dy)[0]
    if type(x) is np.ndarray:
        if x.dtype.kind not in "fc":
            return None
        return IndexedGradient(x.shape, x.dtype, [(index, _dense(dy))])
    if type(x) is dict:
        # Sparse like an array's, so a loop over n keys adds in O(n) rather than O(n^2).
        return IndexedGradient(None, dict, [(index, dy)])
    _, rebuilt = getitem_rule(x, index)
    return rebuilt(dy)[0]


_BUILTIN_INDEXABLE = (np.ndarray, list, tuple, dict, Buffer, str, bytes, range, np.generic)


def _rebuild_sequence(kind, parts):
    if kind is list or kind is tuple:
        return kind(parts)
    if hasattr(kind, "_fields"):
        return kind(*parts)
    return tuple(parts)


register_rule(Buffer, lambda *args, **kwargs: (Buffer(*args, **kwargs), None))
register_method_rule(Buffer, "copy", buffer_copy)

register_non_differentiable(operator.not_, operator.truth, operator.eq, operator.ne,
                            operator.lt, operator.le, operator.gt, operator.ge, operator.is_,
                            operator.is_not, operator.contains, operator.invert)

OPERATOR_RULES = {
    "add": add_rule, "sub": sub_rule, "mul": mul_rule, "truediv": truediv_rule,
    "floordiv": floordiv_rule, "mod": mod_rule, "pow": pow_rule, "matmul": matmul_rule,
    "neg": neg_rule, "pos": pos_rule, "getitem": getitem_rule,
    "and_": _bitwise(operator.and_), "or_": _bitwise(operator.or_),
    "xor": _bitwise(operator.xor), "lshift": _bitwise(operator.lshift),
    "rshift": _bitwise(operator.rshift),
}


_FAST_TYPES = frozenset({np.ndarray, float, np.float64, np.float32})


class _UfuncRules:
    """The NumPy ufunc rules behind the operators, looked up when first needed."""

    def __getitem__(self, name):
        from .registry import lookup_rule

        ufunc = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                 "truediv": np.true_divide, "matmul": np.matmul}[name]
        return lookup_rule(ufunc)


_UFUNC_OF_OPERATOR = _UfuncRules()


def binary_pullback(name, dy, a, b, need_a=True, need_b=True):
    """Return the gradients of `a <name> b` for inlined operators: `(da, db)`.

    Arrays and floats take the formulas here, skipping an operand that needs no gradient;
    any other operand (a list, a user class) runs the operator's rule again and uses its
    pullback.
    """
    if type(dy) is np.ndarray and type(a) is np.ndarray and type(b) is np.ndarray \
            and name != "matmul":
        # Real arrays of one shape and dtype (the dtypes compared by identity, which is
        # cheap) have nothing to sum over or cast.
        dtype = dy.dtype
        if a.dtype is dtype and b.dtype is dtype and dtype.kind == "f" \
                and a.shape == dy.shape and b.shape == dy.shape:
            return _same_shape_gradients(name, dy, a, b, need_a, need_b)
    if type(a) in _FAST_TYPES and type(b) in _FAST_TYPES:
        dy = _dense(dy)
        if (type(a) is np.ndarray and a.dtype.kind == "c") or \
                (type(b) is np.ndarray and b.dtype.kind == "c"):
            # The ufunc rules conjugate the other operand for complex values.
            _, back = _UFUNC_OF_OPERATOR[name](a, b)
            return back(dy)[:2]
        if name == "add":
            return unbroadcast(dy, a) if need_a else None, unbroadcast(dy, b) if need_b else None
        if name == "sub":
            return (unbroadcast(dy, a) if need_a else None,
                    unbroadcast(-dy, b) if need_b else None)
        if name == "mul":
            return (unbroadcast(dy * b, a) if need_a else None,
                    unbroadcast(dy * a, b) if need_b else None)
        if name == "truediv":
            return (unbroadcast(dy / b, a) if need_a else None,
                    unbroadcast(-dy * (a / b) / b, b) if need_b else None)
        if name == "matmul":
            return matmul_gradients(dy, a, b, need_a, need_b)
    _, back = OPERATOR_RULES[name](a, b)
    if back is None:
        return None, None
    return back(dy)


def _same_shape_gradients(name, dy, a, b, need_a, need_b):
    if name == "add":
        return dy, dy
    if name == "sub":
        return dy, -dy if need_b else None
    if name == "mul":
        return dy * b if need_a else None, dy * a if need_b else None
    return dy / b if need_a else None, -dy * (a / b) / b if need_b else None


def unary_pullback(name, dy, saved):
    """Return the gradient of an inlined ufunc call from the kept input or output.

    A complex value takes the conjugate of the local derivative, as the ufunc rules do. A
    zero gradient gives zero where the derivative is infinite (sqrt and log at 0).
    """
    if type(dy) is np.ndarray and type(saved) is np.ndarray and saved.dtype.kind == "f":
        # Real arrays, the common case: the derivative is finite away from sqrt and log.
        if name == "tanh":
            return dy * (1 - saved * saved)
        if name == "sin":
            return dy * np.cos(saved)
        if name == "exp":
            return dy * saved
    dy = _dense(dy)
    complex_value = np.iscomplexobj(saved) if type(saved) not in _FAST_TYPES or \
        (type(saved) is np.ndarray and saved.dtype.kind != "f") else False
    if name in ("sqrt", "log"):
        safe = np.where(dy == 0, 1, saved)
        local = 1 / (2 * safe) if name == "sqrt" else 1 / safe
        local = np.conj(local) if complex_value else local
        return np.where(dy == 0, 0 * local, dy * local)
    if name == "tanh":
        local = 1 - saved * saved
    elif name == "exp":
        local = saved
    elif name == "sin":
        local = np.cos(saved)
    else:
        local = -np.sin(saved)
    return dy * (np.conj(local) if complex_value else local)
