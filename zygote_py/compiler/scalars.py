"""Type inference of the locals that always hold a Python float or int.

Takes the normalized body and the parameters that arrived as Python floats, and hands back
the names that hold a Python float (or int) at every assignment. The reverse pass writes the
adjoints of arithmetic on those names as plain arithmetic, with no runtime call and no
broadcasting. A Python float is a scalar, and `float op float` returns a float for
`+ - * / // %`, as does `float ** int`. `float ** float` is left out, because a negative
base gives a complex number.

The inference is flow-insensitive and iterates to a fixed point, so values carried around a
loop are handled. A name bound any other way (a call, an unpacking, a loop target, an import,
a `nonlocal` in a nested function) has an unknown type.
"""

import gast

from .syntax_tree import walk

FLOAT = "float"
INT = "int"
UNKNOWN = "unknown"

_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)


def scalar_kinds(body, params, float_params):
    """Return `{name: FLOAT or INT}` for the names in `body` that always hold that type."""
    if not float_params:
        return {}
    assignments = {}
    unknown = set()
    _collect(body, assignments, unknown)

    kinds = {name: FLOAT if name in float_params else UNKNOWN for name in params}
    local = set(kinds) | set(assignments)
    changed = True
    while changed:
        changed = False
        for name, values in assignments.items():
            if name in unknown:
                continue
            kind = kinds.get(name)
            for value in values:
                kind = _join(kind, _kind(value, kinds, local, unknown))
            if kind != kinds.get(name):
                kinds[name] = kind
                changed = True
    return {name: kind for name, kind in kinds.items()
            if kind in (FLOAT, INT) and name not in unknown}


def _collect(stmts, assignments, unknown):
    """Gather each plain `name = value`, and mark every name bound in another way as unknown."""
    plain_targets = set()
    _collect_assignments(stmts, assignments, plain_targets)
    for stmt in stmts:
        for child in walk(stmt):
            if isinstance(child, gast.Name) and isinstance(child.ctx, (gast.Store, gast.Del)) \
                    and id(child) not in plain_targets:
                unknown.add(child.id)
            elif isinstance(child, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
                unknown.add(child.name)
            elif isinstance(child, gast.alias):
                unknown.add((child.asname or child.name).split(".")[0])
            elif isinstance(child, (gast.Global, gast.Nonlocal)):
                unknown.update(child.names)


def _collect_assignments(stmts, assignments, plain_targets):
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name):
            assignments.setdefault(stmt.targets[0].id, []).append(stmt.value)
            plain_targets.add(id(stmt.targets[0]))
        elif not isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
            for field in ("body", "orelse", "finalbody"):
                _collect_assignments(getattr(stmt, field, None) or [], assignments,
                                     plain_targets)
            for handler in getattr(stmt, "handlers", None) or []:
                _collect_assignments(handler.body, assignments, plain_targets)


def _join(a, b):
    if a is None:
        return b
    if b is None or a == b:
        return a
    return UNKNOWN


def _kind(node, kinds, local, unknown):
    """Return the type of `node`'s value: FLOAT, INT, UNKNOWN, or None while not yet known."""
    if isinstance(node, gast.Name):
        if node.id in unknown or node.id not in local:
            return UNKNOWN
        return kinds.get(node.id)
    if isinstance(node, gast.Constant):
        if type(node.value) is float:
            return FLOAT
        if type(node.value) is int:
            return INT
        return UNKNOWN
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        operand = _kind(node.operand, kinds, local, unknown)
        return operand if operand in (FLOAT, INT, None) else UNKNOWN
    if isinstance(node, gast.BinOp):
        return _binary_kind(node, kinds, local, unknown)
    return UNKNOWN


def _binary_kind(node, kinds, local, unknown):
    left = _kind(node.left, kinds, local, unknown)
    right = _kind(node.right, kinds, local, unknown)
    if UNKNOWN in (left, right):
        return UNKNOWN
    if left is None or right is None:
        return None
    if isinstance(node.op, _ARITHMETIC):
        return FLOAT if FLOAT in (left, right) else INT
    if isinstance(node.op, gast.Div):
        return FLOAT
    if isinstance(node.op, gast.Pow) and left == FLOAT and (right == INT or _is_integral(
            node.right)):
        return FLOAT
    return UNKNOWN


def _is_integral(node):
    """Return whether `node` is a float constant with an integer value, such as `2.0`."""
    return isinstance(node, gast.Constant) and type(node.value) is float \
        and node.value.is_integer()
