"""Cold start: import time of every handler template.yaml names, against `import boto3`.

    python bench/cold_start.py [--runs 7]

Each import runs in a fresh interpreter (as a new Lambda container would), with the
Lambda environment's variables set; the median of the runs is printed next to the
median of `import boto3` measured in the same run, and their ratio. Target: every
handler at most 1.5 times `import boto3`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from winback_local.template import read

TARGET = 1.5
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "winback",
}


def import_seconds(module: str, runs: int, tracing: bool = False) -> float:
    env = {**os.environ, **LAMBDA_ENV, "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true"}
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "frozen_modules=on", "-c", PROBE.format(module=module)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    baseline = import_seconds("boto3", args.runs)
    print(f"import boto3 (baseline): {baseline * 1000:.1f} ms; {args.runs} runs each, medians\n")
    print(f"{'handler':36s} {'XRayTracing=Disabled':>21s} {'XRayTracing=Active':>21s}")
    worst = {False: 0.0, True: 0.0}
    for module in sorted({f.handler.rpartition(".")[0] for f in read().functions.values()}):
        cells = []
        for tracing in (False, True):
            seconds = import_seconds(module, args.runs, tracing)
            worst[tracing] = max(worst[tracing], seconds / baseline)
            cells.append(f"{seconds * 1000:7.1f} ms {seconds / baseline:5.2f}x")
        print(f"{module:36s} {cells[0]:>21s} {cells[1]:>21s}")
    for tracing, ratio in worst.items():
        verdict = "met" if ratio <= TARGET else "NOT met"
        state = "on " if tracing else "off"
        print(f"worst with tracing {state}: {ratio:.2f}x import boto3 (target {TARGET}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
