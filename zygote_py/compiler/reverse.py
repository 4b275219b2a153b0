"""The reverse transform: a normalized function becomes its pullback form.

Takes the normalized `FunctionDef` and the set of active names, and hands back a function
with the same parameters that runs the original computation and returns `(result, back)`.
Every active operation records a pullback: in a local variable in straight-line code, on a
tape inside loops. Branches record which way they went and loops how many times they ran,
so `back` replays the body in reverse, reading the tape backwards. `back(dresult)` returns
`(dclosure, *dparams)`: the gradient of the function's captured variables, then one
gradient per parameter in the order of `co_varnames`.
"""

import types

import gast

from . import fence, inplace, simplify
from .inline import InlineOperations
from .activity import nested_free_names
from .naming import (FUNCTION_CELL, OPERATOR_NAMES, VARIANT_CELL, const, load, marker_name,
                     runtime_attr, store)


# Runtime helpers that are rules themselves: their back returns one entry per argument.
RUNTIME_RULES = frozenset({"setitem", "append", "unpack", "mutating_call", "copyto",
                           "ufunc_at"})


def _assign(target, value):
    return gast.Assign(targets=[target if not isinstance(target, str) else store(target)],
                       value=value, type_comment=None)


def _call(func, *args, keywords=()):
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


def _subscript(value, index):
    return gast.Subscript(value=value, slice=const(index), ctx=gast.Load())


def _is_none(name):
    return gast.Compare(left=load(name), ops=[gast.IsNot()], comparators=[const(None)])


def _and(*tests):
    return tests[0] if len(tests) == 1 else gast.BoolOp(op=gast.And(), values=list(tests))


class Reverse(InlineOperations):
    def __init__(self, parsed, namer, activity, params, resolve):
        self.parsed = parsed
        self.namer = namer
        self.activity = activity
        self.active = activity.active
        self.params = params
        self.resolve = resolve
        self.loop_depth = 0
        self.uses_tape = False
        self.tape = namer.new("tape")
        self.position = namer.new("position")
        self.gradients_used = set()
        self.assign_counts = {}
        self.operator_rules = {}
        self.static_rules = {}
        # The expressions naming statically bound primals, checked on entry.
        self.guarded_bindings = {}
        self.dynamic = False
        self.owned = set()
        # Names that always hold a Python float, and those that hold a float or an int (see
        # `scalars`); empty unless the call site passed floats.
        self.float_names = frozenset()
        self.number_names = frozenset()

    # ----- helpers -----

    def grad(self, name):
        self.gradients_used.add(name)
        return self.namer.gradient(name)

    def is_active(self, node):
        if isinstance(node, gast.Name):
            return self.activity.is_active_name(node.id)
        if isinstance(node, gast.Starred):
            return self.is_active(node.value)
        return False

    def comment(self, stmt):
        lineno = getattr(stmt, "lineno", None)
        if lineno is None:
            return None
        text = self.parsed.line_text(lineno).strip()
        filename = self.parsed.filename.rsplit("/", 1)[-1]
        marker = gast.Expr(value=const(f"__zp_comment__grad of: {text}  ({filename}:{lineno})"))
        return gast.copy_location(marker, stmt)

    def accumulate_into(self, atom, value, numeric=False):
        """Statements adding `value` to the gradient of `atom`, if `atom` is active.

        Pass `numeric=True` when `value` is arithmetic on a gradient, so never `None`.
        """
        if not self.is_active(atom):
            return []
        name = atom.value.id if isinstance(atom, gast.Starred) else atom.id
        gname = self.grad(name)
        # The first contribution is taken as it is. Later ones need accumulate, which is plain
        # addition when a number is added to the gradient of a float.
        if numeric and name in self.float_names:
            later = gast.BinOp(left=load(gname), op=gast.Add(), right=value)
        else:
            later = _call(runtime_attr("accumulate"), load(gname), value)
        summed = gast.IfExp(test=gast.Compare(left=load(gname), ops=[gast.Is()],
                                              comparators=[const(None)]),
                            body=value, orelse=later)
        return [_assign(gname, summed)]

    def record(self, back_name):
        """Forward statements that keep a pullback or flag for the backward pass."""
        if self.loop_depth == 0:
            return []
        self.uses_tape = True
        return [gast.Expr(value=_call(gast.Attribute(value=load(self.tape), attr="append",
                                                     ctx=gast.Load()), load(back_name)))]

    def replay(self, back_name):
        """Backward statements that get back what `record` kept."""
        if self.loop_depth == 0:
            return []
        # Read the tape by position rather than with an iterator, so `back` can run many
        # times and stays plain code that forward mode can transform again.
        return [_assign(self.position, gast.BinOp(left=load(self.position), op=gast.Sub(),
                                                  right=const(1))),
                _assign(back_name, gast.Subscript(value=load(self.tape),
                                                  slice=load(self.position), ctx=gast.Load()))]

    # ----- the transform -----

    def function(self, node):
        # A parameter is defined once on entry, so reassigning it makes two definitions.
        self.assign_counts.update({name: 1 for name in self.params})
        self.count_assignments(node.body)
        forward, backward = self.block(node.body)
        result = node.body[-1].value if node.body and isinstance(node.body[-1], gast.Return) \
            else const(None)
        forward = [s for s in forward if not isinstance(s, gast.Return)]

        result_name = result.id if isinstance(result, gast.Name) and result.id in self.active \
            else None
        seed = self.grad(result_name) if result_name else self.namer.new("dresult")
        back_body = []
        for name in sorted(self.gradients_used):
            if name != result_name:
                back_body.append(_assign(self.namer.gradient(name), const(None)))
        if self.uses_tape:
            back_body.append(_assign(self.position, _call(load("len"), load(self.tape))))
        back_body.extend(backward)
        back_body.extend(self.epilogue())
        back_body = simplify.drop_known_none(back_body, set())
        back_body, flag_inits = inplace.add_in_place(back_body, self.namer)
        back_body = flag_inits + back_body

        back_name = self.namer.new("back")
        back_def = gast.FunctionDef(
            name=back_name,
            args=gast.arguments(args=[gast.Name(id=seed, ctx=gast.Param(), annotation=None,
                                                type_comment=None)],
                                posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                                kwarg=None, defaults=[]),
            body=back_body or [gast.Pass()], decorator_list=[], returns=None, type_comment=None,
            type_params=[])
        back_def.zp_generated = True
        prologue = [_assign(self.tape, gast.List(elts=[], ctx=gast.Load()))] if self.uses_tape else []
        guard = self.binding_guard(node)
        if guard is not None:
            prologue.insert(0, guard)
        body = prologue + forward + [back_def, gast.Return(value=gast.Tuple(
            elts=[result, load(back_name)], ctx=gast.Load()))]
        for stmt in body:
            if getattr(stmt, "lineno", None) is None:
                gast.copy_location(stmt, node.body[-1] if node.body else node)
        stem = node.name if node.name != "<lambda>" else "lambda"
        pullback_name = self.namer.new(stem + "_pullback") if stem + "_pullback" in \
            self.namer.taken else stem + "_pullback"
        return gast.copy_location(gast.FunctionDef(name=pullback_name,
                                args=node.args, body=body, decorator_list=[], returns=None,
                                type_comment=None, type_params=[]), node)

    def epilogue(self):
        """Return the statements ending `back`: globals, the closure gradient, the parameters."""
        out = []
        free = sorted(n for n in self.gradients_used
                      if n not in self.params and n not in self.assign_counts)
        closure_names, global_names = [], []
        for name in free:
            (closure_names if self.resolve.is_free(name) else global_names).append(name)
        for name in global_names:
            out.append(gast.Expr(value=_call(runtime_attr("implicit_accumulate"), load(name),
                                             load(self.namer.gradient(name)))))
        if closure_names:
            dclosure = _call(runtime_attr("closure_cotangent"),
                             gast.Tuple(elts=[const(n) for n in closure_names], ctx=gast.Load()),
                             gast.Tuple(elts=[load(self.namer.gradient(n)) for n in closure_names],
                                        ctx=gast.Load()))
        else:
            dclosure = const(None)
        grads = [dclosure]
        for name in self.params:
            grads.append(load(self.namer.gradient(name)) if name in self.gradients_used
                         else const(None))
        out.append(gast.Return(value=gast.Tuple(elts=grads, ctx=gast.Load())))
        return out

    def count_assignments(self, stmts):
        for stmt in stmts:
            if isinstance(stmt, gast.Assign):
                name = stmt.targets[0].id
                self.assign_counts[name] = self.assign_counts.get(name, 0) + 1
            elif isinstance(stmt, gast.FunctionDef):
                self.assign_counts[stmt.name] = self.assign_counts.get(stmt.name, 0) + 2
            elif isinstance(stmt, gast.If):
                self.count_assignments(stmt.body)
                self.count_assignments(stmt.orelse)
            elif isinstance(stmt, (gast.For, gast.While)):
                if isinstance(stmt, gast.For):
                    self.assign_counts[stmt.target.id] = 2
                # Anything assigned in a loop body is assigned many times.
                before = dict(self.assign_counts)
                self.count_assignments(stmt.body)
                for name, count in self.assign_counts.items():
                    if count != before.get(name, 0):
                        self.assign_counts[name] = count + 1

    def block(self, stmts):
        """Return `(forward statements, backward statements)` for a block."""
        forward, backward = [], []
        for stmt in stmts:
            fwd, bwd = self.statement(stmt)
            forward.extend(fwd)
            if bwd:
                backward[:0] = bwd
        return forward, _drop_repeated_comments(backward)

    def statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            return self.assignment(stmt)
        if isinstance(stmt, gast.If):
            return self.branch(stmt)
        if isinstance(stmt, gast.For):
            return self.for_loop(stmt)
        if isinstance(stmt, gast.While):
            return self.while_loop(stmt)
        if isinstance(stmt, gast.FunctionDef):
            return self.nested_def(stmt)
        if isinstance(stmt, gast.Delete):
            for target in stmt.targets:
                if target.id in self.active:
                    fence.reject(self.parsed, stmt, f"del of the variable {target.id!r}, "
                                 "which carries a gradient", "leave the variable in place or "
                                 "assign None to it")
        return [stmt], []

    # ----- assignments -----

    def assignment(self, stmt):
        checks = [gast.copy_location(gast.Expr(value=check), stmt)
                  for check in self.runtime_checks(stmt)]
        forward, backward = self.assignment_unchecked(stmt)
        return checks + forward, backward

    def runtime_checks(self, stmt):
        """Checks that must run before `stmt`: in-place updates and out= arguments."""
        checks = []
        if getattr(stmt, "zp_check_inplace", False):
            checks.append(self.inplace_check(stmt))
        out = getattr(stmt, "zp_check_out", None)
        if out is not None:
            lineno = getattr(stmt, "lineno", None) or 0
            where = f"{self.parsed.filename}:{lineno} ({self.parsed.line_text(lineno).strip()!r})"
            checks.append(_call(runtime_attr("check_out"), out, const(where),
                                const(self.parsed.filename), const(lineno)))
        return checks

    def inplace_check(self, stmt):
        """`__zp.check_inplace(x, where)`: an augmented assignment on a value not owned."""
        lineno = getattr(stmt, "lineno", None) or 0
        where = f"{self.parsed.filename}:{lineno} ({self.parsed.line_text(lineno).strip()!r})"
        return _call(runtime_attr("check_inplace"), load(stmt.targets[0].id),
                     const(stmt.targets[0].id), const(where), const(self.parsed.filename),
                     const(lineno))

    def assignment_unchecked(self, stmt):
        target = stmt.targets[0].id
        value = stmt.value
        if target not in self.active or not self.value_is_active(value):
            if self.is_runtime_rule(value):
                stmt = gast.copy_location(_assign(target, _subscript(self.lowered_marker(value),
                                                                     0)), stmt)
            return [stmt], self.reset(target)
        if isinstance(value, gast.Name):
            return [stmt], self.adjoint(stmt, target, [value],
                                        lambda g: self.accumulate_into(
                                            value, load(g), numeric=target in self.float_names))
        if isinstance(value, (gast.Tuple, gast.List)) and not any(
                isinstance(e, gast.Starred) for e in value.elts):
            return [stmt], self.adjoint(stmt, target, value.elts,
                                        lambda g: self.sequence_adjoint(value.elts, g))
        if isinstance(value, gast.Dict) and None not in value.keys:
            return [stmt], self.adjoint(stmt, target, value.values,
                                        lambda g: self.dict_adjoint(value, g))
        if isinstance(value, gast.Lambda):
            return [stmt], self.closure_adjoint(stmt, target, value)
        if isinstance(value, gast.Call) and self.is_packed(value):
            return self.packed_call(stmt, target, value)
        inlined = self.inline_constant_operation(stmt, target, value)
        if inlined is None:
            inlined = self.inline_binary_operation(stmt, target, value)
        if inlined is None:
            inlined = self.inline_ufunc(stmt, target, value)
        if inlined is None:
            inlined = self.inline_subscript(stmt, target, value)
        if inlined is not None:
            return inlined
        return self.rule_call(stmt, target, value)

    @staticmethod
    def is_runtime_rule(value):
        return marker_name(value) in RUNTIME_RULES

    @staticmethod
    def lowered_marker(value):
        """Return the marker call `__zpn.op(...)` as the runtime rule call `__zp.op(...)`."""
        return _call(runtime_attr(value.func.attr), *value.args, keywords=value.keywords)

    @staticmethod
    def is_packed(call):
        return any(isinstance(a, gast.Starred) for a in call.args) or \
            any(k.arg is None for k in call.keywords)

    def packed_call(self, stmt, target, call):
        """`f(a, *b, k=c, **d)`: build the argument tuple and dict, then call with both."""
        args = self.namer.new("args")
        kwargs = self.namer.new("kwargs")
        build_args = _assign(args, gast.Tuple(elts=list(call.args), ctx=gast.Load()))
        build_kwargs = _assign(kwargs, gast.Dict(keys=[None if k.arg is None else const(k.arg)
                                                       for k in call.keywords],
                                                 values=[k.value for k in call.keywords]))
        func = call.func
        if isinstance(func, gast.Attribute) and self.is_active(func.value):
            new = _call(runtime_attr("call_method_packed"), func.value, const(func.attr),
                        load(args), load(kwargs))
        else:
            new = _call(runtime_attr("call_packed"), func, load(args), load(kwargs))
        new.zp_internal = True
        statements = [gast.copy_location(s, stmt) for s in (build_args, build_kwargs,
                                                            _assign(target, new))]
        for name, node in ((args, build_args), (kwargs, build_kwargs)):
            self.assign_counts[name] = 2 if self.loop_depth else 1
            if self.activity.is_active(node.value):
                self.active.add(name)
        return self.block(statements)

    def value_is_active(self, value):
        if isinstance(value, (gast.Name, gast.Starred)):
            return self.is_active(value)
        return self.activity.is_active(value)

    def reset(self, target):
        """Backward statements for a definition of `target` that carries no gradient.

        The gradient of a name assigned more than once is cleared at each definition, so
        that an earlier value does not receive the gradient of a later one.
        """
        if target in self.active and self.assign_counts.get(target, 0) > 1:
            return [_assign(self.grad(target), const(None))]
        return []

    def adjoint(self, stmt, target, operands, make_body, also_required=None):
        """Backward statements: take the gradient of `target`, clear it, pass it on.

        `also_required` names a pullback that must not be `None` for the body to run.
        """
        gname = self.grad(target)
        operand_names = {o.id for o in operands if isinstance(o, gast.Name)} | \
                        {o.value.id for o in operands if isinstance(o, gast.Starred)}
        out = []
        marker = self.comment(stmt)
        if marker is not None:
            out.append(marker)
        if target in operand_names:
            held = self.namer.new("g")
            out.append(_assign(held, load(gname)))
            out.append(_assign(gname, const(None)))
            test = _and(_is_none(held), *([_is_none(also_required)] if also_required else []))
            out.append(gast.If(test=test, body=make_body(held) or [gast.Pass()], orelse=[]))
            return out
        body = make_body(gname) or [gast.Pass()]
        test = _and(_is_none(gname), *([_is_none(also_required)] if also_required else []))
        out.append(gast.If(test=test, body=body, orelse=[]))
        if self.assign_counts.get(target, 0) > 1:
            out.append(_assign(gname, const(None)))
        return out

    def sequence_adjoint(self, elts, g):
        parts = self.namer.new("parts")
        out = [_assign(parts, _call(runtime_attr("sequence_cotangent"), load(g),
                                    const(len(elts))))]
        for index, element in enumerate(elts):
            out += self.accumulate_into(element, _subscript(load(parts), index))
        return out

    def dict_adjoint(self, node, g):
        out = []
        for key, value in zip(node.keys, node.values):
            out += self.accumulate_into(value, _call(runtime_attr("dict_cotangent"), load(g), key))
        return out

    def closure_adjoint(self, stmt, target, node):
        captured = sorted(n for n in nested_free_names(node) if n in self.active)

        def body(g):
            out = []
            for name in captured:
                out += self.accumulate_into(load(name), _call(runtime_attr("field_cotangent"),
                                                              load(g), const(name)))
            return out

        return self.adjoint(stmt, target, [load(n) for n in captured], body)

    def nested_def(self, stmt):
        if stmt.name not in self.active:
            return [stmt], []
        return [stmt], self.closure_adjoint(stmt, stmt.name, stmt)

    def rule_call(self, stmt, target, value):
        """Differentiate an operation that runs through a rule, keeping its pullback."""
        back_name = self.namer.new(target.lstrip("_") + "_back")
        call, operands, pad_to, has_kwargs = self.rule_form(value)
        forward = [gast.copy_location(_assign(gast.Tuple(elts=[store(target), store(back_name)],
                                                         ctx=gast.Store()), call), stmt)]
        forward += self.record(back_name)

        def body(g):
            grads = self.namer.new("grads")
            if pad_to:
                result = _call(runtime_attr("run_rule_pullback"), load(back_name), load(g),
                               const(pad_to))
            else:
                result = _call(load(back_name), load(g))
            out = [_assign(grads, result)]
            for index, operand in enumerate(operands):
                if operand is None:
                    continue
                if isinstance(operand, tuple):  # a keyword argument
                    keyword, atom = operand
                    if self.is_active(atom):
                        out += self.accumulate_into(atom, _call(
                            runtime_attr("dict_cotangent"), _subscript(load(grads), -1),
                            const(keyword)))
                    continue
                out += self.accumulate_into(operand, _subscript(load(grads), index))
            return out

        plain = [o for o in operands if o is not None and not isinstance(o, tuple)]
        plain += [o[1] for o in operands if isinstance(o, tuple)]
        backward = self.adjoint(stmt, target, plain, body, also_required=back_name)
        return forward, self.replay(back_name) + backward

    def rule_form(self, value):
        """Return `(call, operands, pad_to, has_kwargs)` for an active operation.

        `operands[i]` receives `grads[i]` from the pullback; a `(keyword, atom)` entry
        receives its entry from the keyword gradients at `grads[-1]`. When `pad_to` is set,
        the pullback is a rule's own, which may return fewer entries, so they are padded.
        """
        if isinstance(value, gast.BinOp):
            rule = self.operator_rule(OPERATOR_NAMES[type(value.op)])
            return _call(rule, value.left, value.right), [value.left, value.right], 0, False
        if isinstance(value, gast.UnaryOp):
            rule = self.operator_rule(OPERATOR_NAMES[type(value.op)])
            return _call(rule, value.operand), [value.operand], 0, False
        if isinstance(value, gast.Attribute):
            return (_call(runtime_attr("getattr"), value.value, const(value.attr)),
                    [value.value], 0, False)
        if isinstance(value, gast.Subscript):
            index = _index_value(value.slice)
            return (_call(self.operator_rule("getitem"), value.value, index),
                    [value.value], 0, False)
        if isinstance(value, (gast.Tuple, gast.List, gast.Dict)):
            return self.display_form(value)
        if isinstance(value, gast.Call):
            return self.call_form(value)
        fence.reject(self.parsed, value, f"the expression {type(value).__name__}",
                     "assign it to a variable in a simpler form")

    def display_form(self, value):
        if isinstance(value, gast.Dict):
            keys = gast.Tuple(elts=[const(None) if k is None else k for k in value.keys],
                              ctx=gast.Load())
            return (_call(runtime_attr("build_dict"), keys, *value.values),
                    [None] + list(value.values), 0, False)
        kind = "tuple" if isinstance(value, gast.Tuple) else "list"
        flags = tuple(isinstance(e, gast.Starred) for e in value.elts)
        parts = [e.value if isinstance(e, gast.Starred) else e for e in value.elts]
        call = _call(runtime_attr("build_sequence"), const(kind), const(flags), *parts)
        return call, [None, None] + parts, 0, False

    def call_form(self, call):
        func = call.func
        if marker_name(call) in RUNTIME_RULES:
            return self.lowered_marker(call), list(call.args), 0, False
        if getattr(call, "zp_internal", False):
            if func.attr == "iterate":
                return call, list(call.args), 0, False
            if func.attr == "call_packed":
                callee = call.args[0] if isinstance(call.args[0], gast.Name) else None
                return call, [callee, call.args[1], call.args[2]], 0, False
            if func.attr == "call_method_packed":
                return call, [call.args[0], None, call.args[2], call.args[3]], 0, False
        keywords = [(k.arg, k.value) for k in call.keywords]
        if isinstance(func, gast.Attribute) and self.is_active(func.value):
            new = _call(runtime_attr("call_method"), func.value, const(func.attr), *call.args,
                        keywords=call.keywords)
            return new, [func.value] + list(call.args) + keywords, 0, bool(keywords)
        # A keyword argument that carries a gradient needs the dispatcher, whose pullback
        # returns keyword gradients too.
        active_keywords = any(self.is_active(k.value) for k in call.keywords)
        static = None if active_keywords else self.static_rule(func)
        if static is not None:
            # A global such as np.sin whose rule is known now: call the rule directly.
            rule_name, _ = static
            direct = _call(load(rule_name), *call.args, keywords=call.keywords)
            return direct, list(call.args), len(call.args), False
        callee = func if isinstance(func, gast.Name) else None
        active = [self.is_active(a) for a in call.args]
        if not all(active):
            # Arguments that carry no gradient: the callee is compiled without their work.
            mask = gast.Tuple(elts=[const(a) for a in active], ctx=gast.Load())
            new = _call(runtime_attr("call_masked"), mask, func, *call.args,
                        keywords=call.keywords)
            return new, [callee] + list(call.args) + keywords, 0, bool(keywords)
        new = _call(runtime_attr("call"), func, *call.args, keywords=call.keywords)
        return new, [callee] + list(call.args) + keywords, 0, bool(keywords)

    def static_rule(self, func):
        """Return binding names `(rule, primal)` if `func` names a global with a rule now.

        The generated code then calls the rule directly, and `binding_guard` checks on
        entry that `func` still names the same primal. If it does not, the call goes to the
        variant compiled without static rules.
        """
        from ..rules import registry

        value = self.static_value(func)
        if value is None or isinstance(value, type):
            return None
        rule = registry.lookup_rule(value)
        if rule is None:
            return None
        label = func.id if isinstance(func, gast.Name) else func.attr
        key = id(value)
        if key not in self.static_rules:
            self.static_rules[key] = (self.namer.new(f"{label}_rule"),
                                      self.namer.new(f"{label}_function"), rule, value)
        rule_name, primal_name, _, _ = self.static_rules[key]
        spelling = func.id if isinstance(func, gast.Name) else (func.value.id, func.attr)
        self.guarded_bindings.setdefault(spelling, (func, primal_name))
        return rule_name, primal_name

    def binding_guard(self, node):
        """Return the statement that leaves for the dynamic variant if a static rule's name
        has been rebound since the transform, or `None` when nothing was bound statically.
        """
        if not self.guarded_bindings:
            return None
        tests = [gast.Compare(left=func, ops=[gast.IsNot()], comparators=[load(primal)])
                 for func, primal in self.guarded_bindings.values()]
        test = tests[0] if len(tests) == 1 else gast.BoolOp(op=gast.Or(), values=tests)
        args = node.args
        positional = [load(a.id) for a in args.posonlyargs + args.args]
        if args.vararg is not None:
            positional.append(gast.Starred(value=load(args.vararg.id), ctx=gast.Load()))
        keywords = [gast.keyword(arg=a.id, value=load(a.id)) for a in args.kwonlyargs]
        if args.kwarg is not None:
            keywords.append(gast.keyword(arg=None, value=load(args.kwarg.id)))
        leave = _call(runtime_attr("rebound"), load(FUNCTION_CELL), load(VARIANT_CELL),
                      *positional, keywords=keywords)
        return gast.If(test=test, body=[gast.Return(value=leave)], orelse=[])

    def static_value(self, func):
        """Return what a global name or module attribute refers to now, or `None`.

        The variant compiled for rebound names (`dynamic`) binds nothing statically.
        """
        if self.dynamic:
            return None
        if isinstance(func, gast.Name):
            if func.id in self.assign_counts or self.resolve.is_free(func.id):
                return None
            found, value = self.resolve(func.id)
        elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and func.value.id not in self.assign_counts \
                and not self.resolve.is_free(func.value.id):
            found, module = self.resolve(func.value.id)
            if not found or not isinstance(module, types.ModuleType):
                return None
            found, value = hasattr(module, func.attr), getattr(module, func.attr, None)
        else:
            return None
        return value if found else None

    def operator_rule(self, name):
        binding = self.operator_rules.get(name)
        if binding is None:
            binding = self.namer.new(f"{name.rstrip('_')}_rule")  # e.g. mul_rule
            self.operator_rules[name] = binding
        return load(binding)

    # ----- control flow -----

    def branch(self, stmt):
        if isinstance(stmt.body[0], gast.Break) and len(stmt.body) == 1:
            return [stmt], []
        body_fwd, body_bwd = self.block(stmt.body)
        else_fwd, else_bwd = self.block(stmt.orelse)
        forward = gast.copy_location(gast.If(test=stmt.test, body=body_fwd or [gast.Pass()],
                                             orelse=else_fwd), stmt)
        if not body_bwd and not else_bwd:
            return [forward], []
        condition = stmt.test.id
        backward = gast.If(test=load(condition), body=body_bwd or [gast.Pass()], orelse=else_bwd)
        return [forward] + self.record(condition), self.replay(condition) + [backward]

    def for_loop(self, stmt):
        target = stmt.target.id
        if self.is_active(stmt.iter):
            return self.active_for_loop(stmt)
        return self.counted_loop(stmt, lambda body: gast.For(
            target=store(target), iter=stmt.iter, body=body, orelse=[], type_comment=None))

    def active_for_loop(self, stmt):
        # Iterate over positions so each element read has its own pullback.
        sequence = self.namer.new("seq")
        position = self.namer.new("k")
        self.active.add(sequence)
        # Inside an outer loop the sequence is made again on every pass, so its gradient
        # must be cleared at each definition.
        self.assign_counts[sequence] = 2 if self.loop_depth else 1
        iterate = _call(runtime_attr("iterate"), stmt.iter)
        iterate.zp_internal = True
        materialize = gast.copy_location(_assign(sequence, iterate), stmt)
        read = gast.copy_location(_assign(stmt.target.id, gast.Subscript(
            value=load(sequence), slice=load(position), ctx=gast.Load())), stmt)
        seq_fwd, seq_bwd = self.rule_call(materialize, sequence, materialize.value)
        loop = gast.For(target=store(position), iter=_call(load("range"), _call(
            load("len"), load(sequence))), body=[read] + stmt.body, orelse=[], type_comment=None)
        gast.copy_location(loop, stmt)
        loop_fwd, loop_bwd = self.for_loop(loop)
        return seq_fwd + loop_fwd, loop_bwd + seq_bwd

    def while_loop(self, stmt):
        return self.counted_loop(stmt, lambda body: gast.While(test=stmt.test, body=body,
                                                                orelse=[]))

    def counted_loop(self, stmt, rebuild):
        self.loop_depth += 1
        body_fwd, body_bwd = self.block(stmt.body)
        self.loop_depth -= 1
        if not body_bwd:
            return [gast.copy_location(rebuild(body_fwd or [gast.Pass()]), stmt)], []
        counter = self.namer.new("iterations")
        increment = _assign(counter, gast.BinOp(left=load(counter), op=gast.Add(), right=const(1)))
        loop = gast.copy_location(rebuild([increment] + body_fwd), stmt)
        forward = [_assign(counter, const(0)), loop] + self.record(counter)
        reverse_loop = gast.For(target=store("_"), iter=_call(load("range"), load(counter)),
                                body=body_bwd, orelse=[], type_comment=None)
        return forward, self.replay(counter) + [reverse_loop]


def _comment_text(stmt):
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant) and \
            isinstance(stmt.value.value, str) and stmt.value.value.startswith("__zp_comment__"):
        return stmt.value.value
    return None


def _drop_repeated_comments(stmts):
    """Keep one `# grad of:` comment for consecutive adjoints of the same user line."""
    kept, last = [], None
    for stmt in stmts:
        text = _comment_text(stmt)
        if text is not None:
            if text == last:
                continue
            last = text
        kept.append(stmt)
    return kept


def _index_value(index):
    if isinstance(index, gast.Slice):
        parts = [p if p is not None else const(None) for p in (index.lower, index.upper, index.step)]
        return _call(load("slice"), *parts)
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_value(e) for e in index.elts], ctx=gast.Load())
    return index
