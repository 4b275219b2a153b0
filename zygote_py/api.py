"""The public entry points: `gradient`, `withgradient`, `pullback`, `differentiable`, `source`."""

import collections
import functools
import numbers
import sys
import types

import numpy as np

from .compiler.cache import transformed
from .compiler.source import unwrap
from .errors import NonScalarOutputError
from .rules import registry
from .runtime import dispatch
from .runtime.accumulate import densify
from .runtime.params import (Params, close_context, implicit_accumulate, open_context,
                             resume_context, suspend_context)
from .runtime.structures import Structural, object_fields

ValueAndGradient = collections.namedtuple("ValueAndGradient", ["val", "grad"])


def pullback(f, *args, **kwargs):
    """Run `f(*args, **kwargs)` and return `(y, back)`.

    `back(dy)` returns a tuple with one gradient per positional argument (`None` where `y`
    does not depend on it). `back` may be called many times.

    Example: `y, back = pullback(np.sin, 0.5); back(1.0) == (np.cos(0.5),)`.
    """
    y, back = _run_entry(f, args, kwargs)
    return y, _public_back(back, f, args)


def _run_entry(f, args, kwargs):
    # An explicit gradient inside `gradient(f, ps)` must not collect into the outer Params.
    token = suspend_context()
    try:
        return dispatch.call_entry(f, *args, **kwargs)
    except RecursionError as error:
        raise _recursion_error(f) from error
    finally:
        resume_context(token)


def _recursion_error(f):
    return RecursionError(
        f"differentiating {_name(f)} exceeded Python's recursion limit "
        f"({sys.getrecursionlimit()}): each level of a recursive function takes about three "
        "frames under zygote_py. Raise the limit with sys.setrecursionlimit, or rewrite the "
        "recursion as a loop")


def _public_back(back, f, args):
    def public_back(dy):
        if back is None:
            grads = (None,) * (len(args) + 1)
        else:
            token = suspend_context()
            try:
                grads = back(dy)
            except RecursionError as error:
                raise _recursion_error(f) from error
            finally:
                resume_context(token)
        return tuple(_finish(g, a) for g, a in zip(grads[1:1 + len(args)], args))

    return public_back


def _finish(g, primal):
    """Densify a gradient and give objects a `Structural` with all their fields."""
    if type(g) is np.ndarray or type(g) is float:
        return g
    g = densify(g)
    if g is None:
        return None
    if isinstance(g, Structural) and not isinstance(primal, (dict, list, tuple, np.ndarray)):
        names = object_fields(primal) if primal is not None else list(g.keys())
        fields = {}
        for name in names or g.keys():
            fields[name] = _finish(g[name], getattr(primal, name, None))
        for name in g.keys():
            if name not in fields:
                fields[name] = _finish(g[name], getattr(primal, name, None))
        return Structural(fields, type(primal))
    if isinstance(g, tuple) and isinstance(primal, tuple):
        parts = [_finish(x, p) for x, p in zip(g, primal)]
        return type(g)(*parts) if hasattr(type(g), "_fields") else tuple(parts)
    if isinstance(g, list) and isinstance(primal, list):
        return [_finish(x, p) for x, p in zip(g, primal)]
    if isinstance(g, dict) and isinstance(primal, dict):
        # The backward pass meets the keys in reverse order, so give them the primal's order.
        ordered = [k for k in primal if k in g] + [k for k in g if k not in primal]
        return {k: _finish(g[k], primal.get(k)) for k in ordered}
    return g


def _seed(y, f):
    kind = type(y)
    if kind is float or kind is np.float64 or kind is np.float32:
        return kind(1)
    if y is None:
        raise NonScalarOutputError(
            f"gradient needs {_name(f)} to return a real scalar, but it returned None; check "
            "that every path through it ends in a return statement")
    if isinstance(y, (bool, np.bool_)) or not isinstance(y, (numbers.Number, np.ndarray,
                                                             np.generic)):
        raise NonScalarOutputError(
            f"gradient needs {_name(f)} to return a real scalar, but it returned a "
            f"{type(y).__name__}; use withgradient for a tuple of (loss, extra), or jacobian "
            "or pullback for other outputs")
    if np.ndim(y) != 0 or np.size(y) != 1:
        raise NonScalarOutputError(
            f"gradient needs {_name(f)} to return a scalar, but it returned an array of shape "
            f"{np.shape(y)}; reduce it (for example with np.sum), or use jacobian or pullback")
    if np.iscomplexobj(y):
        raise NonScalarOutputError(f"gradient needs a real scalar, but {_name(f)} returned the "
                                   f"complex value {y}; take np.real or np.abs of it first")
    if isinstance(y, np.ndarray):
        return np.ones_like(y)
    if isinstance(y, np.generic):
        return y.dtype.type(1)
    return 1.0


def _name(f):
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


def gradient(f, *args, **kwargs):
    """Return the gradient of the scalar function `f` at `args`, one entry per argument.

        gradient(f, *args)      -> tuple, None where f does not depend on an argument
        gradient(f, ps)         -> Grads, for a zero-argument f and ps = Params([...])
        @gradient(ps)           -> binds the decorated name to the Grads of its body

    Example: `gradient(lambda x, y: x * y, 2.0, 3.0) == (3.0, 2.0)`.
    """
    if not callable(f) and not isinstance(f, Params):
        raise TypeError(f"gradient needs a function to differentiate as its first argument, "
                        f"got {f!r} of type {type(f).__name__}")
    if isinstance(f, Params) and not args and not kwargs:
        params = f
        return lambda body: _scalar_gradient(body, *_implicit_gradient(body, params))
    if len(args) == 1 and isinstance(args[0], Params) and not kwargs:
        return _scalar_gradient(f, *_implicit_gradient(f, args[0]))
    return _scalar_gradient(f, *withgradient(f, *args, **kwargs))


def _scalar_gradient(f, y, grad):
    """Return `grad`, or raise if `f` returned a tuple, which only `withgradient` takes."""
    if type(y) is tuple:
        raise NonScalarOutputError(
            f"gradient needs {_name(f)} to return a real scalar, but it returned a tuple of "
            f"{len(y)}; use withgradient for a tuple of (loss, extra), which differentiates the "
            "first entry, or jacobian for several outputs")
    return grad


def withgradient(f, *args, **kwargs):
    """Return `(value, gradient)`. If `f` returns a tuple, its first entry is differentiated.

    Example: `withgradient(lambda x: (x ** 2, "aux"), 3.0)` is `((9.0, "aux"), (6.0,))`.
    """
    if len(args) == 1 and isinstance(args[0], Params) and not kwargs:
        return ValueAndGradient(*_implicit_gradient(f, args[0]))
    form = None if kwargs else dispatch.entry_pullback_form(f, args)
    if form is not None:
        return _withgradient_of_form(form, f, args)
    y, back = _run_entry(f, args, kwargs)
    _, dy = _split_auxiliary(y, f)
    return ValueAndGradient(y, _public_back(back, f, args)(dy))


def _withgradient_of_form(form, f, args):
    """`withgradient` of a plain function on its positional arguments, with no call-site work.

    The same steps as the general path, in one frame, because a small function pays for
    every call around it.
    """
    token = suspend_context()
    try:
        y, back = form(*args)
        dy = _UNIT_SEEDS.get(type(y))
        if dy is None:
            _, dy = _split_auxiliary(y, f)
        grads = back(dy)
    except RecursionError as error:
        raise _recursion_error(f) from error
    finally:
        resume_context(token)
    finished = []
    for g, arg in zip(grads[1:], args):
        if g is not None and not (type(g) is type(arg) and (type(g) is float or (
                type(g) is np.ndarray and g.shape == arg.shape and g.dtype == arg.dtype))):
            g = _finish(dispatch.match_gradient(g, arg), arg)
        finished.append(g)
    return tuple.__new__(ValueAndGradient, (y, tuple(finished)))


# The seed of a scalar loss of these exact types, which `_seed` would also return.
_UNIT_SEEDS = {float: 1.0, np.float64: np.float64(1), np.float32: np.float32(1)}


def _split_auxiliary(y, f):
    if isinstance(y, tuple) and y and not hasattr(type(y), "_fields"):
        seed = _seed(y[0], f)
        return y[0], (seed,) + (None,) * (len(y) - 1)
    return y, _seed(y, f)


def _implicit_gradient(f, params):
    token = open_context(params)
    try:
        y, back = dispatch.call(f)
        loss, dy = _split_auxiliary(y, f)
        if back is not None:
            grads = back(dy)
            implicit_accumulate(f, grads[0])
    finally:
        result = close_context(token)
    return y, result


class Differentiable:
    """A function compiled at decoration time, still called like the original."""

    def __init__(self, fn):
        self.__zygote_function__ = fn
        functools.update_wrapper(self, fn)
        transformed(unwrap(fn))

    def __call__(self, *args, **kwargs):
        return self.__zygote_function__(*args, **kwargs)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return functools.partial(self.__call__, obj)

    def gradient(self, *args, **kwargs):
        return gradient(self.__zygote_function__, *args, **kwargs)

    def withgradient(self, *args, **kwargs):
        return withgradient(self.__zygote_function__, *args, **kwargs)

    def pullback(self, *args, **kwargs):
        return pullback(self.__zygote_function__, *args, **kwargs)

    def source(self):
        return source(self.__zygote_function__)

    def __repr__(self):
        return f"<differentiable {_name(self.__zygote_function__)}>"


def differentiable(fn):
    """Compile `fn` now, so unsupported syntax fails at import with the user's line.

    The result calls like `fn` and offers `.gradient`, `.withgradient`, `.pullback` and
    `.source()`.
    """
    return Differentiable(fn)


def source(f, mode="reverse"):
    """Return the generated pullback code of `f` as readable Python."""
    fn = getattr(f, "__zygote_function__", f)
    fn = unwrap(fn)
    if not isinstance(fn, types.FunctionType):
        call_method = getattr(type(fn), "__call__", None)
        if isinstance(call_method, types.FunctionType) and not isinstance(fn, type):
            fn = call_method
        elif registry.lookup_rule(fn) is not None:
            raise TypeError(f"{_name(fn)} has a hand-written gradient rule, so zygote_py "
                            "generates no code for it; source() shows the code generated for "
                            "Python functions")
        else:
            raise TypeError(f"source() needs a Python function, a method or an object with a "
                            f"Python __call__, got {_name(fn)} of type {type(fn).__name__}")
    if mode == "forward":
        from .compiler.forward import forward_source

        return forward_source(fn)
    if mode != "reverse":
        raise ValueError(f"mode must be 'reverse' or 'forward', got {mode!r}")
    info, _ = transformed(fn)
    return info.source
