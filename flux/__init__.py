"""flux: a Flux.jl-style deep-learning library for Python and NumPy.

Gradients come from zygote_py, which transforms the source of layers, activations and losses.
Arrays are features first and batch last: a batch for `Dense(64, 10)` has shape `(64, n)`.
See docs/flux.md for a guide.
"""

from . import activations, data, functor, initialisers, layers, losses, optimise, train
from .activations import *  # noqa: F401,F403
from .data import DataLoader, getobs, numobs, onecold, onehot, onehotbatch, splitobs
from .functor import (f32, f64, fmap, functor, isleaf, load, loadmodel, modules, params, save,
                      state, testmode, trainable, trainmode)
from .initialisers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .layers import (Bilinear, Chain, Dense, Dropout, Embedding, Layer, Maxout, Parallel, Scale,
                     SkipConnection, activations, flatten, vcat)
from .optimise import *  # noqa: F401,F403
from .train import (SkipBatch, StopTraining, early_stopping, epochs, patience, plateau, skip,
                    stop, throttle, train)

# Flux re-exports Zygote's entry points; flux does the same with zygote_py's.
from zygote_py import Params, gradient, pullback, withgradient  # noqa: E402

__version__ = "0.1.0"
