"""Commands that run the pipeline: run (a dry run, or with --apply the overnight merge), evaluate,
demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dedup import api
from dedup.api import DedupError
from dedup_cli._app import (
    TABLE_SUFFIXES,
    DbOption,
    JsonOption,
    RulesOption,
    SilentOption,
    StageProgress,
    TodayOption,
    app,
    err,
    handled,
    mode_line,
    parse_date,
    print_counts,
    print_json,
    print_stage_times,
    show_progress,
    write_table,
)


def _print_summary(summary: dict) -> None:
    """A dry run's summary as readable text on stdout."""
    typer.echo(mode_line(summary))
    print_counts([
        ("records", summary["records"]),
        ("candidate pairs", summary["candidate_pairs"]),
        *((f"  by {rule}", n) for rule, n in summary["pairs_by_rule"].items()),
        ("pairs in merge band", summary["pairs_merge_band"]),
        ("pairs in review band", summary["pairs_review_band"]),
        ("clusters to merge", summary["clusters"]),
        ("largest cluster", summary["largest_cluster"]),
        *((f"  of {size} records", n) for size, n in summary["cluster_sizes"].items()),
        ("clusters held for review", summary["clusters_held_for_review"]),
    ])
    print_stage_times(summary)
    typer.echo(f"Would merge {summary['records_to_merge']:,} records")


def _print_apply_summary(summary: dict) -> None:
    """An apply run's summary as readable text on stdout."""
    typer.echo(mode_line(summary))
    lines = [
        ("records", summary["records"]),
        ("candidate pairs", summary["candidate_pairs"]),
        ("pairs in merge band", summary["pairs_merge_band"]),
        ("pairs in review band", summary["pairs_review_band"]),
        ("clusters merged", summary["clusters_merged"]),
        ("records merged", summary["records_merged"]),
        ("cases re-pointed", summary["cases_repointed"]),
        ("tracks re-pointed", summary["tracks_repointed"]),
        ("certificates re-pointed", summary["certificates_repointed"]),
        ("survivor fields filled", summary["fields_filled"]),
        ("proposals queued", summary["proposals_queued"]),
        ("clusters held for review", summary["clusters_held_for_review"]),
    ]
    stragglers = sum(summary["stragglers_repointed"].values())
    if stragglers:
        lines.append(("late rows re-pointed", stragglers))
    print_counts(lines)
    print_stage_times(summary)
    typer.echo(f"Merged {summary['records_merged']:,} records in {summary['clusters_merged']:,} "
               f"clusters (run {summary['run_id']})")


@app.command()
@handled
def run(
    db: DbOption = None,
    rules: RulesOption = None,
    clusters_out: Annotated[Optional[Path], typer.Option(
        help="Write trader_id,cluster_id for every active trader (.csv or .parquet); cluster_id "
             "is the trader that would survive.")] = None,
    today: TodayOption = None,
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
    if clusters_out is not None:
        if apply:
            raise DedupError("--clusters-out is for dry runs: run without --apply to write it")
        api.check_output(clusters_out, "--clusters-out", TABLE_SUFFIXES)  # before the pipeline runs
    rule_set = api.load_rules(rules)
    on_date = parse_date(today, "--today")
    progress = StageProgress(show_progress(silent))
    path = api.resolve_db_path(db)
    if apply:
        summary = api.apply(path, rule_set, full=full, today=on_date, on_stage=progress)
        if as_json:
            print_json(summary)
        else:
            _print_apply_summary(summary)
        return
    result = api.dry_run(path, rule_set, full=full, today=on_date, on_stage=progress,
                         frames=clusters_out is not None)
    if clusters_out is not None:
        write_table(result.clusters.select("trader_id", "cluster_id"), clusters_out, "--clusters-out")
        err.print(f"wrote {clusters_out}")
    if as_json:
        print_json(result.summary)
    else:
        _print_summary(result.summary)


@app.command()
@handled
def evaluate(
    truth: Annotated[Path, typer.Option(help="Ground truth: trader_id,entity_id (.csv or .parquet).")],
    db: DbOption = None,
    rules: RulesOption = None,
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
    report = api.evaluation_report(api.resolve_db_path(db), truth, rules,
                                   on_stage=StageProgress(show_progress(silent)))
    if as_json:
        print_json(report)
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
    api.check_output_folder(data_dir, "--data-dir")
    api.check_output(db, "--db")
    progress = StageProgress(show_progress(silent))
    progress("synth", "start")
    api.synthesise(data_dir, records, seed=seed)
    progress("synth", "end")
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    progress("import", "start")
    imported = api.import_data(db, directory=data_dir)
    progress("import", "end")
    for r in imported.iter_rows(named=True):
        err.print(f"imported {r['rows']:,} {r['table']}")
    _print_summary(api.dry_run(db, full=True, on_stage=progress, frames=False).summary)
    err.print(f"store: {db}; ground truth: {data_dir / 'truth.parquet'}. Next: "
              f"dedup run --db {db} --clusters-out clusters.csv")
