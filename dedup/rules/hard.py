"""Hard rules: named facts about a pair that override its score.

Analysts switch them on by name in a rule file; the conditions themselves live here, so a rule
file can never carry raw SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Two valid postcodes more than one typed character apart (Damerau-Levenshtein distance above 1),
#: with the distance computed only where Jaro-Winkler cannot decide: valid postcodes one edit
#: apart rate 0.84 or more (a test checks this on generated pairs), and DuckDB's
#: damerau_levenshtein costs ten times its jaro_winkler_similarity.
POSTCODES_APART = ("CASE WHEN jaro_winkler_similarity(postcode_l, postcode_r) < 0.8 THEN TRUE "
                   "ELSE damerau_levenshtein(postcode_l, postcode_r) > 1 END")

#: A website on records in more than this many postcode sectors is a brand's (a chain's
#: head-office site): sharing it says which brand, not which branch, so it corroborates nothing.
#: The default rule set's website level uses the same figure (`max_sectors = 3`).
BRAND_SECTORS = 3
SAME_LOCAL_WEBSITE = (f"(website_domain_l = website_domain_r "
                      f"AND coalesce(sectors_website_domain_l, 0) <= {BRAND_SECTORS})")


def _own_word(side: str) -> str:
    """SQL for the first word of one side's name (`side` 'l' or 'r') that the other name lacks,
    from the per-record word lists (`tokens_name_norm_l` / `_r`, which scoring adds for
    any hard rule that reads them)."""
    other = "r" if side == "l" else "l"
    return (f"list_filter(tokens_name_norm_{side}, "
            f"lambda w: NOT list_contains(tokens_name_norm_{other}, w))[1]")


#: Two names alike but for one word each, where the two words differ by more than a slip (a
#: Damerau-Levenshtein distance above 1 and a Jaro-Winkler similarity below 0.8): "James & Sons
#: Kitchens" and "James & Sons Plastering", "Greenway Beds" and "Greenway Pets". Jaro-Winkler on
#: the whole name rates such pairs 0.92 or more, as its bonus for a shared beginning outweighs the
#: word that tells the businesses apart; the rule looks only at such names (first words that
#: sound alike, `name_key`, and Jaro-Winkler 0.88 or more, the lowest the default name levels
#: credit), and the cheap tests come first, so CASE works out the differing words for a few
#: pairs in a hundred.
ANOTHER_WORD = (
    "CASE WHEN name_norm_l = name_norm_r "
    "OR name_key_l <> name_key_r "
    "OR len(tokens_name_norm_l) <> len(tokens_name_norm_r) "
    "OR jaro_winkler_similarity(name_norm_l, name_norm_r) < 0.88 "
    "OR len(list_intersect(tokens_name_norm_l, tokens_name_norm_r)) <> len(tokens_name_norm_l) - 1 "
    f"THEN FALSE ELSE list_transform([[{_own_word('l')}, {_own_word('r')}]], lambda w: "
    f"jaro_winkler_similarity(w[1], w[2]) < 0.8 AND damerau_levenshtein(w[1], w[2]) > 1)[1] END")

#: name -> (SQL condition over the pair's _l/_r columns, what it means).
HARD_RULE_CONDITIONS = {
    "different_unit": (
        "address_unit_l IS NOT NULL AND address_unit_r IS NOT NULL AND address_unit_l <> address_unit_r",
        "both addresses name a unit or flat, and they differ",
    ),
    "different_house_number": (
        "address_number_l IS NOT NULL AND address_number_r IS NOT NULL "
        "AND address_number_l <> address_number_r",
        "both addresses have a house or building number, and they differ",
    ),
    "different_postcode_district": (
        "postcode_district_l IS NOT NULL AND postcode_district_r IS NOT NULL "
        f"AND postcode_district_l <> postcode_district_r AND {POSTCODES_APART}",
        "both postcodes are valid, lie in different districts and are more than one typed character "
        "apart (chain branches; TR1 1AA and TR11 1AA are one typo apart)",
    ),
    "name_only": (
        "NOT coalesce(postcode_l = postcode_r OR postal_code_other_l = postal_code_other_r "
        "OR jaro_winkler_similarity(address_street_l, address_street_r) >= 0.9 "
        f"OR phone_l = phone_r OR {SAME_LOCAL_WEBSITE}, FALSE)",
        "nothing but the name corroborates the pair: no full postcode (or other country's postal "
        "code), street (up to a typo), phone "
        "or website in common (a similar postcode, the same district or town does not count, nor "
        f"does a brand's website, one found in more than {BRAND_SECTORS} postcode sectors)",
    ),
    "different_street": (
        "address_street_l IS NOT NULL AND address_street_r IS NOT NULL "
        "AND jaro_winkler_similarity(address_street_l, address_street_r) < 0.9",
        "both addresses name a street, and they differ by more than a typo (a chain's branches)",
    ),
    "different_postcode": (
        f"postcode_sector_l IS NOT NULL AND postcode_sector_r IS NOT NULL AND {POSTCODES_APART}",
        "both postcodes are valid, and they differ by more than one typed character (a move, or a "
        "chain's branches)",
    ),
    "different_name_word": (
        ANOTHER_WORD,
        "the names are the same but for one word each, and those words differ by more than a "
        "slip of the keyboard (James & Sons Kitchens, James & Sons Plastering: a family's two "
        "trades, or two businesses named after one place)",
    ),
    "both_whitelisted": (
        "whitelisted_l AND whitelisted_r",
        "both records are whitelisted: each is canonical",
    ),
}

EFFECTS = {
    "never_match": "the pair is neither merged nor proposed",
    "review_only": "the pair is never merged automatically; at most it is proposed for review",
}


def _columns_read(pattern: str, condition: str) -> tuple[str, ...]:
    """The columns named by `pattern`'s group in `condition`, each once, in order."""
    return tuple(dict.fromkeys(re.findall(pattern, condition)))


@dataclass(frozen=True)
class HardRule:
    """A named condition and what it does to a pair.

    Args:
        name: a key of HARD_RULE_CONDITIONS.
        effect: a key of EFFECTS.
    """

    name: str
    effect: str

    def __post_init__(self):
        if self.name not in HARD_RULE_CONDITIONS:
            raise ValueError(f"unknown hard rule {self.name!r} (one of {', '.join(HARD_RULE_CONDITIONS)})")
        if self.effect not in EFFECTS:
            raise ValueError(f"unknown effect {self.effect!r} (one of {', '.join(EFFECTS)})")

    def condition_expr(self) -> str:
        return f"coalesce(({HARD_RULE_CONDITIONS[self.name][0]}), FALSE)"

    @property
    def token_columns(self) -> tuple[str, ...]:
        """Columns whose per-record word lists (`tokens_<column>_l` / `_r`) the condition reads."""
        return _columns_read(r"tokens_(\w+?)_[lr]\b", HARD_RULE_CONDITIONS[self.name][0])

    @property
    def sector_columns(self) -> tuple[str, ...]:
        """Columns whose values' spread over postcode sectors (`sectors_<column>_l`) the
        condition reads."""
        return _columns_read(r"sectors_(\w+?)_l\b", HARD_RULE_CONDITIONS[self.name][0])

    @property
    def description(self) -> str:
        return HARD_RULE_CONDITIONS[self.name][1]
