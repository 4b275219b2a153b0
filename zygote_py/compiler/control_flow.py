"""Lower `break`, `continue`, early `return` and loop `else` clauses to flags.

Takes a function body and hands back one in which every loop body ends with the only exit
of the loop, `if <flag>: break`, `continue` and `for`/`while ... else` are gone, `while test:`
has become `while True:` with the test inside (or, without a `break`, `while going:` with
the test before the loop and at the end of each pass), and there is one `return` at the very
end.
Statements after one that may exit are wrapped in `if not <flag>:`. The reverse transform can
then replay each loop iteration and each branch in reverse, in structured form.
"""

import copy

import gast

from .naming import const, load, store


def _assign(name, value, like):
    node = gast.Assign(targets=[store(name)], value=value, type_comment=None)
    return gast.copy_location(node, like)


def _not(name):
    return gast.UnaryOp(op=gast.Not(), operand=load(name))


def _if(test, body, like, orelse=()):
    return gast.copy_location(gast.If(test=test, body=body, orelse=list(orelse)), like)


class _Loop:
    def __init__(self, namer):
        self.skip = namer.new("skip")
        self.brk = namer.new("brk")
        self.uses_skip = False
        self.uses_break = False


class _Lowering:
    def __init__(self, namer):
        self.namer = namer
        self.loops = []
        self.returned = None
        self.result = None

    def function(self, fn):
        body = fn.body
        last = body[-1] if body else None
        early = [n for n in _walk_own(body) if isinstance(n, gast.Return)]
        if not (len(early) == 1 and early[0] is last):
            self.returned = self.namer.new("returned")
            self.result = self.namer.new("result")
        lowered = self.block(body)
        if self.returned is None:
            return lowered
        prologue = [_assign(self.returned, const(False), fn), _assign(self.result, const(None), fn)]
        epilogue = gast.copy_location(gast.Return(value=load(self.result)), last or fn)
        return prologue + lowered + [epilogue]

    def block(self, stmts):
        out = []
        for index, stmt in enumerate(stmts):
            lowered, may_exit = self.statement(stmt)
            out.extend(lowered)
            if may_exit and index + 1 < len(stmts):
                rest = self.block(stmts[index + 1:])
                if rest:
                    out.append(_if(_not(self.exit_flag()), rest, stmts[index + 1]))
                return out
        return out

    def exit_flag(self):
        if self.loops:
            self.loops[-1].uses_skip = True
            return self.loops[-1].skip
        return self.returned

    def statement(self, stmt):
        """Return the lowered statements and whether they may skip the rest of the block."""
        if isinstance(stmt, gast.Return):
            if self.returned is None:
                return [stmt], False
            value = stmt.value if stmt.value is not None else const(None)
            out = [_assign(self.result, value, stmt), _assign(self.returned, const(True), stmt)]
            if self.loops:
                loop = self.loops[-1]
                loop.uses_break = loop.uses_skip = True
                out += [_assign(loop.brk, const(True), stmt), _assign(loop.skip, const(True), stmt)]
            return out, True
        if isinstance(stmt, gast.Break):
            loop = self.loops[-1]
            loop.uses_break = loop.uses_skip = True
            return [_assign(loop.brk, const(True), stmt), _assign(loop.skip, const(True), stmt)], True
        if isinstance(stmt, gast.Continue):
            loop = self.loops[-1]
            loop.uses_skip = True
            return [_assign(loop.skip, const(True), stmt)], True
        if isinstance(stmt, gast.If):
            body = self.block(stmt.body)
            orelse = self.block(stmt.orelse)
            may_exit = _may_exit(stmt.body + stmt.orelse, self.returned is not None)
            node = gast.copy_location(gast.If(test=stmt.test, body=body or [gast.Pass()],
                                              orelse=orelse), stmt)
            return [node], may_exit
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt)
        return [stmt], False

    def loop(self, stmt):
        loop = _Loop(self.namer)
        self.loops.append(loop)
        body = self.block(stmt.body)
        self.loops.pop()
        is_while = isinstance(stmt, gast.While)
        if is_while and not loop.uses_break:
            out = self.plain_while(stmt, loop, body)
            # With no break, the else clause runs whenever the loop ends.
            out.extend(self.block(stmt.orelse))
            return out, self.exit_after_loop(stmt, out)
        if is_while:
            loop.uses_break = True
            # `while test:` becomes `while True:` whose body checks the test first.
            test_name = self.namer.new("going")
            test_if = _if(load(test_name), body or [gast.Pass()], stmt,
                          orelse=[_assign(loop.brk, const(True), stmt)])
            body = [_assign(test_name, stmt.test, stmt), test_if]
        if loop.uses_skip:
            body = [_assign(loop.skip, const(False), stmt)] + body
        if loop.uses_break:
            body.append(_if(load(loop.brk), [gast.copy_location(gast.Break(), stmt)], stmt))
        if is_while:
            new_loop = gast.While(test=const(True), body=body, orelse=[])
        else:
            new_loop = gast.For(target=stmt.target, iter=stmt.iter, body=body, orelse=[],
                                type_comment=None)
        out = []
        if loop.uses_break:
            out.append(_assign(loop.brk, const(False), stmt))
        out.append(gast.copy_location(new_loop, stmt))

        if stmt.orelse:
            orelse = self.block(stmt.orelse)
            if is_while:
                # The else clause runs when the test turned false, not after a break.
                ended = self.namer.new("ended")
                test_if.orelse.append(_assign(ended, const(True), stmt))
                out.insert(0, _assign(ended, const(False), stmt))
                out.append(_if(load(ended), orelse, stmt.orelse[0]))
            elif loop.uses_break:
                out.append(_if(_not(loop.brk), orelse, stmt.orelse[0]))
            else:
                out.extend(orelse)

        return out, self.exit_after_loop(stmt, out)

    def exit_after_loop(self, stmt, out):
        """Leave an enclosing loop after `stmt` if it returned, and return whether it may exit.

        Appends to `out` the check that passes an early `return` on to the enclosing loop,
        and returns whether the statements after the loop need a guard.
        """
        may_return = self.returned is not None and any(
            isinstance(n, gast.Return) for n in _walk_own(stmt.body + stmt.orelse))
        if may_return and self.loops:
            outer = self.loops[-1]
            outer.uses_break = outer.uses_skip = True
            out.append(_if(load(self.returned), [_assign(outer.brk, const(True), stmt),
                                                  _assign(outer.skip, const(True), stmt)], stmt))
        return may_return or _may_exit(stmt.orelse, self.returned is not None)

    def plain_while(self, stmt, loop, body):
        """Lower `while test:` with no `break` or `return` inside, without its else clause.

        The test is evaluated before the loop and again at the end of each pass, so the
        loop is `while going:` and the reverse pass needs only its count, with no flag per
        pass. A `continue` skips the rest of the body but not the test.
        """
        test_name = self.namer.new("going")
        retest = _assign(test_name, copy.deepcopy(stmt.test), stmt)
        if loop.uses_skip:
            body = [_assign(loop.skip, const(False), stmt)] + body
        new_loop = gast.While(test=load(test_name), body=body + [retest], orelse=[])
        return [_assign(test_name, stmt.test, stmt), gast.copy_location(new_loop, stmt)]


def _walk_own(stmts):
    """Walk statements without entering nested functions or lambdas."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.AsyncFunctionDef)):
            continue
        stack.extend(gast.iter_child_nodes(node))


def _may_exit(stmts, has_returns):
    """Whether `stmts` contain a break, continue or return that leaves the current block.

    A break or continue inside a nested loop belongs to that loop and does not count.
    """
    for stmt in stmts:
        if isinstance(stmt, (gast.Break, gast.Continue)):
            return True
        if isinstance(stmt, gast.Return):
            return has_returns
        if isinstance(stmt, gast.If):
            if _may_exit(stmt.body + stmt.orelse, has_returns):
                return True
        elif isinstance(stmt, (gast.For, gast.While)):
            if has_returns and any(isinstance(n, gast.Return) for n in _walk_own(stmt.body)):
                return True
            if _may_exit(stmt.orelse, has_returns):
                return True
    return False


def lower(fn, namer):
    """Return the body of `fn` with its control flow lowered to flags."""
    return _Lowering(namer).function(fn)
