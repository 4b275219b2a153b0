"""Implicit parameters: `Params`, `Grads`, and the context that collects their gradients.

Inside `gradient(f, ps)`, every read of a global or captured variable hands its gradient to
`implicit_accumulate`, which walks the value and its gradient side by side (attributes,
list and dict items, closure cells) and adds the gradient of every member of `ps` it meets.
The context lives in a `ContextVar`, so nested `gradient` calls and threads never see each
other's parameters.
"""

import contextvars
import functools
import types

import numpy as np

from .accumulate import IndexedGradient, accumulate, densify
from .structures import Structural

_current = contextvars.ContextVar("zygote_py_implicit_params", default=None)


def _describe(array):
    return f"array of shape {array.shape} and dtype {array.dtype}"


class Params:
    """An ordered set of arrays compared by identity: the parameters to differentiate.

    `Params([W, b])`, `ps.append(x)`, `ps.extend(xs)`, `W in ps`, `len(ps)`, iteration,
    `ps.flat()` and `ps.copy_from(vector)` to move all values to and from one flat vector.
    """

    def __init__(self, arrays=()):
        self._arrays = []
        self._ids = set()
        self.extend(arrays)

    def append(self, array):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"Params contains NumPy arrays only, got {type(array).__name__}; arrays are "
                            "updated in place, so wrap scalars in a 0-d array")
        if id(array) not in self._ids:
            self._ids.add(id(array))
            self._arrays.append(array)
        return self

    def extend(self, arrays):
        if isinstance(arrays, np.ndarray):
            arrays = [arrays]
        for array in arrays:
            self.append(array)
        return self

    def __contains__(self, array):
        return id(array) in self._ids

    def __len__(self):
        return len(self._arrays)

    def __iter__(self):
        return iter(self._arrays)

    def __getitem__(self, index):
        return self._arrays[index]

    def __eq__(self, other):
        return isinstance(other, Params) and len(self) == len(other) and all(
            a is b for a, b in zip(self, other))

    __hash__ = None

    def flat(self):
        """Return all parameters concatenated into one flat vector (a copy)."""
        if not self._arrays:
            return np.zeros(0)
        return np.concatenate([a.ravel() for a in self._arrays])

    def copy_from(self, vector):
        """Write the entries of a flat vector back into the parameters, in place."""
        vector = np.asarray(vector)
        total = sum(a.size for a in self._arrays)
        if vector.shape != (total,):
            raise ValueError(f"expected a flat vector of {total} values for {len(self)} "
                             f"parameters, got shape {vector.shape}")
        offset = 0
        for array in self._arrays:
            array[...] = vector[offset:offset + array.size].reshape(array.shape)
            offset += array.size
        return self

    def __repr__(self):
        inner = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self._arrays)
        return f"Params([{inner}])"


class Grads:
    """The gradients of `Params`, looked up by the parameter array itself: `gs[W]`.

    A parameter that did not reach the loss maps to `None`. `gs1 + gs2` and `gs * 2` combine
    gradients entry by entry.
    """

    def __init__(self, params, grads=None):
        self.params = params
        self._grads = dict(grads or {})

    def __getitem__(self, array):
        if id(array) not in self.params._ids:
            detail = _describe(array) if isinstance(array, np.ndarray) else repr(type(array))
            raise KeyError(f"{detail} is not one of the {len(self.params)} parameters of "
                           "these gradients; look up the exact array object passed to Params")
        return self._grads.get(id(array))

    def __contains__(self, array):
        return id(array) in self.params._ids

    def keys(self):
        return list(self.params)

    def values(self):
        return [self._grads.get(id(a)) for a in self.params]

    def items(self):
        return [(a, self._grads.get(id(a))) for a in self.params]

    def __iter__(self):
        return iter(self.params)

    def __len__(self):
        return len(self.params)

    def _combine(self, other, op):
        if isinstance(other, Grads):
            if other.params is not self.params and list(map(id, other.params)) != list(
                    map(id, self.params)):
                raise ValueError("cannot combine Grads of different Params")
            out = {}
            for array in self.params:
                a, b = self._grads.get(id(array)), other._grads.get(id(array))
                out[id(array)] = op(a, b)
            return Grads(self.params, out)
        return Grads(self.params, {k: None if v is None else op(v, other)
                                   for k, v in self._grads.items()})

    def __add__(self, other):
        return self._combine(other, lambda a, b: accumulate(a, b))

    def __sub__(self, other):
        return self._combine(other, lambda a, b: accumulate(a, None if b is None else -b))

    def __mul__(self, scale):
        if isinstance(scale, Grads):
            raise TypeError("multiply Grads by a number, not by other Grads")
        return Grads(self.params, {k: None if v is None else v * scale
                                   for k, v in self._grads.items()})

    __rmul__ = __mul__

    def __truediv__(self, scale):
        return self * (1 / scale)

    def __repr__(self):
        entries = []
        for array in self.params:
            g = self._grads.get(id(array))
            shown = "None" if g is None else f"{g.dtype}{list(g.shape)}"
            entries.append(f"{array.dtype}{list(array.shape)} => {shown}")
        return "Grads(" + ", ".join(entries) + ")"


class _Context:
    def __init__(self, params):
        self.params = params
        self.grads = {}

    def add(self, array, g):
        g = densify(g)
        if isinstance(g, IndexedGradient):
            g = g.dense()
        if not isinstance(g, np.ndarray) or g.shape != array.shape or g.dtype != array.dtype:
            g = np.broadcast_to(np.asarray(g), array.shape).astype(array.dtype)
        key = id(array)
        self.grads[key] = accumulate(self.grads.get(key), g)


def open_context(params):
    return _current.set(_Context(params))


def close_context(token):
    context = _current.get()
    _current.reset(token)
    return Grads(context.params, context.grads)


def suspend_context():
    """Hide the implicit-parameter context (for an explicit gradient inside an implicit one).

    Returns `None` when there is no context to hide, which `resume_context` then skips.
    """
    if _current.get() is None:
        return None
    return _current.set(None)


def resume_context(token):
    if token is not None:
        _current.reset(token)


def implicit_accumulate(value, g):
    """Add `g` to every parameter inside `value` (called for each global read)."""
    context = _current.get()
    if context is None or g is None:
        return
    _walk(context, value, g, set())


def _walk(context, value, g, seen):
    if g is None:
        return
    if isinstance(value, np.ndarray):
        if id(value) in context.params._ids:
            context.add(value, g)
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(g, IndexedGradient):
        g = g.dense()
    if isinstance(value, types.MethodType):
        _walk(context, value.__self__, g, seen)
    elif isinstance(value, (list, tuple)) and isinstance(g, (list, tuple)):
        for item, item_g in zip(value, g):
            _walk(context, item, item_g, seen)
    elif isinstance(value, dict) and isinstance(g, dict):
        for key, item_g in g.items():
            if key in value:
                _walk(context, value[key], item_g, seen)
    elif isinstance(g, Structural):
        for name, field_g in g.items():
            _walk(context, _field(value, name), field_g, seen)


def _field(value, name):
    value = getattr(value, "__zygote_function__", value)
    if isinstance(value, types.FunctionType) and value.__closure__:
        cells = dict(zip(value.__code__.co_freevars, value.__closure__))
        if name in cells:
            try:
                return cells[name].cell_contents
            except ValueError:
                return None
    if isinstance(value, functools.partial):
        return {"func": value.func, "args": value.args, "keywords": value.keywords}.get(name)
    return getattr(value, name, None)
