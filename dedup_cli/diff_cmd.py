"""`dedup diff`: what a rule change would do, before adopting it (a dry run of two rule sets)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dedup import api
from dedup.api import CLUSTER_CHANGES, DESCRIPTIONS, RECORD_FIELDS, SIDES
from dedup_cli._app import (
    DbOption,
    JsonOption,
    SilentOption,
    StageProgress,
    TodayOption,
    app,
    err,
    handled,
    parse_date,
    show_progress,
)


def _score(score, band) -> str:
    return "not scored" if score is None else f"{score:.2f} {band}"


def _record(row: dict, prefix: str) -> str:
    return " | ".join("" if row[f"{prefix}{f}"] is None else str(row[f"{prefix}{f}"])
                      for f in RECORD_FIELDS)


def _print_table(diff) -> None:
    typer.echo(f"old: {diff.old.name} ({diff.old.hash})  merge {diff.old.merge_threshold:g}  "
               f"review {diff.old.review_threshold:g}")
    typer.echo(f"new: {diff.new.name} ({diff.new.hash})  merge {diff.new.merge_threshold:g}  "
               f"review {diff.new.review_threshold:g}")
    typer.echo(f"{'':<26}{'old':>12}{'new':>12}")
    for label, key in (("pairs in merge band", "pairs_merge_band"),
                       ("pairs in review band", "pairs_review_band"),
                       ("clusters to merge", "clusters"), ("records to merge", "records_to_merge"),
                       ("clusters held for review", "clusters_held_for_review")):
        typer.echo(f"{label:<26}" + "".join(f"{diff.runs[s][key]:>12,}" for s in SIDES))
    typer.echo("")
    for change, meaning in DESCRIPTIONS.items():
        typer.echo(f"{change:<18}{diff.counts[change]:>10,}  {meaning}")
    metrics = diff.metrics
    if "truth" in metrics.get("old", {}):
        typer.echo("")
        for k in ("precision", "recall", "f1"):
            typer.echo(f"{k:<18}{metrics['old']['truth'][k]:>10.4f} -> {metrics['new']['truth'][k]:.4f}"
                       f"  {metrics['direction'][k]}")
    if "decisions" in metrics.get("old", {}):
        typer.echo("")
        for kind in ("never_merge", "always_merge"):
            o, n = metrics["old"]["decisions"][kind], metrics["new"]["decisions"][kind]
            typer.echo(f"{kind + ' pairs':<18}{o['pairs']:>10,}  rules alone merge / propose: "
                       f"old {o['rules_merge']:,} / {o['rules_review']:,}, "
                       f"new {n['rules_merge']:,} / {n['rules_review']:,}")
    if diff.empty:
        typer.echo("\nNo changes: the two rule sets give the same bands and clusters.")
        return
    for change, frame in diff.examples.items():
        typer.echo(f"\n{change} (examples):")
        if change in CLUSTER_CHANGES:
            for cluster in frame["cluster"].unique(maintain_order=True):
                typer.echo(f"  cluster {cluster}:")
                for row in frame.filter(frame["cluster"] == cluster).iter_rows(named=True):
                    typer.echo(f"    {row['trader_id']}  old {row['old_cluster']}  new {row['new_cluster']}"
                               f"  {_record(row, '')}")
            continue
        for row in frame.iter_rows(named=True):
            typer.echo(f"  old {_score(row['old_score'], row['old_band'])}, "
                       f"new {_score(row['new_score'], row['new_band'])}")
            typer.echo(f"    {row['left_id']}  {_record(row, 'left_')}")
            typer.echo(f"    {row['right_id']}  {_record(row, 'right_')}")


@app.command()
@handled
def diff(
    rules: Annotated[Path, typer.Option("--rules", help="The new rule file (TOML) to try.")],
    db: DbOption = None,
    against: Annotated[Optional[Path], typer.Option(
        "--against", help="The rule file to compare with. Default: the rule set of the last "
                          "successful apply run (the packaged default when there is none).")] = None,
    truth: Annotated[Optional[Path], typer.Option(
        help="Ground truth (trader_id,entity_id; .csv or .parquet): report pairwise precision, "
             "recall and F1 of both runs and which way each moves.")] = None,
    examples: Annotated[int, typer.Option(min=0, help="Examples per category.")] = 5,
    as_json: JsonOption = False,
    html: Annotated[Optional[Path], typer.Option(
        "--html", help="Also write a self-contained HTML report (examples side by side, a score "
                       "histogram per rule set; no network needed to view it).")] = None,
    today: TodayOption = None,
    silent: SilentOption = False,
):
    """Compare two rule sets on the store: what would merge, split or go to review differently.

    Both rule sets run the whole pipeline as full dry runs (nothing in the store changes), then:

    - merge_gained / merge_lost: pairs that enter / leave the merge band (from or to review or
      none);
    - review_gained / review_lost: pairs that enter / leave the review band from / to none;
    - together_gained / together_lost: pairs of records in one merging cluster only under the
      new / old rules;
    - clusters_split: old merging clusters whose records end in more than one new cluster;
    - clusters_joined: new merging clusters made of more than one old cluster (a record in no
      merging cluster counts as a cluster of one; held clusters do not merge, so their records
      count as apart).

    Each changed pair is in exactly one pair category. Then examples of each (the records' name,
    address, postcode, phone and website with both scores and bands). With --truth, precision,
    recall and F1 of each run and their direction; when the store has active review decisions,
    how many of their pairs each rule set on its own would merge or propose (never-merge: the
    fewer merged the better; always-merge: the more the better; in a run the decisions win).
    """
    if html is not None:
        api.check_output(html, "--html")  # before both pipelines run
    new_rules = api.load_rules(rules)
    old_rules = api.load_rules(against) if against is not None else None
    on_date = parse_date(today, "--today")
    result = api.diff_rules(api.resolve_db_path(db), new_rules, old_rules, truth=truth, examples=examples,
                            today=on_date, on_stage=StageProgress(show_progress(silent)))
    if result.against_note:
        err.print(result.against_note, markup=False)
    if html is not None:
        api.write_diff_html(result, html)
        if not silent:
            err.print(f"wrote {html}", markup=False)
    if as_json:
        typer.echo(result.to_json())
    else:
        _print_table(result)
