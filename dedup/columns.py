"""The normalised columns every stage shares: blocking keys and comparison levels use them."""

#: The normalised columns a level or blocking key may use, and what they hold.
NORMALISED_COLUMNS = {
    "name_norm": "trading name, lower case, legal form and punctuation removed",
    "name_tokens_sorted": "name_norm's words in alphabetical order",
    "name_key": "phonetic key of the first word of the name",
    "proprietor": "the person in a trading-as name",
    "postcode": "canonical UK postcode (or the raw text when invalid)",
    "postcode_sector": "postcode sector, e.g. 'TR1 1'",
    "postcode_district": "postcode district, e.g. 'TR1'",
    "postal_code_other": "another country's postal code (US ZIP, Eircode, ...), cleaned; null for a UK postcode",
    "address_norm": "address lines, normalised",
    "address_number": "house or building number",
    "address_unit": "unit / flat designator, e.g. 'unit 3'",
    "address_street": "street line, normalised",
    "address_town": "post town: the last address line that is not a county",
    "phone": "UK phone number as national digits, another country's as + and its digits",
    "website_domain": "registered domain of the website",
}
