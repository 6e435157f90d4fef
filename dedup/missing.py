"""What "missing" means for a trader field: one definition, read by the normaliser and the merge.

Advisers who do not know a postcode, phone, website or address type something anyway: "N/A",
"TBC", "unknown", "-", "?", "0000". A value is **missing** when it is null, or when its letters
and digits, lower-cased (every other character dropped: spaces, punctuation, accents' combining
marks), are one of the placeholder words below or nothing but zeros (none at all included).
So "N/A", "n.a.", " N / A ", "(unknown)", "- -", "?" and "0000" are missing; "TR1 1AA",
"Unit 0" and "x-ray repairs" are not.

Two renderers of that one rule, which a test holds to the same answers:

- `present_expr` / `is_missing_expr` (polars): every field normaliser (postcode, address, phone,
  website) starts by nulling a missing value, so blocking and scoring, which read only the
  normalised columns, never see a placeholder: a missing value is a null key (it blocks nothing)
  and a `missing` level (it scores nothing).
- `missing_condition` (SQL, with `MISSING_SQL_PARAMS`: the word list and patterns go in as query
  parameters, never spliced): survivorship fills a survivor's field only when the survivor's
  value is missing and takes only a value that is not, so a placeholder never fills a survivor,
  and a survivor's own "N/A" counts as empty and takes a merged record's real value.

Why survivorship tests the raw value with this rule rather than asking "is the normalised field
null?": for postcodes the two are the same (the normaliser keeps an invalid postcode as text and
nulls only a missing one), but for phones and websites the normaliser also nulls values that are
present and merely useless for matching, such as a number too short to dial, "ring the shop" or a
facebook.com page. Those are what an adviser reads on the record, and a fill must never overwrite
a value, only supply one where there is none. (The address normaliser also applies this rule to
the address with its postcodes taken out, so "N/A, TR1 1AA" compares as no address; a merge keeps
it, since it is not empty.) Names are required and never filled, and are not read through this
rule.
"""

from __future__ import annotations

import polars as pl

#: Words advisers type for "not known", as typed; compared by their letters and digits only
#: (`PLACEHOLDER_KEYS`), so "n/a", "N.A." and "n a" are one entry.
PLACEHOLDERS: tuple[str, ...] = (
    "n/a", "n/k", "na", "nk", "none", "nil", "null", "unknown", "unk", "not known", "not given",
    "not applicable", "tbc", "tba", "tbd", "no postcode", "no address", "x",
)


def _key(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


#: The placeholder words reduced to what the rule compares: lower-case letters and digits.
PLACEHOLDER_KEYS: tuple[str, ...] = tuple(sorted({_key(word) for word in PLACEHOLDERS}))

#: Everything but letters and digits: dropped before comparing (the same in RE2 and Rust regex).
NOT_ALPHANUMERIC = r"[^\pL\pN]+"
#: What is left of a value that carries nothing: no character at all, or only zeros.
NOTHING_BUT_ZEROS = r"0*"


def _key_expr(col: pl.Expr) -> pl.Expr:
    return col.str.to_lowercase().str.replace_all(NOT_ALPHANUMERIC, "")


def is_missing_expr(col: pl.Expr) -> pl.Expr:
    """True where the string expression `col` is missing (null included)."""
    key = _key_expr(col)
    return (col.is_null() | key.is_in(list(PLACEHOLDER_KEYS))
            | key.str.contains(f"^{NOTHING_BUT_ZEROS}$"))


def present_expr(col: pl.Expr) -> pl.Expr:
    """`col` where it is present, null where it is missing."""
    return pl.when(~is_missing_expr(col)).then(col)


#: The parameters `missing_condition` reads; add them to the statement's named parameters.
MISSING_SQL_PARAMS: dict[str, object] = {
    "missing_words": list(PLACEHOLDER_KEYS),
    "missing_strip": NOT_ALPHANUMERIC,
    "missing_zeros": NOTHING_BUT_ZEROS,
}


def missing_condition(expr: str) -> str:
    """A SQL predicate, true where the text expression `expr` is missing (NULL included).

    The statement must bind `MISSING_SQL_PARAMS` as named parameters ($missing_words, ...).
    """
    key = f"regexp_replace(lower({expr}), $missing_strip, '', 'g')"
    return (f"({expr} IS NULL OR list_contains($missing_words, {key}) "
            f"OR regexp_full_match({key}, $missing_zeros))")
