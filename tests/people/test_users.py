"""Who is who: the users and ts_areas tables (imported like the others), `dedup users add | list |
disable`, `--as USER` resolution, the audit of each change, and migration 8."""

from __future__ import annotations

import json

import duckdb
import pytest

from dedup.sql import Runner
from dedup.store import LATEST_VERSION, Store, migrate
from dedup_cli import app

USERS_CSV = ("user_id,display_name,role,ts_id,centre,restricted\n"
             "ann,Ann Admin,admin,,,\n"
             "adv1,Adviser One,adviser,,Leeds,false\n"
             "adv2,Adviser Two,adviser,,Leeds,true\n"
             "corn,Cornwall TS,ts,TS123,,\n")
AREAS_CSV = "postcode_prefix,ts_id,ts_name\nTR,TS123,Cornwall Trading Standards\ntr 1,TS124,Truro Trading Standards\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def people_store(cli, db_path, tmp_path):
    result = cli.invoke(app, ["import", "--db", str(db_path), "--users", str(write(tmp_path, "u.csv", USERS_CSV)),
                              "--ts-areas", str(write(tmp_path, "a.csv", AREAS_CSV))])
    assert result.exit_code == 0, result.output
    return db_path


def users_cli(cli, db_path, *args):
    return cli.invoke(app, ["users", *args, "--db", str(db_path)])


def test_users_and_ts_areas_import_like_the_other_tables(people_store):
    with Store(people_store, read_only=True) as store:
        users = store.con.execute("SELECT user_id, role, ts_id, centre, restricted FROM users ORDER BY 1").fetchall()
        areas = store.con.execute("SELECT postcode_prefix, ts_id FROM ts_areas ORDER BY 1").fetchall()
    assert users == [("adv1", "adviser", None, "Leeds", False), ("adv2", "adviser", None, "Leeds", True),
                     ("ann", "admin", None, None, None), ("corn", "ts", "TS123", None, None)]
    assert areas == [("TR", "TS123"), ("TR1", "TS124")]  # "tr 1" stored compact and upper case


@pytest.mark.parametrize(("table", "text", "message"), [
    ("users", "user_id,role\nx,boss\n", "row 1, column role: 'boss' is not one of adviser, ts, operations, admin"),
    ("users", "user_id,role,ts_id\nx,ts,\n", "row 1, column ts_id: is empty: a ts user needs the ts_id"),
    ("users", "user_id,role\nx,ts\n", "row 1, column ts_id: is empty: a ts user needs the ts_id"),
    ("users", "user_id,role,restricted\nx,adviser,perhaps\n", "column restricted: 'perhaps' is not true or false"),
    ("users", "user_id,role\nx,adviser\nx,admin\n", "row 1, column user_id: x is repeated on row 2"),
    ("ts-areas", "postcode_prefix,ts_id\nTR1 1AA,TS1\n", "column postcode_prefix: 'TR1 1AA' is not a postcode area"),
    ("ts-areas", "postcode_prefix,ts_id\nTR,\n", "row 1, column ts_id: is empty but required"),
])
def test_a_bad_users_or_ts_areas_file_is_one_line_and_nothing_is_imported(cli, db_path, tmp_path, table,
                                                                         text, message):
    result = cli.invoke(app, ["import", "--db", str(db_path), f"--{table}", str(write(tmp_path, "f.csv", text))])
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    with Store(db_path, read_only=True) as store:
        assert store.counts()["users"] == store.counts()["ts_areas"] == 0


def test_users_list_shows_each_user_with_the_ts_name(cli, people_store):
    result = users_cli(cli, people_store, "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["user_id"]: r for r in json.loads(result.stdout)}
    assert rows["corn"]["ts_name"] == "Cornwall Trading Standards" and rows["corn"]["role"] == "ts"
    assert rows["adv2"]["restricted"] is True and rows["ann"]["restricted"] is False
    table = users_cli(cli, people_store, "list", "--role", "adviser")
    assert [line.split()[0] for line in table.stdout.splitlines()[1:]] == ["adv1", "adv2"]
    assert "adviser" in users_cli(cli, people_store, "list", "--csv").stdout.splitlines()[2]


def test_the_first_admin_needs_no_as_then_only_an_admin_adds_users(cli, db_path):
    assert users_cli(cli, db_path, "add", "root", "--role", "admin").exit_code == 0
    refused = users_cli(cli, db_path, "add", "bob", "--role", "adviser")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == "error: give --as ADMIN: only an admin adds or disables users"
    added = users_cli(cli, db_path, "add", "bob", "--role", "adviser", "--as", "root", "--centre", "Leeds", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["centre"] == "Leeds"
    by_adviser = users_cli(cli, db_path, "add", "carl", "--role", "adviser", "--as", "bob")
    assert by_adviser.exit_code == 1
    assert by_adviser.stderr.strip() == "error: user bob (adviser) may not add or disable users (only admin users may)"


@pytest.mark.parametrize(("args", "message"), [
    (["add", "ann", "--role", "adviser", "--as", "ann"], "error: user ann already exists"),
    (["add", "new", "--role", "ts", "--as", "ann"], "error: --ts-id: a ts user needs the ts_id"),
    (["add", "new", "--role", "boss", "--as", "ann"], "error: --role 'boss': one of adviser, ts, operations, admin"),
    (["add", "two words", "--role", "adviser", "--as", "ann"], "error: user id 'two words': use letters"),
    (["add", "new", "--role", "adviser", "--as", "nobody"], "error: --as nobody: no such user"),
    (["disable", "nobody", "--as", "ann"], "error: no such user nobody"),
    (["disable", "ann", "--as", "ann"], "error: user ann may not disable themselves"),
    (["disable", "adv1", "--as", "adv2"], "error: user adv2 (adviser) may not add or disable users"),
    (["list", "--role", "boss"], "error: --role 'boss': one of"),
])
def test_users_refusals_are_one_line(cli, people_store, args, message):
    result = users_cli(cli, people_store, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_disabled_user_can_no_longer_act_and_each_change_is_audited(cli, people_store):
    assert users_cli(cli, people_store, "add", "newbie", "--role", "adviser", "--as", "ann").exit_code == 0
    assert users_cli(cli, people_store, "disable", "adv1", "--as", "ann").exit_code == 0
    again = users_cli(cli, people_store, "disable", "adv1", "--as", "ann")
    assert again.exit_code == 1 and "already disabled" in again.stderr
    acting = users_cli(cli, people_store, "add", "x", "--role", "adviser", "--as", "adv1")
    assert acting.exit_code == 1 and acting.stderr.strip() == "error: --as adv1: the user is disabled"
    listed = users_cli(cli, people_store, "list")
    assert "adv1" not in listed.stdout and "adv1" in users_cli(cli, people_store, "list", "--all").stdout
    audit = json.loads(cli.invoke(app, ["audit", "--db", str(people_store), "--json"]).stdout)
    assert [(a["user_id"], a["action"], a["row_id"]) for a in audit] == [
        ("ann", "user disabled", "adv1"), ("ann", "user added", "newbie")]
    assert json.loads(audit[0]["before"])["disabled_at"] is None
    assert json.loads(audit[0]["after"])["disabled_at"] is not None
    only_users = cli.invoke(app, ["audit", "--db", str(people_store), "--row", "newbie"])
    assert only_users.exit_code == 0 and "user added" in only_users.stdout and "disabled" not in only_users.stdout


def test_migration_8_gives_an_older_store_the_same_tables_as_a_new_one(tmp_path):
    def columns(path):
        with Store(path, read_only=True) as store:
            return store.con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() "
                                     "WHERE NOT internal ORDER BY ALL").fetchall()
    old, new = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    con = duckdb.connect(str(old))
    migrate(Runner(con), target=7)
    con.execute("INSERT INTO traders (trader_id, name) VALUES (1, 'Kept')")
    con.execute("INSERT INTO cases (case_id, trader_id) VALUES (5, 1)")
    con.close()
    Store(old).close()
    Store(new).close()
    assert columns(old) == columns(new)
    with Store(old, read_only=True) as store:
        assert store.con.execute("SELECT version FROM schema_migrations ORDER BY 1 DESC LIMIT 1").fetchone() == (
            LATEST_VERSION,)
        assert store.con.execute("SELECT case_id, opened_by FROM cases").fetchall() == [(5, None)]


def test_cases_take_the_adviser_who_opened_them(cli, people_store, tmp_path):
    traders = write(tmp_path, "t.csv", "trader_id,name,address,postcode\n1,Alpha,\"1 High St, Truro\",TR1 1AA\n")
    cases = write(tmp_path, "c.csv", "case_id,trader_id,opened_at,opened_by\n10,1,2026-10-01,adv1\n11,1,2026-10-02,\n")
    result = cli.invoke(app, ["import", "--db", str(people_store), "--traders", str(traders), "--cases", str(cases)])
    assert result.exit_code == 0, result.output
    with Store(people_store, read_only=True) as store:
        assert store.con.execute("SELECT case_id, opened_by FROM cases ORDER BY 1").fetchall() == [
            (10, "adv1"), (11, None)]


def test_migration_8_can_run_again_on_a_store_that_has_its_tables(people_store):
    with Store(people_store) as store:
        store.con.execute("DELETE FROM schema_migrations WHERE version = 8")
    with Store(people_store) as store:  # upgrades again: nothing there twice, nothing lost
        assert store.counts()["users"] == 4
        assert store.con.execute("SELECT max(version) FROM schema_migrations").fetchall() == [(LATEST_VERSION,)]
