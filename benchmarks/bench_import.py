"""Import and dry-run timing on synthetic data.

Run:  .venv/bin/python benchmarks/bench_import.py --records 1000000 --repeat 3

Generates `dedup synth` data once (cached under benchmarks/data/), then, `--repeat` times, imports
every table into a fresh store and dry-runs the pipeline. Prints the median and the spread of each
timing (these machines are shared and noisy: compare medians, not single runs).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from dedup.importer import ImportSource, find_sources, import_files
from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.schema import TABLES_BY_NAME
from dedup.store import Store
from dedup.synth import generate, write_tables

DATA = Path(__file__).parent / "data"


def synth_data(records: int, seed: int) -> Path:
    folder = DATA / f"synth_{records}_{seed}"
    if not (folder / "truth.parquet").exists():
        started = time.perf_counter()
        write_tables(generate(records, seed=seed), folder, "parquet")
        print(f"synth {records:,}: {time.perf_counter() - started:.1f}s (cached in {folder})")
    return folder


def one_round(folder: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with Store(db) as store:
            sources = [ImportSource(TABLES_BY_NAME[t], p, {}) for t, p in find_sources(folder).items()]
            started = time.perf_counter()
            import_files(store.runner, sources)
            imported = time.perf_counter() - started
        with Store(db, read_only=True) as store:
            started = time.perf_counter()
            result = run_pipeline(store, RuleSet.default())
            dry_run = time.perf_counter() - started
        timings = {"import": imported, "dry run": dry_run}
        timings.update({f"  {s.stage}": s.seconds for s in result.stages})
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = synth_data(args.records, args.seed)
    rounds = [one_round(folder) for _ in range(args.repeat)]
    print(f"{args.records:,} traders, {args.repeat} rounds: median (min-max) seconds")
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        print(f"  {key:<14}{statistics.median(values):8.2f}  ({min(values):.2f}-{max(values):.2f})")


if __name__ == "__main__":
    main()
