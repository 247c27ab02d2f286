"""How fast `evalrun serve` answers the year of a large workspace: the 汇总 of 1,000 projects in under a second.

Generates (or reuses) a workspace of N projects (benchmarks/generate.py),
records review decisions on some of its findings in a fresh results store,
starts the real `evalrun serve` in its own process and times, over HTTP,
the first request (which scores every project), then the year view again
(the page only looks at the files' stamps), a filtered and sorted view, the
CSV export, one project's page, and the year again after one project file
changed (scored again alone).

    .venv/bin/python -m benchmarks.serve_bench                 # N = 1,000
    .venv/bin/python -m benchmarks.serve_bench --projects 5000 --runs 9

Not a timed test: the machine is shared, so the script prints the times and
says whether the warm year view stayed under the goal.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.generate import ROOT, write_workspace

GOAL_SECONDS = 1.0


def fetch(url: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
        status = response.status
    return time.perf_counter() - started, status, body


def timed(url: str, runs: int) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(runs):
        seconds, status, body = fetch(url)
        if status != 200:
            raise SystemExit(f"{url} answered {status}")
        times.append(seconds)
        size = len(body)
    return times, size


def seed_reviews(workspace: Path, url: str, count: int) -> int:
    """Record ``count`` decisions on the year's findings (as reviewers would have), in the store at ``url``."""
    from engine.store.reviews import STATES, ReviewStore
    from engine.web.state import Workspace

    year = Workspace(workspace).year("bench")
    refs = [ref for entry in year.rows() for ref in entry.findings][:count]
    store = ReviewStore(url, workspace)
    try:
        for index, ref in enumerate(refs):
            store.add(ref, STATES[index % len(STATES)], f"基准测试意见 {index}", "基准")
    finally:
        store.close()
    return len(refs)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Time `evalrun serve` on a generated workspace.")
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--reviews", type=int, default=500, help="review decisions recorded first")
    parser.add_argument("--runs", type=int, default=7, help="requests per view after the first")
    args = parser.parse_args(argv)

    workspace = write_workspace(args.projects, args.departments)
    with tempfile.TemporaryDirectory(prefix="evalrun-serve-bench-") as folder:
        db = Path(folder) / "evalrun.db"
        url = f"sqlite:///{db}"
        started = time.perf_counter()
        reviewed = seed_reviews(workspace, url, args.reviews)
        print(f"workspace {workspace} ({args.projects} projects); {reviewed} review decisions recorded "
              f"({time.perf_counter() - started:.1f} s, scoring included)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
        server = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "serve", "--no-browser", "--ruleset", "bench", "--db", str(db),
             "--workspace", str(workspace)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            line = server.stdout.readline()
            base = re.search(r"http://\S+/", line).group(0)
            year = base + "y/bench/"
            cold, status, body = fetch(year)
            rows = body.count(b"data-grade=")
            key = re.search(rb'href="/y/bench/p/([0-9a-f]+)"', body).group(1).decode()
            results = [("year, first request (scores every project)", [cold], len(body))]
            results.append(("year", *timed(year, args.runs)))
            results.append(("year, grade 优, sorted by total", *timed(year + "?grade=%E4%BC%98&sort=total&order=desc",
                                                                       args.runs)))
            results.append(("year, CSV export", *timed(year + "summary.csv", args.runs)))
            results.append(("one project's page", *timed(f"{year}p/{key}", args.runs)))
            changed = next((workspace / "projects" / "2025").glob("*/p000000.yaml"))
            changed.touch()
            results.append(("year after one file changed", *timed(year, 1)))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"\nPython {sys.version.split()[0]}, {os.cpu_count()} cores, load average at the end "
          f"{os.getloadavg()[0]:.2f}; {rows} rows in the year view\n")
    print("| view | requests | median s | slowest s | bytes |")
    print("|---|---:|---:|---:|---:|")
    for name, times, size in results:
        print(f"| {name} | {len(times)} | {statistics.median(times):.3f} | {max(times):.3f} | {size:,} |")
    warm = statistics.median(results[1][1])
    verdict = "under" if warm < GOAL_SECONDS else "OVER"
    print(f"\nthe year view of {args.projects:,} projects: {warm:.3f} s (median), {verdict} the goal of "
          f"{GOAL_SECONDS:.0f} s")


if __name__ == "__main__":
    main()
