"""Train a small multilayer perceptron on scikit-learn's 8x8 digits with flux.

Implicit style: the parameters are collected with `flux.params`, the loss is compiled once
by `@zygote_py.differentiable`, and `flux.train` runs one pass over the batches per epoch.
After training the model is saved to an .npz file, loaded into a fresh model, and the
loaded model's test accuracy is printed.

    python examples/digits.py --epochs 20
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import flux  # noqa: E402
import zygote_py  # noqa: E402


def load_data(seed):
    """Return `((x_train, y_train), (x_test, y_test), labels)`, features first, float32."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data.T / 16.0).astype(np.float32)
    labels = digits.target
    y = flux.onehotbatch(labels, range(10))
    rng = np.random.default_rng(seed)
    (x_train, y_train, l_train), (x_test, y_test, l_test) = flux.splitobs(
        (x, y, labels), at=0.8, shuffle=True, rng=rng)
    return (x_train, y_train), (x_test, y_test, l_test)


def build_model(seed):
    rng = np.random.default_rng(seed)
    init = flux.glorot_uniform(rng=rng)
    return flux.Chain(flux.Dense(64, 64, flux.relu, init=init),
                      flux.Dense(64, 10, init=init))


def accuracy(model, x, labels):
    return float(np.mean(flux.onecold(model(x)) == labels))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set")
    parser.add_argument("--batchsize", type=int, default=32, help="observations per batch")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the model")
    parser.add_argument("--save", default=None,
                        help="where to save the model (default: a temporary .npz file)")
    parser.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                        help="show a progress bar over batches (auto: when stderr is a terminal)")
    return parser.parse_args(argv)


def main(argv=None):
    """Train, save and reload the model; return the final and reloaded test accuracies."""
    args = parse_args(argv)
    (x_train, y_train), (x_test, y_test, l_test) = load_data(args.seed)
    model = build_model(args.seed)
    print(model)

    @zygote_py.differentiable
    def loss(x, y):
        return flux.logitcrossentropy(model(x), y)

    ps = flux.params(model)
    opt = flux.Adam(args.lr)
    loader = flux.DataLoader((x_train, y_train), batchsize=args.batchsize, shuffle=True,
                             rng=np.random.default_rng(args.seed))
    progress = {"auto": None, "on": True, "off": False}[args.progress]

    start = time.perf_counter()
    test_accuracy = 0.0
    for epoch in flux.epochs(args.epochs):
        flux.train(loss, ps, loader, opt, progress=progress)
        train_loss = float(flux.logitcrossentropy(model(x_train), y_train))
        test_accuracy = accuracy(model, x_test, l_test)
        print(f"epoch {epoch:3d}  loss {train_loss:.4f}  test accuracy {test_accuracy:.4f}")
    elapsed = time.perf_counter() - start
    print(f"trained {args.epochs} epochs in {elapsed:.1f} s")

    path = args.save or os.path.join(tempfile.gettempdir(), "flux-digits.npz")
    flux.save(path, model)
    fresh = build_model(args.seed + 1)
    flux.load(path, fresh)
    loaded_accuracy = accuracy(fresh, x_test, l_test)
    print(f"saved to {path}; loaded model test accuracy {loaded_accuracy:.4f}")
    return {"accuracy": test_accuracy, "loaded_accuracy": loaded_accuracy, "seconds": elapsed}


if __name__ == "__main__":
    main()
