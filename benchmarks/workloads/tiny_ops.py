"""sum(sin(x) * y + x ** 2) on length-3 vectors: the per-operation overhead of each library."""

import numpy as np

from benchmarks.workloads import Case

NAME = "tiny_ops"
DESCRIPTION = "sum(sin(x) * y + x ** 2), x and y of length 3, float64"


def case_labels(quick):
    return [""]


def make_case(label):
    rng = np.random.default_rng(0)
    return Case(NAME, label, (rng.standard_normal(3), rng.standard_normal(3)))


def numpy_loss(x, y):
    return np.sum(np.sin(x) * y + x ** 2)


def numpy_adjoint(x, y):
    sin_x = np.sin(x)
    value = np.sum(sin_x * y + x ** 2)
    dx = np.cos(x) * y + 2.0 * x
    dy = sin_x
    return value, (dx, dy)


def peer_loss(xnp, x, y):
    return xnp.sum(xnp.sin(x) * y + x ** 2)


def torch_loss(torch, x, y):
    return torch.sum(torch.sin(x) * y + x ** 2)
