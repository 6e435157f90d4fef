"""Shared building blocks for the field normalisers.

Everything here returns polars expressions, so the work runs inside the
polars engine (vectorised, multi-threaded) and never per row in Python.
"""

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import polars as pl

# Any Unicode combining mark, e.g. the accent of a decomposed "é" (e + U+0301)
# typed or pasted in NFD form.
_COMBINING_MARKS = r"\p{M}+"

# Letters that no Unicode decomposition turns into ASCII.
_EXTRA_FOLDS = {
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "ß": "ss",
    "ł": "l",
    "đ": "d",
    "þ": "th",
}

#: The letters next to each one on a UK keyboard: the keys a typist hits instead. The normaliser
#: reads it for slips in legal forms (`dedup synth` has its own model of slips, deliberately).
KEYBOARD_NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "adw", "d": "sfe", "f": "dgr", "g": "fht", "h": "gjy",
    "j": "hku", "k": "jli", "l": "ko", "z": "xa", "x": "zcs", "c": "xvd", "v": "cbf", "b": "vng",
    "n": "bmh", "m": "nj",
}  # fmt: skip


def _accent_folds() -> dict[str, str]:
    """Map each lower-case accented Latin letter to its ASCII letters.

    Built once from Unicode decompositions (Latin-1 Supplement, Latin
    Extended-A/B and Additional, so Welsh "ŵ"/"ẁ" too, and the "ﬁ"
    ligatures). A table lookup in one ``replace_many`` pass is about six times
    faster than ``str.normalize("NFKD")`` and leaves ASCII text alone.

    Returns:
        Accented letter -> ASCII replacement.
    """
    code_points = [
        *range(0x00C0, 0x0250),
        *range(0x1E00, 0x1F00),
        *range(0xFB00, 0xFB07),
    ]
    folds = {}
    for char in map(chr, code_points):
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if char == char.lower() and base != char and base.isascii():
            folds[char] = base
    return folds | _EXTRA_FOLDS


ACCENT_FOLDS: dict[str, str] = _accent_folds()

# Symbols spelled several ways -> one spelling. Apostrophes are deleted
# rather than spaced so "Mabel's" and "Mabels" agree; "&amp;" comes before
# "&" so the longer spelling wins.
SYMBOL_FOLDS: dict[str, str] = {
    "&amp;": " and ",
    "&": " and ",
    "+": " and ",
    "'": "",
    "\u2019": "",  # right single quotation mark
    "\u2018": "",  # left single quotation mark
    "`": "",
    "\u02bc": "",  # modifier letter apostrophe
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
}
_FOLDS = ACCENT_FOLDS | SYMBOL_FOLDS

def staged(*stages: Mapping[str, pl.Expr], output: Sequence[str]) -> pl.Expr:
    """Evaluate named expressions in stages inside one struct expression.

    Polars' common-subexpression elimination only works one level deep, so a
    normaliser that reuses an intermediate in several places would
    recompute it (and, nested, exponentially often). Here each stage is
    added with ``struct.with_fields``: later stages read earlier results with
    ``pl.field(name)`` and every result is computed exactly once.

    Args:
        *stages: Mappings of field name -> expression. The first stage reads
            ordinary columns; later ones may also use ``pl.field``.
        output: Names of the fields to return, in order.

    Returns:
        A struct expression holding just the ``output`` fields.
    """
    expr = pl.struct(**stages[0])
    for stage in stages[1:]:
        expr = expr.struct.with_fields(**stage)
    selected = pl.struct(*(pl.field(name) for name in output))
    return expr.struct.with_fields(_output=selected).struct.field("_output")


def fold(col: pl.Expr) -> pl.Expr:
    """Lower-case a string, strip accents and unify symbols.

    "Café" -> "cafe", "Mabel’s" -> "mabels", "A&B" -> "a and b", "–" -> "-".
    Case is folded first so the tables only need lower-case letters; one
    ``replace_many`` pass applies both tables; combining marks are removed
    last. Letters outside the accent table are kept as they are.

    Args:
        col: String expression.

    Returns:
        The folded string expression.
    """
    return (
        col.str.to_lowercase()
        .str.replace_many(_FOLDS, leftmost=True)
        .str.replace_all(_COMBINING_MARKS, "")
    )


def squash_spaces(col: pl.Expr) -> pl.Expr:
    """Collapse runs of whitespace to one space and trim both ends.

    The pattern only matches whitespace that is not already a single space,
    so tidy text (the common case) costs a scan and no rewriting.

    Args:
        col: String expression.

    Returns:
        The string expression with tidy single spaces.
    """
    return col.str.replace_all(r"\s{2,}|[^\S ]", " ").str.strip_chars(" ")


def null_if_empty(col: pl.Expr) -> pl.Expr:
    """Turn empty strings into null so "nothing" has one representation.

    Args:
        col: String expression.

    Returns:
        The expression, with "" replaced by null.
    """
    # ``replace`` references ``col`` once; a when/then would copy the whole
    # expression tree, and nested copies grow exponentially.
    return col.replace("", None)


def map_tokens(col: pl.Expr, mapping: Mapping[str, str]) -> pl.Expr:
    """Replace whole space-separated tokens using a lookup table.

    A single Aho-Corasick pass (``replace_many``) does the whole table. Each
    pattern is the token wrapped in spaces, and every space in the text is
    doubled first, so neighbouring tokens never share the space a match
    needs ("bros bros" -> both replaced). The doubled spaces are then halved
    with a literal replace, much cheaper than a regex.

    Args:
        col: String expression of tokens separated by single spaces, with no
            leading or trailing space.
        mapping: Token -> non-empty replacement. Replacements must not
            themselves be keys, otherwise the result would not be idempotent.

    Returns:
        The string expression with tokens replaced, still single-spaced.
    """
    padded = pl.lit(" ") + col.str.replace_all(" ", "  ", literal=True) + pl.lit(" ")
    replaced = padded.str.replace_many(
        {f" {old} ": f" {new} " for old, new in mapping.items()}
    )
    return replaced.str.replace_all("  ", " ", literal=True).str.strip_chars(" ")


def word_alternation(words: Iterable[str]) -> str:
    """Build a regex alternation of plain words or phrases, longest first.

    Longest-first matters for phrases sharing a prefix ("limited liability
    partnership" must be tried before "limited"). The vocabularies are plain
    lower-case words and spaces, so nothing needs escaping.

    Args:
        words: The words or phrases (iterating a mapping gives its keys).

    Returns:
        A non-capturing group such as ``(?:limited|ltd)``.
    """
    ordered = sorted(words, key=lambda word: (-len(word), word))
    return "(?:" + "|".join(ordered) + ")"
