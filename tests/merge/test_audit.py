"""`dedup.merge.audit`: what a merge writes down (one `merges` row per merged record, one
`merge_moves` row per child row re-pointed) and a trader's history read back from it: merges
into and out of it along a chain, undos and proposals, oldest first."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from dedup.errors import DedupError
from dedup.merge.audit import CHILD_TABLES, trader_history
from dedup.merge.undo import undo
from dedup.rules import RuleSet
from dedup.rules.merging import MergeConfig
from dedup.sql import SqlStep
from dedup.store import Store
from tests.merge.merge_helpers import NOW, TODAY, apply_given, build, rows_by_key, trader

A, B, C, LONE = 11111111, 22222222, 33333333, 44444444
OLDEST = dataclasses.replace(RuleSet.default(), merge=MergeConfig(survivor_order=("oldest",)))


def child(table: str, row_id: int, trader_id: int) -> dict:
    if table == "cases":
        return {"case_id": row_id, "trader_id": trader_id, "opened_at": dt.datetime(2025, 1, 1)}
    key = "track_id" if table == "tracks" else "certificate_id"
    return {key: row_id, "trader_id": trader_id, "ts_id": "TS1", "start_date": TODAY, "end_date": TODAY}


@pytest.fixture
def chain(tmp_path):
    """C oldest, then B, then A; each with children of its own; LONE has nothing to do with them."""
    return build(tmp_path / "s.duckdb",
                 traders=[trader(A, created_at=dt.datetime(2022, 1, 1), website="acme.co.uk"),
                          trader(B, created_at=dt.datetime(2021, 1, 1), phone="01872 000002"),
                          trader(C, created_at=dt.datetime(2020, 1, 1)), trader(LONE, "Lone Trader")],
                 cases=[child("cases", 1, A), child("cases", 2, A), child("cases", 3, B), child("cases", 4, C)],
                 tracks=[child("tracks", 7, A)], certificates=[child("certificates", 9, B)],
                 whitelist=[LONE])


def test_each_merge_records_the_record_as_it_was_and_each_child_row_it_moved(chain):
    with Store(chain) as store:
        before = rows_by_key(store, "traders")
        summary = apply_given(store, [[A, B, C]], OLDEST)
        merges = {m["merged_id"]: m for m in store.runner.frame(SqlStep("merges", "SELECT * FROM merges")).to_dicts()}
        moves = store.con.execute("SELECT m.merged_id, mv.table_name, mv.row_id, mv.run_id FROM merge_moves mv "
                                  "JOIN merges m USING (merge_id) ORDER BY 2, 3").fetchall()
    assert sorted(merges) == [A, B]
    for merged_id, m in merges.items():
        assert (m["survivor_id"], m["run_id"], m["merged_at"]) == (C, summary["run_id"], NOW)
        assert (m["rules_name"], m["rules_hash"]) == (OLDEST.name, OLDEST.hash)
        record = json.loads(m["merged_record"])
        assert record["name"] == before[merged_id]["name"] and record["status"] == "active"
    # C takes B's phone (B ranks before A) and A's website, each recorded on the merge it came with
    assert [c["field"] for c in merges[B]["field_changes"]] == ["phone", "updated_at"]
    assert [c["field"] for c in merges[A]["field_changes"]] == ["updated_at", "website"]
    assert {"field": "website", "old_value": None, "new_value": "acme.co.uk"} in merges[A]["field_changes"]
    # every child row of a merged record, by its own id; none of the survivor's
    assert moves == [(A, "cases", 1, summary["run_id"]), (A, "cases", 2, summary["run_id"]),
                     (B, "cases", 3, summary["run_id"]), (B, "certificates", 9, summary["run_id"]),
                     (A, "tracks", 7, summary["run_id"])]
    assert {t.name for t in CHILD_TABLES} == {"cases", "tracks", "certificates"}


def test_a_history_follows_a_chain_of_merges_oldest_first(chain):
    with Store(chain) as store:
        first = apply_given(store, [[A, B]], OLDEST, now=NOW)                          # A into B
        second = apply_given(store, [[B, C]], OLDEST, now=NOW + dt.timedelta(hours=1))  # B into C
        of_a, of_b, of_c = (trader_history(store.runner, t) for t in (A, B, C))
    assert of_a["trader"]["status"] == "merged" and of_a["trader"]["merged_into"] == B
    assert of_a["trader"]["resolved_id"] == C and of_c["trader"]["resolved_id"] == C
    assert [(e["event"], e["run_id"]) for e in of_a["events"]] == [("merged_into", first["run_id"])]
    assert [(e["event"], e["run_id"]) for e in of_b["events"]] == [("absorbed", first["run_id"]),
                                                                   ("merged_into", second["run_id"])]
    assert [(e["event"], e["merged_id"]) for e in of_c["events"]] == [("absorbed", B)]
    merged_into = of_a["events"][0]
    assert merged_into["survivor_id"] == B and merged_into["record_before"]["trader_id"] == A
    assert merged_into["moved"] == {"cases": [1, 2], "tracks": [7]}
    assert merged_into["rules"] == {"name": OLDEST.name, "hash": OLDEST.hash}
    assert merged_into["explanation"] is None and merged_into["score"] is None   # groups given, not scored
    assert "record_before" not in of_b["events"][0]                              # only on the merged side
    assert of_b["events"][0]["moved"] == of_a["events"][0]["moved"]


def test_an_undo_and_a_proposal_are_events_in_time_order(chain):
    with Store(chain) as store:
        summary = apply_given(store, [[A, B]], OLDEST)
        store.con.execute("INSERT INTO proposals (proposal_id, run_id, kind, trader_ids, score, explanation, "
                          "status, created_at) VALUES (1, ?, 'pair', [?, ?], 9.5, '{\"band\": \"review\"}', "
                          "'open', ?)", [summary["run_id"], B, C, NOW + dt.timedelta(minutes=5)])
        undone = undo(store.runner, run_id=summary["run_id"], now=NOW + dt.timedelta(hours=2))
        events = trader_history(store.runner, B)["events"]
    assert [e["event"] for e in events] == ["absorbed", "proposed", "undone"]
    proposed, back = events[1], events[2]
    assert (proposed["proposal_id"], proposed["kind"], proposed["trader_ids"]) == (1, "pair", [B, C])
    assert proposed["explanation"] == {"band": "review"} and proposed["status"] == "open"
    assert (back["run_id"], back["merged_id"], back["survivor_id"]) == (undone["undo_run_id"], A, B)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_a_trader_nothing_happened_to(chain):
    with Store(chain, read_only=True) as store:
        report = trader_history(store.runner, LONE)
    assert report["events"] == []
    t = report["trader"]
    assert (t["trader_id"], t["name"], t["status"], t["resolved_id"], t["whitelisted"]) == \
        (LONE, "Lone Trader", "active", LONE, True)


def test_an_unknown_trader_is_a_one_line_error(chain):
    with Store(chain, read_only=True) as store:
        with pytest.raises(DedupError) as caught:
            trader_history(store.runner, 5)
    assert str(caught.value) == "no trader 5 in the store"


def test_a_merge_loop_in_damaged_data_does_not_hang_the_history(tmp_path):
    """merged_into pointing in a circle (hand-edited data) stops after 100 hops."""
    db = build(tmp_path / "loop.duckdb", traders=[trader(1, status="merged", merged_into=2),
                                                  trader(2, status="merged", merged_into=1)])
    with Store(db, read_only=True) as store:
        assert trader_history(store.runner, 1)["trader"]["resolved_id"] in (1, 2)
