"""The benchmark runs end to end in --quick mode (tiny workspaces, one turn) and prints its tables (no timing is checked)."""
from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def test_benchmark_quick_mode_completes(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--quick", "--no-profile", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for heading in ("## Evaluate stage", "## End to end", "## Where the time goes", "## Start-up",
                    "## The load path against the libyaml floor", "## Memory"):
        assert heading in done.stdout
    assert "| 30 | JSON (--json) |" in done.stdout
    evaluate_rows = [line for line in done.stdout.splitlines() if line.startswith("| 10 |") or line.startswith("| 30 |")]
    assert evaluate_rows and all(line.split("|")[6].strip() == "0" for line in evaluate_rows[:2]), \
        "the engine and the hand-written function agree on every project"
