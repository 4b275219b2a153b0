"""Tangents of the container plumbing and of the normalizer's markers in forward mode.

Marker functions take each operand followed by its tangent, then the keywords as a dict.
"""

import numpy as np

from ..errors import MissingRuleError
from . import containers
from .accumulate import densify
from .forward_dispatch import _all_none, call_method
from .structures import Structural


def iterate(x, dx):
    if isinstance(x, (list, tuple, np.ndarray)):
        return x, dx
    items = list(x)
    return items, None


def tangent_item(dsequence, position):
    if dsequence is None:
        return None
    dsequence = densify(dsequence)
    return dsequence[position]


def closure_tangent(names, tangents):
    if all(t is None for t in tangents):
        return None
    return Structural(dict(zip(names, tangents)))


def build_sequence(kind, flags, parts, dparts):
    items, tangents = [], []
    for part, dpart, starred in zip(parts, dparts, flags):
        if starred:
            part = list(part)
            items.extend(part)
            tangents.extend(list(dpart) if dpart is not None else [None] * len(part))
        else:
            items.append(part)
            tangents.append(dpart)
    if kind == "tuple":
        return tuple(items), tuple(tangents)
    return items, tangents


def build_dict(keys, values, dvalues):
    out, tangents = {}, {}
    for key, value, dvalue in zip(keys, values, dvalues):
        if key is None:
            out.update(value)
            tangents.update(dvalue or {})
        else:
            out[key] = value
            tangents[key] = dvalue
    return out, tangents


def starred_tangents(value, dvalue):
    if dvalue is None:
        return (None,) * len(value)
    return tuple(densify(dvalue))


def starred_keyword_tangents(value, dvalue):
    return dict(dvalue) if dvalue is not None else {}


# ----- markers: each operand is followed by its tangent, then the keywords -----


def setitem(x, dx, index, dindex, value, dvalue, keywords):
    if isinstance(x, containers.Buffer):
        raise MissingRuleError("forward mode does not support writes into a zygote_py.Buffer; "
                               "build the array with np.stack or np.concatenate")
    y = containers.setitem(x, index, value)[0]
    if dx is None and dvalue is None:
        return y, None
    if isinstance(x, np.ndarray):
        tangent = np.zeros_like(y) if dx is None else np.array(np.broadcast_to(densify(dx),
                                                                               y.shape), copy=True)
        tangent = tangent.astype(np.result_type(tangent, y), copy=False)
        tangent[index] = 0 if dvalue is None else dvalue
        return y, tangent
    if isinstance(x, list):
        tangent = list(densify(dx)) if dx is not None else [None] * len(x)
        tangent[index] = dvalue
        return y, tangent
    tangent = dict(dx or {})
    tangent[index] = dvalue
    return y, tangent


def append(lst, dlst, value, dvalue, keywords):
    y = containers.append(lst, value)[0]
    if dlst is None and dvalue is None:
        return y, None
    tangent = list(densify(dlst)) if dlst is not None else [None] * (len(y) - 1)
    tangent.append(dvalue)
    return y, tangent


def unpack(value, dvalue, count, dcount, star, dstar, keywords):
    parts = containers.unpack(value, count, star)[0]
    if dvalue is None:
        return parts, None
    flat = densify(dvalue)
    flat = list(flat) if not isinstance(flat, np.ndarray) else list(flat)
    if star < 0:
        return parts, tuple(flat)
    after = count - star - 1
    size = len(flat)
    tangents = tuple(flat[:star]) + (list(flat[star:size - after]),) + tuple(flat[size - after:])
    return parts, tangents


def copyto(destination, ddestination, source, dsource, *rest):
    keywords = rest[-1]
    y = containers.copyto(destination, source, **keywords)[0]
    if ddestination is None and dsource is None:
        return y, None
    where = np.broadcast_to(np.asarray(keywords.get("where", True), dtype=bool), y.shape)
    base = np.zeros_like(y) if ddestination is None else np.broadcast_to(ddestination, y.shape)
    new = np.zeros_like(y) if dsource is None else np.broadcast_to(dsource, y.shape)
    return y, np.where(where, new, base)


def ufunc_at(x, dx, ufunc, dufunc, index, dindex, value, dvalue, keywords):
    y = containers.ufunc_at(x, ufunc, index, value)[0]
    if dx is None and dvalue is None:
        return y, None
    tangent = np.zeros_like(y) if dx is None else np.array(np.broadcast_to(densify(dx), y.shape))
    if dvalue is not None:
        ufunc.at(tangent, index, dvalue)
    return y, tangent


def mutating_call(obj, dobj, name, dname, *rest):
    keywords = rest[-1]
    args = rest[:-1:2]
    dargs = rest[1:-1:2]
    (new, result), _ = containers.mutating_call(obj, name, *args, **keywords)
    if dobj is None and _all_none(dargs):
        return (new, result), None
    if isinstance(obj, list):
        tangent = list(densify(dobj)) if dobj is not None else [None] * len(obj)
        if name == "extend":
            extra = densify(dargs[0]) if dargs[0] is not None else [None] * (len(new) - len(obj))
            return (new, result), (tangent + list(extra), None)
        if name == "insert":
            tangent.insert(args[0], dargs[1])
            return (new, result), (tangent, None)
        if name == "pop":
            popped = tangent.pop(args[0] if args else -1)
            return (new, result), (tangent, popped)
    if isinstance(obj, dict):
        tangent = dict(dobj or {})
        if name == "update":
            tangent.update(dargs[0] or {})
            return (new, result), (tangent, None)
        if name == "setdefault":
            if args[0] not in obj:
                tangent[args[0]] = dargs[1] if len(dargs) > 1 else None
            return (new, result), (tangent, tangent.get(args[0]))
    _, dresult = call_method(obj, dobj, name, args, dargs, keywords, {})
    return (new, result), (dobj, dresult)


# ----- forward rules of the reverse-mode runtime, for forward over reverse -----


