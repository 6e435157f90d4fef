"""Properties of blocking and scoring over randomly generated stores (seeded by hypothesis)."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.blocking.pairs import PAIRS
from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.score import SCORED, score_pairs_sql
from dedup.sql import Runner, SqlStep
from dedup.store import Store
from tests.conftest import TODAY

NAMES = ["Mabel's Boutique", "MABELS BOUTIQUE LTD", "Mabel Boutique", "Smith Roofing",
         "John Smith t/a Smith Roofing", "Smyth Roofing Ltd", "Poundland", "Bright Spark Electrical"]
ADDRESSES = [None, "5 Tristan Road, Truro", "5 Tristan Rd, Truro, Cornwall", "6 Tristan Road, Truro",
             "Unit 3, Riverside Ind Est, Penryn", "Unit 4, Riverside Industrial Estate, Penryn"]
POSTCODES = [None, "TR1 1AU", "tr11au", "TR1 1AB", "LS1 6HD", "N/A", "XYZ 123"]
PHONES = [None, "01872 123456", "+44 1872 123456", "0113 4960000"]
SITES = [None, "www.mabels.co.uk", "https://mabels.co.uk/shop", "poundland.co.uk"]

traders = st.lists(
    st.tuples(st.sampled_from(NAMES), st.sampled_from(ADDRESSES), st.sampled_from(POSTCODES),
              st.sampled_from(PHONES), st.sampled_from(SITES)),
    min_size=2, max_size=30)


def load(path, rows) -> None:
    frame = pl.DataFrame({"trader_id": list(range(1, len(rows) + 1)),
                          "name": [r[0] for r in rows], "address": [r[1] for r in rows],
                          "postcode": [r[2] for r in rows], "phone": [r[3] for r in rows],
                          "website": [r[4] for r in rows]},
                         schema_overrides={c: pl.String for c in ("address", "postcode", "phone", "website")})
    with Store(path) as store:
        store.con.register("incoming", frame.to_arrow())
        store.con.execute("INSERT INTO traders (trader_id, name, address, postcode, phone, website) "
                          "SELECT * FROM incoming")


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=traders)
def test_pairs_are_unique_ordered_and_scores_symmetric(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("prop") / "store.duckdb"
    load(path, rows)
    rules = RuleSet.default()
    with Store(path, read_only=True) as store:
        run_pipeline(store, rules, today=TODAY)
        runner: Runner = store.runner
        pairs = runner.fetchall(SqlStep("pairs", f"SELECT left_id, right_id FROM {PAIRS}"))
        assert len(pairs) == len(set(pairs))
        assert all(a < b for a, b in pairs)
        runner.run(SqlStep("swap", f"CREATE TEMP TABLE swapped AS SELECT right_id AS left_id, "
                                   f"left_id AS right_id, blocking_rule FROM {PAIRS}"))
        runner.run(score_pairs_sql(rules, pairs_table="swapped", output="swapped_scored"))
        diff = runner.fetchall(SqlStep("compare", f"""
            SELECT a.left_id, a.right_id, a.score, b.score, a.band, b.band
            FROM {SCORED} a JOIN swapped_scored b ON a.left_id = b.right_id AND a.right_id = b.left_id
            WHERE abs(a.score - b.score) > 1e-9 OR a.band <> b.band"""))
        assert diff == []
        assert runner.scalar(SqlStep("count", "SELECT count(*) FROM swapped_scored")) == len(pairs)
