"""Decide `None` checks on gradients in the backward pass when the code is generated.

Every gradient variable starts as `None`, and the reverse pass writes each contribution as
`dx = (v if dx is None else accumulate(dx, v))` and each adjoint behind `if dx is not None:`.
Where a variable is still `None` for certain, because nothing has written it since it was
set to `None`, the first form is just `dx = v` and the second never runs. This pass walks the
backward statements in execution order, tracks the names known to be `None`, and rewrites
both. Branches keep what both sides agree on. A loop keeps the names that are `None` before it and
again at the end of its body.
"""

import gast

from .syntax_tree import walk


def drop_known_none(stmts, known_none):
    """Return `stmts` with the checks decided by `known_none`, the names that are `None` first.

    The statements are changed in place where they survive.
    """
    simplified, _ = _block(stmts, frozenset(known_none), rewrite=True)
    return simplified


def _block(stmts, known, rewrite):
    """Return the statements (rewritten if `rewrite`) and the names `None` after them."""
    out = []
    for stmt in stmts:
        if _defines_scope(stmt):
            # A nested function may rebind names through `nonlocal`, so forget everything.
            out.append(stmt)
            known = frozenset()
        elif isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name):
            known = _assignment(stmt, known, rewrite)
            out.append(stmt)
        elif isinstance(stmt, gast.If):
            known = _branch(stmt, known, out, rewrite)
        elif isinstance(stmt, (gast.For, gast.While)):
            known = _loop(stmt, known, rewrite)
            out.append(stmt)
        else:
            known = known - _written_names(stmt)
            out.append(stmt)
    return out, known


def _assignment(stmt, known, rewrite):
    name = stmt.targets[0].id
    value = stmt.value
    if isinstance(value, gast.Constant) and value.value is None:
        return known | {name}
    if rewrite and name in known and _is_first_contribution(value, name):
        stmt.value = value.body
    return known - _written_names(stmt)


def _branch(stmt, known, out, rewrite):
    """Append `stmt` (or what is left of it) to `out`, and return the names known after it."""
    if _tested_not_none(stmt.test) in known:
        # The test is false for certain, so only the else branch can run.
        orelse, known = _block(stmt.orelse, known, rewrite)
        out.extend(orelse)
        return known
    body, after_body = _block(stmt.body, known, rewrite)
    orelse, after_orelse = _block(stmt.orelse, known, rewrite)
    if rewrite:
        stmt.body = body or [gast.Pass()]
        stmt.orelse = orelse
    out.append(stmt)
    return after_body & after_orelse


def _loop(stmt, known, rewrite):
    """Rewrite a loop's body and return the names known to be `None` after the loop.

    A name is `None` at the start of every iteration when it is `None` before the loop and
    again at the end of the body.
    """
    if _jumps(stmt.body):
        entry = known - _written_names(stmt)
    else:
        entry = known
        if isinstance(stmt, gast.For):
            entry = entry - _target_names(stmt.target)
        while True:
            _, after_body = _block(stmt.body, entry, rewrite=False)
            narrowed = entry & after_body
            if narrowed == entry:
                break
            entry = narrowed
    body, after_body = _block(stmt.body, entry, rewrite)
    orelse, after_orelse = _block(stmt.orelse, entry & after_body, rewrite)
    if rewrite:
        stmt.body = body or [gast.Pass()]
        stmt.orelse = orelse
    return known & after_body & after_orelse


def _jumps(stmts):
    """Return whether a `break` or `continue` of this loop is among `stmts`."""
    for stmt in stmts:
        if isinstance(stmt, (gast.Break, gast.Continue)):
            return True
        if isinstance(stmt, gast.If) and _jumps(stmt.body + stmt.orelse):
            return True
    return False


def _is_first_contribution(value, name):
    """Return whether `value` is `(v if name is None else ...)`."""
    return isinstance(value, gast.IfExp) and _is_none_test(value.test, name, gast.Is)


def _tested_not_none(test):
    """Return `x` if `test` is `x is not None`, or an `and` that starts with it, else None."""
    if isinstance(test, gast.BoolOp) and isinstance(test.op, gast.And):
        test = test.values[0]
    if isinstance(test, gast.Compare) and isinstance(test.left, gast.Name) \
            and _is_none_test(test, test.left.id, gast.IsNot):
        return test.left.id
    return None


def _is_none_test(test, name, operator):
    return isinstance(test, gast.Compare) and isinstance(test.left, gast.Name) \
        and test.left.id == name and len(test.ops) == 1 and isinstance(test.ops[0], operator) \
        and isinstance(test.comparators[0], gast.Constant) and test.comparators[0].value is None


def _written_names(stmt):
    """Return the names `stmt` assigns or deletes, looking into nested blocks."""
    if isinstance(stmt, gast.Assign):
        names = set()
        for target in stmt.targets:
            names |= _target_names(target)
        return names
    if isinstance(stmt, (gast.If, gast.For, gast.While)):
        names = set()
        for child in stmt.body + stmt.orelse:
            names |= _written_names(child)
        if isinstance(stmt, gast.For):
            names |= _target_names(stmt.target)
        return names
    if isinstance(stmt, (gast.Expr, gast.Return, gast.Pass, gast.Break, gast.Continue)):
        return set()
    return {node.id for node in walk(stmt) if isinstance(node, gast.Name)
            and isinstance(node.ctx, (gast.Store, gast.Del))}


def _target_names(target):
    """Return the names an assignment target binds (none for `x[i]` or `x.a`)."""
    if isinstance(target, gast.Name):
        return {target.id}
    if isinstance(target, (gast.Tuple, gast.List)):
        names = set()
        for element in target.elts:
            names |= _target_names(element)
        return names
    if isinstance(target, gast.Starred):
        return _target_names(target.value)
    return set()


def _defines_scope(stmt):
    """Return whether `stmt` defines a function or class, or declares a name nonlocal."""
    if isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef,
                         gast.Nonlocal, gast.Global)):
        return True
    if isinstance(stmt, (gast.If, gast.For, gast.While)):
        return any(_defines_scope(child) for child in stmt.body + stmt.orelse)
    return False
