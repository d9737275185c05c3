"""Throughput and growth: the simulation at 1,000 and 10,000 orders.

    python bench/throughput.py [--sizes 1000 10000]

Each size runs bench/unpaid_orders.py in its own process; prints wall time, orders
per second and peak memory, and how time and memory grow from one size to the next
(linear growth: the ratio of ratios stays near 1). Target: 10,000 orders over two
virtual days in under 5 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import itertools
import re
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SECONDS_10K = 300


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
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child so far
    return wall, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
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
    if any(size == 10_000 for size, _, _ in rows):
        wall = next(w for s, w, _ in rows if s == 10_000)
        verdict = "met" if wall < TARGET_SECONDS_10K else "NOT met"
        print(f"10,000 orders in {wall:.0f} s: target {TARGET_SECONDS_10K} s {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
