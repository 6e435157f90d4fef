"""`dedup init` and `dedup import` (dedup_cli/store_cmds.py): what they print, on stdout and
stderr. (What an import accepts and refuses: tests/test_import.py, tests/test_import_rejects.py.)"""

from __future__ import annotations

import json

import duckdb

from dedup.sql import Runner
from dedup.store import LATEST_VERSION, Store, migrate, schema_version
from dedup_cli import app


def test_init_creates_a_store_and_says_its_version_and_again_changes_nothing(cli, db_path):
    first = cli.invoke(app, ["init", "--db", str(db_path)])
    assert (first.exit_code, first.stdout) == (0, "")
    assert first.stderr == f"{db_path}: store ready (schema version {LATEST_VERSION})\n"
    with Store(db_path, read_only=True) as store:
        assert store.counts() == dict.fromkeys(["traders", "cases", "tracks", "certificates", "whitelist", "users",
                                                "ts_areas"], 0)
    again = cli.invoke(app, ["init", "--db", str(db_path)])
    assert again.exit_code == 0 and again.stderr == first.stderr


def test_init_upgrades_an_older_store(cli, db_path):
    con = duckdb.connect(str(db_path))
    migrate(Runner(con), target=1)
    con.close()
    result = cli.invoke(app, ["init", "--db", str(db_path)])
    assert result.exit_code == 0 and f"(schema version {LATEST_VERSION})" in result.stderr
    with Store(db_path, read_only=True) as store:
        assert schema_version(store.runner) == LATEST_VERSION


def test_import_prints_a_line_per_table_agreeing_with_json(cli, db_path, traders_small_csv, tmp_path):
    first = cli.invoke(app, ["import", "--db", str(db_path), "--traders", str(traders_small_csv), "--json"])
    assert first.exit_code == 0, first.output
    (row,) = json.loads(first.stdout)
    assert (row["table"], row["inserted"], row["updated"], row["rejected"]) == ("traders", row["rows"], 0, 0)
    again = cli.invoke(app, ["import", "--db", str(db_path), "--traders", str(traders_small_csv)])
    assert again.exit_code == 0 and again.stderr == ""
    (line,) = again.stdout.splitlines()
    assert line.split() == ["traders", str(row["rows"]), "rows", "0", "new", str(row["rows"]), "updated",
                            "from", str(traders_small_csv)]
    rejects = tmp_path / "rejects.csv"
    with_rejects = cli.invoke(app, ["import", "--db", str(db_path), "--traders", str(traders_small_csv),
                                    "--rejects", str(rejects)])
    assert with_rejects.exit_code == 0 and "       0 rejected  from " in with_rejects.stdout


def test_import_into_a_new_file_creates_the_store(cli, tmp_path, traders_small_csv):
    db = tmp_path / "sub" / "new.duckdb"
    db.parent.mkdir()
    result = cli.invoke(app, ["import", "--db", str(db), "--traders", str(traders_small_csv)])
    assert result.exit_code == 0, result.output
    with Store(db, read_only=True) as store:
        assert store.counts()["traders"] == len(traders_small_csv.read_text().splitlines()) - 1
