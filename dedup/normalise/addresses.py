"""Trader address normalisation.

An address is comma-separated lines (newlines and ";" count as commas).
``address_expr`` normalises the text and reads off the parts that decide a
match: the house number, the unit or flat (two units in one building are two
traders), the street and the town.
"""

import polars as pl

from dedup.missing import present_expr
from dedup.normalise._text import (
    fold,
    map_tokens,
    squash_spaces,
    staged,
    word_alternation,
)

# Street-type and other address words -> one canonical abbreviation. No value
# is also a key, so normalising twice changes nothing. "saint" and "street"
# both become "st", as advisers write either as "St".
ADDRESS_ABBREVIATIONS: dict[str, str] = {
    "road": "rd",
    "street": "st",
    "str": "st",
    "saint": "st",
    "avenue": "ave",
    "av": "ave",
    "lane": "ln",
    "close": "cl",
    "drive": "dr",
    "court": "ct",
    "crescent": "cres",
    "cresc": "cres",
    "place": "pl",
    "gardens": "gdns",
    "gdn": "gdns",
    "terrace": "ter",
    "terr": "ter",
    "tce": "ter",
    "square": "sq",
    "grove": "gr",
    "parade": "pde",
    "green": "grn",
    "boulevard": "blvd",
    "industrial": "ind",
    "estate": "est",
    "business": "bus",
    "trading": "trad",
    "park": "pk",
    "centre": "ctr",
    "center": "ctr",
    "apartment": "flat",
    "apartments": "flat",
    "apt": "flat",
    "flats": "flat",
    "units": "unit",
}

# Canonical words that mark a line as a street (or an estate or park that
# stands in for one).
STREET_WORDS: frozenset[str] = frozenset(
    {
        "rd", "st", "ave", "ln", "cl", "dr", "ct", "cres", "pl", "gdns",
        "ter", "sq", "gr", "pde", "grn", "blvd", "est", "pk", "way", "mews",
        "row", "walk", "hill", "rise", "vale", "wharf", "quay", "yard",
    }
)  # fmt: skip

# Designators of a separately let part of a building (canonical spellings;
# "apartment", "apt", "units" were mapped above).
UNIT_DESIGNATORS: frozenset[str] = frozenset(
    {"unit", "flat", "suite", "studio", "office", "room", "shop", "stall", "kiosk"}
)

# Lines that name an area larger than a town: counties (with common
# abbreviations) and the countries of the UK. Cities that share a county's
# name (Durham, Bristol) are deliberately absent.
REGIONS: frozenset[str] = frozenset(
    {
        # England
        "avon", "bedfordshire", "beds", "berkshire", "berks",
        "buckinghamshire", "bucks", "cambridgeshire", "cambs", "cheshire",
        "cleveland", "cornwall", "county durham", "co durham", "cumbria",
        "derbyshire", "devon", "dorset", "east riding of yorkshire",
        "east sussex", "east yorkshire", "essex", "gloucestershire", "glos",
        "greater london", "greater manchester", "hampshire", "hants",
        "herefordshire", "hertfordshire", "herts", "humberside",
        "isle of wight", "kent", "lancashire", "lancs", "leicestershire",
        "leics", "lincolnshire", "lincs", "merseyside", "middlesex",
        "norfolk", "north yorkshire", "northamptonshire", "northants",
        "northumberland", "nottinghamshire", "notts", "oxfordshire", "oxon",
        "rutland", "shropshire", "somerset", "south yorkshire",
        "staffordshire", "staffs", "suffolk", "surrey", "tyne and wear",
        "warwickshire", "west midlands", "west sussex", "west yorkshire",
        "wiltshire", "wilts", "worcestershire", "worcs", "yorkshire",
        # Wales
        "anglesey", "carmarthenshire", "ceredigion", "clwyd", "conwy",
        "denbighshire", "dyfed", "flintshire", "glamorgan", "gwent",
        "gwynedd", "mid glamorgan", "monmouthshire", "pembrokeshire",
        "powys", "south glamorgan", "vale of glamorgan", "west glamorgan",
        # Scotland
        "aberdeenshire", "angus", "argyll", "argyll and bute", "ayrshire",
        "borders", "dumfries and galloway", "dumfriesshire", "east ayrshire",
        "east lothian", "fife", "highland", "lanarkshire", "lothian",
        "midlothian", "moray", "north ayrshire", "north lanarkshire",
        "perth and kinross", "perthshire", "renfrewshire", "scottish borders",
        "south ayrshire", "south lanarkshire", "stirlingshire",
        "west lothian",
        # Northern Ireland
        "antrim", "armagh", "co antrim", "co armagh", "co down",
        "co fermanagh", "co tyrone", "county antrim", "county armagh",
        "county down", "county fermanagh", "county tyrone", "fermanagh",
        "tyrone",
        # Countries
        "uk", "united kingdom", "gb", "great britain", "england",
        "scotland", "wales", "northern ireland",
    }
)  # fmt: skip

# One or more postcodes at the end of a line ("truro tr1 1au ,"): the
# postcode has its own field, and records differ in whether they repeat it.
_LINE_END_POSTCODES = (
    r"(?:\s*\b(?:[a-z]{1,2}\d[a-z\d]?\s*\d[abd-hjlnp-uw-z]{2}|gir\s*0aa))+"
    r"\s*(?P<end>,|$)"
)

# Punctuation spaced out as tokens, so one regex pass can tell a hyphen
# between digits ("10 - 13") from any other, and ``map_tokens`` sees commas.
# The spellings with spaces come first so the usual ", " does not leave a
# double space to collapse.
_SPACED_OUT = {
    " - ": " - ",
    " / ": " / ",
    ", ": " , ",
    "-": " - ",
    "/": " / ",
    ",": " , ",
}

# A house number: "5", "14a", "10-13", "1/2"; never "2nd".
_NUMBER = r"\d+[a-z]?(?:[-/]\d+[a-z]?)?"
# The number starting the first line that starts with one.
_FIRST_LINE_NUMBER = rf"(?:^|, )({_NUMBER})\b"
# The rest of the first line that starts with a number.
_AFTER_FIRST_NUMBER = rf"(?:^|, ){_NUMBER}\b ?([^,]+)"

# A unit at the start of a line, after an optional floor ("2nd floor flat 3",
# "unit no 3", "flat b", "unit 3-4"). Only line starts count, because
# "shop", "office" or "studio" inside a business name are not units.
_FLOOR = (
    r"(?:(?:ground|first|second|third|top|basement|lower|upper|\d+(?:st|nd|rd|th))"
    r" (?:floor )?)?"
)
_UNIT = (
    rf"(?P<lead>^|, ){_FLOOR}(?P<designator>{word_alternation(UNIT_DESIGNATORS)})"
    rf" (?:no |number )?(?P<id>{_NUMBER}|[a-z]\d*)\b ?"
)

# A street word after at least one other word: "st ives" is a town, not a
# street, but "high st" is a street.
_STREET_WORD = rf" {word_alternation(STREET_WORDS)}\b"
_STREET = rf"(?:{_NUMBER} )?([^,]*{_STREET_WORD}[^,]*)"
# The first line with a street word, without its house number...
_STREET_LINE = rf"(?:^|, ){_STREET}"
# ...and the same, but at or after the first numbered line: the lazy group
# skips the fewest whole lines.
_STREET_FROM_NUMBER = rf"(?:^|, ){_NUMBER}\b ?(?:[^,]*, )*?{_STREET}"


# A UK postcode at the end of a line, in any case and spacing (the address is read as typed),
# with what ends the line.
_POSTCODE_AT_LINE_END = r"(?i)\b(?:[a-z]{1,2}\d[a-z\d]?\s*\d[abd-hjlnp-uw-z]{2}|gir\s*0aa)\s*(?:[,\n\r;|]|$)"

# A street word followed by "st": "church st st ives" is Church Street in St Ives. The second "st"
# is joined to its next word while a one-line address is split, so it is not taken for a street.
_STREET_THEN_SAINT = rf"({_STREET_WORD}) st "
# The line up to its last street word (after another word), and what follows: the street ends there.
_STREET_THEN_MORE = rf"^(.*\S{_STREET_WORD})((?: .+)?)$"
# A county or country ending the last line, after its town: "truro cornwall".
_REGION_AT_END = rf"^(.+, [^,]+?) ({word_alternation(REGIONS)})$"


def address_postcode_expr(col: pl.Expr) -> pl.Expr:
    """The UK postcode an address ends a line with ("5 Tristan Rd, Truro TR1 1AU"), for a record
    whose postcode field is empty; the last one when there are several. ``address_expr`` takes
    the same postcodes out of the address.

    Args:
        col: Raw address (String) expression.

    Returns:
        The postcode as typed (``postcode_expr`` canonicalises it), or null.
    """
    return col.str.extract_all(_POSTCODE_AT_LINE_END).list.last().str.strip_chars(" \t,\n\r;|")


def _split_one_line(lines: pl.Expr) -> pl.Expr:
    """Split a whole address typed as one line into the lines it would have had.

    The street ends at its last street word, and what follows it is the town
    ("12 high st truro" -> "12 high st, truro"); a county or country after the town becomes a
    line of its own ("truro cornwall" -> "truro, cornwall"). An address with more than one line
    is left as it is, and one without a street word too.

    Args:
        lines: Normalised address lines joined by ", " (street words already abbreviated).

    Returns:
        The address lines.
    """
    # Only one-line addresses go through the regexes; the others go in as null (no cost).
    one_line = pl.when(~lines.str.contains(",", literal=True)).then(lines)
    split = (
        one_line.str.replace_all(_STREET_THEN_SAINT, "${1} st_")
        .str.replace(_STREET_THEN_MORE, "${1},${2}")
        .str.strip_suffix(",")
        .str.replace(_REGION_AT_END, "${1}, ${2}")
        .str.replace_all("_", " ", literal=True)
    )
    return pl.coalesce(split, lines)


def _clean_text(col: pl.Expr) -> pl.Expr:
    """Fold case and accents, normalise punctuation, drop postcodes.

    Hyphens and slashes survive only between digits ("10 - 13" -> "10-13",
    "1/2"); elsewhere they, like other punctuation, become spaces. Commas are
    spaced out as " , " so that ``map_tokens`` sees them as tokens, and
    whitespace is collapsed to single spaces as it requires.

    Args:
        col: Raw address expression.

    Returns:
        The cleaned string expression.
    """
    return (
        fold(col)
        .str.replace_all(r"[\n\r;|]", ",")
        .str.replace_all(r"[^\p{L}\p{N}\s,\-/]+", " ")
        .str.replace_many(_SPACED_OUT, leftmost=True)
        .pipe(squash_spaces)
        # Spacing every "-" and "/" out first makes this a fixed point:
        # normalising the result re-joins exactly the same digit pairs.
        .str.replace_all(r"(\d) ([-/]) (\d)", "${1}${2}${3}")
        .str.replace_all(r"(?:^| )(?:[-/] )*[-/](?: |$)", " ")
        .str.replace_all(_LINE_END_POSTCODES, " ${end}")
        .str.strip_chars(" ")
    )


def _town(rest: pl.Expr) -> pl.Expr:
    """Find the town, best effort.

    The town is the last line, after the first, that has no digit, no
    street word and is not a county or country. The first line is skipped
    because it holds the building, number, street or business name, never
    the town of a multi-line address; so a one-line address has no town.

    Args:
        rest: Normalised address expression with the unit removed.

    Returns:
        The town line, or null.
    """
    line = pl.element()
    return (
        rest.str.split(", ")
        .list.slice(1)
        .list.filter(
            (line != "")
            & ~line.str.contains(r"\d")
            & ~line.str.contains(_STREET_WORD)
            & ~line.is_in(list(REGIONS))
        )
        .list.last()
    )


def address_expr(col: pl.Expr) -> pl.Expr:
    """Normalise a trader address and extract its parts.

    The street is, from the first numbered line on (or anywhere when no line
    is numbered), the first line with a street word, else the rest of the
    numbered line ("10-13 westgate mall" -> "westgate mall"). See ``_town``
    for the town. A whole address typed as one line is split first
    (``_split_one_line``: "12 High St Truro Cornwall TR1 1AU" reads as
    "12 high st, truro, cornwall").

    Args:
        col: Raw address (String) expression, lines separated by commas.

    Returns:
        A struct expression with String fields ``address_norm`` (lower case,
        no accents, punctuation normalised, postcodes removed, street types
        abbreviated, non-empty lines joined by ", "), ``address_number``
        ("5", "14a", "10-13"), ``address_unit`` ("unit 3", "flat 2b"),
        ``address_street`` ("tristan rd") and ``address_town``; null when
        missing (`dedup.missing`: empty, "N/A", "unknown", ...), missing once its postcodes
        are taken out, or not found.
    """
    text, lines = pl.field("text"), pl.field("lines")
    address_norm, unit = pl.field("address_norm"), pl.field("unit")
    rest, number = pl.field("rest"), pl.field("address_number")
    return staged(
        {"text": _clean_text(present_expr(col))},
        {
            # Tokens are single-spaced, so empty lines are runs of " ,".
            "lines": map_tokens(text, ADDRESS_ABBREVIATIONS)
            .str.replace_all("(?: ,)+ ", ", ")
            .str.strip_chars(" ,")
        },
        # The same rule again once postcodes are out: "N/A, TR1 1AA" holds no address.
        {"split": _split_one_line(lines)},
        {"address_norm": present_expr(pl.field("split"))},
        {
            "unit": address_norm.str.extract_groups(_UNIT),
            "rest": address_norm.str.replace_all(_UNIT, "${lead}"),
        },
        {
            "address_unit": unit.struct.field("designator")
            + " "
            + unit.struct.field("id"),
            "address_number": rest.str.extract(_FIRST_LINE_NUMBER),
            "address_town": _town(rest),
        },
        {
            "address_street": pl.coalesce(
                rest.str.extract(_STREET_FROM_NUMBER),
                pl.when(number.is_null()).then(rest.str.extract(_STREET_LINE)),
                rest.str.extract(_AFTER_FIRST_NUMBER),
            )
        },
        output=(
            "address_norm",
            "address_number",
            "address_unit",
            "address_street",
            "address_town",
        ),
    )
