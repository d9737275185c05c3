"""Throughput and growth: the simulation at 1,000, 10,000 (and 50,000) orders.

    python bench/throughput.py [--sizes 1000 10000 50000] [--json bench/results/throughput.json]

Each size runs bench/unpaid_orders.py (every default campaign, two virtual days) in its
own process; prints wall time, orders per second and peak memory, and how time and
memory grow from one size to the next (linear: time per order stays the same).
Targets on a 2-core machine: 1,000 orders under 30 s; 10,000 under 5 minutes and
500 MB.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = {1000: 30, 10_000: 300}
TARGET_MB_10K = 500  # the "500 MB"; peaks are measured in MiB
TARGET_MIB_10K = TARGET_MB_10K * 10**6 / 2**20  # 476.8


def run(orders: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one simulation in a fresh process."""
    done = subprocess.run(
        [sys.executable, str(HERE / "unpaid_orders.py"), "--orders", str(orders)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "every order ended as scripted" in done.stdout, done.stdout
    wall = float(re.search(r"wall time\s+([\d.]+) s", done.stdout).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"peak memory\s+([\d.]+) MiB", done.stdout).group(1))  # type: ignore[union-attr]
    return wall, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--json", type=Path, help="write the figures here (bench/readme.py reads them)")
    args = parser.parse_args()
    rows = []
    print(f"{'orders':>7s} {'wall s':>8s} {'orders/s':>9s} {'peak MiB':>9s}")
    for size in sorted(args.sizes):
        wall, peak = run(size)
        rows.append((size, wall, peak))
        print(f"{size:7d} {wall:8.1f} {size / wall:9.1f} {peak:9.0f}")
    for (small, t1, m1), (large, t2, m2) in itertools.pairwise(rows):
        scale = large / small
        print(
            f"{small} -> {large} orders ({scale:.0f}x): time {t2 / t1:.1f}x, memory {m2 / m1:.1f}x "
            f"(linear would be {scale:.0f}x; time per order {t2 / large * 1000:.1f} ms vs {t1 / small * 1000:.1f} ms)"
        )
    for size, wall, peak in rows:
        if size in TARGET_SECONDS:
            verdict = "met" if wall < TARGET_SECONDS[size] else "NOT met"
            print(f"{size:,} orders in {wall:.0f} s: target {TARGET_SECONDS[size]} s {verdict}")
        if size == 10_000:
            verdict = "met" if peak < TARGET_MIB_10K else "NOT met"
            print(f"{size:,} orders at {peak:.0f} MiB: target {TARGET_MB_10K} MB ({TARGET_MIB_10K:.0f} MiB) {verdict}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
        figures = {
            "date": date.today().isoformat(),
            "machine": machine,
            "runs": [{"orders": s, "seconds": w, "peak_mib": m} for s, w, m in rows],
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
