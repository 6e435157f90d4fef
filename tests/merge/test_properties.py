"""Properties of apply and undo over randomly generated stores and random clusters.

Hypothesis draws traders (with empty, blank, placeholder and filled fields, ties in creation
date), cases,
tracks and certificates (active, expired, future, undated), a whitelist, a random partition of the
traders into clusters and a random merge configuration. The clusters go straight to the plan /
apply layer. A plain-Python model of the documented survivor rules says what must happen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from dedup.merge.undo import undo
from dedup.missing import PLACEHOLDER_KEYS
from dedup.rules import RuleSet
from dedup.rules.merging import MergeConfig
from dedup.store import Store
from tests.merge.merge_helpers import (
    CHILDREN,
    TODAY,
    apply_given,
    build,
    rows_by_key,
    snapshot,
    trader,
)

DATES = [TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=10), TODAY,
         TODAY + dt.timedelta(days=10), TODAY + dt.timedelta(days=400)]
CREATED = [dt.datetime(2019, 1, 1), dt.datetime(2020, 6, 1), dt.datetime(2021, 3, 5)]
MIDDLE = ["active_track_or_certificate", "most_cases", "oldest"]


PLACEHOLDERS = ["N/A", "TBC", "-", "?", "unknown", "0000"]


def maybe(values):
    return st.one_of(st.none(), st.just(""), st.just("  "), st.sampled_from(PLACEHOLDERS),
                     st.sampled_from(values))


@st.composite
def worlds(draw):
    ids = draw(st.lists(st.integers(10_000_000, 10_000_099), min_size=2, max_size=16, unique=True))
    traders = [trader(i, name=draw(st.sampled_from(["Acme", "Bolt Ltd", "Cobb & Co"])),
                      address=draw(maybe(["1 High St, Truro", "Unit 2, Low Rd"])),
                      postcode=draw(maybe(["TR1 1AA", "TR2 2BB"])),
                      phone=draw(maybe(["01872123456", "07700900123"])),
                      website=draw(maybe(["acme.co.uk", "bolt.com"])),
                      created_at=draw(st.one_of(st.none(), st.sampled_from(CREATED))),
                      updated_at=draw(st.one_of(st.none(), st.just(dt.datetime(2024, 1, 1)))))
               for i in ids]
    whitelist = draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
    owner = st.sampled_from(ids)
    date = st.one_of(st.none(), st.sampled_from(DATES))
    cases = [{"case_id": 500 + k, "trader_id": draw(owner),
              "opened_at": dt.datetime(2025, 1, 1) + dt.timedelta(days=k),
              "case_type": draw(st.sampled_from(["complaint", "enquiry", None])), "goods_code": f"G{k}"}
             for k in range(draw(st.integers(0, 25)))]
    tracks = [{"track_id": 700 + k, "trader_id": draw(owner), "ts_id": f"TS{k % 3}",
               "start_date": draw(date), "end_date": draw(date), "notes": f"track note {k}",
               "raised_at": TODAY} for k in range(draw(st.integers(0, 8)))]
    certificates = [{"certificate_id": 900 + k, "trader_id": draw(owner), "ts_id": f"TS{k % 4}",
                     "scheme": "Buy with Confidence", "start_date": draw(date),
                     "end_date": draw(date), "notes": None if k % 2 else f"cert {k}"}
                    for k in range(draw(st.integers(0, 8)))]
    # Mostly in a cluster, a few left alone; three labels so clusters have several members.
    label = st.sampled_from([None, 0, 0, 1, 1, 2])
    labels = draw(st.lists(label, min_size=len(ids), max_size=len(ids)))
    groups: dict[int, list[int]] = {}
    for trader_id, label in zip(ids, labels):
        if label is not None:
            groups.setdefault(label, []).append(trader_id)
    middle = draw(st.permutations(MIDDLE))[:draw(st.integers(0, 3))]
    fill = draw(st.sampled_from([list(MergeConfig().fill_missing_fields), [], ["phone"],
                                 ["postcode", "address"]]))
    config = MergeConfig(survivor_order=("whitelisted", *middle), fill_missing_fields=tuple(fill))
    return {"traders": traders, "cases": cases, "tracks": tracks, "certificates": certificates,
            "whitelist": whitelist, "groups": list(groups.values()), "config": config}


def blank(value) -> bool:
    """Missing as docs/merging.md defines it: no letters or digits but a placeholder word's,
    or only zeros."""
    if value is None:
        return True
    key = "".join(ch for ch in value.lower() if ch.isalnum())
    return key in PLACEHOLDER_KEYS or set(key) <= {"0"}


def model(world) -> tuple[dict[int, int], dict[int, dict[str, str]]]:
    """The documented rules in plain Python: {merged: survivor}, {survivor: {field: value}}."""
    whitelisted = set(world["whitelist"])
    cases = Counter(c["trader_id"] for c in world["cases"])
    active = {x["trader_id"] for x in world["tracks"] + world["certificates"]
              if x["start_date"] and x["end_date"] and x["start_date"] <= TODAY <= x["end_date"]}
    rows = {t["trader_id"]: t for t in world["traders"]}
    terms = {
        "whitelisted": lambda t: t not in whitelisted,
        "active_track_or_certificate": lambda t: t not in active,
        "most_cases": lambda t: -cases[t],
        "oldest": lambda t: (rows[t]["created_at"] is None, rows[t]["created_at"] or dt.datetime.min),
        "lowest_id": lambda t: t,
    }
    order = world["config"].survivor_order

    merged_into, fills = {}, {}
    for group in world["groups"]:
        if len(group) < 2 or len(whitelisted & set(group)) > 1:
            continue
        ranked = sorted(group, key=lambda t: tuple(terms[c](t) for c in order) + (t,))
        survivor = ranked[0]
        merged_into.update({m: survivor for m in ranked[1:]})
        for field in world["config"].fill_missing_fields:
            if blank(rows[survivor][field]):
                source = next((m for m in ranked[1:] if not blank(rows[m][field])), None)
                if source is not None:
                    fills.setdefault(survivor, {})[field] = rows[source][field]
    return merged_into, fills


@given(worlds())
def test_apply_moves_everything_to_the_survivor_and_undo_restores_the_store(world):
    rules = dataclasses.replace(RuleSet.default(), merge=world["config"])
    merged_into, fills = model(world)
    event(f"merged records: {min(len(merged_into), 3)}{'+' if len(merged_into) >= 3 else ''}")
    event(f"survivors filled: {bool(fills)}")
    def survivor(t):
        return merged_into.get(t, t)
    with tempfile.TemporaryDirectory() as folder:
        path = build(Path(folder) / "store.duckdb", **{k: world[k] for k in
                     ("traders", "cases", "tracks", "certificates", "whitelist")})
        with Store(path) as store:
            before = snapshot(store)
            children_before = {t: rows_by_key(store, t) for t in CHILDREN}
            traders_before = rows_by_key(store, "traders")

            summary = apply_given(store, world["groups"], rules)

            traders_after = rows_by_key(store, "traders")
            # every child row still there, identical but for trader_id, now on its survivor
            for table in CHILDREN:
                after = rows_by_key(store, table)
                assert after.keys() == children_before[table].keys()
                for key, row in children_before[table].items():
                    assert after[key] == {**row, "trader_id": survivor(row["trader_id"])}
                    assert traders_after[after[key]["trader_id"]]["status"] == "active"
            # traders: merged ones marked, survivors filled, everyone else untouched
            for trader_id, row in traders_before.items():
                now = traders_after[trader_id]
                if trader_id in merged_into:
                    assert now == {**row, "status": "merged", "merged_into": merged_into[trader_id]}
                elif trader_id in fills:
                    assert {k: v for k, v in now.items() if k != "updated_at"} == \
                        {**{k: v for k, v in row.items() if k != "updated_at"}, **fills[trader_id]}
                    assert now["updated_at"] != row["updated_at"]
                else:
                    assert now == row
            assert not set(world["whitelist"]) & set(merged_into)
            # the audit: one merge per merged record, moves = exactly the rows that moved
            merges = store.con.execute("SELECT merged_id, survivor_id FROM merges").fetchall()
            assert dict(merges) == merged_into
            moves = set(store.con.execute("SELECT table_name, row_id FROM merge_moves").fetchall())
            assert moves == {(table, key) for table in CHILDREN
                             for key, row in children_before[table].items()
                             if row["trader_id"] in merged_into}
            assert summary["records_merged"] == len(merged_into)
            assert summary["fields_filled"] == sum(len(f) for f in fills.values())
            after_apply = snapshot(store)

            # merging twice changes nothing
            assert apply_given(store, world["groups"], rules)["records_merged"] == 0
            assert snapshot(store) == after_apply

            # undo(apply(store)) is the store, exactly
            if merged_into:
                undo(store.runner, run_id=summary["run_id"])
            assert snapshot(store) == before
            live = store.con.execute("SELECT count(*) FROM merges WHERE undone_at IS NULL").fetchall()
            assert live == [(0,)]

