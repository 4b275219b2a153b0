"""The cache of transformed functions.

Keyed by the function object (weakly) and checked against its `__code__` and the rule
registry's version, so redefining a function, re-running a notebook cell or registering a
rule after a function was compiled all give a fresh transform. A lock makes compilation
safe from several threads; a recursive function reaching itself while it is being compiled
waits for nothing, since the transform never runs the function.
"""

import operator
import threading
import weakref

from . import transform as transform_module
from ..rules import registry

_lock = threading.RLock()
_by_function = weakref.WeakKeyDictionary()
_by_code = {}


def _operator_rules():
    names = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos",
             "getitem", "and_", "or_", "xor", "lshift", "rshift")
    return {name: registry.lookup_rule(getattr(operator, name)) for name in names}


def transformed(fn):
    """Return `(Transformed, pullback)` for the Python function `fn`, compiling if needed."""
    version = registry.version()
    entry = _by_function.get(fn)
    if entry is not None and entry[0] is fn.__code__ and entry[1] == version:
        return entry[2], entry[3]
    with _lock:
        key = (fn.__code__, id(fn.__globals__))
        cached = _by_code.get(key)
        if cached is not None and cached[0] == version:
            result = cached[1]
        else:
            from ..runtime import namespace

            result = transform_module.transform(fn, namespace, _operator_rules())
            _by_code[key] = (version, result)
        pullback = result.bind(fn)
        _by_function[fn] = (fn.__code__, version, result, pullback)
        return result, pullback


def clear():
    """Forget every transformed function."""
    with _lock:
        _by_function.clear()
        _by_code.clear()
