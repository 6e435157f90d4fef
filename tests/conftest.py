"""Shared fixtures: real DuckDB files in temporary folders, real CSV files, the real CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from dedup.importer import ImportSource, import_files
from dedup.schema import TABLES_BY_NAME
from dedup.store import Store

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("ci")

DATA = Path(__file__).parent / "data"
TODAY = dt.date(2026, 11, 1)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "traders.duckdb"


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture
def traders_small_csv() -> Path:
    """About 25 hand-written traders with known duplicates (column `entity`) and hard negatives."""
    return DATA / "traders_small.csv"


@pytest.fixture(scope="session")
def diff_store(tmp_path_factory) -> Path:
    """3,000 synthetic traders and rule files for `dedup diff` (tests/diff_helpers.py); read only."""
    from tests.diff_helpers import build_diff_store

    return build_diff_store(tmp_path_factory.mktemp("diff"))


@pytest.fixture
def small_store(db_path, traders_small_csv) -> Path:
    """A store holding traders_small."""
    with Store(db_path) as store:
        import_files(store.runner, [ImportSource(TABLES_BY_NAME["traders"], traders_small_csv, {})])
    return db_path


@pytest.fixture
def mixed_store(db_path, traders_small_csv) -> Path:
    """A store holding traders_small and traders_abroad: US and Irish traders with ZIPs, an
    Eircode, US phone formats and a record with no postcode (duplicates in column `entity`)."""
    with Store(db_path) as store:
        for path in (traders_small_csv, DATA / "traders_abroad.csv"):
            import_files(store.runner, [ImportSource(TABLES_BY_NAME["traders"], path, {})])
    return db_path


def store_fingerprint(path: Path) -> dict[str, str]:
    """A digest of every table's full content, to show a store did not change."""
    with Store(path, read_only=True) as store:
        tables = [r[0] for r in store.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1").fetchall()]
        digest = {}
        for table in tables:
            rows = store.con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()
            digest[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return digest
