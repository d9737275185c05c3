"""The README's performance section, written from the figures the benchmarks saved.

    python bench/readme.py [--check]

Reads bench/results/{throughput,cold_start,cost}.json (written by `make bench`) and
replaces what lies between the README's performance markers. --check only compares,
and exits 1 when the README is not what the figures say (a test runs it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

from throughput import TARGET_MB_10K, TARGET_MIB_10K, TARGET_SECONDS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
BEGIN = "<!-- performance: written by bench/readme.py from bench/results/, do not edit by hand -->"
END = "<!-- /performance -->"


def _load(name: str) -> dict[str, Any]:
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def throughput(figures: dict[str, Any]) -> list[str]:
    lines = [
        f"**Simulation** (`bench/throughput.py`, {figures['machine']}, {figures['date']}): every default "
        "campaign, orders arriving over 12 hours, two virtual days, each size in a fresh process.",
        "",
        "| orders | wall time | orders/s | peak memory | target |",
        "|---:|---:|---:|---:|---|",
    ]
    runs = figures["runs"]
    for run in runs:
        orders, seconds, mib = run["orders"], run["seconds"], run["peak_mib"]
        targets = []
        if orders in TARGET_SECONDS:
            targets.append(f"< {TARGET_SECONDS[orders]} s: {_verdict(seconds < TARGET_SECONDS[orders])}")
        if orders == 10_000:
            targets.append(f"< {TARGET_MB_10K} MB ({TARGET_MIB_10K:.0f} MiB): {_verdict(mib < TARGET_MIB_10K)}")
        lines.append(
            f"| {orders:,} | {seconds:.1f} s | {orders / seconds:.1f} | {mib:.0f} MiB | {'; '.join(targets)} |"
        )
    for small, large in itertools.pairwise(runs):
        scale = large["orders"] / small["orders"]
        per_small = small["seconds"] / small["orders"] * 1000
        per_large = large["seconds"] / large["orders"] * 1000
        lines.append("")
        lines.append(
            f"From {small['orders']:,} to {large['orders']:,} orders ({scale:.0f}×): time "
            f"{large['seconds'] / small['seconds']:.1f}×, memory {large['peak_mib'] / small['peak_mib']:.1f}× "
            f"({per_small:.1f} ms per order, then {per_large:.1f} ms)."
        )
    return lines


FLOOR_NAME = (
    "*the stack's libraries alone*: boto3, Powertools' Logger, Metrics and Tracer, pydantic with one model, pynamodb"
)


def cold_start(figures: dict[str, Any]) -> list[str]:
    imports = figures["imports_ms"]
    base = imports["boto3"]
    lines = [
        f"**Cold start** (`bench/cold_start.py`, {figures['date']}): each handler imported from the built "
        "artifact in a fresh interpreter that keeps no bytecode it compiles (Lambda's task root and layers are "
        f"read-only), every row in turn, median of {figures['runs']}, against `import boto3` in the same run "
        f"({base['on']:.0f} ms). Target ≤ {figures['target']}×.",
        "",
        "| handler | tracing off | tracing on (default) |",
        "|---|---:|---:|",
    ]
    floor_row = figures.get("floor")
    worst = floor = 0.0
    for module, ms in imports.items():
        if module == "boto3":
            continue
        off, on = ms["off"] / base["off"], ms["on"] / base["on"]
        name = f"`{module}`"
        if module == floor_row:
            floor, name = max(off, on), FLOOR_NAME
        else:
            worst = max(worst, off, on)
        lines.append(f"| {name} | {ms['off']:.0f} ms, {off:.2f}× | {ms['on']:.0f} ms, {on:.2f}× |")
    lines += ["", f"Worst: {worst:.2f}× `import boto3` ({_verdict(worst <= figures['target'])})."]
    if floor_row:
        lines[-1] += (
            f" The stack's libraries alone, set up as every handler that reads a campaign or checks its input "
            f"does before any winback code runs, take {floor:.2f}×"
            + (": the target lies below that floor." if floor > figures["target"] else ".")
            + f" What winback's own code adds is at most {worst - floor:.2f}×."
        )
    return lines


def cost(figures: dict[str, Any]) -> list[str]:
    lines = [
        f"**Cost on AWS** (`bench/cost_model.py`, {figures['date']}; us-east-1 list prices of "
        f"{figures['prices_date']}): {figures['orders']:,} orders (40 % paid within the delay, 20 % after the "
        f"reminder, 40 % never) and {figures['carts']:,} abandoned carts (30 % bought within the hour, 20 % "
        "after an email, 50 % never), counted on the local runtime over 16 virtual days so that every flow "
        "ends; every default campaign but win-back, whose cost is per contact and day (docs/rfm.md).",
        "",
        "| per 1,000 | orders | cost | carts | cost |",
        "|---|---:|---:|---:|---:|",
    ]
    for item, row in figures["per_1000"].items():
        (o_count, o_cost), (c_count, c_cost) = row["orders"], row["carts"]
        lines.append(f"| {item} | {o_count:,.0f} | ${o_cost:.4f} | {c_count:,.0f} | ${c_cost:.4f} |")
    total = figures["total_per_1000"]
    lines.append(f"| **total** | | **${total['orders']:.3f}** | | **${total['carts']:.3f}** |")
    target = figures["target_per_1000_orders"]
    largest = figures["largest"]
    lines += [
        "",
        f"Target: under ${target:.2f} per 1,000 orders, all in: {_verdict(total['orders'] <= target)}. "
        f"The largest cost is {largest['item']}, {largest['share']:.0%} of an order's. {figures['halving']}",
    ]
    return lines


def section() -> str:
    parts = [throughput(_load("throughput")), cold_start(_load("cold_start")), cost(_load("cost"))]
    body = "\n\n".join("\n".join(part) for part in parts)
    return f"{BEGIN}\n{body}\n{END}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    updated = text[:start] + section() + text[end:]
    if args.check:
        if updated != text:
            print("README.md: the performance section differs from bench/results/ (run python bench/readme.py)")
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
