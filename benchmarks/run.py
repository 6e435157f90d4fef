"""The side-by-side benchmark: trader-dedup and Splink on the same synthetic stores.

    .venv/bin/python benchmarks/run.py                       # 10k, 100k, 1M; 3 rounds each
    .venv/bin/python benchmarks/run.py --sizes 10000 --repeat 1 --no-splink
    .venv/bin/python benchmarks/run.py --night-only            # only the first night after a clean-up

For each size, `dedup synth` data (seed 1) is generated once and imported once into a store,
both cached under benchmarks/data/ (no downloads). Then each system runs `--repeat` times, each
run in its own process (so its peak memory is its own). The night's figures come from a copy of
the store right after its first clean-up (one full apply run, no quiet night in between) with a
night's 5,000 new traders (seed 2) imported: an incremental dry run, and the night's apply
itself (on a fresh copy each time). The medians go to benchmarks/RESULTS.md, with the machine
and the command: the side-by-side table at the top, the night in its own section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from dedup.importer import ImportSource, find_sources, import_files
from dedup.merge.runs import apply_run
from dedup.rules import RuleSet
from dedup.schema import TABLES_BY_NAME
from dedup.sql import SqlStep
from dedup.store import Store
from dedup.synth import generate, write_tables

sys.path.insert(0, str(Path(__file__).parent))
from results import write_section, write_top  # noqa: E402

HERE = Path(__file__).parent
NIGHT_RECORDS = 5_000
DATA = HERE / "data"
SEED = 1


def generator_version() -> str:
    """A hash of the generator's code: a cache made by another version is not reused."""
    import hashlib

    import dedup.synth

    digest = hashlib.sha256()
    for path in sorted(Path(dedup.synth.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def prepare(records: int) -> tuple[Path, Path, dict]:
    """Synthetic files and an imported store for `records`, built once per generator version and
    cached."""
    version = generator_version()
    folder = DATA / f"synth_{records}_{SEED}_{version}"
    db = DATA / f"store_{records}_{SEED}_{version}.duckdb"
    timings = {}
    if not (folder / "truth.parquet").exists():
        started = time.perf_counter()
        write_tables(generate(records, seed=SEED), folder, "parquet")
        timings["synth_s"] = time.perf_counter() - started
    if db.exists():
        Store(db).close()  # a store cached by an older version upgrades in place
    else:
        with Store(db) as store:
            sources = [ImportSource(TABLES_BY_NAME[t], p, {}) for t, p in find_sources(folder).items()]
            started = time.perf_counter()
            import_files(store.runner, sources)
            timings["import_s"] = time.perf_counter() - started
    return db, folder / "truth.parquet", timings


def prepare_night(records: int, db: Path) -> Path:
    """A copy of the store right after the first clean-up (a full apply run), plus a night's
    NIGHT_RECORDS new traders (a fresh synthetic batch with ids above the table's): the first
    night's starting point. The clean-up re-examined the survivors it filled itself, so the
    night's increment is its new traders only."""
    # The apply run it starts from must have used today's default rules, or the run is full.
    night = DATA / f"first_night_{records}_{SEED}_{generator_version()}_{RuleSet.default().hash}.duckdb"
    if night.exists():
        Store(night).close()  # upgrade a store cached by an older version
        return night
    folder = DATA / f"night_{records}_{SEED}_{generator_version()}"
    batch = generate(NIGHT_RECORDS, seed=SEED + 1)
    shutil.copy(db, night)
    with Store(night) as store:
        apply_run(store, RuleSet.default())  # the first clean-up (full)
        offset = store.runner.scalar(SqlStep("max id", "SELECT max(trader_id) FROM traders"))
    traders = batch["traders"].with_columns(pl.col("trader_id") + offset)
    write_tables({"traders": traders}, folder, "parquet")
    with Store(night) as store:
        import_files(store.runner, [ImportSource(TABLES_BY_NAME["traders"], folder / "traders.parquet", {})])
    return night


def run_system(system: str, db: Path, truth: Path | None, *options: str) -> dict:
    """Run one system in its own process (benchmarks/systems.py); `options` are passed on."""
    command = [sys.executable, str(HERE / "systems.py"), system, "--db", str(db), *options]
    command += ["--truth", str(truth)] if truth else []
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict]) -> dict:
    """The figures of several runs: medians of times and memory; quality is deterministic."""
    result = dict(runs[0])
    for key in ("wall_s", "peak_rss_mb"):
        result[key] = statistics.median(r[key] for r in runs)
        result[key + "_range"] = (min(r[key] for r in runs), max(r[key] for r in runs))
    result["stages"] = {k: statistics.median(r["stages"][k] for r in runs) for k in runs[0]["stages"]}
    return result


def render(results: dict[int, dict[str, dict]], prep: dict[int, dict], args) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Command: `.venv/bin/python benchmarks/run.py {' '.join(sys.argv[1:])}`".replace(" `", " `"),
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.repeat} run(s) per system and size ({args.splink_repeat or args.repeat} of Splink), each "
        "in its own process; times are medians "
        "(min-max), in seconds. Data: `dedup synth --seed 1` (cached). Both systems get the same "
        "normalised columns; quality is pairwise over the clusters each system would merge. Chain / "
        "unit merges: clusters that would merge two branches of a chain, or two traders of one "
        "building (precision first says none). Peak MB: the process's peak resident memory (VmHWM); "
        "memory vs Splink: its ratio (below 1: less).",
        "",
        "| records | system | wall s | stages (s) | peak MB | pairs | precision | recall | F1 "
        "| chain / unit merges | time vs Splink | memory vs Splink |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, systems in results.items():
        splink = systems.get("splink")
        for name, r in systems.items():
            stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
            ratio = f"{splink['wall_s'] / r['wall_s']:.1f}x faster" if splink and name == "dedup" else ""
            memory = (f"{r['peak_rss_mb'] / splink['peak_rss_mb']:.2f}x" if splink and name == "dedup"
                      else "")
            hard = (f"{r['clusters_merging_chain_branches']:,} / {r['clusters_merging_units_of_one_building']:,}"
                    if "clusters_merging_chain_branches" in r else "")
            lo, hi = r["wall_s_range"]
            lines.append(f"| {size:,} | {r['system']} | {r['wall_s']:.2f} ({lo:.2f}-{hi:.2f}) | {stages} | "
                         f"{r['peak_rss_mb']:.0f} | {r['candidate_pairs']:,} | {r['precision']:.4f} | "
                         f"{r['recall']:.4f} | {r['f1']:.4f} | {hard} | {ratio} | {memory} |")
    if any(prep.values()):
        lines += ["", "Preparation (once per size, then cached): " + "; ".join(
            f"{size:,}: " + ", ".join(f"{k} {v:.1f}s" for k, v in p.items()) for size, p in prep.items() if p)]
    return "\n".join(lines) + "\n"


NIGHT_HEADING = "## The first night after a clean-up"


def render_night(nights: dict[int, dict[str, dict]], args) -> str:
    """The night's section: per size, the incremental dry run and the night's apply."""
    lines = [
        f"Command: `.venv/bin/python benchmarks/run.py {' '.join(sys.argv[1:])}`",
        "",
        f"A copy of each store right after its first clean-up (one full `dedup run --apply`, no quiet "
        f"night in between), with {NIGHT_RECORDS:,} new synthetic traders (seed 2) imported. The dry "
        f"run is `dedup run` on it; the apply is `dedup run --apply` (each time on a fresh copy): it "
        f"merges the night's duplicates and re-examines the survivors it fills until nothing more "
        f"merges. {args.repeat} run(s) each, every run in its own process; medians (min-max), seconds.",
        "",
        "| records | night | records in the increment | wall s | stages (s) | peak MB | pairs "
        "| records merged | rounds |",
        "|---:|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for size, runs in nights.items():
        for name, r in runs.items():
            stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
            lo, hi = r["wall_s_range"]
            merged = "" if r.get("records_merged") is None else f"{r['records_merged']:,}"
            lines.append(f"| {size:,} | {name} | {r['increment_records']:,} | {r['wall_s']:.2f} ({lo:.2f}-{hi:.2f}) "
                         f"| {stages} | {r['peak_rss_mb']:.0f} | {r['candidate_pairs']:,} | {merged} "
                         f"| {r.get('rounds') or ''} |")
    return "\n".join(lines) + "\n"


def measure_night(size: int, db: Path, repeat: int) -> dict[str, dict]:
    """The first night after the clean-up of the store `db`: a dry run, then the apply on copies."""
    night = prepare_night(size, db)
    runs = {"dry run": median_run([run_system("incremental", night, None) for _ in range(repeat)])}
    applies = []
    for _ in range(repeat):
        copy = night.with_name(night.stem + "_copy.duckdb")
        shutil.copy(night, copy)
        applies.append(run_system("night_apply", copy, None))
        copy.unlink()
    runs["apply"] = median_run(applies)
    for name, r in runs.items():
        print(f"{size:>9,} night {name:<8} {r['wall_s']:7.2f}s ({r['increment_records']:,} records in the increment)",
              file=sys.stderr)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-splink", action="store_true", help="Skip Splink (needs '.[bench]').")
    parser.add_argument("--splink-repeat", type=int, help="Runs of Splink per size (default: --repeat).")
    parser.add_argument("--night-only", action="store_true",
                        help="Measure only the first night after a clean-up (its own section of RESULTS.md).")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    results, prep, nights = {}, {}, {}
    for size in (int(s) for s in args.sizes.split(",")):
        db, truth, prep[size] = prepare(size)
        nights[size] = measure_night(size, db, args.repeat)
        if args.night_only:
            continue
        systems = ["dedup"] + ([] if args.no_splink else ["splink"])
        results[size] = {}
        for system in systems:
            runs = args.splink_repeat or args.repeat if system == "splink" else args.repeat
            results[size][system] = median_run([run_system(system, db, truth) for _ in range(runs)])
            r = results[size][system]
            print(f"{size:>9,} {system:<7} {r['wall_s']:7.2f}s  P {r['precision']:.4f}  R {r['recall']:.4f}  "
                  f"peak {r['peak_rss_mb']:.0f} MB", file=sys.stderr)
    if not args.night_only:
        write_top(args.out, render(results, prep, args))  # other scripts' sections are kept
    write_section(args.out, NIGHT_HEADING, render_night(nights, args))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
