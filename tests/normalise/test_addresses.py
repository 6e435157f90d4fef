"""dedup.normalise.addresses: literal cases, units in one building, properties."""

import pytest
from hypothesis import example, given

from dedup.normalise import (
    address_expr,
)
from dedup.normalise.addresses import ADDRESS_ABBREVIATIONS, address_postcode_expr
from tests.normalise.helpers import (
    IDEMPOTENCE_EXAMPLES,
    PROPERTY_SETTINGS,
    VALUES,
    _idempotent,
    apply,
    apply_one,
)

# fmt: off
ADDRESS_CASES = [
    # raw, address_norm, (number, unit, street, town)
    ("5 Tristan Road, Truro, Cornwall, TR1 1AU", "5 tristan rd, truro, cornwall",
     ("5", None, "tristan rd", "truro")),
    ("5, Tristan Rd., TRURO", "5, tristan rd, truro",
     ("5", None, "tristan rd", "truro")),
    ("Mabel's Boutique\n5 Tristan Rd\nTruro TR1 1AU", "mabels boutique, 5 tristan rd, truro",
     ("5", None, "tristan rd", "truro")),
    ("Unit 3, Riverside Industrial Estate, Bradford", "unit 3, riverside ind est, bradford",
     (None, "unit 3", "riverside ind est", "bradford")),
    ("Units 3-4, Riverside Ind. Est., Bradford BD1 1QR", "unit 3-4, riverside ind est, bradford",
     (None, "unit 3-4", "riverside ind est", "bradford")),
    ("Unit 3A Business Park, Newquay", "unit 3a bus pk, newquay",
     (None, "unit 3a", "bus pk", "newquay")),
    ("Flat 2, 14 High Street, St Ives", "flat 2, 14 high st, st ives",
     ("14", "flat 2", "high st", "st ives")),
    ("Flat 2 14 High St, Penzance", "flat 2 14 high st, penzance",
     ("14", "flat 2", "high st", "penzance")),
    ("Flat B, 14A High St", "flat b, 14a high st",
     ("14a", "flat b", "high st", None)),
    ("Flat 2B, 7 Mill Lane", "flat 2b, 7 mill ln",
     ("7", "flat 2b", "mill ln", None)),
    ("Apartment 7, The Quays, Salford", "flat 7, the quays, salford",
     (None, "flat 7", None, "salford")),
    ("Suite 4, 1st Floor, 22 King's Road, London SW3 4RP", "suite 4, 1st floor, 22 kings rd, london",
     ("22", "suite 4", "kings rd", "london")),
    ("Ground Floor Flat 2, 5 Hill Rise, Kent", "ground floor flat 2, 5 hill rise, kent",
     ("5", "flat 2", "hill rise", None)),
    ("2nd Floor, 10-13 Westgate Mall, Leeds", "2nd floor, 10-13 westgate mall, leeds",
     ("10-13", None, "westgate mall", "leeds")),
    ("10 - 12 Market Place, Truro", "10-12 market pl, truro",
     ("10-12", None, "market pl", "truro")),
    ("St Mary's Court, Church Lane, St Austell", "st marys ct, church ln, st austell",
     (None, None, "st marys ct", "st austell")),
    ("Stratford-upon-Avon Garage, 1 Bridge St", "stratford upon avon garage, 1 bridge st",
     ("1", None, "bridge st", None)),
    ("The Gift Shop, 14 Fore Street", "the gift shop, 14 fore st",
     ("14", None, "fore st", None)),
    ("Poundland, Bradford, BD1 1QR", "poundland, bradford",
     (None, None, None, "bradford")),
    ("Café Crème, 1 Avenue Road", "cafe creme, 1 ave rd",
     ("1", None, "ave rd", None)),
    # a whole address in one field: split after the street's last street word, county apart
    ("5 Tristan Road Truro Cornwall TR1 1AU", "5 tristan rd, truro, cornwall",
     ("5", None, "tristan rd", "truro")),
    ("12 High Street Leeds West Yorkshire", "12 high st, leeds, west yorkshire",
     ("12", None, "high st", "leeds")),
    ("12 Church St St Ives", "12 church st, st ives",
     ("12", None, "church st", "st ives")),
    ("5 Station Road St Austell PL25 5AA", "5 station rd, st austell",
     ("5", None, "station rd", "st austell")),
    ("Unit 3 Riverside Industrial Estate Penryn tr10 8aa", "unit 3 riverside ind est, penryn",
     (None, "unit 3", "riverside ind est", "penryn")),
    ("21 St Johns Avenue Truro UK", "21 st johns ave, truro, uk",
     ("21", None, "st johns ave", "truro")),
    ("8 Green Walk", "8 grn walk", ("8", None, "grn walk", None)),  # street words to the end
    ("19 Park Grove", "19 pk gr", ("19", None, "pk gr", None)),
    ("Poundland Bradford", "poundland bradford", (None, None, None, None)),  # no street word
    ("5 Tristan Rd\nTruro\nTR1 1AU", "5 tristan rd, truro", ("5", None, "tristan rd", "truro")),
    ("12224 Ventura Blvd., Studio City, CA 91604", "12224 ventura blvd, studio city, ca 91604",
     ("12224", None, "ventura blvd", "studio city")),
    ("N/A", None, (None, None, None, None)),
    ("unknown", None, (None, None, None, None)),
    (",, ,", None, (None, None, None, None)),
    ("", None, (None, None, None, None)),
    (None, None, (None, None, None, None)),
]
# fmt: on


ADDRESS_POSTCODE_CASES = [
    # raw address -> the UK postcode it ends a line with, as typed
    ("5 Tristan Rd, Truro TR1 1AU", "TR1 1AU"),
    ("5 Tristan Road Truro Cornwall tr11au", "tr11au"),
    ("5 Tristan Rd\nTruro\nTR1 1AU\n", "TR1 1AU"),
    ("5 Tristan Rd, TR1 1AU, Truro", "TR1 1AU"),
    ("x, tr1 1au; y", "tr1 1au"),
    ("TR1 1AU, 10 Westgate, BD1 1QR", "BD1 1QR"),  # the last one
    ("Unit B12 3AB Park", None),  # not at a line end
    ("5 Tristan Rd, Truro", None),
    ("12224 Ventura Blvd, Studio City, CA 91604", None),  # another country's code is not read
    ("TR1 1CU", None),  # no inward code has a C
    (None, None),
]


@pytest.mark.parametrize(("raw", "postcode"), ADDRESS_POSTCODE_CASES)
def test_address_postcode(raw, postcode):
    assert apply_one(address_postcode_expr, raw) == postcode


@pytest.mark.parametrize(("raw", "norm", "parts"), ADDRESS_CASES)
def test_address(raw, norm, parts):
    number, unit, street, town = parts
    assert apply_one(address_expr, raw) == {
        "address_norm": norm,
        "address_number": number,
        "address_unit": unit,
        "address_street": street,
        "address_town": town,
    }


def test_units_in_one_building_differ():
    units = [
        row["address_unit"]
        for row in apply(
            address_expr,
            ["Unit 1, Riverside Ind Est", "Unit 2 Riverside Industrial Estate"],
        )
    ]
    assert units == ["unit 1", "unit 2"]


@PROPERTY_SETTINGS
@given(VALUES)
@example(IDEMPOTENCE_EXAMPLES)
def test_address_norm_is_idempotent(values):
    _idempotent(lambda col: address_expr(col).struct.field("address_norm"), values)

def test_address_abbreviation_targets_are_not_sources():
    assert not set(ADDRESS_ABBREVIATIONS.values()) & set(ADDRESS_ABBREVIATIONS)
