"""`dedup.blocking.rules`: a blocking rule's keys, checked when the rule is built (a rule file
never gets SQL in), and the SQL each key becomes, run on a real table of normalised columns."""

from __future__ import annotations

import re

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.blocking.rules import BlockingRule, key_expr
from dedup.columns import NORMALISED_COLUMNS

COLUMNS = tuple(NORMALISED_COLUMNS)
valid_keys = st.one_of(st.sampled_from(COLUMNS),
                       st.tuples(st.sampled_from(COLUMNS), st.integers(1, 99), st.sampled_from(["", " ", "  "]))
                       .map(lambda k: f"left({k[0]},{k[2]}{k[1]})"))


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """One row per pair side: every normalised column, as text, on a real DuckDB file."""
    con = duckdb.connect(str(tmp_path_factory.mktemp("blocking") / "keys.duckdb"))
    columns = ", ".join(f"{c} VARCHAR" for c in COLUMNS)
    con.execute(f"CREATE TABLE n ({columns})")
    con.execute("INSERT INTO n (name_norm, postcode) VALUES ('mabels boutique', 'TR1 1AU')")
    yield con
    con.close()


def test_a_column_key_and_a_prefix_key_become_their_sql():
    assert key_expr("postcode", "l") == 'l."postcode"'
    assert key_expr("left(name_norm, 4)", "r") == 'left(r."name_norm", 4)'
    assert key_expr("left(name_norm,4)", "r") == 'left(r."name_norm", 4)'
    rule = BlockingRule("sector_and_name", ("postcode_sector", "left(name_norm, 4)"))
    assert rule.key_exprs("l") == ['l."postcode_sector"', 'left(l."name_norm", 4)']


def test_key_sql_runs_and_takes_the_first_n_characters(con):
    (prefix, postcode), = con.execute(f"SELECT {key_expr('left(name_norm, 3)', 'n')}, "
                                      f"{key_expr('postcode', 'n')} FROM n").fetchall()
    assert (prefix, postcode) == ("mab", "TR1 1AU")


@given(st.lists(valid_keys, min_size=1, max_size=3))
def test_every_valid_key_is_accepted_and_its_sql_runs(con, keys):
    rule = BlockingRule("r", tuple(keys))
    con.execute(f"SELECT {', '.join(rule.key_exprs('n'))} FROM n").fetchall()


near_keys = st.one_of(
    st.text(max_size=30), st.sampled_from(COLUMNS).map(lambda c: c + ";"),
    st.tuples(st.one_of(st.sampled_from(COLUMNS), st.text(max_size=12)),
              st.one_of(st.integers(-2, 20).map(str), st.text(max_size=6)))
    .map(lambda k: f"left({k[0]}, {k[1]})"))


@given(near_keys)
def test_any_other_key_is_refused_or_is_only_a_column_or_its_prefix(con, key):
    """Whatever a rule file holds, a key that is accepted reads one normalised column (or its
    first N characters) and nothing else: no text of the key reaches the SQL but the column's
    name and N."""
    try:
        rule = BlockingRule("r", (key,))
    except ValueError:
        return
    sql = rule.key_exprs("n")[0]
    assert re.fullmatch(r'n\."(\w+)"|left\(n\."(\w+)", \d+\)', sql), sql
    assert (re.search(r'"(\w+)"', sql).group(1)) in COLUMNS
    con.execute(f"SELECT {sql} FROM n").fetchall()


@pytest.mark.parametrize("key", ["nope", "left(name_norm, 0)", "left(nope, 3)", "name_norm; drop table x"])
def test_bad_block_keys_are_rejected_when_built(key):
    with pytest.raises(ValueError):
        BlockingRule("bad", (key,))


def test_the_refusal_says_what_a_key_may_be():
    with pytest.raises(ValueError) as caught:
        BlockingRule("bad", ("colour",))
    message = str(caught.value)
    assert message.startswith("unknown block key 'colour': use a normalised column (")
    assert all(c in message for c in COLUMNS) and message.endswith("or left(column, N)")
    with pytest.raises(ValueError, match=r"block key 'left\(postcode, 0\)': N must be at least 1"):
        BlockingRule("bad", ("left(postcode, 0)",))


def test_a_rule_needs_a_key():
    with pytest.raises(ValueError, match="blocking rule 'empty' needs at least one key in 'on'"):
        BlockingRule("empty", ())


@pytest.mark.parametrize("size", [1, 0, -5, 2.5, True, "10"])
def test_a_rule_s_own_cap_is_a_whole_number_of_at_least_two(size):
    with pytest.raises(ValueError, match="max_block_size must be a whole number of at least 2"):
        BlockingRule("capped", ("postcode",), max_block_size=size)


def test_a_rule_s_cap_is_its_own_or_the_rule_set_s():
    assert BlockingRule("loose", ("name_norm",), max_block_size=2).cap(100) == 2
    assert BlockingRule("default", ("postcode",)).cap(100) == 100
