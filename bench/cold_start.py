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

from winback.local.template import read

TARGET = 1.5
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "winback",
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here; the SDK is still imported
}


def import_seconds(module: str, runs: int) -> float:
    env = {**os.environ, **LAMBDA_ENV}
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
    print(f"{'handler':58s} {'median ms':>9s} {'x boto3':>8s}")
    print(f"{'import boto3 (baseline)':58s} {baseline * 1000:9.1f} {1.0:8.2f}")
    worst = 0.0
    for module in sorted({f.handler.rpartition(".")[0] for f in read().functions.values()}):
        seconds = import_seconds(module, args.runs)
        ratio = seconds / baseline
        worst = max(worst, ratio)
        flag = "" if ratio <= TARGET else f"  over the {TARGET}x target"
        print(f"{module:58s} {seconds * 1000:9.1f} {ratio:8.2f}{flag}")
    print(f"worst ratio {worst:.2f} (target {TARGET}); {args.runs} runs each, medians")
    return 0


if __name__ == "__main__":
    sys.exit(main())
