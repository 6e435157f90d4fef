"""A truth file without its columns, and a --db that is not a store, each get one line through
the real CLI: exit 1, no traceback, the store (or the file given as one) unchanged."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import dedup.rules
from dedup_cli import app
from tests.conftest import store_fingerprint


def one_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and "Binder" not in result.output
    return lines[0]


TRUTHS = {
    "no entity_id": ("truth.csv", "trader_id,cluster\n30000001,1\n", "no column entity_id"),
    "no trader_id": ("truth.csv", "id,entity_id\n30000001,1\n", "no column trader_id"),
    "neither": ("truth.csv", "a,b\n1,2\n", "no column trader_id or entity_id"),
    "parquet without entity_id": ("truth.parquet", None, "no column entity_id"),
    "not a number": ("truth.csv", "trader_id,entity_id\n30000001,1\n30000002,abc\n",
                     "row 2, column entity_id: 'abc' is not a whole number"),
    "unreadable parquet": ("truth.parquet", "not parquet", "cannot read the file"),
}


@pytest.mark.parametrize("command", ["evaluate", "diff"])
@pytest.mark.parametrize("case", TRUTHS, ids=list(TRUTHS))
def test_a_bad_truth_file_is_one_line_naming_it(cli, small_store, tmp_path, case, command):
    name, text, message = TRUTHS[case]
    truth = tmp_path / name
    if text is None:
        pl.DataFrame({"trader_id": [30000001], "group": [1]}).write_parquet(truth)
    else:
        truth.write_text(text)
    before = store_fingerprint(small_store)
    args = ["--db", str(small_store), "--truth", str(truth)]
    if command == "diff":
        rules = str(Path(dedup.rules.__file__).parent / "default.toml")
        args += ["--rules", rules, "--against", rules]
    line = one_line(cli.invoke(app, [command, *args]))
    assert line.startswith(f"error: --truth {truth}: ") and message in line, line
    assert store_fingerprint(small_store) == before


@pytest.mark.parametrize("command", [["run"], ["init"], ["history", "--trader", "1"],
                                     ["review", "list"], ["import", "--traders", "TRADERS"]])
@pytest.mark.parametrize("kind", ["csv", "empty file", "text file"])
def test_a_db_that_is_not_a_duckdb_file_is_named_and_left_alone(cli, tmp_path, traders_small_csv,
                                                                 command, kind):
    db = {"csv": tmp_path / "traders.csv", "empty file": tmp_path / "empty.duckdb",
          "text file": tmp_path / "notes.duckdb"}[kind]
    db.write_text({"csv": "trader_id,name\n1,A\n", "empty file": "", "text file": "hello\n"}[kind])
    content = db.read_bytes()
    args = [str(traders_small_csv) if a == "TRADERS" else a for a in command]
    line = one_line(cli.invoke(app, [*args, "--db", str(db)]))
    assert line == f"error: {db} is not a trader-dedup store (not a DuckDB file)"
    assert db.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [db.name]  # no WAL, no new store


@pytest.mark.parametrize("command", [["run"], ["init"], ["import", "--traders", "TRADERS"]])
def test_a_db_that_is_a_folder_is_named(cli, tmp_path, traders_small_csv, command):
    folder = tmp_path / "stores"
    folder.mkdir()
    args = [str(traders_small_csv) if a == "TRADERS" else a for a in command]
    line = one_line(cli.invoke(app, [*args, "--db", str(folder)]))
    assert line == f"error: {folder} is a folder, not a trader-dedup store (a DuckDB file)"
    assert list(folder.iterdir()) == []


def test_an_in_memory_store_is_refused_not_lost(cli, tmp_path, traders_small_csv):
    """`--db :memory:` would import into a database that vanishes when the command ends."""
    line = one_line(cli.invoke(app, ["import", "--db", ":memory:", "--traders", str(traders_small_csv)]))
    assert line == "error: :memory: is not a trader-dedup store (not a DuckDB file)"
