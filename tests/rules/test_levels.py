"""Comparison levels and hard rules, tested by running their SQL on literal rows."""

from __future__ import annotations

import math

import duckdb
import jellyfish
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dedup.rules.hard import HardRule
from dedup.rules.levels import Comparison, Level


def holds(sql: str, **values) -> bool:
    """Evaluate a condition over one literal pair row (values given as <column>_l / _r)."""
    con = duckdb.connect()
    cols = ", ".join(f"${k} AS {k}" for k in values)
    return con.execute(f"SELECT coalesce(({sql}), FALSE) FROM (SELECT {cols})", values).fetchone()[0]


LEVEL_CASES = [
    # kind, column, threshold, left, right, expected
    ("exact", "name_norm", None, "mabels boutique", "mabels boutique", True),
    ("exact", "name_norm", None, "mabels boutique", "mabel boutique", False),
    ("exact", "name_norm", None, None, "mabels boutique", False),
    ("missing", "postcode", None, None, "TR1 1AU", True),
    ("missing", "postcode", None, "TR1 1AU", "TR1 1AU", False),
    ("jaro_winkler", "name_norm", 0.9, "eh windows", "eh wondows", True),
    ("jaro_winkler", "name_norm", 0.9, "poundland", "smith roofing", False),
    ("jaro_winkler", "name_norm", 1.0, "same", "same", True),
    ("token_overlap", "name_norm", 1.0, "mabels boutique", "mabels boutique truro", True),
    ("token_overlap", "name_norm", 1.0, "mabels boutique", "mabels cat grooming", False),
    ("token_overlap", "name_norm", 0.5, "mabels boutique", "mabels cat grooming", True),
    ("phonetic", "name_key", None, "SM0", "SM0", True),
    ("phonetic", "name_key", None, "SM0", "SMT", False),
]


@pytest.mark.parametrize("kind,column,threshold,left,right,expected", LEVEL_CASES)
def test_level_condition_on_literal_rows(kind, column, threshold, left, right, expected):
    level = Level(kind, 1.0, column, min_similarity=threshold)
    assert holds(level.condition_expr(), **{f"{column}_l": left, f"{column}_r": right}) is expected


@pytest.mark.parametrize("kind,column,threshold,left,right,expected", LEVEL_CASES)
def test_levels_are_symmetric(kind, column, threshold, left, right, expected):
    level = Level(kind, 1.0, column, min_similarity=threshold)
    assert holds(level.condition_expr(), **{f"{column}_l": right, f"{column}_r": left}) is expected


def test_first_level_that_holds_wins():
    name = Comparison("name", (Level("missing", 0, "name_norm"), Level("exact", 9, "name_norm"),
                               Level("jaro_winkler", 3, "name_norm", min_similarity=0.8),
                               Level("else", -8)))
    con = duckdb.connect()

    def level(l, r):  # noqa: E741 (left and right)
        return con.execute(f"SELECT {name.level_expr()} FROM (SELECT $l AS name_norm_l, $r AS name_norm_r)",
                           {"l": l, "r": r}).fetchone()[0]

    assert [level(None, "x"), level("abc", "abc"), level("abcdef", "abcdeg"), level("abc", "xyz")] == [0, 1, 2, 3]


HARD_CASES = [
    ("different_unit", {"address_unit_l": "unit 3", "address_unit_r": "unit 4"}, True),
    ("different_unit", {"address_unit_l": "unit 3", "address_unit_r": "unit 3"}, False),
    ("different_unit", {"address_unit_l": "unit 3", "address_unit_r": None}, False),
    ("different_house_number", {"address_number_l": "5", "address_number_r": "6"}, True),
    ("different_house_number", {"address_number_l": "5", "address_number_r": None}, False),
    ("different_postcode_district", {"postcode_district_l": "BD1", "postcode_district_r": "LS1",
                                     "postcode_l": "BD1 1AA", "postcode_r": "LS1 4QT"}, True),
    ("different_postcode_district", {"postcode_district_l": "LS1", "postcode_district_r": "LS1",
                                     "postcode_l": "LS1 1AA", "postcode_r": "LS1 4QT"}, False),
    ("different_postcode_district", {"postcode_district_l": "TR1", "postcode_district_r": "TR11",  # a typo
                                     "postcode_l": "TR1 1AA", "postcode_r": "TR11 1AA"}, False),
    ("both_whitelisted", {"whitelisted_l": True, "whitelisted_r": True}, True),
    ("both_whitelisted", {"whitelisted_l": True, "whitelisted_r": False}, False),
    ("different_postcode", {"postcode_l": "SA1 8NE", "postcode_r": "SA1 4FX",
                            "postcode_sector_l": "SA1 8", "postcode_sector_r": "SA1 4"}, True),
    ("different_postcode", {"postcode_l": "SA1 4FX", "postcode_r": "SA1 4FZ",     # a typo
                            "postcode_sector_l": "SA1 4", "postcode_sector_r": "SA1 4"}, False),
    ("different_postcode", {"postcode_l": "SA1 4FX", "postcode_r": "SA14FQ",      # one invalid
                            "postcode_sector_l": "SA1 4", "postcode_sector_r": None}, False),
    ("different_postcode", {"postcode_l": "EH3 1AF", "postcode_r": "EH3 1BA",     # JW 0.9, 2 edits
                            "postcode_sector_l": "EH3 1", "postcode_sector_r": "EH3 1"}, True),
    ("different_postcode", {"postcode_l": "EH3 1AF", "postcode_r": "EH3 1FA",     # transposed
                            "postcode_sector_l": "EH3 1", "postcode_sector_r": "EH3 1"}, False),
    ("different_street", {"address_street_l": "school rd", "address_street_r": "grange rd"}, True),
    ("different_street", {"address_street_l": "school rd", "address_street_r": "schol rd"}, False),
    ("different_street", {"address_street_l": "school rd", "address_street_r": None}, False),
    # name_only: nothing but the name in common (a near postcode, district or town is not enough)
    ("name_only", {}, True),
    ("name_only", {"postcode_l": "TR1 1AA", "postcode_r": "TR1 1AB"}, True),
    ("name_only", {"postcode_l": "TR1 1AA", "postcode_r": "TR1 1AA"}, False),
    ("name_only", {"postal_code_other_l": "90210", "postal_code_other_r": "90210"}, False),
    ("name_only", {"postal_code_other_l": "90210", "postal_code_other_r": "90211"}, True),
    ("name_only", {"address_street_l": "high street", "address_street_r": "high street"}, False),
    ("name_only", {"address_street_l": "station rd", "address_street_r": "staton rd"}, False),   # a typo
    ("name_only", {"address_street_l": "station rd", "address_street_r": "grange rd"}, True),
    ("name_only", {"phone_l": "01872555123", "phone_r": "01872555123"}, False),
    ("name_only", {"phone_l": "01872555123", "phone_r": "01872555999"}, True),
    ("name_only", {"website_domain_l": "acme.co.uk", "website_domain_r": "acme.co.uk"}, False),
    ("name_only", {"website_domain_l": "acme.co.uk", "website_domain_r": "acme.co.uk",   # one shop
                   "sectors_website_domain_l": 3}, False),
    ("name_only", {"website_domain_l": "poundwise.co.uk", "website_domain_r": "poundwise.co.uk",
                   "sectors_website_domain_l": 4}, True),                                # a brand's
]


def names(left: str, right: str, key_right: str | None = None) -> dict:
    """The columns `different_name_word` reads, for two normalised names."""
    return {"name_norm_l": left, "name_norm_r": right, "name_key_l": "KEY", "name_key_r": key_right or "KEY",
            "tokens_name_norm_l": sorted(set(left.split())), "tokens_name_norm_r": sorted(set(right.split()))}


HARD_CASES += [
    # different_name_word: one word each differs, by more than a slip
    ("different_name_word", names("james and sons kitchens", "james and sons plastering"), True),
    ("different_name_word", names("greenway beds", "greenway pets"), True),
    ("different_name_word", names("james and sons plastering", "james and sons plaatering"), False),
    ("different_name_word", names("brown van hire", "brown avn hire"), False),        # swapped letters
    ("different_name_word", names("po roofing", "pro roofing"), False),               # a letter left out
    ("different_name_word", names("smith roofing", "smith roofing services"), False),  # a word added
    ("different_name_word", names("smith roofing", "smith roofing"), False),
    ("different_name_word", names("acme plumbing and heating", "acme roofing and guttering"), False),
    ("different_name_word", names("greenway beds", "greenway pets", key_right="BRN"), False),
]
NAME_ONLY_COLUMNS = [f"{c}_{side}" for c in ("postcode", "postal_code_other", "address_street", "phone",
                                              "website_domain")
                     for side in "lr"] + ["sectors_website_domain_l"]


@pytest.mark.parametrize("name,values,expected", HARD_CASES)
def test_hard_rule_condition_on_literal_rows(name, values, expected):
    if name == "name_only":   # every column it reads, NULL unless given
        values = {c: values.get(c) for c in NAME_ONLY_COLUMNS}
    assert holds(HardRule(name, "never_match").condition_expr(), **values) is expected


@pytest.mark.parametrize("kwargs,message", [
    ({"kind": "jaro_winkler", "weight": 1, "column": "name_norm"}, "min_similarity"),
    ({"kind": "jaro_winkler", "weight": 1, "column": "name_norm", "min_similarity": 1.5}, "min_similarity"),
    ({"kind": "exact", "weight": 1, "column": "name_norm", "min_similarity": 0.5}, "takes no min_similarity"),
    ({"kind": "exact", "weight": 1, "column": "colour"}, "needs a column"),
    ({"kind": "fuzzy", "weight": 1, "column": "name_norm"}, "unknown level kind"),
    ({"kind": "exact", "weight": "high", "column": "name_norm"}, "weight must be a number"),
    ({"kind": "jaro_winkler", "weight": 1, "column": "name_norm", "min_similarity": 0.9,
      "tf_adjust": True}, "tf_adjust needs"),
    ({"kind": "exact", "weight": 1, "column": "name_norm", "u": 0}, "u must be a probability"),
    ({"kind": "jaro_winkler", "weight": 1, "column": "website_domain", "min_similarity": 0.9,
      "max_sectors": 3}, "max_sectors needs"),
    ({"kind": "exact", "weight": 1, "column": "website_domain", "max_sectors": 0}, "at least 1"),
    ({"kind": "exact", "weight": 1, "column": "website_domain", "max_sectors": 2.5}, "whole number"),
])
def test_levels_check_their_parameters_when_built(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Level(**kwargs)


@pytest.mark.parametrize("sectors,expected", [(None, True), (0, True), (1, True), (3, True), (4, False)])
def test_max_sectors_level_holds_only_for_values_found_at_few_places(sectors, expected):
    level = Level("exact", 8.0, "website_domain", max_sectors=3)
    values = {"website_domain_l": "acme.co.uk", "website_domain_r": "acme.co.uk",
              "sectors_website_domain_l": sectors}
    assert holds(level.condition_expr(), **values) is expected
    values["website_domain_r"] = "other.co.uk"
    assert holds(level.condition_expr(), **values) is False


def test_sector_spread_counts_distinct_postcode_sectors_per_value():
    from dedup.score import sector_spread_sql
    from dedup.tables import StageTables

    tables = StageTables()
    con = duckdb.connect()
    con.execute(f"""CREATE TEMP TABLE {tables.normalised} AS SELECT * FROM (VALUES
        ('chain.co.uk', 'TR1 1'), ('chain.co.uk', 'LS1 4'), ('chain.co.uk', 'LS1 4'),
        ('chain.co.uk', NULL), ('shop.co.uk', 'TR1 1'), ('shop.co.uk', 'TR1 1'), ('online.uk', NULL),
        (NULL, 'EH3 1')) t(website_domain, postcode_sector)""")
    con.execute(sector_spread_sql("website_domain", tables).sql)
    spread = dict(con.execute(f"SELECT value, sectors FROM {tables.sectors('website_domain')}").fetchall())
    assert spread == {"chain.co.uk": 2, "shop.co.uk": 1, "online.uk": 0}


def tf_adjustments(names: list[str]) -> dict[str, float]:
    """The term-frequency adjustment of each name, computed by the scoring's own SQL."""
    from dedup.score import term_frequencies_sql
    from dedup.tables import StageTables

    tables = StageTables()
    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE {tables.normalised} AS SELECT unnest($n) AS name_norm", {"n": names})
    con.execute(term_frequencies_sql("name_norm", tables).sql)
    return dict(con.execute(f"SELECT value, adjustment FROM {tables.term_frequencies('name_norm')}").fetchall())


def test_term_frequency_lowers_the_weight_of_common_values():
    adjust = tf_adjustments(["rare one", "rare two"] + ["smith roofing"] * 8)
    u = 0.1 ** 2 + 0.1 ** 2 + 0.8 ** 2          # chance two random records share a name
    assert adjust["rare one"] == pytest.approx(math.log2(u / 0.1))
    assert adjust["smith roofing"] == pytest.approx(math.log2(u / 0.8))
    assert adjust["smith roofing"] < 0 < adjust["rare one"]
    level = Level("exact", 9.0, "name_norm", tf_adjust=True)
    weight = duckdb.connect().execute(f"SELECT {level.weight_expr()} FROM (SELECT $a AS tf_name_norm_l)",
                                      {"a": adjust["smith roofing"]}).fetchone()[0]
    assert weight == pytest.approx(9.0 + adjust["smith roofing"])


def test_term_frequency_adjustment_does_not_drift_with_table_size():
    names = ["rare one", "rare two"] + ["smith roofing"] * 8
    assert tf_adjustments(names * 5) == pytest.approx(tf_adjustments(names))


def test_different_postcode_shortcut_equals_edit_distance_on_valid_postcodes():
    """The rule skips damerau_levenshtein where Jaro-Winkler is below 0.8; for valid postcodes
    that must never change the answer. Checked on seeded random postcodes and their one- and
    two-edit variants."""
    import random

    rng = random.Random(11)
    letters, digits = "ABCDEFGHJKLMNOPRSTUWYZ", "0123456789"

    def postcode() -> str:
        return (rng.choice(letters) + rng.choice(["", rng.choice(letters)]) + rng.choice(digits)
                + rng.choice(["", rng.choice(digits)]) + " " + rng.choice(digits)
                + rng.choice(letters) + rng.choice(letters))

    def edit(text: str) -> str:
        chars, i = list(text), rng.randrange(len(text))
        op = rng.randrange(4)
        if op == 0:
            chars[i] = rng.choice(letters + digits)
        elif op == 1:
            chars.insert(i, rng.choice(letters + digits))
        elif op == 2:
            del chars[i]
        elif i < len(chars) - 1:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)

    pairs = []
    for _ in range(4000):
        a = postcode()
        b = edit(a) if rng.random() < 0.7 else edit(edit(a))
        pairs.append((a, b))
    con = duckdb.connect()
    con.execute("CREATE TABLE p (postcode_l VARCHAR, postcode_r VARCHAR)")
    con.executemany("INSERT INTO p VALUES (?, ?)", pairs)
    rule = HardRule("different_postcode", "review_only").condition_expr()
    disagree = con.execute(f"""
        SELECT count(*) FROM (SELECT *, 'x' AS postcode_sector_l, 'x' AS postcode_sector_r FROM p
                              WHERE regexp_full_match(postcode_r, '[A-Z]{{1,2}}[0-9][0-9A-Z]? [0-9][A-Z]{{2}}'))
        WHERE ({rule}) <> (damerau_levenshtein(postcode_l, postcode_r) > 1)""").fetchone()[0]
    assert disagree == 0


@pytest.mark.parametrize("left,right", [("mabels boutique", "mabels boutique truro"),
                                        ("mabels boutique", "mabels cat grooming"),
                                        ("a a b", "b a"), (None, "mabels"), ("", "x y")])
@pytest.mark.parametrize("threshold", [0.5, 1.0])
def test_token_overlap_from_word_lists_equals_the_inline_form(left, right, threshold):
    """The scoring query splits each record's words once (`tokens_<column>`); the level must
    reach the same answer as splitting inline."""
    level = Level("token_overlap", 1.0, "name_norm", min_similarity=threshold)
    con = duckdb.connect()
    inline, listed = con.execute(f"""
        SELECT coalesce(({level.condition_expr()}), FALSE), coalesce(({level.condition_expr(token_lists=True)}), FALSE)
        FROM (SELECT $l AS name_norm_l, $r AS name_norm_r,
                     list_distinct(string_split($l, ' ')) AS tokens_name_norm_l,
                     list_distinct(string_split($r, ' ')) AS tokens_name_norm_r)""",
        {"l": left, "r": right}).fetchone()
    assert inline == listed


# --- against jellyfish's reference implementations ----------------------------------------------

#: Letters, a space, punctuation and accented letters: what normalised names and streets hold,
#: and the few characters where a byte-wise implementation would part from a character-wise one.
SIMILAR_TEXT = st.text(st.sampled_from("abcdeorst 'é-ñ"), max_size=16)


@pytest.fixture(scope="module")
def con():
    return duckdb.connect()


@given(SIMILAR_TEXT, SIMILAR_TEXT)
def test_duckdb_string_similarities_equal_jellyfish_and_are_symmetric(con, left, right):
    """The jaro_winkler levels and the postcode / name-word hard rules use DuckDB's
    jaro_winkler_similarity and damerau_levenshtein: they must be the published algorithms
    (as jellyfish computes them) and not care which record is on the left."""
    jw, jw_swapped, dl, dl_swapped = con.execute(
        "SELECT jaro_winkler_similarity($l, $r), jaro_winkler_similarity($r, $l), "
        "damerau_levenshtein($l, $r), damerau_levenshtein($r, $l)", {"l": left, "r": right}).fetchone()
    assert jw == pytest.approx(jellyfish.jaro_winkler_similarity(left, right), abs=1e-12)
    assert dl == jellyfish.damerau_levenshtein_distance(left, right)
    assert (jw_swapped, dl_swapped) == (jw, dl)


@given(SIMILAR_TEXT, SIMILAR_TEXT, st.sampled_from([0.7, 0.8, 0.88, 0.9, 0.92, 0.95]))
def test_a_jaro_winkler_level_holds_exactly_when_jellyfish_says_similar_enough(con, left, right, threshold):
    similarity = jellyfish.jaro_winkler_similarity(left, right)
    assume(abs(similarity - threshold) > 1e-9)   # no verdict on a rounding hair
    level = Level("jaro_winkler", 1.0, "name_norm", min_similarity=threshold)
    (held,) = con.execute(f"SELECT coalesce(({level.condition_expr()}), FALSE) "
                          f"FROM (SELECT $l AS name_norm_l, $r AS name_norm_r)", {"l": left, "r": right}).fetchone()
    assert held is (similarity >= threshold)
