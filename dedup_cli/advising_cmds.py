"""What advisers and Trading Standards use every day: `dedup search`, `dedup check` and
`dedup traders add` (the creation gate)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dedup import api
from dedup.api import DedupError
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
from dedup_cli.people_cmds import AsOption

traders_app = typer.Typer(no_args_is_help=True, help="Trader records: creating one after the duplicate check.")
app.add_typer(traders_app, name="traders")

NameOption = Annotated[str, typer.Option("--name", help="The trader's name (required).", show_default=False)]
AddressOption = Annotated[Optional[str], typer.Option(
    "--address", help="The address as comma-separated lines (at most 6).")]
PostcodeOption = Annotated[Optional[str], typer.Option("--postcode", help="The postcode, any spacing or case.")]
PhoneOption = Annotated[Optional[str], typer.Option("--phone", help="A phone number.")]
WebsiteOption = Annotated[Optional[str], typer.Option("--website", help="A website address.")]


def _where(row: dict) -> str:
    return ", ".join(v for v in (row["address"], row["postcode"]) if v)


def _marks(row: dict) -> str:
    return " ".join(m for m, on in (("tracked", row["tracked"]), ("certified", row["certified"])) if on)


@app.command()
@handled
def search(
    name: Annotated[Optional[str], typer.Argument(help="The start of the trader's name (required, except with "
                                                       "--recent).", show_default=False)] = None,
    db: DbOption = None,
    address_contains: Annotated[Optional[str], typer.Option(
        "--address-contains", help="Only traders whose address contains this text (as typed or normalised).")] = None,
    postcode: Annotated[Optional[str], typer.Option(
        "--postcode", help="Only traders with this postcode (any spacing or case; an outward code such as TR1 "
                           "or an area such as TR matches the district or area).")] = None,
    recent: Annotated[bool, typer.Option(
        "--recent", help="Instead: the traders created in the last 30 days whose postcode maps to the --as "
                         "user's Trading Standards service (ts_areas).")] = False,
    as_user: AsOption = None,
    today: TodayOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """Search live traders: the name matches by "begins with" on the normalised name ("Amazon" finds Amazon
    Windows and Amazon Bathrooms, "mabels" finds Mabel's Boutique); --address-contains and --postcode narrow
    it. Merged records are found as the record they were merged into, once. At most 100 rows, newest first,
    each marked tracked / certified when it has an active track / certificate."""
    if as_json and as_csv:
        raise DedupError("give at most one of --json and --csv")
    day = parse_date(today, "--today")
    path = api.resolve_db_path(db)
    if recent:
        if name or address_contains or postcode:
            raise DedupError("--recent takes no NAME, --address-contains or --postcode")
        found = api.recent_traders(path, as_user=as_user, today=day)
    else:
        if not name:
            raise DedupError("NAME: give the start of the trader's name (or --recent --as USER)")
        found = api.search_traders(path, name, address_contains=address_contains, postcode=postcode, today=day)
    if emit_rows(found.rows, as_json, as_csv):
        return
    shown = f" (the newest {found.rows.height} shown)" if found.total > found.rows.height else ""
    err.print(f"{found.total:,} matching trader record{'s' if found.total != 1 else ''} found{shown}", markup=False)
    if found.rows.is_empty():
        return
    added = "added               " if recent else ""
    typer.echo(f"{'reference':<9}  {'trader name':<32}  {added}{'tracked / certified':<20}  address")
    for r in found.rows.iter_rows(named=True):
        via = f"  (found as {', '.join(map(str, r['via']))})" if r["via"] else ""
        date = f"{iso(r['created_at']):<19} " if recent else ""
        typer.echo(f"{r['trader_id']:<9}  {r['name'][:32]:<32}  {date}{_marks(r):<20}  {_where(r)}{via}")


@app.command()
@handled
def check(
    name: NameOption,
    db: DbOption = None,
    address: AddressOption = None,
    postcode: PostcodeOption = None,
    phone: PhoneOption = None,
    website: WebsiteOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most N candidates.")] = 10,
    rules: RulesOption = None,
    today: TodayOption = None,
    full: Annotated[bool, typer.Option("--full", help="Survivors from a full pending run, not the "
                                                      "increment since the last apply.")] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """The duplicate check: the live records most likely to be this trader, ranked, each with its band (merge:
    the overnight job would merge the two; review: it would propose them; weak), score, the survivor of the
    cluster it is in, and per field why. The same normaliser, blocking rules, comparisons, term-frequency
    adjustments, hard rules and thresholds as the overnight job, applied to one record."""
    if as_json and as_csv:
        raise DedupError("give at most one of --json and --csv")
    result = api.check_trader(api.resolve_db_path(db), name=name, address=address, postcode=postcode, phone=phone,
                              website=website, rules=rules, today=parse_date(today, "--today"), full=full,
                              limit=limit)
    frame = result.candidates
    if as_json:
        print_json({"reference": result.reference, "merge_into": result.merge_into, "normalised": result.normalised,
                    "candidates": frame.to_dicts()})
        return
    if emit_rows(frame, False, as_csv):
        return
    if frame.is_empty():
        err.print("no live record is like this trader", markup=False)
        return
    typer.echo(f"{'rank':>4}  {'band':<6}  {'score':>6}  {'reference':<9}  {'survivor':<9}  {'trader name':<32}  "
               f"address")
    for r in frame.iter_rows(named=True):
        typer.echo(f"{r['rank']:>4}  {r['band']:<6}  {r['score']:>6.1f}  {r['trader_id']:<9}  {r['survivor_id']:<9}  "
                   f"{r['name'][:32]:<32}  {_where(r)}")
    for r in frame.filter(frame["band"] != "weak").iter_rows(named=True):
        held = f": {r['hold_reason']}" if r["hold_reason"] else ""
        typer.echo(f"\n{r['trader_id']} ({r['band']}, {r['score']:.1f}){held}")
        for c in r["explanation"]["comparisons"]:
            typer.echo(f"  {c['comparison']:<13}{c['weight']:>+6.1f}  {c['label']}: {c['new']!r} / {c['existing']!r}")
        for h in r["explanation"]["hard_rules"]:
            typer.echo(f"  hard rule {h['rule']} ({h['effect']})")
    err.print(f"would be merged into {result.merge_into} by the next overnight run" if result.merge_into
              else "no live record is in the merge band", markup=False)


@traders_app.command("add")
@handled
def traders_add(
    name: NameOption,
    as_user: AsOption = None,
    db: DbOption = None,
    address: AddressOption = None,
    postcode: PostcodeOption = None,
    phone: PhoneOption = None,
    website: WebsiteOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Create it even though a live record is in the merge band (needs --reason).")] = False,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why, with --force (audited).")] = None,
    rules: RulesOption = None,
    today: TodayOption = None,
    as_json: JsonOption = False,
):
    """Create a trader with a new 8-digit reference, after the duplicate check. Refused (exit 1, one line with
    the reason and the existing record's reference) for a restricted user, when the name is a whitelisted
    trader's, or when a live record is in the merge band; a user who may create traders may override the
    last with --force --reason TEXT. Every creation and override is audited (dedup audit). Prints the new
    reference."""
    created = api.add_trader(api.resolve_db_path(db), as_user=as_user, name=name, address=address,
                             postcode=postcode, phone=phone, website=website, force=force, reason=reason,
                             rules=rules, today=parse_date(today, "--today"))
    if as_json:
        print_json(created)
        return
    typer.echo(created["trader_id"])
    passed = [str(c["trader_id"]) for c in created["candidates"] if c["band"] == "merge"]
    over = f", over the duplicate check (merge band: {', '.join(passed)}; reason audited)" if created["overridden"] \
        else ""
    review = [str(c["trader_id"]) for c in created["candidates"] if c["band"] == "review"]
    err.print(f"created trader {created['trader_id']} ({created['name']}){over}"
              + (f"; possible duplicates for review: {', '.join(review)}" if review else ""), markup=False)

