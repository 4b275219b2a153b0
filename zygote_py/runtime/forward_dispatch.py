"""Forward mode at run time: tangent rules and the dispatcher that generated JVP code calls.

`call(f, df, args, dargs, kwargs, dkwargs)` returns `(y, dy)`. The order of resolution: no
tangent at all (run `f` as it is), a forward rule, the non-differentiable registry, a reverse
rule (its pullback is linear, so the tangent is the transpose of the pullback applied to the
input tangents, computed by reverse mode on the pullback itself), then Python code
transformed to forward mode on first use.

Functions of the reverse-mode runtime that generated pullback code calls (`accumulate`,
`call`, ...) have forward rules here too, so forward mode can run over a gradient: that is
how `hessian` works.
"""

import functools
import types

import numpy as np

from ..compiler.cache import forward_transformed
from ..errors import MissingRuleError
from ..rules import registry
from . import containers, dispatch, namespace
from .accumulate import IndexedGradient, accumulate, densify
from .broadcast import is_differentiable_value, unbroadcast
from .structures import Structural

_forward_rules = {}


def register_forward_rule(primal, rule=None, python_form=None):
    """Register `rule(args, dargs, kwargs) -> (y, dy)` as the tangent rule of `primal`.

    `python_form` is `(function, arrange)`: a plain Python function that computes the same
    `(y, dy)` from `arrange(args, dargs, kwargs)`. Forward mode can transform it again, which
    gives the rule a tangent of its own (for derivatives of order three and more).
    """
    if rule is None:
        return lambda fn: register_forward_rule(primal, fn, python_form)
    if python_form is not None:
        rule.zp_python_form = python_form
    _forward_rules[primal] = rule
    return rule


def _all_none(tangents):
    return all(t is None for t in tangents)


def _lookup(table, primal):
    try:
        return table.get(primal)
    except TypeError:
        return None


def call(f, df, args, dargs, kwargs, dkwargs):
    """Call `f` on primals and tangents; return `(y, dy)`."""
    if df is None and _all_none(dargs) and _all_none(dkwargs.values()):
        return f(*args, **kwargs), None
    rule = _lookup(_forward_rules, f)
    if rule is not None:
        return rule(args, dargs, kwargs)
    method_rule = _forward_rules.get(getattr(type(f), "__call__", None))
    if method_rule is not None and not isinstance(f, types.FunctionType):
        return method_rule((f,) + tuple(args), (df,) + tuple(dargs), kwargs)
    if registry.is_non_differentiable(f):
        return f(*args, **kwargs), None
    reverse_rule = registry.lookup_rule(f)
    if reverse_rule is not None:
        return _from_reverse_rule(reverse_rule, args, dargs, kwargs)
    if isinstance(f, types.FunctionType):
        return _call_python(f, df, args, dargs, kwargs, dkwargs)
    if isinstance(f, types.MethodType):
        return _call_python_or_any(f.__func__, df if not isinstance(f.__self__, type) else None,
                                   (f.__self__,) + tuple(args), (df,) + tuple(dargs), kwargs,
                                   dkwargs)
    wrapped = getattr(f, "__zygote_function__", None)
    if wrapped is not None:
        return call(wrapped, df, args, dargs, kwargs, dkwargs)
    if isinstance(f, functools.partial):
        dpartial = df if isinstance(df, Structural) else Structural({})
        stored = tuple(dpartial["args"] or (None,) * len(f.args))
        stored_kw = dpartial["keywords"] or {}
        return call(f.func, dpartial["func"], f.args + tuple(args), stored + tuple(dargs),
                    {**f.keywords, **kwargs},
                    {**{k: stored_kw.get(k) for k in f.keywords}, **dkwargs})
    if isinstance(f, type):
        return _construct(f, args, dargs, kwargs, dkwargs)
    call_method_ = getattr(type(f), "__call__", None)
    if isinstance(call_method_, types.FunctionType):
        return _call_python(call_method_, None, (f,) + tuple(args), (df,) + tuple(dargs),
                            kwargs, dkwargs)
    if not any(_carries(t) for t in dargs):
        return f(*args, **kwargs), None
    raise MissingRuleError(
        f"no forward-mode rule for {dispatch._describe(f)}, and it has no Python source to "
        "transform; register a gradient rule with @zygote_py.adjoint")


def _call_tangent_rule(args, dargs, kwargs):
    """Forward mode over `call` itself: the tangent of a JVP, for nested forward mode.

    The JVP form of a Python function is generated Python, so its own tangent comes from
    transforming that code again; a primitive's JVP goes through `_from_reverse_rule`, which
    is plain Python too.
    """
    f, df, fargs, dfargs, fkwargs, dfkwargs = args
    tangents = tuple(dargs) + (None,) * (6 - len(dargs))
    tf, tdf, tfargs, tdfargs, tfkwargs, tdfkwargs = tangents
    if tf is None and tfargs is None and tdfargs is None and tdf is None:
        return call(f, df, fargs, dfargs, fkwargs, dfkwargs), None
    if registry.is_non_differentiable(f):
        return call(f, df, fargs, dfargs, fkwargs, dfkwargs), None
    tfargs = tfargs if tfargs is not None else (None,) * len(fargs)
    tdfargs = tdfargs if tdfargs is not None else (None,) * len(dfargs)
    if isinstance(f, types.MethodType) or (
            not isinstance(f, (types.FunctionType, type)) and _lookup(_forward_rules, f) is None
            and isinstance(getattr(type(f), "__call__", None), types.FunctionType)
            and registry.lookup_rule(f) is None):
        # A bound method or callable object: call the plain function with the receiver first.
        function = f.__func__ if isinstance(f, types.MethodType) else type(f).__call__
        receiver = f.__self__ if isinstance(f, types.MethodType) else f
        return _call_tangent_rule(
            (function, None, (receiver,) + tuple(fargs), (df,) + tuple(dfargs), fkwargs,
             dfkwargs),
            (None, None, (tf,) + tuple(tfargs), (tdf,) + tuple(tdfargs), tfkwargs, tdfkwargs),
            kwargs)
    rule = _lookup(_forward_rules, f)
    reverse_rule = registry.lookup_rule(f)
    if rule is None and reverse_rule is not None and not registry.is_non_differentiable(f):
        return call(_from_reverse_rule, None, (reverse_rule, fargs, dfargs, fkwargs),
                    (None, tfargs, tdfargs, None), {}, {})
    if rule is None and isinstance(f, types.FunctionType):
        info, jvp_fn = forward_transformed(f)
        # jvp_fn reads f's captured values, whose tangents are tf; its tangent dict holds
        # the tangents of the arguments and of the captured values, which move along
        # tdfargs and tdf.
        bound = _bind_tangents(f, info, fargs, dfargs, fkwargs, dfkwargs or {})
        bound_tangents = _bind_tangents(f, info, fargs, tdfargs, fkwargs, {})
        _bind_free(bound, info, df)
        _bind_free(bound_tangents, info, tdf)
        return call(jvp_fn, tf if isinstance(tf, Structural) else None, fargs, tfargs,
                    {**fkwargs, info.tangents_name: bound},
                    {**(tfkwargs or {}), info.tangents_name: bound_tangents})
    if f is call:
        return _call_tangent_rule(*_lower_call_of_call(fargs, dfargs, tfargs, tdfargs), {})
    python_form = getattr(rule, "zp_python_form", None)
    if python_form is not None:
        function, arrange = python_form
        return call(function, None, arrange(fargs, dfargs, fkwargs),
                    arrange(tfargs, tdfargs, tfkwargs or {}), {}, {})
    if rule is not None and getattr(rule, "zp_linear", False):
        # A linear function's JVP is the function of the tangents, so one more tangent of
        # (y, dy) is the function of the tangents of the arguments and of dargs.
        value = rule(fargs, dfargs, fkwargs)
        tangent = (rule(fargs, tfargs, fkwargs)[1], rule(fargs, tdfargs, fkwargs)[1])
        return value, tangent
    raise MissingRuleError(
        f"derivatives of order three or more through {dispatch._describe(f)} are not "
        "supported; differentiate a plain Python function instead")


def _lower_call_of_call(fargs, dfargs, tfargs, tdfargs):
    """Rewrite the tangent of `call(g, ...)` run by `call` as a tangent of a plain call.

    `call(g, dg, ga, dga, gk, dgk)` equals a call of g's generated JVP form (or of
    `_from_reverse_rule` for a primitive), so one more level of forward mode is that call's
    own tangent. Returns the `(args, dargs)` of `_call_tangent_rule` for it.
    """
    def padded(values):
        values = tuple(values) if values is not None else ()
        return values + (None,) * (6 - len(values))

    g, dg, ga, dga, gk, dgk = padded(fargs)
    tg, tdg, tga, tdga, tgk, tdgk = padded(dfargs)
    sg, sdg, sga, sdga, sgk, sdgk = padded(tfargs)
    stg, stdg, stga, stdga, stgk, stdgk = padded(tdfargs)
    none_args = (None,) * len(ga)
    dga, tga, sga, stga = (v if v is not None else none_args for v in (dga, tga, sga, stga))
    tdga = tdga if tdga is not None else none_args
    sdga = sdga if sdga is not None else none_args
    stdga = stdga if stdga is not None else none_args
    gk = gk or {}
    reverse_rule = registry.lookup_rule(g)
    python_form = getattr(_lookup(_forward_rules, g), "zp_python_form", None)
    if python_form is not None:
        function, arrange = python_form
        return ((function, None, arrange(ga, dga, gk), arrange(dga, tdga, tgk or {}), {}, {}),
                (None, None, arrange(sga, sdga, sgk or {}), arrange(stga, stdga, stgk or {}),
                 {}, {}))
    if _lookup(_forward_rules, g) is None and reverse_rule is not None:
        return ((_from_reverse_rule, None, (reverse_rule, ga, dga, gk), (None, tga, tdga, None),
                 {}, {}),
                (None, None, (None, sga, sdga, None), (None, stga, stdga, None), {}, {}))
    if isinstance(g, types.FunctionType) and _lookup(_forward_rules, g) is None:
        info, jvp_fn = forward_transformed(g)

        def bind(tangents, closure):
            bound = _bind_tangents(g, info, ga, tangents, gk, {})
            _bind_free(bound, info, closure)
            return bound

        name = info.tangents_name
        return ((jvp_fn, tg, ga, tga, {**gk, name: bind(dga, dg)},
                 {**(tgk or {}), name: bind(tdga, tdg)}),
                (sg, stg, sga, stga, {**(sgk or {}), name: bind(sdga, sdg)},
                 {**(stgk or {}), name: bind(stdga, stdg)}))
    raise MissingRuleError(
        f"derivatives of order three or more through {dispatch._describe(g)} are not "
        "supported; differentiate a plain Python function instead")


def _bind_free(bound, info, closure_tangent_):
    """Add the tangents of captured variables from a closure tangent to `bound`."""
    if isinstance(closure_tangent_, Structural):
        for name in info.free_names:
            if closure_tangent_[name] is not None:
                bound[name] = closure_tangent_[name]


def _call_python_or_any(fn, df, args, dargs, kwargs, dkwargs):
    if isinstance(fn, types.FunctionType):
        return _call_python(fn, None, args, dargs, kwargs, dkwargs)
    return call(fn, df, args, dargs, kwargs, dkwargs)


def _carries(t):
    return t is not None


def _call_python(fn, df, args, dargs, kwargs, dkwargs):
    info, jvp_fn = forward_transformed(fn)
    tangents = _bind_tangents(fn, info, args, dargs, kwargs, dkwargs)
    if isinstance(df, Structural):
        for name in info.free_names:
            if df[name] is not None:
                tangents[name] = df[name]
    return jvp_fn(*args, **{info.tangents_name: tangents}, **kwargs)


def _bind_tangents(fn, info, args, dargs, kwargs, dkwargs):
    code = fn.__code__
    positional = code.co_varnames[: code.co_argcount]
    tangents = {}
    extra = []
    for index, tangent in enumerate(dargs):
        if index < len(positional):
            tangents[positional[index]] = tangent
        else:
            extra.append(tangent)
    if code.co_flags & 0x04:  # *args
        vararg = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
        tangents[vararg] = tuple(extra)
    varkw = None
    if code.co_flags & 0x08:  # **kwargs
        varkw = code.co_varnames[code.co_argcount + code.co_kwonlyargcount +
                                 bool(code.co_flags & 0x04)]
        tangents[varkw] = {}
    named = set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    for key, tangent in dkwargs.items():
        if key in named:
            tangents[key] = tangent
        elif varkw is not None:
            tangents[varkw][key] = tangent
    return tangents


def _from_reverse_rule(rule, args, dargs, kwargs):
    """The tangent of a rule's output: the pullback transposed, by reverse mode on it."""
    y, back = rule(*args, **kwargs)
    if back is None:
        return y, None
    # The pullback is linear in its cotangent, but rules mask out exact zeros (the zero
    # cotangent convention), so it is linearized around ones rather than zeros.
    seed = _ones_like_output(y)
    grads, back_of_back = dispatch.call(back, seed)
    cotangent = tuple(dargs) + (None,) * max(0, len(grads) - len(dargs)) \
        if isinstance(grads, tuple) else dargs
    if back_of_back is None:
        return y, None
    result = back_of_back(cotangent[: len(grads)] if isinstance(grads, tuple) else cotangent)
    return y, densify(result[1])


def _ones_like_output(y):
    if isinstance(y, tuple):
        return tuple(_ones_like_output(v) for v in y)
    if isinstance(y, list):
        return [_ones_like_output(v) for v in y]
    if isinstance(y, np.ndarray):
        return np.ones_like(y) if np.issubdtype(y.dtype, np.inexact) else None
    if isinstance(y, (float, np.floating)):
        return type(y)(1)
    return None


def _construct(cls, args, dargs, kwargs, dkwargs):
    obj = cls(*args, **kwargs)
    if cls is IndexedGradient:
        shape, dtype, entries = args[:3]
        dentries = dargs[2] if len(dargs) > 2 else None
        if dentries is None:
            return obj, None
        pairs = [(index, tangent[1]) for (index, _), tangent in zip(entries, dentries)
                 if tangent is not None]
        return obj, IndexedGradient(shape, dtype, pairs)
    if isinstance(obj, tuple) and hasattr(cls, "_fields"):
        return obj, cls(*[t for t in dargs])
    fields = {}
    sources = {}
    for index, arg in enumerate(args):
        sources[id(arg)] = dargs[index] if index < len(dargs) else None
    for key, arg in kwargs.items():
        sources[id(arg)] = dkwargs.get(key)
    names = list(vars(obj)) if hasattr(obj, "__dict__") else []
    for name in names:
        value = getattr(obj, name)
        if id(value) in sources and sources[id(value)] is not None:
            fields[name] = sources[id(value)]
    return obj, (Structural(fields, cls) if fields else None)


def call_method(obj, dobj, name, args, dargs, kwargs, dkwargs):
    if isinstance(obj, types.ModuleType):
        return call(getattr(obj, name), None, args, dargs, kwargs, dkwargs)
    rule = registry.lookup_method_rule(type(obj), name)
    if rule is not None:
        if registry.is_non_differentiable_method(rule):
            return getattr(obj, name)(*args, **kwargs), None
        if dobj is None and _all_none(dargs):
            return getattr(obj, name)(*args, **kwargs), None
        return _from_reverse_rule(rule, (obj,) + tuple(args), (dobj,) + tuple(dargs), kwargs)
    attribute = getattr(obj, name)
    receiver = obj.__self__ if isinstance(obj, super) else obj
    if isinstance(attribute, types.MethodType) and attribute.__self__ is receiver:
        return call(attribute.__func__, None, (receiver,) + tuple(args),
                    (dobj,) + tuple(dargs), kwargs, dkwargs)
    dattribute = dobj[name] if isinstance(dobj, Structural) else None
    return call(attribute, dattribute, args, dargs, kwargs, dkwargs)


def getattr_(obj, dobj, name):
    rule = registry.lookup_attribute_rule(type(obj), name)
    value = getattr(obj, name)
    if dobj is None:
        return value, None
    if rule is not None:
        y, back = rule(obj)
        return _from_reverse_rule(lambda o: (y, back), (obj,), (dobj,), {})
    prop = getattr(type(obj), name, None)
    if isinstance(prop, property) and isinstance(prop.fget, types.FunctionType):
        return call(prop.fget, None, (obj,), (dobj,), {}, {})
    if isinstance(value, types.MethodType) and value.__self__ is obj:
        return value, dobj
    if isinstance(dobj, Structural):
        return value, dobj[name]
    if isinstance(obj, tuple) and hasattr(type(obj), "_fields") and isinstance(dobj, tuple):
        return value, dobj[type(obj)._fields.index(name)]
    if isinstance(dobj, dict):
        return value, dobj.get(name)
    return value, None


def getitem(x, dx, index):
    y = x[index]
    if dx is None:
        return y, None
    if isinstance(dx, IndexedGradient):
        dx = densify(dx)
    if isinstance(x, dict):
        return y, dx.get(index) if isinstance(dx, dict) else None
    if isinstance(x, containers.Buffer):
        return y, None if dx is None else np.asarray(getattr(dx, "array", dx))[index]
    if isinstance(x, np.ndarray) and np.ndim(dx) == 0 and np.ndim(x) > 0:
        dx = np.broadcast_to(dx, x.shape)
    return y, dx[index]


def binary(name, a, b, da, db):
    rule = _BINARY[name]
    return rule(a, b, da, db)


def _unbroadcast_like(t, y):
    if t is None:
        return None
    if isinstance(y, np.ndarray) and np.shape(t) != y.shape:
        return np.broadcast_to(t, y.shape)
    return t


def _add(a, b, da, db):
    y = a + b
    if isinstance(a, (list, tuple)):
        return y, _sequence_tangent(a, da) + _sequence_tangent(b, db)
    return y, _sum_tangents(da, db)


def _sequence_tangent(value, tangent):
    if tangent is None:
        return type(value)([None] * len(value)) if type(value) in (list, tuple) else \
            tuple([None] * len(value))
    return tangent


def _sum_tangents(*tangents):
    total = None
    for t in tangents:
        if t is not None:
            total = t if total is None else total + t
    return total


def _sub(a, b, da, db):
    return a - b, _sum_tangents(da, None if db is None else -db)


def _mul(a, b, da, db):
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        y = a * b
        sequence, count = (a, b) if isinstance(a, (list, tuple)) else (b, a)
        tangent = da if sequence is a else db
        return y, None if tangent is None else tangent * count
    return a * b, _sum_tangents(None if da is None else da * b, None if db is None else a * db)


def _truediv(a, b, da, db):
    y = a / b
    return y, _sum_tangents(None if da is None else da / b,
                            None if db is None else -db * y / b)


def _pow(a, b, da, db):
    from ..rules.builtins import power_derivative

    y = a ** b
    first = None
    if da is not None:
        local = power_derivative(a, b)
        first = da * local
        if not np.all(np.isfinite(local)):
            first = np.where(da == 0, 0 * local, first)
    second = None
    if db is not None:
        second = db * y * np.log(np.abs(np.where(a == 0, 1, a)))
    return y, _sum_tangents(first, second)


def _matmul(a, b, da, db):
    return a @ b, _sum_tangents(None if da is None else da @ b, None if db is None else a @ db)


def _mod(a, b, da, db):
    y = a % b
    return y, _sum_tangents(da, None if db is None else -db * np.floor_divide(a, b))


def _no_tangent(op):
    return lambda a, b, da, db: (op(a, b), None)


_BINARY = {
    "add": _add, "sub": _sub, "mul": _mul, "truediv": _truediv, "pow": _pow, "matmul": _matmul,
    "mod": _mod, "floordiv": _no_tangent(lambda a, b: a // b),
    "and_": _no_tangent(lambda a, b: a & b), "or_": _no_tangent(lambda a, b: a | b),
    "xor": _no_tangent(lambda a, b: a ^ b), "lshift": _no_tangent(lambda a, b: a << b),
    "rshift": _no_tangent(lambda a, b: a >> b),
}


def _overloaded_binary(name, a, b, da, db):
    from ..rules.builtins import OPERATOR_RULES

    return _from_reverse_rule(OPERATOR_RULES[name], (a, b), (da, db), {})


def binary_any(name, a, b, da, db):
    numeric = (np.ndarray, float, int, complex, np.generic)
    sequences = (list, tuple)
    if (isinstance(a, numeric) and isinstance(b, numeric)) or \
            (name in ("add", "mul") and (isinstance(a, sequences) or isinstance(b, sequences))):
        return _BINARY[name](a, b, da, db)
    return _overloaded_binary(name, a, b, da, db)


def unary(name, a, da):
    if name == "neg":
        return -a, None if da is None else -da
    if name == "pos":
        return +a, da
    from ..rules.builtins import OPERATOR_RULES

    return _from_reverse_rule(OPERATOR_RULES[name], (a,), (da,), {})


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


def _linear(fn, positions):
    """A forward rule for a function linear in the arguments at `positions`."""
    def linear_rule(args, dargs, kwargs):
        y = fn(*args, **kwargs)
        if all(dargs[i] is None for i in positions if i < len(dargs)):
            return y, None
        tangent_args = list(args)
        for i in positions:
            if i < len(tangent_args):
                tangent_args[i] = dargs[i] if i < len(dargs) else None
        return y, fn(*tangent_args, **kwargs)

    linear_rule.zp_linear = True
    return linear_rule


register_forward_rule(accumulate, _linear(accumulate, (0, 1)))
register_forward_rule(densify, _linear(densify, (0,)))
register_forward_rule(namespace.passed, _linear(namespace.passed, (0,)))
register_forward_rule(namespace.scaled, _linear(namespace.scaled, (0,)))
register_forward_rule(unbroadcast, _linear(unbroadcast, (0,)))
register_forward_rule(dispatch._pad, _linear(dispatch._pad, (0,)))
register_forward_rule(dispatch._to_call_site, _linear(dispatch._to_call_site, (1,)))
register_forward_rule(dispatch._match, _linear(dispatch._match, (0,)))
register_forward_rule(dispatch._dense, _linear(dispatch._dense, (0,)))
register_forward_rule(containers.sequence_cotangent, _linear(containers.sequence_cotangent, (0,)))
register_forward_rule(containers.dict_cotangent, _linear(containers.dict_cotangent, (0,)))
register_forward_rule(containers.field_cotangent, _linear(containers.field_cotangent, (0,)))
register_forward_rule(containers.closure_cotangent, _linear(containers.closure_cotangent, (1,)))
register_forward_rule(containers._dense, _linear(containers._dense, (0,)))


register_forward_rule(call, _call_tangent_rule)


def _sequence_rule(kind):
    def sequence_rule(args, dargs, kwargs):
        y = kind(*args)
        if not args or dargs[0] is None:
            return y, None
        return y, kind(densify(dargs[0]))

    sequence_rule.zp_linear = True
    return sequence_rule


register_forward_rule(tuple, _sequence_rule(tuple))
register_forward_rule(list, _sequence_rule(list))


@register_forward_rule(zip)
def _zip_rule(args, dargs, kwargs):
    y = list(zip(*args, **kwargs))
    if _all_none(dargs):
        return y, None
    columns = [densify(t) if t is not None else [None] * len(a) for a, t in zip(args, dargs)]
    return y, list(zip(*columns))


@register_forward_rule(enumerate)
def _enumerate_rule(args, dargs, kwargs):
    y = list(enumerate(*args, **kwargs))
    if dargs[0] is None:
        return y, None
    return y, [(None, t) for t in densify(dargs[0])]


@register_forward_rule(reversed)
def _reversed_rule(args, dargs, kwargs):
    y = list(reversed(args[0]))
    return y, None if dargs[0] is None else list(reversed(list(densify(dargs[0]))))


for _rule in (_zip_rule, _enumerate_rule, _reversed_rule):
    _rule.zp_linear = True


@register_forward_rule(namespace.implicit_accumulate)
def _implicit_accumulate_rule(args, dargs, kwargs):
    namespace.implicit_accumulate(*args)
    return None, None


@register_forward_rule(dispatch.getattr_)
def _getattr_runtime_rule(args, dargs, kwargs):
    obj, name = args
    value, dvalue = getattr_(obj, dargs[0], name)
    _, back = dispatch.getattr_(obj, name)
    return (value, back), (dvalue, None)


def _getitem_rule_forward(args, dargs, kwargs):
    from ..rules.builtins import getitem_rule

    x, index = args
    y, back = getitem_rule(x, index)
    value, dvalue = getitem(x, dargs[0], index)
    return (y, back), (dvalue, None)


def _register_operator_rule_forwards():
    from ..rules import builtins as operator_rules

    register_forward_rule(operator_rules.getitem_rule, _getitem_rule_forward)


_register_operator_rule_forwards()


def is_active_value(value):
    return is_differentiable_value(value)
