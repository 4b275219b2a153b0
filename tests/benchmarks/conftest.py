"""Put the repository root on sys.path: the benchmarks package is not installed by pip."""

import pathlib
import sys

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))
