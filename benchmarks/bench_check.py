"""Duplicate-check and trader-search latency with a `dedup.Matcher` already open.

Run:  .venv/bin/python benchmarks/bench_check.py --records 100000 --checks 1000 [--write]

Generates `dedup synth` data, holds `--checks` records out of it (seeded), imports the rest into
a fresh store and applies the overnight run to it (a clean store, its normalised cache written),
opens one `Matcher`, then times `check_trader` on every held-out record (the traders advisers
would be about to create, duplicates included) and `search` on a prefix of their names (the first
word, as an adviser types it; every tenth also with the postcode). Prints p50 / p95 / p99 and
checks per second (one after another, on one connection); `--write` puts them in
benchmarks/RESULTS.md's own section. This machine is shared: figures are of one run.
"""

from __future__ import annotations

import argparse
import collections
import logging
import platform
import random
import re
import tempfile
import time
from pathlib import Path

import polars as pl

import dedup
from dedup.matcher import probe_frame
from dedup.normalise import normalise_traders
from dedup.synth import generate

try:
    from benchmarks.results import write_section
except ModuleNotFoundError:  # run as a script from the repository root
    from results import write_section

RESULTS = Path(__file__).parent / "RESULTS.md"
HEADING = "## Duplicate check and search latency"
FIELDS = ("name", "address", "postcode", "phone", "website")


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 in milliseconds (nearest rank) and the mean rate per second."""
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "per_second": len(ordered) / sum(ordered)}


def build_store(folder: Path, records: int, seed: int, held: int) -> tuple[Path, list[dict]]:
    tables = generate(records, seed=seed)
    rng = random.Random(seed)
    held_ids = set(rng.sample(tables["traders"]["trader_id"].to_list(), held))
    keep = ~pl.col("trader_id").is_in(list(held_ids))
    probes = tables["traders"].filter(~keep).select(*FIELDS).to_dicts()
    rng.shuffle(probes)
    for name in ("traders", "cases", "tracks", "certificates", "whitelist"):
        tables[name].filter(keep).write_parquet(folder / f"{name}.parquet")
    db = folder / "bench.duckdb"
    started = time.perf_counter()
    dedup.import_data(db, directory=folder)
    dedup.apply(db, full=True)
    print(f"store: {records - held:,} traders imported and applied in {time.perf_counter() - started:.1f}s")
    return db, probes


def timed(calls) -> list[float]:
    seconds = []
    for call in calls:
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


class StatementTimes(logging.Handler):
    """Sums the time of each SQL statement the engine logs (`dedup.sql` at debug level)."""

    def __init__(self):
        super().__init__()
        self.seconds: collections.Counter = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        found = re.match(r"ran (.*) in ([0-9.]+)s", record.getMessage())
        if found:
            self.seconds[found.group(1)] += float(found.group(2))

    def __enter__(self):
        log = logging.getLogger("dedup.sql")
        self.level = log.level
        log.setLevel(logging.DEBUG)
        log.addHandler(self)
        return self

    def __exit__(self, *exc):
        log = logging.getLogger("dedup.sql")
        log.removeHandler(self)
        log.setLevel(self.level)


def search_calls(matcher, probes: list[dict]) -> list:
    calls = []
    for i, probe in enumerate(probes):
        word = probe["name"].split()[0]
        postcode = probe["postcode"] if i % 10 == 0 else None
        calls.append(lambda w=word, p=postcode: matcher.search(w, postcode=p))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md's section")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, probes = build_store(Path(tmp), args.records, args.seed, args.checks)
        started = time.perf_counter()
        with dedup.Matcher(db) as matcher:
            opened = time.perf_counter() - started
            for probe in probes[:20]:  # warm up (first calls compile regular expressions)
                matcher.check_trader(**probe)
            with StatementTimes() as statements:
                check = percentiles(timed([lambda p=p: matcher.check_trader(**p) for p in probes]))
            bands = [matcher.check_trader(**p).candidates["band"].to_list()[:1] for p in probes[:200]]
            search = percentiles(timed(search_calls(matcher, probes)))
    normalise = percentiles(timed([lambda p=p: normalise_traders(probe_frame(1, p)) for p in probes]))
    sql_ms = sum(statements.seconds.values()) / len(probes) * 1000
    top = ", ".join(f"{name} {seconds / len(probes) * 1000:.1f}"
                    for name, seconds in statements.seconds.most_common(4))
    merge_share = sum(b == ["merge"] for b in bands) / len(bands)
    lines = [
        f"`benchmarks/bench_check.py --records {args.records} --checks {args.checks}`: a store of "
        f"{args.records - args.checks:,} `dedup synth` traders (seed {args.seed}) after one full apply, and "
        f"{args.checks:,} held-out records of the same data checked one after another with one "
        f"`dedup.Matcher` open ({opened:.1f} s to open: the pending run, value counts and block keys), on "
        f"{platform.machine()} with 2 cores shared with other work; one run. "
        f"{merge_share:.0%} of the first 200 checks had a live record in the merge band.",
        "",
        "| operation | p50 ms | p95 ms | p99 ms | per second |",
        "|---|---|---|---|---|",
        f"| `check_trader` | {check['p50']:.1f} | {check['p95']:.1f} | {check['p99']:.1f} | "
        f"{check['per_second']:.1f} |",
        f"| `search` (first word of the name; every tenth with the postcode) | {search['p50']:.1f} | "
        f"{search['p95']:.1f} | {search['p99']:.1f} | {search['per_second']:.1f} |",
        f"| of a check: normalising the one record (`normalise_traders`) | {normalise['p50']:.1f} | "
        f"{normalise['p95']:.1f} | {normalise['p99']:.1f} | |",
        "",
        f"Where a check's time goes: its SQL statements take {sql_ms:.1f} ms on average (most: {top} ms; "
        f"nearly all of it DuckDB binding, planning and optimising statements over a few rows, as "
        f"`PRAGMA enable_profiling` shows), the normaliser's fixed cost per call is the row above (polars "
        f"runs some hundred expressions whatever the number of rows), and the rest is Python around them. "
        f"Those costs are fixed per call, but the lookups in the normalised table and the block keys "
        f"(`check records`, `probe pairs`) read more row groups as the table grows. The issue's targets "
        f"(check p95 under 20 ms, search p95 under 50 ms, at 1M) are not met at {args.records // 1000}k, "
        f"and 1M was not run here (the machine is shared).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(RESULTS, HEADING, text)


if __name__ == "__main__":
    main()
