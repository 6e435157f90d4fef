"""Phone number and website normalisation.

Both reduce a free-text contact field to the one token two records of the
same business would share: a phone number (UK national digits, another
country's number with its code, never a UK number made up from a foreign one),
or a registrable web domain.
"""

import polars as pl

from dedup.missing import present_expr
from dedup.normalise._text import staged

# The first run of digits and the separators people type inside a number:
# "Tel: 01872 123456 / 07700 900123" gives "01872 123456"; an extension ("x123", "ext. 12")
# is not read, as its letters end the run.
_FIRST_NUMBER = r"(\+?\s*\(?\d[\d\s\-().]*\d)"
# The same, with a slash between two digits read as a separator ("310/246-1501",
# "0161/234 5678"); tried first, and used when it gives a number.
_FIRST_NUMBER_SLASHED = r"(\+?\s*\(?\d(?:[\d\s\-().]|\d/\d)*\d)"

# "+44 (0)1872 ...", "+353 (0)1 ...": the bracketed trunk zero is dropped before reading.
_TRUNK_ZERO = r"\(0\)"

# UK national numbers: a 0, a non-zero digit, then 8 or 9 more digits.
_NATIONAL = r"^0[1-9]\d{8,9}$"

# Any other number with its country code: "+", a code not starting 0, 7 to 15 digits in all
# (E.164 allows at most 15).
_INTERNATIONAL = r"^\+[1-9]\d{6,14}$"

# "00", then a country code and a number: at least ten digits after the "00" (a UK number has
# ten or eleven in all, so "0080 297 0487" is a mistyped 0800 number, not a call abroad).
_DIALLED_ABROAD = r"^00\d{10,}$"

# A North American number (NANP): area code and exchange each start 2-9. Ten such digits with
# no prefix are kept as typed ("310-246-1501" gives "3102461501"), never read as a UK number.
_NORTH_AMERICAN = r"^[2-9]\d{2}[2-9]\d{6}$"

# Ten digits starting like a geographic (1, 2), 03 or mobile (7) number is
# an eleven digit number typed without its trunk zero ("1872 123456"), unless it
# looks North American (above).
_MISSING_TRUNK_ZERO = r"^[1-37]\d{9}$"

# "44" followed by a full national number without its 0, typed without "+".
_BARE_COUNTRY_CODE = r"^44\d{9,10}$"

# "1" and a North American number: the NANP's own way of dialling it ("1-800-...").
_NORTH_AMERICAN_WITH_ONE = r"^1[2-9]\d{2}[2-9]\d{6}$"

# Second-level domains under .uk where the registrable domain has 3 labels.
UK_SECOND_LEVEL: frozenset[str] = frozenset(
    {
        "co.uk",
        "org.uk",
        "ltd.uk",
        "plc.uk",
        "me.uk",
        "net.uk",
        "gov.uk",
        "ac.uk",
        "sch.uk",
        "nhs.uk",
        "police.uk",
    }
)

# "http://", "https:/" and "http//" typos, "ftp://", protocol-relative "//".
_SCHEME = r"^(?:https?:?/+|[a-z][a-z0-9+.\-]*://+|//+)"

# Dot-separated labels of letters, digits and inner hyphens, ending in an
# alphabetic (or punycode) top-level label: rejects IPs, "n/a", "localhost".
_HOSTNAME = r"^(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?:[a-z]{2,}|xn--[a-z0-9\-]+)$"


def _read_number(run: pl.Expr) -> pl.Expr:
    """Rewrite a typed number as a UK national number, an international one, or bare digits.

    Args:
        run: The number as typed (a run of digits and separators, may start with "+").

    Returns:
        National digits starting with 0 for a UK number (from "+44 ...", "0044 ...",
        "44 ..." or a 10-digit number missing its trunk zero); "+" and the digits for any other
        country's number typed with its code ("+1 ...", "001 ...", "1-310-..."); ten North
        American digits without a prefix as they are; null for anything else.
    """
    digits, with_code, read = pl.field("digits"), pl.field("with_code"), pl.field("read")
    # The digits after the international prefix: "+" or "00" (or a bare "44 ..." UK number, or
    # "1" and a North American number).
    with_code_expr = (
        pl.when(pl.field("run").str.starts_with("+")).then(digits)
        .when(digits.str.contains(_DIALLED_ABROAD)).then(digits.str.slice(2))
        .when(digits.str.contains(_BARE_COUNTRY_CODE) | digits.str.contains(_NORTH_AMERICAN_WITH_ONE))
        .then(digits)
    )
    # A UK number's digits after its country code; a redundant trunk 0 ("+44 0 1872") is
    # dropped so it is not doubled.
    uk = pl.when(with_code.str.starts_with("44")).then("0" + with_code.str.slice(2).str.strip_prefix("0"))
    read_expr = (
        pl.when(with_code.is_not_null())
        .then(pl.coalesce(uk, "+" + with_code))
        .when(digits.str.contains(_MISSING_TRUNK_ZERO) & ~digits.str.contains(_NORTH_AMERICAN))
        .then("0" + digits)
        .otherwise(digits)
    )
    valid = read.str.contains(_NATIONAL) | read.str.contains(_INTERNATIONAL) | read.str.contains(_NORTH_AMERICAN)
    return staged(
        {"run": run},
        {"digits": pl.field("run").str.replace_all(r"\D", "")},
        {"with_code": with_code_expr},
        {"read": read_expr},
        {"phone": pl.when(valid).then(read)},
        output=("phone",),
    ).struct.field("phone")


def phone_expr(col: pl.Expr) -> pl.Expr:
    """Normalise a phone number: UK national digits, or another country's number in full.

    "+44 (0)1872 123456", "0044 1872 123456", "+441872123456", "(01872) 123456",
    "01872-123456" and "01872 123456 ext. 22" all give "01872123456"; "+1 (310) 246-1501",
    "001 310 246 1501" and "1-310-246-1501" give "+13102461501"; "310/246-1501" and
    "310.246.1501" give "3102461501" (ten North American digits are kept as they are, never
    made a UK number). Only the first number in the field is read ("01872 123456 / 07700
    900123"); a slash between digits is read as a separator when that gives a number.

    Args:
        col: Raw phone (String) expression.

    Returns:
        String expression: 10 or 11 digits starting with 0 (UK), "+" and 7 to 15 digits
        (another country), or 10 North American digits; null when the value is missing
        (`dedup.missing`) or none of those.
    """
    text, slashed = pl.field("text"), pl.field("slashed")
    # Read without the slash only where it matters (a slash between digits gave no number):
    # the other rows go in as null, which costs nothing.
    retry = pl.when(slashed.is_null() & text.str.contains(r"\d/\d")).then(text)
    return staged(
        {"text": present_expr(col).str.replace_all(_TRUNK_ZERO, "")},
        {"slashed": _read_number(text.str.extract(_FIRST_NUMBER_SLASHED))},
        {"phone": pl.coalesce(slashed, _read_number(retry.str.extract(_FIRST_NUMBER)))},
        output=("phone",),
    ).struct.field("phone")


def _host(col: pl.Expr) -> pl.Expr:
    """Extract the host name from a URL, bare domain or e-mail address.

    The path is cut before looking for "@", so "medium.com/@shop" keeps
    "medium.com" while "mailto:jo@shop.co.uk" gives "shop.co.uk".

    Args:
        col: Raw website (String) expression.

    Returns:
        Lower-case host expression (possibly garbage; validate it).
    """
    return (
        col.str.to_lowercase()
        .str.strip_chars()
        .str.replace(_SCHEME, "")
        .str.extract(r"^([^/?#]*)")
        .str.replace(r"^.*@", "")
        .str.extract(r"^([^\s,;<>:]*)")
        .str.strip_chars(".")
    )


# Domains that many unrelated traders share (free mail, social media, marketplaces, site
# builders): a match on one says nothing about the business, so they count as no website.
SHARED_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "outlook.com", "live.co.uk",
    "live.com", "yahoo.com", "yahoo.co.uk", "aol.com", "btinternet.com", "sky.com", "icloud.com",
    "me.com", "msn.com", "talktalk.net", "virginmedia.com", "ntlworld.com", "protonmail.com",
    "facebook.com", "instagram.com", "twitter.com", "x.com", "linkedin.com", "tiktok.com",
    "youtube.com", "ebay.co.uk", "ebay.com", "amazon.co.uk", "amazon.com", "etsy.com",
    "wixsite.com", "wordpress.com", "blogspot.com", "yell.com", "checkatrade.com",
    "google.com", "business.site", "sites.google.com",
})


def website_expr(col: pl.Expr) -> pl.Expr:
    """Reduce a website or e-mail address to its registrable domain.

    The registrable domain is the last three labels under a UK second-level
    domain ("www.x.co.uk/contact" -> "x.co.uk") and the last two otherwise
    ("shop.example.com" -> "example.com"); "www." goes with the other
    subdomains.

    Args:
        col: Raw website (String) expression.

    Returns:
        String expression of the domain, null when the value is missing
        (`dedup.missing`), no valid host name is found, the host is itself a second-level domain ("co.uk"), or the
        domain is one many traders share (SHARED_DOMAINS: gmail.com, facebook.com, ...).
    """
    host, labels = pl.field("host"), pl.field("labels")
    last_two = labels.list.slice(-2).list.join(".")
    return staged(
        {"host": _host(present_expr(col))},
        {"labels": pl.when(host.str.contains(_HOSTNAME)).then(host.str.split("."))},
        {
            "domain": pl.when(~last_two.is_in(list(UK_SECOND_LEVEL)))
            .then(last_two)
            .when(labels.list.len() >= 3)
            .then(labels.list.slice(-3).list.join("."))
        },
        output=("domain",),
    ).struct.field("domain").pipe(lambda d: pl.when(~d.is_in(list(SHARED_DOMAINS))).then(d))
