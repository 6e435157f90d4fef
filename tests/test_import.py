"""`dedup import`: loads good files, rejects bad ones with one line and leaves the store as it was."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dedup_cli import app
from tests.conftest import store_fingerprint

TRADERS_HEADER = "trader_id,name,address,postcode,created_at\n"
GOOD_TRADERS = TRADERS_HEADER + ("1,Alpha Roofing,\"1 High St, Truro\",TR1 1AA,2020-01-01\n"
                                 "2,Beta Motors,\"2 Low Rd, Leeds\",LS1 1AA,05/03/2021 13:23:08\n")


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def import_cli(cli, db_path, *args):
    return cli.invoke(app, ["import", "--db", str(db_path), *map(str, args)])


def test_import_loads_every_table_from_a_folder(cli, db_path, tmp_path):
    folder = tmp_path / "extract"
    folder.mkdir()
    write(folder, "traders.csv", GOOD_TRADERS)
    write(folder, "cases.csv", "case_id,trader_id,opened_at\n10,1,2021-01-01\n11,2,2021-02-02\n")
    write(folder, "tracks.csv", "track_id,trader_id,ts_id,start_date,end_date,notes\n"
                                "50,1,TS001,2021-02-01,2022-02-01,\"Capture the client's email; refer\"\n")
    write(folder, "certificates.csv", "certificate_id,trader_id,ts_id,scheme,start_date,end_date\n"
                                      "70,2,TS002,Buy With Confidence,2020-01-01,2030-01-01\n")
    write(folder, "whitelist.csv", "trader_id,reason\n2,national brand\n")
    result = import_cli(cli, db_path, "--dir", folder, "--json")
    assert result.exit_code == 0, result.output
    from dedup.store import Store
    with Store(db_path, read_only=True) as store:
        assert store.counts() == {"traders": 2, "cases": 2, "tracks": 1, "certificates": 1,
                                  "whitelist": 1, "users": 0, "ts_areas": 0}
        notes, = store.con.execute("SELECT notes FROM tracks").fetchone()
        assert notes == "Capture the client's email; refer"
        created = store.con.execute("SELECT created_at FROM traders ORDER BY trader_id").fetchall()
        assert str(created[1][0]) == "2021-03-05 13:23:08"  # UK day-first date read as day first


def test_reimport_updates_existing_rows_and_adds_new_ones(cli, db_path, tmp_path):
    assert import_cli(cli, db_path, "--traders", write(tmp_path, "t.csv", GOOD_TRADERS)).exit_code == 0
    from dedup.store import Store
    with Store(db_path, read_only=True) as store:
        before = dict(store.con.execute("SELECT trader_id, updated_at FROM traders").fetchall())
    changed = TRADERS_HEADER + ("1,Alpha Roofing,\"1 High St, Truro\",TR1 1AA,2020-01-01\n"
                                "2,Beta Motors Ltd,\"2 Low Rd, Leeds\",LS1 1AA,2021-03-05\n"
                                "3,Gamma Glazing,\"3 Mid Way, York\",YO1 1AA,2022-01-01\n")
    result = import_cli(cli, db_path, "--traders", write(tmp_path, "t2.csv", changed), "--json")
    assert result.exit_code == 0, result.output
    assert '"inserted": 1' in result.output and '"updated": 2' in result.output
    with Store(db_path, read_only=True) as store:
        rows = dict(store.con.execute("SELECT trader_id, name FROM traders").fetchall())
        after = dict(store.con.execute("SELECT trader_id, updated_at FROM traders").fetchall())
    assert rows == {1: "Alpha Roofing", 2: "Beta Motors Ltd", 3: "Gamma Glazing"}
    assert after[1] == before[1]          # unchanged record keeps its change time
    assert after[2] > before[2]           # renamed record is marked changed


def test_column_map_reads_differently_named_columns(cli, db_path, tmp_path):
    path = write(tmp_path, "sites.csv", "Ref,Site name,Addr,Zip\n7,Delta Dry Cleaners,\"4 Elm Rd, Bath\",BA1 1AA\n")
    result = import_cli(cli, db_path, "--traders", path, "--map", "trader_id=Ref",
                        "--map", "name=Site name", "--map", "address=Addr", "--map", "postcode=Zip")
    assert result.exit_code == 0, result.output
    from dedup.store import Store
    with Store(db_path, read_only=True) as store:
        assert store.con.execute("SELECT trader_id, name, postcode FROM traders").fetchall() == [
            (7, "Delta Dry Cleaners", "BA1 1AA")]


def test_parquet_files_import_like_csv(cli, db_path, tmp_path):
    path = tmp_path / "traders.parquet"
    pl.DataFrame({"trader_id": [5], "name": ["Echo Ltd"], "address": [None], "postcode": [None],
                  "created_at": [dt.datetime(2020, 1, 2, 9, 30)]},
                 schema_overrides={"address": pl.String, "postcode": pl.String}).write_parquet(path)
    assert import_cli(cli, db_path, "--traders", path).exit_code == 0
    from dedup.store import Store
    with Store(db_path, read_only=True) as store:
        assert store.con.execute("SELECT trader_id, name, address, created_at FROM traders").fetchall() == [
            (5, "Echo Ltd", None, dt.datetime(2020, 1, 2, 9, 30))]


BAD_FILES = {
    "missing required column": (
        "traders.csv", "trader_id,name,address\n1,A,x\n",
        r"traders\.csv: header: missing required column postcode"),
    "bad date": (
        "traders.csv", TRADERS_HEADER + "1,A,x,TR1 1AA,2020-01-01\n2,B,y,TR1 1AB,yesterday\n",
        r"traders\.csv: row 2, column created_at: 'yesterday' is not a date-time"),
    "bad key": (
        "traders.csv", TRADERS_HEADER + "1,A,x,TR1 1AA,\nabc,B,y,TR1 1AB,\n",
        r"row 2, column trader_id: 'abc' is not a positive whole number"),
    "key repeated in file": (
        "traders.csv", TRADERS_HEADER + "1,A,x,TR1 1AA,\n2,B,y,,\n1,C,z,,\n",
        r"row 1, column trader_id: 1 is repeated on row 3 \(and 1 more problem in this file\)"),
    "empty name": (
        "traders.csv", TRADERS_HEADER + "1,A,x,TR1 1AA,\n2, ,y,,\n",
        r"row 2, column name: is empty but required"),
    "several problems counted": (
        "traders.csv", TRADERS_HEADER + "x,A,x,,\n2,,y,,\n3,C,z,,never\n",
        r"row 1, column trader_id: 'x' is not a positive whole number \(and 2 more problems in this file\)"),
    "child points at no trader": (
        "cases.csv", "case_id,trader_id,opened_at\n1,999,2021-01-01\n",
        r"cases\.csv: row 1, column trader_id: trader 999 is not in the store or this import"),
    "ragged csv": (
        "traders.csv", TRADERS_HEADER + "1,A,x,TR1 1AA,\n2,A,x,TR1 1AA,,extra,cells\n",
        r"traders\.csv: line 3: cannot read as CSV: more fields than the header's 5 columns"),
    "unterminated quote": (
        "traders.csv", TRADERS_HEADER + "1,\"A,x,TR1 1AA,\n",
        r"traders\.csv: line \d+: cannot read as CSV"),
    "empty csv": (
        "traders.csv", "",
        r"traders\.csv: line 1: no header row"),
    "not parquet": (
        "traders.parquet", "this is not parquet",
        r"traders\.parquet: cannot read the file"),
    "unsupported type": (
        "traders.xlsx", "whatever",
        r"traders\.xlsx: unsupported file type '\.xlsx'"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_file_gives_one_line_exit_1_and_store_unchanged(cli, small_store, tmp_path, case):
    name, text, message = BAD_FILES[case]
    write(tmp_path, "base.csv", "")  # a decoy, so the folder is not empty
    path = write(tmp_path, name, text)
    before = store_fingerprint(small_store)
    table = name.split(".")[0]
    result = import_cli(cli, small_store, f"--{table}", path)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and str(tmp_path) in lines[0]
    import re
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in result.output
    assert store_fingerprint(small_store) == before


def test_a_bad_second_file_applies_nothing_from_the_first(cli, db_path, tmp_path):
    traders = write(tmp_path, "traders.csv", GOOD_TRADERS)
    cases = write(tmp_path, "cases.csv", "case_id,trader_id,opened_at\n1,1,2021-01-01\n2,1,soon\n")
    result = import_cli(cli, db_path, "--traders", traders, "--cases", cases)
    assert result.exit_code == 1
    assert "cases.csv: row 2, column opened_at" in result.output
    from dedup.store import Store
    with Store(db_path, read_only=True) as store:
        assert store.counts()["traders"] == 0


def test_missing_file_and_bad_map_are_one_line_errors(cli, db_path, tmp_path):
    result = import_cli(cli, db_path, "--traders", tmp_path / "absent.csv")
    assert result.exit_code == 1 and "absent.csv: no such file" in result.output
    path = write(tmp_path, "t.csv", GOOD_TRADERS)
    result = import_cli(cli, db_path, "--traders", path, "--map", "name=Site name")
    assert result.exit_code == 1 and "the file has no column 'Site name'" in result.output
    result = import_cli(cli, db_path, "--traders", path, "--map", "colour=name")
    assert result.exit_code == 1 and "traders has no column 'colour'" in result.output
    result = import_cli(cli, db_path, "--traders", path, "--map", "oops")
    assert result.exit_code == 1 and "expected TARGET=SOURCE" in result.output


def test_nothing_to_import_is_an_error(cli, db_path):
    result = import_cli(cli, db_path)
    assert result.exit_code == 1 and "nothing to import" in result.output
