"""Applying merges: survivor choice, re-pointing, field fills, chains, safety checks, audit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import polars as pl
import pytest

from dedup.errors import DedupError
from dedup.merge.apply import apply_merge
from dedup.merge.plan import MergePlan, merge_plan
from dedup.merge.undo import undo
from dedup.rules import RuleSet
from dedup.rules.merging import MergeConfig
from dedup.store import Store
from dedup.tables import StageTables
from tests.merge.merge_helpers import (
    NOW,
    TODAY,
    apply_given,
    build,
    rows_by_key,
    snapshot,
    trader,
)

A, B, C, D = 11111111, 22222222, 33333333, 44444444


def case(case_id, trader_id):
    return {"case_id": case_id, "trader_id": trader_id, "opened_at": dt.datetime(2025, 5, case_id % 28 + 1),
            "case_type": "complaint", "goods_code": "G1"}


def track(track_id, trader_id, start=TODAY - dt.timedelta(days=30), end=TODAY + dt.timedelta(days=30)):
    return {"track_id": track_id, "trader_id": trader_id, "ts_id": "TS9", "start_date": start,
            "end_date": end, "notes": "refer with commitment", "raised_at": TODAY}


def with_order(*order, fill=True) -> RuleSet:
    return dataclasses.replace(RuleSet.default(), merge=MergeConfig.from_table(
        {"survivor_order": list(order), "fill_missing_fields": fill}))


@pytest.fixture
def four(tmp_path):
    """Four records of one business: A oldest, B most cases, C an active track, D whitelisted."""
    return build(tmp_path / "s.duckdb",
                 traders=[trader(A, created_at=dt.datetime(2015, 1, 1)), trader(B), trader(C), trader(D)],
                 cases=[case(1, B), case(2, B), case(3, C)], tracks=[track(1, C)], whitelist=[D])


def test_survivor_order_is_whitelisted_then_active_then_cases_then_oldest_then_lowest_id(four):
    with Store(four) as store:
        apply_given(store, [[A, B, C, D]])
        assert survivors(store) == [D]
        undo_all(store)
        store.con.execute("DELETE FROM whitelist")
        apply_given(store, [[A, B, C, D]])      # no whitelist: the active track wins
        assert survivors(store) == [C]
        undo_all(store)
        apply_given(store, [[A, B, D]])         # then most cases
        assert survivors(store) == [B]
        undo_all(store)
        apply_given(store, [[A, D]])            # then the oldest
        assert survivors(store) == [A]


def test_configured_order_changes_the_survivor_but_whitelisted_still_comes_first(four):
    with Store(four) as store:
        apply_given(store, [[A, B, C]], with_order("oldest"))
        assert survivors(store) == [A]
        undo_all(store)
        apply_given(store, [[A, B, C, D]], with_order("oldest"))
        assert survivors(store) == [D]


def survivors(store) -> list[int]:
    """The survivors of the merges not undone."""
    return [s for (s,) in store.con.execute(
        "SELECT DISTINCT survivor_id FROM merges WHERE undone_at IS NULL ORDER BY 1").fetchall()]


def undo_all(store):
    """Undo every apply run, latest first (an earlier merge cannot go while a later one holds it)."""
    runs = store.con.execute("SELECT DISTINCT run_id FROM merges WHERE undone_at IS NULL "
                             "ORDER BY run_id DESC").fetchall()
    for (run_id,) in runs:
        undo(store.runner, run_id=run_id)


def test_children_move_keeping_ids_owners_dates_and_notes_and_moves_are_audited(four):
    with Store(four) as store:
        before = rows_by_key(store, "tracks")
        summary = apply_given(store, [[A, B, C]])
        assert summary["cases_repointed"] == 2 and summary["tracks_repointed"] == 0   # C survives
        after = rows_by_key(store, "tracks")
        assert after == before
        assert store.con.execute("SELECT trader_id FROM cases ORDER BY case_id").fetchall() == [(C,)] * 3
        moves = store.con.execute("SELECT m.merged_id, mv.table_name, mv.row_id FROM merge_moves mv "
                                  "JOIN merges m USING (merge_id) ORDER BY row_id").fetchall()
        assert moves == [(B, "cases", 1), (B, "cases", 2)]
        merged = store.con.execute("SELECT trader_id, status, merged_into FROM traders "
                                   "WHERE trader_id IN (?, ?) ORDER BY 1", [A, B]).fetchall()
        assert merged == [(A, "merged", C), (B, "merged", C)]


def test_merge_audit_keeps_the_record_as_it_was_and_the_rules_hash(four):
    with Store(four) as store:
        before = rows_by_key(store, "traders")[A]
        apply_given(store, [[A, B]])
        record, rules_hash, run_id, merged_at = store.con.execute(
            "SELECT merged_record, rules_hash, run_id, merged_at FROM merges WHERE merged_id = ?",
            [A]).fetchall()[0]
        record = json.loads(record)
        assert record["status"] == "active" and record["name"] == before["name"]
        assert record["merged_into"] is None and record["trader_id"] == A
        assert rules_hash == RuleSet.default().hash and merged_at == NOW
        status, mode = store.con.execute("SELECT status, mode FROM runs WHERE run_id = ?",
                                         [run_id]).fetchall()[0]
        assert (status, mode) == ("succeeded", "apply")


def test_missing_fields_are_filled_from_the_next_best_record_and_audited(tmp_path):
    path = build(tmp_path / "s.duckdb", traders=[
        trader(A, phone=None, website="  ", postcode="TR1 1AA", created_at=dt.datetime(2010, 1, 1)),
        trader(B, phone="01872000002", website=None, created_at=dt.datetime(2012, 1, 1)),
        trader(C, phone="01872000003", website="acme.co.uk", created_at=dt.datetime(2014, 1, 1))])
    with Store(path) as store:
        summary = apply_given(store, [[A, B, C]])
        row = rows_by_key(store, "traders")[A]
        assert (row["phone"], row["website"], row["postcode"]) == ("01872000002", "acme.co.uk", "TR1 1AA")
        assert row["updated_at"] == NOW
        assert summary["fields_filled"] == 2
        changes = dict(store.con.execute(
            "SELECT merged_id, [c.field FOR c IN field_changes] FROM merges").fetchall())
        assert changes == {B: ["phone", "updated_at"], C: ["updated_at", "website"]}


def test_fills_can_be_switched_off(tmp_path):
    path = build(tmp_path / "s.duckdb", traders=[trader(A, phone=None, created_at=dt.datetime(2010, 1, 1)),
                                                 trader(B, phone="01872000002")])
    with Store(path) as store:
        before = rows_by_key(store, "traders")[A]
        assert apply_given(store, [[A, B]], with_order(fill=False))["fields_filled"] == 0
        assert rows_by_key(store, "traders")[A] == before


def test_chain_a_to_b_to_c_resolves_to_c(tmp_path):
    path = build(tmp_path / "s.duckdb",
                 traders=[trader(A, created_at=dt.datetime(2022, 1, 1)),
                          trader(B, created_at=dt.datetime(2021, 1, 1)),
                          trader(C, created_at=dt.datetime(2020, 1, 1))],
                 cases=[case(1, A), case(2, B)])
    oldest = with_order("oldest")
    with Store(path) as store:
        apply_given(store, [[A, B]], oldest)
        apply_given(store, [[B, C]], oldest)
        assert store.con.execute("SELECT trader_id, merged_into FROM traders WHERE status = 'merged' "
                                 "ORDER BY 1").fetchall() == [(A, B), (B, C)]
        resolved = store.con.execute("SELECT trader_id, resolved_id FROM trader_resolution ORDER BY 1")
        assert resolved.fetchall() == [(A, C), (B, C), (C, C)]
        assert store.con.execute("SELECT DISTINCT trader_id FROM cases").fetchall() == [(C,)]


def test_rows_attached_to_a_merged_record_later_are_swept_to_its_survivor_and_undone_with_it(tmp_path):
    path = build(tmp_path / "s.duckdb",
                 traders=[trader(A, created_at=dt.datetime(2022, 1, 1)),
                          trader(B, created_at=dt.datetime(2021, 1, 1)),
                          trader(C, created_at=dt.datetime(2020, 1, 1))])
    oldest = with_order("oldest")
    with Store(path) as store:
        apply_given(store, [[A, B]], oldest)
        apply_given(store, [[B, C]], oldest)
        store.con.execute("INSERT INTO cases (case_id, trader_id, opened_at, case_type) "
                          "VALUES (9, ?, '2026-01-01', 'late')", [A])
        from dedup.merge.apply import sweep_stragglers
        with store.runner.transaction():
            assert sweep_stragglers(store.runner, 99)["cases"] == 2     # A -> B -> C, one hop a round
        assert store.con.execute("SELECT trader_id FROM cases").fetchall() == [(C,)]
        undo_all(store)     # latest run first: A -> B cannot be undone while B is merged into C
        assert store.con.execute("SELECT trader_id FROM cases").fetchall() == [(A,)]


def test_apply_refuses_a_plan_that_merges_a_whitelisted_record_and_changes_nothing(four):
    with Store(four) as store:
        before = snapshot(store, ("traders", "cases", "tracks", "certificates", "whitelist"))
        bad = StageTables("bad_")  # a plan made by hand, in tables of its own
        store.con.execute(f"CREATE TEMP TABLE {bad.plan} AS SELECT {D}::BIGINT AS merged_id, "
                          f"{A}::BIGINT AS survivor_id, 1 AS group_id, 2 AS rank, NULL::DOUBLE AS score, "
                          f"NULL::JSON AS explanation, '{{}}'::JSON AS merged_record")
        store.con.execute(f"CREATE TEMP TABLE {bad.plan_fills} (survivor_id BIGINT, source_id BIGINT, "
                          "field VARCHAR, old_value VARCHAR, new_value VARCHAR)")
        plan = MergePlan(RuleSet.default(), TODAY, tables=bad)
        with pytest.raises(DedupError, match=f"trader {D} is whitelisted"), store.runner.transaction():
            apply_merge(store.runner, plan, run_id=1, merged_at=NOW)
        assert snapshot(store, ("traders", "cases", "tracks", "certificates", "whitelist")) == before
        assert store.con.execute("SELECT count(*) FROM merges").fetchall()[0] == (0,)


def test_plan_never_merges_a_cluster_with_two_whitelisted_records(four):
    with Store(four) as store:
        store.con.execute("INSERT INTO whitelist (trader_id) VALUES (?)", [A])
        assert apply_given(store, [[A, B, D]])["records_merged"] == 0
        store.runner.register("g", pl.DataFrame({"trader_id": [A, B], "group_id": [1, 1]}))
        merge_plan(store.runner, RuleSet.default(), "g", today=TODAY)
        assert store.con.execute("SELECT survivor_id, merged_id FROM __dedup__plan").fetchall() == [(A, B)]


def test_a_trader_in_two_groups_is_refused(four):
    with Store(four) as store:
        with pytest.raises(DedupError, match="more than one group"):
            apply_given(store, [[A, B], [B, C]])
        assert store.con.execute("SELECT status FROM runs").fetchall() == [("failed",)]
        assert store.con.execute("SELECT count(*) FROM traders WHERE status = 'merged'").fetchall()[0] == (0,)


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(four):
    with Store(four) as store:
        store.con.execute("INSERT INTO runs (run_id, started_at, mode, status) "
                          "VALUES (1, now()::TIMESTAMP, 'apply', 'running')")
        apply_given(store, [[A, B]])
        assert store.con.execute("SELECT run_id, status FROM runs ORDER BY 1").fetchall() == \
            [(1, "interrupted"), (2, "succeeded")]
