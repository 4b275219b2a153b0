"""Newton's method for sqrt(a) in a while loop whose trip count depends on the data.

The input is a Python float. JAX's jit cannot take this workload: a Python `while` on a traced
value fails under jit, and JAX's `lax.while_loop` supports forward-mode but not reverse-mode
differentiation (documentation of `jax.lax.while_loop`, checked with JAX 0.10.2).
"""

from benchmarks.workloads import Case

NAME = "newton_while"
DESCRIPTION = "Newton's method for sqrt(a), a = 10.0, data-dependent while loop, scalar float"
TOLERANCE = 1e-12

UNSUPPORTED = {
    "jax-jit": "jax.jit cannot trace a Python while loop on traced values, and "
               "lax.while_loop has no reverse-mode gradient",
}


def case_labels(quick):
    return [""]


def make_case(label):
    return Case(NAME, label, (10.0,))


def numpy_loss(a):
    x = a
    while abs(x * x - a) > TOLERANCE * a:
        x = 0.5 * (x + a / x)
    return x


def numpy_adjoint(a):
    iterates = []
    x = a
    while abs(x * x - a) > TOLERANCE * a:
        iterates.append(x)
        x = 0.5 * (x + a / x)
    value = x
    dx = 1.0
    da = 0.0
    for x_k in reversed(iterates):
        da += dx * 0.5 / x_k
        dx = dx * 0.5 * (1.0 - a / (x_k * x_k))
    # The first iterate is `a` itself.
    da += dx
    return value, (da,)


def peer_loss(xnp, a):
    x = a
    while abs(x * x - a) > TOLERANCE * a:
        x = 0.5 * (x + a / x)
    return x


def torch_loss(torch, a):
    return peer_loss(torch, a)
