"""Properties of blocking and scoring over randomly generated stores (seeded by hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.score import score_pairs_sqls, share_similarities
from dedup.sql import Runner, SqlStep
from dedup.store import Store
from dedup.tables import StageTables
from tests.conftest import TODAY

TABLES = StageTables()
PAIRS, SCORED = TABLES.candidate_pairs, TABLES.scored

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


@contextmanager
def scored_store(tmp_path_factory, rows) -> Iterator[Runner]:
    """A real store holding `rows`, after a dry run of the default rules: its runner."""
    path = tmp_path_factory.mktemp("prop") / "store.duckdb"
    load(path, rows)
    with Store(path, read_only=True) as store:
        run_pipeline(store, RuleSet.default(), today=TODAY)
        yield store.runner


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=traders)
def test_pairs_are_unique_ordered_and_scores_symmetric(tmp_path_factory, rows):
    rules = RuleSet.default()
    with scored_store(tmp_path_factory, rows) as runner:
        pairs = runner.fetchall(SqlStep("pairs", f"SELECT left_id, right_id FROM {PAIRS}"))
        assert len(pairs) == len(set(pairs))
        assert all(a < b for a, b in pairs)
        runner.run(SqlStep("swap", f"CREATE TEMP TABLE swapped AS SELECT right_id AS left_id, "
                                   f"left_id AS right_id, blocking_rule FROM {PAIRS}"))
        runner.run(score_pairs_sqls(rules, TABLES, pairs_table="swapped", output="swapped_scored"))
        diff = runner.fetchall(SqlStep("compare", f"""
            SELECT a.left_id, a.right_id, a.score, b.score, a.band, b.band
            FROM {SCORED} a JOIN swapped_scored b ON a.left_id = b.right_id AND a.right_id = b.left_id
            WHERE abs(a.score - b.score) > 1e-9 OR a.band <> b.band"""))
        assert diff == []
        assert runner.scalar(SqlStep("count", "SELECT count(*) FROM swapped_scored")) == len(pairs)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=traders)
def test_sharing_similarities_changes_no_level_flag_or_score(tmp_path_factory, rows, monkeypatch):
    """Each Jaro-Winkler similarity is computed once per pair (`share_similarities`); the scored
    pairs equal those of the statement with every copy written out."""
    rules = RuleSet.default()
    with scored_store(tmp_path_factory, rows) as runner:
        with monkeypatch.context() as m:
            m.setattr(share_similarities, "__defaults__", (10**9,))   # never share
            inline = score_pairs_sqls(rules, TABLES, output="inline_scored")
        assert "jw_name_norm" not in inline[-1].sql and "jw_name_norm" in score_pairs_sqls(rules, TABLES)[-1].sql
        runner.run(inline)
        columns = [c for c in runner.frame(SqlStep("cols", f"SELECT * FROM {SCORED} LIMIT 0")).columns
                   if c not in ("decision", "rules_band")]
        a, b = (runner.frame(SqlStep(t, f"SELECT {', '.join(columns)} FROM {t} ORDER BY left_id, right_id"))
                for t in (SCORED, "inline_scored"))
        assert a.equals(b)


def test_share_similarities_rewrites_only_repeated_similarities():
    exprs = ['CASE WHEN jaro_winkler_similarity("name_norm_l", "name_norm_r") >= 0.9 THEN 1 '
             'WHEN jaro_winkler_similarity("name_norm_l", "name_norm_r") >= 0.8 THEN 2 ELSE 3 END',
             "jaro_winkler_similarity(name_norm_l, name_norm_r) < 0.88",
             'jaro_winkler_similarity("address_town_l", "address_town_r") >= 0.9']
    out, shared = share_similarities(exprs)
    assert shared == ("name_norm",)
    assert out[0] == 'CASE WHEN "jw_name_norm" >= 0.9 THEN 1 WHEN "jw_name_norm" >= 0.8 THEN 2 ELSE 3 END'
    assert out[1] == '"jw_name_norm" < 0.88'
    assert out[2] == exprs[2]                      # used once: left where it is
