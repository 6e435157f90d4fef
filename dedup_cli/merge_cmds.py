"""Commands about merges already made: history, undo (`run --apply` makes them: run_cmds).

Exit codes: 0 success; 1 a handled error with one line on stderr (unknown run, merge or trader;
already undone; undo blocked by a later merge; store in use by another process), the store as it
was; 2 a usage error.
"""

from __future__ import annotations

from typing import Annotated, Optional

import polars as pl
import typer

from dedup import api
from dedup.api import DedupError
from dedup_cli._app import (
    DbOption,
    JsonOption,
    SilentOption,
    app,
    emit_rows,
    err,
    handled,
    iso,
    iso_texts,
    print_json,
)


def _describe(event: dict) -> str:
    """One line for a history event."""
    kind = event["event"]
    if kind in ("merged_into", "absorbed"):
        moved = ", ".join(f"{len(ids)} {table}" for table, ids in sorted(event["moved"].items()))
        filled = [c["field"] for c in event["field_changes"] if c["field"] != "updated_at"]
        score = f", score {event['score']:g}" if event["score"] is not None else ""
        text = (f"merged into {event['survivor_id']}" if kind == "merged_into"
                else f"absorbed {event['merged_id']}")
        text += f" (merge {event['merge_id']}{score}, rules {event['rules']['hash']})"
        text += f"; moved: {moved or 'nothing'}"
        if filled:
            text += f"; survivor filled: {', '.join(filled)}"
        return text
    if kind == "undone":
        return f"merge {event['merge_id']} undone ({event['merged_id']} back from {event['survivor_id']})"
    if kind == "audited":
        reason = f": {event['reason']}" if event["reason"] else ""
        return f"{event['action']} by {event['user_id'] or '-'}{reason}"
    ids = ", ".join(str(i) for i in event["trader_ids"])
    return f"proposed for review ({event['kind']}: {ids}; proposal {event['proposal_id']}, {event['status']})"


@app.command()
@handled
def history(
    trader: Annotated[int, typer.Option("--trader", help="The trader's id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option(
        "--csv", help="Print the events as CSV on stdout (nested values as JSON).")] = False,
):
    """Show everything that happened to a trader: merges into and out of it (with their
    explanation, the child rows moved and fields filled), undos, and review proposals.

    Exit codes: 0 success; 1 unknown trader, or the store is missing or in use.
    """
    report = api.history_report(api.resolve_db_path(db), trader)
    # the merged record and the fields filled, kept as text in the audit: their dates in ISO too
    report["events"] = [{**e, **{k: iso_texts(e[k]) for k in ("record_before", "field_changes") if k in e}}
                        for e in report["events"]]
    if as_csv:
        emit_rows(pl.DataFrame(report["events"], infer_schema_length=None), as_json, as_csv)
        return
    if as_json:
        print_json(report)
        return
    t = report["trader"]
    state = t["status"]
    if t["status"] == "merged":
        state += f" into {t['merged_into']}, now {t['resolved_id']}"
    typer.echo(f"trader {t['trader_id']} {t['name']!r}: {state}"
               f"{' (whitelisted)' if t['whitelisted'] else ''}")
    if not report["events"]:
        typer.echo("no merges, undos or proposals")
    for event in report["events"]:
        at = iso(event["at"]) or "?"
        run = f"run {event['run_id']:<5}" if event["run_id"] is not None else " " * 9
        typer.echo(f"{at}  {run} {_describe(event)}")


@app.command()
@handled
def undo(
    run_id: Annotated[Optional[int], typer.Option(
        "--run", help="Undo every merge of this apply run that is not undone yet.")] = None,
    merge_id: Annotated[Optional[int], typer.Option("--merge", help="Undo this one merge.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    silent: SilentOption = False,
):
    """Undo a whole apply run (--run) or one merge (--merge), in one transaction.

    Merged records come back; exactly the child rows that were moved go back to them (rows added
    to the survivor since stay where they are); filled survivor fields are reverted. The undo is
    recorded as a run of its own and cannot be applied twice. An undo is refused while the
    survivor has since been merged into another record: undo that later merge first.

    Exit codes: 0 success; 1 unknown run or merge, already undone, blocked by a later merge, or
    the store is missing or in use.
    """
    if (run_id is None) == (merge_id is None):
        raise DedupError("give exactly one of --run RUN_ID and --merge MERGE_ID")
    summary = api.undo(api.resolve_db_path(db), run=run_id, merge=merge_id)
    if as_json:
        print_json(summary)
        return
    target = f"run {run_id}" if run_id is not None else f"merge {merge_id}"
    typer.echo(f"undid {summary['merges_undone']:,} merge(s) of {target} "
               f"(recorded as run {summary['undo_run_id']})")
    for table in ("cases", "tracks", "certificates"):
        left = summary[f"{table}_left_in_place"]
        typer.echo(f"{table + ' moved back':<28}{summary[f'{table}_moved_back']:>12,}"
                   + (f"  ({left:,} re-pointed since, left in place)" if left else ""))
    typer.echo(f"{'records restored':<28}{summary['records_restored']:>12,}")
    typer.echo(f"{'survivor fields reverted':<28}{summary['fields_reverted']:>12,}")
    if not silent and summary["fields_kept"]:
        err.print(f"{summary['fields_kept']} filled field(s) changed since the merge were kept")
