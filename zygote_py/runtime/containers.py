"""Rules for the container plumbing that the compiler generates.

Unpacking, building tuples, lists and dicts, iterating, and the in-place writes that the
compiler accepts on values the function created: `x[i] = v` (copy on write), `lst.append(v)`
and the other list and dict mutators. Each function returns `(value, back)` like a rule.
"""

import numpy as np

from .accumulate import IndexedGradient, accumulate, densify
from .broadcast import unbroadcast
from .buffer import Buffer, buffer_setitem
from .structures import Structural


def _dense(dy):
    return densify(dy)


def unpack(value, count, star):
    """Split `value` for `a, *b, c = value`; `star` is the starred position or -1."""
    items = list(value) if not isinstance(value, (list, tuple, np.ndarray)) else value
    size = len(items)
    if star < 0:
        if size != count:
            raise ValueError(f"cannot unpack {size} values into {count} names")
        parts = tuple(items[i] for i in range(size))
    else:
        after = count - star - 1
        if size < count - 1:
            raise ValueError(f"cannot unpack {size} values into {count - 1} or more names")
        parts = tuple(items[i] for i in range(star)) + (list(items[star:size - after]),) + \
            tuple(items[i] for i in range(size - after, size))
    kind = type(value)
    like = value if isinstance(value, np.ndarray) else None

    def unpack_back(dparts):
        dparts = _dense(dparts)
        flat = []
        for position, g in enumerate(dparts):
            if position == star:
                width = size - (count - 1)
                flat.extend(g if g is not None else [None] * width)
            else:
                flat.append(g)
        if like is not None:
            if all(g is None for g in flat):
                return None, None, None
            rows = [np.zeros(like.shape[1:], like.dtype) if g is None else g for g in flat]
            return unbroadcast(np.stack(rows), like), None, None
        if kind is tuple or kind is list:
            return kind(flat), None, None
        if hasattr(kind, "_fields"):
            return kind(*flat), None, None
        return list(flat), None, None

    return parts, unpack_back


def iterate(value):
    """Materialize an iterable so the loop can read it by position."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return value, lambda dy: (dy,)
    if isinstance(value, dict):
        keys = list(value)
        return keys, None
    items = list(value)
    return items, None


def setitem(x, index, v):
    """`x[index] = v` on a copy of `x`; the original stays as it was."""
    if isinstance(x, Buffer):
        return buffer_setitem(x, index, v)
    if isinstance(x, np.ndarray):
        if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.inexact) and \
                not np.issubdtype(x.dtype, np.inexact):
            raise TypeError(f"writing float values into an integer array of dtype {x.dtype} "
                            "would truncate them and lose the gradient; create the array "
                            "with a float dtype")
        y = x.copy()
        y[index] = v

        def array_setitem_back(dy):
            dy = _dense(dy)
            dx = np.array(dy, copy=True)
            dx[index] = 0
            dv = dy[index]
            return unbroadcast(dx, x), None, unbroadcast(dv, v) if not _is_scalar_like(v) \
                else _scalar(dv, v)

        return y, array_setitem_back
    if isinstance(x, list):
        y = list(x)
        y[index] = v

        def list_setitem_back(dy):
            dy = list(_dense(dy))
            dv = dy[index]
            dy[index] = None if not isinstance(index, slice) else [None] * len(range(
                *index.indices(len(x))))
            return dy, None, dv

        return y, list_setitem_back
    if isinstance(x, dict):
        y = dict(x)
        y[index] = v
        existed = index in x

        def dict_setitem_back(dy):
            dy = dict(_dense(dy) or {})
            dv = dy.pop(index, None)
            return (dy if existed or dy else None), None, dv

        return y, dict_setitem_back
    raise TypeError(f"item assignment into a {type(x).__name__} is not differentiable; build "
                    "a new value instead")


def copyto(destination, source, casting="same_kind", where=True):
    """`np.copyto(destination, source)` on a copy of `destination`."""
    y = np.array(destination, copy=True)
    np.copyto(y, source, casting=casting, where=where)
    mask = np.broadcast_to(np.asarray(where, dtype=bool), y.shape)

    def copyto_back(dy):
        dy = _dense(dy)
        ddestination = np.where(mask, np.zeros_like(dy), dy)
        dsource = np.where(mask, dy, np.zeros_like(dy))
        return unbroadcast(ddestination, destination), unbroadcast(dsource, source)

    return y, copyto_back


def ufunc_at(x, ufunc, index, v=None):
    """`np.add.at(x, index, v)` (or `np.subtract.at`) on a copy of `x`."""
    if ufunc not in (np.add, np.subtract):
        from ..errors import MutationError

        raise MutationError(f"{ufunc.__name__}.at changes an array in place and has no "
                            "gradient rule; only np.add.at and np.subtract.at are supported")
    y = np.array(x, copy=True)
    ufunc.at(y, index, v)
    sign = 1 if ufunc is np.add else -1

    def ufunc_at_back(dy):
        dy = _dense(dy)
        gathered = np.asarray(dy)[index] * sign
        dv = unbroadcast(gathered, v) if np.ndim(v) else unbroadcast(np.sum(gathered), v)
        return unbroadcast(dy, x), None, None, dv

    return y, ufunc_at_back


def _is_scalar_like(v):
    return np.ndim(v) == 0


def _scalar(dv, v):
    total = np.sum(dv)
    return unbroadcast(total, v)


def append(lst, v):
    """`lst.append(v)` in place; the gradient of the last element is popped off."""
    if not isinstance(lst, list):
        from .dispatch import call_method

        _, back = call_method(lst, "append", v)
        return lst, (None if back is None else lambda dy: (dy, back(dy)[1]))
    lst.append(v)
    size = len(lst)

    def append_back(dy):
        if isinstance(dy, IndexedGradient):
            dy = dy.dense()
        if dy is None:
            dy = _OwnedList([None] * size)
        elif type(dy) is not _OwnedList:
            dy = _OwnedList(dy)
        dv = dy.pop() if len(dy) == size else None
        return dy, dv

    return lst, append_back


class _OwnedList(list):
    """A list gradient that only the backward pass holds, so it may be popped in place.

    The pullbacks of consecutive appends hand it from one to the next, which keeps a loop of
    `n` appends at O(n) in the backward pass instead of copying the list each time.
    """


def mutating_call(obj, name, *args, **kwargs):
    """`obj.name(*args)` for a list or dict mutator; returns `((new obj, result), back)`."""
    if isinstance(obj, list) and name in _LIST_MUTATORS:
        return _LIST_MUTATORS[name](obj, *args, **kwargs)
    if isinstance(obj, dict) and name in _DICT_MUTATORS:
        return _DICT_MUTATORS[name](obj, *args, **kwargs)
    if isinstance(obj, (list, dict, set, np.ndarray)):
        from ..errors import MutationError

        raise MutationError(f"{type(obj).__name__}.{name} changes the object in place, which "
                            "the gradient cannot follow; build a new value instead (for "
                            "example a new list, or np.where for an array)")
    from .dispatch import call_method

    result, back = call_method(obj, name, *args, **kwargs)
    if back is None:
        return (obj, result), None

    def method_back(dpair):
        dpair = _dense(dpair)
        dobj, dresult = dpair if dpair is not None else (None, None)
        grads = back(dresult) if dresult is not None else (None,) * (len(args) + 1)
        return (accumulate(dobj, grads[0]), None) + tuple(grads[1:])

    return (obj, result), method_back


def _list_extend(lst, other):
    new = lst + list(other)
    size = len(lst)

    def extend_back(dpair):
        dpair = _dense(dpair)
        dnew = _dense(dpair[0]) if dpair is not None else None
        if dnew is None:
            return None, None, None
        return list(dnew[:size]), None, type(other)(dnew[size:]) if isinstance(
            other, (list, tuple)) else list(dnew[size:])

    return (new, None), extend_back


def _list_insert(lst, index, value):
    new = list(lst)
    new.insert(index, value)
    position = range(len(new))[index] if index < len(new) else len(new) - 1

    def insert_back(dpair):
        dpair = _dense(dpair)
        dnew = _dense(dpair[0]) if dpair is not None else None
        if dnew is None:
            return None, None, None, None
        dnew = list(dnew)
        dvalue = dnew.pop(position)
        return dnew, None, None, dvalue

    return (new, None), insert_back


def _list_pop(lst, index=-1):
    new = list(lst)
    value = new.pop(index)
    position = range(len(lst))[index]

    def pop_back(dpair):
        dpair = _dense(dpair)
        dnew, dvalue = dpair if dpair is not None else (None, None)
        dlst = list(dnew) if dnew is not None else [None] * (len(lst) - 1)
        dlst.insert(position, dvalue)
        return dlst, None, None

    return (new, value), pop_back


def _dict_update(d, other=(), **kwargs):
    new = dict(d)
    new.update(other, **kwargs)
    other_keys = list(dict(other)) if other != () else []

    def update_back(dpair):
        dpair = _dense(dpair)
        dnew = _dense(dpair[0]) if dpair is not None else None
        if dnew is None:
            return None, None, None
        dd = {k: v for k, v in dnew.items() if k in d and k not in other_keys and k not in kwargs}
        dother = {k: dnew.get(k) for k in other_keys}
        return dd, None, dother

    return (new, None), update_back


def _dict_setdefault(d, key, default=None):
    new = dict(d)
    value = new.setdefault(key, default)
    existed = key in d

    def setdefault_back(dpair):
        dpair = _dense(dpair)
        dnew, dvalue = dpair if dpair is not None else (None, None)
        dd = dict(dnew or {})
        if existed:
            dd[key] = accumulate(dd.get(key), dvalue)
            return dd, None, None, None
        ddefault = accumulate(dd.pop(key, None), dvalue)
        return dd, None, None, ddefault

    return (new, value), setdefault_back


_LIST_MUTATORS = {"extend": _list_extend, "insert": _list_insert, "pop": _list_pop}
_DICT_MUTATORS = {"update": _dict_update, "setdefault": _dict_setdefault}


def build_sequence(kind, starred, *parts):
    """Build a tuple or list from parts, some of them starred (`(a, *b)`)."""
    items = []
    widths = []
    for part, is_starred in zip(parts, starred):
        if is_starred:
            part = list(part)
            items.extend(part)
            widths.append(len(part))
        else:
            items.append(part)
            widths.append(None)
    value = tuple(items) if kind == "tuple" else items

    def build_back(dy):
        dy = _dense(dy)
        grads = []
        position = 0
        for part, width in zip(parts, widths):
            if width is None:
                grads.append(dy[position])
                position += 1
            else:
                piece = list(dy[position:position + width])
                grads.append(_starred_gradient(part, piece))
                position += width
        return (None, None) + tuple(grads)

    return value, build_back


def _starred_gradient(part, piece):
    """Return the gradient of a starred part (`*x`) from its elements' gradients."""
    if isinstance(part, np.ndarray):
        if all(g is None for g in piece):
            return None
        rows = [np.zeros(part.shape[1:], part.dtype) if g is None else g for g in piece]
        return np.stack(rows).astype(part.dtype, copy=False)
    if isinstance(part, (list, tuple)):
        return type(part)(piece)
    return piece


def build_dict(keys, *values):
    """Build a dict from keys and values; a `None` key merges the value (`{**d}`)."""
    out = {}
    for key, value in zip(keys, values):
        if key is None:
            out.update(value)
        else:
            out[key] = value

    def build_dict_back(dy):
        dy = _dense(dy) or {}
        grads = []
        for key, value in zip(keys, values):
            if key is None:
                grads.append({k: dy.get(k) for k in value})
            else:
                grads.append(dy.get(key))
        return (None,) + tuple(grads)

    return out, build_dict_back


def sequence_cotangent(g, size):
    """Return the gradient of a tuple or list display, as a sequence of `size` entries."""
    g = _dense(g)
    if isinstance(g, (list, tuple)):
        return g
    if isinstance(g, Structural):
        return tuple(g.values())
    raise TypeError(f"expected the gradient of a sequence of {size} values, got {type(g).__name__}")


def dict_cotangent(g, key):
    if g is None:
        return None
    g = _dense(g)
    if isinstance(g, (dict, Structural)):
        return g.get(key)
    raise TypeError(f"expected the gradient of a dict, got {type(g).__name__}")


def field_cotangent(g, name):
    """Return the gradient of a captured variable, from the gradient of a closure."""
    if g is None:
        return None
    if isinstance(g, Structural):
        return g[name]
    if isinstance(g, dict):
        return g.get(name)
    return None


def closure_cotangent(names, grads):
    """The gradient of a function, as the gradients of the variables it captured."""
    if all(g is None for g in grads):
        return None
    return Structural(dict(zip(names, grads)))


def _register_cotangent_rules():
    # These helpers are linear, so reverse mode over generated pullbacks (forward mode
    # transposes pullbacks that way) needs their own rules rather than their source.
    from ..rules.registry import register_rule

    def closure_cotangent_rule(names, grads):
        def closure_cotangent_back(dstructure):
            dstructure = _dense(dstructure)
            if dstructure is None:
                return None, None
            return None, tuple(field_cotangent(dstructure, name) for name in names)

        return closure_cotangent(names, grads), closure_cotangent_back

    def field_cotangent_rule(g, name):
        def field_cotangent_back(dfield):
            return Structural({name: _dense(dfield)}), None

        return field_cotangent(g, name), field_cotangent_back

    def sequence_cotangent_rule(g, size):
        return sequence_cotangent(g, size), lambda dparts: (_dense(dparts), None)

    def dict_cotangent_rule(g, key):
        return dict_cotangent(g, key), lambda dvalue: ({key: _dense(dvalue)}, None)

    register_rule(closure_cotangent, closure_cotangent_rule)
    register_rule(field_cotangent, field_cotangent_rule)
    register_rule(sequence_cotangent, sequence_cotangent_rule)
    register_rule(dict_cotangent, dict_cotangent_rule)


_register_cotangent_rules()


def _register_structural_rule():
    from ..rules.registry import register_rule

    def structural_rule(fields=None, type_=None):
        def structural_back(dstructure):
            dstructure = _dense(dstructure)
            if dstructure is None:
                return None, None
            return {name: dstructure[name] for name in (fields or {})}, None

        return Structural(fields, type_), structural_back

    register_rule(Structural, structural_rule)


_register_structural_rule()


def check_inplace(value, name, where, filename, lineno):
    """Raise `MutationError` if `x op= v` would change a mutable object in place."""
    if isinstance(value, (np.ndarray, list, dict, set, Buffer)):
        from ..errors import MutationError

        raise MutationError(
            f"the augmented assignment to {name!r} at {where} changes a "
            f"{type(value).__name__} in place, and {name!r} is an argument, a view or shares "
            "its object with another name, so the gradient cannot follow. Write "
            f"{name} = {name} + ... to make a new value, or copy it first with .copy()",
            filename, lineno)


def check_out(out, where, filename, lineno):
    """Raise `MutationError` if a call at `where` writes its result into `out=`."""
    if out is not None:
        from ..errors import MutationError

        raise MutationError(
            f"the keyword out= at {where} writes a result into an existing array, which the "
            "gradient cannot follow; assign the result to a variable instead",
            filename, lineno)
