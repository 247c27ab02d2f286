"""How long evalrun takes to start, against a bare Python start-up.

    python -m benchmarks.startup_bench [--turns 7]

Each command runs ``turns`` times, in turn with the others, and the fastest
run of each counts: on a shared machine the fastest is the one least
disturbed by others, and the ratios are made within one run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def evalrun() -> list[str]:
    found = shutil.which("evalrun", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "engine.cli"]


def commands(workspace: Path) -> dict:
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "evalrun --help": evalrun() + ["--help"],
        "evalrun validate (bundled example)": evalrun() + ["validate", "--ruleset", "2025", "--workspace", str(workspace)],
        "evalrun validate --no-cache": evalrun() + ["validate", "--ruleset", "2025", "--no-cache",
                                                    "--workspace", str(workspace)],
    }


def measure(turns: int = 7, workspace: Path = ROOT) -> dict:
    """Fastest wall seconds of each command."""
    runs = commands(workspace)
    best = {name: float("inf") for name in runs}
    # bytecode written and read, as an installed evalrun has it (PYTHONDONTWRITEBYTECODE would compile every time)
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(turns):
        for name, command in runs.items():
            started = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  env=environment)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"`{' '.join(command)}` exited with {done.returncode}: {done.stderr}")
            best[name] = min(best[name], elapsed)
    return best


def report(best: dict) -> str:
    base = best["python -c pass"]
    lines = ["| command | fastest ms | × python -c pass |", "|---|---:|---:|"]
    for name, seconds in best.items():
        lines.append(f"| `{name}` | {seconds * 1000:.0f} | {seconds / base:.1f}x |")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=7)
    args = parser.parse_args(argv)
    best = measure(args.turns)
    print(f"## Start-up: fastest of {args.turns} runs each (aim: `--help` and `validate` within 6x)\n")
    print(report(best))
    return best


if __name__ == "__main__":
    main()
