"""`dedup.merge.proposals`: what an apply run leaves for review. Stale proposals closed with their
reason; review-band pairs named by the records that stay live, once per pair of survivors and
explained by their best pair; held clusters queued whole, without the pairs inside them."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dedup.merge.proposals import close_stale_sql
from dedup.merge.runs import apply_run
from dedup.rules import RuleSet
from dedup.store import Store
from tests.merge.merge_helpers import NOW, TODAY, build, insert, trader

#: Scores: same name 9 (else -8), same postcode 6 (else -4), same phone 4 (else -2), same
#: website 2 (else -1), missing 0. Merge at 14, review at 7; clusters of at most 2.
RULES = RuleSet.from_toml_text("""
name = "proposals-test"
[thresholds]
merge = 14.0
review = 7.0
[clustering]
max_cluster_size = 2
[blocking]
max_block_size = 500
[[blocking.rules]]
name = "same_name"
on = ["name_norm"]
[[comparisons]]
name = "name"
levels = [{ kind = "missing", column = "name_norm", weight = 0.0 },
          { kind = "exact", column = "name_norm", weight = 9.0 }, { kind = "else", weight = -8.0 }]
[[comparisons]]
name = "postcode"
levels = [{ kind = "missing", column = "postcode", weight = 0.0 },
          { kind = "exact", column = "postcode", weight = 6.0 }, { kind = "else", weight = -4.0 }]
[[comparisons]]
name = "phone"
levels = [{ kind = "missing", column = "phone", weight = 0.0 },
          { kind = "exact", column = "phone", weight = 4.0 }, { kind = "else", weight = -2.0 }]
[[comparisons]]
name = "website"
levels = [{ kind = "missing", column = "website_domain", weight = 0.0 },
          { kind = "exact", column = "website_domain", weight = 2.0 }, { kind = "else", weight = -1.0 }]
""", source="proposals.toml")

OLD, NEW = dt.datetime(2015, 1, 1), dt.datetime(2020, 1, 1)
# Acme: S and A merge (19: S is older and survives); X is in review with A (11) and with S (9);
# S takes A's website, and the apply's second round scores S against X afresh (11).
S, A, X = 1, 2, 3
# Bolt: three records in one merge-band component, too big to merge: held. B1-B3 are in review.
B1, B2, B3 = 11, 12, 13
PHONE, SITE = "01872 555111", "acme-widgets.co.uk"


@pytest.fixture(scope="module")
def queued(tmp_path_factory):
    """The proposals of one apply run, by kind and traders."""
    bolt = {"name": "Bolt Cycles", "postcode": "TR11 3HH"}
    db = build(tmp_path_factory.mktemp("proposals") / "s.duckdb", traders=[
        trader(S, postcode="TR1 1AA", phone=PHONE, created_at=OLD),
        trader(A, postcode="TR1 1AA", phone=PHONE, website=SITE, created_at=NEW),
        trader(X, postcode="TR9 9ZZ", phone=PHONE, website=SITE, created_at=NEW),
        trader(B1, **bolt, phone="01326 000001"), trader(B2, **bolt), trader(B3, **bolt, phone="01326 000003")])
    with Store(db) as store:
        summary = apply_run(store, RULES, today=TODAY, now=NOW)
        rows = store.con.execute("SELECT kind, trader_ids, score, explanation, status, run_id, created_at "
                                 "FROM proposals ORDER BY proposal_id").fetchall()
        again = apply_run(store, RULES, today=TODAY, now=NOW + dt.timedelta(days=1))
    return db, summary, {(kind, tuple(ids)): (score, json.loads(expl), status, run_id, created)
                         for kind, ids, score, expl, status, run_id, created in rows}, again


def test_a_review_pair_is_explained_by_its_own_records_as_they_are_after_the_merges(queued):
    _, summary, proposals, _ = queued
    assert summary["records_merged"] == 1                   # A into S
    assert [r["survivors_filled"] for r in summary["rounds"]] == [1, 0]   # S took A's website
    score, explanation, status, run_id, created = proposals[("pair", (S, X))]
    # queued by the second round (stamped a microsecond later), with S's own score against X now:
    # not A-X's 11 before the merge, nor S-X's 9 before S took the website
    assert (score, status, run_id, created) == (11.0, "open", summary["run_id"], NOW + dt.timedelta(microseconds=1))
    assert explanation["pair"] == [S, X] and explanation["score"] == 11.0
    website = next(c for c in explanation["comparisons"] if c["comparison"] == "website")
    assert website["weight"] == 2.0
    assert explanation["band"] == "review"
    assert [c["comparison"] for c in explanation["comparisons"]] == ["name", "postcode", "phone", "website"]


def test_a_held_cluster_is_queued_whole_without_the_pairs_inside_it(queued):
    _, summary, proposals, _ = queued
    score, why, status, _, _ = proposals[("held_cluster", (B1, B2, B3))]
    assert score is None and status == "open"
    assert why == {"reason": "cluster larger than max_cluster_size", "size": 3, "max_cluster_size": 2,
                   "edges": [{"left_id": B1, "right_id": B2, "score": 15.0},
                             {"left_id": B2, "right_id": B3, "score": 15.0}]}
    assert set(proposals) == {("pair", (S, X)), ("held_cluster", (B1, B2, B3))}   # no (B1, B3)
    assert summary["proposals_queued"] == 2


def test_a_re_run_queues_nothing_already_open(queued):
    db, _, _, again = queued
    assert again["proposals_queued"] == 0
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*), count(DISTINCT status) FROM proposals").fetchone() == (2, 1)


# --- closing stale proposals --------------------------------------------------------------------

def test_stale_proposals_are_closed_with_the_reason(tmp_path):
    proposed, day = dt.datetime(2026, 10, 1), dt.timedelta(days=1)
    db = build(tmp_path / "s.duckdb", traders=[
        trader(1, updated_at=proposed - day), trader(2, updated_at=proposed + day), trader(3, updated_at=proposed),
        trader(4, status="merged", merged_into=3, updated_at=proposed + 2 * day)])
    rows = [(1, [1, 2], "open"), (2, [1, 3], "open"), (3, [3, 4], "open"), (4, [2, 4], "rejected"),
            (5, [1, 99], "open"), (6, [2, 4], "open")]
    with Store(db) as store:
        insert(store, "proposals", [{"proposal_id": p, "run_id": 1, "kind": "pair", "trader_ids": ids,
                                     "status": status, "created_at": proposed} for p, ids, status in rows])
        closed = store.runner.fetchall(close_stale_sql(NOW))
        after = {p: (status, closed_at, reason) for p, status, closed_at, reason in store.con.execute(
            "SELECT proposal_id, status, closed_at, closed_reason FROM proposals").fetchall()}
    assert sorted(p for (p,) in closed) == [1, 3, 5, 6]
    assert after == {
        1: ("stale", NOW, "changed: 2 updated since proposed"),
        2: ("open", None, None),                             # 3 was updated when proposed, not after
        3: ("stale", NOW, "merged: 4 no longer active"),
        4: ("rejected", None, None),                         # only open proposals go stale
        5: ("stale", NOW, "merged: 99 no longer active"),    # a record gone from the store
        6: ("stale", NOW, "merged: 4 no longer active"),     # merged says more than changed
    }
