"""A 784-256-128-10 MLP (tanh, then relu) with softmax cross-entropy on a batch of 128.

The arrays are batch first (x is 128 x 784, W1 is 784 x 256), as in NumPy and PyTorch code.
Gradients are taken for all weights and biases; the batch and its one-hot targets are constants.
"""

import numpy as np

from benchmarks.workloads import Case

NAME = "mlp"
DESCRIPTION = "784-256-128-10 MLP (tanh, relu), batch 128, softmax cross-entropy"
LAYER_SIZES = (784, 256, 128, 10)
BATCH = 128
DTYPES = ("float32", "float64")


def case_labels(quick):
    return list(DTYPES)


def make_case(label):
    if label not in DTYPES:
        raise ValueError(f"unknown mlp case {label!r}; expected one of {', '.join(DTYPES)}")
    dtype = np.dtype(label)
    rng = np.random.default_rng(2)
    params = []
    for fan_in, fan_out in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype))
        params.append((0.1 * rng.standard_normal(fan_out)).astype(dtype))
    x = rng.standard_normal((BATCH, LAYER_SIZES[0])).astype(dtype)
    labels = rng.integers(0, LAYER_SIZES[-1], size=BATCH)
    targets = np.eye(LAYER_SIZES[-1], dtype=dtype)[labels]
    return Case(NAME, label, tuple(params), (x, targets))


def numpy_loss(W1, b1, W2, b2, W3, b3, x, targets):
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.maximum(h1 @ W2 + b2, 0)
    logits = h2 @ W3 + b3
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(targets * log_probs) / x.shape[0]


def zygote_objective(data):
    """Return the loss as a function of the weights alone, with the batch captured."""
    x, targets = data

    def objective(W1, b1, W2, b2, W3, b3):
        return numpy_loss(W1, b1, W2, b2, W3, b3, x, targets)

    return objective


def numpy_adjoint(W1, b1, W2, b2, W3, b3, x, targets):
    batch = x.shape[0]
    h1 = np.tanh(x @ W1 + b1)
    a2 = h1 @ W2 + b2
    h2 = np.maximum(a2, 0)
    logits = h2 @ W3 + b3
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    exp_shifted = np.exp(shifted)
    sum_exp = np.sum(exp_shifted, axis=1, keepdims=True)
    log_probs = shifted - np.log(sum_exp)
    value = -np.sum(targets * log_probs) / batch

    # Each row of targets sums to one, so d(loss)/d(logits) reduces to (softmax - targets) / batch.
    dlogits = (exp_shifted / sum_exp - targets) / batch
    dW3 = h2.T @ dlogits
    db3 = np.sum(dlogits, axis=0)
    da2 = (dlogits @ W3.T) * (a2 > 0)
    dW2 = h1.T @ da2
    db2 = np.sum(da2, axis=0)
    da1 = (da2 @ W2.T) * (1 - h1 * h1)
    dW1 = x.T @ da1
    db1 = np.sum(da1, axis=0)
    return value, (dW1, db1, dW2, db2, dW3, db3)


def peer_loss(xnp, W1, b1, W2, b2, W3, b3, x, targets):
    h1 = xnp.tanh(x @ W1 + b1)
    h2 = xnp.maximum(h1 @ W2 + b2, 0)
    logits = h2 @ W3 + b3
    shifted = logits - xnp.max(logits, axis=1, keepdims=True)
    log_probs = shifted - xnp.log(xnp.sum(xnp.exp(shifted), axis=1, keepdims=True))
    return -xnp.sum(targets * log_probs) / x.shape[0]


def torch_loss(torch, W1, b1, W2, b2, W3, b3, x, targets):
    h1 = torch.tanh(x @ W1 + b1)
    h2 = torch.relu(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    log_probs = torch.log_softmax(logits, dim=1)
    return -torch.sum(targets * log_probs) / x.shape[0]
