"""Generated names: temporaries, flags, pullbacks and gradients.

Every generated name is checked against the names the user's function already uses, so a
temporary never shadows a user variable. The gradient of `x` is `dx` (or `dx_2` when the
user has a variable called `dx`).
"""

import gast

from .syntax_tree import walk

RUNTIME = "__zp"
# Calls the normalizer leaves for the transforms to lower (`__zpn.setitem(x, i, v)`).
MARKER = "__zpn"
FORWARD_RUNTIME = "__zpf"
# The function a pullback form was bound to, and the variant it was compiled as: the form
# passes both on when it leaves for the variant without static rules.
FUNCTION_CELL = "__zp_function"
VARIANT_CELL = "__zp_variant"


# The name of each operator's rule and runtime helper: `a * b` runs the rule of operator.mul.
OPERATOR_NAMES = {
    gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "truediv",
    gast.FloorDiv: "floordiv", gast.Mod: "mod", gast.Pow: "pow", gast.MatMult: "matmul",
    gast.USub: "neg", gast.UAdd: "pos", gast.BitAnd: "and_", gast.BitOr: "or_",
    gast.BitXor: "xor", gast.LShift: "lshift", gast.RShift: "rshift",
}


def names_in(node):
    """Return every identifier that appears in `node` (variables, parameters, functions)."""
    found = set()
    for child in walk(node):
        if isinstance(child, gast.Name):
            found.add(child.id)
        elif isinstance(child, (gast.FunctionDef, gast.ClassDef)):
            found.add(child.name)
        elif isinstance(child, gast.alias):
            found.add((child.asname or child.name).split(".")[0])
    return found


class Namer:
    """Hands out fresh names that do not clash with `taken`."""

    def __init__(self, taken):
        self.taken = set(taken) | {RUNTIME, MARKER, FORWARD_RUNTIME}
        self.counters = {}
        self.gradients = {}

    def new(self, stem):
        # Descriptive stems are used bare the first time (`tape`, `back`); short ones and
        # later uses get a number (`t1`, `back2`).
        if len(stem) > 2 and not stem.endswith("_") and stem not in self.taken \
                and stem not in self.counters:
            self.counters[stem] = 1
            self.taken.add(stem)
            return stem
        count = self.counters.get(stem, 0)
        while True:
            count += 1
            name = f"{stem}{count}"
            if name not in self.taken:
                break
        self.counters[stem] = count
        self.taken.add(name)
        return name

    def gradient(self, name):
        """Return the name of the gradient variable of `name`, the same one every time."""
        existing = self.gradients.get(name)
        if existing is not None:
            return existing
        candidate = "d" + name.lstrip("_") if not name.startswith("__") else "d" + name
        if candidate in self.taken:
            candidate = self.new(candidate + "_")
        self.taken.add(candidate)
        self.gradients[name] = candidate
        return candidate


# Expression contexts carry no state, so every generated name shares one of each.
_LOAD = gast.Load()
_STORE = gast.Store()


def load(name):
    return gast.Name(id=name, ctx=_LOAD, annotation=None, type_comment=None)


def store(name):
    return gast.Name(id=name, ctx=_STORE, annotation=None, type_comment=None)


def const(value):
    return gast.Constant(value=value, kind=None)


def runtime_attr(attr, namespace=RUNTIME):
    """The expression `__zp.attr`, a reference to a runtime helper."""
    return gast.Attribute(value=load(namespace), attr=attr, ctx=_LOAD)


def marker_attr(attr):
    """Return the expression `__zpn.attr`, an operation each transform lowers its own way."""
    return runtime_attr(attr, MARKER)


def marker_name(call):
    """Return `attr` if `call` is a marker call `__zpn.attr(...)`, else `None`."""
    func = getattr(call, "func", None)
    if isinstance(call, gast.Call) and isinstance(func, gast.Attribute) \
            and isinstance(func.value, gast.Name) and func.value.id == MARKER:
        return func.attr
    return None
