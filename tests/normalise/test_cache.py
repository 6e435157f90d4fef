"""The store's cache of normalised fields: written by apply runs, used only while exact."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dedup.merge.runs import apply_run
from dedup.normalise.cache import CACHE, VERSION
from dedup.pipeline import normalise_stage
from dedup.rules import RuleSet
from dedup.sql import SqlStep
from dedup.store import Store
from dedup.tables import StageTables
from dedup_cli import app
from tests.conftest import DATA


def normalised(db, *, use_cache: bool = True) -> pl.DataFrame:
    with Store(db, read_only=True) as store:
        tables = StageTables()
        normalise_stage(store.runner, tables, use_cache=use_cache)
        return store.runner.frame(SqlStep("rows", f"SELECT * FROM {tables.normalised} ORDER BY trader_id"))


def test_cached_rows_equal_fresh_ones_and_only_active_traders_are_kept(small_store):
    assert normalised(small_store)["from_cache"].sum() == 0      # nothing cached before an apply
    with Store(small_store) as store:
        summary = apply_run(store, RuleSet.default())
        cached_ids = {r[0] for r in store.con.execute(f"SELECT trader_id FROM {CACHE}").fetchall()}
        active = {r[0] for r in store.con.execute(
            "SELECT trader_id FROM traders WHERE status = 'active'").fetchall()}
    assert summary["records_merged"] > 0
    # merged records' rows are dropped; survivors whose fields a merge filled are re-cached later
    assert cached_ids <= active and len(cached_ids) >= len(active) - summary["clusters_merged"]
    with_cache, fresh = normalised(small_store), normalised(small_store, use_cache=False)
    assert with_cache["from_cache"].sum() == len(cached_ids) and fresh["from_cache"].sum() == 0
    assert with_cache.drop("from_cache").equals(fresh.drop("from_cache"))


def test_a_changed_record_or_normaliser_is_not_read_from_the_cache(cli, small_store, tmp_path):
    with Store(small_store) as store:
        apply_run(store, RuleSet.default())
    rows = normalised(small_store)
    trader = rows.filter(pl.col("from_cache"))["trader_id"][0]
    edited = pl.read_csv(DATA / "traders_small.csv", infer_schema_length=0).filter(
        pl.col("trader_id") == str(trader)).with_columns(name=pl.lit("Zebra Crossing Haulage Ltd"))
    edited.write_csv(tmp_path / "edit.csv")
    assert cli.invoke(app, ["import", "--db", str(small_store), "--traders", str(tmp_path / "edit.csv")]).exit_code == 0
    after = normalised(small_store).filter(pl.col("trader_id") == trader)
    assert after["from_cache"].to_list() == [False] and after["name_norm"].to_list() == ["zebra crossing haulage"]
    # rows made by another version of the normaliser are never used
    with Store(small_store) as store:
        store.con.execute(f"UPDATE {CACHE} SET normaliser = 'older'").fetchall()
    assert VERSION != "older" and normalised(small_store)["from_cache"].sum() == 0


def test_a_survivor_filled_by_a_merge_is_not_served_stale(tmp_path):
    """The merge fills the survivor's missing phone after the run normalised it: the cache row
    written then pairs the old raw fields with the old values, and the apply's next round (which
    re-examines the filled survivor) normalises it again and caches its new fields, so the next
    run reads the filled values, never the old ones."""
    from tests.merge.merge_helpers import build, trader

    db = build(tmp_path / "fill.duckdb", traders=[
        trader(1, "Acme Widgets Ltd", created_at=dt.datetime(2010, 1, 1)),            # survivor: oldest
        trader(2, "Acme Widgets", phone="01872 555123", website="acme-widgets.co.uk"),
        trader(3, "Zenith Plumbing", address="9 Quay Street, Falmouth", postcode="TR11 3HH")])
    with Store(db) as store:
        summary = apply_run(store, RuleSet.default(), today=dt.date(2026, 11, 1))
        (phone,) = store.con.execute("SELECT phone FROM traders WHERE trader_id = 1").fetchone()
    assert summary["records_merged"] == 1 and summary["fields_filled"] >= 1 and phone == "01872 555123"
    assert [r["survivors_filled"] for r in summary["rounds"]] == [1, 0]
    rows = normalised(db)
    survivor = rows.filter(pl.col("trader_id") == 1)
    assert survivor["phone"].to_list() == ["01872555123"]
    with Store(db, read_only=True) as store:
        assert store.con.execute(f"SELECT raw_phone FROM {CACHE} WHERE trader_id = 1").fetchall() == [
            ("01872 555123",)]
    assert rows.filter(pl.col("trader_id") == 3)["from_cache"].to_list() == [True]
    assert rows.drop("from_cache").equals(normalised(db, use_cache=False).drop("from_cache"))


def test_a_cache_made_before_postal_code_other_is_upgraded_and_read(small_store):
    """A store whose cache table was made (migration 5) with the columns of its time gains the
    columns added since (migration 7); rows an older normaliser wrote are never read."""
    import duckdb

    from dedup.sql import Runner
    from dedup.store import LATEST_VERSION, migrate, schema_version

    con = duckdb.connect(str(small_store))
    con.execute("DELETE FROM schema_migrations WHERE version >= 7")
    con.execute(f"ALTER TABLE {CACHE} DROP COLUMN postal_code_other")
    con.execute(f"INSERT INTO {CACHE} (trader_id, normaliser) SELECT trader_id, 'older' FROM traders")
    assert schema_version(Runner(con)) == 6
    con.close()
    with Store(small_store) as store:
        assert schema_version(store.runner) == LATEST_VERSION and migrate(store.runner) == []
        columns = {r[0] for r in store.con.execute(f"DESCRIBE {CACHE}").fetchall()}
        apply_run(store, RuleSet.default())
    assert "postal_code_other" in columns
    rows = normalised(small_store)
    assert rows["from_cache"].sum() > 0
    assert rows.drop("from_cache").equals(normalised(small_store, use_cache=False).drop("from_cache"))
