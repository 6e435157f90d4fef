"""An apply run converges: it re-examines the survivors it filled until nothing more merges, so a
second apply with nothing new looks at no record and merges nothing, and every proposal it
queues explains its own two records."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import dedup.merge.runs as runs
from dedup.importer import ImportSource, find_sources, import_files
from dedup.incremental import run_since
from dedup.merge.runs import apply_run
from dedup.rules import RuleSet
from dedup.schema import TABLES_BY_NAME
from dedup.store import Store
from dedup.synth import generate, write_tables
from tests.merge.merge_helpers import CHILDREN, TODAY, build, trader

RULES = RuleSet.default()


def state(store: Store) -> dict:
    """Traders (updated_at aside: each run stamps its own clock), children, live merges and open
    proposals, order-free."""
    digest = {"traders": store.con.execute(
        "SELECT count(*), sum(hash(t)) FROM (SELECT * EXCLUDE (updated_at) FROM traders) t").fetchall()}
    for table in CHILDREN:
        digest[table] = store.con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchall()
    digest["merges"] = store.con.execute(
        "SELECT count(*), sum(hash(survivor_id, merged_id)) FROM merges WHERE undone_at IS NULL").fetchall()
    digest["proposals"] = store.con.execute(
        "SELECT count(*), sum(hash(trader_ids)) FROM proposals WHERE status = 'open'").fetchall()
    return digest


def apply_again(store: Store) -> dict:
    """The next night with nothing new: the default (incremental) apply."""
    return apply_run(store, RULES, today=TODAY, since=run_since(store.runner, RULES, full=False))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """3,000 synthetic traders (seed 1): one merge there needs a survivor's filled fields."""
    folder = tmp_path_factory.mktemp("converge")
    write_tables(generate(3000, seed=1), folder / "data", "parquet")
    db = folder / "base.duckdb"
    with Store(db) as store:
        import_files(store.runner, [ImportSource(TABLES_BY_NAME[t], p, {})
                                    for t, p in find_sources(folder / "data").items()])
    return db


def copy_of(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store.duckdb"
    target.write_bytes(db.read_bytes())
    return target


def test_a_merge_made_possible_by_a_fill_happens_in_the_same_apply(synthetic, tmp_path):
    with Store(copy_of(synthetic, tmp_path)) as store:
        first = apply_run(store, RULES, today=TODAY)
        assert first["converged"] and len(first["rounds"]) >= 2
        assert first["rounds"][0]["survivors_filled"] > 0 and first["rounds"][1]["records_merged"] >= 1
        assert first["records_merged"] == sum(r["records_merged"] for r in first["rounds"])
        after_one = state(store)
        second = apply_again(store)
        assert second["mode"] == "incremental"
        assert second["increment_records"] == 0 and second["records_merged"] == 0
        assert state(store) == after_one


def test_without_the_later_rounds_a_second_apply_would_merge_more(synthetic, tmp_path, monkeypatch):
    """The check above can fail: one round only leaves the fill-made match to the next night
    (and the next night knows to look at those survivors, as the run did not converge)."""
    monkeypatch.setattr(runs, "MAX_ROUNDS", 1)
    with Store(copy_of(synthetic, tmp_path)) as store:
        first = apply_run(store, RULES, today=TODAY)
        assert not first["converged"]
        second = apply_again(store)
    assert second["increment_records"] == first["rounds"][0]["survivors_filled"]
    assert second["records_merged"] >= 1


def test_every_open_pair_proposal_explains_its_own_active_records(synthetic, tmp_path):
    with Store(copy_of(synthetic, tmp_path)) as store:
        summary = apply_run(store, RULES, today=TODAY)
        rows = store.con.execute("""
            SELECT p.trader_ids, p.score, p.explanation,
                   bool_and(t.status = 'active' AND t.updated_at <= p.created_at)
            FROM proposals p, unnest(p.trader_ids) u(id) JOIN traders t ON t.trader_id = u.id
            WHERE p.status = 'open' AND p.kind = 'pair' GROUP BY ALL""").fetchall()
    assert len(rows) == summary["proposals_queued"] > 20
    for ids, score, explanation, live in rows:
        explained = json.loads(explanation)
        assert explained["pair"] == ids and explained["score"] == pytest.approx(score) and live


def test_a_held_cluster_lists_the_edges_that_hold_it_together(tmp_path):
    db = build(tmp_path / "held.duckdb", traders=[
        trader(1, "Acme Widgets Ltd", phone="01872 555123"),
        trader(2, "Acme Widgets Ltd", phone="01872 555123"),
        trader(3, "Acme Widgets Ltd", phone="01872 555123")], whitelist=[1, 2])
    with Store(db) as store:
        apply_run(store, RULES, today=TODAY)
        (ids, explanation), = store.con.execute(
            "SELECT trader_ids, explanation FROM proposals WHERE kind = 'held_cluster'").fetchall()
    explained = json.loads(explanation)
    assert ids == [1, 2, 3] and explained["reason"] == "more than one whitelisted record"
    # the merge-band pairs: 1 and 2, both whitelisted, are no merge pair, 3 links them
    edges = {(e["left_id"], e["right_id"]) for e in explained["edges"]}
    assert edges == {(1, 3), (2, 3)}
    assert all(e["score"] >= RULES.merge_threshold for e in explained["edges"])


NAMES = ["Acme Widgets", "Acme Widgets Ltd", "ACME WIDGETS", "Bolt Plumbing", "Bolt Plumbing Ltd"]
ADDRESSES = ["1 High Street, Truro", "1 High St, Truro", "Unit 2, Quay Road, Falmouth"]
POSTCODES = ["TR1 1AA", "TR11 3HH"]
PHONES = ["01872 555123", "01326 200300"]
WEBSITES = ["acme-widgets.co.uk", "boltplumbing.com"]


def maybe(values):
    return st.one_of(st.none(), st.just("N/A"), st.sampled_from(values))


@st.composite
def stores(draw):
    count = draw(st.integers(2, 12))
    return [trader(10_000_000 + i, draw(st.sampled_from(NAMES)), address=draw(maybe(ADDRESSES)),
                   postcode=draw(maybe(POSTCODES)), phone=draw(maybe(PHONES)),
                   website=draw(maybe(WEBSITES)),
                   created_at=dt.datetime(2015, 1, 1) + dt.timedelta(days=draw(st.integers(0, 3))))
            for i in range(count)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stores())
def test_apply_twice_is_apply_once(traders):
    with tempfile.TemporaryDirectory() as folder:
        db = build(Path(folder) / "random.duckdb", traders=traders)
        with Store(db) as store:
            first = apply_run(store, RULES, today=TODAY)
            after_one = state(store)
            second = apply_again(store)
            assert first["converged"]
            event(f"merged in round 2: {len(first['rounds']) > 1 and first['rounds'][1]['records_merged'] > 0}")
            assert second["increment_records"] == 0 and second["records_merged"] == 0
            assert state(store) == after_one
