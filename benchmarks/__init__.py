"""Benchmarks of zygote_py against a hand-written NumPy adjoint and peer AD libraries.

Run `python -m benchmarks --help`. This package imports nothing heavy at import time, so that
`benchmarks.threads` can set the thread counts before NumPy or a peer library is loaded.
"""
