"""The digits_epoch section: one epoch of the digits training job, through flux and zygote_py.

The job lives in `benchmarks/train_digits.py` (or `examples/train_digits.py`), which another
part of the project owns. This section needs from it a function named `run_epoch` or
`train_epoch` that takes no required arguments and runs one training epoch; everything the epoch
needs (data, model, optimiser) is built on first use or at import. Without flux or that module,
the section reports why it was skipped. The time is absolute: no NumPy-only forward pass exists
to divide by.
"""

import importlib
import importlib.util
import inspect
import pathlib
import statistics
import time

from benchmarks.report import format_seconds, markdown_table, shorten
from benchmarks.timing import describe_exception

ENTRY_POINTS = ("run_epoch", "train_epoch")
REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def load_job():
    """Return (module, None) for the digits job, or (None, reason it is unavailable)."""
    if importlib.util.find_spec("flux") is None or \
            not (REPOSITORY / "flux" / "__init__.py").exists():
        return None, "flux is not installed yet (flux/__init__.py is missing)"
    if (REPOSITORY / "benchmarks" / "train_digits.py").exists():
        return importlib.import_module("benchmarks.train_digits"), None
    example = REPOSITORY / "examples" / "train_digits.py"
    if example.exists():
        spec = importlib.util.spec_from_file_location("train_digits_example", example)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module, None
    return None, "neither benchmarks/train_digits.py nor examples/train_digits.py exists yet"


def find_entry_point(module):
    """Return (function, None) or (None, why no usable entry point exists)."""
    for name in ENTRY_POINTS:
        function = getattr(module, name, None)
        if not callable(function):
            continue
        required = [parameter.name for parameter in inspect.signature(function).parameters.values()
                    if parameter.default is inspect.Parameter.empty
                    and parameter.kind in (parameter.POSITIONAL_ONLY,
                                           parameter.POSITIONAL_OR_KEYWORD,
                                           parameter.KEYWORD_ONLY)]
        if required:
            return None, (f"{module.__name__}.{name} requires arguments "
                          f"({', '.join(required)}); the benchmark calls it with none")
        return function, None
    return None, (f"{module.__name__} defines none of {', '.join(ENTRY_POINTS)}: a function "
                  "that runs one epoch with no arguments")


def run(settings):
    """Return a dict with the epoch times in seconds, or with `skipped` or `error`."""
    try:
        module, reason = load_job()
    except Exception as error:  # the job's own import errors are reported, not raised
        return {"error": f"importing the digits job failed: {describe_exception(error)}"}
    if module is None:
        return {"skipped": reason}
    epoch, reason = find_entry_point(module)
    if epoch is None:
        return {"skipped": reason}
    repeats = 1 if settings.quick else 5
    times = []
    try:
        start = time.perf_counter()
        epoch()
        first = time.perf_counter() - start
        for _ in range(repeats):
            start = time.perf_counter()
            epoch()
            times.append(time.perf_counter() - start)
    except Exception as error:  # reported in the table
        return {"error": f"the epoch failed: {describe_exception(error)}"}
    return {"entry_point": f"{module.__name__}.{epoch.__name__}", "first_epoch_seconds": first,
            "epoch_seconds": times}


def format_result(result):
    if "skipped" in result or "error" in result:
        status = "skipped" if "skipped" in result else "error"
        return markdown_table(["workload", "status", "reason"],
                              [["digits_epoch", status,
                                shorten(result.get("skipped") or result.get("error"))]])
    times = result["epoch_seconds"]
    return markdown_table(
        ["workload", "entry point", "first epoch", "later epochs (median)", "epochs timed"],
        [["digits_epoch", result["entry_point"], format_seconds(result["first_epoch_seconds"]),
          format_seconds(statistics.median(times)), len(times)]])
