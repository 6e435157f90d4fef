"""Undo: one merge or a whole run, exactly reversed, audited, never twice, refused when blocked."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dedup.errors import DedupError
from dedup.merge.audit import trader_history
from dedup.merge.undo import undo
from dedup.rules import RuleSet
from dedup.rules.merging import MergeConfig
from dedup.store import Store
from tests.merge.merge_helpers import apply_given, build, rows_by_key, snapshot, trader

A, B, C, D = 11111111, 22222222, 33333333, 44444444
OLDEST = dataclasses.replace(RuleSet.default(), merge=MergeConfig(survivor_order=("oldest",)))


def case(case_id, trader_id):
    return {"case_id": case_id, "trader_id": trader_id, "opened_at": dt.datetime(2025, 1, 1),
            "case_type": "complaint", "goods_code": None}


@pytest.fixture
def store_path(tmp_path):
    """A (oldest) with a phone; B without a phone but a postcode A lacks... see each test."""
    return build(tmp_path / "s.duckdb",
                 traders=[trader(A, created_at=dt.datetime(2010, 1, 1), phone=None),
                          trader(B, created_at=dt.datetime(2011, 1, 1), phone="01872000002"),
                          trader(C, created_at=dt.datetime(2012, 1, 1)),
                          trader(D, created_at=dt.datetime(2013, 1, 1))],
                 cases=[case(1, A), case(2, B), case(3, C), case(4, D)])


def merge_id_of(store, merged_id):
    return store.con.execute("SELECT merge_id FROM merges WHERE merged_id = ? AND undone_at IS NULL",
                             [merged_id]).fetchall()[0][0]


def test_undo_of_one_merge_leaves_the_other_merges_of_its_run(store_path):
    with Store(store_path) as store:
        apply_given(store, [[A, B, C]], OLDEST)
        summary = undo(store.runner, merge_id=merge_id_of(store, C))
        assert summary["merges_undone"] == 1 and summary["cases_moved_back"] == 1
        status = dict(store.con.execute("SELECT trader_id, status FROM traders").fetchall())
        assert status == {A: "active", B: "merged", C: "active", D: "active"}
        assert dict(store.con.execute("SELECT case_id, trader_id FROM cases").fetchall()) == \
            {1: A, 2: A, 3: C, 4: D}


def test_rows_added_to_the_survivor_after_the_merge_stay_there(store_path):
    with Store(store_path) as store:
        summary = apply_given(store, [[A, B]], OLDEST)
        store.con.execute("INSERT INTO cases (case_id, trader_id, opened_at, case_type) "
                          "VALUES (10, ?, '2026-11-03', 'new')", [A])
        undo(store.runner, run_id=summary["run_id"])
        assert dict(store.con.execute("SELECT case_id, trader_id FROM cases").fetchall()) == \
            {1: A, 2: B, 3: C, 4: D, 10: A}


def test_rows_moved_elsewhere_since_are_left_where_they_are(store_path):
    with Store(store_path) as store:
        summary = apply_given(store, [[A, B]], OLDEST)
        store.con.execute("UPDATE cases SET trader_id = ? WHERE case_id = 2", [D])  # re-pointed by hand
        result = undo(store.runner, run_id=summary["run_id"])
        assert result["cases_moved_back"] == 0 and result["cases_left_in_place"] == 1
        assert store.con.execute("SELECT trader_id FROM cases WHERE case_id = 2").fetchall()[0] == (D,)


def test_field_fills_are_reverted_but_a_value_changed_since_is_kept(store_path):
    with Store(store_path) as store:
        before = rows_by_key(store, "traders")[A]
        summary = apply_given(store, [[A, B]], OLDEST)
        assert rows_by_key(store, "traders")[A]["phone"] == "01872000002"
        undo(store.runner, run_id=summary["run_id"])
        assert rows_by_key(store, "traders")[A] == before

        summary = apply_given(store, [[A, B]], OLDEST)
        store.con.execute("UPDATE traders SET phone = '01872999999' WHERE trader_id = ?", [A])
        result = undo(store.runner, run_id=summary["run_id"])
        assert result["fields_reverted"] == 0 and result["fields_kept"] == 1
        assert rows_by_key(store, "traders")[A]["phone"] == "01872999999"


def test_updated_at_comes_back_only_when_no_other_fill_of_the_run_remains(tmp_path):
    path = build(tmp_path / "s.duckdb", traders=[
        trader(A, created_at=dt.datetime(2010, 1, 1), phone=None, website=None),
        trader(B, created_at=dt.datetime(2011, 1, 1), phone="01872000002"),
        trader(C, created_at=dt.datetime(2012, 1, 1), website="acme.co.uk")])
    with Store(path) as store:
        original = rows_by_key(store, "traders")[A]
        apply_given(store, [[A, B, C]], OLDEST)
        filled_at = rows_by_key(store, "traders")[A]["updated_at"]
        undo(store.runner, merge_id=merge_id_of(store, B))
        row = rows_by_key(store, "traders")[A]
        assert (row["phone"], row["website"], row["updated_at"]) == (None, "acme.co.uk", filled_at)
        undo(store.runner, merge_id=merge_id_of(store, C))
        assert rows_by_key(store, "traders")[A] == original


def test_undo_is_refused_while_the_survivor_is_merged_into_another_record(store_path):
    with Store(store_path) as store:
        first = apply_given(store, [[B, C]], OLDEST)           # C -> B
        second = apply_given(store, [[A, B]], OLDEST)          # B -> A
        later = merge_id_of(store, B)
        with pytest.raises(DedupError, match=f"undo that first: dedup undo --merge {later}"):
            undo(store.runner, run_id=first["run_id"])
        undo(store.runner, run_id=second["run_id"])
        undo(store.runner, run_id=first["run_id"])
        assert dict(store.con.execute("SELECT case_id, trader_id FROM cases").fetchall()) == \
            {1: A, 2: B, 3: C, 4: D}


def test_undo_cannot_be_applied_twice_and_unknown_ids_are_clear_errors(store_path):
    with Store(store_path) as store:
        summary = apply_given(store, [[A, B]], OLDEST)
        merge = merge_id_of(store, B)
        undone = undo(store.runner, merge_id=merge)
        before = snapshot(store)
        already = f"merge {merge} was already undone \\(by run {undone['undo_run_id']}\\)"
        with pytest.raises(DedupError, match=already):
            undo(store.runner, merge_id=merge)
        with pytest.raises(DedupError, match=f"run {summary['run_id']} was already undone"):
            undo(store.runner, run_id=summary["run_id"])
        with pytest.raises(DedupError, match="no merge 999"):
            undo(store.runner, merge_id=999)
        with pytest.raises(DedupError, match="no run 999"):
            undo(store.runner, run_id=999)
        with pytest.raises(DedupError, match="is an undo run"):
            undo(store.runner, run_id=undone["undo_run_id"])
        assert snapshot(store) == before


def test_undo_is_audited_and_history_shows_merge_and_undo(store_path):
    with Store(store_path) as store:
        summary = apply_given(store, [[A, B]], OLDEST)
        undone = undo(store.runner, run_id=summary["run_id"])
        mode, status, stored = store.con.execute(
            "SELECT mode, status, summary FROM runs WHERE run_id = ?", [undone["undo_run_id"]]).fetchall()[0]
        assert (mode, status) == ("undo", "succeeded") and '"merges_undone": 1' in stored
        events = trader_history(store.runner, B)["events"]
        assert [e["event"] for e in events] == ["merged_into", "undone"]
        assert events[0]["moved"] == {"cases": [2]} and events[0]["field_changes"]
        assert events[1]["run_id"] == undone["undo_run_id"]
        assert [e["event"] for e in trader_history(store.runner, A)["events"]] == ["absorbed", "undone"]
        with pytest.raises(DedupError, match="no trader 5"):
            trader_history(store.runner, 5)
