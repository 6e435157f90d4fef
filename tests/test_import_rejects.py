"""Imports that never block a night: identifiers are positive whole numbers, a folder is named as
one, the source system's own rules are warnings, and `--rejects` imports everything else."""

from __future__ import annotations

import csv
import json
import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.store import Store
from dedup_cli import app
from tests.conftest import store_fingerprint

HEADER = "trader_id,name,address,postcode\n"
SEVEN_LINES = '"Unit 4, Mill Yard, Back Lane, Off High St, Little Snoring, Fakenham, Norfolk"'


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def run(cli, db, *args):
    return cli.invoke(app, ["import", "--db", str(db), *map(str, args)])


def rows(db, sql):
    with Store(db, read_only=True) as store:
        return store.con.execute(sql).fetchall()


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# table, file text, the row and column named
BAD_IDENTIFIERS = {
    "negative trader_id": ("traders", HEADER + "10000001,A,,\n-5,B,,\n", 2, "trader_id", "-5"),
    "fractional trader_id": ("traders", HEADER + "10004521.5,A,,\n", 1, "trader_id", "10004521.5"),
    "zero trader_id": ("traders", HEADER + "0,A,,\n", 1, "trader_id", "0"),
    "exponent trader_id": ("traders", HEADER + "1e7,A,,\n", 1, "trader_id", "1e7"),
    "negative case_id": ("cases", "case_id,trader_id,opened_at\n-1,30000001,2021-01-01\n",
                         1, "case_id", "-1"),
    "fractional case reference": ("cases", "case_id,trader_id,opened_at\n1,30000001.5,2021-01-01\n",
                                  1, "trader_id", "30000001.5"),
    "negative track reference": ("tracks", "track_id,trader_id,ts_id,start_date,end_date\n"
                                           "1,-30000001,TS1,2021-01-01,2022-01-01\n",
                                 1, "trader_id", "-30000001"),
    "fractional certificate_id": ("certificates", "certificate_id,trader_id,ts_id,start_date,end_date\n"
                                                  "2.25,30000001,TS1,2021-01-01,2022-01-01\n",
                                  1, "certificate_id", "2.25"),
    "negative whitelist trader": ("whitelist", "trader_id\n-30000001\n", 1, "trader_id", "-30000001"),
}


@pytest.mark.parametrize("case", BAD_IDENTIFIERS, ids=list(BAD_IDENTIFIERS))
def test_keys_and_trader_references_are_positive_whole_numbers(cli, small_store, tmp_path, case):
    table, text, row, column, value = BAD_IDENTIFIERS[case]
    path = write(tmp_path, f"{table}.csv", text)
    before = store_fingerprint(small_store)
    line = one_error_line(run(cli, small_store, f"--{table}", path))
    assert line.startswith(f"error: {path}: row {row}, column {column}: "
                           f"'{value}' is not a positive whole number"), line
    assert store_fingerprint(small_store) == before


def test_a_whole_number_written_as_a_float_is_accepted(cli, db_path, tmp_path):
    path = tmp_path / "traders.parquet"
    pl.DataFrame({"trader_id": [10004521.0, 7.0], "name": ["A", "B"], "address": ["x", "y"],
                  "postcode": ["TR1 1AA", None]}).write_parquet(path)
    assert run(cli, db_path, "--traders", path).exit_code == 0
    assert rows(db_path, "SELECT trader_id FROM traders ORDER BY 1") == [(7,), (10004521,)]


def test_a_folder_where_a_file_is_expected_says_so(cli, small_store, tmp_path):
    folder = tmp_path / "somefolder"
    folder.mkdir()
    before = store_fingerprint(small_store)
    line = one_error_line(run(cli, small_store, "--traders", folder))
    assert line == f"error: {folder}: is a folder, expected a .csv or .parquet file"
    file = write(tmp_path, "traders.csv", HEADER)
    line = one_error_line(run(cli, small_store, "--dir", file))
    assert line.startswith(f"error: {file}: is a file, expected a folder")
    assert store_fingerprint(small_store) == before


def test_a_trader_address_of_more_than_six_lines_is_imported_with_one_warning(cli, db_path, tmp_path):
    lines = "".join(f"{10000000 + i},Trader {i},{SEVEN_LINES if i % 2 else 'x'},NR21 0AA\n"
                    for i in range(1, 16))
    path = write(tmp_path, "traders.csv", HEADER + lines)
    result = run(cli, db_path, "--traders", path, "--json")
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning: ")]
    assert warnings == [
        f"warning: {path}: 8 rows with an address of more than 6 comma-separated lines (column "
        f"address), imported as they are: rows 1, 3, 5, 7, 9, ..."]
    report = json.loads(result.stdout)
    assert report[0]["rows"] == 15 and report[0]["rejected"] == 0
    assert report[0]["warnings"] == [{"file": str(path), "column": "address",
                                      "rule": "an address of more than 6 comma-separated lines",
                                      "rows": 8, "first_rows": [1, 3, 5, 7, 9]}]
    stored = rows(db_path, "SELECT address FROM traders WHERE trader_id = 10000001")
    assert stored == [(SEVEN_LINES.strip('"'),)]  # exactly as in the file


def test_a_track_ending_before_it_starts_is_imported_with_a_warning(cli, small_store, tmp_path):
    path = write(tmp_path, "tracks.csv", "track_id,trader_id,ts_id,start_date,end_date\n"
                                         "1,30000001,TS1,2022-01-01,2021-01-01\n"
                                         "2,30000001,TS1,2021-01-01,2022-01-01\n")
    result = run(cli, small_store, "--tracks", path)
    assert result.exit_code == 0, result.output
    assert "1 row with an end_date before its start_date" in result.stderr
    assert rows(small_store, "SELECT count(*) FROM tracks") == [(2,)]


def rejects_of(path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def extract(tmp_path):
    """A night's extract with one bad trader, one trader with a legacy 7-line address, a case of
    the bad trader, a case with a bad date, and good rows."""
    folder = tmp_path / "extract"
    folder.mkdir()
    write(folder, "traders.csv", HEADER + "10000001,Alpha Roofing,\"1 High St, Truro\",TR1 1AA\n"
                                          "-5,Beta Motors,\"2 Low Rd, Leeds\",LS1 1AA\n"
                                          f"10000003,Gamma Glazing,{SEVEN_LINES},NR21 0AA\n"
                                          "10000004,,\"4 Mid Way, York\",YO1 1AA\n")
    write(folder, "cases.csv", "case_id,trader_id,opened_at\n"
                               "1,10000001,2021-01-01\n"
                               "2,10000004,2021-01-02\n"
                               "3,10000003,yesterday\n"
                               "4,10000003,2021-01-04\n"
                               "5,99999999,2021-01-05\n")
    write(folder, "whitelist.csv", "trader_id,reason\n10000004,national brand\n10000001,brand\n")
    return folder


def test_rejects_get_every_bad_and_dependent_row_and_the_rest_is_imported(cli, db_path, extract,
                                                                           tmp_path):
    rejects = tmp_path / "rejects.csv"
    result = run(cli, db_path, "--dir", extract, "--rejects", rejects, "--json")
    assert result.exit_code == 3, result.output
    assert result.stderr.strip().splitlines()[-1] == \
        f"imported with rejects: 6 rows written to {rejects}"
    report = {r["table"]: r for r in json.loads(result.stdout)}
    assert {t: (r["rows"], r["rejected"]) for t, r in report.items()} == {
        "traders": (2, 2), "cases": (2, 3), "whitelist": (1, 1)}
    assert rows(db_path, "SELECT trader_id FROM traders ORDER BY 1") == [(10000001,), (10000003,)]
    assert rows(db_path, "SELECT case_id FROM cases ORDER BY 1") == [(1,), (4,)]
    assert rows(db_path, "SELECT trader_id FROM whitelist") == [(10000001,)]

    got = [(r["file"].rsplit("/", 1)[-1], r["row"], r["column"], r["reason"]) for r in rejects_of(rejects)]
    assert got == [
        ("traders.csv", "2", "trader_id", "'-5' is not a positive whole number"),
        ("traders.csv", "4", "name", "is empty but required"),
        ("cases.csv", "2", "trader_id", "trader 10000004 is rejected from this import"),
        ("cases.csv", "3", "opened_at", "'yesterday' is not a date-time"),
        ("cases.csv", "5", "trader_id", "trader 99999999 is not in the store or this import"),
        ("whitelist.csv", "1", "trader_id", "trader 10000004 is rejected from this import"),
    ]
    first = rejects_of(rejects)[0]
    assert (first["trader_id"], first["name"], first["postcode"]) == ("-5", "Beta Motors", "LS1 1AA")
    whitelisted = rejects_of(rejects)[-1]
    assert whitelisted["value_reason"] == "national brand"  # the file's own `reason` column


def test_without_rejects_the_same_extract_imports_nothing(cli, db_path, extract):
    result = run(cli, db_path, "--dir", extract)
    line = one_error_line(result)
    assert re.search(r"traders\.csv: row 2, column trader_id: '-5' is not a positive whole number "
                     r"\(and 1 more problem in this file\)", line), line
    assert rows(db_path, "SELECT count(*) FROM traders") == [(0,)]


def test_rejects_with_nothing_to_reject_exits_0_and_writes_only_the_header(cli, db_path, tmp_path):
    path = write(tmp_path, "traders.csv", HEADER + "10000001,A,x,TR1 1AA\n")
    rejects = tmp_path / "rejects.csv"
    result = run(cli, db_path, "--traders", path, "--rejects", rejects)
    assert result.exit_code == 0, result.output
    assert rejects.read_text().splitlines() == ["file,row,column,reason,trader_id,name,address,postcode"]


def test_rejects_refuses_a_missing_folder_and_a_file_it_cannot_read(cli, small_store, tmp_path):
    path = write(tmp_path, "traders.csv", HEADER + "10000001,A,x,TR1 1AA\n")
    before = store_fingerprint(small_store)
    line = one_error_line(run(cli, small_store, "--traders", path,
                              "--rejects", tmp_path / "missing" / "r.csv"))
    assert "no such folder" in line
    ragged = write(tmp_path, "ragged.csv", HEADER + "1,A,x,TR1 1AA,extra\n")
    line = one_error_line(run(cli, small_store, "--traders", ragged, "--rejects", tmp_path / "r.csv"))
    assert "cannot read as CSV" in line
    assert store_fingerprint(small_store) == before


# A property: whatever mix of good and bad rows, --rejects imports exactly the good ones (and
# the cases of good traders) and rejects exactly the others.
GOOD_ID, BAD_IDS = st.integers(10_000_000, 10_000_030), st.sampled_from(["-5", "1.5", "0", "x", ""])


@settings(max_examples=25)
@given(traders=st.lists(st.tuples(st.one_of(GOOD_ID.map(str), BAD_IDS), st.booleans()),
                        min_size=1, max_size=12),
       cases=st.lists(st.tuples(GOOD_ID, st.booleans()), max_size=12))
def test_rejects_take_exactly_the_rows_that_break_a_rule(traders, cases):
    import tempfile
    from pathlib import Path

    from typer.testing import CliRunner

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write(folder, "traders.csv", HEADER + "".join(
            f"{tid},{'Name' if named else ''},x,TR1 1AA\n" for tid, named in traders))
        write(folder, "cases.csv", "case_id,trader_id,opened_at\n" + "".join(
            f"{i + 1},{tid},{'2021-01-01' if dated else 'soon'}\n" for i, (tid, dated) in enumerate(cases)))
        result = run(CliRunner(), folder / "s.duckdb", "--dir", folder, "--rejects", folder / "r.csv")
        # the model: a trader row is good with a valid id, a name and an id no other row has
        ids = [tid for tid, _ in traders]
        good = {tid for tid, named in traders if tid.isdigit() and int(tid) > 0 and named
                and ids.count(tid) == 1}
        good_cases = {i + 1 for i, (tid, dated) in enumerate(cases) if dated and str(tid) in good}
        bad_rows = (len(traders) - len(good)) + (len(cases) - len(good_cases))
        assert result.exit_code == (3 if bad_rows else 0), result.output
        db = folder / "s.duckdb"
        assert {str(t) for (t,) in rows(db, "SELECT trader_id FROM traders")} == good
        assert {c for (c,) in rows(db, "SELECT case_id FROM cases")} == good_cases
        rejected = {(r["file"], r["row"]) for r in rejects_of(folder / "r.csv")}
        assert len(rejected) == bad_rows
