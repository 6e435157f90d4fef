"""Word lists of the hard scenarios (`dedup.synth.scenarios`): virtual offices, shop platforms,
web designers' words, look-alike stems and spellings, generic names."""

# Registered-office addresses of well-known formation agents and virtual-office providers, as
# they publish them: (building, house, street name, street type, abbreviation, locality,
# postcode). All in London; the first carries the most companies.
VIRTUAL_OFFICES = (
    ("Kemp House", "152-160", "City", "Road", "Rd", None, "EC1V 2NX"),
    (None, "20-22", "Wenlock", "Road", "Rd", None, "N1 7GU"),
    (None, "71-75", "Shelton", "Street", "St", "Covent Garden", "WC2H 9JQ"),
    (None, "128", "City", "Road", "Rd", None, "EC1V 2NX"),
    (None, "27", "Old Gloucester", "Street", "St", None, "WC1N 3AX"),
    ("International House", "12", "Constance", "Street", "St", None, "E16 2DQ"),
    ("First Floor", "85", "Great Portland", "Street", "St", None, "W1W 7LT"),
)

# Shop platforms where a seller's website is a page or a subdomain: "{Camel}" is the name
# without spaces, "{slug}" the same in lower case. Ordered by how many UK sellers use them.
PLATFORMS = (
    "etsy.com/uk/shop/{Camel}", "ebay.co.uk/str/{slug}", "{slug}.myshopify.com",
    "amazon.co.uk/stores/{Camel}", "facebook.com/{Camel}", "notonthehighstreet.com/{slug}",
    "{slug}.bigcartel.com", "onbuy.com/gb/shop/{slug}", "depop.com/{slug}", "{slug}.square.site",
)  # fmt: skip

DESIGNER_WORDS = ("webdesign", "websites", "digital", "media", "creative", "sites")

# Look-alike online sellers: stems "{noun}{word}" and the ways different sellers spell them.
LOOKALIKE_WORDS = ("Nest", "Box", "Hut", "Den", "Loft", "Vault", "Corner", "Cave", "Planet", "Land",
                    "Shack", "Spot")  # fmt: skip

# (name with {a} {b} for the two words, the, domain label); the kth seller of a stem takes
# variant k (mod the count) and, past the first round, a numbered domain.
LOOKALIKE_VARIANTS = (
    ("{a}{b}", False, "{a}{b}"), ("{a} {b}", False, "{a}{b}"), ("{a}{b} UK", False, "{a}{b}uk"),
    ("{a} {b}", True, "the{a}{b}"), ("{a}-{b}", False, "{a}-{b}"), ("{a}{b} Online", False, "{a}{b}online"),
)  # fmt: skip

LOOKALIKE_TLDS = (".co.uk", ".com", ".co.uk", ".co.uk", ".co.uk", ".co.uk")

# Generic names many unrelated businesses use, with the goods code of their trade.
LOCAL_GENERIC_NAMES = (
    ("A1 Roofing", "HI21"), ("AAA Plumbing", "HI30"), ("Premier Builders", "HI10"),
    ("Elite Motors", "MV10"), ("Apex Windows", "HI40"), ("Total Home Improvements", "HI10"),
    ("Royal Carpets", "FU20"), ("Express Removals", "SV30"), ("Budget Tyres", "MV20"),
    ("Quality Kitchens", "HI50"), ("Star Cars", "MV10"), ("First Choice Driveways", "HI22"),
    ("Ace Locksmiths", "HI60"), ("Supreme Cleaning Services", "SV20"), ("Prestige Car Sales", "MV10"),
    ("Village Bakery", "FD10"), ("Golden Dragon Takeaway", "FD20"), ("Top Cuts", "SV10"),
)  # fmt: skip
ONLINE_GENERIC_NAMES = (
    ("Crown Perfume UK", "CL40"), ("Phone Deals UK", "EL20"), ("Gadget World", "EL10"),
    ("Vape Direct", "GS10"), ("Sneaker Outlet", "CL30"), ("Beauty Box UK", "SV10"),
    ("Pet Supplies Direct", "GS20"), ("Watch Store UK", "CL20"),
)  # fmt: skip
