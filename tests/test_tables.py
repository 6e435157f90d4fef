"""`dedup.tables`: every temp table has one name, given by `StageTables`. The names are distinct
and prefixed; two prefixes never share a table; and after a dry run, an apply run, an
explanation, an evaluation and a diff on one connection, every temp table there is one of them."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from dedup.columns import NORMALISED_COLUMNS
from dedup.compare import compare_traders
from dedup.diff import SIDE_TABLES, diff_rules
from dedup.evaluate import evaluation_report, load_truth
from dedup.merge.runs import apply_run
from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.schema import IMPORT_TABLES
from dedup.store import Store
from dedup.tables import PREFIX, StageTables
from tests.conftest import DATA, TODAY


def names(tables: StageTables) -> set[str]:
    """Every name a StageTables gives: its properties, and its per-column and per-import names."""
    fixed = {getattr(tables, n) for n, v in vars(StageTables).items() if isinstance(v, property)}
    per_column = {f(c) for c in NORMALISED_COLUMNS for f in (tables.term_frequencies, tables.sectors)}
    per_import = {tables.import_stage(kind, spec.name) for spec in IMPORT_TABLES
                  for kind in ("raw", "typed", "problems")}
    per_evidence = {tables.shared_counts(e.name) for e in RuleSet.default().shared_evidence}
    return fixed | per_column | per_import | per_evidence


def test_names_are_distinct_and_prefixed():
    tables = StageTables()
    properties = [n for n, v in vars(StageTables).items() if isinstance(v, property)]
    fixed = [getattr(tables, n) for n in properties]
    assert len(fixed) == len(set(fixed)) > 30
    assert all(name.startswith(PREFIX) for name in names(tables))
    assert StageTables().scored == "__dedup__scored"
    assert StageTables("__dedup__old_").clusters == "__dedup__old_clusters"


def test_two_prefixes_share_no_table():
    old, new, plain = (names(StageTables(p)) for p in ("__dedup__old_", "__dedup__new_", PREFIX))
    assert not old & new
    assert SIDE_TABLES["old"].prefix == "__dedup__old_" and SIDE_TABLES["new"].prefix == "__dedup__new_"


@pytest.fixture
def truth_file(tmp_path):
    frame = pl.read_csv(DATA / "traders_small.csv").select("trader_id", pl.col("entity").alias("entity_id"))
    frame.write_csv(tmp_path / "truth.csv")
    return tmp_path / "truth.csv"


def test_every_temp_table_an_operation_leaves_is_a_stage_table(small_store, tmp_path, truth_file):
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(small_store, db)
    known = set().union(*(names(StageTables(p)) for p in (PREFIX, "__dedup__old_", "__dedup__new_")))
    with Store(db) as store:
        rules = RuleSet.default()
        evaluation_report(run_pipeline(store, rules, today=TODAY), load_truth(store.runner, truth_file))
        compare_traders(store.runner, rules, 30000060, 30000061)
        diff_rules(store, rules, rules, today=TODAY)
        apply_run(store, rules, today=TODAY)
        temp = {r[0] for r in store.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal").fetchall()}
    assert {"__dedup__scored", "__dedup__old_scored", "__dedup__new_clusters", "__dedup__plan",
            "__dedup__explain_scored", "__dedup__truth"} <= temp   # they leave their stage tables
    assert temp - known == set()
