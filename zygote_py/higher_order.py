"""Forward mode, Jacobians, Hessians and derivatives of derivatives.

`jvp` and `pushforward` run the forward-mode transform. `jacobian` builds a Jacobian one
column at a time in forward mode or one row at a time in reverse mode. `hessian` is forward
over reverse: the tangent of the generated gradient code along each basis direction.
Derivatives nest: a `gradient` inside a differentiated function has a rule whose pullback is
itself a forward-over-reverse product, so there is no perturbation confusion.
"""

import numbers

import numpy as np

from .api import _finish, gradient, pullback
from .rules.registry import register_rule
from .runtime import forward_dispatch, forward_over_reverse
from .runtime.accumulate import densify


def jvp(f, primals, tangents):
    """Return `(f(*primals), J @ tangents)`, the Jacobian-vector product, in forward mode.

    A tangent of `None` means zero. The output tangent has the output's structure; where the
    output does not depend on the inputs it is zeros.

        jvp(np.sin, (0.5,), (1.0,)) == (np.sin(0.5), np.cos(0.5))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp takes a tuple of primals and a tuple of tangents, as in "
                        f"jvp(f, (x,), (v,)); got {type(primals).__name__} and "
                        f"{type(tangents).__name__}")
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp got {len(primals)} primals but {len(tangents)} tangents; pass "
                         "one tangent (or None) per primal")
    for index, (x, t) in enumerate(zip(primals, tangents)):
        if t is not None and np.shape(x) != np.shape(t):
            raise ValueError(f"the tangent of argument {index} has shape {np.shape(t)}, but the "
                             f"argument has shape {np.shape(x)}")
    y, dy = forward_dispatch.call(f, None, primals, tangents, {}, {})
    return y, _zeros_where_none(densify(dy), y)


def pushforward(f, *primals):
    """Return the function `tangents -> J @ tangents` of `f` at `primals`."""
    def push(*tangents):
        return jvp(f, primals, tangents)[1]

    return push


def _zeros_where_none(dy, y):
    if dy is None:
        if isinstance(y, (tuple, list)):
            return type(y)(_zeros_where_none(None, v) for v in y)
        if isinstance(y, np.ndarray):
            return np.zeros_like(y)
        if isinstance(y, (numbers.Number, np.generic)):
            return type(y)(0)
        return None
    if isinstance(y, tuple) and isinstance(dy, tuple):
        return tuple(_zeros_where_none(d, v) for d, v in zip(dy, y))
    if isinstance(y, np.ndarray) and np.shape(dy) != y.shape:
        return np.broadcast_to(dy, y.shape).astype(y.dtype)
    return dy


def _is_differentiable(x):
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        return np.issubdtype(x.dtype, np.floating)
    return isinstance(x, float)


def jacobian(f, *args, mode="auto"):
    """Return one Jacobian per argument: `J[k, i] = d vec(y)[k] / d vec(x)[i]`.

    Each is shaped `y.shape + x.shape` (`None` for integer arguments). `mode="forward"` builds
    it a column at a time, `mode="reverse"` a row at a time; `"auto"` picks forward mode when
    the inputs have fewer entries than the output.

        jacobian(lambda x: 100 * x[:3] ** 2, np.arange(4.0))[0]   # shape (3, 4)
    """
    return withjacobian(f, *args, mode=mode)[1]


def withjacobian(f, *args, mode="auto"):
    """Return `(f(*args), jacobians)`; see `jacobian`."""
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    y = f(*args)
    if not isinstance(y, (np.ndarray, numbers.Number, np.generic)):
        raise TypeError(f"jacobian needs a function returning an array or a number, got "
                        f"{type(y).__name__}")
    out_size = int(np.size(y))
    in_size = sum(int(np.size(a)) for a in args if _is_differentiable(a))
    if mode == "auto":
        mode = "forward" if in_size < out_size else "reverse"
    if mode == "forward":
        return y, _forward_jacobian(f, args, y)
    return y, _reverse_jacobian(f, args, y)


def _forward_jacobian(f, args, y):
    result = []
    for index, arg in enumerate(args):
        if not _is_differentiable(arg):
            result.append(None)
            continue
        arg = np.asarray(arg)
        columns = []
        for position in range(arg.size):
            direction = np.zeros(arg.size, dtype=arg.dtype)
            direction[position] = 1
            tangents = [None] * len(args)
            tangents[index] = direction.reshape(arg.shape) if arg.ndim else direction[0]
            if not isinstance(args[index], np.ndarray):
                tangents[index] = type(args[index])(tangents[index])
            _, dy = jvp(f, args, tangents)
            columns.append(np.reshape(np.asarray(dy), -1))
        matrix = np.stack(columns, axis=1) if columns else np.zeros((np.size(y), 0))
        result.append(matrix.reshape(np.shape(y) + arg.shape).astype(arg.dtype, copy=False))
    return tuple(result)


def _reverse_jacobian(f, args, y):
    _, back = pullback(f, *args)
    flat_y = np.reshape(np.asarray(y), -1)
    rows = [[] for _ in args]
    for position in range(flat_y.size):
        seed = np.zeros(flat_y.size, dtype=flat_y.dtype)
        seed[position] = 1
        seed = seed.reshape(np.shape(y)) if np.ndim(y) else seed[0]
        if not isinstance(y, np.ndarray):
            seed = type(y)(seed)
        grads = back(seed)
        for index, (g, arg) in enumerate(zip(grads, args)):
            rows[index].append(g)
    result = []
    for index, arg in enumerate(args):
        if not _is_differentiable(arg):
            result.append(None)
            continue
        shape = np.shape(arg)
        dtype = np.asarray(arg).dtype
        flat = [np.zeros(shape, dtype) if g is None else np.asarray(g) for g in rows[index]]
        matrix = np.stack([np.reshape(g, -1) for g in flat]) if flat else np.zeros((0,) + shape)
        result.append(matrix.reshape(np.shape(y) + shape).astype(dtype, copy=False))
    return tuple(result)


def _gradient_and_tangent(f, args, tangents):
    """Return the gradient of `f` at `args` and its tangent along `tangents`."""
    return forward_over_reverse.gradient_and_tangent(f, None, tuple(args), tuple(tangents))


def hessian_vector_product(f, x, v):
    """Return `H @ v` for the Hessian `H` of the scalar function `f` at `x`, without forming H.

    Forward over reverse: the tangent of the gradient along `v`.
    """
    if np.shape(v) != np.shape(x):
        raise ValueError(f"v has shape {np.shape(v)} but x has shape {np.shape(x)}")
    _, dgrads = _gradient_and_tangent(f, (x,), (v,))
    result = densify(dgrads[1])
    if result is None:
        return np.zeros_like(np.asarray(x, dtype=float))
    return _finish(result, x)


def hessian(f, x):
    """Return the Hessian of the scalar function `f` at `x`, shaped `x.shape + x.shape`.

        hessian(lambda x: np.sum(x ** 3), np.array([[1.0, 2.0], [3.0, 4.0]]))  # diagonal 6x
    """
    if not _is_differentiable(x):
        raise TypeError(f"hessian needs a float scalar or array, got {type(x).__name__}")
    value = f(x)
    if np.ndim(value) != 0:
        raise ValueError(f"hessian needs a function returning a scalar, but it returned an "
                         f"array of shape {np.shape(value)}; use jacobian of the gradient for "
                         "vector outputs")
    array = np.asarray(x)
    columns = []
    for position in range(array.size):
        direction = np.zeros(array.size, dtype=array.dtype)
        direction[position] = 1
        v = direction.reshape(array.shape) if isinstance(x, np.ndarray) \
            else type(x)(direction[0])
        columns.append(np.reshape(np.asarray(hessian_vector_product(f, x, v), dtype=array.dtype),
                                  -1))
    matrix = np.stack(columns, axis=1)
    if not isinstance(x, np.ndarray):
        # A scalar input has a scalar second derivative, of the input's type.
        return type(x)(matrix[0, 0])
    return matrix.reshape(array.shape + array.shape)


def diaghessian(f, x):
    """Return the diagonal of the Hessian of `f` at `x`, shaped like `x`."""
    full = hessian(f, x)
    array = np.asarray(x)
    flat = np.reshape(full, (array.size, array.size))
    diagonal = np.diagonal(flat).reshape(array.shape)
    return diagonal if array.ndim else type(x)(diagonal)


forward_over_reverse.register_gradient_forward_rule(gradient)


@register_rule(gradient)
def gradient_rule(f, *args):
    """`gradient` inside a differentiated function.

    The pullback of `x -> grad f(x)` along `dg` is, by the symmetry of second derivatives,
    the tangent of the full gradient (captured variables included) along `dg`.
    """
    grads = gradient(f, *args)

    def gradient_back(dgrads):
        dgrads = densify(dgrads)
        tangents = tuple(dgrads) if dgrads is not None else (None,) * len(args)
        _, second = _gradient_and_tangent(f, args, tangents)
        dclosure = second[0]
        return (dclosure,) + tuple(_finish(d, a) for d, a in zip(second[1:], args))

    return grads, gradient_back

