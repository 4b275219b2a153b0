"""zygote_py's gradient of every benchmark workload against the hand-written adjoint.

These tests do not time anything. A workload that zygote_py cannot differentiate fails here with
zygote_py's own message.
"""

import numpy as np
import pytest

from benchmarks import checkpoint_memory, libraries
from benchmarks.workloads import WORKLOAD_NAMES, load_workload

RELATIVE_TOLERANCE = 1e-6

# The larger indexing_loop sizes only repeat the n=1000 case and would make the tests slow.
CASES = [(name, label) for name in WORKLOAD_NAMES
         for label in load_workload(name).case_labels(quick=True)
         if (name, label) not in {("indexing_loop", "n=10000"), ("indexing_loop", "n=100000")}]


def run_library(library, workload, case):
    candidate = libraries.build_candidate(library, workload, case, thread_count=1)
    return libraries.to_numpy_result(library, candidate())


@pytest.mark.parametrize("name, label", CASES, ids=[f"{n}-{l}" if l else n for n, l in CASES])
def test_zygote_gradient_matches_adjoint(name, label):
    workload = load_workload(name)
    case = workload.make_case(label)
    expected_value, expected_grads = run_library("adjoint", workload, case)
    value, grads = run_library("zygote_py", workload, case)

    assert libraries.relative_error(value, expected_value) <= RELATIVE_TOLERANCE, \
        f"value {value!r}, adjoint {expected_value!r}"
    assert len(grads) == len(expected_grads)
    for index, (gradient, expected) in enumerate(zip(grads, expected_grads)):
        assert gradient is not None, f"gradient {index} is None"
        assert np.shape(gradient) == np.shape(expected), f"gradient {index} has the wrong shape"
        assert np.asarray(gradient).dtype == np.asarray(expected).dtype, \
            f"gradient {index} has dtype {np.asarray(gradient).dtype}"
        error = libraries.relative_error(gradient, expected)
        assert error <= RELATIVE_TOLERANCE, f"gradient {index}: relative error {error:.2e}"


@pytest.mark.parametrize("name, label", CASES, ids=[f"{n}-{l}" if l else n for n, l in CASES])
def test_adjoint_matches_forward_value(name, label):
    workload = load_workload(name)
    case = workload.make_case(label)
    value = float(workload.numpy_loss(*case.params, *case.data))
    adjoint_value, _ = run_library("adjoint", workload, case)
    assert adjoint_value == pytest.approx(value, rel=1e-12)


def as_float64(value):
    return value if isinstance(value, float) else np.asarray(value, dtype=np.float64)


@pytest.mark.parametrize("name, label", CASES, ids=[f"{n}-{l}" if l else n for n, l in CASES])
def test_adjoint_matches_finite_differences(name, label):
    # Central differences along one random direction, in float64 even for float32 workloads.
    # The step is small because the mlp's relu units have kinks close to the inputs.
    workload = load_workload(name)
    case = workload.make_case(label)
    params = [as_float64(param) for param in case.params]
    data = [as_float64(value) for value in case.data]
    _, grads = workload.numpy_adjoint(*params, *data)
    rng = np.random.default_rng(7)
    directions = [rng.standard_normal(np.shape(param)) for param in params]
    step = 1e-7

    def loss_along(t):
        shifted = [param + t * direction for param, direction in zip(params, directions)]
        if isinstance(params[0], float):
            shifted = [float(value) for value in shifted]
        return float(workload.numpy_loss(*shifted, *data))

    numeric = (loss_along(step) - loss_along(-step)) / (2 * step)
    analytic = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(grads, directions))
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def tanh_chain_adjoint(x, weights):
    activations = []
    for W in weights:
        x = np.tanh(x @ W)
        activations.append(x)
    dx = np.ones_like(x)
    for W, activation in zip(reversed(weights), reversed(activations)):
        dx = (dx * (1 - activation * activation)) @ W.T
    return dx


def test_checkpointed_chain_matches_adjoint():
    import zygote_py

    rng = np.random.default_rng(8)
    weights = tuple(rng.standard_normal((6, 6)) / np.sqrt(6) for _ in range(10))
    x = rng.standard_normal((4, 6))
    plain_loss, checkpointed_loss = checkpoint_memory.make_losses(weights)
    expected = tanh_chain_adjoint(x, weights)

    (plain,) = zygote_py.gradient(plain_loss, x)
    assert libraries.relative_error(plain, expected) <= RELATIVE_TOLERANCE
    (checkpointed,) = zygote_py.gradient(checkpointed_loss, x)
    assert libraries.relative_error(checkpointed, expected) <= RELATIVE_TOLERANCE
