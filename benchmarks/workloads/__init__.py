"""The benchmark workloads.

Each workload module defines:

- `NAME` and `DESCRIPTION`;
- `case_labels(quick)` and `make_case(label)`, which builds the inputs of one table row from a
  fixed seed, so that a subprocess can rebuild exactly the same inputs;
- `numpy_loss(*params, *data)`: the plain NumPy forward pass, which is also the function given
  to zygote_py unless the module defines `zygote_objective(data)`;
- `numpy_adjoint(*params, *data) -> (value, grads)`: the hand-written reverse pass;
- `peer_loss(xnp, *params, *data)`: the same loss for a NumPy-like module (autograd.numpy or
  jax.numpy) and `torch_loss(torch, *params, *data)` for PyTorch;
- optionally `UNSUPPORTED`, a dict of library name to the reason it cannot run the workload.

Gradients are taken with respect to `params` only; `data` contains constants such as a batch.
"""

import dataclasses
import importlib

WORKLOAD_NAMES = (
    "tiny_ops",
    "scalar_loop",
    "mlp",
    "matmul_chain",
    "newton_while",
    "indexing_loop",
)


@dataclasses.dataclass
class Case:
    """One table row of a workload: its inputs and how to label it."""

    workload: str
    label: str
    params: tuple
    data: tuple = ()

    @property
    def title(self):
        return self.workload if not self.label else f"{self.workload} {self.label}"


def load_workload(name):
    """Import and return the module of the workload `name`."""
    if name not in WORKLOAD_NAMES:
        raise ValueError(f"unknown workload {name!r}; expected one of {', '.join(WORKLOAD_NAMES)}")
    return importlib.import_module(f"benchmarks.workloads.{name}")
