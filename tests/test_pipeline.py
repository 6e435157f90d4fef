"""`dedup.pipeline`: normalise, block, score, cluster on real stores; what merges and what stays
apart. (`dedup run` itself: tests/cli/test_run_cmds.py.)"""

from __future__ import annotations

import polars as pl

from dedup.compare import compare_traders
from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.store import Store
from tests.cli.cli_helpers import truth
from tests.conftest import TODAY


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


def test_the_summary_gives_the_merged_clusters_sizes(tmp_path):
    import dedup
    from dedup.synth import generate, write_tables

    write_tables(generate(3000, seed=4), tmp_path / "data", "parquet")
    dedup.import_data(tmp_path / "s.duckdb", directory=tmp_path / "data")
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        result = run_pipeline(store, RuleSet.default(), today=TODAY)
        merged = result.clusters(held=True).filter(~pl.col("held"))
    sizes = merged.group_by("cluster_id").len().filter(pl.col("len") > 1)["len"]
    expected = {"2": (sizes == 2).sum(), "3-5": sizes.is_between(3, 5).sum(),
                "6-20": sizes.is_between(6, 20).sum(), "21-100": sizes.is_between(21, 100).sum(),
                "over 100": (sizes > 100).sum()}
    summary = result.summary
    assert summary["cluster_sizes"] == expected and sum(expected.values()) == summary["clusters"] > 100
    assert expected["3-5"] > 0 and expected["6-20"] > 0
