"""`dedup.merge.plan`: the plan of a merge, built on real stores and read back before anything is
applied. Who is merged into whom, which groups are left alone, which scored pair explains each
merge, which survivor fields would be filled, and that building it writes nothing (a read-only
store will do)."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from dedup.errors import SqlError
from dedup.merge.plan import explained_pairs_sqls, fills_sqls, merge_plan, pipeline_groups_sql
from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.sql import SqlStep
from dedup.store import Store
from dedup.tables import StageTables
from tests.conftest import TODAY, store_fingerprint
from tests.merge.merge_helpers import apply_given, build, trader


def groups(store: Store, *members: list[int], name: str = "groups") -> str:
    ids = [t for group in members for t in group]
    labels = [g for g, group in enumerate(members) for _ in group]
    store.runner.register(name, pl.DataFrame({"trader_id": ids, "group_id": labels},
                                             schema={"trader_id": pl.Int64, "group_id": pl.Int64}))
    return name


def plan_rows(store: Store, plan) -> list[dict]:
    return store.runner.frame(SqlStep("plan", f"SELECT * FROM {plan.table} ORDER BY merged_id")).to_dicts()


def fills(store: Store, plan) -> list[tuple]:
    return store.runner.fetchall(SqlStep("fills", f"SELECT survivor_id, source_id, field, old_value, new_value "
                                                  f"FROM {plan.fills} ORDER BY survivor_id, field"))


@pytest.fixture
def six(tmp_path):
    """Two businesses of three records each (1 and 4 the oldest) and a whitelisted pair (7, 8)."""
    older, newer = dt.datetime(2010, 1, 1), dt.datetime(2020, 1, 1)
    return build(tmp_path / "six.duckdb", traders=[
        trader(1, created_at=older, phone="N/A"), trader(2, created_at=newer, phone="01872 000002"),
        trader(3, created_at=newer, phone="01872 000003", website="acme.co.uk"),
        trader(4, "Bolt Cycles", created_at=older), trader(5, "Bolt Cycles Ltd", created_at=newer),
        trader(6, "Bolt Cycles Limited", created_at=newer, status="merged", merged_into=4),
        trader(7, "Penrose Motors"), trader(8, "Penrose Motors Ltd")], whitelist=[7, 8])


def test_each_record_but_the_survivor_is_planned_into_it_and_nothing_is_written(six):
    before = store_fingerprint(six)
    with Store(six, read_only=True) as store:
        plan = merge_plan(store.runner, RuleSet.default(), groups(store, [1, 2, 3], [4, 5, 6]), today=TODAY)
        rows = plan_rows(store, plan)
        traders = {r["trader_id"]: r for r in store.runner.frame(SqlStep("t", "SELECT * FROM traders")).to_dicts()}
    assert [(r["merged_id"], r["survivor_id"], r["group_id"], r["rank"]) for r in rows] == [
        (2, 1, 0, 2), (3, 1, 0, 3), (5, 4, 1, 2)]   # 6 is merged already: not planned again
    assert all(r["score"] is None and r["explanation"] is None for r in rows)   # no scored pairs given
    record = json.loads(rows[0]["merged_record"])
    assert record["trader_id"] == 2 and record["name"] == traders[2]["name"] and record["status"] == "active"
    assert plan.today == TODAY and plan.rules == RuleSet.default()
    assert store_fingerprint(six) == before


def test_groups_that_cannot_merge_are_left_out(six):
    with Store(six, read_only=True) as store:
        plan = merge_plan(store.runner, RuleSet.default(),
                          groups(store, [7, 8], [4, 6], [2, 99999999]), today=TODAY)
        # two whitelisted records; one active member (6 is merged); one member not in the store
        assert plan_rows(store, plan) == [] and fills(store, plan) == []


def test_a_trader_in_two_groups_is_refused_naming_it(six):
    with Store(six, read_only=True) as store:
        with pytest.raises(SqlError, match="trader 2 is in more than one group to merge"):
            merge_plan(store.runner, RuleSet.default(), groups(store, [1, 2], [2, 3]), today=TODAY)


def test_planning_the_same_groups_after_they_merged_plans_nothing(six):
    with Store(six) as store:
        assert apply_given(store, [[1, 2, 3]])["records_merged"] == 2
        plan = merge_plan(store.runner, RuleSet.default(), groups(store, [1, 2, 3]), today=TODAY)
        assert plan_rows(store, plan) == []


def test_fills_take_the_best_ranked_real_value_and_keep_what_the_survivor_had(six):
    with Store(six, read_only=True) as store:
        plan = merge_plan(store.runner, RuleSet.default(), groups(store, [1, 2, 3]), today=TODAY)
        # 1's "N/A" phone counts as missing: 2 is ranked before 3 (same age, lower id)
        assert fills(store, plan) == [(1, 2, "phone", "N/A", "01872 000002"),
                                      (1, 3, "website", None, "acme.co.uk")]


def test_only_the_fields_asked_for_are_filled_and_an_unknown_one_is_refused(six):
    tables = StageTables()
    with Store(six, read_only=True) as store:
        merge_plan(store.runner, RuleSet.default(), groups(store, [1, 2, 3]), today=TODAY, tables=tables)
        store.runner.run(fills_sqls(("website",), tables))
        assert store.runner.fetchall(SqlStep("fills", f"SELECT field FROM {tables.plan_fills}")) == [("website",)]
    with pytest.raises(ValueError, match="not a fillable field: 'name'"):
        fills_sqls(("website", "name"), tables)


def test_pipeline_groups_are_the_components_not_held(tmp_path):
    db = build(tmp_path / "s.duckdb", traders=[trader(1)])
    with Store(db, read_only=True) as store:
        store.con.execute("CREATE TEMP TABLE clusters AS SELECT * FROM (VALUES "
                          "(1, 10, FALSE), (2, 10, FALSE), (3, 30, TRUE), (4, 30, TRUE), (5, NULL, FALSE)) "
                          "v(trader_id, component, held)")
        store.runner.run(pipeline_groups_sql("clusters", "groups"))
        assert store.con.execute("SELECT * FROM groups ORDER BY 1").fetchall() == [(1, 10), (2, 10)]


def test_the_pair_that_explains_a_merge(tmp_path):
    """To the survivor if that pair is in the merge band; else the best merge-band pair inside the
    group; else (a group accepted from review) the best review-band pair; never a pair leaving the
    group."""
    db = build(tmp_path / "s.duckdb", traders=[trader(t) for t in (1, 2, 3, 4, 5, 9)])
    tables = StageTables()
    with Store(db, read_only=True) as store:
        merge_plan(store.runner, RuleSet.default(), groups(store, [1, 2, 3], [4, 5]), today=TODAY, tables=tables)
        store.con.execute("CREATE TEMP TABLE scored AS SELECT * FROM (VALUES "
                          "(1, 2, 'review', 8.0), (2, 3, 'merge', 15.0), (1, 3, 'merge', 12.0), "
                          "(4, 5, 'review', 9.0), (5, 9, 'merge', 20.0), (2, 9, 'merge', 30.0), "
                          "(3, 4, 'merge', 40.0)) v(left_id, right_id, band, score)")
        store.runner.run(explained_pairs_sqls("scored", tables))
        chosen = store.con.execute(f"SELECT merged_id, left_id, right_id FROM {tables.plan_pairs} "
                                   f"ORDER BY 1").fetchall()
        pair_rows = store.con.execute(f"SELECT count(*) FROM {tables.plan_pair_rows}").fetchone()[0]
    assert chosen == [(2, 2, 3), (3, 1, 3), (5, 4, 5)]
    assert pair_rows == 3


def test_a_run_s_merges_are_explained_by_their_own_scored_pairs(small_store):
    with Store(small_store, read_only=True) as store:
        run = run_pipeline(store, RuleSet.default(), today=TODAY)
        store.runner.run(pipeline_groups_sql(run.cluster_table, "run_groups"))
        plan = merge_plan(store.runner, run.rules, "run_groups", today=TODAY, scored=run.scored)
        rows = plan_rows(store, plan)
        scores = {(a, b): s for a, b, s in store.runner.fetchall(SqlStep(
            "scores", f"SELECT left_id, right_id, score FROM {run.scored} WHERE band = 'merge'"))}
        clusters = dict(run.clusters().iter_rows())
    assert len(rows) == run.summary["records_to_merge"] > 0
    for row in rows:
        explanation = json.loads(row["explanation"])
        pair = tuple(explanation["pair"])
        assert row["merged_id"] in pair and pair in scores
        assert row["score"] == explanation["score"] == scores[pair]
        assert explanation["band"] == "merge" and explanation["comparisons"]
        assert clusters[row["merged_id"]] == row["survivor_id"]   # the survivor the dry run names
