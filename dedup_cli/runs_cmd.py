"""`dedup runs`: the runs the store recorded (applies, accepted proposals, undos), for the ids
that `dedup undo --run` and `dedup review list --run` take.

Exit codes: 0 success; 1 a handled error with one line on stderr (unknown run, a bad --kind or
--status, the store missing or in use); 2 a usage error.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dedup import api
from dedup_cli._app import (
    CsvOption,
    DbOption,
    JsonOption,
    app,
    emit_rows,
    err,
    handled,
    iso,
    iso_texts,
    print_json,
    print_stages,
)

runs_app = typer.Typer(help="The runs the store recorded: every apply, accepted proposal and undo, "
                            "newest first (`dedup runs` lists them; `dedup runs show ID` shows one).")
app.add_typer(runs_app, name="runs")

KindOption = Annotated[Optional[str], typer.Option("--kind", help="apply, accept or undo.")]
StatusOption = Annotated[Optional[str], typer.Option(
    "--status", help="running, succeeded, failed or interrupted.")]
LimitOption = Annotated[Optional[int], typer.Option("--limit", min=1, help="At most N runs.")]


def _count(value) -> str:
    return "-" if value is None else f"{value:,}"


def _what(r: dict) -> str:
    """What a run did, in a few words."""
    if r["kind"] == "undo":
        return f"undid {r['undoes']}: {_count(r['records_restored'])} records restored"
    text = f"merged {_count(r['records_merged'])}"
    if r["kind"] == "apply":
        text += f", queued {_count(r['proposals_queued'])} proposals"
    if r["undone_by"]:
        text += f"; undone by run {', '.join(map(str, r['undone_by']))}"
    if r["error"]:
        text += f"; {r['error']}"
    return text


def list_runs(db, kind, status, limit, as_json: bool, as_csv: bool) -> None:
    frame = api.runs(api.resolve_db_path(db), kind=kind, status=status, limit=limit)
    if emit_rows(frame, as_json, as_csv):
        return
    if frame.is_empty():
        err.print("no runs yet (dry runs are not recorded; 'dedup run --apply' records one)")
        return
    typer.echo(f"{'id':>5}  {'kind':<6}  {'status':<11}  {'started':<19}  {'finished':<19}  "
               f"{'scope':<11}  {'rule set':<20}  what")
    for r in frame.iter_rows(named=True):
        typer.echo(f"{r['run_id']:>5}  {r['kind']:<6}  {r['status']:<11}  {iso(r['started_at']):<19}  "
                   f"{iso(r['finished_at']):<19}  {r['scope'] or '-':<11}  "
                   f"{(r['rules_name'] or '-')[:20]:<20}  {_what(r)}")


@runs_app.callback(invoke_without_command=True)
@handled
def runs_main(ctx: typer.Context, db: DbOption = None, kind: KindOption = None,
              status: StatusOption = None, limit: LimitOption = None, as_json: JsonOption = False,
              as_csv: CsvOption = False):
    """List the recorded runs, newest first: id, kind (apply, accept for an accepted review
    proposal, undo), status, start and end, scope (full or incremental), rule set, and what each
    did (records merged and proposals queued; for an undo, what it undid). Dry runs change
    nothing and are not recorded."""
    if ctx.invoked_subcommand is None:
        list_runs(db, kind, status, limit, as_json, as_csv)


@runs_app.command("list")
@handled
def runs_list(db: DbOption = None, kind: KindOption = None, status: StatusOption = None,
              limit: LimitOption = None, as_json: JsonOption = False, as_csv: CsvOption = False):
    """List the recorded runs, newest first (the same as `dedup runs`)."""
    list_runs(db, kind, status, limit, as_json, as_csv)


@runs_app.command("show")
@handled
def runs_show(
    run_id: Annotated[int, typer.Argument(help="The run's id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Show one run: kind, status, times, rule set, and its whole summary (counts per table,
    the pipeline's numbers, the time of every stage)."""
    run = api.run_details(api.resolve_db_path(db), run_id)
    run["summary"] = iso_texts(run["summary"])
    if as_json:
        print_json(run)
        return
    scope = f" ({run['scope']})" if run["scope"] else ""
    typer.echo(f"run {run['run_id']}: {run['kind']}{scope}, {run['status']}")
    typer.echo(f"{'started':<28}{iso(run['started_at'])}")
    typer.echo(f"{'finished':<28}{iso(run['finished_at']) or '-'}")
    if run["rules_hash"]:
        typer.echo(f"{'rule set':<28}{run['rules_name']} ({run['rules_hash']})")
    if run["undone_by"]:
        typer.echo(f"{'undone by run':<28}{', '.join(map(str, run['undone_by']))}")
    summary = run["summary"]
    for key, value in summary.items():
        if key in ("run_id", "mode", "groups", "rules", "stages", "undo_run_id") or isinstance(value, list):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in value.items())
        elif isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        typer.echo(f"{key.replace('_', ' '):<28}{value}")
    if summary.get("stages"):
        print_stages(summary["stages"])
