"""dedup.normalise.contact: phones and websites, literal cases and properties."""

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

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
    # UK numbers: national digits
    ("+44 (0)1872 123456", "01872123456"),
    ("0044 1872 123456", "01872123456"),
    ("0044 (0)1872 123456", "01872123456"),
    ("+441872123456", "01872123456"),
    ("+44 1872 123456", "01872123456"),
    ("+44 0 1872 123456", "01872123456"),
    ("+44 7700 900123", "07700900123"),
    ("(01872) 123456", "01872123456"),
    ("01872-123456", "01872123456"),
    ("01872 123456", "01872123456"),
    ("01872123456", "01872123456"),
    ("01872.123.456", "01872123456"),
    ("07700-900-123", "07700900123"),
    ("07700 900123", "07700900123"),
    ("0800 123456", "0800123456"),
    ("0161/234 5678", "01612345678"),  # a slash inside the number
    ("1872 123456", "01872123456"),  # trunk zero left off
    ("7700 900123", "07700900123"),  # a mobile without its zero: not North American (exchange 090)
    ("441872123456", "01872123456"),  # country code without "+"
    # first number only; an extension is not read
    ("Tel: 01872 123456 / 07700 900123", "01872123456"),
    ("01872 123456/07700 900123", "01872123456"),
    ("01872 123456 ext 22", "01872123456"),
    ("01872 123456 ext. 22", "01872123456"),
    ("01872 123456 x22", "01872123456"),
    ("01872 123456x22", "01872123456"),
    ("01872 123456 extension 5", "01872123456"),
    ("01872 123456 (ext 22)", "01872123456"),
    # another country's number, typed with its code: "+" and its digits
    ("+1 310 246 1501", "+13102461501"),
    ("+1 (310) 246-1501", "+13102461501"),
    ("+1-310-246-1501 x123", "+13102461501"),
    ("001 310 246 1501", "+13102461501"),
    ("1-310-246-1501", "+13102461501"),  # the NANP's own "1" prefix
    ("1 (800) 555-0199", "+18005550199"),
    ("+33 1 23 45 67 89", "+33123456789"),
    ("0033 1 23 45 67 89", "+33123456789"),
    ("+353 (0)1 234 5678", "+35312345678"),
    ("+61 2 9876 5432", "+61298765432"),
    ("+13102461501", "+13102461501"),
    # ten North American digits without a prefix: kept as typed, never a made-up UK number
    ("310-246-1501", "3102461501"),
    ("310/246-1501", "3102461501"),
    ("(310) 246-1501", "3102461501"),
    ("310.246.1501", "3102461501"),
    ("310 246 1501", "3102461501"),
    ("3102461501", "3102461501"),
    ("310-246-1501 ext. 12", "3102461501"),
    ("212/599-8900 x5", "2125998900"),
    ("7912 345678", "7912345678"),  # North American in shape: not made 07912345678
    # nothing a number can be read from
    ("123", None),
    ("01872 1234", None),  # too short
    ("01872 123456 789", None),  # too long
    ("+1 23", None),
    ("+44 1872 1234", None),  # a UK number too short
    ("00000000000", None),
    ("0080 297 0487", None),  # a mistyped 0800 number: too short to be "00" and a call abroad
    ("002 9954 6007", None),
    ("n/a", None),
    ("ring the shop", None),
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


@PROPERTY_SETTINGS
@given(st.from_regex(r"\A[2-9]\d\d[2-9]\d{6}\Z"),
       st.sampled_from(["{}-{}-{}", "{}/{}-{}", "({}) {}-{}", "{}.{}.{}", "{} {} {}", "{}{}{}"]))
def test_a_north_american_number_is_never_made_a_uk_number(digits, layout):
    typed = layout.format(digits[:3], digits[3:6], digits[6:])
    assert apply_one(phone_expr, typed) == digits
    assert apply_one(phone_expr, "+1 " + typed) == "+1" + digits
