"""`dedup traders add`: the creation gate, every refusal through the real CLI on a real store, the new
8-digit reference, and the audit of every creation and override."""

from __future__ import annotations

import json

import pytest

import dedup.api as dedup
from dedup.store import Store
from tests.advising.conftest import TODAY, json_out, run_cli
from tests.conftest import store_fingerprint

NEW = ["--name", "Zebra Crossing Cafe", "--address", "3 Lemon Street, Truro", "--postcode", "TR1 2LP"]
MABELS = ["--name", "Mabels Boutique", "--address", "5 Tristan Rd, Truro", "--postcode", "TR1 1AU"]


def add(cli, db, *args, ok=True):
    return run_cli(cli, "traders", "add", "--db", db, "--today", TODAY, *args, ok=ok)


def audit(cli, db) -> list[dict]:
    return json_out(run_cli(cli, "audit", "--db", db, "--table", "traders", "--json"))


def test_a_new_trader_gets_the_next_8_digit_reference_and_is_audited(cli, advising_store):
    with Store(advising_store, read_only=True) as store:
        top = store.con.execute("SELECT max(trader_id) FROM traders").fetchall()[0][0]
    result = add(cli, advising_store, "--as", "adv1", *NEW)
    assert result.stdout.strip() == str(top + 1) and len(result.stdout.strip()) == 8
    assert result.stderr.strip() == f"created trader {top + 1} (Zebra Crossing Cafe)"
    with Store(advising_store, read_only=True) as store:
        row = store.con.execute("SELECT name, address, postcode, created_by, status, created_at IS NOT NULL, "
                                "updated_at IS NOT NULL FROM traders WHERE trader_id = ?", [top + 1]).fetchall()
    assert row == [("Zebra Crossing Cafe", "3 Lemon Street, Truro", "TR1 2LP", "adv1", "active", True, True)]
    entry, = audit(cli, advising_store)
    assert (entry["user_id"], entry["action"], entry["row_id"], entry["reason"]) == (
        "adv1", "trader created", str(top + 1), None)
    assert entry["before"] is None and json.loads(entry["after"])["name"] == "Zebra Crossing Cafe"


def test_the_first_reference_of_a_store_is_10000000(cli, db_path, tmp_path):
    users = tmp_path / "u.csv"
    users.write_text("user_id,role\nadv1,adviser\n")
    run_cli(cli, "import", "--db", db_path, "--users", users)
    assert add(cli, db_path, "--as", "adv1", *NEW).stdout.strip() == "10000000"


@pytest.mark.parametrize(("args", "message"), [
    (["--as", "adv2", *NEW], "error: user adv2 is restricted: a restricted user may not create traders"),
    (["--as", "corn", *NEW],
     "error: user corn (ts) may not create traders (only adviser, operations, admin users may)"),
    ([*NEW], "error: give --as USER: the user this is done for"),
    (["--as", "nobody", *NEW], "error: --as nobody: no such user (see 'dedup users list')"),
    (["--as", "adv1", *MABELS], "error: refused: 23204319 (Mabel's Boutique, 5 Tristan Road, TRURO, Cornwall, "
                                "TR1 1AU) is this trader by the duplicate check (merge band, score 21.1); use that "
                                "record, or create anyway with --force --reason TEXT"),
    (["--as", "adv1", "--name", "CROWN PERFUME LTD", "--postcode", "LS1 1AA"],
     "error: refused: 'CROWN PERFUME LTD' is the name of whitelisted trader 40000005 (Crown Perfume): whitelisting "
     "keeps a second record of that name from being created"),
    (["--as", "adv1", "--force", "--reason", "branch", "--name", "Crown Perfume", "--postcode", "LS1 1AA"],
     "error: refused: 'Crown Perfume' is the name of whitelisted trader 40000005"),
    (["--as", "adv1", "--force", *MABELS], "error: --force needs --reason TEXT"),
    (["--as", "adv1", "--reason", "new", *NEW], "error: --reason goes with --force"),
    (["--as", "adv1", "--name", "Seven Lines", "--address", "a, b, c, d, e, f, g"],
     "error: --address: 7 comma-separated lines (at most 6"),
    (["--as", "adv1", "--name", " "], "error: --name: the trader's name is required"),
])
def test_every_refusal_is_one_line_and_writes_nothing(cli, advising_store, args, message):
    before = store_fingerprint(advising_store)
    result = add(cli, advising_store, *args, ok=False)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""
    assert store_fingerprint(advising_store) == before


def test_a_disabled_user_is_refused(cli, advising_store):
    run_cli(cli, "users", "disable", "adv1", "--as", "admin", "--db", advising_store)
    result = add(cli, advising_store, "--as", "adv1", *NEW, ok=False)
    assert result.exit_code == 1 and result.stderr.strip() == "error: --as adv1: the user is disabled"


def test_force_with_a_reason_overrides_the_merge_band_and_is_audited(cli, advising_store):
    result = add(cli, advising_store, "--as", "ops", *MABELS, "--force", "--reason", "a new company, same shop",
                 "--json")
    created = json_out(result)
    assert created["overridden"] is True and created["created_by"] == "ops"
    assert [c["trader_id"] for c in created["candidates"] if c["band"] == "merge"] == [23204319]
    entry, = audit(cli, advising_store)
    assert (entry["action"], entry["reason"]) == ("trader created over the duplicate check",
                                                  "a new company, same shop")
    assert json.loads(entry["details"]) == {"merge_band": [{"trader_id": 23204319, "band": "merge",
                                                            "score": created["candidates"][0]["score"]}]}
    table = run_cli(cli, "audit", "--db", advising_store)
    assert "trader created over the duplicate check" in table.stdout and "a new company, same shop" in table.stdout


def test_a_created_trader_is_live_for_the_next_check_and_the_next_run(cli, advising_store):
    reference = int(add(cli, advising_store, "--as", "adv1", *NEW).stdout)
    again = add(cli, advising_store, "--as", "adv1", *NEW, ok=False)
    assert again.exit_code == 1 and f"refused: {reference} (Zebra Crossing Cafe" in again.stderr
    found = dedup.search_traders(advising_store, "zebra", today=TODAY)
    assert found.rows["trader_id"].to_list() == [reference]
    run = dedup.dry_run(advising_store, today=TODAY)
    assert run.summary["mode"] == "incremental" and run.summary["increment_records"] == 1


def test_the_api_refuses_as_the_cli_does(advising_store):
    with pytest.raises(dedup.DedupError, match="restricted"):
        dedup.add_trader(advising_store, as_user="adv2", name="Zebra Crossing Cafe")
    created = dedup.add_trader(advising_store, as_user="admin", name="Zebra Crossing Cafe", postcode="TR1 2LP")
    assert created["overridden"] is False and created["name"] == "Zebra Crossing Cafe"


def test_history_shows_who_created_a_trader_and_why_over_the_check(cli, advising_store):
    reference = int(add(cli, advising_store, "--as", "ops", *MABELS, "--force", "--reason", "new owner").stdout)
    shown = run_cli(cli, "history", "--db", advising_store, "--trader", reference)
    assert "trader created over the duplicate check by ops: new owner" in shown.stdout
    events = json_out(run_cli(cli, "history", "--db", advising_store, "--trader", reference, "--json"))["events"]
    assert [(e["event"], e["user_id"], e["run_id"]) for e in events] == [("audited", "ops", None)]
    assert events[0]["details"]["merge_band"][0]["trader_id"] == 23204319
