"""Peak memory of the gradient of a 50-layer tanh chain with and without zygote_py.checkpointed.

Usage: python -m benchmarks.checkpoint_memory [--threads N]

The chain is x <- tanh(x @ W_i) for 50 weight matrices, with x of shape 512 x 512 in float64
(2 MiB). The weights are captured constants, so the gradient is taken for x alone and the
memory that the reverse pass keeps is the activations. The checkpointed variant wraps each block
of 5 layers in `zygote_py.checkpointed`, so only the 10 block inputs are kept and each block is
recomputed during the backward pass. Each variant runs in a fresh process that reads VmHWM before
and after one gradient call (see benchmarks.probe). Skipped while zygote_py has no
`checkpointed`.
"""

import argparse
import json
import sys

from benchmarks import subprocesses, threads
from benchmarks.report import format_mib, format_seconds, markdown_table, shorten
from benchmarks.timing import describe_exception

LAYERS = 50
BLOCK = 5
WIDTH = 512
VARIANTS = ("plain", "checkpointed")


def make_losses(weights):
    """Return (plain loss, checkpointed loss), both functions of x alone."""
    import numpy as np
    import zygote_py

    def tanh_block(x, block_weights):
        for W in block_weights:
            x = np.tanh(x @ W)
        return x

    def plain_loss(x):
        for start in range(0, len(weights), BLOCK):
            x = tanh_block(x, weights[start:start + BLOCK])
        return np.sum(x)

    def checkpointed_loss(x):
        for start in range(0, len(weights), BLOCK):
            x = zygote_py.checkpointed(tanh_block, x, weights[start:start + BLOCK])
        return np.sum(x)

    return plain_loss, checkpointed_loss


def measure_variant(variant):
    """Run one gradient of `variant` in this process; return its time and peak memory."""
    import time

    import numpy as np
    import zygote_py

    from benchmarks.probe import measure_call

    rng = np.random.default_rng(5)
    weights = tuple(rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH) for _ in range(LAYERS))
    x = rng.standard_normal((WIDTH, WIDTH))
    plain_loss, checkpointed_loss = make_losses(weights)
    loss = plain_loss if variant == "plain" else checkpointed_loss

    # Transform first, so that only the gradient's own memory is measured.
    zygote_py.gradient(loss, x[:1])
    _, seconds, before, after, reset = measure_call(lambda: zygote_py.gradient(loss, x))
    start = time.perf_counter()
    gradient = zygote_py.gradient(loss, x)[0]
    second = time.perf_counter() - start
    return {"variant": variant, "seconds": seconds, "second_seconds": second,
            "peak_growth_mib": (after - before) / 1024, "peak_reset": reset,
            "gradient_norm": float(np.linalg.norm(gradient))}


def run(thread_count, time_limit=300.0, rss_limit_mib=8192.0):
    """Return {variant: report} or {'skipped': reason}, running each variant in a new process."""
    try:
        import zygote_py
    except ImportError as error:
        return {"skipped": f"zygote_py cannot be imported: {describe_exception(error)}"}
    if not hasattr(zygote_py, "checkpointed"):
        return {"skipped": "zygote_py has no checkpointed yet"}
    results = {}
    for variant in VARIANTS:
        results[variant] = subprocesses.run_module(
            ["benchmarks.checkpoint_memory", "--variant", variant, "--threads", str(thread_count)],
            time_limit, rss_limit_mib)
    return results


def format_results(results):
    if "skipped" in results:
        return markdown_table(["workload", "status", "reason"],
                              [["checkpoint_memory", "skipped", results["skipped"]]])
    rows = []
    norms = [results[variant].get("gradient_norm") for variant in VARIANTS]
    agree = None not in norms and abs(norms[0] - norms[1]) <= 1e-9 * abs(norms[0])
    for variant in VARIANTS:
        report = results[variant]
        if "error" in report:
            rows.append([variant, "error", "", shorten(report["error"])])
            continue
        rows.append([variant, format_mib(report["peak_growth_mib"]),
                     format_seconds(report["second_seconds"]),
                     f"gradient norm {report['gradient_norm']:.9g}"
                     + ("" if agree else " (the two variants disagree)")])
    return markdown_table(["variant", "gradient peak over setup (MiB)", "gradient time", "note"],
                          rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=VARIANTS,
                        help="measure one variant in this process and print JSON "
                             "(default: run both in fresh processes and print a table)")
    parser.add_argument("--threads", type=int, default=1, help="thread count for every library")
    arguments = parser.parse_args(argv)
    threads.configure_threads(arguments.threads)
    if arguments.variant:
        json.dump(measure_variant(arguments.variant), sys.stdout)
        sys.stdout.write("\n")
        return
    print(format_results(run(arguments.threads)))


if __name__ == "__main__":
    main()
