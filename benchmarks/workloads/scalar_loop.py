"""50 iterations of x = tanh(x) * 0.9 + 0.1 on a length-10 vector: loop and tape overhead."""

import numpy as np

from benchmarks.workloads import Case

NAME = "scalar_loop"
DESCRIPTION = "50 iterations of x = tanh(x) * 0.9 + 0.1, x of length 10, loss sum(x), float64"
ITERATIONS = 50


def case_labels(quick):
    return [""]


def make_case(label):
    rng = np.random.default_rng(1)
    return Case(NAME, label, (rng.standard_normal(10),))


def numpy_loss(x):
    for _ in range(ITERATIONS):
        x = np.tanh(x) * 0.9 + 0.1
    return np.sum(x)


def numpy_adjoint(x):
    tanh_values = []
    for _ in range(ITERATIONS):
        t = np.tanh(x)
        tanh_values.append(t)
        x = t * 0.9 + 0.1
    value = np.sum(x)
    dx = np.ones_like(x)
    for t in reversed(tanh_values):
        dx = dx * 0.9 * (1.0 - t * t)
    return value, (dx,)


def peer_loss(xnp, x):
    for _ in range(ITERATIONS):
        x = xnp.tanh(x) * 0.9 + 0.1
    return xnp.sum(x)


def torch_loss(torch, x):
    for _ in range(ITERATIONS):
        x = torch.tanh(x) * 0.9 + 0.1
    return torch.sum(x)
