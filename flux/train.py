"""The training loop and its helpers: train, epochs, stop, skip, throttle, early stopping."""

import logging
import math
import sys
import threading
import time
import warnings

import numpy as np

from . import layers as _layers
from ._ad import zygote_function
from .optimise import Rule, setup, update

__all__ = [
    "train", "epochs", "stop", "skip", "StopTraining", "SkipBatch", "throttle",
    "early_stopping", "plateau", "patience",
]

logger = logging.getLogger(__name__)


class StopTraining(Exception):
    """Raised by `stop()`: `train` ends the current call after the current batch."""


class SkipBatch(Exception):
    """Raised by `skip()`: `train` moves on to the next batch without updating."""


def stop():
    """End the current `train` call from inside the loss or a callback."""
    raise StopTraining()


def skip():
    """Skip the current batch of `train`: called in the loss, no update happens."""
    raise SkipBatch()


def _callbacks(cb):
    if cb is None:
        return ()
    if callable(cb):
        return (cb,)
    callbacks = tuple(cb)
    for c in callbacks:
        if not callable(c):
            raise TypeError(f"callback {c!r} is not callable")
    return callbacks


def _batch_args(batch):
    return batch if isinstance(batch, tuple) else (batch,)


def _progress(data, progress):
    """Wrap `data` in a tqdm bar when requested, or when stderr is a terminal by default."""
    if progress is None:
        progress = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    if not progress:
        return data, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn("progress=True needs the tqdm package; training without a progress bar",
                      stacklevel=3)
        return data, None
    total = len(data) if hasattr(data, "__len__") else None
    bar = tqdm(data, total=total, leave=False, desc="train")
    return bar, bar


def _check_loss(value, index):
    scalar = np.asarray(value)
    if scalar.size != 1:
        raise ValueError(f"the loss returned an array of shape {scalar.shape} on batch "
                         f"{index}; it must return a scalar")
    number = float(scalar.reshape(()))
    if not math.isfinite(number):
        raise FloatingPointError(f"the loss is {number} on batch {index} (counting from 0); "
                                 "stopping before the update. Lower the learning rate or "
                                 "check the data.")
    return number


def _implicit_step(loss, ps, args, opt, index):
    def batch_loss():
        return loss(*args)

    value, gs = zygote_function("withgradient")(batch_loss, ps)
    value = _check_loss(value, index)
    update(opt, ps, gs)
    return value


def _explicit_step(loss, model, args, opt_state, index):
    def model_loss(m):
        return loss(m, *args)

    value, grads = zygote_function("withgradient")(model_loss, model)
    value = _check_loss(value, index)
    update(opt_state, model, grads[0])
    return value


def train(loss, ps_or_model, data, opt, cb=None, progress=None):
    """train(loss, ps, data, opt; cb=None, progress=None) or train(loss, model, data, state)

    Runs one pass over `data`. For each batch it computes the loss and gradient, raises
    `FloatingPointError` (naming the batch index) if the loss is NaN or infinite, updates the
    parameters, then runs the callbacks. A batch that is a tuple is splatted into the loss.

    Implicit style: `ps` is a `zygote_py.Params` and `loss(*batch)` reads the model through a
    closure; `opt` is a rule. Explicit style: `loss(model, *batch)`, and `opt` is a state tree
    from `setup` (a rule is also accepted, but then its state lasts only for this call).

    Keywords: `cb` is a callable or a list of callables, run after every update.
    `progress` shows a tqdm bar when true, and by default when stderr is a terminal.
    `stop()` called from the loss or a callback ends this call; `skip()` from the loss skips
    the batch. Other exceptions propagate. Layers such as `Dropout` in automatic mode are
    active during the call. Returns the list of finite losses of the updated batches.
    """
    callbacks = _callbacks(cb)
    implicit = isinstance(ps_or_model, zygote_function("Params"))
    if implicit:
        if not isinstance(opt, Rule):
            raise TypeError(f"implicit-style train needs a rule such as Adam(), got {opt!r}")
        step = _implicit_step
    else:
        if isinstance(opt, Rule):
            warnings.warn(
                f"train got the rule {opt!r} in the explicit style, so its state (momentum, "
                "moment estimates) starts afresh on every call; create the state once with "
                "state = flux.setup(rule, model) and pass the state instead",
                stacklevel=2)
            opt = setup(opt, ps_or_model)
        step = _explicit_step
    batches, bar = _progress(data, progress)
    losses = []
    previous_mode = _layers.set_training(True)
    try:
        for index, batch in enumerate(batches):
            try:
                value = step(loss, ps_or_model, _batch_args(batch), opt, index)
                losses.append(value)
                if bar is not None:
                    bar.set_postfix(loss=f"{value:.4g}", refresh=False)
                for callback in callbacks:
                    callback()
            except SkipBatch:
                logger.debug("skipped batch %d", index)
                continue
            except StopTraining:
                logger.info("training stopped at batch %d", index)
                break
    finally:
        _layers.set_training(previous_mode)
        if bar is not None:
            bar.close()
    return losses


def epochs(n):
    """epochs(n) yields 1, ..., n, logging `Epoch i` at level INFO before each."""
    for i in range(1, n + 1):
        logger.info("Epoch %d", i)
        yield i


def throttle(f, seconds, leading=True, trailing=False):
    """throttle(f, seconds; leading=True, trailing=False)

    Returns a function that calls `f` at most once every `seconds`. A call outside a window
    opens one: with `leading` it runs `f` at once, otherwise `f` runs when the window closes.
    With `trailing`, the last call made inside a window also runs when it closes (on a timer
    thread). Returns the result of the latest run of `f`, `None` before the first.
    """
    lock = threading.Lock()
    window_end = [-math.inf]
    later = [None]
    result = [None]

    def close_window():
        with lock:
            call, later[0] = later[0], None
        if call is None:
            return
        result[0] = f(*call[0], **call[1])
        with lock:
            window_end[0] = time.monotonic() + seconds
            timer = threading.Timer(seconds, close_window)
            timer.daemon = True
            timer.start()

    def throttled(*args, **kwargs):
        run_now = False
        with lock:
            now = time.monotonic()
            if now >= window_end[0]:
                window_end[0] = now + seconds
                if leading:
                    run_now = True
                else:
                    later[0] = (args, kwargs)
                timer = threading.Timer(seconds, close_window)
                timer.daemon = True
                timer.start()
            elif trailing:
                later[0] = (args, kwargs)
        if run_now:
            result[0] = f(*args, **kwargs)
        return result[0]

    return throttled


def patience(predicate, wait):
    """patience(predicate, wait)

    Returns a function that calls `predicate` and returns true once it has been true `wait`
    times in a row; a false result resets the count.
    """
    if wait < 1:
        raise ValueError(f"patience needs wait >= 1, got {wait}")
    count = [0]

    def trigger(*args, **kwargs):
        count[0] = count[0] + 1 if predicate(*args, **kwargs) else 0
        return count[0] >= wait

    return trigger


def early_stopping(f, delay, distance=lambda best, score: best - score, init_score=0.0,
                   min_dist=0.0):
    """early_stopping(f, delay; distance=best - score, init_score=0, min_dist=0)

    Returns a function that calls `f()` for a score (a loss, by default lower is better) and
    returns true once `distance(best, score) < min_dist` has held `delay` times in a row,
    i.e. the score stopped improving. The best score starts at `init_score`.
    Example: `es = early_stopping(lambda: val_loss(), 3)`; `if es(): break`.
    """
    best = [init_score]

    def not_improving(*args, **kwargs):
        score = f(*args, **kwargs)
        gap = distance(best[0], score)
        if gap >= 0:
            best[0] = score
        return gap < min_dist

    return patience(not_improving, delay)


def plateau(f, width, distance=lambda last, score: last - score, init_score=0.0,
            min_dist=1e-6):
    """plateau(f, width; distance=last - score, init_score=0, min_dist=1e-6)

    Returns a function that calls `f()` and returns true once `|distance(last, score)|` has
    stayed below `min_dist` for `width` calls in a row, `last` being the previous score.
    """
    last = [init_score]

    def flat(*args, **kwargs):
        score = f(*args, **kwargs)
        gap = abs(distance(last[0], score))
        last[0] = score
        return gap < min_dist

    return patience(flat, width)
