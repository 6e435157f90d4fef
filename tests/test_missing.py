"""One definition of missing (`dedup.missing`), read the same way by the normaliser (polars),
by blocking and scoring (through the normalised columns) and by survivorship (SQL)."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.missing import MISSING_SQL_PARAMS, PLACEHOLDERS, is_missing_expr, missing_condition
from dedup.normalise.traders import normalise_traders

MISSING = [None, "", "   ", "N/A", "n/a", " N / A ", "n.a.", "NA", "N/K", "Unknown", "(unknown)",
           "UNKNOWN.", "none", "None", "NULL", "nil", "TBC", "t.b.c.", "TBA", "tbd", "-", "--",
           "- -", "?", "???", "0", "0000", "00 00", "*", "...", "x", "X", "not known", "Not Given",
           "no postcode", "NO POSTCODE", "nopostcode", "no address", "not applicable", ",,,",
           "n/a,\n", "\tTBC\u00a0"]
PRESENT = ["CF24 3SD", "TR1 1AA", "01872 123456", "acme.co.uk", "1 High St, Truro", "Unit 0",
           "x-ray repairs", "0 Main St", "NAA", "none such ltd", "10", "A", "Xmas Ltd",
           "unknownplc.com", "TBC Roofing", "0800 0000000"]


def polars_missing(values: list[str | None]) -> list[bool]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(is_missing_expr(pl.col("v")))["v"].to_list()


def sql_missing(values: list[str | None]) -> list[bool]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    rows = con.execute(f"SELECT {missing_condition('v')} FROM t ORDER BY i", MISSING_SQL_PARAMS).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("render", [polars_missing, sql_missing], ids=["polars", "sql"])
def test_placeholders_are_missing_and_real_values_are_not(render):
    assert render(MISSING) == [True] * len(MISSING)
    assert render(PRESENT) == [False] * len(PRESENT)


def test_every_placeholder_word_is_missing_as_typed():
    assert polars_missing(list(PLACEHOLDERS)) == [True] * len(PLACEHOLDERS)


# Text made of placeholder words, real fragments and the noise typed around them (spaces of
# several kinds, punctuation, upper case, accents).
FRAGMENTS = st.sampled_from([*PLACEHOLDERS, "N/A", "TBC", "0", "00", "CF24", "3SD", "High St",
                             "é", "É", "ß", "1", "-", "?", ".", ",", " ", "\t", "\u00a0", "\n",
                             "/", "(", ")", "*", "x", "Ltd", "a", "e\u0301"])


@given(st.lists(st.one_of(st.none(), st.lists(FRAGMENTS, max_size=5).map("".join)),
                min_size=1, max_size=30))
def test_the_polars_and_sql_renderers_agree(values):
    assert polars_missing(values) == sql_missing(values)


@given(st.lists(st.sampled_from(MISSING), min_size=1, max_size=20))
def test_a_missing_raw_field_normalises_to_nulls_in_every_field(values):
    frame = pl.DataFrame({"trader_id": range(len(values)), "name": ["Acme Ltd"] * len(values),
                          "address": values, "postcode": values, "phone": values,
                          "website": values},
                         schema_overrides={c: pl.String for c in
                                           ("address", "postcode", "phone", "website")})
    normalised = normalise_traders(frame).drop("trader_id", "name_norm", "legal_form",
                                               "proprietor", "name_tokens_sorted", "name_key")
    assert normalised.null_count().row(0) == (len(values),) * normalised.width


def test_two_records_with_placeholder_postcodes_are_not_blocked_or_scored_on_them(cli, tmp_path):
    """Blocking and scoring read the normalised columns, so 'N/A' and 'n/a' do not agree."""
    import json

    from dedup_cli import app

    path = tmp_path / "t.csv"
    path.write_text("trader_id,name,address,postcode,phone\n"
                    "1,Acme Roofing,\"1 High St, Truro\",N/A,TBC\n"
                    "2,Zed Motors,\"9 Low Rd, Leeds\",n/a,tbc\n")
    db = tmp_path / "s.duckdb"
    assert cli.invoke(app, ["import", "--db", str(db), "--traders", str(path)]).exit_code == 0
    result = cli.invoke(app, ["explain", "--db", str(db), "1", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert "same_postcode" not in report["blocked_by"] and "same_phone" not in report["blocked_by"]
    levels = {c["comparison"]: c for c in report["comparisons"]}
    assert levels["postcode"]["left"] is None and levels["postcode"]["right"] is None
    assert levels["postcode"]["weight"] == 0.0 and levels["phone"]["weight"] == 0.0
