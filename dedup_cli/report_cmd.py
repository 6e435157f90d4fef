"""Reports on the store (`dedup report ...`)."""

from __future__ import annotations

import typer

from dedup import api
from dedup.api import DedupError
from dedup_cli._app import CsvOption, DbOption, JsonOption, app, emit_rows, err, handled

report_app = typer.Typer(no_args_is_help=True, help="Reports on what the engine did.")
app.add_typer(report_app, name="report")


@report_app.command("placeholder-fills")
@handled
def placeholder_fills(
    db: DbOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """Merges whose survivor a placeholder ("N/A", "TBC", "-") spoilt, from before survivorship
    knew placeholders mean missing: `placeholder_filled` (the merge copied one into the
    survivor) and `value_not_taken` (the merged record had a real value the survivor, holding a
    placeholder, did not take). Live merges only; the survivor's value as it is now.

    Repair: `dedup undo --run R`, then `dedup run --apply --full` (it fills by today's rule).
    """
    if as_json and as_csv:
        raise DedupError("give at most one of --json and --csv")
    frame = api.placeholder_fills(api.resolve_db_path(db))
    if emit_rows(frame, as_json, as_csv):
        return
    if frame.is_empty():
        err.print("no merge filled a placeholder or kept one over a real value")
        return
    typer.echo(f"{'merge':>7}  {'run':>4}  {'survivor':>9}  {'merged':>9}  {'field':<8}  "
               f"{'kind':<18}  survivor now -> merged record's")
    for r in frame.iter_rows(named=True):
        typer.echo(f"{r['merge_id']:>7}  {r['run_id']:>4}  {r['survivor_id']:>9}  "
                   f"{r['merged_id']:>9}  {r['field']:<8}  {r['kind']:<18}  "
                   f"{r['survivor_value']!r} -> {r['merged_value']!r}")
    err.print(f"{frame.height:,} spoilt field{'s' if frame.height != 1 else ''} in "
              f"{frame['merge_id'].n_unique():,} merges")
