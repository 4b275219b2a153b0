"""Check gradients against central finite differences.

`check_grads(f, *args)` draws a random cotangent `u` for the output and a random direction
`v` for each differentiable argument, and compares the reverse-mode product `<back(u), v>`
with the central difference of `<u, f(x + eps v)>`, one argument at a time, so a wrong
gradient names the argument it belongs to. Float32 arguments are differenced in float64,
and their gradients must come back as float32.
"""

import numbers

import numpy as np

from .api import gradient, pullback
from .runtime.structures import Structural


def _is_float_leaf(x):
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        return np.issubdtype(x.dtype, np.floating)
    return isinstance(x, float)


def _leaves(x, path=()):
    """Yield `(path, leaf)` for every float leaf of nested tuples, lists and dicts."""
    if _is_float_leaf(x):
        yield path, x
    elif isinstance(x, (list, tuple)):
        for i, item in enumerate(x):
            yield from _leaves(item, path + (i,))
    elif isinstance(x, dict):
        for key, item in x.items():
            yield from _leaves(item, path + (key,))


def _replace(x, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(x, dict):
        out = dict(x)
        out[head] = _replace(x[head], rest, value)
        return out
    items = list(x)
    items[head] = _replace(x[head], rest, value)
    return type(x)(*items) if hasattr(type(x), "_fields") else type(x)(items)


def _lookup(g, path):
    for key in path:
        if g is None:
            return None
        if isinstance(g, Structural):
            g = g[key]
        else:
            g = g[key]
    return g


def _inner(a, b):
    return float(np.sum(np.real(np.conj(np.asarray(a, dtype=np.float64)) *
                                np.asarray(b, dtype=np.float64))))


def _flat_inner(u, y):
    """`<u, y>` for outputs that are arrays, scalars or nested tuples of them."""
    if isinstance(y, (list, tuple)):
        return sum(_flat_inner(ui, yi) for ui, yi in zip(u, y) if ui is not None)
    return _inner(u, y)


def _random_like(y, rng):
    if isinstance(y, (list, tuple)):
        return type(y)(_random_like(v, rng) for v in y) if not hasattr(type(y), "_fields") \
            else type(y)(*[_random_like(v, rng) for v in y])
    if not _is_float_leaf(y) and not isinstance(y, numbers.Number):
        return None
    shape = np.shape(y)
    u = rng.standard_normal(shape) + 0.5
    if isinstance(y, np.ndarray):
        return u.astype(y.dtype)
    if isinstance(y, np.generic):
        return y.dtype.type(u)
    return float(u)


def _as_float64(x):
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        return x.astype(np.float64)
    if isinstance(x, np.float32):
        return np.float64(x)
    return x


def check_grads(f, *args, order=1, modes=("rev",), eps=1e-6, rtol=1e-5, atol=1e-5, seed=0,
                check_dtype=True):
    """Raise `AssertionError` if reverse or forward mode disagrees with finite differences.

    `modes` contains "rev" (the pullback along a random cotangent) and/or "fwd" (the JVP along
    random tangents). `order=2` also checks the derivative of the reverse-mode gradient, by
    checking a random projection of it the same way. Returns the reverse-mode gradients of
    the first order, so a test can also check their values.
    """
    unknown = set(modes) - {"rev", "fwd"}
    if unknown or order not in (1, 2):
        raise ValueError(f"modes must be drawn from ('rev', 'fwd') and order must be 1 or 2; "
                         f"got modes={modes!r}, order={order!r}")
    grads = _check_reverse(f, args, eps, rtol, atol, seed, check_dtype)
    if "fwd" in modes:
        _check_forward(f, args, eps, rtol, atol, seed)
    if order == 2:
        rng = np.random.default_rng(seed + 1)
        # In float64, so that float32 weights and directions do not round the values that
        # finite differences subtract.
        u = _as_float64(_random_like(f(*args), rng))
        directions = [_as_float64(_random_like(a, rng)) if _is_float_leaf(a) else None
                      for a in args]

        def weighted(*inputs):
            return np.sum(u * f(*inputs))

        def projected_gradient(*inputs):
            total = 0.0
            for g, d in zip(gradient(weighted, *inputs), directions):
                if g is not None and d is not None:
                    total = total + np.sum(g * d)
            return total

        _check_reverse(projected_gradient, args, eps, rtol * 10, atol * 10, seed + 2, False)
    return grads


def _check_forward(f, args, eps, rtol, atol, seed):
    """Compare `<u, J t>` from `jvp` with central differences along `t`."""
    from .higher_order import jvp

    rng = np.random.default_rng(seed + 3)
    tangents = tuple(_random_like(a, rng) if _is_float_leaf(a) else None for a in args)
    y, tangent = jvp(f, args, tangents)
    u = _random_like(y, rng)
    wide = [_as_float64(a) for a in args]

    def shifted(step):
        moved = [a if t is None else a + step * t for a, t in zip(wide, tangents)]
        return _flat_inner(u, f(*moved))

    numeric = (shifted(eps) - shifted(-eps)) / (2 * eps)
    analytic = _flat_inner(u, tangent)
    tolerance = atol + rtol * max(abs(numeric), abs(analytic))
    assert abs(numeric - analytic) <= tolerance, (
        f"forward mode gives {analytic!r} along random tangents, finite differences give "
        f"{numeric!r} (difference {abs(numeric - analytic):.3g}, tolerance {tolerance:.3g})")


def _check_reverse(f, args, eps, rtol, atol, seed, check_dtype):
    rng = np.random.default_rng(seed)
    y, back = pullback(f, *args)
    u = _random_like(y, rng)
    grads = back(u)

    wide_args = tuple(_map_leaves(a, _as_float64) for a in args)
    for index, arg in enumerate(args):
        for path, leaf in _leaves(arg):
            g = _lookup(grads[index], path)
            where = f"argument {index}" + "".join(f"[{p!r}]" for p in path)
            if check_dtype and g is not None and isinstance(leaf, np.ndarray):
                assert isinstance(g, np.ndarray), f"{where}: gradient is {type(g).__name__}, " \
                    f"expected an array like the argument"
                assert g.dtype == leaf.dtype, \
                    f"{where}: gradient dtype {g.dtype} differs from the argument's {leaf.dtype}"
                assert g.shape == leaf.shape, \
                    f"{where}: gradient shape {g.shape} differs from the argument's {leaf.shape}"
            direction = rng.standard_normal(np.shape(leaf))
            wide_leaf = np.asarray(_as_float64(leaf), dtype=np.float64)

            def shifted(step):
                moved = wide_leaf + step * direction
                moved = moved if isinstance(leaf, np.ndarray) else float(moved)
                new_args = list(wide_args)
                new_args[index] = _replace(wide_args[index], path, moved)
                return _flat_inner(u, f(*new_args))

            numeric = (shifted(eps) - shifted(-eps)) / (2 * eps)
            analytic = 0.0 if g is None else _inner(g, direction)
            tolerance = atol + rtol * max(abs(numeric), abs(analytic))
            if isinstance(leaf, (np.float32,)) or (isinstance(leaf, np.ndarray)
                                                   and leaf.dtype == np.float32):
                tolerance = max(tolerance, 1e-3 * (1 + abs(numeric)))
            assert abs(numeric - analytic) <= tolerance, (
                f"{where}: reverse mode gives {analytic!r} along a random direction, finite "
                f"differences give {numeric!r} (difference {abs(numeric - analytic):.3g}, "
                f"tolerance {tolerance:.3g})")
    return grads


def _map_leaves(x, fn):
    if _is_float_leaf(x):
        return fn(x)
    if isinstance(x, (list, tuple)):
        items = [_map_leaves(v, fn) for v in x]
        return type(x)(*items) if hasattr(type(x), "_fields") else type(x)(items)
    if isinstance(x, dict):
        return {k: _map_leaves(v, fn) for k, v in x.items()}
    return x
