"""Finite-difference checks of gradient rules called directly: `y, back = rule(*args)`.

The seed cotangent is random (the gradient of `sum(Re(conj(w) * y))`), or `2 * w * y` for
the `square` loss, which is invariant to the sign of singular and eigenvectors. Arguments
are walked as nested lists and tuples, and every float or complex array or Python float
inside them is checked against central differences. A complex argument z = a + ib gets the
gradient dL/da + i dL/db, the convention of Zygote.jl.
"""

import numpy as np

STEP = 1e-6
RTOL = 1e-5
ATOL = 1e-5


def is_float_leaf(value):
    """Return whether `value` is a float or complex array or scalar, which carries a gradient."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return np.issubdtype(value.dtype, np.inexact)
    if isinstance(value, np.generic):
        return np.issubdtype(value.dtype, np.inexact)
    return isinstance(value, float)


def float_leaves(structure, path=()):
    """Return `(path, value)` for each float array or float inside nested lists and tuples."""
    if isinstance(structure, (list, tuple)):
        found = []
        for i, item in enumerate(structure):
            found.extend(float_leaves(item, path + (i,)))
        return found
    return [(path, structure)] if is_float_leaf(structure) else []


def get_path(structure, path):
    for i in path:
        if structure is None:
            return None
        structure = structure[i]
    return structure


def replace_path(structure, path, value):
    if not path:
        return value
    items = list(structure)
    items[path[0]] = replace_path(items[path[0]], path[1:], value)
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*items)
    return type(structure)(items) if isinstance(structure, (list, tuple)) else items


def map_leaves(structure, function):
    """Apply `function` to every float leaf, keeping the container structure."""
    if isinstance(structure, (list, tuple)):
        items = [map_leaves(item, function) for item in structure]
        return tuple(items) if isinstance(structure, tuple) else items
    return function(structure) if is_float_leaf(structure) else structure


def to_float32(structure):
    """Cast float arrays to float32 and complex arrays to complex64."""
    def cast(value):
        if isinstance(value, np.ndarray):
            return value.astype(np.complex64 if np.iscomplexobj(value) else np.float32)
        return value

    return map_leaves(structure, cast)


class Loss:
    """A scalar function of a rule's output, with a fixed random weight per output leaf."""

    def __init__(self, y, kind="linear", seed=0):
        rng = np.random.default_rng(seed)
        self.kind = kind
        self.weights = map_leaves(y, lambda leaf: self.draw_weights(rng, leaf))

    @staticmethod
    def draw_weights(rng, leaf):
        weights = rng.uniform(0.5, 1.5, np.shape(leaf)) * rng.choice([-1.0, 1.0], np.shape(leaf))
        if np.iscomplexobj(leaf):
            weights = weights * np.exp(1j * rng.uniform(0, 2 * np.pi, np.shape(leaf)))
        return weights

    def value(self, y):
        total = 0.0
        for path, leaf in float_leaves(y):
            w = get_path(self.weights, path)
            leaf = np.asarray(leaf)
            if self.kind == "square":
                total += float(np.sum(np.real(w) * np.abs(leaf) ** 2))
            else:
                total += float(np.sum(np.real(np.conj(w) * leaf)))
        return total

    def cotangent(self, y):
        """Return dL/dy in the structure of `y`, `None` where `y` is not a float."""
        if isinstance(y, (list, tuple)):
            items = [self.cotangent_at(item, (i,)) for i, item in enumerate(y)]
            return tuple(items) if isinstance(y, tuple) else items
        return self.cotangent_at(y, ())

    def cotangent_at(self, y, path):
        if isinstance(y, (list, tuple)):
            items = [self.cotangent_at(item, path + (i,)) for i, item in enumerate(y)]
            return tuple(items) if isinstance(y, tuple) else items
        if not is_float_leaf(y):
            return None
        w = get_path(self.weights, path)
        g = 2 * np.real(w) * y if self.kind == "square" else w
        if isinstance(y, float) and not isinstance(y, np.generic):
            return float(g)
        if isinstance(y, np.ndarray) or isinstance(y, np.generic):
            return np.asarray(g, dtype=y.dtype) if np.ndim(y) else y.dtype.type(g)
        return g


def numeric_gradient(primal, args, kwargs, path, loss, symmetric=False):
    """Return dL/d(leaf at `path`) by central differences.

    With `symmetric`, the leaf is a stack of symmetric matrices and entry (i, j) contains the
    derivative along the symmetric direction E_ij + E_ji.
    """
    leaf = get_path(args, path)
    if np.iscomplexobj(leaf):
        # dL/da + i dL/db for z = a + ib.
        real_part = numeric_gradient_along(primal, args, kwargs, path, loss, 1.0)
        imaginary_part = numeric_gradient_along(primal, args, kwargs, path, loss, 1j)
        return real_part + 1j * imaginary_part
    if isinstance(leaf, float) and not isinstance(leaf, np.generic):
        def at(value):
            return loss.value(primal(*replace_path(args, path, value), **kwargs))

        return (at(leaf + STEP) - at(leaf - STEP)) / (2 * STEP)
    base = np.array(leaf, dtype=np.float64)
    grad = np.zeros(base.shape)
    for index in np.ndindex(base.shape):
        direction = np.zeros(base.shape)
        direction[index] = 1.0
        if symmetric:
            mirrored = index[:-2] + (index[-1], index[-2])
            direction[mirrored] = 1.0
        values = []
        for sign in (1.0, -1.0):
            moved = base + sign * STEP * direction
            if isinstance(leaf, np.generic):
                moved = leaf.dtype.type(moved)
            values.append(loss.value(primal(*replace_path(args, path, moved), **kwargs)))
        grad[index] = (values[0] - values[1]) / (2 * STEP)
    return grad


def numeric_gradient_along(primal, args, kwargs, path, loss, unit):
    """Return dL/d(leaf) along `unit` (1 or 1j) for a complex leaf, by central differences."""
    leaf = np.asarray(get_path(args, path))
    grad = np.zeros(leaf.shape)
    for index in np.ndindex(leaf.shape):
        direction = np.zeros(leaf.shape, dtype=complex)
        direction[index] = unit * STEP
        values = [loss.value(primal(*replace_path(args, path, (leaf + sign * direction).astype(
            leaf.dtype)), **kwargs)) for sign in (1.0, -1.0)]
        grad[index] = (values[0] - values[1]) / (2 * STEP)
    return grad


def symmetric_sum(g):
    """Return g + g^T off the diagonal and g on it, the derivative along E_ij + E_ji."""
    g = np.asarray(g, dtype=np.float64)
    swapped = np.swapaxes(g, -1, -2)
    eye = np.eye(g.shape[-1], dtype=bool)
    return np.where(eye, g, g + swapped)


def pad_cotangents(cotangents, count):
    cotangents = tuple(cotangents)
    return cotangents + (None,) * (count - len(cotangents))


def check_rule(rule, primal, args, kwargs=None, loss="linear", symmetric=(), seed=0,
               rtol=RTOL, atol=ATOL):
    """Check `rule` against `primal` by central differences and return the cotangents.

    `symmetric` lists the positions of arguments that hold symmetric matrices.
    """
    kwargs = kwargs or {}
    y, back = rule(*args, **kwargs)
    expected = primal(*args, **kwargs)
    for (path, value), (_, reference) in zip(float_leaves(y), float_leaves(expected)):
        np.testing.assert_allclose(value, reference, rtol=1e-12, atol=1e-12,
                                   err_msg=f"primal output at {path}")
    objective = Loss(y, loss, seed)
    cotangents = pad_cotangents(back(objective.cotangent(y)), len(args))
    assert len(cotangents) == len(args), "the pullback returned more cotangents than arguments"
    for path, leaf in float_leaves(tuple(args)):
        analytic = get_path(cotangents, path)
        is_symmetric = path[0] in symmetric
        numeric = numeric_gradient(primal, tuple(args), kwargs, path, objective, is_symmetric)
        if analytic is None:
            np.testing.assert_allclose(numeric, 0, atol=atol,
                                       err_msg=f"no cotangent for argument {path}")
            continue
        assert np.shape(analytic) == np.shape(leaf), f"cotangent shape at {path}"
        if isinstance(leaf, float) and not isinstance(leaf, np.generic):
            assert isinstance(analytic, float), f"cotangent of a float at {path} is not a float"
        if is_symmetric:
            analytic = symmetric_sum(analytic)
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"cotangent of argument {path}")
    return cotangents


def float32_cotangents(rule, args, kwargs=None, loss="linear"):
    """Run `rule` on float32 copies of the array arguments and return `(args, cotangents)`."""
    args = to_float32(tuple(args))
    y, back = rule(*args, **(kwargs or {}))
    objective = Loss(y, loss)
    return args, pad_cotangents(back(objective.cotangent(y)), len(args))
