"""The load path, the parse cache, and memory as runs grow (issue 15).

    python -m benchmarks.load_bench                      # the issue's sizes (long: an hour or more on 2 cores)
    python -m benchmarks.load_bench --json 1000 --word 50 --flat 100,500 --big 5000   # minutes
    python -m benchmarks.load_bench --quick              # tiny sizes, a smoke test

What it prints:

- **Against the libyaml floor**: CPU seconds of `evalrun --ruleset bench
  --json` (one process) cold (no cache: the parse cache is filled as it
  goes), with `--no-cache`, and warm (the cache filled by the run before),
  each over the CPU seconds of only reading and parsing the same files with
  PyYAML's libyaml loader (``yaml.load(text, CSafeLoader)``), the floor of
  any YAML loader. The load stage alone too: reading, parsing, checking
  and building every project (``api.load_project``) without and with the
  cache, in this process. Turns alternate, the fastest of each counts.
- **Memory**: peak resident memory of a run writing N Word reports; of runs
  writing all four formats at two sizes (flat: the larger over the smaller);
  of `--json` at a large N.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from benchmarks.bench import evalrun_command, table, timed
from benchmarks.generate import OUT, write_workspace

CACHE = ".evalrun-cache"


def child_environment() -> dict:
    """This environment, with Python's bytecode written and read as an installed evalrun has it (a shell that
    sets PYTHONDONTWRITEBYTECODE would make every run compile evalrun's modules again: 0.2 s or more)."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _child_cpu(command: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one command, its output thrown away."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_environment())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` exited with {done.returncode}")
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def _floor(files: list[Path]) -> float:
    """CPU seconds to read and parse every file with libyaml, nothing else."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    started = time.process_time()
    for path in files:
        yaml.load(path.read_bytes().decode("utf-8"), Loader=loader)
    return time.process_time() - started


def _load_stage(workspace: Path, cached: bool) -> float:
    """CPU seconds of api.load_project for every project, in this process (with the cache: from it), each file
    read as a run reads it (engine.api.iter_results: through the run's FolderGuard, each folder resolved once)."""
    from engine import api
    from engine.files.cache import ParseCache
    from engine.files.paths import FolderGuard
    from engine.files.projectset import shown_in_run
    from engine.files.reading import read_guarded

    rulesets = api.RulesetCache(workspace, "bench")
    cache = ParseCache(workspace, "bench") if cached else None
    folders: dict = {}
    paths = api.project_files(workspace, rulesets.base)

    def load_all(cache) -> None:
        guard = FolderGuard(workspace)
        for path in paths:
            shown = shown_in_run(path, workspace, folders)
            api.load_project(path, rulesets.for_department(path.parent.name), workspace, cache, shown,
                             read_guarded(guard, path, shown))

    if cache is not None:  # a --json run keeps results, not Projects: kept first, untimed, as a report run keeps them
        load_all(cache)
        cache.close()
        cache = ParseCache(workspace, "bench")
    started = time.process_time()
    load_all(cache)
    spent = time.process_time() - started
    if cache is not None:
        cache.close()
        if cache.hits != len(paths):
            raise SystemExit(f"the cache served {cache.hits} of {len(paths)} projects")
    return spent


def against_floor(workspace: Path, turns: int) -> dict:
    """Fastest CPU seconds of each, over ``turns`` alternating turns."""
    files = sorted((workspace / "projects").glob("*/*/*.yaml"))
    base = evalrun_command() + ["--ruleset", "bench", "--json", "--workspace", str(workspace)]
    best: dict = {}

    def keep(name, seconds):
        best[name] = min(best.get(name, float("inf")), seconds)

    for _ in range(turns):
        gc.collect()
        keep("floor", _floor(files))
        shutil.rmtree(workspace / CACHE, ignore_errors=True)
        keep("cold", _child_cpu(base)[0])
        keep("warm", _child_cpu(base)[0])
        keep("no cache", _child_cpu(base + ["--no-cache"])[0])
        keep("load stage, no cache", _load_stage(workspace, cached=False))
        keep("load stage, from the cache", _load_stage(workspace, cached=True))
    best["projects"] = len(files)
    return best


def peak_mb(workspace: Path, extra: list[str]) -> tuple[float, float]:
    """(peak MB, wall seconds) of `evalrun --ruleset bench` with ``extra``, its reports removed first."""
    shutil.rmtree(workspace / "reports" / "out", ignore_errors=True)
    figures = timed(evalrun_command() + ["--ruleset", "bench", "--quiet", "--workspace", str(workspace)] + extra,
                    Path.cwd())
    shutil.rmtree(workspace / "reports" / "out", ignore_errors=True)
    if figures["code"] not in (0,):
        raise SystemExit(f"evalrun {' '.join(extra)} exited with {figures['code']}")
    return figures["mb"], figures["seconds"]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--json", type=int, default=None, help="N for the floor comparison [10000]")
    parser.add_argument("--turns", type=int, default=None, help="turns of the floor comparison [3; 1 with --quick]")
    parser.add_argument("--word", type=int, default=None, help="Word reports for the memory figure [200]")
    parser.add_argument("--flat", default=None, help="two N for memory in all four formats [1000,10000]")
    parser.add_argument("--big", type=int, default=None, help="N for the memory of --json [100000]")
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--out", type=Path, default=OUT, help="where workspaces go [default: benchmarks/out]")
    args = parser.parse_args(argv)
    quick = args.quick
    args.turns = args.turns or (1 if quick else 3)
    n_json = args.json or (10 if quick else 10_000)
    n_word = args.word or (3 if quick else 200)
    flat = [int(n) for n in (args.flat or ("3,6" if quick else "1000,10000")).split(",")]
    n_big = args.big or (10 if quick else 100_000)
    departments = min(args.departments, 10) if quick else args.departments
    space = {n: None for n in sorted({n_json, n_word, n_big, *flat})}
    for n in space:
        started = time.perf_counter()
        space[n] = write_workspace(n, departments, 7, args.out / f"ws-{n}")
        print(f"workspace of {n:,} projects: {space[n]} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    results: dict = {}

    best = results["floor"] = against_floor(space[n_json], args.turns)
    floor = best["floor"]
    print(f"\n## The load path against the libyaml floor: N = {n_json:,}, CPU seconds, "
          f"fastest of {args.turns} turns\n")
    rows = [["libyaml floor: read + `yaml.load(CSafeLoader)` of every file", f"{floor:.2f}", "1.00x", ""]]
    for name, what, aim in (
            ("cold", "`evalrun --json`, cold (fills the cache)", "within 2.0x"),
            ("no cache", "`evalrun --json --no-cache`", ""),
            ("warm", "`evalrun --json`, warm (from the cache)", "within 0.3x"),
            ("load stage, no cache", "load stage: read, parse, check, build (`load_project`)", ""),
            ("load stage, from the cache", "load stage from the cache", "within 0.3x")):
        rows.append([what, f"{best[name]:.2f}", f"{best[name] / floor:.2f}x", aim])
    print(table(["what", "CPU s", "× floor", "aim"], rows))

    print(f"\n## Memory: peak resident MB (by {timed.__module__}.timed)\n")
    rows = []
    mb, seconds = peak_mb(space[n_word], ["--format", "docx", "--no-cache"])
    results["word"] = {"n": n_word, "mb": mb, "seconds": seconds}
    rows.append([f"{n_word:,} Word reports (`--format docx`)", f"{mb:.0f}", f"{seconds:.1f}", "under 300 MB"])
    peaks = []
    for n in flat:
        mb, seconds = peak_mb(space[n], ["--no-cache"])
        peaks.append(mb)
        rows.append([f"{n:,} projects, all four formats", f"{mb:.0f}", f"{seconds:.1f}", ""])
    results["flat"] = dict(zip(flat, peaks))
    mb, seconds = peak_mb(space[n_big], ["--json", "--no-cache"])
    results["big"] = {"n": n_big, "mb": mb, "seconds": seconds}
    rows.append([f"{n_big:,} projects, `--json`", f"{mb:.0f}", f"{seconds:.1f}", "under 200 MB"])
    print(table(["run", "peak MB", "seconds", "aim"], rows))
    print(f"\nAll four formats: peak at N = {flat[-1]:,} over the peak at N = {flat[0]:,}: "
          f"{peaks[-1] / peaks[0]:.2f}x (aim: within 1.2x).")
    return results


if __name__ == "__main__":
    json.dumps(main(), default=str)
