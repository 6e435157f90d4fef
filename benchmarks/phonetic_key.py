"""Which phonetic key for `name_key`: the hand-made one or one of jellyfish's published algorithms?

    .venv/bin/python benchmarks/phonetic_key.py --store S.duckdb:truth.parquet [--store ...]
        [--keys former,soundex,metaphone,nysiis,match_rating_codex]

`name_key` (the phonetic key of the name's first word, dedup/normalise/names.py) feeds the
`name_sound_and_street` blocking rule and the `different_name_word` hard rule. For each store
and each key, in its own process, the default rules dry-run with that key in place of the
normaliser's: `former` is the hand-made key the normaliser had before (reproduced here), the
others jellyfish's algorithms, computed over the distinct first words only (one Python call per
distinct word, joined back in polars), never per row. The normaliser now uses `soundex`. Printed per
run: candidate pairs, the
blocking recall (share of true pairs compared at all), the true pairs that `name_sound_and_street`
alone found first, and pairwise precision / recall / F1 of the clusters that would merge (with the
wrong pairs among them).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

KEYS = ("former", "soundex", "metaphone", "nysiis", "match_rating_codex")


def former_key(token: pl.Expr) -> pl.Expr:
    """The hand-made key names.py had until jellyfish's Soundex replaced it (the measured
    baseline): ASCII letters; ph->f, ck/c/q->k, x->ks, z->s; the first letter, then no vowels or
    h, w, y; runs of a letter as one; at most 6 letters ("Smith" -> "smt", "Kwik"/"Quick" -> "k")."""
    import string

    from dedup.normalise._text import null_if_empty

    runs = {letter * n: letter for letter in string.ascii_lowercase for n in range(6, 1, -1)}
    return null_if_empty(
        token.str.replace_all("[^a-z]", "")
        .str.replace_many({"ph": "f", "ck": "k", "c": "k", "q": "k", "x": "ks", "z": "s"}, leftmost=True)
        .str.replace_all(r"\B[aeiouhwy]+", "")
        .str.replace_many(runs, leftmost=True)
        .str.head(6)
    )


def jellyfish_key(algorithm: str):
    """A `phonetic_key` replacement: jellyfish's `algorithm` over the distinct words, joined back."""
    import jellyfish

    from dedup.normalise._text import null_if_empty

    encode = getattr(jellyfish, algorithm)

    def by_distinct(words: pl.Series) -> pl.Series:
        distinct = words.drop_nulls().unique().to_list()
        table = {w: encode(w) for w in distinct if w}
        return words.replace_strict(table, default=None, return_dtype=pl.String)

    def key(token: pl.Expr) -> pl.Expr:
        letters = null_if_empty(token.str.replace_all("[^a-z]", ""))
        return null_if_empty(letters.map_batches(by_distinct, return_dtype=pl.String).str.to_lowercase())

    return key


def measure(db: Path, truth: Path, key: str) -> dict:
    """One dry run of the default rules with `key` as name_key (run in a fresh process)."""
    from dedup.normalise import names

    names.phonetic_key = former_key if key == "former" else jellyfish_key(key)
    from dedup.evaluate import cluster_metrics, load_truth
    from dedup.pipeline import run_pipeline
    from dedup.rules import RuleSet
    from dedup.sql import SqlStep
    from dedup.store import Store

    with Store(db, read_only=True) as store:
        started = time.perf_counter()
        result = run_pipeline(store, RuleSet.default())
        wall = time.perf_counter() - started
        truth_table = load_truth(store.runner, truth)
        found, by_sound, actual = store.runner.fetchone(SqlStep("blocking recall", f"""
            WITH t AS (SELECT s.blocking_rule FROM {result.scored} s JOIN {truth_table} l ON l.trader_id = s.left_id
                       JOIN {truth_table} r ON r.trader_id = s.right_id WHERE l.entity_id = r.entity_id)
            SELECT (SELECT count(*) FROM t),
                   (SELECT count(*) FROM t WHERE blocking_rule = 'name_sound_and_street'),
                   (SELECT sum(n * (n - 1) // 2) FROM (SELECT count(*) n FROM {truth_table} GROUP BY entity_id))"""))
        keys = store.runner.scalar(SqlStep("distinct keys",
                                           f"SELECT count(DISTINCT name_key) FROM {result.tables.normalised}"))
        metrics = cluster_metrics(result, truth_table)
    return {"key": key, "store": str(db), "wall_s": round(wall, 2), "distinct_keys": int(keys),
            "candidate_pairs": result.summary["candidate_pairs"],
            "blocking_recall": round(found / actual, 6), "true_pairs_first_by_name_sound": int(by_sound),
            "wrong_pairs": metrics["predicted_pairs"] - metrics["true_positives"],
            **{k: metrics[k] for k in ("precision", "recall", "f1")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", action="append", required=True, help="STORE.duckdb:TRUTH (repeatable)")
    parser.add_argument("--keys", default=",".join(KEYS))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one key in this process
    args = parser.parse_args()
    if args.one:
        db, truth = args.store[0].split(":")
        json.dump(measure(Path(db), Path(truth), args.one), sys.stdout)
        return
    print(f"{'store':<34}{'key':<20}{'keys':>8}{'pairs':>11}{'block R':>9}{'by sound':>9}"
          f"{'wrong':>7}{'P':>8}{'R':>8}{'F1':>8}{'wall s':>8}")
    for store in args.store:
        for key in args.keys.split(","):
            out = subprocess.run([sys.executable, __file__, "--store", store, "--one", key],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            print(f"{Path(r['store']).name:<34}{key:<20}{r['distinct_keys']:>8,}{r['candidate_pairs']:>11,}"
                  f"{r['blocking_recall']:>9.4f}{r['true_pairs_first_by_name_sound']:>9,}{r['wrong_pairs']:>7,}{r['precision']:>8.4f}"
                  f"{r['recall']:>8.4f}{r['f1']:>8.4f}{r['wall_s']:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
