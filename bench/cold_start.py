"""Cold start: each handler's import from the built artifact, against `import boto3`.

    python bench/cold_start.py [--runs 7] [--build DIR] [--json bench/results/cold_start.json]

`sam build` with the template's defaults (but x86_64, so that this machine can load the
native wheels: the code is the same), then every handler template.yaml names is
imported in a fresh interpreter (as a new Lambda container does) with only what Lambda
gives it on sys.path: the function's folder, the dependencies layer and the runtime's
own boto3. The environment is the template's with its defaults (XRayTracing Active:
Powertools' Tracer on) plus what Lambda sets (LAMBDA_TASK_ROOT, the trace header).
Lambda's /var/task and /opt are read-only, so a container keeps nothing it compiles:
every run here compiles what the artifact does not ship as bytecode, as each cold start
does (PYTHONDONTWRITEBYTECODE; otherwise the first run would write the bytecode into the
build and the others would read it). `import boto3` is measured the same way in the
same run, every row in turn at each run; the median of the runs of each is printed with
their ratio. Target: every handler at most 1.5 x `import boto3`, tracing on and off.

The same run measures the stack's floor: boto3, Powertools' Logger, Metrics and Tracer,
pydantic with one model and pynamodb's Model, imported and set up as every handler that
reads a campaign or checks its input does before any winback code runs. A handler's
ratio less the floor's is what winback's own code adds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from winback_local import artifact
from winback_local.template import read

TARGET = 1.5
FLOOR_ROW = "(the stack's libraries alone)"
PROBE = "import time\nt = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"
# The libraries the stack chose, set up as winback.aws.observe and the models do.
FLOOR = """
import os
import boto3
from aws_lambda_powertools import Logger, Metrics
Logger(service="floor")
Metrics(namespace="floor", service="floor")
if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() != "true":
    from aws_lambda_powertools import Tracer
    Tracer(service="floor", patch_modules=("botocore",))
from pydantic import BaseModel
class Floor(BaseModel):
    name: str
from pynamodb.models import Model
"""


def lambda_env(task_root: Path, tracing: bool) -> dict[str, str]:
    """The function's environment as Lambda would give it, with the template's defaults."""
    stack = read()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "en_US.UTF-8",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    }
    for key, value in stack.globals_env.items():
        if isinstance(value, str):
            env[key] = value
    env["POWERTOOLS_TRACE_DISABLED"] = "false" if tracing else "true"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # /var/task and /opt are read-only
    return env


def import_seconds(code: str, paths: list[Path], tracing: bool) -> float:
    env = {**lambda_env(paths[0], tracing), "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}
    done = subprocess.run(
        [sys.executable, "-S", "-X", "frozen_modules=on", "-c", PROBE.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(done.stdout.strip().splitlines()[-1])


def measure(built: artifact.Build, runtime: Path, runs: int) -> list[tuple[str, float, float]]:
    """[(handler module, ms tracing off, ms tracing on)], the first row `boto3` itself,
    the second the stack's floor. Each run imports every row in turn, so that a machine
    slowing down during the bench slows every row alike and leaves the ratios alone."""
    rows = [("boto3", "import boto3", [runtime]), (FLOOR_ROW, FLOOR, [built.layers[0], runtime])]
    seen = set()
    for name, function in sorted(read().functions.items()):
        module = function.handler.rpartition(".")[0]
        if module in seen:
            continue
        seen.add(module)
        rows.append((module, f"import {module}", [built.function_dir(name), built.layers[0], runtime]))
    times: dict[tuple[str, bool], list[float]] = {(row[0], tracing): [] for row in rows for tracing in (False, True)}
    for _ in range(runs):
        for name, code, paths in rows:
            for tracing in (False, True):
                times[name, tracing].append(import_seconds(code, paths, tracing))
    return [
        (name, statistics.median(times[name, False]) * 1000, statistics.median(times[name, True]) * 1000)
        for name, _, _ in rows
    ]


def table(rows: list[tuple[str, float, float]]) -> tuple[str, float]:
    """The printed table and the worst ratio to `import boto3`."""
    _, base_off, base_on = rows[0]
    lines = [f"{'import':36s} {'tracing off':>20s} {'tracing on (default)':>22s}"]
    worst = 0.0
    for module, off, on in rows:
        ratio_off, ratio_on = off / base_off, on / base_on
        if module not in ("boto3", FLOOR_ROW):
            worst = max(worst, ratio_off, ratio_on)
        lines.append(f"{module:36s} {off:8.1f} ms {ratio_off:5.2f}x {on:10.1f} ms {ratio_on:5.2f}x")
    return "\n".join(lines), worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--build", type=Path, help="an existing `sam build` output (x86_64) instead of building")
    parser.add_argument("--json", type=Path, help="write the figures here (bench/readme.py reads them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.build:
            built = artifact.Build(args.build, "x86_64", read())
        else:
            print("sam build (template defaults, x86_64)...", file=sys.stderr)
            built = artifact.build(Path(scratch) / "build", "x86_64")
        (Path(scratch) / "runtime").mkdir()
        runtime = artifact.runtime_stand_in(Path(scratch) / "runtime")
        rows = measure(built, runtime, args.runs)
    text, worst = table(rows)
    print(f"cold start: import from the built artifact, median of {args.runs} fresh interpreters each\n")
    print(text)
    verdict = "met" if worst <= TARGET else "NOT met"
    print(f"\nworst handler: {worst:.2f}x import boto3 (target {TARGET}x: {verdict})")
    _, base_off, base_on = rows[0]
    _, floor_off, floor_on = rows[1]
    floor = max(floor_off / base_off, floor_on / base_on)
    print(f"the stack's floor: {floor:.2f}x; winback's own code adds at most {worst - floor:.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "date": date.today().isoformat(),
            "runs": args.runs,
            "target": TARGET,
            "floor": FLOOR_ROW,
            "imports_ms": {m: {"off": a, "on": b} for m, a, b in rows},
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
