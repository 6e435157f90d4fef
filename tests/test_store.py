import duckdb
import pytest

from dedup.errors import DedupError
from dedup.sql import Runner
from dedup.store import LATEST_VERSION, MIGRATIONS, Store, migrate, resolve_db_path, schema_version


def test_new_store_has_every_table_at_latest_version(db_path):
    with Store(db_path) as store:
        assert schema_version(store.runner) == LATEST_VERSION
        assert store.counts() == {"traders": 0, "cases": 0, "tracks": 0, "certificates": 0,
                                  "whitelist": 0, "users": 0, "ts_areas": 0}


@pytest.mark.parametrize("start", range(1, LATEST_VERSION + 1))
def test_older_store_upgrades_in_place_keeping_its_rows(db_path, start):
    con = duckdb.connect(str(db_path))
    assert migrate(Runner(con), target=start) == [m.version for m in MIGRATIONS if m.version <= start]
    con.execute("INSERT INTO traders (trader_id, name) VALUES (1, 'Kept Ltd')")
    con.close()
    with Store(db_path) as store:
        assert schema_version(store.runner) == LATEST_VERSION
        assert store.con.execute("SELECT name FROM traders").fetchall() == [("Kept Ltd",)]


def test_read_only_open_of_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(DedupError, match="no store at"):
        Store(tmp_path / "nope.duckdb", read_only=True)


def test_read_only_open_refuses_an_outdated_store(db_path):
    duckdb.connect(str(db_path)).close()
    with pytest.raises(DedupError, match="schema version 0"):
        Store(db_path, read_only=True)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("hello, this is not a database\n" * 100)
    with pytest.raises(DedupError):
        Store(path)


def test_db_path_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("DEDUP_DB", raising=False)
    assert resolve_db_path(None).name == "traders.duckdb"
    monkeypatch.setenv("DEDUP_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path(None) == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "flag.duckdb") == tmp_path / "flag.duckdb"


def test_memory_limit_comes_from_the_environment_or_half_the_machine(db_path, monkeypatch, cli):
    from dedup_cli import app

    Store(db_path).close()
    monkeypatch.setenv("DEDUP_MEMORY_LIMIT", "1GB")
    with Store(db_path, read_only=True) as store:
        limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit.startswith("953") or limit.startswith("1.0 GB") or limit.startswith("1000"), limit
    monkeypatch.delenv("DEDUP_MEMORY_LIMIT")
    with Store(db_path, read_only=True) as store:
        default = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert default != limit
    monkeypatch.setenv("DEDUP_MEMORY_LIMIT", "lots")
    result = cli.invoke(app, ["run", "--db", str(db_path)])
    assert result.exit_code == 1 and "DEDUP_MEMORY_LIMIT 'lots'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_duckdb_draws_no_progress_bar_on_stdout(small_store):
    """A long query would otherwise put DuckDB's progress bar in front of `--json` data."""
    with Store(small_store, read_only=True) as store:
        assert store.con.execute("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
