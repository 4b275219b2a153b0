"""A-normal form: every operation's operands are names or constants.

Takes a function body whose control flow is already lowered (see `control_flow`) and hands
back statements of these forms only, each keeping the user's line number:

- `name = op` where `op` is a name, a constant, a call (`f(a, *b, k=c)`, `a.method(b)`), a
  binary, unary or single comparison operator, an attribute read `a.x`, a subscript read
  `a[i, 1:n]`, a tuple, list, set or dict display, an f-string, a lambda;
- `if name: ... else: ...`, `for name in name: ...`, `while True: ...` ending in
  `if flag: break`, a nested `def`, `return name` (last), and the statements that run as they
  are (`raise`, `assert`, `import`, `del`, `pass`).

Desugared on the way: chained comparisons, `and`/`or`, conditional expressions,
comprehensions and generator expressions (into loops that append), augmented assignment,
unpacking (through `__zpn.unpack`), and in-place writes (`x[i] = v` becomes
`x = __zpn.setitem(x, i, v)`; `lst.append(v)` becomes `lst = __zpn.append(lst, v)`).
"""

import gast

from .naming import const, load, marker_attr, store
from .syntax_tree import walk

MUTATING_METHODS = frozenset({"append", "extend", "insert", "pop", "update", "setdefault",
                              "clear", "remove", "sort", "reverse", "fill", "resize", "put",
                              "itemset", "add", "discard", "popitem"})

_ATOMS = (gast.Name, gast.Constant)


class AttributeWrite(Exception):
    """An assignment to an attribute or a nested element, which the transform rejects."""

    def __init__(self, node, what):
        super().__init__(what)
        self.node = node
        self.what = what


def _located(node, like):
    return gast.copy_location(node, like)


class Normalizer:
    def __init__(self, namer, local_names=()):
        # Only a local variable can be a list or dict this function mutates; `np.sort(x)`
        # or `np.append(a, b)` on a module are ordinary calls.
        self.local_names = set(local_names)
        self.fresh_temps = set()
        self.namer = namer
        self.out = None
        self.stmt_node = None

    # ----- statements -----

    def block(self, stmts):
        saved = self.out
        self.out = []
        for stmt in stmts:
            self.statement(stmt)
        result, self.out = self.out, saved
        return result

    def emit(self, node):
        self.out.append(_located(node, self.stmt_node))
        return node

    def assign(self, name, value):
        self.local_names.add(name)
        if isinstance(value, gast.Name) and value.id in self.fresh_temps:
            # `x = a if c else b`: x takes the temporary's new object, which nothing else
            # holds, so x counts as created by this function.
            node = self.emit(gast.Assign(targets=[store(name)], value=value, type_comment=None))
            node.zp_mutated = True
            return
        self.emit(gast.Assign(targets=[store(name)], value=value, type_comment=None))

    def temp(self, value, stem="t"):
        name = self.namer.new(stem)
        self.assign(name, value)
        return load(name)

    def statement(self, stmt):
        self.stmt_node = stmt
        method = getattr(self, "stmt_" + type(stmt).__name__, None)
        if method is None:
            self.emit(stmt)
        else:
            method(stmt)

    def stmt_Expr(self, stmt):
        value = stmt.value
        if isinstance(value, gast.Constant):
            return  # docstrings and bare constants do nothing
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                and isinstance(value.func.value, gast.Name) and value.func.attr in MUTATING_METHODS \
                and value.func.value.id in self.local_names:
            self.mutating_call(value, result=None)
            return
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                and value.func.attr == "at" and len(value.args) >= 2 \
                and isinstance(value.args[0], gast.Name):
            # np.add.at(x, index, v) writes into x: a copy on write, like x[index] += v.
            destination = value.args[0].id
            ufunc = self.atom(value.func.value)
            args, keywords = self.call_arguments(value)
            self.assign(destination, gast.Call(func=marker_attr("ufunc_at"),
                                               args=[args[0], ufunc] + args[1:],
                                               keywords=keywords))
            return
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                and value.func.attr == "copyto" and value.args \
                and isinstance(value.args[0], gast.Name):
            # np.copyto(dst, src) writes into dst: a copy on write like x[...] = src.
            destination = value.args[0].id
            args, keywords = self.call_arguments(value)
            self.assign(destination, gast.Call(func=marker_attr("copyto"), args=args,
                                               keywords=keywords))
            return
        self.assign(self.namer.new("unused"), self.rhs(value))
        # A call run for its effect may still move gradients (a parameter's gradient
        # collected in a pullback), so its result counts as used.
        self.out[-1].zp_discarded = True

    def stmt_Pass(self, stmt):
        pass

    def stmt_Assign(self, stmt):
        targets = stmt.targets
        if len(targets) == 1 and isinstance(targets[0], gast.Name):
            value = stmt.value
            if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                    and isinstance(value.func.value, gast.Name) \
                    and value.func.attr in MUTATING_METHODS \
                    and value.func.value.id in self.local_names:
                self.mutating_call(value, result=targets[0].id)
                return
            self.assign(targets[0].id, self.rhs(value))
            return
        value = self.atom(stmt.value)
        for target in targets:
            self.assign_target(target, value)

    def stmt_AnnAssign(self, stmt):
        if stmt.value is not None:
            self.stmt_Assign(gast.Assign(targets=[stmt.target], value=stmt.value,
                                         type_comment=None))

    def stmt_AugAssign(self, stmt):
        target = stmt.target
        if isinstance(target, gast.Name):
            right = self.atom(stmt.value)
            node = self.emit(gast.Assign(targets=[store(target.id)],
                                         value=gast.BinOp(left=load(target.id), op=stmt.op,
                                                          right=right), type_comment=None))
            node.zp_augmented = True
            return
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            index = self.index(target.slice)
            current = self.temp(gast.Subscript(value=load(target.value.id), slice=index,
                                               ctx=gast.Load()))
            right = self.atom(stmt.value)
            updated = self.temp(gast.BinOp(left=current, op=stmt.op, right=right))
            self.setitem(target.value.id, index, updated)
            return
        raise AttributeWrite(stmt, _describe_target(target))

    def assign_target(self, target, value):
        if isinstance(target, gast.Name):
            self.assign(target.id, value)
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.unpack(target, value)
        elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            self.setitem(target.value.id, self.index(target.slice), value)
        else:
            raise AttributeWrite(self.stmt_node, _describe_target(target))

    def unpack(self, target, value):
        elts = target.elts
        starred = [i for i, e in enumerate(elts) if isinstance(e, gast.Starred)]
        star = starred[0] if starred else -1
        parts = self.temp(gast.Call(func=marker_attr("unpack"),
                                    args=[value, const(len(elts)), const(star)], keywords=[]),
                          "parts")
        for position, element in enumerate(elts):
            if isinstance(element, gast.Starred):
                element = element.value
            item = self.temp(gast.Subscript(value=parts, slice=const(position), ctx=gast.Load()))
            self.assign_target(element, item)

    def setitem(self, name, index, value):
        index_value = _index_as_value(index)
        self.assign(name, gast.Call(func=marker_attr("setitem"),
                                    args=[load(name), index_value, value], keywords=[]))

    def mutating_call(self, call, result):
        receiver = call.func.value.id
        args, keywords = self.call_arguments(call)
        if call.func.attr == "append" and len(args) == 1 and not keywords \
                and not isinstance(args[0], gast.Starred):
            self.assign(receiver, gast.Call(func=marker_attr("append"),
                                            args=[load(receiver), args[0]], keywords=[]))
            if result is not None:
                self.assign(result, const(None))
            return
        pair = self.temp(gast.Call(func=marker_attr("mutating_call"),
                                   args=[load(receiver), const(call.func.attr)] + args,
                                   keywords=keywords), "mutated")
        self.assign(receiver, gast.Subscript(value=pair, slice=const(0), ctx=gast.Load()))
        self.out[-1].zp_mutated = True
        if result is not None:
            self.assign(result, gast.Subscript(value=pair, slice=const(1), ctx=gast.Load()))

    def stmt_If(self, stmt):
        if len(stmt.body) == 1 and isinstance(stmt.body[0], gast.Break):
            # The loop exit `if brk: break` that control_flow puts at the end of a loop body.
            self.emit(gast.If(test=stmt.test, body=stmt.body, orelse=[]))
            return
        test = self.temp(self.rhs(stmt.test), "c")
        body = self.block(stmt.body) or [gast.Pass()]
        orelse = self.block(stmt.orelse)
        self.stmt_node = stmt
        self.emit(gast.If(test=test, body=body, orelse=orelse))

    def stmt_For(self, stmt):
        iterable = self.atom(stmt.iter)
        body = self.block_with_target(stmt.target, stmt.body)
        self.stmt_node = stmt
        self.emit(gast.For(target=body[0], iter=iterable, body=body[1], orelse=[],
                           type_comment=None))

    def block_with_target(self, target, stmts):
        """Return `(loop variable, body)`; a structured target is unpacked in the body."""
        if isinstance(target, gast.Name):
            return store(target.id), self.block(stmts)
        name = self.namer.new("item")
        saved = self.out
        self.out = []
        self.assign_target(target, load(name))
        prologue, self.out = self.out, saved
        return store(name), prologue + self.block(stmts)

    def stmt_While(self, stmt):
        # Lowered loops test `True` or a flag variable that the body sets.
        test = stmt.test if isinstance(stmt.test, gast.Name) else const(True)
        body = self.block(stmt.body)
        self.stmt_node = stmt
        self.emit(gast.While(test=test, body=body, orelse=[]))

    def stmt_Return(self, stmt):
        value = self.atom(stmt.value) if stmt.value is not None else const(None)
        self.emit(gast.Return(value=value))

    def stmt_Delete(self, stmt):
        self.emit(stmt)

    # ----- expressions -----

    def atom(self, expr):
        """Return a name or constant holding the value of `expr`."""
        if isinstance(expr, _ATOMS):
            return expr
        return self.temp(self.rhs(expr))

    def rhs(self, expr):
        """Return a single operation on atoms that computes `expr`."""
        method = getattr(self, "expr_" + type(expr).__name__, None)
        if method is None:
            return expr
        return method(expr)

    def expr_Name(self, expr):
        return load(expr.id)

    def expr_Constant(self, expr):
        return expr

    def expr_BinOp(self, expr):
        return gast.BinOp(left=self.atom(expr.left), op=expr.op, right=self.atom(expr.right))

    def expr_UnaryOp(self, expr):
        return gast.UnaryOp(op=expr.op, operand=self.atom(expr.operand))

    def expr_Compare(self, expr):
        left = self.atom(expr.left)
        if len(expr.ops) == 1:
            return gast.Compare(left=left, ops=expr.ops, comparators=[self.atom(expr.comparators[0])])
        # a < b < c evaluates b once and stops at the first false comparison.
        result = self.namer.new("cmp")
        right = self.atom(expr.comparators[0])
        self.assign(result, gast.Compare(left=left, ops=[expr.ops[0]], comparators=[right]))
        rest = gast.Compare(left=right, ops=expr.ops[1:], comparators=expr.comparators[1:])
        saved = self.out
        self.out = []
        self.assign(result, self.rhs(rest))
        body, self.out = self.out, saved
        self.emit(gast.If(test=self.temp(load(result), "c"), body=body, orelse=[]))
        return load(result)

    def expr_BoolOp(self, expr):
        result = self.namer.new("b")
        self.assign(result, self.rhs(expr.values[0]))
        self.bool_rest(result, expr.op, expr.values[1:])
        return load(result)

    def bool_rest(self, result, op, values):
        if not values:
            return
        saved = self.out
        self.out = []
        self.assign(result, self.rhs(values[0]))
        self.bool_rest(result, op, values[1:])
        evaluated, self.out = self.out, saved
        test = self.temp(load(result), "c")
        if isinstance(op, gast.And):
            self.emit(gast.If(test=test, body=evaluated, orelse=[]))
        else:
            self.emit(gast.If(test=test, body=[gast.Pass()], orelse=evaluated))

    def expr_IfExp(self, expr):
        result = self.namer.new("v")
        self.fresh_temps.add(result)
        test = self.temp(self.rhs(expr.test), "c")
        saved = self.out
        self.out = []
        self.assign(result, self.rhs(expr.body))
        body = self.out
        self.out = []
        self.assign(result, self.rhs(expr.orelse))
        orelse, self.out = self.out, saved
        self.emit(gast.If(test=test, body=body, orelse=orelse))
        return load(result)

    def expr_Call(self, expr):
        func = expr.func
        if isinstance(func, gast.Attribute):
            func = gast.Attribute(value=self.atom(func.value), attr=func.attr, ctx=gast.Load())
        elif not isinstance(func, gast.Name):
            func = self.atom(func)
        args, keywords = self.call_arguments(expr)
        return gast.Call(func=func, args=args, keywords=keywords)

    def call_arguments(self, call):
        args = []
        for arg in call.args:
            if isinstance(arg, gast.Starred):
                args.append(gast.Starred(value=self.atom(arg.value), ctx=gast.Load()))
            else:
                args.append(self.atom(arg))
        keywords = [gast.keyword(arg=k.arg, value=self.atom(k.value)) for k in call.keywords]
        return args, keywords

    def expr_Attribute(self, expr):
        return gast.Attribute(value=self.atom(expr.value), attr=expr.attr, ctx=gast.Load())

    def expr_Subscript(self, expr):
        return gast.Subscript(value=self.atom(expr.value), slice=self.index(expr.slice),
                              ctx=gast.Load())

    def index(self, node):
        if isinstance(node, gast.Slice):
            return gast.Slice(lower=self.optional_atom(node.lower),
                              upper=self.optional_atom(node.upper),
                              step=self.optional_atom(node.step))
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in node.elts], ctx=gast.Load())
        return self.atom(node)

    def optional_atom(self, node):
        return None if node is None else self.atom(node)

    def expr_Tuple(self, expr):
        return gast.Tuple(elts=self.elements(expr.elts), ctx=gast.Load())

    def expr_List(self, expr):
        return gast.List(elts=self.elements(expr.elts), ctx=gast.Load())

    def expr_Set(self, expr):
        return gast.Set(elts=self.elements(expr.elts))

    def elements(self, elts):
        out = []
        for element in elts:
            if isinstance(element, gast.Starred):
                out.append(gast.Starred(value=self.atom(element.value), ctx=gast.Load()))
            else:
                out.append(self.atom(element))
        return out

    def expr_Dict(self, expr):
        keys = [None if k is None else self.atom(k) for k in expr.keys]
        values = [self.atom(v) for v in expr.values]
        return gast.Dict(keys=keys, values=values)

    def expr_JoinedStr(self, expr):
        return expr  # an f-string's value carries no gradient; it runs as written

    def expr_Lambda(self, expr):
        return expr  # the lambda is transformed when it is called

    def expr_ListComp(self, expr):
        return self.comprehension(expr, "list")

    def expr_GeneratorExp(self, expr):
        return self.comprehension(expr, "list")

    def expr_SetComp(self, expr):
        result = self.comprehension(expr, "list")
        return gast.Call(func=load("set"), args=[self.atom(result)], keywords=[])

    def expr_DictComp(self, expr):
        return self.comprehension(expr, "dict")

    def comprehension(self, expr, kind):
        # Comprehension variables get fresh names: they must not leak into the function.
        renames = {}
        for generator in expr.generators:
            for node in walk(generator.target):
                if isinstance(node, gast.Name):
                    renames[node.id] = self.namer.new(node.id + "_")
        expr = _Renamer(renames).visit(expr)
        result = self.namer.new("comp" if kind == "list" else "dcomp")
        self.assign(result, gast.List(elts=[], ctx=gast.Load()) if kind == "list"
                    else gast.Dict(keys=[], values=[]))
        if kind == "list":
            innermost = [gast.Expr(value=gast.Call(
                func=gast.Attribute(value=load(result), attr="append", ctx=gast.Load()),
                args=[expr.elt], keywords=[]))]
        else:
            target = gast.Subscript(value=load(result), slice=expr.key, ctx=gast.Store())
            innermost = [gast.Assign(targets=[target], value=expr.value, type_comment=None)]
        body = innermost
        for generator in reversed(expr.generators):
            for condition in reversed(generator.ifs):
                body = [gast.If(test=condition, body=body, orelse=[])]
            body = [gast.For(target=generator.target, iter=generator.iter, body=body, orelse=[],
                             type_comment=None)]
        for stmt in body:
            _locate_all(stmt, self.stmt_node)
            saved_node = self.stmt_node
            self.statement(stmt)
            self.stmt_node = saved_node
        return load(result)


class _Renamer(gast.NodeTransformer):
    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            return gast.Name(id=self.renames[node.id], ctx=node.ctx, annotation=None,
                             type_comment=None)
        return node

    def visit_Lambda(self, node):
        return node  # a lambda's own parameters shadow; leave its body alone


def _locate_all(node, like):
    for child in walk(node):
        if getattr(child, "lineno", None) is None and hasattr(like, "lineno"):
            gast.copy_location(child, like)


def _index_as_value(index):
    """Turn a subscript index (with slices) into an expression that builds the same key."""
    if isinstance(index, gast.Slice):
        parts = [p if p is not None else const(None) for p in (index.lower, index.upper, index.step)]
        return gast.Call(func=load("slice"), args=parts, keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_as_value(e) for e in index.elts], ctx=gast.Load())
    return index


def _describe_target(target):
    if isinstance(target, gast.Attribute):
        return f"assignment to the attribute .{target.attr}"
    if isinstance(target, gast.Subscript):
        return "assignment into an element of an element or attribute"
    return f"assignment to {type(target).__name__}"


def normalize(body, namer, local_names):
    """Return `body` in A-normal form; `local_names` are the function's own variables."""
    return Normalizer(namer, local_names).block(body)
