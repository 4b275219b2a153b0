"""Run benchmark probes in fresh Python processes under a time and memory watchdog.

A probe that exceeds its time limit or resident-memory limit is killed, so that a library with
quadratic time or memory on one workload cannot stall the run or exhaust the machine.
"""

import json
import os
import subprocess
import sys
import time

POLL_SECONDS = 0.05


def read_rss_mib(pid):
    """Return the resident set size of process `pid` in MiB, or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def run_probe(workload, case, library, thread_count, time_limit, rss_limit_mib):
    """Run `benchmarks.probe` for one case and library; return its JSON report as a dict.

    On failure the dict has an `error` key instead (see `run_module`).
    """
    return run_module(["benchmarks.probe", "--workload", workload, "--case", case,
                       "--library", library, "--threads", str(thread_count)],
                      time_limit, rss_limit_mib)


def run_module(module_arguments, time_limit, rss_limit_mib):
    """Run `python -m <module_arguments>` and parse the JSON object on its last output line.

    On failure the returned dict has an `error` key instead: the process's last stderr line,
    or which limit it exceeded.
    """
    command = [sys.executable, "-m", *module_arguments]
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        path for path in (repository, environment.get("PYTHONPATH")) if path)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=environment)
    started = time.monotonic()
    peak_rss = 0.0
    stopped_because = None
    while True:
        try:
            stdout, stderr = process.communicate(timeout=POLL_SECONDS)
            break
        except subprocess.TimeoutExpired:
            pass
        rss = read_rss_mib(process.pid)
        if rss is not None:
            peak_rss = max(peak_rss, rss)
        elapsed = time.monotonic() - started
        if rss is not None and rss > rss_limit_mib:
            stopped_because = (f"stopped: resident memory reached {rss:.0f} MiB, over the "
                               f"{rss_limit_mib:g} MiB limit, after {elapsed:.1f} s")
        elif elapsed > time_limit:
            stopped_because = f"stopped: the process ran over its {time_limit:g} s time limit"
        if stopped_because:
            process.kill()
            stdout, stderr = process.communicate()
            break

    if stopped_because:
        return {"error": stopped_because, "observed_rss_mib": peak_rss}
    if process.returncode != 0:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        last_line = lines[-1] if lines else f"exit status {process.returncode}"
        return {"error": f"the process failed: {last_line}"}
    try:
        return json.loads(stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return {"error": f"the process printed no JSON report: {stdout[-200:]!r}"}
