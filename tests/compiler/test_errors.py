"""Each error class carries the user's file and line, and a message with the fix."""

import numpy as np
import pytest

import zygote_py as zp
from zygote_py import (MissingRuleError, NonScalarOutputError, SourceUnavailableError,
                       UnsupportedSyntaxError, gradient)


def _line_of(fn, offset):
    return fn.__code__.co_firstlineno + offset


def uses_try(x):
    try:
        return x * 2
    except ValueError:
        return x


def uses_with(x):
    with open(__file__):
        return x


def uses_yield(x):
    yield x


def uses_global(x):
    global COUNTER
    COUNTER = x
    return x


def defines_class(x):
    class Inner:
        pass

    return x


def deletes_active(x):
    y = x * 2
    del y
    return x * 3


def deletes_needed(x):
    y = x * 2
    z = y * 3
    del y
    return z


COUNTER = 0.0


@pytest.mark.parametrize("fn, offset, construct", [
    (uses_try, 1, "try/except"),
    (uses_with, 1, "with block"),
    (uses_yield, 1, "yield"),
    (uses_global, 1, "global statement"),
    (defines_class, 1, "class definition"),
    (deletes_needed, 3, "del of the variable"),
])
def test_unsupported_syntax_location(fn, offset, construct):
    with pytest.raises(UnsupportedSyntaxError) as info:
        gradient(fn, 1.0)
    error = info.value
    assert isinstance(error, SyntaxError)
    assert error.filename == __file__
    assert error.lineno == _line_of(fn, offset)
    assert construct in error.msg
    assert error.text.strip()
    assert error.offset >= 1


def test_del_of_unneeded_variable_is_fine():
    assert gradient(deletes_active, 1.0) == (3.0,)


def test_differentiable_raises_at_decoration():
    with pytest.raises(UnsupportedSyntaxError) as info:
        @zp.differentiable
        def broken(x):
            try:
                return x
            finally:
                pass

    assert info.value.lineno == test_differentiable_raises_at_decoration.__code__.co_firstlineno + 4


def test_nested_unsupported_syntax_found_at_decoration():
    with pytest.raises(UnsupportedSyntaxError):
        @zp.differentiable
        def outer(x):
            def inner(y):
                yield y

            return x


def test_missing_rule_names_function_and_module():
    import math

    with pytest.raises(MissingRuleError) as info:
        gradient(lambda x: math.gamma(x), 2.5)
    message = str(info.value)
    assert "gamma" in message
    assert "math" in message
    assert "@zygote_py.adjoint" in message


def test_non_scalar_output_suggests_jacobian():
    with pytest.raises(NonScalarOutputError) as info:
        gradient(lambda x: x * 2, np.ones(3))
    assert isinstance(info.value, ValueError)
    assert "jacobian" in str(info.value)
    assert "(3,)" in str(info.value)


def test_tuple_output_needs_withgradient():
    with pytest.raises(NonScalarOutputError) as info:
        gradient(lambda x: (x * 2.0, x * 100.0), 1.0)
    assert "withgradient" in str(info.value)
    value, grads = zp.withgradient(lambda x: (x * 2.0, x * 100.0), 1.0)
    assert value == (2.0, 100.0)
    assert grads == (2.0,)


def test_tuple_output_with_params_needs_withgradient():
    w = np.ones(2)
    with pytest.raises(NonScalarOutputError, match="withgradient"):
        gradient(lambda: (np.sum(w), "extra"), zp.Params([w]))


def test_source_unavailable_for_exec():
    namespace = {}
    exec("def made_by_exec(x):\n    return x * 2\n", namespace)
    with pytest.raises(SourceUnavailableError) as info:
        gradient(namespace["made_by_exec"], 1.0)
    assert "<string>" in str(info.value)
    assert "@zygote_py.adjoint" in str(info.value)


def test_runtime_error_points_at_user_line():
    def bad_shapes(x):
        y = x * 2
        return np.sum(y @ np.ones((5, 5)))

    with pytest.raises(ValueError) as info:
        gradient(bad_shapes, np.ones(3))
    frames = [f for f in info.traceback if str(f.path) == __file__]
    assert frames[-1].lineno + 1 == bad_shapes.__code__.co_firstlineno + 2


def test_notebook_cell_source_from_linecache():
    import linecache

    filename = "<ipython-input-7-abc>"
    text = "def cell_function(x):\n    return x * x * 3\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {}
    exec(compile(text, filename, "exec"), namespace)
    assert gradient(namespace["cell_function"], 2.0) == (12.0,)


def test_two_lambdas_on_one_line():
    f, g = (lambda x: x * 2), (lambda x: x * 3)
    assert gradient(f, 1.0) == (2.0,)
    assert gradient(g, 1.0) == (3.0,)


def test_methods_static_and_class_methods_transform():
    class Holder:
        def method(self, x):
            return x * 4

        @staticmethod
        def static(x):
            return x * 5

        @classmethod
        def klass(cls, x):
            return x * 6

    holder = Holder()
    assert gradient(holder.method, 1.0) == (4.0,)
    assert gradient(Holder.static, 1.0) == (5.0,)
    assert gradient(Holder.klass, 1.0) == (6.0,)


def test_recursion_depth_error_names_function():
    def deep(x, n):
        if n == 0:
            return x
        return deep(x, n - 1) * 1.0

    assert gradient(deep, 2.0, 200) == (1.0, None)


def test_helpful_messages_for_misuse():
    with pytest.raises(TypeError, match="needs a function"):
        gradient(3.0, 1.0)
    with pytest.raises(NonScalarOutputError, match="return statement"):
        gradient(lambda x: None, 1.0)
    with pytest.raises(TypeError, match="tuple of primals"):
        zp.jvp(np.sin, 0.5, 1.0)
    with pytest.raises(ValueError, match="returning a scalar"):
        zp.hessian(lambda x: x * 2, np.ones(2))
    with pytest.raises(TypeError, match="hand-written gradient rule"):
        zp.source(np.sin)


def test_source_of_callable_object():
    class Scale:
        def __call__(self, x):
            return x * 2

    assert "def __call___pullback(self, x):" in zp.source(Scale())


def test_recursion_past_limit_names_function():
    import sys

    def deep(x, n):
        if n == 0:
            return x
        return deep(x * 1.0, n - 1)

    with pytest.raises(RecursionError, match="deep.*sys.setrecursionlimit"):
        gradient(deep, 1.0, sys.getrecursionlimit())


def test_wrong_argument_count_names_the_function():
    def ratio(x, y):
        return x / y

    with pytest.raises(TypeError, match=r"ratio\(\) takes 2 positional arguments but 3"):
        gradient(ratio, 1.0, 2.0, 3.0)
