"""`dedup run` (dry run): the pipeline end to end on a real store, which it must not change."""

from __future__ import annotations

import json

import polars as pl
import pytest

from dedup.compare import compare_traders
from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.store import Store
from dedup_cli import app
from tests.conftest import DATA, TODAY, store_fingerprint


def truth() -> dict[int, int]:
    frame = pl.read_csv(DATA / "traders_small.csv")
    return dict(zip(frame["trader_id"], frame["entity"]))


def test_dry_run_changes_nothing_in_the_store(cli, small_store, tmp_path):
    before = store_fingerprint(small_store)
    mtime = small_store.stat().st_mtime_ns
    out = tmp_path / "clusters.csv"
    result = cli.invoke(app, ["run", "--db", str(small_store), "--clusters-out", str(out)])
    assert result.exit_code == 0, result.output
    assert store_fingerprint(small_store) == before
    assert small_store.stat().st_mtime_ns == mtime
    assert "Would merge" in result.output


def test_clusters_out_has_one_row_per_active_trader_and_names_a_member(cli, small_store, tmp_path):
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"clusters.{suffix}"
        result = cli.invoke(app, ["run", "--db", str(small_store), "--clusters-out", str(out), "-s"])
        assert result.exit_code == 0, result.output
        frame = pl.read_csv(out) if suffix == "csv" else pl.read_parquet(out)
        assert frame.columns == ["trader_id", "cluster_id"]
        assert sorted(frame["trader_id"]) == sorted(truth())
        # a cluster's id is one of its own members: the survivor
        survivors = set(frame["cluster_id"])
        assert survivors <= set(frame["trader_id"])
        assert all(frame.filter(pl.col("trader_id") == s)["cluster_id"].item() == s for s in survivors)


def test_small_store_merges_only_true_duplicates(small_store):
    """Chains, neighbours, units and flats stay apart; obvious duplicates come together."""
    entity = truth()
    with Store(small_store, read_only=True) as store:
        result = run_pipeline(store, RuleSet.default(), today=TODAY)
        clusters = result.clusters()
    by_cluster: dict[int, set[int]] = {}
    for trader, cluster in clusters.iter_rows():
        by_cluster.setdefault(cluster, set()).add(entity[trader])
    assert all(len(entities) == 1 for entities in by_cluster.values()), by_cluster
    cluster_of = dict(clusters.iter_rows())
    assert cluster_of[23204319] == cluster_of[23204502]      # Mabel's Boutique, same shop
    assert cluster_of[30000060] == cluster_of[30000061]      # Penrose Motors
    assert result.summary["records_to_merge"] >= 3


def test_json_summary_reports_counts_and_stage_times(cli, small_store):
    result = cli.invoke(app, ["run", "--db", str(small_store), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["records"] == len(truth())
    assert summary["candidate_pairs"] == sum(summary["pairs_by_rule"].values())
    assert summary["pairs_merge_band"] + summary["pairs_review_band"] <= summary["candidate_pairs"]
    assert [s["stage"] for s in summary["stages"]] == ["normalise", "block", "score", "cluster"]
    assert summary["rules"]["hash"] == RuleSet.default().hash


def test_run_on_missing_store_and_bad_rules_are_one_line_errors(cli, small_store, tmp_path):
    result = cli.invoke(app, ["run", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no store at" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[thresholds]\nmerge = "high"\n')
    result = cli.invoke(app, ["run", "--db", str(small_store), "--rules", str(bad)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "problems in" in result.output


@pytest.fixture(scope="module")
def synth_4k(tmp_path_factory):
    """A `dedup synth` store of 4,000 records (seed 7) with its truth file."""
    from typer.testing import CliRunner

    folder = tmp_path_factory.mktemp("synth4k")
    data, db = folder / "synth", folder / "s.duckdb"
    cli = CliRunner()
    assert cli.invoke(app, ["synth", str(data), "--records", "4000", "--seed", "7"]).exit_code == 0
    assert cli.invoke(app, ["import", "--db", str(db), "--dir", str(data)]).exit_code == 0
    return db, data / "truth.parquet"


def test_evaluate_on_synthetic_data_reports_quality_and_forbidden_merges(cli, synth_4k, tmp_path):
    """`dedup evaluate` against a `dedup synth` truth file: pairwise metrics and the counts of
    forbidden merges (chain branches, units of one building) agree with counts made here from
    the clusters a dry run writes."""
    import polars as pl

    db, truth_file = synth_4k
    result = cli.invoke(app, ["evaluate", "--db", str(db), "--truth", str(truth_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    truth = pl.read_parquet(truth_file)
    assert {"kind", "group_kind", "group_id"} <= set(truth.columns)
    sizes = truth.group_by("entity_id").len()["len"]
    assert report["merge_band"]["true_pairs"] == int((sizes * (sizes - 1) // 2).sum())
    m = report["merge_band"]
    assert m["precision"] == round(m["true_positives"] / m["predicted_pairs"], 6)
    clusters_csv = tmp_path / "clusters.csv"
    assert cli.invoke(app, ["run", "--db", str(db), "--clusters-out", str(clusters_csv)]).exit_code == 0
    clusters = pl.read_csv(clusters_csv).join(truth, on="trader_id")
    chains = (clusters.filter(pl.col("kind") == "chain").group_by("cluster_id")
              .agg(pl.col("entity_id").n_unique()).filter(pl.col("entity_id") > 1).height)
    units = (clusters.filter(pl.col("group_kind") == "unit").group_by("cluster_id", "group_id")
             .agg(pl.col("entity_id").n_unique()).filter(pl.col("entity_id") > 1).height)
    assert report["hard_negatives"] == {"clusters_merging_chain_branches": chains,
                                        "clusters_merging_units_of_one_building": units}
    largest = clusters.group_by("cluster_id").agg(pl.len(), pl.col("entity_id").n_unique())
    assert report["largest_clusters"] == {"largest_merged_cluster": largest["len"].max(),
                                          "most_entities_in_one_cluster": largest["entity_id"].max()}
    table = cli.invoke(app, ["evaluate", "--db", str(db), "--truth", str(truth_file)])
    assert (f"clusters merging chain branches: {chains}; merging units of one building: {units}"
            in table.output)


@pytest.mark.xfail(strict=True, reason="a record with only a chain's name and website merges with "
                   "three branches when the brand's website is seen in no more than 3 postcode sectors "
                   "(4,000 records, seed 7): the weak-link guard of issue 11 is not built yet")
def test_no_chain_branches_or_units_merged_on_a_small_synthetic_store(cli, synth_4k):
    db, truth_file = synth_4k
    report = json.loads(cli.invoke(app, ["evaluate", "--db", str(db), "--truth", str(truth_file), "--json"]).output)
    assert report["hard_negatives"] == {"clusters_merging_chain_branches": 0,
                                        "clusters_merging_units_of_one_building": 0}


def test_a_brands_website_does_not_tie_a_record_to_one_of_its_branches(tmp_path):
    """A website found all over the country is a chain's: a record with just the name and that
    website is not merged into one branch, while a one-shop website still ties its records."""
    from dedup.importer import ImportSource, import_files
    from dedup.schema import TABLES_BY_NAME
    branches = [("12 High Street, Truro", "TR1 2AA"), ("4 Park Lane, Leeds", "LS1 4QT"),
                ("9 Mill Road, Bristol", "BS5 0YA"), ("1 Quay Street, Bath", "BA1 1AB"),
                ("7 Market Place, York", "YO1 8AB")]
    rows = [(i + 1, "Halden Autocentres", address, postcode, "", "https://www.haldenauto.co.uk/")
            for i, (address, postcode) in enumerate(branches)]
    rows += [(10, "Halden Autocentres", "", "", "", "haldenauto.co.uk"),          # brand only
             (20, "Quillon Tackle", "3 Harbour Way, Newlyn", "TR18 5HW", "", "quillontackle.co.uk"),
             (21, "Quillon Tackle Ltd", "", "", "", "www.quillontackle.co.uk")]   # one shop's site
    csv = tmp_path / "traders.csv"
    pl.DataFrame(rows, schema=["trader_id", "name", "address", "postcode", "phone", "website"],
                 orient="row").write_csv(csv)
    db = tmp_path / "brand.duckdb"
    with Store(db) as store:
        import_files(store.runner, [ImportSource(TABLES_BY_NAME["traders"], csv, {})])
    with Store(db, read_only=True) as store:
        clusters = dict(run_pipeline(store, RuleSet.default(), today=TODAY).clusters().iter_rows())
    assert clusters[21] == clusters[20]
    assert all(clusters[10] != clusters[i] for i in range(1, 6))
    assert len({clusters[i] for i in range(1, 6)}) == 5
    # why: the brand's website counts for nothing, so the pair has only the name in common
    with Store(db, read_only=True) as store:
        brand = compare_traders(store.runner, RuleSet.default(), 10, 1)
        shop = compare_traders(store.runner, RuleSet.default(), 20, 21)
    website = {e["comparison"]: e for e in brand["comparisons"]}["website"]
    assert website["weight"] == 0 and "postcode sectors" not in website["label"]
    assert "name_only" in [h["rule"] for h in brand["hard_rules"]] and brand["band"] != "merge"
    website = {e["comparison"]: e for e in shop["comparisons"]}["website"]
    assert website["weight"] > 0 and "no more than 3 postcode sectors" in website["label"]
    assert shop["band"] == "merge"
