"""Commands that run the pipeline: run (dry run), evaluate, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from dedup.errors import DedupError
from dedup_cli._app import (
    DbOption,
    JsonOption,
    SilentOption,
    StageProgress,
    app,
    err,
    handled,
    mode_line,
    parse_date,
    show_progress,
)


def _print_summary(summary: dict) -> None:
    """The run summary as readable text on stdout."""
    typer.echo(mode_line(summary))
    lines = [
        ("records", summary["records"]),
        ("candidate pairs", summary["candidate_pairs"]),
        *((f"  by {rule}", n) for rule, n in summary["pairs_by_rule"].items()),
        ("pairs in merge band", summary["pairs_merge_band"]),
        ("pairs in review band", summary["pairs_review_band"]),
        ("clusters to merge", summary["clusters"]),
        ("largest cluster", summary["largest_cluster"]),
        ("clusters held for review", summary["clusters_held_for_review"]),
    ]
    for label, value in lines:
        typer.echo(f"{label:<28}{value:>12,}")
    typer.echo("time per stage:")
    for stage in summary["stages"]:
        typer.echo(f"  {stage['stage']:<26}{stage['seconds']:>11.2f}s  ({stage['rows']:,} rows)")
    typer.echo(f"rule set: {summary['rules']['name']} ({summary['rules']['hash']})")
    typer.echo(f"Would merge {summary['records_to_merge']:,} records")


def _write_clusters(frame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix in (".parquet", ".pq"):
        frame.write_parquet(path)
    else:
        raise DedupError(f"--clusters-out {path}: use a .csv or .parquet file name")


@app.command()
@handled
def run(
    db: DbOption = None,
    rules: Annotated[Optional[Path], typer.Option(
        "--rules", help="Rule file (TOML). Default: the packaged default.toml.")] = None,
    clusters_out: Annotated[Optional[Path], typer.Option(
        help="Write trader_id,cluster_id for every active trader (.csv or .parquet); cluster_id "
             "is the trader that would survive.")] = None,
    today: Annotated[Optional[str], typer.Option(
        help="Date (YYYY-MM-DD) on which tracks and certificates count as active. Default: today.")] = None,
    as_json: JsonOption = False,
    silent: SilentOption = False,
    apply: Annotated[bool, typer.Option(
        "--apply", help="Merge every cluster in the merge band, queue the review band as "
                        "proposals and record the run, all in one transaction (see "
                        "'dedup history', 'dedup undo').")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="Compare every record, not only those new or changed since the last "
                       "successful apply run (the default). Use after upgrading trader-dedup or "
                       "to re-examine older records; a changed rule set makes a full run by "
                       "itself.")] = False,
):
    """Dry-run the pipeline (normalise, block, score, cluster) and summarise what would merge.

    Nothing in the store changes: the store is opened read-only. With --apply the store is opened
    for writing and the merges are made: a run is applied wholly or not at all, a second apply
    while one runs is refused, and a run killed part-way leaves the store as it was.

    Runs are incremental by default: only traders new or changed since the last successful apply
    run are compared (with the whole table). With no such run, a different rule set than that
    run's, or --full, every record is compared.
    """
    from dedup.incremental import increment_since
    from dedup.pipeline import run_pipeline
    from dedup.rules import RuleSet
    from dedup.store import Store, resolve_db_path

    if clusters_out is not None and clusters_out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise DedupError(f"--clusters-out {clusters_out}: use a .csv or .parquet file name")
    rule_set = RuleSet.from_toml(rules) if rules else RuleSet.default()
    on_date = parse_date(today, "--today")
    if apply:
        from dedup_cli.merge_cmds import run_apply

        if clusters_out is not None:
            raise DedupError("--clusters-out is for dry runs: run without --apply to write it")
        run_apply(resolve_db_path(db), rule_set, on_date, as_json=as_json, silent=silent, full=full)
        return
    with Store(resolve_db_path(db), read_only=True) as store:
        since = None if full else increment_since(store.runner, rule_set)
        result = run_pipeline(store, rule_set, today=on_date,
                              on_stage=StageProgress(show_progress(silent)), since=since)
        if clusters_out is not None:
            _write_clusters(result.clusters(), clusters_out)
            err.print(f"wrote {clusters_out}")
    if as_json:
        typer.echo(json.dumps(result.summary, indent=2))
    else:
        _print_summary(result.summary)


@app.command()
@handled
def evaluate(
    truth: Annotated[Path, typer.Option(help="Ground truth: trader_id,entity_id (.csv or .parquet).")],
    db: DbOption = None,
    rules: Annotated[Optional[Path], typer.Option(
        "--rules", help="Rule file (TOML). Default: the packaged default.toml.")] = None,
    as_json: JsonOption = False,
    silent: SilentOption = False,
):
    """Dry-run the pipeline and measure it against ground truth.

    Prints pairwise precision, recall and F1 of the clusters that would merge, then of the scored
    pairs at a range of score thresholds, and the largest merged cluster. With a `dedup synth`
    truth file (it has kind and group columns) it also counts the clusters that would merge a
    chain's branches or different units of one building, which should be none, and the clusters
    that would merge two businesses of one group of each kind (the hard scenarios' virtual
    offices, shared websites, look-alikes, name collisions and bridges among them). Nothing in
    the store changes.
    """
    from dedup.evaluate import (
        cluster_metrics,
        group_merges,
        hard_negative_merges,
        largest_clusters,
        load_truth,
        threshold_metrics,
    )
    from dedup.pipeline import run_pipeline
    from dedup.rules import RuleSet
    from dedup.store import Store, resolve_db_path

    rule_set = RuleSet.from_toml(rules) if rules else RuleSet.default()
    with Store(resolve_db_path(db), read_only=True) as store:
        load_truth(store.runner, truth)
        run_pipeline(store, rule_set, on_stage=StageProgress(show_progress(silent)))
        report = {"rules": {"name": rule_set.name, "hash": rule_set.hash},
                  "merge_band": cluster_metrics(store.runner),
                  "hard_negatives": hard_negative_merges(store.runner),
                  "group_merges": group_merges(store.runner),
                  "largest_clusters": largest_clusters(store.runner),
                  "thresholds": threshold_metrics(store.runner)}
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    m = report["merge_band"]
    typer.echo(f"merge band (clusters): precision {m['precision']:.4f}  recall {m['recall']:.4f}  "
               f"F1 {m['f1']:.4f}  ({m['true_positives']:,} of {m['predicted_pairs']:,} predicted "
               f"pairs true; {m['true_pairs']:,} true pairs)")
    if report["hard_negatives"] is not None:
        h = report["hard_negatives"]
        typer.echo(f"clusters merging chain branches: {h['clusters_merging_chain_branches']:,}; "
                   f"merging units of one building: {h['clusters_merging_units_of_one_building']:,}")
    if report["group_merges"]:
        typer.echo("clusters merging two businesses of one group: " + ", ".join(
            f"{kind} {n:,}" for kind, n in report["group_merges"].items()))
    sizes = report["largest_clusters"]
    typer.echo(f"largest merged cluster: {sizes['largest_merged_cluster']:,} records; most businesses in "
               f"one cluster: {sizes['most_entities_in_one_cluster']:,}")
    typer.echo(f"{'score >=':>10}{'precision':>11}{'recall':>9}{'F1':>9}{'pairs':>12}")
    for row in report["thresholds"]:
        typer.echo(f"{row['threshold']:>10.1f}{row['precision']:>11.4f}{row['recall']:>9.4f}"
                   f"{row['f1']:>9.4f}{row['predicted_pairs']:>12,}")


@app.command()
@handled
def demo(
    records: Annotated[int, typer.Option("--records", "-n", min=1,
                                         help="Number of synthetic trader records.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed for the synthetic data.")] = 42,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Where the synthetic files go.")] = Path("demo_data"),
    db: Annotated[Path, typer.Option("--db", help="The demo store (replaced).")] = Path("demo.duckdb"),
    silent: SilentOption = False,
):
    """Generate synthetic data, import it into a fresh demo store and dry-run the pipeline."""
    from dedup.importer import ImportSource, find_sources, import_files
    from dedup.pipeline import run_pipeline
    from dedup.rules import RuleSet
    from dedup.schema import TABLES_BY_NAME
    from dedup.store import Store
    from dedup.synth import generate, write_tables

    progress = StageProgress(show_progress(silent))
    progress("synth", "start")
    write_tables(generate(records, seed=seed), data_dir, "parquet")
    progress("synth", "end")
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    progress("import", "start")
    with Store(db) as store:
        sources = [ImportSource(TABLES_BY_NAME[t], p, {}) for t, p in find_sources(data_dir).items()]
        results = import_files(store.runner, sources)
    progress("import", "end")
    for r in results:
        err.print(f"imported {r.rows:,} {r.table}")
    with Store(db, read_only=True) as store:
        result = run_pipeline(store, RuleSet.default(), on_stage=progress)
    _print_summary(result.summary)
    err.print(f"store: {db}; ground truth: {data_dir / 'truth.parquet'}. Next: "
              f"dedup run --db {db} --clusters-out clusters.csv")

