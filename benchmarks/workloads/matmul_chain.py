"""sum(tanh(A @ B) @ C) with 1024 x 1024 float32 matrices: the cost of large BLAS calls.

The reverse pass needs four matrix products against two in the forward pass, so a ratio near 3
to the forward time is the bound for any reverse-mode tool.
"""

import numpy as np

from benchmarks.workloads import Case

NAME = "matmul_chain"
DESCRIPTION = "sum(tanh(A @ B) @ C), 1024 x 1024 float32 matrices"
SIZE = 1024


def case_labels(quick):
    return [""]


def make_case(label):
    rng = np.random.default_rng(3)
    scale = 1.0 / np.sqrt(SIZE)
    A, B, C = (rng.standard_normal((SIZE, SIZE), dtype=np.float32) for _ in range(3))
    return Case(NAME, label, (A, B * np.float32(scale), C * np.float32(scale)))


def numpy_loss(A, B, C):
    return np.sum(np.tanh(A @ B) @ C)


def numpy_adjoint(A, B, C):
    H = np.tanh(A @ B)
    Y = H @ C
    value = np.sum(Y)
    dY = np.ones_like(Y)
    dC = H.T @ dY
    dZ = (dY @ C.T) * (1 - H * H)
    dA = dZ @ B.T
    dB = A.T @ dZ
    return value, (dA, dB, dC)


def peer_loss(xnp, A, B, C):
    return xnp.sum(xnp.tanh(A @ B) @ C)


def torch_loss(torch, A, B, C):
    return torch.sum(torch.tanh(A @ B) @ C)
