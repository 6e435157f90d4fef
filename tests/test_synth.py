"""Tests of the synthetic trader data generator (dedup.synth)."""

from __future__ import annotations

import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dedup.synth import TABLES, generate, write_tables
from dedup.synth.vocab import CHAINS

AS_OF = datetime.date(2026, 11, 1)
N = 20_000

EXPECTED_SCHEMAS = {
    "traders": {
        "trader_id": pl.Int64,
        "name": pl.String,
        "address": pl.String,
        "postcode": pl.String,
        "phone": pl.String,
        "website": pl.String,
        "created_at": pl.Datetime("us"),
        "created_by": pl.String,
        "status": pl.String,
        "merged_into": pl.Int64,
    },
    "cases": {
        "case_id": pl.Int64,
        "trader_id": pl.Int64,
        "opened_at": pl.Datetime("us"),
        "case_type": pl.String,
        "goods_code": pl.String,
    },
    "tracks": {
        "track_id": pl.Int64,
        "trader_id": pl.Int64,
        "ts_id": pl.String,
        "start_date": pl.Date,
        "end_date": pl.Date,
        "notes": pl.String,
        "raised_at": pl.Date,
    },
    "certificates": {
        "certificate_id": pl.Int64,
        "trader_id": pl.Int64,
        "ts_id": pl.String,
        "scheme": pl.String,
        "start_date": pl.Date,
        "end_date": pl.Date,
        "notes": pl.String,
    },
    "whitelist": {
        "trader_id": pl.Int64,
        "reason": pl.String,
        "added_by": pl.String,
        "added_at": pl.Datetime("us"),
    },
    "users": {"user_id": pl.String, "display_name": pl.String, "role": pl.String, "ts_id": pl.String,
              "centre": pl.String, "restricted": pl.Boolean},
    "ts_areas": {"postcode_prefix": pl.String, "ts_id": pl.String, "ts_name": pl.String},
    "truth": {"trader_id": pl.Int64, "entity_id": pl.Int64, "kind": pl.String, "group_kind": pl.String,
              "group_id": pl.Int64},
}

UK_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$"


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return generate(N, seed=1, as_of=AS_OF)


@pytest.fixture(scope="module")
def traders(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Traders joined with their true entity and a canonical postcode ``pc``.

    ``pc`` is the typed postcode in upper case with one space before the
    inward code, or null when that is not a valid-looking postcode.
    """
    squashed = pl.col("postcode").str.to_uppercase().str.replace_all(r"\s", "")
    spaced = pl.concat_str(
        [squashed.str.slice(0, squashed.str.len_chars() - 3), squashed.str.slice(-3)], separator=" "
    )
    return (
        tables["traders"]
        .join(tables["truth"], on="trader_id")
        .with_columns(pc=pl.when(spaced.str.contains(UK_POSTCODE)).then(spaced))
    )


@pytest.mark.parametrize("n", [1, 7, 1_000])
def test_exact_row_count(n: int) -> None:
    tables = generate(n, seed=3)
    assert tables["traders"].height == n
    assert tables["truth"].height == n


def test_rejects_empty_request() -> None:
    with pytest.raises(ValueError):
        generate(0)


def test_schema(tables: dict[str, pl.DataFrame]) -> None:
    assert tuple(tables) == TABLES
    for name, schema in EXPECTED_SCHEMAS.items():
        assert dict(tables[name].schema) == schema, name
        assert list(tables[name].columns) == list(schema), name


def test_same_seed_same_tables_other_seed_differs() -> None:
    first, again, other = generate(3_000, seed=5), generate(3_000, seed=5), generate(3_000, seed=6)
    for name in TABLES:
        assert_frame_equal(first[name], again[name])
    assert not first["traders"].equals(other["traders"])


def test_trader_ids_unique_eight_digit_and_not_grouped_by_entity(tables: dict[str, pl.DataFrame]) -> None:
    ids = tables["traders"]["trader_id"]
    assert ids.n_unique() == N
    assert ids.min() >= 10_000_000 and ids.max() <= 99_999_999
    truth = tables["truth"].sort("trader_id")
    same_entity_as_next = (truth["entity_id"] == truth["entity_id"].shift(-1)).sum()
    assert same_entity_as_next < 0.02 * N


def test_trader_fields(tables: dict[str, pl.DataFrame]) -> None:
    traders = tables["traders"]
    assert traders["name"].null_count() == 0
    assert (traders["name"].str.strip_chars().str.len_chars() > 0).all()
    assert traders["address"].str.count_matches(",").max() <= 5  # at most 6 lines
    assert (traders["status"] == "active").all()
    assert traders["merged_into"].null_count() == N
    assert traders["created_by"].str.contains(r"^ADV\d{4}$").all()
    assert traders["created_at"].max() < datetime.datetime.combine(AS_OF, datetime.time())
    # Online sellers have no address; some records have it missing.
    assert 0.05 < traders["address"].null_count() / N < 0.4


def test_postcodes_are_messy_but_mostly_valid(traders: pl.DataFrame) -> None:
    typed = traders["postcode"].drop_nulls()
    assert (typed.str.contains(UK_POSTCODE)).mean() < 0.9  # lower case, no space, ...
    assert traders["pc"].count() / typed.len() > 0.85
    assert typed.is_in(["N/A", "unknown", "TBC", "-"]).any()


def test_duplicate_share_and_heavy_tail(tables: dict[str, pl.DataFrame]) -> None:
    sizes = tables["truth"].group_by("entity_id").len()["len"]
    duplicate_share = 1 - sizes.len() / N
    assert 0.25 <= duplicate_share <= 0.35
    assert (sizes == 1).mean() > 0.7
    assert sizes.max() >= 15


def test_duplicates_are_later_and_by_other_advisers(traders: pl.DataFrame) -> None:
    ordered = traders.sort("entity_id", "created_at")
    first = ordered.group_by("entity_id").agg(first_by=pl.col("created_by").first(), n=pl.len())
    later = ordered.join(first, on="entity_id").filter(pl.col("n") > 1)
    later = later.filter(pl.col("created_at") > pl.col("created_at").min().over("entity_id"))
    assert later.height == N - first.height  # no ties with the first record
    assert (later["created_by"] != later["first_by"]).all()


def test_records_of_an_entity_share_a_postcode_but_are_typed_differently(traders: pl.DataFrame) -> None:
    multi = traders.filter(pl.len().over("entity_id") >= 3)
    typed = multi.drop_nulls("pc").with_columns(usual=pl.col("pc").mode().first().over("entity_id"))
    assert (typed["pc"] == typed["usual"]).mean() > 0.85
    names = multi.group_by("entity_id").agg(pl.col("name").n_unique())["name"]
    assert (names >= 2).mean() > 0.8


def test_children_point_at_existing_traders(tables: dict[str, pl.DataFrame]) -> None:
    ids = tables["traders"]["trader_id"]
    for name in ("cases", "tracks", "certificates", "whitelist"):
        assert tables[name]["trader_id"].is_in(ids.implode()).all(), name
    for name, key in (("cases", "case_id"), ("tracks", "track_id"), ("certificates", "certificate_id")):
        assert tables[name][key].n_unique() == tables[name].height, name


def test_case_volume_and_dates(tables: dict[str, pl.DataFrame]) -> None:
    cases = tables["cases"].join(tables["traders"].select("trader_id", "created_at"), on="trader_id")
    assert 1.2 <= cases.height / N <= 3
    assert (cases["opened_at"] >= cases["created_at"]).all()
    assert cases["opened_at"].max() < datetime.datetime.combine(AS_OF, datetime.time())
    assert tables["traders"]["trader_id"].is_in(cases["trader_id"].implode()).all()  # created with a case
    per_trader = cases.group_by("trader_id").len()["len"]
    assert (per_trader == 1).mean() > 0.5 and per_trader.max() >= 20
    assert set(cases["case_type"].unique()) == {"Civil", "Criminal", "Signpost"}
    assert cases["goods_code"].str.contains(r"^[A-Z]{2}\d{2}$").all()


def test_tracks_and_certificates_only_on_addressed_traders(tables: dict[str, pl.DataFrame]) -> None:
    addressed = tables["traders"].filter(pl.col("address").is_not_null())["trader_id"].implode()
    for name in ("tracks", "certificates"):
        assert tables[name]["trader_id"].is_in(addressed).all(), name


def test_tracks_and_certificates_volumes_and_windows(tables: dict[str, pl.DataFrame]) -> None:
    tracks, certificates = tables["tracks"], tables["certificates"]
    assert 0.003 * N <= tracks.height <= 0.008 * N
    assert 0.025 * N <= certificates.height <= 0.045 * N
    for table in (tracks, certificates):
        assert table["start_date"].max() <= AS_OF
        active = ((table["start_date"] <= AS_OF) & (table["end_date"] >= AS_OF)).mean()
        assert 0.15 < active < 0.95
        assert table["end_date"].null_count() < 0.1 * table.height
        assert (
            table["end_date"].drop_nulls() > table["start_date"].filter(table["end_date"].is_not_null())
        ).all()
    # Some run with no end date (a few per cent: too few among 20k records' tracks to count on).
    assert tracks["end_date"].null_count() + certificates["end_date"].null_count() > 0
    assert (tracks["raised_at"] <= tracks["start_date"]).all()
    assert tracks["ts_id"].str.contains(r"^TS\d{3}$").all()
    assert set(certificates["scheme"].unique()) == {
        "Buy With Confidence",
        "Trusted Trader",
        "Trading Standards Approved",
    }
    # Certificates run longer than tracks.
    length = (pl.col("end_date") - pl.col("start_date")).dt.total_days().median()
    assert certificates.select(length).item() > tracks.select(length).item()


def test_whitelist_one_record_per_entity_preferring_chains(tables: dict[str, pl.DataFrame]) -> None:
    whitelist = tables["whitelist"].join(tables["truth"], on="trader_id")
    assert 0.005 * N <= whitelist.height <= 0.01 * N
    assert whitelist["trader_id"].n_unique() == whitelist.height
    assert whitelist["entity_id"].n_unique() == whitelist.height
    names = whitelist.join(tables["traders"], on="trader_id")["name"].str.to_lowercase()
    chain_names = "|".join(brand.lower() for brand, _, _ in CHAINS)
    assert names.str.contains(chain_names).mean() > 0.3


def test_chain_branches_are_different_entities_in_different_places(traders: pl.DataFrame) -> None:
    brand = CHAINS[0][0]  # the biggest chain
    branches = traders.filter(pl.col("name").str.to_lowercase().str.starts_with(brand.lower()))
    per_entity = branches.group_by("entity_id").agg(pl.col("pc").drop_nulls().mode().first())
    assert per_entity.height >= 10
    assert per_entity["pc"].n_unique() >= 10


def test_different_units_in_one_building_are_different_entities(traders: pl.DataFrame) -> None:
    units = traders.with_columns(unit=pl.col("address").str.extract(r"(?i)^unit (\d+)\b")).drop_nulls(
        ["unit", "pc"]
    )
    per_postcode = units.group_by("pc").agg(
        entities=pl.col("entity_id").n_unique(), units=pl.col("unit").n_unique()
    )
    shared_buildings = per_postcode.filter((pl.col("entities") >= 2) & (pl.col("units") >= 2))
    assert shared_buildings.height >= 20
    # A unit number in a building is one business (bar a mistyped postcode).
    per_unit = units.group_by("pc", "unit").agg(pl.col("entity_id").n_unique())["entity_id"]
    assert (per_unit == 1).mean() > 0.99


def test_common_names_recur_across_towns(traders: pl.DataFrame) -> None:
    brands = [brand for brand, _, _ in CHAINS]
    clean = traders.filter(
        pl.col("name").str.contains(r"^[A-Z][a-z]+ [A-Z][a-z]+$") & ~pl.col("name").is_in(brands)
    )
    per_name = clean.group_by("name").agg(pl.col("entity_id").n_unique().alias("entities"))
    assert per_name["entities"].max() >= 5  # e.g. several different "Smith Roofing"


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_write_tables_round_trip(tables: dict[str, pl.DataFrame], tmp_path, fmt: str) -> None:
    small = {name: table.head(200) for name, table in tables.items()}
    paths = write_tables(small, tmp_path / "out", fmt=fmt)
    assert [p.name for p in paths] == [f"{name}.{fmt}" for name in TABLES]
    read = pl.read_parquet if fmt == "parquet" else pl.read_csv
    for name, path in zip(TABLES, paths):
        back = read(path)
        assert back.height == small[name].height
        assert back.columns == small[name].columns
        id_column = small[name].columns[0]
        assert back[id_column].to_list() == small[name][id_column].to_list()
    if fmt == "parquet":
        assert_frame_equal(pl.read_parquet(paths[0]), small["traders"])


def test_write_tables_rejects_unknown_format(tables: dict[str, pl.DataFrame], tmp_path) -> None:
    with pytest.raises(ValueError):
        write_tables(tables, tmp_path, fmt="xlsx")
