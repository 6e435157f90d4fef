"""`dedup.survivor`: which record of a cluster survives. The SQL ranking on a real store, against
a Python sort of the same facts (hypothesis: random records, tracks, certificates, cases and
orders), and the order clause itself. (tests/merge/test_apply.py checks the same order through a
whole apply run.)"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.rules.merging import DEFAULT_SURVIVOR_ORDER, MergeConfig
from dedup.sql import SqlStep
from dedup.store import Store
from dedup.survivor import (
    CRITERION_ORDER_SQL,
    choose_survivors_sql,
    rank_members_sql,
    survivor_order_clause,
)
from tests.merge.merge_helpers import TODAY, insert, new_store, trader

DAY = dt.timedelta(days=1)
#: A track or certificate's dates and whether it is active on TODAY (both ends count).
WINDOWS = [((TODAY - 10 * DAY, TODAY + 10 * DAY), True), ((TODAY, TODAY), True),
           ((TODAY - 10 * DAY, TODAY - DAY), False), ((TODAY + DAY, TODAY + 9 * DAY), False),
           ((None, TODAY + DAY), False), ((TODAY - DAY, None), False)]
CREATED = [dt.datetime(2015, 1, 1), dt.datetime(2019, 6, 1), dt.datetime(2019, 6, 1), None]
MIDDLE = ("active_track_or_certificate", "most_cases", "oldest")

member = st.fixed_dictionaries({
    "component": st.integers(0, 1),
    "whitelisted": st.booleans(),
    "tracks": st.lists(st.integers(0, len(WINDOWS) - 1), max_size=2),
    "certificates": st.lists(st.integers(0, len(WINDOWS) - 1), max_size=1),
    "cases": st.integers(0, 3),
    "created": st.integers(0, len(CREATED) - 1),
})
orders = st.lists(st.sampled_from(MIDDLE), unique=True).map(
    lambda middle: MergeConfig(survivor_order=tuple(middle)).survivor_order)


def expected_ranking(members: list[dict], order: tuple[str, ...]) -> dict[int, list[int]]:
    """Each component's trader ids, best first, sorted in Python on the documented facts."""
    def key(m):
        active = any(WINDOWS[w][1] for w in m["tracks"] + m["certificates"])
        created = CREATED[m["created"]]
        facts = {"whitelisted": not m["whitelisted"], "active_track_or_certificate": not active,
                 "most_cases": -m["cases"],
                 "oldest": (created is None, created or dt.datetime.min), "lowest_id": m["id"]}
        return [facts[c] for c in order] + [m["id"]]
    ranking = {}
    for m in sorted(members, key=key):
        ranking.setdefault(m["component"], []).append(m["id"])
    return ranking


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with Store(new_store(tmp_path_factory.mktemp("survivor") / "s.duckdb")) as store:
        yield store


def load(store: Store, members: list[dict]) -> None:
    """Exactly these members in the store's tables, and in the `members` table (one transaction:
    one write to the file per example)."""
    store.con.execute("BEGIN TRANSACTION")
    for table in ("cases", "tracks", "certificates", "whitelist", "traders"):
        store.con.execute(f"DELETE FROM {table}")
    insert(store, "traders", [trader(m["id"], created_at=CREATED[m["created"]]) for m in members])
    insert(store, "whitelist", [{"trader_id": m["id"]} for m in members if m["whitelisted"]])
    ids = itertools.count(1)
    insert(store, "cases", [{"case_id": next(ids), "trader_id": m["id"], "opened_at": dt.datetime(2025, 1, 1)}
                            for m in members for _ in range(m["cases"])])
    for table, key in (("tracks", "track_id"), ("certificates", "certificate_id")):
        insert(store, table, [{key: next(ids), "trader_id": m["id"], "ts_id": "TS1",
                               "start_date": WINDOWS[w][0][0], "end_date": WINDOWS[w][0][1]}
                              for m in members for w in m[table]])
    store.con.execute("CREATE OR REPLACE TEMP TABLE members AS SELECT * FROM (VALUES (0, 0)) v(trader_id, component) "
                      "WHERE FALSE")
    store.con.executemany("INSERT INTO members VALUES (?, ?)", [(m["id"], m["component"]) for m in members])
    store.con.execute("COMMIT")


@settings(max_examples=40)
@given(st.lists(member, min_size=1, max_size=7), orders)
def test_the_ranking_is_the_documented_order_of_the_facts(store, drawn, order):
    members = [{**m, "id": 100 - i} for i, m in enumerate(drawn)]   # ids not in insertion order
    load(store, members)
    store.runner.run([rank_members_sql("members", "ranked", TODAY, order),
                      choose_survivors_sql("members", "chosen", TODAY, order)])
    ranked = store.runner.fetchall(SqlStep("ranked", "SELECT component, trader_id FROM ranked "
                                                     "ORDER BY component, rank"))
    got: dict[int, list[int]] = {}
    for component, trader_id in ranked:
        got.setdefault(component, []).append(trader_id)
    expected = expected_ranking(members, order)
    assert got == expected
    chosen = store.runner.fetchall(SqlStep("chosen", "SELECT trader_id, component, survivor_id, whitelisted "
                                                     "FROM chosen ORDER BY trader_id"))
    assert {(t, c, s) for t, c, s, _ in chosen} == {(m["id"], m["component"], expected[m["component"]][0])
                                                     for m in members}
    assert {t for t, _, _, w in chosen if w} == {m["id"] for m in members if m["whitelisted"]}
    ranks = store.runner.fetchall(SqlStep("ranks", "SELECT component, list(rank ORDER BY rank) FROM ranked "
                                                   "GROUP BY component"))
    assert all(r == list(range(1, len(r) + 1)) for _, r in ranks)   # a strict order: no ties


def test_the_facts_survivor_choice_ranks_on(store):
    members = [{"id": 1, "component": 0, "whitelisted": True, "tracks": [2], "certificates": [0],
                "cases": 2, "created": 3},
               {"id": 2, "component": 0, "whitelisted": False, "tracks": [2, 3, 4, 5], "certificates": [],
                "cases": 0, "created": 0}]
    load(store, members)
    store.runner.run(rank_members_sql("members", "ranked", TODAY, DEFAULT_SURVIVOR_ORDER))
    rows = store.runner.fetchall(SqlStep("facts", "SELECT trader_id, whitelisted, has_active, cases, created_at, "
                                                  "rank FROM ranked ORDER BY trader_id"))
    assert rows == [(1, True, True, 2, None, 1), (2, False, False, 0, dt.datetime(2015, 1, 1), 2)]
    store.runner.run(rank_members_sql("members", "ranked", TODAY + 30 * DAY, DEFAULT_SURVIVOR_ORDER))
    assert store.runner.scalar(SqlStep("later", "SELECT has_active FROM ranked WHERE trader_id = 1")) is False


def test_the_order_clause_always_ends_on_the_lowest_id():
    assert survivor_order_clause(DEFAULT_SURVIVOR_ORDER) == (
        "whitelisted DESC, has_active DESC, cases DESC, created_at ASC NULLS LAST, trader_id ASC")
    assert survivor_order_clause(("whitelisted", "oldest")) == (
        "whitelisted DESC, created_at ASC NULLS LAST, trader_id ASC")
    assert set(CRITERION_ORDER_SQL) == set(DEFAULT_SURVIVOR_ORDER)


def test_an_unknown_criterion_never_reaches_the_sql():
    with pytest.raises(KeyError):
        survivor_order_clause(("whitelisted", "name; DROP TABLE traders"))
