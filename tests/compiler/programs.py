"""Small programs, one per construct, each differentiated in test_programs.py."""

import functools
import math

import numpy as np

SCALE = 3.0


def arithmetic(x, y):
    return x * y + x / (y + 2.0) - x ** 2 + (-y) + (+x) + x % 1.5 + x // 2.0


def matmul_chain(W, x):
    return W @ x @ W


def floor_division_and_modulo(x):
    return (x % 0.7) * x + (x // 0.3)


def comparisons_and_booleans(x, y):
    if x > 0 and y > 0 or not x < -10:
        return x * y
    return x + y


def chained_comparison(x):
    if 0 < x < 10:
        return x ** 3
    return x


def unary_operators(x):
    return -x + abs(x) * 2


def tuple_literal(x, y):
    t = (x, y, x * y)
    return t[0] * t[2] + t[1]


def list_literal(x, y):
    values = [x, y, x + y]
    return values[0] * values[1] * values[2]


def dict_literal(x, y):
    d = {"a": x, "b": y * 2}
    return d["a"] * d["b"]


def tuple_unpacking(x, y):
    a, b = x * 2, y * 3
    (c, d), e = (a, b), a * b
    return c + d * e


def starred_unpacking(x, y, z):
    first, *rest = [x, y, z]
    return first * rest[0] * rest[1]


def chained_assignment(x):
    a = b = x * 2
    return a * b


def augmented_assignment(x):
    y = x
    y += 1.0
    y *= x
    y -= 0.5
    y /= 2.0
    y **= 2
    return y


def if_elif_else(x):
    if x > 2:
        y = x * 3
    elif x > 0:
        y = x * x
    else:
        y = -x
    return y


def conditional_expression(x):
    return x * 2 if x > 0 else x * x


def for_over_range(x):
    total = 0.0
    for i in range(4):
        total = total + x * i
    return total


def for_over_array_rows(A):
    total = 0.0
    for row in A:
        total = total + np.sum(row * row)
    return total


def for_over_list(xs):
    total = 0.0
    for value in xs:
        total = total + value ** 2
    return total


def for_over_tuple(x, y):
    total = 1.0
    for value in (x, y, x * y):
        total = total * value
    return total


def for_over_zip(xs, ys):
    total = 0.0
    for a, b in zip(xs, ys):
        total = total + a * b
    return total


def for_over_enumerate(xs):
    total = 0.0
    for i, value in enumerate(xs):
        total = total + i * value
    return total


def for_over_reversed(xs):
    total = 0.0
    weight = 1.0
    for value in reversed(xs):
        total = total + weight * value
        weight = weight * 2
    return total


def while_data_dependent(x):
    y = x
    while y < 100.0:
        y = y * 1.5 + 1.0
    return y


def while_power(x, n):
    r = 1.0
    i = 0
    while i < n:
        r *= x
        i += 1
    return r


def break_in_loop(x):
    total = 0.0
    for i in range(10):
        total = total + x * i
        if total > 5.0:
            break
    return total


def continue_in_loop(x):
    total = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        total = total + x ** i
    return total


def for_else(x):
    for i in range(3):
        if x * i > 100:
            break
    else:
        x = x * 5
    return x


def while_else(x):
    y = x
    while y < 10.0:
        y = y * 2
    else:
        y = y + x
    return y


def nested_loops_break_in_branch(x):
    total = 0.0
    for i in range(4):
        for j in range(4):
            if j > i:
                break
            total = total + x[i] * x[j]
    return total


def early_return_in_while(x):
    y = x
    while True:
        y = y * 2
        if y > 10:
            return y * x
    return y


def several_returns(x):
    if x < 0:
        return -x
    if x < 1:
        return x * x
    return x ** 3


def return_in_nested_loop(x):
    for i in range(3):
        for j in range(3):
            if i * j == 2:
                return x * (i + j)
    return x


def helper_square(x):
    return x * x


def calls_helper(x):
    return helper_square(x) + helper_square(x * 2)


def factorial_like(x, n):
    if n == 0:
        return 1.0
    return x * factorial_like(x, n - 1)


def is_even_product(x, n):
    if n == 0:
        return x
    return is_odd_product(x * 1.1, n - 1)


def is_odd_product(x, n):
    if n == 0:
        return x * x
    return is_even_product(x * 0.9, n - 1)


def mutual_recursion(x):
    return is_even_product(x, 5)


def keyword_helper(a, b=2.0, *, scale=1.0):
    return (a * b) * scale


def keyword_arguments(x, y):
    return keyword_helper(x, b=y, scale=3.0) + keyword_helper(b=x, a=y)


def variadic_helper(*args, **kwargs):
    total = 0.0
    for value in args:
        total = total + value
    for key in kwargs:
        total = total * kwargs[key]
    return total


def star_args_call(x, y):
    values = [x, y]
    options = {"w": x}
    return variadic_helper(*values, x * y, **options)


def default_parameters(x, y=3.0):
    return x * y


def keyword_only_parameters(x, *, power=2):
    return x ** power


def closure_reading_free_variable(x):
    factor = x * 2

    def inner(z):
        return z * factor

    return inner(x)


def reads_global(x):
    return x * SCALE + np.pi * x


def math_module_constant(x):
    return x * math.e


def lambda_inside(x, y):
    f = lambda z: x * z  # noqa: E731
    return f(y)


def nested_def_inside(x):
    def cube(v):
        return v * v * v

    return cube(x) + cube(x * 0.5)


def closure_over_loop_result(x):
    total = 0.0
    for i in range(3):
        total = total + x * i

    def use(v):
        return v * total

    return use(x)


def list_comprehension(x):
    values = [x * i for i in range(4)]
    return sum(values)


def comprehension_with_condition(xs):
    return sum([v * v for v in xs if v > 0])


def comprehension_over_zip(xs, ys):
    return sum([a * b for a, b in zip(xs, ys)])


def generator_expression(w, x):
    return sum(w[i] * x[i] for i in range(len(x)))


def dict_comprehension(x, y):
    d = {key: value * 2 for key, value in [("a", x), ("b", y)]}
    return d["a"] * d["b"]


def set_comprehension_inactive(x):
    sizes = {len(str(i)) for i in range(3)}
    return x * len(sizes)


def nested_comprehension(A):
    return sum([A[i, j] * A[j, i] for i in range(2) for j in range(2)])


def attribute_read(x):
    return np.sum(x.T * x.T)


def subscript_int_and_slice(x):
    return x[0] * np.sum(x[1:3]) + x[-1]


def subscript_tuple_ellipsis_none(A):
    return np.sum(A[..., 0] * A[:, None, 1].ravel())


def subscript_integer_array(x):
    return np.sum(x[np.array([0, 2, 2, 1])] ** 2)


def subscript_boolean_mask(x):
    return np.sum(x[x > 0] ** 2)


def assert_and_pass(x):
    assert x.shape == (3,), "x must have three entries"
    pass
    return np.sum(x * 2)


def docstring_and_fstring(x):
    """A docstring."""
    label = f"value {x.shape}"
    if len(label) > 0:
        return np.sum(x ** 2)
    return np.sum(x)


def calls_print(x):
    import logging

    logging.getLogger("zygote_py.tests").debug("x is %s", x)
    return np.sum(np.exp(x))


def numpy_functions(x):
    return np.sum(np.tanh(x) * np.exp(-x) + np.sin(x) * np.cos(x) + np.sqrt(x * x + 1.0))


def mean_with_axis(A):
    return np.sum(np.mean(A, axis=0) * np.sum(A, axis=1, keepdims=True))


def reshape_transpose(A):
    return np.sum(A.reshape(3, 2).T @ A.reshape(3, 2))


def partial_application(x, y):
    scaled = functools.partial(keyword_helper, scale=2.0)
    return scaled(x, y)


def map_and_reduce(xs):
    squares = list(map(lambda v: v * v, xs))
    return functools.reduce(lambda a, b: a * b, squares, 1.0)


def apply(f, x):
    return f(x)


def passes_function(x):
    return apply(np.sin, x) + apply(lambda v: v * 3, x)


def closure_returned(x):
    def make(scale):
        def scaled(v):
            return v * scale

        return scaled

    return make(x)(x * 2)


def fills_buffer(x):
    out = np.zeros(3)
    for i in range(3):
        out[i] = x[i] * x[i]
    return np.sum(out * np.arange(1.0, 4.0))


def list_append_then_stack(x):
    rows = []
    for i in range(3):
        rows.append(x * i)
    return np.sum(np.stack(rows) ** 2)


def accumulate_indexing(x):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] ** 2
    return total


def reassigns_parameter(g, flag):
    if flag:
        g = g * 3.0
    else:
        g = g
    return np.sum(g * g)


def scatter_add(x):
    out = np.zeros(3)
    np.add.at(out, [0, 0, 2], x * 2)
    return np.sum(out ** 2)


def module_functions_named_like_methods(x):
    ordered = np.sort(x)
    longer = np.append(ordered, x[0])
    return np.sum(np.add(longer, 1.0) ** 2)


def constant_operations(x):
    y = -x + 2.0
    y = 3.0 - y * 0.5
    y = y / 4.0 + x ** 3 + 2.5 * x
    return np.sum(y ** 0.5)


def repeated_list(x):
    values = [x, x * 2] * 3
    return sum(values)


def nested_loops_over_same_array(x):
    total = 0.0
    for w in x:
        for v in x:
            total = total + v * w
    return total


def comprehension_inside_loop(x):
    total = 0.0
    for i in range(3):
        total = total + sum([v * i for v in x])
    return total


def nested_comprehension_with_min(x):
    return sum([min(v * w for v in x) for w in x])


def inlined_ufuncs(x):
    total = 0.0
    y = x
    for i in range(2):
        y = np.tanh(y) + np.exp(y) * 0.1 + np.sqrt(y * y + 1.0)
        total = total + np.sum(np.sin(y) * np.cos(x) + np.log(y * y + 2.0))
    return total
