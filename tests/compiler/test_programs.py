"""Every program in programs.py, checked against central finite differences."""

import numpy as np
import pytest

from zygote_py import gradient, withgradient
from zygote_py.testing import check_grads

from . import programs as p

rng = np.random.default_rng(42)


def vec(n, low=-1.0, high=1.0):
    return rng.uniform(low, high, n)


def pos(n):
    return rng.uniform(0.5, 2.0, n)


CASES = [
    (p.arithmetic, (1.3, 0.7)),
    (p.matmul_chain, (rng.standard_normal((3, 3)), rng.standard_normal(3))),
    (p.floor_division_and_modulo, (1.1,)),
    (p.comparisons_and_booleans, (1.5, 2.5)),
    (p.comparisons_and_booleans, (-1.5, 2.5)),
    (p.chained_comparison, (2.0,)),
    (p.chained_comparison, (12.0,)),
    (p.unary_operators, (-1.2,)),
    (p.tuple_literal, (1.5, -0.5)),
    (p.list_literal, (1.5, -0.5)),
    (p.dict_literal, (1.5, -0.5)),
    (p.tuple_unpacking, (1.5, -0.5)),
    (p.starred_unpacking, (1.5, -0.5, 2.0)),
    (p.chained_assignment, (1.5,)),
    (p.augmented_assignment, (1.5,)),
    (p.if_elif_else, (3.0,)),
    (p.if_elif_else, (1.0,)),
    (p.if_elif_else, (-1.0,)),
    (p.conditional_expression, (1.0,)),
    (p.conditional_expression, (-1.0,)),
    (p.for_over_range, (1.1,)),
    (p.for_over_array_rows, (rng.standard_normal((3, 4)),)),
    (p.for_over_list, ([1.0, 2.0, -0.5],)),
    (p.for_over_tuple, (1.5, 0.7)),
    (p.for_over_zip, ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0])),
    (p.for_over_enumerate, (vec(4),)),
    (p.for_over_reversed, ([1.0, 2.0, 3.0],)),
    (p.while_data_dependent, (1.3,)),
    (p.break_in_loop, (0.7,)),
    (p.continue_in_loop, (1.3,)),
    (p.for_else, (1.3,)),
    (p.for_else, (200.0,)),
    (p.while_else, (1.3,)),
    (p.nested_loops_break_in_branch, (vec(4),)),
    (p.early_return_in_while, (0.7,)),
    (p.several_returns, (-2.0,)),
    (p.several_returns, (0.5,)),
    (p.several_returns, (2.0,)),
    (p.return_in_nested_loop, (1.7,)),
    (p.calls_helper, (1.3,)),
    (p.mutual_recursion, (1.3,)),
    (p.keyword_arguments, (1.3, 0.4)),
    (p.star_args_call, (1.3, 0.4)),
    (p.default_parameters, (1.3,)),
    (p.keyword_only_parameters, (1.3,)),
    (p.closure_reading_free_variable, (1.3,)),
    (p.reads_global, (1.3,)),
    (p.math_module_constant, (1.3,)),
    (p.lambda_inside, (2.0, 3.0)),
    (p.nested_def_inside, (1.3,)),
    (p.closure_over_loop_result, (1.3,)),
    (p.list_comprehension, (1.3,)),
    (p.comprehension_with_condition, ([1.0, -2.0, 3.0],)),
    (p.comprehension_over_zip, ([1.0, 2.0], [3.0, 4.0])),
    (p.generator_expression, (vec(5), vec(5))),
    (p.dict_comprehension, (1.3, 0.4)),
    (p.set_comprehension_inactive, (1.3,)),
    (p.nested_comprehension, (rng.standard_normal((2, 2)),)),
    (p.attribute_read, (rng.standard_normal((2, 3)),)),
    (p.subscript_int_and_slice, (vec(5),)),
    (p.subscript_tuple_ellipsis_none, (rng.standard_normal((3, 2)),)),
    (p.subscript_integer_array, (vec(3),)),
    (p.subscript_boolean_mask, (vec(8),)),
    (p.assert_and_pass, (vec(3),)),
    (p.docstring_and_fstring, (vec(3),)),
    (p.calls_print, (vec(3),)),
    (p.numpy_functions, (vec(4),)),
    (p.mean_with_axis, (rng.standard_normal((2, 3)),)),
    (p.reshape_transpose, (rng.standard_normal(6),)),
    (p.partial_application, (1.3, 0.4)),
    (p.map_and_reduce, ([1.0, 2.0, 3.0],)),
    (p.passes_function, (vec(3),)),
    (p.closure_returned, (1.3,)),
    (p.fills_buffer, (vec(3),)),
    (p.list_append_then_stack, (vec(3),)),
    (p.accumulate_indexing, (vec(6),)),
    (p.reassigns_parameter, (vec(3), True)),
    (p.reassigns_parameter, (vec(3), False)),
    (p.scatter_add, (vec(3),)),
    (p.module_functions_named_like_methods, (vec(4),)),
    (p.constant_operations, (pos(3),)),
    (p.repeated_list, (1.5,)),
    (p.nested_loops_over_same_array, (vec(3),)),
    (p.comprehension_inside_loop, (vec(3),)),
    (p.nested_comprehension_with_min, (pos(3),)),
    (p.inlined_ufuncs, (vec(3),)),
]


@pytest.mark.parametrize("program, args", CASES,
                         ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(CASES)])
def test_program_matches_finite_differences(program, args):
    check_grads(program, *args)


@pytest.mark.parametrize("program, args", [
    (p.matmul_chain, (rng.standard_normal((3, 3)).astype(np.float32),
                      rng.standard_normal(3).astype(np.float32))),
    (p.numpy_functions, (vec(4).astype(np.float32),)),
    (p.accumulate_indexing, (vec(4).astype(np.float32),)),
    (p.fills_buffer, (vec(3).astype(np.float32),)),
    (p.constant_operations, (pos(3).astype(np.float32),)),
    (p.inlined_ufuncs, (vec(3).astype(np.float32),)),
    (p.for_over_array_rows, (rng.standard_normal((3, 4)).astype(np.float32),)),
])
def test_float32_stays_float32(program, args):
    grads = check_grads(program, *args)
    for arg, g in zip(args, grads):
        assert g.dtype == np.float32


def test_while_power_by_hand():
    assert gradient(p.while_power, 2.0, 3) == (12.0, None)


def test_recursion_by_hand():
    assert gradient(p.factorial_like, 2.0, 3) == (12.0, None)


def test_lambda_closure_by_hand():
    assert gradient(p.lambda_inside, 2.0, 3.0) == (3.0, 2.0)


def test_keyword_forwarding_by_hand():
    def mul(a, b):
        return a * b

    assert gradient(lambda a, b: mul(a=a, b=b), 2.0, 3.0) == (3.0, 2.0)


def test_varargs_lambda_gets_none():
    assert gradient(lambda x, *a: x, 1.0, 1.0) == (1.0, None)


def test_constant_function_gives_none():
    assert gradient(lambda x: 1.0, 2.0) == (None,)


def test_integer_argument_gets_none():
    grads = gradient(lambda x, n: x * n, 2.0, 3)
    assert grads == (3.0, None)
    assert gradient(lambda x: np.sum(x * 2.0), np.arange(3))[0] is None


def test_repeated_read_accumulates():
    x = np.array([1.0, 2.0, 3.0])
    (g,) = gradient(lambda x: np.sum(np.ones(4) @ np.stack([x[0], x[1], x[2], x[2]])), x)
    np.testing.assert_allclose(g, [1.0, 1.0, 2.0])


def test_accumulate_indexing_values():
    x = np.array([1.0, -2.0, 3.0])
    (g,) = gradient(p.accumulate_indexing, x)
    np.testing.assert_allclose(g, 2 * x)


def test_python_float_gets_float():
    (g,) = gradient(lambda x: x * x, 3.0)
    assert type(g) is float
    assert g == 6.0


def test_tuple_argument_gets_tuple():
    (g,) = gradient(lambda t: t[0] * t[1], (2.0, 3.0))
    assert g == (3.0, 2.0)


def test_dict_argument_gets_dict():
    theta = {"W": np.eye(2), "b": np.ones(2)}
    x = np.array([1.0, 2.0])
    (g,) = gradient(lambda th: np.sum(th["W"] @ x + th["b"]), theta)
    np.testing.assert_allclose(g["W"], [[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_allclose(g["b"], [1.0, 1.0])


def test_dict_items_iteration():
    theta = {"a": 2.0, "b": 3.0}

    def f(d):
        total = 0.0
        for key, value in d.items():
            total = total + value * value
        return total

    assert gradient(f, theta) == ({"a": 4.0, "b": 6.0},)


def test_module_flag_chooses_branch():
    import types

    module = types.SimpleNamespace(flag=True)

    def f(x):
        if module.flag:
            return 2 * x
        return x

    assert gradient(f, 4.0) == (2.0,)
    module.flag = False
    assert gradient(f, 4.0) == (1.0,)


def test_product_over_loop():
    def prod(xs):
        r = 1.0
        for v in xs:
            r = r * v
        return r

    assert gradient(prod, [1.0, 2.0, 3.0]) == ([6.0, 3.0, 2.0],)


def test_comprehension_with_closure_values():
    def f(x, y):
        return sum([z ** 2 + y[0] for z in x])

    gx, gy = gradient(f, [1.0, 2.0, 3.0], [4.0, 5.0])
    assert gx == [2.0, 4.0, 6.0]
    assert gy == [3.0, None]


def test_untaken_raise_branch_is_harmless():
    def f(x):
        if x < -100:
            raise ValueError("too small")
        return x * 3

    assert gradient(f, 2.0) == (3.0,)


def test_nested_loops_by_hand():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(gradient(p.nested_loops_over_same_array, x)[0], [12.0] * 3)
    np.testing.assert_allclose(gradient(p.nested_comprehension_with_min, x)[0],
                               [7.0, 1.0, 1.0])


def test_inlined_ufunc_complex_and_zero():
    z = np.array([0.5 + 0.2j, -0.3 + 1.0j])
    (g,) = gradient(lambda z: np.real(np.sum(np.tanh(z) * np.conj(np.exp(z)))), z)
    eps = 1e-6
    f = lambda z: np.real(np.sum(np.tanh(z) * np.conj(np.exp(z))))  # noqa: E731
    for k in range(2):
        step = np.zeros(2, complex)
        step[k] = eps
        real_part = (f(z + step) - f(z - step)) / (2 * eps)
        imaginary_part = (f(z + 1j * step) - f(z - 1j * step)) / (2 * eps)
        assert g[k] == pytest.approx(real_part + 1j * imaginary_part, rel=1e-6)
    (g,) = gradient(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)), np.zeros(2))
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_rebound_ufunc_name_dispatches():
    import types

    fake = types.SimpleNamespace(tanh=np.tanh)

    def f(x):
        return np.sum(fake.tanh(x))

    x = np.array([0.3, -0.4])
    np.testing.assert_allclose(gradient(f, x)[0], 1 - np.tanh(x) ** 2)
    fake.tanh = np.sin
    np.testing.assert_allclose(gradient(f, x)[0], np.cos(x))


def test_long_loop_is_linear():
    x = np.arange(20000, dtype=float)
    (g,) = gradient(p.accumulate_indexing, x)
    np.testing.assert_allclose(g, 2 * x)


def test_redefinition_gives_new_gradient():
    namespace = {}
    exec_globals = {"np": np}

    def make(k):
        return lambda x: x * k

    f2 = make(2.0)
    f3 = make(3.0)
    assert gradient(f2, 1.0) == (2.0,)
    assert gradient(f3, 1.0) == (3.0,)
    assert namespace == {}
    assert exec_globals["np"] is np


def test_check_grads_forward_and_second_order():
    check_grads(p.numpy_functions, vec(4), modes=("rev", "fwd"), order=2)
    check_grads(p.for_over_array_rows, rng.standard_normal((2, 3)), modes=("fwd",))


def test_check_grads_catches_wrong_rule():
    import zygote_py

    def wrongly_ruled(x):
        return np.sum(np.sin(x))

    @zygote_py.adjoint(wrongly_ruled)
    def wrong_rule(x):
        return np.sum(np.sin(x)), lambda dy: (dy * np.sin(x),)

    with pytest.raises(AssertionError, match="finite differences"):
        check_grads(wrongly_ruled, vec(3), modes=("rev", "fwd"))


def test_rule_registered_after_first_gradient():
    import zygote_py

    def scaled_sine(x):
        return 2.0 * np.sin(x)

    assert gradient(scaled_sine, 0.0) == (2.0,)

    @zygote_py.adjoint(scaled_sine)
    def scaled_sine_rule(x):
        return scaled_sine(x), lambda dy: (dy * 5.0,)

    assert gradient(scaled_sine, 0.0) == (5.0,)


def test_marked_non_differentiable_after_first_gradient():
    import zygote_py

    def doubled(x):
        return 2.0 * x

    assert gradient(doubled, 1.5) == (2.0,)
    zygote_py.non_differentiable(doubled)
    assert gradient(doubled, 1.5) == (None,)


def while_with_continue(x):
    y = x
    i = 0
    while i < 6:
        i += 1
        if i % 2 == 0:
            continue
        y = y * x + 0.5
    return y


def nested_while(x):
    total = 0.0 * x
    i = 0
    while i < 3:
        j = 0
        while j < i + 1:
            total = total + x * (i + j)
            j += 1
        i += 1
    return total


def test_while_with_continue_gradient():
    check_grads(while_with_continue, 1.3, modes=("rev", "fwd"))
    # The body runs for i = 1, 3, 5: y = ((x * x + 0.5) * x + 0.5) * x + 0.5.
    x = 1.3
    expected = 4 * x ** 3 + x + 0.5
    assert gradient(while_with_continue, x)[0] == pytest.approx(expected)


def test_nested_while_gradient():
    check_grads(nested_while, 0.7, modes=("rev", "fwd"), order=2)
    # Sum of i + j over i in 0..2, j in 0..i: 0 + (1 + 2) + (2 + 3 + 4) = 12.
    assert gradient(nested_while, 0.7)[0] == pytest.approx(12.0)


def test_while_test_runs_as_often_as_in_python():
    calls = []

    def below(value, limit):
        calls.append(value)
        return value < limit

    def loop(x):
        y = x
        while below(y, 10.0):
            y = y * 2.0
        return y

    expected_value = loop(1.5)
    python_calls = len(calls)
    calls.clear()
    value, grads = withgradient(loop, 1.5)
    assert value == expected_value
    assert len(calls) == python_calls
    assert grads[0] == 8.0


def while_else_returns(x):
    t = x
    while t < 2.0:
        t = t + x
    else:
        return t * t
    return 0.0


def while_else_breaks_outer(x):
    total = 0.0
    for k in range(3):
        t = x
        while t < 1.0:
            t = t + x
        else:
            if k == 1:
                break
        total = total + t * (k + 1)
    return total + 100.0


def while_else_continues_outer(x):
    total = 0.0
    for k in range(4):
        t = x
        while t < 1.0:
            t = t * 2.0
        else:
            if k % 2 == 0:
                continue
        total = total + t
    return total


@pytest.mark.parametrize("program", [while_else_returns, while_else_breaks_outer,
                                     while_else_continues_outer])
def test_while_else_with_exit(program):
    value, _ = withgradient(program, 0.3)
    assert value == pytest.approx(program(0.3))
    check_grads(program, 0.3, modes=("rev", "fwd"))
