"""What recording the results costs (engine.store): a section of the benchmark, or on its own.

    python -m benchmarks.store_bench                    # N = 10,000, a SQLite store
    python -m benchmarks.store_bench --sizes 1000 --db postgresql://user@host/db

For each N, in one process: the run (`--json` as the CLI does it: results
not kept) into a new, empty store, with the time spent recording measured
inside it: making each project's record (the hash of its content, in the
run as it goes) and writing the run in its one transaction at the end. Then
the same run again (every result already stored: only the run and its links
are written), and the run with no store. The share is recording time over
the whole run's time; the aim of issue 17 is under a fifth.
"""
from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import OUT, write_workspace


def _run(workspace: Path, db: str | None) -> dict:
    """One run of every project of `bench`; seconds in all, and spent recording."""
    from engine import api
    import engine.store.recorder as recorder_module

    spent = {"record": 0.0, "commit": 0.0, "open": 0.0}
    clock = time.perf_counter
    original_init, original_add, original_commit = (recorder_module.Recorder.__init__, recorder_module.Recorder.add,
                                                     recorder_module.Recorder.commit)

    def timed(name, function):
        def wrapper(*args, **kwargs):
            begin = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += clock() - begin
        return wrapper

    recorder_module.Recorder.__init__ = timed("open", original_init)
    recorder_module.Recorder.add = timed("record", original_add)
    recorder_module.Recorder.commit = timed("commit", original_commit)
    try:
        gc.collect()
        begin = clock()
        outcome = api.run(api.RunOptions(ruleset="bench", workspace=workspace, write_reports=False,
                                         keep_results=False, db=db), on_project=lambda path, result: None)
        seconds = clock() - begin
    finally:
        recorder_module.Recorder.__init__, recorder_module.Recorder.add, recorder_module.Recorder.commit = (
            original_init, original_add, original_commit)
    if outcome.failures:
        raise SystemExit(f"the benchmark workspace has failures: {outcome.failures[:1]}")
    recording = sum(spent.values())
    return {"seconds": seconds, "recording": recording, **spent,
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
                f"{n:,}", kind, what, f"{figures['seconds']:.1f}", f"{plain['seconds']:.1f}",
                f"{figures['record'] / n * 1000:.3f}", f"{figures['commit']:.1f}", f"{figures['new']:,}",
                f"{figures['recording'] / figures['seconds']:.1%}",
                f"{size:.0f}" if size is not None and what == "new store" else "",
            ])
    return rows


HEADER = ["N", "store", "run", "seconds with store", "seconds without", "record ms/project",
          "commit seconds", "results stored", "recording share of the run", "store MB"]


def report(workspaces: dict, db: str | None = None) -> None:
    """The benchmark's section (printed as Markdown)."""
    from benchmarks.bench import table

    gc.set_threshold(100_000, 50, 100)  # as the CLI sets it (engine.cli.main)

    print("\n## Recording the results (engine.store): share of a `--json` run\n")
    print(table(HEADER, measure(workspaces, db)))
    print("\nrecord: making each project's record while the run goes; commit: writing the run in its one "
          "transaction; the share counts both, and opening the store.")


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
