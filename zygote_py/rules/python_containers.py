"""Rules for Python's container builtins and higher-order functions.

`zip`, `enumerate`, `reversed`, `list`, `tuple`, `dict`, `sorted`, `map`, `filter`,
`functools.reduce`, `getattr`, and the reading methods of lists and dicts. Iterators come
back as lists, so the compiler can read them by position and send gradients back.
"""

import builtins
import functools

import numpy as np

from ..runtime.accumulate import accumulate, densify
from .registry import (register_method_rule, register_non_differentiable,
                       register_non_differentiable_methods, register_rule)


def _sequence_gradient(like, parts):
    """Give `parts` the container type of `like` (an array gets stacked rows)."""
    if isinstance(like, np.ndarray):
        if all(p is None for p in parts):
            return None
        rows = [np.zeros(like.shape[1:], like.dtype) if p is None else p for p in parts]
        return np.stack(rows).astype(like.dtype, copy=False)
    if isinstance(like, tuple) and hasattr(type(like), "_fields"):
        return type(like)(*parts)
    if isinstance(like, tuple):
        return tuple(parts)
    return list(parts)


def _materialize(iterable):
    return iterable if isinstance(iterable, (list, tuple, np.ndarray)) else list(iterable)


@register_rule(builtins.zip)
def zip_rule(*iterables, strict=False):
    sources = [_materialize(i) for i in iterables]
    y = list(zip(*sources, strict=strict))
    count = len(y)

    def zip_back(dy):
        dy = densify(dy)
        grads = []
        for position, source in enumerate(sources):
            parts = [None] * len(source)
            for row in range(count):
                item = dy[row]
                if item is not None:
                    parts[row] = item[position]
            grads.append(_sequence_gradient(source, parts))
        return tuple(grads)

    return y, zip_back


@register_rule(builtins.enumerate)
def enumerate_rule(iterable, start=0):
    source = _materialize(iterable)
    y = list(enumerate(source, start))

    def enumerate_back(dy):
        dy = densify(dy)
        parts = [None if item is None else item[1] for item in dy]
        return (_sequence_gradient(source, parts),)

    return y, enumerate_back


@register_rule(builtins.reversed)
def reversed_rule(sequence):
    y = list(reversed(sequence))

    def reversed_back(dy):
        dy = densify(dy)
        return (_sequence_gradient(sequence, list(reversed(list(dy)))),)

    return y, reversed_back


def _copy_rule(kind):
    def copy_rule(iterable=()):
        source = _materialize(iterable)
        y = kind(source)

        def copy_back(dy):
            dy = densify(dy)
            if isinstance(source, dict):
                return (dy,)
            return (_sequence_gradient(source, list(dy)),)

        return y, copy_back

    copy_rule.__name__ = f"{kind.__name__}_rule"
    return copy_rule


register_rule(builtins.list, _copy_rule(list))
register_rule(builtins.tuple, _copy_rule(tuple))


@register_rule(builtins.dict)
def dict_rule(*args, **kwargs):
    y = dict(*args, **kwargs)
    source = args[0] if args else None
    pairs = isinstance(source, (list, tuple))

    def dict_back(dy):
        dy = densify(dy) or {}
        grads = []
        if source is not None:
            if pairs:
                grads.append(type(source)((None, dy.get(k)) for k, _ in source))
            else:
                grads.append({k: dy.get(k) for k in source})
        kw = {k: dy.get(k) for k in kwargs}
        return tuple(grads) + ((kw,) if kwargs else ())

    return y, dict_back


@register_rule(builtins.sorted)
def sorted_rule(iterable, *, key=None, reverse=False):
    source = _materialize(iterable)
    order = sorted(range(len(source)), key=lambda i: source[i] if key is None else key(source[i]),
                   reverse=reverse)
    y = [source[i] for i in order]

    def sorted_back(dy):
        dy = densify(dy)
        parts = [None] * len(source)
        for position, index in enumerate(order):
            parts[index] = dy[position]
        return (_sequence_gradient(source, parts),)

    return y, sorted_back


@register_rule(builtins.map)
def map_rule(f, *iterables):
    from ..runtime.dispatch import call

    sources = [_materialize(i) for i in iterables]
    results, backs = [], []
    for items in zip(*sources):
        y, back = call(f, *items)
        results.append(y)
        backs.append(back)

    def map_back(dy):
        dy = densify(dy)
        df = None
        parts = [[None] * len(s) for s in sources]
        for row, (back, g) in enumerate(zip(backs, dy)):
            if back is None or g is None:
                continue
            grads = back(g)
            df = accumulate(df, grads[0])
            for position in range(len(sources)):
                parts[position][row] = grads[1 + position]
        return (df,) + tuple(_sequence_gradient(s, p) for s, p in zip(sources, parts))

    return results, map_back


@register_rule(builtins.filter)
def filter_rule(predicate, iterable):
    source = _materialize(iterable)
    keep = [i for i, item in enumerate(source)
            if (predicate(item) if predicate is not None else item)]
    y = [source[i] for i in keep]

    def filter_back(dy):
        dy = densify(dy)
        parts = [None] * len(source)
        for position, index in enumerate(keep):
            parts[index] = dy[position]
        return None, _sequence_gradient(source, parts)

    return y, filter_back


_NO_INITIAL = object()


@register_rule(functools.reduce)
def reduce_rule(f, iterable, initial=_NO_INITIAL):
    from ..runtime.dispatch import call

    source = _materialize(iterable)
    items = list(source)
    has_initial = initial is not _NO_INITIAL
    if has_initial:
        acc = initial
        start = 0
    else:
        if not items:
            raise TypeError("reduce() of empty iterable with no initial value")
        acc = items[0]
        start = 1
    backs = []
    for item in items[start:]:
        acc, back = call(f, acc, item)
        backs.append(back)

    def reduce_back(dy):
        df = None
        parts = [None] * len(items)
        dacc = dy
        for offset in range(len(backs) - 1, -1, -1):
            back = backs[offset]
            if back is None or dacc is None:
                dacc = None
                continue
            grads = back(dacc)
            df = accumulate(df, grads[0])
            parts[start + offset] = accumulate(parts[start + offset], grads[2])
            dacc = grads[1]
        if has_initial:
            return df, _sequence_gradient(source, parts), dacc
        parts[0] = accumulate(parts[0], dacc)
        return df, _sequence_gradient(source, parts)

    return acc, reduce_back


@register_rule(builtins.getattr)
def getattr_rule(obj, name, *default):
    from ..runtime.dispatch import getattr_

    if default and not hasattr(obj, name):
        return default[0], lambda dy: (None, None, dy)
    y, back = getattr_(obj, name)
    if back is None:
        return y, None
    return y, lambda dy: (back(dy)[0], None, None)


@register_rule(builtins.divmod)
def divmod_rule(a, b):
    quotient, remainder = divmod(a, b)

    def divmod_back(dy):
        dy = densify(dy)
        dremainder = dy[1] if dy is not None else None
        if dremainder is None:
            return None, None
        return dremainder, -dremainder * quotient

    return (quotient, remainder), divmod_back


def _dict_items(d):
    keys = list(d)
    y = [(k, d[k]) for k in keys]

    def items_back(dy):
        dy = densify(dy)
        return ({k: (None if item is None else item[1]) for k, item in zip(keys, dy)},)

    return y, items_back


def _dict_values(d):
    keys = list(d)
    y = [d[k] for k in keys]

    def values_back(dy):
        dy = densify(dy)
        return (dict(zip(keys, dy)),)

    return y, values_back


def _dict_get(d, key, default=None):
    if key in d:
        return d[key], lambda dy: ({key: dy}, None, None)
    return default, lambda dy: (None, None, dy)


def _copy_method(obj):
    y = type(obj)(obj)
    return y, lambda dy: (densify(dy),)


register_method_rule(dict, "items", _dict_items)
register_method_rule(dict, "values", _dict_values)
register_method_rule(dict, "get", _dict_get)
register_method_rule(dict, "copy", _copy_method)
register_method_rule(list, "copy", _copy_method)
register_non_differentiable_methods(dict, "keys")
register_non_differentiable_methods(list, "index", "count")
register_non_differentiable_methods(tuple, "index", "count")
register_non_differentiable_methods(str, "format", "join", "upper", "lower", "split", "strip",
                                    "replace", "startswith", "endswith")
register_non_differentiable(builtins.set, builtins.frozenset, builtins.slice, builtins.iter,
                            builtins.all, builtins.any, builtins.format, builtins.vars,
                            builtins.dir)


@register_rule(builtins.super)
def super_rule(cls, obj):
    # The gradient of a super() proxy is the gradient of the object behind it.
    return super(cls, obj), lambda dy: (None, dy)


def _register_logging():
    # Logging and warnings run as they are: their arguments are only formatted.
    import logging
    import warnings

    register_non_differentiable(print, warnings.warn, logging.getLogger, logging.debug,
                                logging.info, logging.warning, logging.error,
                                logging.exception, logging.critical, logging.log)
    register_non_differentiable_methods(logging.Logger, "debug", "info", "warning", "error",
                                        "exception", "critical", "log", "isEnabledFor")
    register_non_differentiable_methods(logging.LoggerAdapter, "debug", "info", "warning",
                                        "error", "exception", "critical", "log")


_register_logging()
