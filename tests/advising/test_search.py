"""`dedup search NAME [--address-contains] [--postcode]` and `dedup search --recent --as USER`, through
the CLI on a real store (tests/advising/conftest.py), and the same through `dedup.Matcher`."""

from __future__ import annotations

import csv
import io

import pytest

import dedup.api as dedup
from dedup.store import Store
from dedup_cli import app
from tests.advising.conftest import TODAY, json_out, run_cli


def search(cli, db, *args, ok=True):
    return run_cli(cli, "search", "--db", db, "--today", TODAY, *args, ok=ok)


def found(cli, db, *args) -> list[int]:
    return [r["trader_id"] for r in json_out(search(cli, db, *args, "--json"))]


def test_begins_with_on_the_normalised_name(cli, advising_store):
    assert found(cli, advising_store, "Amazon") == [40000002, 40000001, 40000004]  # not "Big Amazon Traders"
    assert found(cli, advising_store, "AMAZON  windows") == [40000001]
    assert 23204319 in found(cli, advising_store, "mabels")  # Mabel's Boutique
    assert found(cli, advising_store, "Mabel's Boutique Ltd") == [23204319, 40000006]  # legal form aside


def test_merged_records_never_appear_their_survivor_does_once(cli, advising_store):
    with Store(advising_store, read_only=True) as store:
        merged = dict(store.con.execute("SELECT trader_id, merged_into FROM traders "
                                        "WHERE status = 'merged'").fetchall())
    assert merged[40000007] == 40000006 and merged[23204401] == 23204319
    rows = json_out(search(cli, advising_store, "mabels boutique", "--json"))
    assert [r["trader_id"] for r in rows] == [23204319, 40000006]
    assert not set(r["trader_id"] for r in rows) & set(merged)
    by_id = {r["trader_id"]: r for r in rows}
    # "Boutique Mabels" does not begin with "mabels": it is found through its merged record
    assert by_id[40000006]["via"] == [40000007] and by_id[23204319]["via"] == [23204401, 23204502]
    assert json_out(search(cli, advising_store, "boutique", "--json"))[0]["via"] == []


@pytest.mark.parametrize(("address", "expected"), [
    ("Tristan Road", [23204320, 23204319]),   # as typed
    ("tristan rd", [23204320, 23204319]),     # as normalised
    ("5 TRISTAN", [23204319]),
    ("Lemon Street", [40000006]),  # through its merged record, 8 Lemon St
    ("Quay", []),
])
def test_address_contains(cli, advising_store, address, expected):
    assert found(cli, advising_store, "mabel", "--address-contains", address) == expected


@pytest.mark.parametrize(("postcode", "expected"), [
    ("tr11au", [23204320, 23204319]), ("TR1  1AU", [23204320, 23204319]), ("TR1 2LT", [40000006]),
    ("tr1", [23204320, 23204319, 40000006]), ("TR", [23204320, 23204319, 40000006]), ("LS1 1AA", []),
])
def test_postcode_in_any_spacing_or_case(cli, advising_store, postcode, expected):
    assert found(cli, advising_store, "mabel", "--postcode", postcode) == expected


def test_marks_active_tracks_and_certificates_only(cli, advising_store):
    rows = {r["trader_id"]: r for r in json_out(search(cli, advising_store, "amazon", "--json"))}
    assert (rows[40000001]["tracked"], rows[40000001]["certified"]) == (True, False)
    assert (rows[40000002]["tracked"], rows[40000002]["certified"]) == (False, True)  # its track has ended
    assert (rows[40000004]["tracked"], rows[40000004]["certified"]) == (False, False)  # a track without dates
    table = search(cli, advising_store, "amazon")
    assert "3 matching trader records found" in table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("reference") and "40000001   Amazon Windows" in lines[2] and "tracked" in lines[2]


def test_at_most_100_newest_first(cli, db_path, tmp_path):
    rows = "\n".join(f"{60000000 + i},Acme Widgets {i},{i} Some Road,LS{1 + i % 9} 1AA,2020-01-{1 + i % 28:02d} "
                     f"{i % 24:02d}:00:00" for i in range(120))
    path = tmp_path / "t.csv"
    path.write_text("trader_id,name,address,postcode,created_at\n" + rows + "\n")
    run_cli(cli, "import", "--db", db_path, "--traders", path)
    result = search(cli, db_path, "acme")
    assert "120 matching trader records found (the newest 100 shown)" in result.stderr
    listed = json_out(search(cli, db_path, "acme", "--json"))
    assert len(listed) == 100
    times = [r["created_at"] for r in listed]
    assert times == sorted(times, reverse=True)
    out = list(csv.DictReader(io.StringIO(search(cli, db_path, "acme widgets 11", "--csv").stdout)))
    expected = sorted((i for i in range(120) if str(i).startswith("11")),
                      key=lambda i: (1 + i % 28, i % 24, i), reverse=True)  # created_at, then id, newest first
    assert [int(r["trader_id"]) for r in out] == [60000000 + i for i in expected]
    assert out[0]["created_at"].startswith("2020-01-")


def test_recent_lists_the_users_ts_traders_of_the_last_30_days(cli, advising_store):
    rows = json_out(search(cli, advising_store, "--recent", "--as", "corn", "--json"))
    assert [r["trader_id"] for r in rows] == [40000003, 40000002, 40000001]  # not Leeds' Amazonia, nor older
    assert json_out(search(cli, advising_store, "--recent", "--as", "leeds", "--json")) == []
    later = run_cli(cli, "search", "--db", advising_store, "--today", "2026-11-22", "--recent", "--as", "corn",
                    "--json")
    assert [r["trader_id"] for r in json_out(later)] == [40000003, 40000002]  # 20 October is now too old
    table = search(cli, advising_store, "--recent", "--as", "corn")
    assert "added" in table.stdout.splitlines()[0] and "2026-10-26T10:00:00" in table.stdout


@pytest.mark.parametrize(("args", "message"), [
    ([], "error: NAME: give the start of the trader's name (or --recent --as USER)"),
    (["   "], "error: NAME: give the start of the trader's name"),
    (["..."], "error: NAME '...': nothing is left of it to search for once normalised"),
    (["amazon", "--json", "--csv"], "error: give at most one of --json and --csv"),
    (["amazon", "--recent", "--as", "corn"], "error: --recent takes no NAME"),
    (["--recent"], "error: give --as USER"),
    (["--recent", "--as", "nobody"], "error: --as nobody: no such user"),
    (["--recent", "--as", "adv1"], "error: user adv1 (adviser) has no Trading Standards service"),
])
def test_search_refusals_are_one_line(cli, advising_store, args, message):
    result = search(cli, advising_store, *args, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_empty_search_says_so_and_exits_0(cli, advising_store):
    result = search(cli, advising_store, "zzz")
    assert result.stdout == "" and "0 matching trader records found" in result.stderr


def test_a_matcher_searches_as_the_one_off_search_does(advising_store):
    once = dedup.search_traders(advising_store, "mabel", today=TODAY)
    with dedup.Matcher(advising_store, today=TODAY) as matcher:
        kept = matcher.search("mabel")
        assert kept.rows.equals(once.rows) and kept.total == once.total == 3
        assert matcher.recent("corn").rows["trader_id"].to_list() == [40000003, 40000002, 40000001]
    assert dedup.recent_traders(advising_store, as_user="corn", today=TODAY).total == 3


def test_search_reads_a_store_without_writing_it(cli, advising_store):
    from tests.conftest import store_fingerprint
    before = store_fingerprint(advising_store)
    search(cli, advising_store, "amazon")
    assert store_fingerprint(advising_store) == before
    assert cli.invoke(app, ["search", "--help"]).exit_code == 0
