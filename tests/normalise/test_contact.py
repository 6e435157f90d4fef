"""dedup.normalise.contact: phones and websites, literal cases and properties."""

import polars as pl
import pytest
from hypothesis import example, given

from dedup.normalise import (
    phone_expr,
    website_expr,
)
from tests.normalise.helpers import (
    IDEMPOTENCE_EXAMPLES,
    PROPERTY_SETTINGS,
    VALUES,
    _idempotent,
    apply_one,
)

PHONE_CASES = [
    ("+44 (0)1872 123456", "01872123456"),
    ("0044 1872 123456", "01872123456"),
    ("+441872123456", "01872123456"),
    ("+44 1872 123456", "01872123456"),
    ("+44 0 1872 123456", "01872123456"),
    ("(01872) 123456", "01872123456"),
    ("01872-123456", "01872123456"),
    ("01872 123456", "01872123456"),
    ("01872123456", "01872123456"),
    ("07700 900123", "07700900123"),
    ("0800 123456", "0800123456"),
    ("1872 123456", "01872123456"),  # trunk zero left off
    ("441872123456", "01872123456"),  # country code without "+"
    ("Tel: 01872 123456 / 07700 900123", "01872123456"),  # first number only
    ("01872 123456 ext 22", "01872123456"),
    ("+33 1 23 45 67 89", None),  # not a UK number
    ("0033 1 23 45 67 89", None),
    ("123", None),
    ("01872 1234", None),  # too short
    ("01872 123456 789", None),  # too long
    ("00000000000", None),
    ("n/a", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "phone"), PHONE_CASES)
def test_phone(raw, phone):
    assert apply_one(phone_expr, raw) == phone


WEBSITE_CASES = [
    ("https://www.Mabels.co.uk/contact", "mabels.co.uk"),
    ("www.x.co.uk/contact", "x.co.uk"),
    ("shop.example.com", "example.com"),
    ("http://example.com:8080/x?y=1#top", "example.com"),
    ("example.com.", "example.com"),
    ("HTTP://WWW.EXAMPLE.ORG.UK", "example.org.uk"),
    ("council.gov.uk", "council.gov.uk"),
    ("jo@shop.co.uk", "shop.co.uk"),
    ("mailto:jo@a.b.example.org", "example.org"),
    ("John Smith <john@smithroofing.com>", "smithroofing.com"),
    ("https://medium.com/@mabels", "medium.com"),
    ("http//www.foo.com", "foo.com"),
    ("www.example.com, www.other.com", "example.com"),
    ("co.uk", None),
    ("192.168.1.1", None),
    ("localhost", None),
    ("n/a", None),
    ("none", None),
    ("-", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "domain"), WEBSITE_CASES)
def test_website(raw, domain):
    assert apply_one(website_expr, raw) == domain


@PROPERTY_SETTINGS
@given(VALUES)
@example(IDEMPOTENCE_EXAMPLES)
def test_phone_is_idempotent(values):
    _idempotent(phone_expr, values)


@PROPERTY_SETTINGS
@given(VALUES)
@example(IDEMPOTENCE_EXAMPLES)
def test_website_domain_is_idempotent(values):
    _idempotent(website_expr, values)


@pytest.mark.parametrize("raw", ["info@gmail.com", "https://www.facebook.com/smithroofing",
                                 "joe.bloggs@hotmail.co.uk", "www.ebay.co.uk/usr/bargains"])
def test_shared_domains_count_as_no_website(raw):
    assert pl.DataFrame({"w": [raw]}).select(website_expr(pl.col("w")).alias("d"))["d"][0] is None
