"""Resolve each call of differentiated code when it runs.

`call(f, *args, **kwargs)` returns `(y, back)`; `back(dy)` returns `(df, *dargs)`, plus a
dict of keyword gradients at the end when keywords were passed. `back` is `None` when no
gradient can flow. The order of resolution: a registered rule, then the non-differentiable
registry, then Python code (a function, bound method, callable object, `functools.partial`
or class), compiled on first use, then `MissingRuleError`.
"""

import functools
import inspect
import types

import numpy as np

from ..compiler.cache import entry_forms, transformed
from ..compiler.transform import Variant
from ..errors import MissingRuleError
from ..rules import registry
from .accumulate import IndexedGradient, accumulate, densify
from .broadcast import is_differentiable_value, unbroadcast
from .structures import Structural


def _dense(dy):
    if isinstance(dy, (np.ndarray, float)):
        return dy
    return densify(dy)


def _pad(grads, count):
    if grads is None:
        return (None,) * count
    grads = tuple(grads)
    if len(grads) < count:
        return grads + (None,) * (count - len(grads))
    return grads[:count]


def _rule_back(back, count, keywords):
    if back is None:
        return None

    def rule_back(dy):
        raw = back(_dense(dy))
        # A rule may add a dict of keyword gradients after the positional ones.
        keyword_grads = None
        if keywords and isinstance(raw, tuple) and len(raw) == count + 1 \
                and isinstance(raw[-1], dict):
            keyword_grads = raw[-1]
            raw = raw[:-1]
        grads = _pad(raw, count)
        return (None,) + grads + ((keyword_grads,) if keywords else ())

    return rule_back


def _describe(f):
    module = getattr(f, "__module__", None) or type(f).__module__
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or type(f).__name__
    return f"{name} (module {module})"


def call(f, *args, **kwargs):
    """Call `f` and return `(y, back)`; see the module docstring for `back`'s result."""
    rule = registry.lookup_rule(f)
    if rule is not None:
        y, back = rule(*args, **kwargs)
        return y, _rule_back(back, len(args), bool(kwargs))
    if registry.is_non_differentiable(f):
        return f(*args, **kwargs), None

    if isinstance(f, types.FunctionType):
        return _call_python(f, args, kwargs)
    if isinstance(f, types.MethodType):
        return _call_bound(f, args, kwargs)
    wrapped = getattr(f, "__zygote_function__", None)
    if wrapped is not None:
        return call(wrapped, *args, **kwargs)
    if isinstance(f, functools.partial):
        return _call_partial(f, args, kwargs)
    if isinstance(f, type):
        return _construct(f, args, kwargs)
    if isinstance(f, (types.BuiltinFunctionType, types.BuiltinMethodType, np.ufunc)) or \
            type(f).__name__ in ("method-wrapper", "method_descriptor", "wrapper_descriptor"):
        return _call_builtin(f, args, kwargs)
    call_method_ = getattr(type(f), "__call__", None)
    if isinstance(call_method_, types.FunctionType):
        y, back = _call_python(call_method_, (f,) + args, kwargs)
        return y, _drop_function_slot(back)
    return _call_builtin(f, args, kwargs)


def _drop_function_slot(back):
    """For `obj(x)` run as `type(obj).__call__(obj, x)`: the receiver's gradient is df."""
    if back is None:
        return None

    def method_back(dy):
        grads = back(dy)
        return grads[1:]

    return method_back


def _call_builtin(f, args, kwargs):
    owner = getattr(f, "__self__", None)
    if owner is not None and not isinstance(owner, types.ModuleType):
        rule = registry.lookup_method_rule(type(owner), getattr(f, "__name__", ""))
        if rule is not None and not registry.is_non_differentiable_method(rule):
            y, back = rule(owner, *args, **kwargs)
            if back is None:
                return y, None

            def bound_back(dy):
                grads = _pad(back(_dense(dy)), len(args) + 1)
                return grads + ((None,) if kwargs else ())

            return y, bound_back
        if rule is not None:
            return f(*args, **kwargs), None
    if not any(_may_carry(a) for a in args) and not any(_may_carry(v) for v in kwargs.values()):
        return f(*args, **kwargs), None
    raise MissingRuleError(
        f"no gradient rule for {_describe(f)}, and it is not a plain Python function whose "
        "source zygote_py could transform. "
        "Register one with @zygote_py.adjoint(fn) (return the value and a pullback), or "
        "mark it with zygote_py.non_differentiable(fn) if no gradient should flow through it")


def _may_carry(value):
    if isinstance(value, (list, tuple)):
        return any(_may_carry(v) for v in value)
    if isinstance(value, dict):
        return any(_may_carry(v) for v in value.values())
    if isinstance(value, (str, bytes, type(None), types.ModuleType, type, slice, range)):
        return False
    return is_differentiable_value(value)


def _call_python(f, args, kwargs, variant=None):
    info, pullback = transformed(f, variant)
    y, back = pullback(*args, **kwargs)
    if not kwargs and not info.has_varargs and len(args) == info.positional_count:
        def function_back(dy):
            grads = back(dy)
            return (grads[0],) + tuple(match_gradient(g, a) for g, a in zip(grads[1:], args))

        return y, function_back

    def bound_back(dy):
        return _to_call_site(info, back(dy), args, kwargs)

    return y, bound_back


def match_gradient(g, arg):
    """Give a parameter's gradient the type of the argument (None for integers)."""
    if g is None:
        return None
    if type(g) is type(arg) and (type(g) is float or (
            type(g) is np.ndarray and g.shape == arg.shape and g.dtype == arg.dtype)):
        return g
    if isinstance(arg, (np.ndarray, float, int, np.generic)) and not isinstance(g, IndexedGradient):
        return unbroadcast(g, arg)
    if isinstance(g, IndexedGradient) and isinstance(arg, np.ndarray) and \
            not np.issubdtype(arg.dtype, np.inexact):
        return None
    return g


def _to_call_site(info, grads, args, kwargs):
    by_name = dict(zip(info.param_names, grads[1:]))
    positional = info.param_names[: info.positional_count]
    vararg = info.param_names[-1 - info.has_varkw] if info.has_varargs else None
    varkw = info.param_names[-1] if info.has_varkw else None
    out = [grads[0]]
    for index, arg in enumerate(args):
        if index < len(positional):
            g = by_name[positional[index]]
        else:
            extra = densify(by_name.get(vararg))
            g = None if extra is None else extra[index - len(positional)]
        out.append(match_gradient(g, arg))
    if kwargs:
        keyword_grads = {}
        for key, value in kwargs.items():
            if key in by_name and key != vararg and key != varkw:
                g = by_name[key]
            else:
                extra = densify(by_name.get(varkw))
                g = None if extra is None else extra.get(key)
            keyword_grads[key] = match_gradient(g, value)
        out.append(keyword_grads)
    return tuple(out)


def _call_bound(method, args, kwargs):
    receiver = method.__self__
    y, back = call(method.__func__, receiver, *args, **kwargs)
    if back is None:
        return y, None
    if isinstance(receiver, type):
        def classmethod_back(dy):
            grads = back(dy)
            return (None,) + grads[2:]

        return y, classmethod_back

    def bound_back(dy):
        grads = back(dy)
        return (grads[1],) + grads[2:]

    return y, bound_back


def _call_partial(p, args, kwargs):
    merged = {**p.keywords, **kwargs}
    y, back = call(p.func, *p.args, *args, **merged)
    if back is None:
        return y, None
    stored = len(p.args)

    def partial_back(dy):
        grads = back(dy)
        dfunc = grads[0]
        positional = grads[1:1 + stored + len(args)]
        keyword_grads = grads[-1] if merged else {}
        dpartial = Structural({"func": dfunc, "args": tuple(positional[:stored]),
                               "keywords": {k: keyword_grads.get(k) for k in p.keywords}},
                              functools.partial)
        out = (dpartial,) + tuple(positional[stored:])
        if kwargs:
            out += ({k: keyword_grads.get(k) for k in kwargs},)
        return out

    return y, partial_back


def _construct(cls, args, kwargs):
    """Build an object; its fields' gradients go back to the arguments they came from."""
    obj = cls(*args, **kwargs)
    if isinstance(obj, tuple) and hasattr(cls, "_fields"):
        sources = {i: ("pos", i) for i in range(len(args))}
        for offset, key in enumerate(kwargs):
            sources[len(args) + offset] = ("kw", key)

        def namedtuple_back(dy):
            dy = _dense(dy)
            fields = tuple(dy) if isinstance(dy, tuple) else tuple(
                dy.get(name) for name in cls._fields)
            dargs = [None] * len(args)
            dkw = {}
            for index, g in enumerate(fields):
                if g is None:
                    continue
                kind, where = sources[index]
                if kind == "pos":
                    dargs[where] = g
                else:
                    dkw[where] = g
            return (None,) + tuple(dargs) + ((dkw,) if kwargs else ())

        return obj, namedtuple_back

    sources = _argument_index(args, kwargs)

    def construct_back(dy):
        dy = _dense(dy)
        dargs = [None] * len(args)
        dkw = {}
        items = dy.items() if isinstance(dy, (Structural, dict)) else ()
        for name, g in items:
            routes = []
            if not _route(getattr(obj, name, None), g, sources, routes):
                raise MissingRuleError(
                    f"cannot send the gradient of field {name!r} of {cls.__qualname__} back "
                    "to the constructor's arguments: the field is computed from them rather "
                    "than stored as it is. Make the class a dataclass whose fields are its "
                    "arguments, build the object outside the differentiated function, or "
                    f"register a rule for {cls.__qualname__} with @zygote_py.adjoint")
            for (kind, where, path), leaf_g in routes:
                if kind == "pos":
                    dargs[where] = _place(dargs[where], args[where], path, leaf_g)
                else:
                    dkw[where] = _place(dkw.get(where), kwargs[where], path, leaf_g)
        return (None,) + tuple(dargs) + ((dkw,) if kwargs else ())

    return obj, construct_back


def _carries(value):
    return not isinstance(value, (bool, int, str, bytes, type(None), type, types.ModuleType,
                                  types.FunctionType, types.BuiltinFunctionType))


def _argument_index(args, kwargs):
    """Map the id of every value inside the arguments to `(kind, where, path)`."""
    index = {}

    def visit(value, key, path):
        if not _carries(value):
            return
        index.setdefault(id(value), key + (path,))
        if isinstance(value, (list, tuple)):
            for position, item in enumerate(value):
                visit(item, key, path + (position,))
        elif isinstance(value, dict):
            for name, item in value.items():
                visit(item, key, path + (name,))

    for position, arg in enumerate(args):
        visit(arg, ("pos", position), ())
    for name, arg in kwargs.items():
        visit(arg, ("kw", name), ())
    return index


def _route(value, g, sources, routes):
    """Find where the pieces of a field came from; return False if some gradient is lost."""
    if g is None:
        return True
    source = sources.get(id(value)) if _carries(value) else None
    if source is not None:
        routes.append((source, g))
        return True
    if isinstance(value, (list, tuple)) and isinstance(g, (list, tuple)):
        return all(_route(v, item_g, sources, routes) for v, item_g in zip(value, g))
    if isinstance(value, dict) and isinstance(g, IndexedGradient):
        g = densify(g)
    if isinstance(value, dict) and isinstance(g, dict):
        return all(_route(value.get(k), item_g, sources, routes) for k, item_g in g.items())
    return False


def _place(current, like, path, g):
    """Add `g` at `path` inside a gradient shaped like the argument `like`."""
    if not path:
        return accumulate(current, g)
    head, rest = path[0], path[1:]
    if isinstance(like, dict):
        out = dict(current or {})
        out[head] = _place(out.get(head), like[head], rest, g)
        return out
    parts = list(current) if current is not None else [None] * len(like)
    parts[head] = _place(parts[head], like[head], rest, g)
    return type(like)(parts) if type(like) in (list, tuple) else tuple(parts)


def call_method(obj, name, *args, **kwargs):
    """Call `obj.name(*args, **kwargs)`; `back` returns `(dobj, *dargs)`."""
    if isinstance(obj, types.ModuleType):
        return call(getattr(obj, name), *args, **kwargs)
    cls = type(obj)
    rule = registry.lookup_method_rule(cls, name)
    if rule is not None:
        if registry.is_non_differentiable_method(rule):
            return getattr(obj, name)(*args, **kwargs), None
        y, back = rule(obj, *args, **kwargs)
        if back is None:
            return y, None

        def method_rule_back(dy):
            grads = _pad(back(_dense(dy)), len(args) + 1)
            return grads + ((None,) if kwargs else ())

        return y, method_rule_back
    attribute = getattr(obj, name)
    receiver = obj.__self__ if isinstance(obj, super) else obj
    if isinstance(attribute, types.MethodType) and attribute.__self__ is receiver:
        y, back = call(attribute.__func__, receiver, *args, **kwargs)
        if back is None:
            return y, None

        def bound_back(dy):
            grads = back(dy)
            return grads[1:]

        return y, bound_back
    y, back = call(attribute, *args, **kwargs)
    if back is None:
        return y, None
    in_instance = name in getattr(obj, "__dict__", {})

    def attribute_back(dy):
        grads = back(dy)
        dobj = Structural({name: grads[0]}, cls) if in_instance and grads[0] is not None else None
        return (dobj,) + grads[1:]

    return y, attribute_back


def call_packed(f, args, kwargs):
    """`f(*args, **kwargs)` with both built at run time; back returns `(df, dargs, dkwargs)`."""
    y, back = call(f, *args, **kwargs)
    if back is None:
        return y, None

    def packed_back(dy):
        grads = back(dy)
        dargs = tuple(grads[1:1 + len(args)])
        dkwargs = grads[-1] if kwargs else None
        return grads[0], dargs, dkwargs

    return y, packed_back


def call_method_packed(obj, name, args, kwargs):
    y, back = call_method(obj, name, *args, **kwargs)
    if back is None:
        return y, None

    def packed_back(dy):
        grads = back(dy)
        return grads[0], None, tuple(grads[1:1 + len(args)]), grads[-1] if kwargs else None

    return y, packed_back


def getattr_(obj, name):
    """Read `obj.name`; back returns `(dobj,)`."""
    rule = registry.lookup_attribute_rule(type(obj), name)
    if rule is not None:
        return rule(obj)
    if isinstance(obj, types.ModuleType):
        return getattr(obj, name), None
    prop = getattr(type(obj), name, None)
    if isinstance(prop, property) and isinstance(prop.fget, types.FunctionType):
        y, back = call(prop.fget, obj)
        if back is None:
            return y, None
        return y, lambda dy: (back(dy)[1],)
    value = getattr(obj, name)
    if isinstance(value, types.MethodType) and value.__self__ is obj:
        # The gradient of a bound method is the gradient of its receiver.
        return value, lambda dy: (dy,)
    if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        if not isinstance(value, (np.ndarray, np.generic, float, complex)):
            return value, None
        raise MissingRuleError(f"no gradient rule for the array attribute .{name}; register "
                               "one with zygote_py.rules.registry.register_attribute_rule")
    if isinstance(obj, tuple) and hasattr(type(obj), "_fields") and name in type(obj)._fields:
        index = type(obj)._fields.index(name)
        size = len(obj)
        cls = type(obj)

        def field_back(dy):
            parts = [None] * size
            parts[index] = dy
            return (cls(*parts),)

        return value, field_back
    cls = type(obj)

    def attribute_back(dy):
        return (Structural({name: dy}, cls),)

    return value, attribute_back


_ALL_ACTIVE = Variant()
_ENTRY = Variant(inactive_free=True)
_masked_variants = {}


def call_masked(active, f, *args, **kwargs):
    """`call` for a site where some positional arguments carry no gradient.

    `active[i]` is whether argument `i` may carry one. A Python function is compiled in a
    variant that treats the others as constants, so no work goes into their gradients.
    """
    if not isinstance(f, types.FunctionType) or registry.lookup_rule(f) is not None \
            or registry.is_non_differentiable(f):
        return call(f, *args, **kwargs)
    key = (f.__code__, active)
    variant = _masked_variants.get(key)
    if variant is None:
        info, _ = transformed(f)
        positional = info.param_names[: info.positional_count]
        inactive = frozenset(name for name, is_active in zip(positional, active)
                             if not is_active)
        variant = Variant(inactive_params=inactive) if inactive else _ALL_ACTIVE
        _masked_variants[key] = variant
    return _call_python(f, args, kwargs, None if variant is _ALL_ACTIVE else variant)


def call_entry(f, *args, **kwargs):
    """`call` for the function `gradient` is applied to: its captured variables are constants.

    In the explicit style only the arguments get gradients, so the variables a closure
    captures (a batch of data, say) need none.
    """
    if isinstance(f, types.FunctionType) and registry.lookup_rule(f) is None \
            and not registry.is_non_differentiable(f):
        variant = _float_entry_variant(f.__code__, args) if float in map(type, args) \
            else _ENTRY
        return _call_python(f, args, kwargs, variant)
    return call(f, *args, **kwargs)


def entry_pullback_form(f, args):
    """Return the compiled pullback form for `f(*args)` when `f` takes exactly these
    positional arguments and has no rule, else `None`.

    The form's `back` returns `(dclosure, *dparams)` in parameter order, which then match
    `args` one to one, so the caller can skip the general call-site bookkeeping. The answer
    is kept per function and argument types, and checked against the function's code and
    the rule registry's version.
    """
    if type(f) is not types.FunctionType:
        return None
    argument_types = tuple(map(type, args))
    forms = entry_forms.get(f)
    if forms is not None:
        cached = forms.get(argument_types)
        if cached is not None and cached[0] is f.__code__ and cached[1] == registry.version():
            return cached[2]
    form = _find_entry_form(f, args)
    if forms is None:
        forms = entry_forms.setdefault(f, {})
    forms[argument_types] = (f.__code__, registry.version(), form)
    return form


def _find_entry_form(f, args):
    code = f.__code__
    if len(args) != code.co_argcount or code.co_flags & _PACKED_PARAMETERS:
        return None
    if registry.lookup_rule(f) is not None or registry.is_non_differentiable(f):
        return None
    variant = _float_entry_variant(code, args) if float in map(type, args) else _ENTRY
    return transformed(f, variant)[1]


_PACKED_PARAMETERS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
_float_entry_variants = {}


def _float_entry_variant(code, args):
    """Return the entry variant that also lists the positional parameters given Python floats."""
    key = (code, tuple(type(a) is float for a in args))
    variant = _float_entry_variants.get(key)
    if variant is None:
        names = code.co_varnames[:code.co_argcount]
        floats = frozenset(name for name, is_float in zip(names, key[1]) if is_float)
        variant = Variant(inactive_free=True, float_params=floats)
        _float_entry_variants[key] = variant
    return variant


def run_rule_pullback(back, dy, count):
    """Call a rule's pullback on a dense `dy`; pad its result to `count` entries."""
    grads = back(dy if type(dy) is np.ndarray else _dense(dy))
    if type(grads) is tuple and len(grads) == count:
        return grads
    return _pad(grads, count)


def rebound(fn, variant, *args, **kwargs):
    """Run the pullback form of `fn` compiled without static rules.

    A pullback form calls the rules of globals such as `np.sin` directly, and leaves for this
    variant when one of those names has been rebound since the transform.
    """
    return dynamic_pullback_form(fn, variant)(*args, **kwargs)


@registry.register_non_differentiable
def dynamic_pullback_form(fn, variant):
    """Return `fn`'s pullback form compiled for `variant` without static rules."""
    dynamic = (variant or Variant())._replace(dynamic=True)
    return transformed(fn, dynamic)[1]
