"""Fit scikit-learn's diabetes data with a small network, in flux's explicit style.

The optimiser state comes from `flux.setup`, the loss takes the model as its first argument,
and `flux.train(loss, model, data, state)` differentiates with respect to the model itself.
Prints the training and test mean squared error per epoch, on standardised targets, and the
test R^2 next to that of ordinary least squares.

    python examples/regression.py --epochs 100
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import flux  # noqa: E402


def load_data(seed):
    """Return standardised `(x_train, y_train), (x_test, y_test)`, features first."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    x = data.data.T.astype(np.float32)
    y = data.target.astype(np.float32)[None, :]
    train, test = flux.splitobs((x, y), at=0.8, shuffle=True, rng=np.random.default_rng(seed))
    mean, std = train[0].mean(axis=1, keepdims=True), train[0].std(axis=1, keepdims=True)
    y_mean, y_std = train[1].mean(), train[1].std()

    def scale(x, y):
        return (x - mean) / std, (y - y_mean) / y_std

    return scale(*train), scale(*test)


def loss(model, x, y):
    return flux.mse(model(x), y)


def r_squared(prediction, y):
    return 1.0 - float(np.sum((prediction - y) ** 2) / np.sum((y - y.mean()) ** 2))


def main(argv=None):
    """Train the model; return its test R^2 and that of least squares."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="passes over the training set")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the model")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_data(args.seed)
    init = flux.glorot_uniform(rng=np.random.default_rng(args.seed))
    dropout = flux.Dropout(0.1, rng=np.random.default_rng(args.seed))
    model = flux.Chain(flux.Dense(10, 32, flux.relu, init=init), dropout,
                       flux.Dense(32, 1, init=init))
    state = flux.setup(flux.AdamW(3e-3, decay=1e-3), model)
    loader = flux.DataLoader((x_train, y_train), batchsize=32, shuffle=True,
                             rng=np.random.default_rng(args.seed))

    for epoch in flux.epochs(args.epochs):
        flux.train(loss, model, loader, state, progress=False)
        if epoch % 10 == 0 or epoch == args.epochs:
            train_mse = float(loss(model, x_train, y_train))
            test_mse = float(loss(model, x_test, y_test))
            print(f"epoch {epoch:4d}  train mse {train_mse:.4f}  test mse {test_mse:.4f}")

    design = np.vstack([np.ones((1, x_train.shape[1])), x_train]).T
    coefficients, *_ = np.linalg.lstsq(design, y_train[0], rcond=None)
    least_squares = coefficients[0] + coefficients[1:] @ x_test
    results = {"r2": r_squared(model(x_test), y_test),
               "least_squares_r2": r_squared(least_squares, y_test[0])}
    print(f"test R^2: network {results['r2']:.3f}, least squares {results['least_squares_r2']:.3f}")
    return results


if __name__ == "__main__":
    main()
