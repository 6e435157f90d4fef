"""The engine's operations for a notebook: every CLI command as a function returning polars.

Each function takes the store's path, opens it for just that call (read-only unless the
operation writes) and closes it again, so a notebook never holds DuckDB's file lock between
cells. Tables come back as polars DataFrames; a single object (a run summary, one proposal)
as a dict. Problems raise `dedup.DedupError` with the same one-line message the CLI prints.
Names that would clash with a module of the package (`dedup.explain`, `dedup.evaluate`) get a
suffix: `explain_pair`, `evaluate_rules`.

    >>> import dedup
    >>> run = dedup.dry_run("traders.duckdb")
    >>> run.clusters.filter(pl.col("trader_id") != pl.col("cluster_id"))
    >>> dedup.proposals("traders.duckdb", status="open", sort="score")
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dedup.errors import DedupError
from dedup.rules.ruleset import RuleSet
from dedup.sql import SqlStep
from dedup.store import Store

PathLike = str | os.PathLike
RulesLike = RuleSet | PathLike | None


def _rules(rules: RulesLike) -> RuleSet:
    """A RuleSet, a rule file's path, or None for the packaged default."""
    if rules is None:
        return RuleSet.default()
    if isinstance(rules, RuleSet):
        return rules
    return RuleSet.from_toml(rules)


def _existing(db: PathLike) -> Path:
    path = Path(db)
    if not path.exists():
        raise DedupError(f"no store at {path} (create one with dedup.import_data or 'dedup demo')")
    return path


# --- loading ------------------------------------------------------------------------------------

def import_data(db: PathLike, *, directory: PathLike | None = None, traders: PathLike | None = None,
                cases: PathLike | None = None, tracks: PathLike | None = None,
                certificates: PathLike | None = None, whitelist: PathLike | None = None,
                column_map: list[str] | None = None,
                rejects: PathLike | None = None) -> pl.DataFrame:
    """`dedup import`: load CSV / Parquet extracts (the store is created if new).

    All or nothing, unless `rejects` names a CSV file: then the rows that break a rule (and the
    rows depending on them) are written there with the file, row, column and reason, and the
    rest is imported. Rows breaking a rule the source system itself does not enforce (a trader
    address of more than 6 lines) are imported as they are and reported in `warnings`.

    Returns:
        One row per table loaded: table, source, rows (imported), inserted, updated, rejected,
        warnings (a list of file, column, rule, rows, first_rows).
    """
    from dedup.importer import (
        ImportSource,
        find_sources,
        import_files,
        parse_column_maps,
        source_folder,
    )
    from dedup.schema import TABLES_BY_NAME

    files: dict[str, Path] = {}
    if directory is not None:
        files.update(find_sources(source_folder(Path(directory))))
    named = {"traders": traders, "cases": cases, "tracks": tracks,
             "certificates": certificates, "whitelist": whitelist}
    files.update({table: Path(p) for table, p in named.items() if p is not None})
    if not files:
        raise DedupError("nothing to import: give a folder or at least one table's file")
    maps = parse_column_maps(column_map or [], list(files))
    sources = [ImportSource(TABLES_BY_NAME[t], p, maps[t]) for t, p in files.items()]
    with Store(db) as store:
        results = import_files(store.runner, sources, Path(rejects) if rejects is not None else None)
    warning = pl.Struct({"file": pl.String, "column": pl.String, "rule": pl.String,
                         "rows": pl.Int64, "first_rows": pl.List(pl.Int64)})
    return pl.DataFrame([vars(r) for r in results], schema={
        "table": pl.String, "source": pl.String, "rows": pl.Int64, "inserted": pl.Int64,
        "updated": pl.Int64, "rejected": pl.Int64, "warnings": pl.List(warning)})


# --- running ------------------------------------------------------------------------------------

@dataclass
class DryRun:
    """What a dry run found.

    Attributes:
        summary: the run summary (counts, mode, rule set), as `dedup run --json` prints it.
        stages: stage, seconds, rows.
        clusters: trader_id, cluster_id (the trader that would survive), held, for every active
            trader.
        pairs: the scored pairs in the merge and review bands: left_id, right_id, blocking_rule,
            score, band, and each comparison's level (`level_<name>`).
    """

    summary: dict
    stages: pl.DataFrame
    clusters: pl.DataFrame
    pairs: pl.DataFrame


def dry_run(db: PathLike, rules: RulesLike = None, *, full: bool = False,
            today: dt.date | None = None) -> DryRun:
    """`dedup run`: run the pipeline on a read-only store and return what would merge.

    Args:
        db: the store.
        rules: a RuleSet, a rule file, or None for the packaged default.
        full: compare every record, not only those new or changed since the last apply run.
        today: the date on which tracks and certificates count as active (default: today).
    """
    from dedup.incremental import increment_since
    from dedup.pipeline import CLUSTERS, run_pipeline
    from dedup.score import SCORED, level_column

    rule_set = _rules(rules)
    with Store(_existing(db), read_only=True) as store:
        since = None if full else increment_since(store.runner, rule_set)
        result = run_pipeline(store, rule_set, today=today, since=since)
        levels = ", ".join(f'"{level_column(c.name)}"' for c in rule_set.comparisons)
        clusters = store.runner.frame(SqlStep(
            "clusters", f"SELECT trader_id, cluster_id, held FROM {CLUSTERS} ORDER BY trader_id"))
        pairs = store.runner.frame(SqlStep("banded pairs", f"""
            SELECT left_id, right_id, blocking_rule, score, band, {levels}
            FROM {SCORED} WHERE band IN ('merge', 'review') ORDER BY left_id, right_id"""))
    stages = pl.DataFrame([vars(s) for s in result.stages],
                          schema={"stage": pl.String, "seconds": pl.Float64, "rows": pl.Int64})
    return DryRun(summary=result.summary, stages=stages, clusters=clusters, pairs=pairs)


def apply(db: PathLike, rules: RulesLike = None, *, full: bool = False,
          today: dt.date | None = None) -> dict:
    """`dedup run --apply`: merge the merge band and queue the review band, atomically.

    Returns:
        The run summary (also stored on the run; see `runs`).
    """
    from dedup.incremental import increment_since
    from dedup.merge.runs import apply_run

    rule_set = _rules(rules)
    with Store(db) as store:
        since = None if full else increment_since(store.runner, rule_set)
        return apply_run(store, rule_set, today=today, since=since)


def evaluate_rules(db: PathLike, truth: PathLike, rules: RulesLike = None) -> pl.DataFrame:
    """`dedup evaluate`: pairwise precision, recall and F1 against a truth file.

    Returns:
        The first row (`measure` 'clusters') scores the clusters a full run would merge; the
        others (`measure` 'pairs') the scored pairs at each score threshold.
    """
    from dedup.evaluate import cluster_metrics, load_truth, threshold_metrics
    from dedup.pipeline import run_pipeline

    rule_set = _rules(rules)
    with Store(_existing(db), read_only=True) as store:
        load_truth(store.runner, Path(truth))
        run_pipeline(store, rule_set)
        rows = [{"measure": "clusters", "threshold": None, **cluster_metrics(store.runner)}]
        rows += [{"measure": "pairs", **row} for row in threshold_metrics(store.runner)]
    return pl.DataFrame(rows)


def explain_pair(db: PathLike, trader_a: int, trader_b: int, rules: RulesLike = None) -> dict:
    """`dedup explain`: why two traders would (or would not) merge. The `comparisons` entry is
    a DataFrame (comparison, left, right, level, weight ...); the rest as `dedup explain --json`."""
    from dedup.compare import compare_traders

    with Store(_existing(db), read_only=True) as store:
        report = compare_traders(store.runner, _rules(rules), trader_a, trader_b)
    return {**report, "comparisons": pl.DataFrame(report["comparisons"])}


def blocking_report(db: PathLike, rules: RulesLike = None) -> pl.DataFrame:
    """`dedup blocking`: per blocking rule, the pairs it generates and the blocks it skips."""
    from dedup.pipeline import blocking_report as report

    with Store(_existing(db), read_only=True) as store:
        return pl.DataFrame(report(store, _rules(rules)))


def diff_rules(db: PathLike, rules: RulesLike, against: RulesLike = None, *,
               truth: PathLike | None = None, examples: int = 5, today: dt.date | None = None):
    """`dedup diff`: what changes if `rules` replace `against` (default: the rule set of the last
    applied run, else the packaged default). Returns a `dedup.diff.RuleDiff`: its `pairs`,
    `examples` and `histograms` are DataFrames; `counts` and `metrics` dicts."""
    from dedup.diff import diff_rules as compare
    from dedup.diff import last_applied_rules

    new = _rules(rules)
    with Store(_existing(db), read_only=True) as store:
        old = _rules(against) if against is not None else last_applied_rules(store.runner)[0]
        return compare(store, new, old, today=today, truth=Path(truth) if truth else None,
                       examples=examples)


# --- audit ----------------------------------------------------------------------------------------

def runs(db: PathLike) -> pl.DataFrame:
    """Every recorded run (apply, undo), newest first, with its summary as JSON text."""
    with Store(_existing(db), read_only=True) as store:
        return store.runner.frame(SqlStep("runs", """
            SELECT run_id, mode, status, started_at, finished_at, rules_name, rules_hash, summary
            FROM runs ORDER BY run_id DESC"""))


def placeholder_fills(db: PathLike) -> pl.DataFrame:
    """`dedup report placeholder-fills`: live merges whose survivor fields a placeholder spoilt
    before survivorship read `dedup.missing` (see `dedup.merge.placeholder_fills`)."""
    from dedup.merge.placeholder_fills import placeholder_fills as report

    with Store(_existing(db), read_only=True) as store:
        return report(store.runner)


def history(db: PathLike, trader_id: int) -> pl.DataFrame:
    """`dedup history`: what happened to one trader, oldest first (one row per event)."""
    from dedup.merge.audit import trader_history

    with Store(_existing(db), read_only=True) as store:
        events = trader_history(store.runner, trader_id)["events"]
    return pl.DataFrame(events, infer_schema_length=None) if events else \
        pl.DataFrame(schema={"at": pl.Datetime, "event": pl.String, "run_id": pl.Int64})


def undo(db: PathLike, *, run: int | None = None, merge: int | None = None) -> dict:
    """`dedup undo`: undo one apply run's merges or one merge, atomically."""
    from dedup.merge.undo import undo as undo_merges

    with Store(_existing(db)) as store:
        return undo_merges(store.runner, run_id=run, merge_id=merge)


# --- review -------------------------------------------------------------------------------------

def proposals(db: PathLike, *, run: int | None = None, status: str | None = None,
              min_score: float | None = None, trader: int | None = None, tracked: bool = False,
              sort: str = "newest", limit: int | None = None) -> pl.DataFrame:
    """`dedup review list`: proposals, filtered and sorted ('newest' or 'score')."""
    from dedup.review import list_proposals

    with Store(_existing(db), read_only=True) as store:
        return list_proposals(store.runner, run_id=run, status=status, min_score=min_score,
                              trader=trader, tracked=tracked, sort=sort, limit=limit)


def proposal(db: PathLike, proposal_id: int, today: dt.date | None = None) -> dict:
    """`dedup review show`: one proposal; `records` (side by side) is a DataFrame."""
    from dedup.review import show_proposal

    with Store(_existing(db), read_only=True) as store:
        shown = show_proposal(store.runner, proposal_id, today)
    return {**shown, "records": pl.DataFrame(shown["records"], infer_schema_length=None)}


def accept(db: PathLike, proposal_id: int, *, by: str, note: str | None = None,
           rules: RulesLike = None, today: dt.date | None = None) -> dict:
    """`dedup review accept`: merge the proposal (same plan, checks and audit as a run)."""
    from dedup.review import accept as accept_proposal

    with Store(_existing(db)) as store:
        return accept_proposal(store, _rules(rules), proposal_id, by=by, note=note, today=today)


def reject(db: PathLike, proposal_id: int, *, by: str, note: str | None = None) -> dict:
    """`dedup review reject`: never merge these records (until one of them changes)."""
    from dedup.review import reject as reject_proposal

    with Store(_existing(db)) as store:
        return reject_proposal(store.runner, proposal_id, by=by, note=note)


def decisions(db: PathLike) -> pl.DataFrame:
    """`dedup decisions list`: every decision, with whether it still applies."""
    from dedup.review import list_decisions

    with Store(_existing(db), read_only=True) as store:
        return list_decisions(store.runner)


def withdraw_decision(db: PathLike, decision_id: int, *, by: str) -> dict:
    """`dedup decisions withdraw`."""
    from dedup.review import withdraw

    with Store(_existing(db)) as store:
        return withdraw(store.runner, decision_id, by=by)


def export_decisions(db: PathLike, path: PathLike) -> int:
    """`dedup decisions export`: write every decision to a CSV; returns how many."""
    from dedup.review import export_decisions as export

    with Store(_existing(db), read_only=True) as store:
        return export(store.runner, Path(path))


def import_decisions(db: PathLike, path: PathLike) -> dict:
    """`dedup decisions import`: load decisions from a CSV, all or nothing."""
    from dedup.review import import_decisions as load

    with Store(_existing(db)) as store:
        return load(store.runner, Path(path))
