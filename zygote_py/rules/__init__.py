"""Gradient rules, one module per library domain. Importing this package registers them all."""

from . import registry
from . import builtins
from . import python_containers
from . import numpy_elementwise
from . import numpy_reductions
from . import numpy_shape
from . import numpy_indexing
from . import numpy_linalg
from . import python_functions
from . import non_differentiable
