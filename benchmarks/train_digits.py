"""Time one training epoch of the digits model in flux, PyTorch and JAX.

Every library trains the same network, Dense(64 => 64, relu) then Dense(64 => 10), with
Adam (learning rate 1e-3), softmax cross-entropy and batches of 32 over the 80% training split
of scikit-learn's digits (1,438 observations; random data of the same shape when scikit-learn
is missing). Each library runs one untimed warm-up epoch (compilation, caches) and then
`--repeats` timed epochs. The median is reported, with the ratio of flux's time to each peer's.
A peer that is not installed is skipped with a message. Every library is limited to
`--threads` threads (1 by default): on a shared 2-core machine PyTorch's default of one thread
per core ran an epoch about ten times slower than with one thread, because of contention.

    python benchmarks/train_digits.py --repeats 5

`run_epoch()` runs one flux epoch with everything built on first use, for harnesses that time
the job themselves.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

BATCHSIZE = 32
LEARNING_RATE = 1e-3
HIDDEN = 64


def load_data(seed=0):
    """Return `(x, labels)`: features-first float32 training inputs and integer labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("scikit-learn is not installed; timing on random data of the digits' shape")
        rng = np.random.default_rng(seed)
        n_train = round(0.8 * 1797)
        return rng.random((64, n_train), dtype=np.float32), rng.integers(0, 10, size=n_train)
    digits = load_digits()
    x = (digits.data.T / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(x.shape[1])
    n_train = round(0.8 * x.shape[1])
    return x[:, order[:n_train]], digits.target[order[:n_train]]


def batches(n, seed):
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + BATCHSIZE] for i in range(0, n, BATCHSIZE)]


# ---------------------------------------------------------------------------------------
# flux


class FluxJob:
    """The flux model, optimiser and data, built once."""

    def __init__(self, x, labels):
        import flux

        self.flux = flux
        rng = np.random.default_rng(0)
        init = flux.glorot_uniform(rng=rng)
        self.model = flux.Chain(flux.Dense(64, HIDDEN, flux.relu, init=init),
                                flux.Dense(HIDDEN, 10, init=init))
        self.ps = flux.params(self.model)
        self.opt = flux.Adam(LEARNING_RATE)
        y = flux.onehotbatch(labels, range(10))
        self.loader = flux.DataLoader((x, y), batchsize=BATCHSIZE, shuffle=True, rng=rng)
        model = self.model

        def loss(x, y):
            return flux.logitcrossentropy(model(x), y)

        self.loss = loss

    def epoch(self):
        self.flux.train(self.loss, self.ps, self.loader, self.opt, progress=False)


_job = None


def run_epoch():
    """Run one flux training epoch of the digits model, building it on the first call."""
    global _job
    if _job is None:
        _job = FluxJob(*load_data())
    _job.epoch()


# ---------------------------------------------------------------------------------------
# PyTorch


def torch_epoch_function(x, labels, threads):
    import torch

    torch.set_num_threads(threads)

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, 10))
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs = torch.from_numpy(np.ascontiguousarray(x.T))
    targets = torch.from_numpy(labels.astype(np.int64))
    seeds = iter(range(10**9))

    def epoch():
        for index in batches(inputs.shape[0], next(seeds)):
            index = torch.from_numpy(index)
            opt.zero_grad()
            loss = loss_fn(model(inputs[index]), targets[index])
            loss.backward()
            opt.step()

    return epoch


# ---------------------------------------------------------------------------------------
# JAX (Adam written out, since optax may be missing)


def jax_epoch_function(x, labels, threads):
    if threads == 1:
        # XLA reads its flags once, when jax is first imported.
        os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                           "intra_op_parallelism_threads=1")
    import jax
    import jax.numpy as jnp

    key1, key2 = jax.random.split(jax.random.PRNGKey(0))

    def glorot(key, shape):
        bound = (6.0 / sum(shape)) ** 0.5
        return jax.random.uniform(key, shape, jnp.float32, -bound, bound)

    params = {"w1": glorot(key1, (HIDDEN, 64)), "b1": jnp.zeros(HIDDEN),
              "w2": glorot(key2, (10, HIDDEN)), "b2": jnp.zeros(10)}
    moments = jax.tree_util.tree_map(lambda p: (jnp.zeros_like(p), jnp.zeros_like(p)), params)

    def loss(p, x, y):
        hidden = jax.nn.relu(p["w1"] @ x + p["b1"][:, None])
        scores = p["w2"] @ hidden + p["b2"][:, None]
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(scores, axis=0), axis=0))

    @jax.jit
    def step(p, m, t, x, y):
        g = jax.grad(loss)(p, x, y)
        new_m = jax.tree_util.tree_map(
            lambda mv, gi: (0.9 * mv[0] + 0.1 * gi, 0.999 * mv[1] + 0.001 * gi * gi), m, g,
            is_leaf=lambda v: isinstance(v, tuple))
        new_p = jax.tree_util.tree_map(
            lambda pi, mv: pi - LEARNING_RATE * (mv[0] / (1 - 0.9 ** t))
            / (jnp.sqrt(mv[1] / (1 - 0.999 ** t)) + 1e-8), p, new_m,
            is_leaf=lambda v: isinstance(v, tuple))
        return new_p, new_m

    onehot = np.eye(10, dtype=np.float32)[labels].T
    state = {"params": params, "moments": moments, "t": 0}
    seeds = iter(range(10**9))

    def epoch():
        for index in batches(x.shape[1], next(seeds)):
            state["t"] += 1
            # Full batches only keep one compiled shape; the last partial batch is padded
            # out by repeating observations, which costs the same as a full batch.
            if index.size < BATCHSIZE:
                index = np.resize(index, BATCHSIZE)
            state["params"], state["moments"] = step(
                state["params"], state["moments"], float(state["t"]), x[:, index],
                onehot[:, index])
        jax.block_until_ready(state["params"])

    return epoch


# ---------------------------------------------------------------------------------------


def time_epochs(epoch, repeats):
    epoch()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per library")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads each library may use for its array operations")
    args = parser.parse_args(argv)

    x, labels = load_data()
    print(f"one epoch: {x.shape[1]} observations, batch size {BATCHSIZE}, "
          f"median of {args.repeats} epochs after one warm-up, {args.threads} thread(s)")
    job = FluxJob(x, labels)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl is not installed; NumPy's BLAS uses its default thread count")
        flux_time = time_epochs(job.epoch, args.repeats)
    else:
        with threadpool_limits(limits=args.threads):
            flux_time = time_epochs(job.epoch, args.repeats)
    print(f"flux     {flux_time * 1000:9.1f} ms")

    peers = {"torch": torch_epoch_function, "jax": jax_epoch_function}
    for name, make in peers.items():
        try:
            __import__(name)
        except ImportError:
            print(f"{name:8s} not installed; skipped")
            continue
        peer_time = time_epochs(make(x, labels, args.threads), args.repeats)
        print(f"{name:8s} {peer_time * 1000:9.1f} ms   flux / {name} = "
              f"{flux_time / peer_time:.1f}")


if __name__ == "__main__":
    main()
