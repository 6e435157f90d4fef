"""dedup.normalise.names: literal cases, the phonetic key, the legal-form vocabulary, properties."""

import pytest
from hypothesis import example, given

from dedup.normalise import (
    name_expr,
)
from dedup.normalise.names import LEGAL_FORMS, NAME_ABBREVIATIONS, typing_slips
from tests.normalise.helpers import (
    IDEMPOTENCE_EXAMPLES,
    PROPERTY_SETTINGS,
    VALUES,
    _idempotent,
    apply,
    apply_one,
)

NAME_CASES = [
    # raw, name_norm, legal_form, proprietor
    ("MABEL'S BOUTIQUE LTD.", "mabels boutique", "ltd", None),
    ("Mabels Boutique Limited", "mabels boutique", "ltd", None),
    ("Mabel’s Boutique", "mabels boutique", None, None),
    ("The Bright Spark Co.", "bright spark", "co", None),
    ("Bright Spark Company", "bright spark", "co", None),
    ("Smith & Sons", "smith and sons", None, None),
    ("Smith and Sons", "smith and sons", None, None),
    ("Smith + Sons", "smith and sons", None, None),
    ("Smith & Co", "smith", "co", None),
    ("Smith & Co Ltd", "smith", "ltd", None),
    ("Smith and Co. Limited", "smith", "ltd", None),
    ("ABC Limited Liability Partnership", "abc", "llp", None),
    ("Jones Wealth LLP", "jones wealth", "llp", None),
    ("XYZ Public Limited Company", "xyz", "plc", None),
    ("Tesco PLC", "tesco", "plc", None),
    ("Kernow Food Bank CIC", "kernow food bank", "cic", None),
    ("Acme Inc.", "acme", "inc", None),
    ("Smith Roofing (UK) Ltd", "smith roofing uk", "ltd", None),
    ("Café Élan", "cafe elan", None, None),
    ("  the   OLD  forge  ", "old forge", None, None),
    ("John Smith t/a Smith Roofing", "smith roofing", None, "john smith"),
    ("John Smith T/A Smith Roofing", "smith roofing", None, "john smith"),
    ("John Smith trading as Smith Roofing", "smith roofing", None, "john smith"),
    ("John Smith Trading As: Smith Roofing Ltd", "smith roofing", "ltd", "john smith"),
    ("Smith Roofing (John Smith)", "smith roofing", None, "john smith"),
    ("Smith Roofing (Mr J. Smith)", "smith roofing", None, "mr j smith"),
    ("Smith Roofing (Truro)", "smith roofing truro", None, None),
    ("John Smith t/a", "john smith", None, None),
    ("Art/Antiques", "art antiques", None, None),
    ("Smith Bros Eng Svcs", "smith brothers engineering services", None, None),
    ("Jones Elec Servs", "jones electrical services", None, None),
    ("Kernow Mtrs", "kernow motors", None, None),
    ("Smith Intl Dept", "smith international department", None, None),
    ("UK Windows", "uk windows", None, None),
    ("Ltd", "ltd", None, None),
    # "Limited" and "Ltd" mistyped: one slip of the keyboard
    ("Exeter Roofing Limitd", "exeter roofing", "ltd", None),
    ("London Roofing Ldt", "london roofing", "ltd", None),
    ("Castle Travel Linited", "castle travel", "ltd", None),
    ("Pauls Bakery Lltd", "pauls bakery", "ltd", None),
    ("Bright LED", "bright led", None, None),        # a word one slip from "ltd" is kept
    ("Network LTE", "network lte", None, None),
    ("", None, None, None),
    ("   ", None, None, None),
    (None, None, None, None),
]


@pytest.mark.parametrize(("raw", "name_norm", "legal_form", "proprietor"), NAME_CASES)
def test_name(raw, name_norm, legal_form, proprietor):
    out = apply_one(name_expr, raw)
    assert (out["name_norm"], out["legal_form"], out["proprietor"]) == (
        name_norm,
        legal_form,
        proprietor,
    )


@pytest.mark.parametrize(
    ("raw", "tokens_sorted"),
    [
        ("Spark Bright Ltd", "bright spark"),
        ("The Bright Spark", "bright spark"),
        (None, None),
    ],
)
def test_name_tokens_sorted(raw, tokens_sorted):
    assert apply_one(name_expr, raw)["name_tokens_sorted"] == tokens_sorted


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Smith Roofing", "Smyth Roofing"),
        ("Philips Electrical", "Phillips Electrical"),
        ("Clarke Kitchens", "Clark Kitchens"),
        ("Kwik Fit", "Kwick Fit"),
        ("The Smith Partnership", "Smith & Co"),
        ("Mr Fix It", "Fix It"),
        ("1st Class Plumbing", "Class Plumbing"),
        ("Zenith Motors", "Zenyth Motors"),
    ],
)
def test_name_key_agrees_on_spelling_variants(one, other):
    keys = [row["name_key"] for row in apply(name_expr, [one, other])]
    assert keys[0] is not None
    assert keys[0] == keys[1]


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Smith", "s530"),
        ("Phillips", "p412"),
        ("Quick", "q200"),
        ("Kwik", "k200"),  # Soundex keeps the first letter as written
        ("Mabel's", "m142"),
        ("The", "t000"),
        ("123", None),
    ],
)
def test_name_key_literal(raw, key):
    """Soundex, by jellyfish (the normaliser's choice: see benchmarks/phonetic_key.py)."""
    assert apply_one(name_expr, raw)["name_key"] == key


def test_name_key_is_computed_per_distinct_word():
    """Many rows, few distinct first words: every row gets its word's key."""
    names = ["Smith Roofing", "Smyth Ltd", "Jones & Co", None, "Smith Roofing"] * 2000
    keys = [row["name_key"] for row in apply(name_expr, names)]
    assert keys[:5] == ["s530", "s530", "j520", None, "s530"] and keys[5:10] == keys[:5]


def test_name_key_differs_for_different_names():
    keys = [row["name_key"] for row in apply(name_expr, ["Smith", "Jones", "Brown"])]
    assert len(set(keys)) == 3


def test_legal_forms_are_canonical():
    assert set(LEGAL_FORMS.values()) == {"ltd", "llp", "plc", "co", "cic", "inc"}


def test_typing_slips_are_the_four_single_mistakes():
    slips = typing_slips("ltd")
    assert {"td", "lt", "ld"} <= slips                 # a letter left out
    assert {"tld", "ldt"} <= slips                     # two swapped
    assert {"lltd", "lttd", "ltdd"} <= slips           # one doubled
    assert {"ktd", "lrd", "lts"} <= slips              # a key next to it
    assert "ltd" not in slips and "lxd" not in slips   # x is not next to t
    assert "td" not in typing_slips("ltd", deletions=False)


@PROPERTY_SETTINGS
@given(VALUES)
@example(IDEMPOTENCE_EXAMPLES)
def test_name_norm_is_idempotent(values):
    _idempotent(lambda col: name_expr(col).struct.field("name_norm"), values)

def test_name_abbreviation_targets_are_not_sources():
    assert not set(NAME_ABBREVIATIONS.values()) & set(NAME_ABBREVIATIONS)
