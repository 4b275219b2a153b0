"""The cache of transformed functions.

Keyed by the function object (weakly) and checked against its `__code__` and the rule
registry's version, so redefining a function, re-running a notebook cell or registering a
rule after a function was compiled all give a fresh transform. A lock makes compilation
safe from several threads. The lock is reentrant, because transforming a function never runs
it, so a recursive function cannot wait on itself.
"""

import gc
import operator
import threading
import weakref

from . import transform as transform_module
from .activity import is_inactive_value
from ..rules import registry



class TransformCache:
    """Transformed forms of one kind (reverse or forward), with their bound functions."""

    def __init__(self, make):
        self.make = make
        self.lock = threading.RLock()
        self.by_function = weakref.WeakKeyDictionary()
        self.by_code = {}

    def get(self, fn, variant=None):
        """Return `(transformed form, function bound to fn)`, transforming if needed.

        `variant` names inputs that carry no gradient (see `transform.Variant`); each variant
        is compiled separately.
        """
        version = registry.version()
        entries = self.by_function.get(fn)
        entry = entries.get(variant) if entries is not None else None
        if entry is not None and entry[0] is fn.__code__ and entry[1] == version:
            return entry[2], entry[3]
        with self.lock:
            key = (fn.__code__, id(fn.__globals__), variant, _captured_kinds(fn))
            cached = self.by_code.get(key)
            if cached is not None and cached[0] == version:
                result = cached[1]
            else:
                result = _without_collector(self.make, fn, variant)
                self.by_code[key] = (version, result)
            bound = result.bind(fn)
            self.by_function.setdefault(fn, {})[variant] = (fn.__code__, version, result, bound)
            return result, bound

    def clear(self):
        with self.lock:
            self.by_function.clear()
            self.by_code.clear()


def _captured_kinds(fn):
    """Return which captured variables of `fn` hold values that can carry no gradient.

    The transform treats such a variable (an int, a module) as a constant, so two closures
    of the same code share a compiled form only when they agree on this.
    """
    kinds = []
    for cell in fn.__closure__ or ():
        try:
            kinds.append(is_inactive_value(cell.cell_contents))
        except ValueError:  # An empty cell: the variable is not assigned yet.
            kinds.append(None)
    return tuple(kinds)


def _without_collector(make, fn, variant):
    """Run `make(fn, variant)` with the cyclic garbage collector paused.

    A transform builds tens of thousands of tree nodes that stay reachable until it returns,
    so a collection during it frees nothing and only costs time. A collector the caller
    disabled stays disabled.
    """
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        return make(fn, variant)
    finally:
        if enabled:
            gc.enable()


def _operator_rules():
    names = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos",
             "getitem", "and_", "or_", "xor", "lshift", "rshift")
    return {name: registry.lookup_rule(getattr(operator, name)) for name in names}


def _make_reverse(fn, variant):
    from ..runtime import namespace

    return transform_module.transform(fn, namespace, _operator_rules(), variant)


def _make_forward(fn, variant):
    from ..runtime import forward_namespace
    from .forward import transform_forward

    return transform_forward(fn, forward_namespace)


reverse_cache = TransformCache(_make_reverse)
forward_cache = TransformCache(_make_forward)
# The pullback form `withgradient` uses for a function, per tuple of argument types; filled
# and checked in `dispatch.entry_pullback_form`.
entry_forms = weakref.WeakKeyDictionary()


def transformed(fn, variant=None):
    """Return `(Transformed, pullback)` for the Python function `fn`, compiling if needed."""
    return reverse_cache.get(fn, variant)


def forward_transformed(fn):
    """Return `(ForwardTransformed, jvp function)` for the Python function `fn`."""
    return forward_cache.get(fn)


def clear():
    """Forget every transformed function."""
    reverse_cache.clear()
    forward_cache.clear()
    entry_forms.clear()
