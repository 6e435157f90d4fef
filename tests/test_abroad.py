"""Records that are not on the UK happy path, end to end: another country's postal codes and
phones (tests/data/traders_abroad.csv beside traders_small), scored and merged by the default
rules, while the UK records pair and band as they do alone (their scores move only with the
term frequencies of a larger table)."""

from __future__ import annotations

import json

import polars as pl
import pytest

import dedup
from dedup_cli import app
from tests.conftest import DATA, TODAY


def explain(cli, db, a, b) -> dict:
    result = cli.invoke(app, ["explain", "--db", str(db), str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    return {**report, "by_name": {c["comparison"]: c for c in report["comparisons"]}}


@pytest.mark.parametrize("a,b,code,phone", [
    (40000001, 40000002, "91604", "8187621221"),        # ZIP and ZIP+4; 818/762-1221 and 818-762-1221
    (40000005, 40000006, "D08 WC64", "+35316795186"),   # an Eircode typed two ways; +353 and 00353
])
def test_an_equal_foreign_postal_code_and_phone_are_evidence(cli, mixed_store, a, b, code, phone):
    report = explain(cli, mixed_store, a, b)
    postal, number = report["by_name"]["postal_code_other"], report["by_name"]["phone"]
    assert (postal["left"], postal["right"], postal["weight"]) == (code, code, 7.0)
    assert report["by_name"]["postcode"]["left"] is None      # no UK postcode is made up
    assert number["left"] == number["right"] == phone and number["weight"] > 8
    assert "same_postal_code_other" in report["blocked_by"] and report["band"] == "merge"


@pytest.mark.parametrize("a,b,weight", [
    (40000001, 40000007, -4.0),   # 91604 and 90036: another place
    (40000007, 40000008, 3.0),    # 90036 and 90038: a typo, or the next ZIP (the name decides)
])
def test_different_foreign_postal_codes(cli, mixed_store, a, b, weight):
    assert explain(cli, mixed_store, a, b)["by_name"]["postal_code_other"]["weight"] == weight


def test_a_record_with_no_postcode_pairs_and_merges_through_its_phone(cli, mixed_store):
    report = explain(cli, mixed_store, 40000003, 40000004)
    assert report["by_name"]["phone"]["left"] == "3104721211"   # 310/472-1211 and (310) 472-1211
    assert "same_phone" in report["blocked_by"] and report["band"] == "merge"


def test_the_foreign_duplicates_merge_and_the_uk_records_band_as_they_do_alone(mixed_store, tmp_path):
    run = dedup.dry_run(mixed_store, today=TODAY)
    entity = pl.read_csv(DATA / "traders_abroad.csv").select("trader_id", "entity")
    merged = run.clusters.join(entity, on="trader_id").group_by("entity").agg(
        pl.col("cluster_id").n_unique().alias("clusters")).sort("entity")
    assert merged.filter(pl.col("entity") <= 103)["clusters"].to_list() == [1, 1, 1]
    alone = tmp_path / "uk.duckdb"
    dedup.import_data(alone, traders=DATA / "traders_small.csv")
    uk_pairs = dedup.dry_run(alone, today=TODAY).pairs.select("left_id", "right_id", "band")
    both = run.pairs.filter(pl.col("left_id") < 40000000).select("left_id", "right_id", "band")
    assert both.sort("left_id", "right_id").equals(uk_pairs.sort("left_id", "right_id"))


def test_a_whole_address_in_one_field_with_its_postcode_matches_the_tidy_record(cli, tmp_path):
    csv = tmp_path / "traders.csv"
    csv.write_text("trader_id,name,address,postcode\n"
                   "50000001,Tristan Tiles,\"5 Tristan Road, Truro, Cornwall\",TR1 1AU\n"
                   "50000002,Tristan Tiles Ltd,5 TRISTAN ROAD TRURO CORNWALL TR1 1AU,\n")
    db = tmp_path / "one_line.duckdb"
    assert cli.invoke(app, ["import", "--db", str(db), "--traders", str(csv)]).exit_code == 0
    report = explain(cli, db, 50000001, 50000002)
    fields = {name: (c["left"], c["right"], c["weight"]) for name, c in report["by_name"].items()}
    assert fields["postcode"] == ("TR1 1AU", "TR1 1AU", 7.0)
    assert fields["street"][:2] == ("tristan rd", "tristan rd") and fields["town"][:2] == ("truro", "truro")
    assert "same_postcode" in report["blocked_by"] and report["band"] == "merge"


def test_a_record_without_postcode_and_a_misspelt_name_pairs_on_its_address(cli, tmp_path):
    """Robets / Roberts sound different (Soundex R132, R163) and one record has no postcode: only
    the same house number, street and town bring the two together (`same_address`)."""
    csv = tmp_path / "traders.csv"
    csv.write_text("trader_id,name,address,postcode\n"
                   "60000001,Roberts Home Improvements,\"39 School Road, Langley, Newport\",NP20 9HZ\n"
                   "60000002,Robets Home Improvements,\"39 School Rd, Langley, Newport, Gwent\",\n")
    db = tmp_path / "sparse.duckdb"
    assert cli.invoke(app, ["import", "--db", str(db), "--traders", str(csv)]).exit_code == 0
    report = explain(cli, db, 60000001, 60000002)
    assert report["blocked_by"] == ["same_address"] and report["band"] == "merge"
