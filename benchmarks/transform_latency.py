"""Time zygote_py's source transformation of a 20-line function and a 100-statement function.

Usage: python -m benchmarks.transform_latency [--repeats N] [--threads N]

Each repeat builds a new function from source text under a new name and a new file name. The
text is registered in `linecache`, so `inspect.getsource` finds it. Each function then has a
distinct code object and distinct source, so zygote_py's compile cache cannot return an earlier
result. The timed call is `zygote_py.differentiable(f)`, which transforms and compiles the
function at decoration time without running it. The garbage collector stays enabled as in real
use, and a second series with it disabled shows the share of its collections. Targets: under
10 ms and 50 ms.
"""

import argparse
import gc
import itertools
import linecache
import statistics
import time

from benchmarks import threads
from benchmarks.report import format_seconds, markdown_table, shorten
from benchmarks.timing import describe_exception

TWENTY_LINE_SOURCE = '''\
def layer_{index}(x, W, b, gamma, steps):
    h = x @ W + b
    mean = np.mean(h, axis=-1, keepdims=True)
    centered = h - mean
    variance = np.mean(centered ** 2, axis=-1, keepdims=True)
    normed = centered / np.sqrt(variance + 1e-5)
    y = gamma * np.tanh(normed)
    for _ in range(steps):
        y = 0.5 * y + 0.5 * np.sin(y)
    if steps > 2:
        y = y * 2.0
    else:
        y = y - 1.0
    scores = y @ y.T
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / np.sum(weights, axis=-1, keepdims=True)
    out = weights @ y
    penalty = 0.01 * np.sum(W ** 2)
    return np.sum(out ** 2) + penalty
'''

# Statement forms of the 100-statement function; {k} is the new temporary, {p} and {q} are the
# two before it.
STATEMENT_FORMS = (
    "    t{k} = np.sin(t{p}) * y",
    "    t{k} = t{p} + np.tanh(x)",
    "    t{k} = np.exp(-t{p} ** 2)",
    "    t{k} = t{p} * t{q}",
    "    t{k} = np.maximum(t{p}, 0.0) - 0.5 * x",
    "    t{k} = np.sqrt(t{p} ** 2 + 1.0) / (1.0 + t{q} ** 2)",
)
STATEMENT_COUNT = 100

TARGETS = {"20-line function": 0.010, "100-statement function": 0.050}


def hundred_statement_source():
    lines = ["def chain_{index}(x, y):", "    t0 = x * y", "    t1 = t0 + x"]
    for k in range(2, STATEMENT_COUNT - 1):
        form = STATEMENT_FORMS[k % len(STATEMENT_FORMS)]
        lines.append(form.format(k=k, p=k - 1, q=k - 2))
    lines.append(f"    return np.sum(t{STATEMENT_COUNT - 2})")
    return "\n".join(lines) + "\n"


_counter = itertools.count()


def build_function(template):
    """Return a new function compiled from `template` under unique names."""
    import numpy as np

    index = next(_counter)
    source = template.replace("{index}", str(index))
    filename = f"<benchmarks.transform_latency {index}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    name = source.split("(", 1)[0].removeprefix("def ")
    return namespace[name]


def time_transforms(template, repeats, collect_garbage=True):
    """Return the seconds of `zygote_py.differentiable` on `repeats` fresh functions.

    With `collect_garbage` false, the garbage collector is disabled during the calls, which
    shows how much of the time its collections take.
    """
    import zygote_py

    times = []
    for _ in range(repeats):
        function = build_function(template)
        if not collect_garbage:
            gc.disable()
        try:
            start = time.perf_counter()
            zygote_py.differentiable(function)
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return times


def run(repeats):
    """Return {function description: result}, where a result is a dict with `seconds` and
    `seconds_without_gc` (lists), or with `error`."""
    results = {}
    templates = {"20-line function": TWENTY_LINE_SOURCE,
                 "100-statement function": hundred_statement_source()}
    for description, template in templates.items():
        try:
            # One untimed transformation first, so imports done on first use are not counted.
            time_transforms(template, 1)
            results[description] = {
                "seconds": time_transforms(template, repeats),
                "seconds_without_gc": time_transforms(template, repeats, collect_garbage=False),
            }
        except Exception as error:  # the table reports the error
            results[description] = {"error": describe_exception(error)}
    return results


def format_results(results):
    rows = []
    for description, result in results.items():
        target = TARGETS[description]
        if "error" in result:
            rows.append([description, "error", "", "", format_seconds(target),
                         shorten(result["error"])])
            continue
        median = statistics.median(result["seconds"])
        verdict = "met" if median <= target else f"missed by {(median - target) / target:.0%}"
        rows.append([description, format_seconds(median), format_seconds(min(result["seconds"])),
                     format_seconds(statistics.median(result["seconds_without_gc"])),
                     format_seconds(target), f"{verdict} ({len(result['seconds'])} functions)"])
    header = ["function", "transform (median)", "transform (min)",
              "transform with gc disabled (median)", "target", "result"]
    return markdown_table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30,
                        help="fresh functions transformed per size (default 30)")
    parser.add_argument("--threads", type=int, default=1, help="thread count for every library")
    arguments = parser.parse_args(argv)
    threads.configure_threads(arguments.threads)
    print(format_results(run(arguments.repeats)))


if __name__ == "__main__":
    main()
