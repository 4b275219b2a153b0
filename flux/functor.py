"""Walking models as trees: functor, fmap, params, mode switches, state, save and load.

A model is a tree. Tuples, lists and dicts are nodes whose children are their items. A layer,
or any instance of a user-defined class, is a node whose children are its attributes (from
`vars`). Everything else (arrays, numbers, functions, generators) is a leaf. Parameters are the
floating-point arrays reached through `trainable` children.
"""

import copy
import logging
import types
import warnings

import numpy as np

from ._ad import params_type

__all__ = [
    "functor", "fmap", "isleaf", "trainable", "params", "testmode", "trainmode", "state",
    "loadmodel", "save", "load", "f32", "f64", "modules",
]

logger = logging.getLogger(__name__)

_LEAF_TYPES = (np.ndarray, np.generic, np.random.Generator, np.random.BitGenerator,
               types.FunctionType, types.BuiltinFunctionType, types.MethodType,
               types.ModuleType, type, np.ufunc, str, bytes, int, float, complex, bool,
               type(None))


def _is_object_node(x):
    if isinstance(x, _LEAF_TYPES) or callable(getattr(x, "__wrapped__", None)):
        return False
    if type(x).__module__ in ("builtins", "functools", "numpy"):
        return False
    return hasattr(x, "__dict__")


def functor(x):
    """functor(x) -> (children, rebuild)

    Returns the children of `x` and a function that builds a copy of `x` from new children.
    A tuple or list gives a tuple or list of items, a dict gives a dict, an object gives a
    dict of its attributes, and a leaf gives `()` and a function returning `x` itself.
    Example: `children, rebuild = functor(Dense(2, 3))`, then `children["weight"]`.
    """
    if isinstance(x, tuple):
        if hasattr(x, "_fields"):
            return tuple(x), lambda children: type(x)(*children)
        return tuple(x), lambda children: tuple(children)
    if isinstance(x, list):
        return list(x), lambda children: list(children)
    if isinstance(x, dict):
        return dict(x), lambda children: type(x)(children)
    if _is_object_node(x):
        def rebuild(children):
            new = copy.copy(x)
            new.__dict__.update(children)
            return new

        return dict(vars(x)), rebuild
    return (), lambda children: x


def isleaf(x):
    """Return whether `x` has no children."""
    children, _ = functor(x)
    return len(children) == 0


def _items(children):
    if isinstance(children, dict):
        return list(children.items())
    return list(enumerate(children))


def trainable(x):
    """trainable(layer) -> children

    Returns the children of `x` that hold parameters. A class narrows it by defining
    `_trainable` as a tuple of attribute names, as `Dropout` does with none.
    """
    children, _ = functor(x)
    names = getattr(type(x), "_trainable", None)
    if names is None or not isinstance(children, dict):
        return children
    return {name: children[name] for name in names if name in children}


def fmap(f, x, exclude=isleaf):
    """fmap(f, x; exclude=isleaf)

    Rebuilds the tree `x` with `f` applied to each node for which `exclude` is true (every
    leaf by default). An array that appears twice is mapped once and shared in the result.
    Example: `fmap(lambda a: a * 2 if isinstance(a, np.ndarray) else a, model)`.
    """
    cache = {}

    def walk(node):
        key = id(node)
        if key in cache:
            return cache[key][1]
        if exclude(node):
            result = f(node)
        else:
            children, rebuild = functor(node)
            if isinstance(children, dict):
                result = rebuild({k: walk(v) for k, v in children.items()})
            else:
                result = rebuild(type(children)(walk(v) for v in children))
        if not isinstance(node, (int, float, bool, str, type(None))):
            cache[key] = (node, result)
        return result

    return walk(x)


def _is_parameter(x):
    return isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.inexact)


def params(*models):
    """params(model...) -> zygote_py.Params

    Collects every floating-point array reached through `trainable` children, in order and
    without repeats. Warns when none is found, since training such a model does nothing.
    Example: `ps = params(model)`, then `zygote_py.gradient(lambda: loss(x, y), ps)`.
    """
    ps = params_type()()
    seen = set()

    def walk(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        if _is_parameter(node):
            ps.append(node)
            return
        for _, child in _items(trainable(node)):
            walk(child)

    for model in models:
        walk(model)
    if len(ps) == 0:
        names = ", ".join(type(m).__name__ for m in models)
        warnings.warn(f"params found no floating-point arrays in {names}; training it will "
                      "change nothing", stacklevel=2)
    return ps


def modules(model):
    """Return every node of `model` that is an object or container, the root first."""
    found, seen = [], set()

    def walk(node):
        if id(node) in seen or isleaf(node):
            return
        seen.add(id(node))
        found.append(node)
        for _, child in _items(functor(node)[0]):
            walk(child)

    walk(model)
    return found


def testmode(model, mode=True):
    """testmode(model, mode=True) -> model

    Switches every layer with an `active` attribute (such as `Dropout`) off when `mode` is
    true, on when it is false, and back to automatic (active only inside `train`) when it is
    `None`. Changes the model in place.
    """
    if mode not in (True, False, None):
        raise ValueError(f"testmode needs mode True, False or None, got {mode!r}")
    for node in modules(model):
        if hasattr(node, "active") and not isinstance(node, (tuple, list, dict)):
            node.active = None if mode is None else (not mode)
    return model


def trainmode(model, mode=True):
    """trainmode(model, mode=True) -> model; the same as `testmode(model, not mode)`."""
    return testmode(model, None if mode is None else (not mode))


def _state_of(node):
    if isinstance(node, np.ndarray):
        return node.copy()
    if isinstance(node, (int, float, bool, str, np.generic, type(None))):
        return node
    children, _ = functor(node)
    if len(children) == 0:
        return None
    if isinstance(children, dict):
        return {k: _state_of(v) for k, v in children.items()}
    return type(children)(_state_of(v) for v in children)


def state(model):
    """state(model) -> nested dicts, tuples and arrays

    Copies every array of the model, with numbers and flags, into a tree shaped like the
    model (objects become dicts of their attributes). Functions and generators become `None`.
    `loadmodel` writes such a tree back; `save` stores its arrays in a file.
    """
    return _state_of(model)


def _path(prefix, key):
    return f"{prefix}.{key}" if prefix else str(key)


def _load_into(node, source, path):
    if isinstance(node, np.ndarray):
        source = np.asarray(source)
        if source.shape != node.shape:
            raise ValueError(f"cannot load an array of shape {source.shape} into "
                             f"'{path or 'model'}' of shape {node.shape}")
        node[...] = source
        return
    children, _ = functor(node)
    if len(children) == 0:
        return
    for key, child in _items(children):
        if isinstance(source, dict):
            if key not in source:
                if isinstance(child, np.ndarray):
                    raise KeyError(f"state has no entry for '{_path(path, key)}'")
                continue
            _load_into(child, source[key], _path(path, key))
        elif isinstance(source, (tuple, list)):
            if len(source) != len(children):
                raise ValueError(f"state at '{path or 'model'}' has {len(source)} entries but "
                                 f"the model has {len(children)}")
            _load_into(child, source[key], _path(path, key))
        elif source is not None or isinstance(child, np.ndarray):
            raise ValueError(f"state at '{path or 'model'}' is a {type(source).__name__}, "
                             "which does not match the model's structure")


def loadmodel(model, source):
    """loadmodel(model, state) -> model

    Copies the arrays of `source` (from `state`, or another model of the same structure) into
    the arrays of `model` in place. A missing entry or a shape mismatch raises and names the
    path, such as `layers.0.weight`.
    """
    if not isinstance(source, (dict, tuple, list, np.ndarray)):
        source = state(source)
    _load_into(model, source, "")
    return model


def _flat_arrays(node, prefix, out, seen):
    if isinstance(node, np.ndarray):
        out[prefix or "model"] = node
        return
    if id(node) in seen:
        return
    seen.add(id(node))
    children, _ = functor(node)
    for key, child in _items(children):
        if isinstance(key, str) and "." in key:
            raise ValueError(f"cannot save the field '{key}' because its name contains a dot")
        _flat_arrays(child, _path(prefix, key), out, seen)


def save(path, model):
    """save(path, model)

    Writes every array of `model` to the `.npz` file `path`, keyed by its path in the model
    (`layers.0.weight`). The file contains plain arrays only, so `load` reads it with
    `allow_pickle=False`.
    """
    arrays = {}
    _flat_arrays(model, "", arrays, set())
    if any(a.dtype == object for a in arrays.values()):
        raise ValueError("cannot save arrays of dtype object without pickle")
    np.savez(path, **arrays)
    logger.info("saved %d arrays to %s", len(arrays), path)


def load(path, model):
    """load(path, model) -> model

    Reads a file written by `save` into the arrays of `model` in place. Raises `KeyError` for
    an array the file lacks or has in excess, and `ValueError` for a shape mismatch.
    """
    expected = {}
    _flat_arrays(model, "", expected, set())
    with np.load(path, allow_pickle=False) as stored:
        stored_keys = set(stored.files)
        missing = sorted(set(expected) - stored_keys)
        extra = sorted(stored_keys - set(expected))
        if missing:
            raise KeyError(f"{path} has no array for {', '.join(missing)}")
        if extra:
            raise KeyError(f"{path} has arrays the model lacks: {', '.join(extra)}")
        for key, target in expected.items():
            value = stored[key]
            if value.shape != target.shape:
                raise ValueError(f"cannot load '{key}' of shape {value.shape} from {path} into "
                                 f"an array of shape {target.shape}")
            target[...] = value
    logger.info("loaded %d arrays from %s", len(expected), path)
    return model


def _convert_floats(model, dtype):
    def convert(x):
        if _is_parameter(x):
            return x.astype(dtype)
        return x

    return fmap(convert, model)


def f32(model):
    """Return a copy of `model` with every floating-point array converted to float32."""
    return _convert_floats(model, np.float32)


def f64(model):
    """Return a copy of `model` with every floating-point array converted to float64."""
    return _convert_floats(model, np.float64)
