"""sum(x[i] ** 2 for i in range(n)) written as a Python loop of scalar reads.

A tool that builds a dense zero array for the gradient of every `x[i]` takes O(n^2) time, and
O(n^2) memory if it keeps them, so this workload runs at three sizes and reports time and peak
memory for each: both should grow about tenfold from one size to the next.
"""

import numpy as np

from benchmarks.workloads import Case

NAME = "indexing_loop"
DESCRIPTION = "total = total + x[i] ** 2 for i in range(n), float64"
SIZES = (1_000, 10_000, 100_000)


def case_labels(quick):
    return [f"n={size}" for size in SIZES]


def make_case(label):
    prefix = "n="
    if not label.startswith(prefix) or not label[len(prefix):].isdigit():
        raise ValueError(f"invalid indexing_loop case {label!r}; expected n=<size>, such as n=1000")
    size = int(label[len(prefix):])
    rng = np.random.default_rng(4)
    return Case(NAME, label, (rng.standard_normal(size),))


def numpy_loss(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] ** 2
    return total


def numpy_adjoint(x):
    value = numpy_loss(x)
    dx = np.zeros_like(x)
    for i in range(x.shape[0]):
        dx[i] += 2.0 * x[i]
    return value, (dx,)


def peer_loss(xnp, x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] ** 2
    return total


def torch_loss(torch, x):
    return peer_loss(torch, x)
