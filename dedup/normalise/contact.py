"""Phone number and website normalisation.

Both reduce a free-text contact field to the one token two records of the
same business would share: a UK national phone number, or a registrable
web domain.
"""

import polars as pl

from dedup.missing import present_expr
from dedup.normalise._text import staged

# The first run of digits and the separators people type inside a number:
# "Tel: 01872 123456 / 07700 900123" gives "01872 123456".
_FIRST_NUMBER = r"(\+?\s*\(?\d[\d\s\-().]*\d)"

# "+44 (0)1872 ...": the bracketed trunk zero is dropped before reading.
_TRUNK_ZERO = r"\(0\)"

# UK national numbers: a 0, a non-zero digit, then 8 or 9 more digits.
_NATIONAL = r"^0[1-9]\d{8,9}$"

# Ten digits starting like a geographic (1, 2), 03 or mobile (7) number is
# an eleven digit number typed without its trunk zero ("1872 123456").
_MISSING_TRUNK_ZERO = r"^[1-37]\d{9}$"

# "44" followed by a full national number without its 0, typed without "+".
_BARE_COUNTRY_CODE = r"^44\d{9,10}$"

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


def _uk_national(run: pl.Expr, digits: pl.Expr) -> pl.Expr:
    """Rewrite the digits of a phone number in UK national form.

    Args:
        run: The number as typed (first digit run, may start with "+").
        digits: The same number reduced to its digits.

    Returns:
        National digits starting with 0, or null for a non-UK international
        number ("+33 ...", "0033 ...").
    """
    bare_country_code = digits.str.contains(_BARE_COUNTRY_CODE)
    # Digits after the UK country code; a redundant trunk 0 ("+44 0 1872")
    # is dropped so it is not doubled below.
    after_country_code = (
        pl.when(digits.str.starts_with("0044"))
        .then(digits.str.slice(4))
        .when(run.str.starts_with("+") | bare_country_code)
        .then(pl.when(digits.str.starts_with("44")).then(digits.str.slice(2)))
        .str.strip_prefix("0")
    )
    international = (
        digits.str.starts_with("00") | run.str.starts_with("+") | bare_country_code
    )
    return (
        pl.when(international)
        .then("0" + after_country_code)
        .when(digits.str.contains(_MISSING_TRUNK_ZERO))
        .then("0" + digits)
        .otherwise(digits)
    )


def phone_expr(col: pl.Expr) -> pl.Expr:
    """Normalise a UK phone number to national digits.

    "+44 (0)1872 123456", "0044 1872 123456", "+441872123456",
    "(01872) 123456" and "01872-123456" all give "01872123456". Only the
    first number in the field is read.

    Args:
        col: Raw phone (String) expression.

    Returns:
        String expression of 10 or 11 digits starting with 0, or null when
        the value is missing (`dedup.missing`) or not a UK number of that length.
    """
    run, national = pl.field("run"), pl.field("national")
    return staged(
        {"run": present_expr(col).str.replace_all(_TRUNK_ZERO, "").str.extract(_FIRST_NUMBER)},
        {"digits": run.str.replace_all(r"\D", "")},
        {"national": _uk_national(run, pl.field("digits"))},
        {"phone": pl.when(national.str.contains(_NATIONAL)).then(national)},
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
