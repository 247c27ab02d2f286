"""The evalrun benchmark: evaluate stage against hand-written Python, end to end, where the time goes.

    python -m benchmarks.bench                 # N = 1,000, 10,000 and 100,000 (about half an hour)
    python -m benchmarks.bench --quick         # small N, a smoke test (seconds)
    python -m benchmarks.bench --sizes 1000,5000 --jobs 2

Run it from the repository with the venv's python. It writes workspaces
under benchmarks/out/ (git-ignored; reused when already generated) and
prints Markdown tables: benchmarks/README.md shows them.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from benchmarks.generate import OUT, write_workspace
from benchmarks.handwritten import engine_scores, score_project
from benchmarks.zen_rules import ZenRules, available as zen_available

CHUNK = 1000
TURNS = 5


def evalrun_command() -> list[str]:
    found = shutil.which("evalrun", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "engine.cli"]


# ---------------------------------------------------------------- evaluate stage


def evaluate_stage(workspace: Path, turns: int = TURNS) -> dict:
    """Engine, hand-written and (when installed) zen-engine scoring of the same loaded projects.

    CPU seconds (``time.process_time``), chunk by chunk; within a chunk the
    three take turns, and the fastest of ``turns`` runs of each counts.
    """
    from engine import api
    from engine.scoring.evaluate import evaluate_project

    ruleset = api.load_ruleset(workspace, "bench")
    paths = api.project_files(workspace, ruleset)
    peer = ZenRules() if zen_available() else None
    spent = {"engine": 0.0, "hand": 0.0, "zen": 0.0}
    rows = mismatches = zen_mismatches = 0
    clock = time.process_time
    for start in range(0, len(paths), CHUNK):
        projects = [api.load_project(p, ruleset, workspace) for p in paths[start:start + CHUNK]]
        rows += sum(1 + sum(1 for i in p.indicators if i.applicable) for p in projects)
        engine = [engine_scores(evaluate_project(ruleset, p)) for p in projects]
        mismatches += sum(e != score_project(p) for e, p in zip(engine, projects))
        if peer is not None:
            zen_mismatches += sum(e[1:] != peer.score_project(p)[1:] for e, p in zip(engine, projects))
        del engine
        sides = [("engine", lambda p: evaluate_project(ruleset, p)), ("hand", score_project)]
        if peer is not None:
            sides.append(("zen", peer.score_project))
        # As in a run, each result is dropped when the next project comes; the loaded chunk,
        # which a run would not hold, is kept out of the garbage collector's way.
        gc.collect()
        gc.freeze()
        best = {}
        for _ in range(turns):
            for name, score in sides:
                begin = clock()
                for project in projects:
                    score(project)
                best[name] = min(best.get(name, float("inf")), clock() - begin)
        gc.unfreeze()
        for name, seconds in best.items():
            spent[name] += seconds
        del projects
    figures = {"projects": len(paths), "rows": rows, "engine": rows / spent["engine"], "hand": rows / spent["hand"],
               "ratio": spent["engine"] / spent["hand"], "mismatches": mismatches}
    if peer is not None:
        figures.update(zen=rows / spent["zen"], zen_ratio=spent["zen"] / spent["engine"],
                       zen_mismatches=zen_mismatches)
    return figures


# ---------------------------------------------------------------- end to end


def timed(command: list[str], cwd: Path) -> dict:
    """Wall seconds and peak memory (MB) of one command, its output thrown away."""
    if Path("/usr/bin/time").is_file():
        wrapped = ["/usr/bin/time", "-v"] + command
        started = time.perf_counter()
        done = subprocess.run(wrapped, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - started
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr))
        return {"seconds": seconds, "cpu": cpu, "mb": int(peak.group(1)) / 1024 if peak else float("nan"),
                "code": done.returncode, "how": "/usr/bin/time -v"}
    # Without GNU time: a fresh python runs the command, so its children's peak is this command's.
    probe = ("import json, resource, subprocess, sys, time; t = time.perf_counter(); "
             "c = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
             "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
             "print(json.dumps([time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss, c]))")
    done = subprocess.run([sys.executable, "-c", probe] + command, cwd=cwd, capture_output=True, text=True)
    seconds, cpu, peak, code = json.loads(done.stdout)
    return {"seconds": seconds, "cpu": cpu, "mb": peak / 1024, "code": code, "how": "getrusage(RUSAGE_CHILDREN)"}


def has_xlsx() -> bool:
    helped = subprocess.run(evalrun_command() + ["--help"], capture_output=True, text=True).stdout
    if "--format" not in helped:
        return False
    from engine.outputs import formats as outputs

    return "xlsx" in getattr(outputs, "FORMATS", {})


def end_to_end(workspace: Path, jobs: int, xlsx: bool) -> list[dict]:
    base = evalrun_command() + ["--ruleset", "bench", "--workspace", str(workspace)]
    variants = [("JSON (--json)", base + ["--json"], False),
                (f"JSON, --jobs {jobs}", base + ["--json", "--jobs", str(jobs)], False),
                ("Markdown reports", base + (["--format", "md"] if xlsx else []), True),
                (f"Markdown reports, --jobs {jobs}", base + (["--format", "md"] if xlsx else []) + ["--jobs", str(jobs)],
                 True)]
    if xlsx:
        variants.append((f"Markdown + XLSX, --jobs {jobs}", base + ["--format", "md,xlsx", "--jobs", str(jobs)], True))
    measured = []
    for name, command, writes in variants:
        if writes:
            shutil.rmtree(workspace / "reports" / "out", ignore_errors=True)
        figures = timed(command, Path.cwd())
        if figures["code"] != 0:
            raise SystemExit(f"`{' '.join(command)}` exited with {figures['code']}")
        measured.append({"what": name, **figures})
    shutil.rmtree(workspace / "reports" / "out", ignore_errors=True)
    return measured


# ---------------------------------------------------------------- where the time goes


def stages(workspace: Path, limit: int = 2000) -> list[tuple[str, float]]:
    """Milliseconds per project of each stage of `evalrun --json`, measured in process."""
    from engine import api
    from engine.scoring.check import check_project
    from engine.scoring.evaluate import evaluate_project
    from engine.files.load import decode, load_text
    from engine.model import ProjectResult
    from engine.rules.project import build_project
    from engine.files.validate import check_schema
    from engine.outputs.view import result_json
    from engine.outputs.jsonstream import _dumps

    ruleset = api.load_ruleset(workspace, "bench")
    paths = api.project_files(workspace, ruleset)[:limit]
    names = ["read file", "parse YAML (libyaml + positions)", "check schema", "build project (targets read)",
             "evaluate (scores)", "check findings", "JSON view (fields, trace.method)", "json.dumps (indent=2)"]
    spent = [0.0] * len(names)
    clock = time.process_time
    for path in paths:
        t0 = clock()
        raw = path.read_bytes()
        t1 = clock()
        data = load_text(decode(raw, "x"), "x")
        t2 = clock()
        check_schema(data, "project", "x")
        t3 = clock()
        project = build_project(data, "x", ruleset)
        t4 = clock()
        scored = evaluate_project(ruleset, project)
        t5 = clock()
        findings = check_project(ruleset, project, scored[2], scored[1], scored[4])
        t6 = clock()
        view = result_json(ProjectResult(project, ruleset, *scored, findings))
        t7 = clock()
        _dumps(view, 2)
        t8 = clock()
        for i, (a, b) in enumerate(zip((t0, t1, t2, t3, t4, t5, t6, t7), (t1, t2, t3, t4, t5, t6, t7, t8))):
            spent[i] += b - a
    return [(name, s / len(paths) * 1000) for name, s in zip(names, spent)]


def profile(workspace: Path, top: int = 12) -> str:
    """cProfile of `evalrun --ruleset bench --json` in process: the functions that take the most time."""
    from engine.cli import cli

    profiler = cProfile.Profile()
    stdout = sys.stdout
    sys.stdout = io.StringIO()
    try:
        profiler.runcall(cli.main, ["--ruleset", "bench", "--json", "--workspace", str(workspace)],
                         standalone_mode=False)
    except SystemExit:
        pass
    finally:
        sys.stdout = stdout
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if re.match(r"\s*\d", line)]
    root = str(Path(__file__).resolve().parent.parent)
    return "\n".join(line.replace(root + "/", "").replace(sys.prefix + "/", "") for line in lines)


# ---------------------------------------------------------------- report


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small N (a smoke test)")
    parser.add_argument("--sizes", default=None, help="comma-separated N [default: 1000,10000,100000]")
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the --jobs runs [default: 2]")
    parser.add_argument("--out", type=Path, default=OUT, help="where workspaces go [default: benchmarks/out]")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile listing")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    sizes = [int(n) for n in (args.sizes or ("10,30" if args.quick else "1000,10000,100000")).split(",")]
    departments = min(args.departments, 10) if args.quick else args.departments

    import engine.files.load as load

    print("# evalrun benchmark\n")
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"YAML loader base {load._BaseLoader.__module__}.{load._BaseLoader.__name__}"
          f" (libyaml C parser: {'yes' if load._BaseLoader is getattr(yaml, 'CSafeLoader', None) else 'NO'}), "
          f"{departments} departments, seed {args.seed}; load average at the start {busy:.2f}.\n")
    workspaces = {}
    for n in sizes:
        started = time.perf_counter()
        workspaces[n] = write_workspace(n, departments, args.seed, args.out / f"ws-{n}")
        print(f"workspace of {n:,} projects: {workspaces[n]} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)

    evaluated = []
    with_zen = zen_available()
    for n in sizes:
        gc.collect()
        figures = evaluate_stage(workspaces[n], 1 if args.quick else TURNS)
        line = [f"{n:,}", f"{figures['rows']:,}", f"{figures['engine']:,.0f}", f"{figures['hand']:,.0f}",
                f"{figures['ratio']:.2f}x", str(figures["mismatches"])]
        if with_zen:
            line += [f"{figures['zen']:,.0f}", f"{figures['zen_ratio']:.2f}x", str(figures["zen_mismatches"])]
        evaluated.append(line)
    print("## Evaluate stage: indicator scores per CPU second (projects already loaded, "
          f"best of {1 if args.quick else TURNS} turns)\n")
    header = ["N", "rows scored", "evalrun rows/s", "hand-written rows/s", "evalrun / hand-written time",
              "differing results"]
    if with_zen:
        header += ["zen-engine rows/s", "zen-engine / evalrun time", "zen-engine differing results"]
    print(table(header, evaluated))
    if not with_zen:
        print("\n(zen-engine is not installed: `pip install '.[bench]'` adds its column.)")

    xlsx = has_xlsx()
    rows, how = [], ""
    per_thousand: dict[str, list[float]] = {}
    end_sizes = sizes[-1:] if args.quick else sizes  # a smoke test: each run once, on the larger workspace
    for n in end_sizes:
        for figures in end_to_end(workspaces[n], args.jobs, xlsx):
            print(f"{n:,} {figures['what']}: {figures['seconds']:.1f} s, {figures['mb']:.0f} MB", file=sys.stderr)
            how = figures["how"]
            per = figures["seconds"] / n * 1000
            per_thousand.setdefault(figures["what"], []).append(per)
            rows.append([f"{n:,}", figures["what"], f"{figures['seconds']:.1f}", f"{per:.2f}", f"{figures['cpu']:.1f}",
                         f"{figures['mb']:.0f}"])
    print(f"\n## End to end: `evalrun --ruleset bench` (peak memory by {how})\n")
    print(table(["N", "run", "seconds", "seconds per 1,000 projects", "CPU seconds (all processes)",
                 "peak memory MB"], rows))
    if not xlsx:
        print("\n(XLSX: this evalrun has no `--format xlsx` yet; the script measures it once it has.)")
    if len(end_sizes) > 1:
        print(f"\nGrowth: seconds per 1,000 projects at N = {sizes[-1]:,} over those at N = {sizes[-2]:,} "
              "(1.00 = exactly linear; a start-up of about 0.4 s weighs on small N): "
              + ", ".join(f"{what} {values[-1] / values[-2]:.2f}" for what, values in per_thousand.items()) + ".")

    print(f"\n## Where the time goes: `--json`, ms of CPU per project (N = {sizes[0]:,}, at most 2,000 projects)\n")
    parts = stages(workspaces[sizes[0]])
    total = sum(ms for _, ms in parts)
    print(table(["stage", "ms per project", "share"],
                [[name, f"{ms:.3f}", f"{ms / total:.0%}"] for name, ms in parts] + [["total", f"{total:.3f}", ""]]))
    if not args.no_profile:
        print(f"\ncProfile of `evalrun --ruleset bench --json`, N = {sizes[0]:,}, by own time:\n")
        print("```\n" + profile(workspaces[sizes[0]]) + "\n```")

    from benchmarks.store_bench import report as store_report  # the results store (issue 17), up to N = 10,000

    store_report({n: w for n, w in workspaces.items() if n <= 10_000} or {sizes[0]: workspaces[sizes[0]]})

    # Start-up, the load path against libyaml, the parse cache and memory (issue 15): their own modules.
    from benchmarks import load_bench, startup_bench

    print()
    startup_bench.main(["--turns", "1" if args.quick else "7"])
    load_bench.main((["--quick"] if args.quick else []) + ["--out", str(args.out)])


if __name__ == "__main__":
    main()
