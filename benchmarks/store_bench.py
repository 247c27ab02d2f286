"""What recording the results costs (engine.store): a section of the benchmark, or on its own.

    python -m benchmarks.store_bench                    # N = 10,000, a SQLite store
    python -m benchmarks.store_bench --sizes 1000 --db postgresql://user@host/db

For each N, in one process: the run as `evalrun --json` makes it (results
not kept, each project's JSON written, here to nowhere) into a new, empty store, with the time spent recording measured
inside it: making each project's record (the hash of its content, in the
run as it goes) and writing the run in its one transaction at the end. Then
the same run again (every result already stored: only the run and its links
are written), and the run with no store. The share is recording time over
the whole run's time, in CPU seconds of this process (steady on a machine
others are using too) and in wall seconds; the aim of issue 17 is under a
fifth.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import OUT, write_workspace


def _run(workspace: Path, db: str | None) -> dict:
    """One run of every project of `bench`: wall and CPU seconds in all, and spent recording."""
    from engine import api
    import engine.store.recorder as recorder_module
    from engine.runner.jsonrun import project_json
    from engine.outputs.jsonstream import JsonRunWriter

    spent = {"record": [0.0, 0.0], "commit": [0.0, 0.0], "open": [0.0, 0.0]}  # [wall, CPU]
    wall, cpu = time.perf_counter, time.process_time
    originals = {name: getattr(recorder_module.Recorder, method)
                 for name, method in (("open", "__init__"), ("record", "add"), ("commit", "commit"))}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            begin_wall, begin_cpu = wall(), cpu()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name][0] += wall() - begin_wall
                spent[name][1] += cpu() - begin_cpu
        return wrapper

    for name, method in (("open", "__init__"), ("record", "add"), ("commit", "commit")):
        setattr(recorder_module.Recorder, method, timed(name, originals[name]))
    try:
        gc.collect()
        begin_wall, begin_cpu = wall(), cpu()
        with open(os.devnull, "w", encoding="utf-8") as devnull:  # what `evalrun --json` does, to nowhere
            writer = JsonRunWriter(devnull.write)
            base = api.load_ruleset(workspace, "bench").ref
            outcome = api.run(api.RunOptions(ruleset="bench", workspace=workspace, write_reports=False,
                                             keep_results=False, db=db),
                              on_project=lambda path, viewed: writer.project_bytes(base, viewed[1]), view=project_json)
            writer.finish(outcome.ruleset.ref, [])
        seconds, cpu_seconds = wall() - begin_wall, cpu() - begin_cpu
    finally:
        for name, method in (("open", "__init__"), ("record", "add"), ("commit", "commit")):
            setattr(recorder_module.Recorder, method, originals[name])
    if outcome.failures:
        raise SystemExit(f"the benchmark workspace has failures: {outcome.failures[:1]}")
    return {"seconds": seconds, "cpu": cpu_seconds,
            "recording": sum(w for w, _ in spent.values()), "recording_cpu": sum(c for _, c in spent.values()),
            "record_cpu": spent["record"][1], "commit": spent["commit"][0],
            "new": outcome.recorded.new_results if outcome.recorded else 0}


def _fresh_store(db: str | None, folder: Path) -> str:
    if db is None:
        return f"sqlite:///{folder / 'evalrun.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from engine.store import schema
    from engine.store.settings import to_url

    url = to_url(db, Path.cwd(), "--db")
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:  # empty it: the benchmark measures a store's first run
        for table in reversed(schema.TABLES):
            connection.execute(text(f"DROP TABLE IF EXISTS {table.name} CASCADE"))
        connection.execute(text(f"DROP TABLE IF EXISTS {schema.VERSION_TABLE}"))
    engine.dispose()
    return url


def measure(workspaces: dict, db: str | None = None) -> list[list[str]]:
    rows = []
    for n, workspace in workspaces.items():
        with tempfile.TemporaryDirectory(prefix="evalrun-store-bench-") as folder:
            url = _fresh_store(db, Path(folder))
            first = _run(workspace, url)
            again = _run(workspace, url)
            size = Path(folder, "evalrun.db").stat().st_size / 1024 / 1024 if db is None else None
        plain = _run(workspace, None)
        kind = "SQLite" if db is None else "PostgreSQL"
        for what, figures in (("new store", first), ("same results again", again)):
            rows.append([
                f"{n:,}", kind, what, f"{figures['seconds']:.1f} / {figures['cpu']:.1f}",
                f"{plain['seconds']:.1f} / {plain['cpu']:.1f}", f"{figures['record_cpu'] / n * 1000:.3f}",
                f"{figures['commit']:.1f}", f"{figures['new']:,}",
                f"{figures['recording_cpu'] / figures['cpu']:.1%}", f"{figures['recording'] / figures['seconds']:.1%}",
                f"{size:.0f}" if size is not None and what == "new store" else "",
            ])
    return rows


HEADER = ["N", "store", "run", "with store: wall / CPU s", "without: wall / CPU s", "record CPU ms/project",
          "commit wall s", "results stored", "recording share (CPU)", "recording share (wall)", "store MB"]


def report(workspaces: dict, db: str | None = None) -> None:
    """The benchmark's section (printed as Markdown)."""
    from benchmarks.bench import table

    gc.set_threshold(100_000, 50, 100)  # as the CLI sets it (engine.cli.main)

    print("\n## Recording the results (engine.store): share of a `--json` run\n")
    print(table(HEADER, measure(workspaces, db)))
    print("\nrecord: making each project's record while the run goes; commit: writing the run in its one "
          "transaction; the shares count both, and opening the store, over the whole run (in this process: "
          "a PostgreSQL server's own work shows only in wall time).")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated N [default: 10000]")
    parser.add_argument("--db", default=None, help="measure this store (emptied first!) instead of a new SQLite file")
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    sizes = [int(n) for n in args.sizes.split(",")]
    workspaces = {n: write_workspace(n, args.departments, args.seed, args.out / f"ws-{n}") for n in sizes}
    report(workspaces, args.db)


if __name__ == "__main__":
    main()
