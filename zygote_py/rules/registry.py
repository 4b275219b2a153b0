"""The registry of gradient rules, keyed by the primal object itself.

A rule is an ordinary Python function with the primal's signature that returns `(y, back)`:
`y` is the primal's result and `back(dy)` returns one cotangent per positional argument that
was passed (`None` where there is no gradient; a shorter tuple is padded with `None`). Keyword
arguments get no cotangent, unless the rule appends a dict of them after the positional ones. `dy`
is never `None`: when no gradient reaches a call, its pullback is not called at all.

Method rules (`x.sum()`) take the receiver first and return its cotangent first. Attribute
rules (`x.T`) take the object and return `(value, back)` with `back(dy) -> (dobj,)`.

Every registration bumps `version()`, which the compile cache reads so that a function
compiled before a rule existed is transformed again.
"""

import threading

_rules = {}
_method_rules = {}
_attribute_rules = {}
_non_differentiable = {}
# Keys whose rule or non-differentiable mark came from the user (`adjoint`,
# `non_differentiable`), which the compiler must not replace with its inlined adjoints.
_user_defined = set()
_lock = threading.Lock()
_version = 0


def _key(primal):
    # NumPy ufuncs, builtins and functions are hashable; a few callables are not.
    try:
        hash(primal)
    except TypeError:
        return ("unhashable", id(primal))
    return primal


def _bump():
    global _version
    _version += 1


def version():
    """Return a counter that changes whenever any rule is registered."""
    return _version


def _describe(primal):
    module = getattr(primal, "__module__", None) or type(primal).__module__
    name = getattr(primal, "__qualname__", None) or getattr(primal, "__name__", None) or repr(primal)
    return f"{module}.{name}"


def register_rule(primal, rule=None, *, replace=False):
    """Register `rule` as the gradient rule of `primal`; usable as a decorator.

    Registering a second rule for the same primal raises `ValueError` unless `replace=True`.
    """
    if rule is None:
        return lambda fn: register_rule(primal, fn, replace=replace)
    key = _key(primal)
    with _lock:
        if not replace and (key in _rules or key in _non_differentiable):
            raise ValueError(f"a gradient rule for {_describe(primal)} is already registered; "
                             "pass replace=True to override it")
        _rules[key] = rule
        _non_differentiable.pop(key, None)
        _bump()
    return rule


def override_rule(primal, rule):
    """Register the user's `rule` for `primal`, replacing any rule zygote_py has for it."""
    register_rule(primal, rule, replace=True)
    with _lock:
        _user_defined.add(_key(primal))


def override_non_differentiable(primal):
    """Mark `primal` as carrying no gradient at the user's request, dropping any rule."""
    key = _key(primal)
    with _lock:
        _rules.pop(key, None)
        _non_differentiable[key] = primal
        _user_defined.add(key)
        _bump()


def has_builtin_rule(primal):
    """Return whether `primal` has a rule of zygote_py's own, not one the user set."""
    try:
        key = _key(primal)
        return key in _rules and key not in _user_defined
    except TypeError:
        return False


def register_method_rule(cls, name, rule=None, *, replace=False):
    """Register the rule of the method `cls.name`; the rule takes the receiver first."""
    if rule is None:
        return lambda fn: register_method_rule(cls, name, fn, replace=replace)
    with _lock:
        if not replace and (cls, name) in _method_rules:
            raise ValueError(f"a gradient rule for {cls.__name__}.{name} is already registered")
        _method_rules[(cls, name)] = rule
        _bump()
    return rule


def register_attribute_rule(cls, name, rule=None, *, replace=False):
    """Register the rule of reading the attribute `cls.name` (a property such as `x.T`)."""
    if rule is None:
        return lambda fn: register_attribute_rule(cls, name, fn, replace=replace)
    with _lock:
        if not replace and (cls, name) in _attribute_rules:
            raise ValueError(f"a gradient rule for the attribute {cls.__name__}.{name} is "
                             "already registered")
        _attribute_rules[(cls, name)] = rule
        _bump()
    return rule


def register_non_differentiable(*primals):
    """Mark callables whose results carry no gradient (shape queries, constructors, RNGs)."""
    with _lock:
        for primal in primals:
            key = _key(primal)
            if key in _rules:
                continue
            _non_differentiable[key] = primal
        _bump()
    return primals[0] if len(primals) == 1 else primals


def register_non_differentiable_methods(cls, *names):
    """Mark methods of `cls` (such as `ndarray.argmax`) as carrying no gradient."""
    for name in names:
        register_method_rule(cls, name, _no_gradient_method, replace=True)


def _no_gradient_method(obj, *args, **kwargs):
    raise AssertionError("placeholder; the dispatcher calls non-differentiable methods directly")


def lookup_rule(primal):
    """Return the rule registered for `primal`, or `None`."""
    try:
        return _rules.get(_key(primal))
    except TypeError:
        return None


def is_non_differentiable(primal):
    try:
        return _key(primal) in _non_differentiable
    except TypeError:
        return False


def lookup_method_rule(cls, name):
    """Return the rule for method `name` on the first class of `cls.__mro__` that has one."""
    for base in cls.__mro__:
        rule = _method_rules.get((base, name))
        if rule is not None:
            return rule
    return None


def is_non_differentiable_method(rule):
    return rule is _no_gradient_method


def lookup_attribute_rule(cls, name):
    for base in cls.__mro__:
        rule = _attribute_rules.get((base, name))
        if rule is not None:
            return rule
    return None


def registered_primals():
    """Return the primals that carry a gradient rule, described as `module.name`."""
    return sorted(_describe(primal) for primal in _rules if not isinstance(primal, tuple))


def registered_methods():
    return sorted(f"{cls.__name__}.{name}" for (cls, name), rule in _method_rules.items()
                  if rule is not _no_gradient_method)


def registered_attributes():
    return sorted(f"{cls.__name__}.{name}" for (cls, name) in _attribute_rules)


def non_differentiable_primals():
    return sorted(_describe(p) for p in _non_differentiable.values())
