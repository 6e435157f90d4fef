"""Word lists and the postcode-district table behind the synthetic trader data.

Everything here is plain data plus two tiny helpers. The lists are ordered
roughly by how common each item is in real UK data, so that
:func:`zipf_weights` can turn list position into a sampling weight: "Smith"
and "Roofing" come first and therefore collide often, which is exactly what
makes name matching hard (many different "Smith Roofing" businesses exist).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def zipf_weights(n: int, s: float = 1.0) -> np.ndarray:
    """Return normalised Zipf weights ``1 / rank**s`` for ``n`` ranked items.

    Args:
        n: Number of items.
        s: Exponent; larger values concentrate more weight on the first items.

    Returns:
        Float array of length ``n`` summing to 1.
    """
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    return w / w.sum()


FIRST_NAMES = (
    "John", "David", "Paul", "Mark", "James", "Andrew", "Michael", "Peter", "Steven", "Robert",
    "Richard", "Gary", "Ian", "Chris", "Dave", "Lee", "Darren", "Craig", "Wayne", "Dean", "Stuart",
    "Neil", "Simon", "Martin", "Tony", "Kevin", "Jason", "Daniel", "Matthew", "Tom", "Mohammed",
    "Ali", "Raj", "Sanjay", "Imran", "Tariq", "Hassan", "Piotr", "Tomasz", "Marek", "Sarah",
    "Karen", "Julie", "Lisa", "Claire", "Emma", "Nicola", "Helen", "Jo", "Michelle", "Mabel",
    "Priya", "Aisha", "Fatima", "Anna", "Kelly", "Donna", "Louise", "Sam", "Jenny", "Connor",
    "Liam", "Ryan", "Callum", "Jamie", "Kieran", "Ross", "Gareth", "Rhys", "Owain", "Siobhan",
    "Niamh", "Bernie", "Del", "Bob", "Terry", "Barry", "Keith", "Alan", "Colin",
)  # fmt: skip

SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes",
    "Green", "Hall", "Patel", "Lewis", "Harris", "Clarke", "Jackson", "Wood", "Turner", "Martin",
    "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Khan", "Lee", "King", "Baker",
    "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker",
    "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Singh",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards",
    "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Ahmed", "Hussain", "Wilkinson", "Foster",
    "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Campbell", "Matthews",
    "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker",
    "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson", "Fletcher",
    "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott", "Reynolds", "Saunders",
    "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence", "Cole", "Atkinson",
    "Bradley", "Spencer", "Gill", "Dawson", "O'Brien", "Watts", "Rose", "Booth", "Perry", "Ryan",
    "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson", "Newman",
    "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn",
    "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland", "Hawkins", "Harding", "Porter",
    "Robertson", "Newton", "Oliver", "Reed", "Kennedy", "Bird", "Gardner", "Shah", "Dean", "Lane",
    "Bates", "O'Neill", "Henderson", "Burgess", "Bishop", "Walton", "Burns", "Nicholson",
    "Shepherd", "Ross", "Nowak", "Kowalski", "Chen", "Nguyen", "Okafor", "Mensah", "McDonald",
    "MacLeod", "Begum",
)  # fmt: skip

# (trade words, goods code). The goods code is what an adviser would most
# likely pick for a complaint about this kind of business.
TRADES = (
    ("Roofing", "HI21"), ("Plumbing & Heating", "HI30"), ("Building", "HI10"), ("Builders", "HI10"),
    ("Motors", "MV10"), ("Windows", "HI40"), ("Kitchens", "HI50"), ("Electrical", "HI31"),
    ("Car Sales", "MV10"), ("Driveways", "HI22"), ("Home Improvements", "HI10"), ("Cars", "MV10"),
    ("Scaffolding", "HI23"), ("Landscaping", "HI24"), ("Double Glazing", "HI40"),
    ("Carpets", "FU20"), ("Bathrooms", "HI50"), ("Furniture", "FU10"), ("Removals", "SV30"),
    ("Autos", "MV10"), ("Tyres", "MV20"), ("Garage Services", "MV30"), ("Fencing", "HI24"),
    ("Flooring", "FU20"), ("Boutique", "CL10"), ("Damp Proofing", "HI25"),
    ("Loft Conversions", "HI10"), ("Solar", "EN10"), ("Plastering", "HI10"),
    ("Tree Surgery", "HI24"), ("Property Maintenance", "HI10"), ("Gas Services", "HI30"),
    ("Locksmiths", "HI60"), ("Cleaning Services", "SV20"), ("Decorating", "HI10"),
    ("Joinery", "HI10"), ("Conservatories", "HI40"), ("Beds", "FU10"), ("Sofas", "FU10"),
    ("Phones", "EL20"), ("Computers", "EL10"), ("Vehicle Repairs", "MV30"), ("Coachworks", "MV30"),
    ("Guttering", "HI21"), ("Security Systems", "HI60"), ("Aerials", "EL30"), ("Hot Tubs", "LE20"),
    ("Resin Driveways", "HI22"), ("Pest Control", "SV20"), ("Travel", "TR10"), ("Lettings", "PR10"),
    ("Estate Agents", "PR10"), ("Bridal", "CL10"), ("Jewellers", "CL20"), ("Hair Salon", "SV10"),
    ("Beauty", "SV10"), ("Nails", "SV10"), ("Tattoo Studio", "SV10"), ("Dog Grooming", "SV40"),
    ("Cat Grooming Parlour", "SV40"), ("Dry Cleaners", "SV20"), ("Blinds", "FU20"),
    ("Chimney Sweeps", "HI26"), ("Gardening", "HI24"), ("Boiler Repairs", "HI30"),
    ("Van Hire", "MV40"), ("Motorcycles", "MV10"), ("Caravans", "MV50"), ("Wedding Cars", "LE10"),
    ("Photography", "LE10"), ("Catering", "FD10"), ("Bakery", "FD10"), ("Takeaway", "FD20"),
)  # fmt: skip

# Used in the sole-trader form "Dave the Plumber".
TRADESPEOPLE = (
    "Plumber", "Builder", "Roofer", "Electrician", "Handyman", "Locksmith", "Painter", "Gardener",
    "Carpet Man", "Tree Man", "Window Man", "Mechanic",
)  # fmt: skip

# Descriptive words for company names ("Bright Spark Electrical Ltd").
PLACE_WORDS = (
    "Premier", "Elite", "Bright Spark", "Apex", "Crown", "Royal", "Phoenix", "Rapid", "A1", "AAA",
    "Total", "Pro", "Express", "Budget", "Classic", "County", "Northern", "Southern", "Western",
    "Coastal", "Valley", "Riverside", "Oakwood", "Meadow", "Greenfield", "Castle", "Kingsway",
    "Summit", "Pinnacle", "Evergreen", "Silverline", "Goldstar", "Red Rose", "White Rose",
    "Three Counties", "Cornish", "Yorkshire", "Pennine", "Cotswold", "Thames Valley", "Severn",
    "Wessex", "Anglia", "Celtic", "Dragon", "Eagle", "Falcon", "Swift", "Sunrise", "Horizon",
    "Vision", "Trust", "Quality", "Value", "Family", "Heritage", "Village", "Town & Country",
    "Metro", "Ace", "Allied", "United", "Superior", "First Choice", "Smart", "Eco", "Green Leaf",
    "Blue Sky", "Oak Tree", "Mill House",
)  # fmt: skip

ONLINE_NOUNS = (
    ("Gadget", "EL10"), ("Phone", "EL20"), ("Sneaker", "CL30"), ("Beauty", "SV10"),
    ("Vape", "GS10"), ("Pet", "GS20"), ("Toy", "GS30"), ("Tech", "EL10"), ("Home", "FU10"),
    ("Garden", "GS40"), ("Watch", "CL20"), ("Deal", "GS10"), ("Fashion", "CL10"),
    ("Ticket", "LE30"), ("Holiday", "TR10"), ("Supplement", "GS50"), ("Perfume", "CL40"),
    ("Console", "EL40"), ("Bike", "LE40"), ("Tool", "GS40"), ("Print", "GS60"), ("Tyre", "MV20"),
)  # fmt: skip

ONLINE_SUFFIXES = (
    "UK", "Direct", "Online", "Store", "Outlet", "Hub", "World", "Shop", "Deals", "Express", "Zone",
    "Centre",
)  # fmt: skip

# National chains (brand, goods code, website). Invented names: every branch
# is its own trader, and all branches share name and website.
CHAINS = (
    ("Poundwise", "GS10", "poundwise.co.uk"), ("Carpet Kingdom", "FU20", "carpetkingdom.co.uk"),
    ("Halden Autocentres", "MV30", "haldenauto.co.uk"),
    ("Sofa Warehouse", "FU10", "sofawarehouse.co.uk"),
    ("QuickTread Tyres", "MV20", "quicktreadtyres.com"), ("Homeway DIY", "HI10", "homeway.co.uk"),
    ("Phone Doctor", "EL20", "phonedoctor.co.uk"), ("EasyLets", "PR10", "easylets.co.uk"),
    ("Tile Depot", "HI50", "tiledepot.co.uk"), ("Value Bathrooms", "HI50", "valuebathrooms.co.uk"),
    ("BedStore", "FU10", "bedstore.co.uk"), ("Cash4Gadgets", "EL20", "cash4gadgets.co.uk"),
    ("Sunseeker Travel", "TR10", "sunseekertravel.co.uk"),
    ("Kitchen Studio", "HI50", "kitchenstudio.co.uk"),
    ("Motorvale Direct", "MV10", "motorvaledirect.co.uk"),
    ("Pets Galore", "GS20", "petsgalore.co.uk"),
    ("ClearView Opticians", "SV50", "clearviewopticians.co.uk"),
    ("Cheap Car Hire", "MV40", "cheapcarhire.com"), ("Bright Blinds", "FU20", "brightblinds.co.uk"),
    ("Klick Electrical", "EL10", "klickelectrical.co.uk"),
    ("Fresh & Fast Convenience", "FD10", "freshandfast.co.uk"),
    ("TechXchange", "EL10", "techxchange.co.uk"),
    ("Furniture Valley Outlet", "FU10", "furniturevalleyoutlet.co.uk"),
    ("Green Energy Saver", "EN10", "greenenergysaver.co.uk"),
    ("Mattress Mill", "FU10", "mattressmill.co.uk"),
    ("Pawnbrokers Plus", "CL20", "pawnbrokersplus.co.uk"),
    ("Dreamway Kitchens", "HI50", "dreamway.co.uk"),
    ("Smart Repair Centre", "MV30", "smartrepaircentre.co.uk"),
    ("Rent-A-Room", "FU10", "rentaroom.co.uk"), ("Pulse Gyms", "LE40", "pulsegyms.co.uk"),
)  # fmt: skip

# (full form, abbreviation) for the street-type swap corruption.
STREET_TYPES = (
    ("Road", "Rd"), ("Street", "St"), ("Avenue", "Ave"), ("Lane", "Ln"), ("Close", "Cl"),
    ("Drive", "Dr"), ("Way", "Way"), ("Crescent", "Cres"), ("Place", "Pl"), ("Gardens", "Gdns"),
    ("Terrace", "Ter"), ("Grove", "Gr"), ("Court", "Ct"), ("Hill", "Hill"), ("Parade", "Pde"),
    ("Walk", "Walk"), ("Row", "Row"), ("Square", "Sq"),
)  # fmt: skip

STREET_NAMES = (
    "High", "Station", "Church", "Main", "Park", "Victoria", "Green", "Manor", "Mill", "School",
    "Queen", "King", "New", "Chapel", "Albert", "Windsor", "London", "Grange", "York", "North",
    "South", "West", "East", "Springfield", "Orchard", "Elm", "Oak", "Beech", "Ash", "Cedar",
    "Willow", "Meadow", "Riverside", "Bridge", "Castle", "Market", "Tristan", "Trelawney",
    "Penrose", "Alexandra", "Stanley", "Cromwell", "Nelson", "Wellington", "Kingsway", "Richmond",
    "Cambridge", "Oxford", "Clarence", "Highfield", "Fairfield", "Westfield", "Brook", "Hawthorn",
    "Rosemary", "Heather", "Primrose", "Holly", "Sycamore", "Laburnum", "Coronation", "Jubilee",
    "St John's", "St Mary's", "Lime", "Hollybush", "Moor", "Valley", "Hillside", "Broad", "Long",
    "Mount", "Gordon", "Edward", "George", "Cecil", "Belmont", "Sandy", "Carlton", "Dale",
)  # fmt: skip

LOCALITIES = (
    "Town Centre", "Hillside", "Westfield", "Northgate", "Southside", "Eastwood", "Newtown",
    "Old Town", "Parkside", "Moorside", "Brookfield", "Fairview", "Riverside", "Highbury",
    "Lowfield", "Kingswood", "Queensbury", "Ashton", "Milton", "Norton", "Sutton", "Preston",
    "Langley", "Bramley", "Thornton", "Woodside", "Greenhill", "Stoneygate", "Hawthorne",
    "Churchtown", "Broadway", "Eastfield", "Marshside", "Oakley", "Highfields",
)  # fmt: skip

# Named places used for business parks, retail parks and shopping centres.
PARK_PLACES = (
    "Riverside", "Meadow", "Station", "Kingsway", "Canal", "Parkway", "Victoria", "Enterprise",
    "Millennium", "Harbour", "Airport", "Beacon", "Orchard", "Broadmead", "Gateway", "Castle",
    "Forge", "Quarry", "Junction", "Brunel",
)  # fmt: skip
PARK_TYPES = ("Business Park", "Industrial Estate", "Trading Estate", "Enterprise Centre")
RETAIL_TYPES = ("Retail Park", "Shopping Centre")

# Allowed letters of the last two characters of an inward code (no C I K M O V).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

POSTCODE_PLACEHOLDERS = ("N/A", "unknown", "TBC", "-", "none", "n/a", "?")

SCHEMES = ("Buy With Confidence", "Trusted Trader", "Trading Standards Approved")
SCHEME_WEIGHTS = (0.5, 0.3, 0.2)

TRACK_NOTES = (
    "Capture the client's email address and refer with commitment.",
    "Refer all cases to the TS with consumer consent.",
    "Doorstep crime concerns: refer immediately, do not signpost.",
    "Intelligence only: record details, no referral needed.",
    "Under investigation. Capture invoices and contracts; refer.",
    "Vulnerable consumers targeted: refer any case involving elderly clients.",
    "Trader subject to enforcement action. Refer all criminal cases.",
)  # fmt: skip

CERTIFICATE_NOTES = (
    "Approved scheme member. Refer complaints to the scheme administrator.",
    "Member in good standing; annual renewal.",
    "Scheme member: advise consumer of the scheme's complaints process.",
    "Approved member. Notify TS of any complaint.",
)  # fmt: skip

WHITELIST_REASONS = {
    "chain": "National chain branch: do not create another record with this name",
    "plc": "Large business: head office record", "llp": "Large business: verified firm record",
    "other": "Verified trader record requested by Trading Standards",
}  # fmt: skip


class District(NamedTuple):
    """One postcode district (outward code) with its post town and phone area code."""

    outward: str
    town: str
    county: str
    area_code: str
    weight: float


# outward | post town | county | dialling code | relative weight (population).
_DISTRICT_TABLE = """
TR1|Truro|Cornwall|01872|1
TR2|Truro|Cornwall|01872|0.5
TR15|Redruth|Cornwall|01209|0.7
TR18|Penzance|Cornwall|01736|0.7
PL25|St Austell|Cornwall|01726|0.8
PL1|Plymouth|Devon|01752|1
PL4|Plymouth|Devon|01752|1.5
EX1|Exeter|Devon|01392|1
EX4|Exeter|Devon|01392|1.2
TQ1|Torquay|Devon|01803|1
EX32|Barnstaple|Devon|01271|0.6
BS1|Bristol|Avon|0117|1.5
BS5|Bristol|Avon|0117|2
BS8|Bristol|Avon|0117|1
BA1|Bath|Somerset|01225|1
TA1|Taunton|Somerset|01823|1
BA20|Yeovil|Somerset|01935|0.8
GL1|Gloucester|Gloucestershire|01452|1.2
GL50|Cheltenham|Gloucestershire|01242|1
SN1|Swindon|Wiltshire|01793|1.5
SP1|Salisbury|Wiltshire|01722|0.8
BH1|Bournemouth|Dorset|01202|1.5
DT1|Dorchester|Dorset|01305|0.5
SO14|Southampton|Hampshire|023|1.5
SO15|Southampton|Hampshire|023|1
PO1|Portsmouth|Hampshire|023|1.5
RG21|Basingstoke|Hampshire|01256|1
RG1|Reading|Berkshire|0118|1.5
SL1|Slough|Berkshire|01753|1.2
OX1|Oxford|Oxfordshire|01865|0.8
OX4|Oxford|Oxfordshire|01865|1.2
GU1|Guildford|Surrey|01483|1
RH1|Redhill|Surrey|01737|0.8
BN1|Brighton|East Sussex|01273|1.5
BN3|Hove|East Sussex|01273|1
TN34|Hastings|East Sussex|01424|0.8
TN1|Tunbridge Wells|Kent|01892|0.8
CT1|Canterbury|Kent|01227|1
ME14|Maidstone|Kent|01622|1
CT9|Margate|Kent|01843|0.7
DA1|Dartford|Kent|01322|1
SW1A|London|Greater London|020|0.5
SW11|London|Greater London|020|1.5
SW16|London|Greater London|020|1.5
SE1|London|Greater London|020|1.2
SE15|London|Greater London|020|1.5
SE18|London|Greater London|020|1.5
E1|London|Greater London|020|1.5
E17|London|Greater London|020|1.5
N1|London|Greater London|020|1.2
N7|London|Greater London|020|1
N17|London|Greater London|020|1.3
NW1|London|Greater London|020|1
NW10|London|Greater London|020|1.5
W1D|London|Greater London|020|0.6
W2|London|Greater London|020|1
W12|London|Greater London|020|1.2
EC1A|London|Greater London|020|0.4
EC2A|London|Greater London|020|0.5
WC1E|London|Greater London|020|0.4
WC2N|London|Greater London|020|0.4
CR0|Croydon|Surrey|020|2
BR1|Bromley|Kent|020|1.2
KT1|Kingston upon Thames|Surrey|020|1
HA1|Harrow|Middlesex|020|1.2
UB8|Uxbridge|Middlesex|01895|1
IG1|Ilford|Essex|020|1.5
RM1|Romford|Essex|01708|1.2
EN1|Enfield|Middlesex|020|1.2
TW1|Twickenham|Middlesex|020|0.8
SM1|Sutton|Surrey|020|0.8
CB1|Cambridge|Cambridgeshire|01223|1.2
PE1|Peterborough|Cambridgeshire|01733|1.5
NR1|Norwich|Norfolk|01603|1.2
NR30|Great Yarmouth|Norfolk|01493|0.7
IP1|Ipswich|Suffolk|01473|1.2
CO1|Colchester|Essex|01206|1
CM1|Chelmsford|Essex|01245|1
SS1|Southend-on-Sea|Essex|01702|1.2
LU1|Luton|Bedfordshire|01582|1.5
MK9|Milton Keynes|Buckinghamshire|01908|1.5
HP1|Hemel Hempstead|Hertfordshire|01442|1
AL1|St Albans|Hertfordshire|01727|0.8
SG1|Stevenage|Hertfordshire|01438|0.8
WD17|Watford|Hertfordshire|01923|1
B1|Birmingham|West Midlands|0121|1
B10|Birmingham|West Midlands|0121|2
B15|Birmingham|West Midlands|0121|1
B23|Birmingham|West Midlands|0121|2
CV1|Coventry|West Midlands|024|1.5
CV6|Coventry|West Midlands|024|1.2
WV1|Wolverhampton|West Midlands|01902|1.5
WS1|Walsall|West Midlands|01922|1.2
DY1|Dudley|West Midlands|01384|1.2
LE1|Leicester|Leicestershire|0116|1.2
LE5|Leicester|Leicestershire|0116|1.5
LE11|Loughborough|Leicestershire|01509|0.8
NG1|Nottingham|Nottinghamshire|0115|1.2
NG7|Nottingham|Nottinghamshire|0115|1.5
NG18|Mansfield|Nottinghamshire|01623|1
DE1|Derby|Derbyshire|01332|1.5
S40|Chesterfield|Derbyshire|01246|1
ST1|Stoke-on-Trent|Staffordshire|01782|1.5
ST16|Stafford|Staffordshire|01785|0.8
WR1|Worcester|Worcestershire|01905|1
HR1|Hereford|Herefordshire|01432|0.7
SY1|Shrewsbury|Shropshire|01743|0.8
TF1|Telford|Shropshire|01952|1
NN1|Northampton|Northamptonshire|01604|1.5
LN1|Lincoln|Lincolnshire|01522|1
DN31|Grimsby|Lincolnshire|01472|0.8
PE21|Boston|Lincolnshire|01205|0.5
M1|Manchester|Greater Manchester|0161|1
M8|Manchester|Greater Manchester|0161|1.5
M14|Manchester|Greater Manchester|0161|1.5
M20|Manchester|Greater Manchester|0161|1
SK1|Stockport|Cheshire|0161|1.2
BL1|Bolton|Lancashire|01204|1.5
OL1|Oldham|Lancashire|0161|1.2
WN1|Wigan|Lancashire|01942|1.2
L1|Liverpool|Merseyside|0151|1
L4|Liverpool|Merseyside|0151|1.5
L15|Liverpool|Merseyside|0151|1.2
CH41|Birkenhead|Merseyside|0151|1
WA1|Warrington|Cheshire|01925|1.2
CH1|Chester|Cheshire|01244|1
CW1|Crewe|Cheshire|01270|0.8
PR1|Preston|Lancashire|01772|1.2
BB1|Blackburn|Lancashire|01254|1.2
FY1|Blackpool|Lancashire|01253|1.2
LA1|Lancaster|Lancashire|01524|0.8
CA1|Carlisle|Cumbria|01228|0.8
LA14|Barrow-in-Furness|Cumbria|01229|0.6
LS1|Leeds|West Yorkshire|0113|1
LS6|Leeds|West Yorkshire|0113|1.2
LS8|Leeds|West Yorkshire|0113|1.5
LS11|Leeds|West Yorkshire|0113|1.2
BD1|Bradford|West Yorkshire|01274|1
BD3|Bradford|West Yorkshire|01274|1.5
BD7|Bradford|West Yorkshire|01274|1.2
HX1|Halifax|West Yorkshire|01422|1
HD1|Huddersfield|West Yorkshire|01484|1.2
WF1|Wakefield|West Yorkshire|01924|1.2
S1|Sheffield|South Yorkshire|0114|1
S2|Sheffield|South Yorkshire|0114|1.5
S11|Sheffield|South Yorkshire|0114|1.2
DN1|Doncaster|South Yorkshire|01302|1.2
S60|Rotherham|South Yorkshire|01709|1
S70|Barnsley|South Yorkshire|01226|1
HU1|Hull|North Humberside|01482|1
HU5|Hull|North Humberside|01482|1.5
YO1|York|North Yorkshire|01904|1
YO31|York|North Yorkshire|01904|1
HG1|Harrogate|North Yorkshire|01423|0.8
YO11|Scarborough|North Yorkshire|01723|0.7
DL1|Darlington|County Durham|01325|1
DH1|Durham|County Durham|0191|0.8
TS1|Middlesbrough|Cleveland|01642|1.5
SR1|Sunderland|Tyne and Wear|0191|1.5
NE1|Newcastle upon Tyne|Tyne and Wear|0191|1
NE6|Newcastle upon Tyne|Tyne and Wear|0191|1.5
NE29|North Shields|Tyne and Wear|0191|0.8
CF10|Cardiff|South Glamorgan|029|1
CF24|Cardiff|South Glamorgan|029|1.5
CF5|Cardiff|South Glamorgan|029|1
SA1|Swansea|West Glamorgan|01792|1.5
NP20|Newport|Gwent|01633|1.2
CF47|Merthyr Tydfil|Mid Glamorgan|01685|0.6
LL57|Bangor|Gwynedd|01248|0.5
LL11|Wrexham|Clwyd|01978|0.8
SY23|Aberystwyth|Dyfed|01970|0.4
SA31|Carmarthen|Dyfed|01267|0.5
EH1|Edinburgh|Midlothian|0131|0.8
EH3|Edinburgh|Midlothian|0131|1
EH6|Edinburgh|Midlothian|0131|1.2
EH11|Edinburgh|Midlothian|0131|1.2
G1|Glasgow|Lanarkshire|0141|1
G12|Glasgow|Lanarkshire|0141|1
G31|Glasgow|Lanarkshire|0141|1.5
G41|Glasgow|Lanarkshire|0141|1.2
PA1|Paisley|Renfrewshire|0141|1
AB10|Aberdeen|Aberdeenshire|01224|1
AB24|Aberdeen|Aberdeenshire|01224|1
DD1|Dundee|Angus|01382|1.2
IV1|Inverness|Inverness-shire|01463|0.8
KY1|Kirkcaldy|Fife|01592|0.8
FK8|Stirling|Stirlingshire|01786|0.6
PH1|Perth|Perthshire|01738|0.7
KA1|Kilmarnock|Ayrshire|01563|0.7
DG1|Dumfries|Dumfriesshire|01387|0.5
BT1|Belfast|County Antrim|028|0.8
BT7|Belfast|County Antrim|028|1
BT12|Belfast|County Antrim|028|1.2
BT48|Londonderry|County Londonderry|028|0.8
"""

DISTRICTS = tuple(
    District(o, t, c, a, float(w))
    for o, t, c, a, w in (line.split("|") for line in _DISTRICT_TABLE.strip().splitlines())
)

# One Trading Standards service per post town: TS services are council
# based, and the post town is the nearest thing to a council we model.
_TOWNS = sorted({d.town for d in DISTRICTS})
DISTRICT_TS = tuple(f"TS{_TOWNS.index(d.town) + 1:03d}" for d in DISTRICTS)
# Pad the pool to ~150 services: some TS own no district in our table but
# still raise tracks (e.g. a regional team following a trader elsewhere).
TS_IDS = tuple(f"TS{i:03d}" for i in range(1, max(150, len(_TOWNS)) + 1))

# Made-up brand stems and chain products, combined into further chains when a
# large data set needs more brands than CHAINS has, so that no chain gets an
# unrealistic number of branches.
CHAIN_STEMS = (
    "Kwikway", "Brightwell", "Homestead", "Valuemart", "Crestline", "Fairdeal", "Topline", "Bestway",
    "Greenway", "Redline", "Bluebird", "Castleton", "Regent", "Sterling", "Beacon", "Unity", "Evolve",
    "Northstar", "Oakleaf", "Silverbirch", "Meridian", "Lakeside", "Hartwell", "Ashford", "Kingfield",
    "Westbrook", "Eastgate", "Foxley", "Marlow", "Pemberton", "Radley", "Thornbury", "Wexford",
    "Yardley", "Ellison", "Denholm", "Frampton", "Gresley", "Holbrook", "Ravenscroft",
)  # fmt: skip
CHAIN_PRODUCTS = (
    ("Carpets", "FU20"), ("Sofas", "FU10"), ("Tyres", "MV20"), ("Phones", "EL20"), ("Opticians", "SV50"),
    ("Bathrooms", "HI50"), ("Kitchens", "HI50"), ("Furniture", "FU10"), ("Beds", "FU10"),
    ("Electricals", "EL10"), ("Pets", "GS20"), ("Car Parts", "MV20"), ("Vapes", "GS10"),
    ("Lettings", "PR10"), ("Travel", "TR10"), ("Autocentres", "MV30"), ("Home Store", "GS10"),
    ("Blinds", "FU20"), ("Gyms", "LE40"), ("Pawnbrokers", "CL20"),
)  # fmt: skip
MAX_CHAINS = len(CHAINS) + len(CHAIN_STEMS) * len(CHAIN_PRODUCTS)


def chain_brands(count: int) -> tuple[tuple[str, str, str], ...]:
    """List ``count`` chain brands as (name, goods code, website).

    Args:
        count: Number of brands, at most ``MAX_CHAINS``.

    Returns:
        ``CHAINS`` first, then made-up "stem product" brands; consecutive
        made-up brands differ in both stem and product.
    """
    n_stems, n_products = len(CHAIN_STEMS), len(CHAIN_PRODUCTS)
    made_up = []
    for i in range(max(count - len(CHAINS), 0)):
        stem = CHAIN_STEMS[i % n_stems]
        product, code = CHAIN_PRODUCTS[(i % n_stems + i // n_stems) % n_products]
        made_up.append((f"{stem} {product}", code, f"{stem}{product}".lower().replace(" ", "") + ".co.uk"))
    return (CHAINS + tuple(made_up))[:count]


# Every goods code in use, for cases filed under an unexpected code.
GOODS_CODES = tuple(
    sorted({t[1] for t in TRADES} | {x[1] for x in ONLINE_NOUNS} | {c[1] for c in CHAINS + CHAIN_PRODUCTS})
)
