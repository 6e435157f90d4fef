"""Tests of the hard scenarios of `dedup synth` (dedup.synth.scenarios)."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dedup.synth import SCENARIOS, TABLES, generate
from dedup.synth.scenarios import LOCAL_GENERIC_NAMES, ONLINE_GENERIC_NAMES, PLATFORMS, VIRTUAL_OFFICES
from dedup_cli import app

N = 20_000
GROUP_OF = {"virtual_offices": {"virtual_office"}, "shared_websites": {"shared_website", "lookalike"},
            "name_collisions": {"name_collision"}, "bridging": {"bridge"}}
_c = pl.col


@pytest.fixture(scope="module")
def hard() -> dict[str, pl.DataFrame]:
    return generate(N, seed=1, scenarios=SCENARIOS)


@pytest.fixture(scope="module")
def records(hard) -> pl.DataFrame:
    """Hard-set traders with their truth and a squashed upper-case postcode ``pc``."""
    return hard["traders"].join(hard["truth"], on="trader_id").with_columns(
        pc=_c("postcode").str.to_uppercase().str.replace_all(r"\s", ""))


def _group(records: pl.DataFrame, kind: str) -> pl.DataFrame:
    return records.filter(_c("group_kind") == kind)


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'moon_base'"):
        generate(100, scenarios=["moon_base"])


def test_same_seed_and_scenarios_give_the_same_tables(hard) -> None:
    again = generate(N, seed=1, scenarios=list(reversed(SCENARIOS)))  # order does not matter
    for name in TABLES:
        assert_frame_equal(hard[name], again[name])
    assert not generate(N, seed=2, scenarios=SCENARIOS)["traders"].equals(hard["traders"])


def test_records_no_scenario_touches_are_the_default_ones(hard) -> None:
    """Scenarios draw from their own stream: the rest of the table is the default table."""
    default = generate(N, seed=1)
    untouched = hard["truth"].filter(_c("group_kind").is_null() | _c("group_kind").is_in(["unit", "neighbour"]))
    assert untouched.height > 0.8 * N
    ids = untouched["trader_id"]
    for table in ("traders", "truth"):
        assert_frame_equal(hard[table].filter(_c("trader_id").is_in(ids.implode())),
                           default[table].filter(_c("trader_id").is_in(ids.implode())))
    assert default["truth"]["group_kind"].drop_nulls().unique().sort().to_list() == ["neighbour", "unit"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_scenario_appears_alone(scenario: str) -> None:
    truth = generate(8_000, seed=3, scenarios=[scenario])["truth"]
    kinds = set(truth["group_kind"].drop_nulls().unique()) - {"unit", "neighbour"}
    assert kinds == GROUP_OF[scenario]
    per_group = truth.filter(_c("group_kind").is_in(list(kinds))).group_by("group_kind", "group_id").agg(
        entities=_c("entity_id").n_unique())
    assert per_group["entities"].max() >= 2  # a group is of different businesses


def test_groups_are_named_by_their_first_entity_and_never_overlap(records) -> None:
    groups = records.filter(_c("group_kind").is_not_null())
    # An entity is in one group.
    per_entity = groups.group_by("entity_id").agg(_c("group_kind").n_unique(), _c("group_id").n_unique())
    assert per_entity["group_kind"].max() == 1 and per_entity["group_id"].max() == 1
    # A group's id is its first entity's; a bridge's is the business whose name the bridging
    # record carries, one of its two.
    first = groups.filter(_c("group_kind") != "bridge").group_by("group_kind", "group_id").agg(_c("entity_id").min())
    assert (first["entity_id"] == first["group_id"]).all()
    bridges = groups.filter(_c("group_kind") == "bridge").group_by("group_id").agg(_c("entity_id").unique())
    assert all(g in e for g, e in bridges.iter_rows())
    scenario_kinds = set().union(*GROUP_OF.values())
    assert records.filter((_c("kind") == "chain") & _c("group_kind").is_in(list(scenario_kinds))).height == 0


def test_virtual_offices_carry_many_companies_and_more_as_the_table_grows(records) -> None:
    offices = _group(records, "virtual_office")
    postcodes = {o[-1].replace(" ", "") for o in VIRTUAL_OFFICES}
    # Typed postcodes may be mistyped or missing, but mostly they are the office's.
    assert offices["pc"].is_in(list(postcodes)).mean() > 0.8
    assert offices["kind"].unique().sort().to_list() == ["ltd", "online"]
    assert offices.filter(_c("address").str.contains("(?i)city r")).height > 0
    kemp = offices.filter(_c("address").str.contains("(?i)kemp house"))["entity_id"].n_unique()
    small = generate(5_000, seed=1, scenarios=["virtual_offices"])
    small_kemp = (small["traders"].join(small["truth"], on="trader_id")
                  .filter(_c("address").str.contains("(?i)kemp house"))["entity_id"].n_unique())
    assert kemp > 2.5 * small_kemp > 0
    # Every member of one group is at one office.
    per_group = offices.filter(_c("pc").is_in(list(postcodes))).group_by("group_id").agg(_c("pc").n_unique())
    assert per_group["pc"].max() == 1


def _site(website: pl.Expr) -> pl.Expr:
    """The host a storefront page lives on, or a designer's domain."""
    host = website.str.to_lowercase().str.replace(r"^[a-z]+://", "").str.replace(r"^www\.", "").str.extract(r"^([^/]+)")
    return pl.coalesce(host.str.extract(r"((?:myshopify\.com|bigcartel\.com|square\.site))$"), host)


def test_shared_websites_are_quoted_by_different_businesses(records) -> None:
    shared = (_group(records, "shared_website").filter(_c("website").is_not_null())
              .with_columns(site=_site(_c("website"))))
    per_group = shared.group_by("group_id").agg(_c("site").n_unique(), _c("entity_id").n_unique(),
                                                _c("name").n_unique())
    assert per_group["site"].max() == 1  # one site per group (typed with or without www, https)
    assert per_group["entity_id"].max() >= 20  # a platform hosts many sellers
    platform_hosts = {re.sub(r"\{[a-zA-Z]+\}\.?", "", p).split("/")[0] for p in PLATFORMS}
    assert set(shared["site"].unique()) & platform_hosts
    designers = shared.filter(_c("site").str.contains(r"(webdesign|websites|digital|media|creative|sites)\d*\.co\.uk$"))
    assert designers["kind"].is_in(["sole", "ltd", "partnership"]).all() and designers.height > 0


def test_lookalike_sellers_are_different_businesses_with_near_identical_names(records) -> None:
    look = _group(records, "lookalike")
    stem = (_c("name").str.to_lowercase().str.replace(r"\.(co\.uk|com)$", "").str.replace(r"^the", "")
            .str.replace_all(r"(?:uk|online|ltd|limited)\b", "").str.replace_all(r"[^a-z]", ""))
    per_group = look.with_columns(stem=stem).group_by("group_id").agg(
        _c("entity_id").n_unique(), _c("stem").mode().first(),
        (_c("stem") == _c("stem").mode().first()).mean().alias("share"))
    assert per_group["entity_id"].max() >= 3
    assert per_group["share"].median() > 0.5  # a slip here and there, one stem per group
    assert look["name"].str.contains(r"^[a-z0-9-]+\.(co\.uk|com)$").sum() > 0  # a name that is a domain
    # Clones: two businesses of one group quoting one website.
    sites = look.filter(_c("website").is_not_null()).with_columns(site=_site(_c("website")))
    assert sites.group_by("group_id", "site").agg(_c("entity_id").n_unique())["entity_id"].max() >= 2


def test_generic_names_are_shared_by_more_businesses_as_the_table_grows(records) -> None:
    names = [n.lower() for n, _ in LOCAL_GENERIC_NAMES + ONLINE_GENERIC_NAMES]
    collide = _group(records, "name_collision")
    assert collide["name"].str.to_lowercase().str.contains(names[0][:2]).any()
    top = collide.filter(_c("name").str.to_lowercase().str.contains("a1 ro"))["entity_id"].n_unique()
    small = generate(5_000, seed=1, scenarios=["name_collisions"])
    small_top = (small["traders"].join(small["truth"], on="trader_id")
                 .filter(_c("group_kind") == "name_collision")
                 .filter(_c("name").str.to_lowercase().str.contains("a1 ro"))["entity_id"].n_unique())
    assert top > 2.5 * small_top > 0
    per_group = collide.group_by("group_id").agg(_c("entity_id").n_unique())
    assert per_group["entity_id"].median() >= 3 and per_group["entity_id"].max() >= 10


def test_a_bridging_record_has_its_business_name_and_the_other_business_address(hard, records) -> None:
    bridges = _group(records, "bridge")
    groups = bridges.group_by("group_id").agg(_c("entity_id").n_unique())
    assert groups["entity_id"].unique().to_list() == [2]  # a bridge links exactly two businesses
    assert groups.height >= 30
    # Against the same seed without scenarios: the named business has exactly one record
    # changed, typed with its own name but the other business's address.
    default = generate(N, seed=1)["traders"]
    named = bridges.filter(_c("entity_id") == _c("group_id"))
    before = named.select("trader_id").join(default, on="trader_id")
    changed = named.join(before, on="trader_id", suffix="_default").filter(
        _c("address").ne_missing(_c("address_default")) | _c("postcode").ne_missing(_c("postcode_default"))
        | _c("phone").ne_missing(_c("phone_default")))
    assert (changed["name"] == changed["name_default"]).all()
    per_group = changed.group_by("group_id").len()
    assert per_group["len"].max() == 1 and per_group.height > 0.8 * groups.height
    donors = bridges.filter(_c("entity_id") != _c("group_id")).select("group_id", donor_pc="pc")
    carried = changed.join(donors, on="group_id").group_by("group_id").agg((_c("pc") == _c("donor_pc")).any())
    assert carried["pc"].mean() > 0.7  # typed postcodes may be mistyped or missing


def test_evaluate_counts_wrong_merges_per_group_on_a_hard_store(cli, tmp_path) -> None:
    data, db = tmp_path / "hard", tmp_path / "hard.duckdb"
    assert cli.invoke(app, ["synth", str(data), "-n", "4000", "--seed", "5", "--hard"]).exit_code == 0
    assert cli.invoke(app, ["import", "--db", str(db), "--dir", str(data)]).exit_code == 0
    result = cli.invoke(app, ["evaluate", "--db", str(db), "--truth", str(data / "truth.parquet"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["group_merges"]) == set().union(*GROUP_OF.values()) | {"unit", "neighbour"}
    assert report["largest_clusters"]["largest_merged_cluster"] >= 2
    text = cli.invoke(app, ["evaluate", "--db", str(db), "--truth", str(data / "truth.parquet")]).output
    assert "clusters merging two businesses of one group: bridge" in text
    assert "largest merged cluster:" in text
