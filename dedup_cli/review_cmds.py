"""The review queue (`dedup review ...`) and the decisions it leaves (`dedup decisions ...`).

Exit codes: 0 success; 1 a handled error with one line on stderr (unknown or closed proposal,
unknown decision, a bad decisions file, the store missing or in use), the store as it was; 2 a
usage error.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Annotated, Optional

import typer

from dedup import api
from dedup.api import COMPARED_FIELDS
from dedup_cli._app import (
    CsvOption,
    DbOption,
    JsonOption,
    RulesOption,
    TodayOption,
    app,
    emit_rows,
    err,
    handled,
    iso,
    parse_date,
    print_json,
)

review_app = typer.Typer(no_args_is_help=True, help="The review queue: list, show, accept and "
                                                     "reject proposals.")
decisions_app = typer.Typer(no_args_is_help=True, help="Review decisions: list, withdraw, "
                                                        "export and import them.")
app.add_typer(review_app, name="review")
app.add_typer(decisions_app, name="decisions")

ByOption = Annotated[str, typer.Option("--by", help="Who decides (recorded with the decision).")]
NoteOption = Annotated[Optional[str], typer.Option("--note", help="Why (recorded).")]


@review_app.command("list")
@handled
def review_list(
    db: DbOption = None,
    run_id: Annotated[Optional[int], typer.Option("--run", help="Only proposals of this run.")] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help="open, accepted, rejected, stale or undone (accepted, then its merge "
                         "undone).")] = None,
    min_score: Annotated[Optional[float], typer.Option("--min-score", help="Score at least.")] = None,
    trader: Annotated[Optional[int], typer.Option("--trader", help="Only proposals naming it.")] = None,
    tracked: Annotated[bool, typer.Option(
        "--tracked", help="Only proposals naming a trader with an active track.")] = False,
    sort: Annotated[str, typer.Option("--sort", help="newest or score.")] = "newest",
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most N rows.")] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """List review proposals (default: every status, newest first)."""
    frame = api.proposals(api.resolve_db_path(db), run=run_id, status=status, min_score=min_score,
                          trader=trader, tracked=tracked, sort=sort, limit=limit)
    if emit_rows(frame, as_json, as_csv):
        return
    if frame.is_empty():
        err.print("no proposals")
        return
    width = max(6, *(len(r or "") for r in frame["reason"]))
    typer.echo(f"{'id':>6}  {'run':>4}  {'status':<8}  {'kind':<12}  {'score':>6}  {'reason':<{width}}  traders")
    for r in frame.iter_rows(named=True):
        score = f"{r['score']:.2f}" if r["score"] is not None else "-"
        names = " | ".join(f"{i} {n}" for i, n in zip(r["trader_ids"], r["names"] or []))
        typer.echo(f"{r['proposal_id']:>6}  {r['run_id']:>4}  {r['status']:<8}  {r['kind']:<12}  "
                   f"{score:>6}  {r['reason'] or '-':<{width}}  {names}")


#: `review show`'s layout: "* field" in LABEL characters, then a column per record.
LABEL, GAP, MIN_COLUMN = 16, 2, 16


def _wrapped(value, width: int) -> list[str]:
    """A field's full value in lines of at most `width` characters (long words broken)."""
    return textwrap.wrap(iso(value), width, break_on_hyphens=False) or [""]


def _print_records(records: list[dict], differing: list[str]) -> None:
    """The records side by side, one column each, every value in full, wrapped to the terminal
    ($COLUMNS, else the terminal's width); with too many records for the width, one record
    after another."""
    total = shutil.get_terminal_size((100, 24)).columns
    column = (total - LABEL) // max(len(records), 1) - GAP
    marks = {field: "*" if field in differing else " " for field in COMPARED_FIELDS}
    if column < MIN_COLUMN:
        for r in records:
            typer.echo(f"  trader {r['trader_id']}:")
            for field in COMPARED_FIELDS:
                for i, line in enumerate(_wrapped(r[field], max(total - LABEL, MIN_COLUMN))):
                    typer.echo(((f"{marks[field]} {field:<14}" if i == 0 else " " * LABEL) + line).rstrip())
        return
    typer.echo((" " * LABEL + "".join(f"{r['trader_id']:<{column + GAP}}" for r in records)).rstrip())
    for field in COMPARED_FIELDS:
        cells = [_wrapped(r[field], column) for r in records]
        for i in range(max(map(len, cells))):
            prefix = f"{marks[field]} {field:<14}" if i == 0 else " " * LABEL
            typer.echo((prefix + "".join(f"{c[i] if i < len(c) else '':<{column + GAP}}"
                                         for c in cells)).rstrip())


@review_app.command("show")
@handled
def review_show(
    proposal_id: Annotated[int, typer.Argument(help="The proposal's id.")],
    db: DbOption = None,
    today: Annotated[Optional[str], typer.Option(
        help="Date (YYYY-MM-DD) on which a track counts as active. Default: today.")] = None,
    as_json: JsonOption = False,
):
    """Show a proposal: its records side by side (differing fields marked *), the explanation's
    levels and weights, hard rules, and what a merge would move.

    When a record was merged or changed since the proposal was queued, says so; an open pair
    whose records are still active is scored again as they are now (the next apply closes it as
    stale and, if the pair still belongs in review, queues it afresh)."""
    report = api.proposal(api.resolve_db_path(db), proposal_id, parse_date(today, "--today"))
    report["records"] = report["records"].to_dicts()
    if as_json:
        print_json(report)
        return
    score = f", score {report['score']:.2f}" if report["score"] is not None else ""
    typer.echo(f"proposal {report['proposal_id']} ({report['kind']}{score}), run {report['run_id']}: "
               f"{report['status']}" + (f" ({report['closed_reason']})" if report["closed_reason"] else ""))
    if report.get("reason"):
        typer.echo(f"  why in review: {report['reason']}")
    if report.get("changed_since"):
        typer.echo(f"  changed since proposed: {'; '.join(report['changed_since'])}")
        current = report.get("current")
        if current:
            typer.echo(f"  scored again as the records are now: {current['score']:.2f} ({current['band']} band); "
                       f"the explanation below is of the records when proposed")
    records = report["records"]
    _print_records(records, report["differing_fields"])
    typer.echo("  what a merge would move (cases / tracks / certificates):")
    for r in records:
        flags = [f for f in ("whitelisted", "tracked") if r[f]]
        typer.echo(f"    {r['trader_id']}: {r['cases']} / {r['tracks']} / {r['certificates']}"
                   + (f"  [{', '.join(flags)}]" if flags else ""))
    expl = report["explanation"] or {}
    if "comparisons" in expl:
        typer.echo(f"  comparisons (pair {expl.get('pair')}, blocked by {expl.get('blocking_rule')}):")
        for c in expl["comparisons"]:
            typer.echo(f"    {c['comparison']:<14} level {c['level']}  {c['weight']:>7.2f}  {c['label']}")
        for e in expl.get("shared_evidence") or []:
            typer.echo(f"    {'shared':<14} {e['evidence']:<7}  {e['weight']:>7.2f}  held by many businesses")
        rules = expl.get("hard_rules") or []
        typer.echo("  hard rules: " + (", ".join(f"{h.get('rule')} ({h.get('effect', '')})".replace(" ()", "")
                                                  for h in rules) or "none"))
    elif expl:
        typer.echo(f"  held back: {expl.get('reason')} (size {expl.get('size')})")


@review_app.command("accept")
@handled
def review_accept(
    proposal_id: Annotated[int, typer.Argument(help="The proposal's id.")],
    by: ByOption,
    note: NoteOption = None,
    db: DbOption = None,
    rules: RulesOption = None,
    today: TodayOption = None,
    survivor: Annotated[Optional[int], typer.Option(
        "--survivor", help="The trader_id that survives (one of the proposal's records; a "
                           "whitelisted record always survives). Default: the rule set's survivor "
                           "order.")] = None,
    as_json: JsonOption = False,
):
    """Accept an open proposal: merge its records (the overnight job's merge, audit and run
    record) and record an always-merge decision, in one transaction. The rule set (--rules)
    gives the survivor order and the fields to fill; --survivor chooses the survivor instead.
    Prints which record survived."""
    rule_set = api.load_rules(rules)
    result = api.accept(api.resolve_db_path(db), proposal_id, by=by, note=note, rules=rule_set,
                        today=parse_date(today, "--today"), survivor=survivor)
    if as_json:
        print_json(result)
        return
    merged = [i for i in result["trader_ids"] if i != result["survivor_id"]]
    typer.echo(f"accepted proposal {proposal_id}: merged {', '.join(map(str, merged))} into "
               f"{result['survivor_id']}, which survives (run {result['run_id']}, "
               f"decision {result['decision_id']})")


@review_app.command("reject")
@handled
def review_reject(
    proposal_id: Annotated[int, typer.Argument(help="The proposal's id.")],
    by: ByOption,
    note: NoteOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Reject an open proposal: later runs neither propose nor merge these records together,
    until one of them changes (or the decision is withdrawn)."""
    result = api.reject(api.resolve_db_path(db), proposal_id, by=by, note=note)
    if as_json:
        print_json(result)
        return
    typer.echo(f"rejected proposal {proposal_id} (never-merge decision {result['decision_id']})")


@decisions_app.command("list")
@handled
def decisions_list(db: DbOption = None, as_json: JsonOption = False, as_csv: CsvOption = False):
    """List decisions; `active` says whether each still applies."""
    frame = api.decisions(api.resolve_db_path(db))
    if emit_rows(frame, as_json, as_csv):
        return
    if frame.is_empty():
        err.print("no decisions")
        return
    for r in frame.iter_rows(named=True):
        state = "active" if r["active"] else ("withdrawn" if r["withdrawn_at"] else "lapsed")
        ids = ", ".join(map(str, r["trader_ids"]))
        typer.echo(f"{r['decision_id']:>5}  {r['kind']:<12}  {state:<9}  {iso(r['decided_at'])}  "
                   f"{r['decided_by']}: {ids}" + (f"  ({r['note']})" if r["note"] else ""))


@decisions_app.command("withdraw")
@handled
def decisions_withdraw(
    decision_id: Annotated[int, typer.Argument(help="The decision's id.")],
    by: ByOption,
    db: DbOption = None,
):
    """Withdraw a decision: a withdrawn never-merge no longer keeps its records apart."""
    api.withdraw_decision(api.resolve_db_path(db), decision_id, by=by)
    typer.echo(f"withdrew decision {decision_id}")


@decisions_app.command("export")
@handled
def decisions_export(
    file: Annotated[Path, typer.Argument(help="The CSV file to write.")],
    db: DbOption = None,
):
    """Write every decision to a CSV file (trader_ids separated by ';')."""
    n = api.export_decisions(api.resolve_db_path(db), file)
    err.print(f"wrote {n} decision(s) to {file}")


@decisions_app.command("import")
@handled
def decisions_import(
    file: Annotated[Path, typer.Argument(help="A CSV file written by 'dedup decisions export'.")],
    db: DbOption = None,
):
    """Load decisions from a CSV file, all or nothing (for a rebuilt store). Each is anchored to
    its records as they are now; decisions already present are skipped."""
    result = api.import_decisions(api.resolve_db_path(db), file)
    typer.echo(f"imported {result['decisions_added']} decision(s), "
               f"skipped {result['decisions_skipped']} already present")
