"""Let a gradient that is summed more than once add into its own array in place.

After `simplify`, a contribution that may meet an earlier one still reads
`dx = (v if dx is None else __zp.accumulate(dx, v))`. Each such sum allocates a new array, so
a parameter read in every pass of a loop allocates one per pass. This pass gives a gradient
summed inside a loop a flag that is true when its array came from an earlier sum and nothing
else refers to it. `__zp.accumulate_owned` then adds into that array in place. Every other
assignment to the gradient clears the flag. The reverse pass guarantees the ownership: a
gradient is read by its own adjoint only after its last contribution, and is reset to `None`
before it is summed again.
"""

import gast

from .naming import RUNTIME, const, load, runtime_attr, store
from .syntax_tree import walk


def add_in_place(stmts, namer):
    """Return `(statements, flag initialisations)` with in-place sums where they repeat."""
    summed = set()
    _find_sums(stmts, summed)
    if summed:
        # A gradient also written some other way (an unpacking, a loop target) keeps plain
        # sums, because that write would not clear its flag.
        summed -= _other_writes(stmts)
    if not summed:
        return stmts, []
    flags = {name: namer.new(name + "_owned") for name in sorted(summed)}
    _rewrite(stmts, flags)
    inits = [gast.Assign(targets=[store(flag)], value=const(False), type_comment=None)
             for flag in flags.values()]
    return stmts, inits


def _assigned_name(stmt):
    """Return `g` if `stmt` is an assignment to the single name `g`, else None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    return None


def _summed_name(stmt):
    """Return `g` if `stmt` is `g = (v if g is None else __zp.accumulate(g, v))`."""
    name = _assigned_name(stmt)
    if name is None or not isinstance(stmt.value, gast.IfExp):
        return None
    later = stmt.value.orelse
    if isinstance(later, gast.Call) and isinstance(later.func, gast.Attribute) \
            and later.func.attr == "accumulate" and isinstance(later.func.value, gast.Name) \
            and later.func.value.id == RUNTIME and isinstance(later.args[0], gast.Name) \
            and later.args[0].id == name:
        return name
    return None


def _children(stmt):
    if isinstance(stmt, (gast.If, gast.For, gast.While)):
        return [stmt.body, stmt.orelse]
    return []


def _find_sums(stmts, summed, in_loop=False):
    """Collect the gradients summed inside a loop, where sums repeat without bound.

    A sum in straight-line code runs a fixed number of times, so its flag would cost more
    code than the allocations it saves.
    """
    for stmt in stmts:
        name = _summed_name(stmt)
        if name is not None and in_loop:
            summed.add(name)
        inner = in_loop or isinstance(stmt, (gast.For, gast.While))
        for block in _children(stmt):
            _find_sums(block, summed, inner)


def _other_writes(stmts):
    """Return the names written other than by an assignment to a single name."""
    names = set()
    for stmt in stmts:
        for node in walk(stmt):
            if isinstance(node, gast.Assign) and _assigned_name(node) is None:
                targets = node.targets
            elif isinstance(node, (gast.AugAssign, gast.AnnAssign, gast.For)):
                targets = [node.target]
            elif isinstance(node, gast.Delete):
                targets = node.targets
            else:
                continue
            names |= {name.id for target in targets for name in walk(target)
                      if isinstance(name, gast.Name)}
    return names


def _rewrite(stmts, flags):
    for stmt in stmts:
        for block in _children(stmt):
            _rewrite(block, flags)
        name = _assigned_name(stmt)
        if name not in flags:
            continue
        value = stmt.value
        if isinstance(value, gast.Constant) and value.value is None:
            continue
        flag = flags[name]
        summed = _summed_name(stmt) is not None
        stmt.targets = [gast.Tuple(elts=[store(name), store(flag)], ctx=gast.Store())]
        if summed:
            contribution = value.orelse.args[1]
            value.body = gast.Tuple(elts=[value.body, const(False)], ctx=gast.Load())
            value.orelse = gast.Call(func=runtime_attr("accumulate_owned"),
                                     args=[load(name), contribution, load(flag)], keywords=[])
        else:
            stmt.value = gast.Tuple(elts=[value, const(False)], ctx=gast.Load())
