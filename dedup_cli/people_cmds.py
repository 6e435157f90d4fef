"""Who is who (`dedup users add | list | disable`) and what people did (`dedup audit`)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dedup import api
from dedup_cli._app import CsvOption, DbOption, JsonOption, app, emit_rows, err, handled, iso, print_json

users_app = typer.Typer(no_args_is_help=True, help="The users who act on the store (`--as USER`) and their roles.")
app.add_typer(users_app, name="users")

#: `--as USER`: the user a command acts for.
AsOption = Annotated[Optional[str], typer.Option("--as", help="The user this is done for (see 'dedup users list').",
                                                 show_default=False)]


@users_app.command("add")
@handled
def users_add(
    user_id: Annotated[str, typer.Argument(help="The new user's id (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", help="adviser, ts, operations or admin.")],
    db: DbOption = None,
    as_user: AsOption = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Display name.")] = None,
    ts_id: Annotated[Optional[str], typer.Option("--ts-id", help="A ts user's Trading Standards service.")] = None,
    centre: Annotated[Optional[str], typer.Option("--centre", help="An adviser's delivery centre.")] = None,
    restricted: Annotated[bool, typer.Option("--restricted", help="May not create traders.")] = False,
    as_json: JsonOption = False,
):
    """Add a user. Done by an admin (--as ADMIN); a store with no active admin yet takes its first users
    without --as. A ts user needs --ts-id. Audited (see 'dedup audit')."""
    user = api.add_user(api.resolve_db_path(db), user_id, role, as_user=as_user, display_name=name,
                        ts_id=ts_id, centre=centre, restricted=restricted)
    if as_json:
        print_json(user)
    else:
        err.print(f"added user {user['user_id']} ({user['role']}{', restricted' if user['restricted'] else ''})",
                  markup=False)


@users_app.command("list")
@handled
def users_list(
    db: DbOption = None,
    role: Annotated[Optional[str], typer.Option("--role", help="Only users of this role.")] = None,
    include_disabled: Annotated[bool, typer.Option("--all", help="Disabled users too.")] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """List the users: id, name, role, TS (id and name), centre, restricted, disabled."""
    frame = api.users(api.resolve_db_path(db), role=role, include_disabled=include_disabled)
    if emit_rows(frame, as_json, as_csv):
        return
    if frame.is_empty():
        err.print("no users (add one with 'dedup users add' or import users.csv)")
        return
    typer.echo(f"{'user':<14}  {'role':<10}  {'name':<24}  {'ts':<8}  {'centre':<16}  {'restricted':<10}  disabled")
    for r in frame.iter_rows(named=True):
        typer.echo(f"{r['user_id']:<14}  {r['role']:<10}  {(r['display_name'] or '')[:24]:<24}  "
                   f"{r['ts_id'] or '':<8}  {(r['centre'] or '')[:16]:<16}  {'yes' if r['restricted'] else '':<10}  "
                   f"{iso(r['disabled_at'])}")


@users_app.command("disable")
@handled
def users_disable(
    user_id: Annotated[str, typer.Argument(help="The user to disable.")],
    db: DbOption = None,
    as_user: AsOption = None,
):
    """Disable a user (done by an admin, --as ADMIN): they can no longer act with --as. Audited."""
    user = api.disable_user(api.resolve_db_path(db), user_id, as_user=as_user)
    err.print(f"disabled user {user['user_id']}", markup=False)


@app.command("audit")
@handled
def audit(
    db: DbOption = None,
    table: Annotated[Optional[str], typer.Option(
        "--table", help="Only changes to this table (traders, users).")] = None,
    row: Annotated[Optional[str], typer.Option("--row", help="Only changes to the row with this key.")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Only what this user did.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most N entries.")] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """What people did through the engine, newest first: traders created (and duplicate-check refusals
    overridden, with the reason), users added and disabled; each with who, when and the row before and
    after (JSON)."""
    frame = api.audit(api.resolve_db_path(db), table_name=table, row_id=row, user_id=user, limit=limit)
    if emit_rows(frame, as_json, as_csv):
        return
    if frame.is_empty():
        err.print("nothing audited yet")
        return
    typer.echo(f"{'id':>5}  {'when':<19}  {'user':<12}  {'action':<40}  {'table':<8}  {'row':<10}  reason")
    for r in frame.iter_rows(named=True):
        typer.echo(f"{r['audit_id']:>5}  {iso(r['acted_at']):<19}  {r['user_id'] or '-':<12}  {r['action']:<40}  "
                   f"{r['table_name']:<8}  {r['row_id']:<10}  {r['reason'] or ''}")
