"""How advisers mistype: the generator's own model of slips, independent of the normaliser.

Nothing here is shared with :mod:`dedup.normalise` (a test keeps it so): if the generator made
exactly the slips the normaliser forgives, recall measured on its data would partly be measured
against itself. The model has three parts.

* **Keys.** Neighbours come from the geometry of a UK QWERTY keyboard (rows staggered as on the
  keys, the top row of digits included) and of a numeric keypad, not from a list: a key's
  neighbours are the keys within :data:`_REACH` key widths of it, and a neighbour along the same
  row is twice as likely to be hit as one in the row above or below (the finger moves sideways
  more than up or down); a digit above a letter is the least likely.
* **Slips.** One slip is one of :data:`OPS`: a neighbouring key typed instead (substitute), a
  letter left out (delete), a neighbouring key typed as well (insert), a letter doubled, two
  letters swapped (transpose), a spelling that sounds the same (respell: "Thomson" for
  "Thompson", "Karpets" for "Carpets", "Philips" for "Phillips"), a letter misread from
  handwriting or a scan (lookalike: "rn" for "m", "cl" for "d", "0" for "O"), two words run
  together (join) or a space typed inside a word (split). Each field has its own mix
  (:data:`NAME_SLIPS`, :data:`POSTCODE_SLIPS`, :data:`PHONE_SLIPS`). Damerau (1964) found over
  80% of misspellings to be one letter substituted, left out, added or two swapped; the mixes
  give those four most of the weight and the rest to the errors of a name heard on the phone,
  read off a letter or copied from a web page. The shares are this project's judgement, not
  measured figures.
* **Abbreviations** advisers use for trade words ("Bros", "Maint", "Imps", "D/Glazing"):
  :data:`ABBREVIATIONS`, some of which the normaliser expands and some it does not.

The first letter is seldom wrong (advisers search on how a name begins, and a wrong first
letter is noticed): a slip lands on it with chance :attr:`SlipModel.first_letter_p`.

Everything is vectorised: a slip is string surgery in polars expressions over the rows that
get one, and a spelling rule is applied to all rows that drew it at once (one pass per rule,
never per row). All draws come from the generator's one random generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

OPS = ("substitute", "delete", "insert", "double", "transpose", "respell", "lookalike", "join", "split")
SUBSTITUTE, DELETE, INSERT, DOUBLE, TRANSPOSE, RESPELL, LOOKALIKE, JOIN, SPLIT = range(len(OPS))

# Key rows as (keys, offset of the first key from the left edge, in key widths).
_QWERTY_ROWS = (("1234567890", 0.0), ("qwertyuiop", 0.5), ("asdfghjkl", 0.75), ("zxcvbnm", 1.25))
_KEYPAD_ROWS = (("789", 0.0), ("456", 0.0), ("123", 0.0), ("0", 0.5))  # 0 is a double-width key
_REACH = 1.3  # key widths: the (up to six) keys touching a key, diagonals included
_SAME_ROW, _OTHER_ROW, _DIGIT_ABOVE = 4, 2, 1  # relative chances of hitting each neighbour


def key_neighbours(rows: tuple[tuple[str, float], ...]) -> dict[str, str]:
    """Each key's neighbours as a string in which a neighbour appears as often as it is likely.

    A uniform pick of one character of the string is then a weighted pick of a neighbour.

    Args:
        rows: Key rows, top first, as (keys, offset of the row's first key in key widths).

    Returns:
        Key -> its neighbours, repeated by their relative chance.
    """
    where = {key: (offset + i, y) for y, (keys, offset) in enumerate(rows) for i, key in enumerate(keys)}
    table = {}
    for key, (x, y) in where.items():
        out = []
        for other, (ox, oy) in where.items():
            if other == key or math.hypot(ox - x, oy - y) > _REACH:
                continue
            weight = _SAME_ROW if oy == y else _DIGIT_ABOVE if other.isdigit() and not key.isdigit() else _OTHER_ROW
            out.append(other * weight)
        table[key] = "".join(out)
    return table


_QWERTY = key_neighbours(_QWERTY_ROWS)
_KEYPAD = key_neighbours(_KEYPAD_ROWS)
_LETTERS = {k: v for k, v in _QWERTY.items() if k.isalpha()}
# A letter's neighbours keep its case (shift is held for the whole word part).
LETTER_KEYS = {**_LETTERS, **{k.upper(): v.upper() for k, v in _LETTERS.items()}}
# Digits are typed on the top row or a keypad: both sets of neighbours.
DIGIT_KEYS = {d: "".join(c for c in _QWERTY[d] if c.isdigit()) + _KEYPAD[d] for d in "0123456789"}
# A postcode is typed in capitals: letters next to letters, digits next to digits.
POSTCODE_KEYS = {**{k.upper(): v.upper() for k, v in _LETTERS.items()}, **DIGIT_KEYS}

# Rules are (regex, replacement, weight); the replacement may use ${1}. One rule is drawn among
# those that apply to a value, in proportion to its weight, and changes the first match.
Rule = tuple[str, str, float]

# Names as heard on the phone: spellings that sound alike.
_HEARD_NAMES: tuple[Rule, ...] = tuple(
    (rf"\b{a}\b", b, 3.0)
    for a, b in (
        ("Thompson", "Thomson"), ("Thomson", "Thompson"), ("Clarke", "Clark"), ("Clark", "Clarke"),
        ("Stephens", "Stevens"), ("Stevens", "Stephens"), ("Mohammed", "Muhammad"), ("Mohammed", "Mohamed"),
        ("Reid", "Reed"), ("Reed", "Reid"), ("Gray", "Grey"), ("Neil", "Neal"), ("Allen", "Allan"),
        ("Phillips", "Philips"), ("Matthews", "Mathews"), ("Davies", "Davis"), ("Davis", "Davies"),
        ("Brown", "Browne"), ("Cook", "Cooke"), ("Hussain", "Hussein"), ("Ahmed", "Ahmad"),
        ("Lloyd", "Loyd"), ("MacLeod", "McLeod"), ("McDonald", "MacDonald"), ("Jon", "John"),
        ("Sean", "Shaun"), ("Steven", "Stephen"), ("Philip", "Phillip"), ("Mathew", "Matthew"),
        ("Kelly", "Kelley"), ("Murray", "Murrey"), ("Shah", "Sha"), ("Singh", "Sing"),
        ("Nowak", "Novak"), ("Kowalski", "Kovalski"), ("Begum", "Begam"), ("Owen", "Owens"),
    )
)  # fmt: skip
# Letter groups that sound alike, anywhere in a word.
_SOUNDS: tuple[Rule, ...] = (
    ("ph", "f", 1.0), ("Ph", "F", 1.0), (r"\bC([aou])", "K${1}", 1.0), (r"\bK([aou])", "C${1}", 0.5),
    ("ck", "k", 1.0), ("qu", "kw", 0.5), (r"\bQu", "Kw", 1.0), ("ee", "ea", 1.0), ("ea", "ee", 1.0),
    ("ie", "ei", 1.0), ("ei", "ie", 1.0), ("ou", "ow", 0.5), ("ow", "ou", 0.5), ("ai", "ay", 0.5),
    ("ay", "ai", 0.5), ("y", "i", 0.5), ("([^aeiou ])i([^aeiou ])", "${1}y${2}", 0.3), ("tion", "sion", 1.0),
    ("ise", "ize", 0.5), ("ize", "ise", 0.5), ("our", "or", 0.5), (r"tre\b", "ter", 1.0), ("z", "s", 0.5),
    (r"([a-z])s\b", "${1}z", 0.2), ("ks", "x", 0.5), ("x", "cks", 0.3), ("wh", "w", 1.0), (r"gh\b", "", 0.3),
    ("ll", "l", 1.0), ("ss", "s", 1.0), ("tt", "t", 1.0), ("nn", "n", 1.0), ("mm", "m", 1.0),
    ("pp", "p", 1.0), ("rr", "r", 1.0), ("ff", "f", 1.0), (r"ke\b", "k", 0.5), (r"wne\b", "wn", 1.0),
    (r"ey\b", "y", 0.5), (r"([a-z])y\b", "${1}ie", 0.3), ("th", "t", 0.2), ("oo", "u", 0.2),
)  # fmt: skip
RESPELLINGS: tuple[Rule, ...] = _HEARD_NAMES + _SOUNDS

# Letters misread from handwriting, a fax or a scanned letter.
NAME_LOOKALIKES: tuple[Rule, ...] = (
    ("m", "rn", 1.0), ("rn", "m", 2.0), ("d", "cl", 1.0), ("cl", "d", 2.0), ("i", "l", 1.0),
    ("l", "i", 1.0), ("l", "1", 0.5), ("e", "c", 0.5), ("c", "e", 0.5), ("h", "b", 0.5),
    ("w", "vv", 0.5), ("O", "0", 0.5), ("S", "5", 0.3), ("u", "v", 0.3), ("n", "h", 0.3),
)  # fmt: skip
POSTCODE_LOOKALIKES: tuple[Rule, ...] = tuple(
    (a, b, 1.0) for a, b in (("0", "O"), ("O", "0"), ("1", "I"), ("I", "1"), ("5", "S"), ("S", "5"),
                             ("8", "B"), ("B", "8"), ("2", "Z"), ("Z", "2"), ("6", "G"), ("G", "6"))
)  # fmt: skip

# Trade words as advisers shorten them.
ABBREVIATIONS: tuple[Rule, ...] = tuple(
    (rf"\b{a}\b", b, 1.0)
    for a, b in (
        ("Brothers", "Bros"), ("Services", "Servs"), ("Services", "Svcs"), ("Electrical", "Elec"),
        ("Electrical", "Elect"), ("Engineering", "Eng"), ("Motors", "Mtrs"), ("Centre", "Ctr"),
        ("Maintenance", "Maint"), ("Property", "Prop"), ("Improvements", "Imps"),
        ("Improvements", "Improv"), ("Conservatories", "Conservs"), ("Heating", "Htg"),
        ("Building", "Bldg"), ("Builders", "Bldrs"), ("Company", "Co"), ("Kitchens", "Kitch"),
        ("Double Glazing", "D/Glazing"), ("Double Glazing", "Dbl Glazing"), ("Scaffolding", "Scaff"),
        ("Repairs", "Reps"), ("Vehicle", "Veh"), ("Management", "Mgmt"), ("Decorating", "Dec"),
        ("Furniture", "Furn"), ("Plumbing & Heating", "P&H"), ("Plumbing", "Plumb"),
        ("Accountants", "Accts"), ("Motorcycles", "M/Cycles"), ("Photography", "Photo"),
        ("Computers", "Comp"), ("Systems", "Sys"), ("Holdings", "Hldgs"), ("Group", "Grp"),
        ("Surveyors", "Survs"), ("International", "Intl"), ("Landscaping", "Landscapes"),
        ("Estate Agents", "Estates"), ("Conversions", "Convs"), ("Supplement", "Supp"),
    )
)  # fmt: skip


@dataclass(frozen=True)
class SlipModel:
    """How one kind of field is mistyped.

    Attributes:
        op_p: Chance of each of :data:`OPS`, given a slip.
        keys: Character -> its neighbours (repeated by likelihood).
        respellings: Rules for ``respell``.
        lookalikes: Rules for ``lookalike``.
        first_letter_p: Chance that a slip at a position lands on the first character.
    """

    op_p: tuple[float, ...]
    keys: dict[str, str]
    respellings: tuple[Rule, ...] = ()
    lookalikes: tuple[Rule, ...] = ()
    first_letter_p: float = 0.03

    def __post_init__(self) -> None:
        if len(self.op_p) != len(OPS) or not math.isclose(sum(self.op_p), 1.0):
            raise ValueError("op_p needs one chance per op, adding up to 1")


#: Names and streets: keys and the sound of the name in equal measure.
NAME_SLIPS = SlipModel(
    #     sub   del   ins   dbl   swap  resp  look  join  split
    op_p=(0.22, 0.17, 0.09, 0.07, 0.14, 0.17, 0.03, 0.06, 0.05),
    keys=LETTER_KEYS, respellings=RESPELLINGS, lookalikes=NAME_LOOKALIKES,
)  # fmt: skip
#: Postcodes: keys, digits misread as letters and back, swapped characters.
POSTCODE_SLIPS = SlipModel(
    op_p=(0.30, 0.12, 0.0, 0.08, 0.22, 0.0, 0.28, 0.0, 0.0), keys=POSTCODE_KEYS,
    lookalikes=POSTCODE_LOOKALIKES, first_letter_p=0.05,
)  # fmt: skip
#: Phone digits: keypad and top-row neighbours, and the classic swapped pair.
PHONE_SLIPS = SlipModel(op_p=(0.40, 0.15, 0.0, 0.12, 0.33, 0.0, 0.0, 0.0, 0.0), keys=DIGIT_KEYS,
                        first_letter_p=0.0)


@dataclass(frozen=True)
class SlipDraws:
    """The random draws of one slip per value, aligned with the values.

    They are drawn for every record of a table (:meth:`draw`) and then taken for the records
    that get a slip (:meth:`take`), so how many values a slip touches or which rules apply to
    them never shifts the generator's later draws: records whose text is the same get the same
    slips, whatever happened to other records.
    """

    op: np.ndarray  # index into OPS, drawn by the model's op_p
    u: np.ndarray  # position (or which space to lose)
    v: np.ndarray  # which neighbouring key
    first: np.ndarray  # uniform: below first_letter_p, the slip lands on the first character
    key: np.ndarray  # uint64 seed of the rule choice

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, model: SlipModel) -> SlipDraws:
        return cls(op=rng.choice(len(OPS), size=n, p=model.op_p).astype(np.int8), u=rng.random(n),
                   v=rng.random(n), first=rng.random(n), key=rng.integers(0, 2**63, n, dtype=np.uint64))

    def take(self, rows: np.ndarray) -> SlipDraws:
        return SlipDraws(self.op[rows], self.u[rows], self.v[rows], self.first[rows], self.key[rows])


def _rule_keys(key: np.ndarray, n_rules: int) -> np.ndarray:
    """Uniforms in [0, 1) per (value, rule), hashed from each value's key (SplitMix64's finaliser)."""
    with np.errstate(over="ignore"):
        x = key[:, None] + np.arange(1, n_rules + 1, dtype=np.uint64)[None, :] * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / 2.0**53


def apply_rules(values: pl.Series, rules: tuple[Rule, ...], key: np.ndarray) -> tuple[pl.Series, np.ndarray]:
    """Change each value by one rule drawn among those that match it.

    Args:
        values: String values.
        rules: (regex, replacement, weight) rules.
        key: A uint64 random key per value (the rule is drawn from it).

    Returns:
        The changed values (unchanged where no rule matches) and a mask of the values changed.
    """
    if len(values) == 0:
        return values, np.zeros(0, dtype=bool)
    matches = np.column_stack([values.str.contains(p).fill_null(False).to_numpy() for p, _, _ in rules])
    # Weighted sampling by the largest u ** (1 / weight) (Efraimidis and Spirakis, 2006).
    weights = np.array([w for _, _, w in rules])
    keys = np.where(matches, _rule_keys(key, len(rules)) ** (1 / weights), -1.0)
    chosen = keys.argmax(axis=1)
    applied = matches.any(axis=1)
    out = values.clone()
    for r in np.unique(chosen[applied]):
        rows = np.flatnonzero(applied & (chosen == r))
        pattern, replacement, _ = rules[r]
        out.scatter(rows, values.gather(rows).str.replace(pattern, replacement, n=1))
    return out, applied & (out != values).fill_null(False).to_numpy()


def _join_words(values: pl.Series, u: np.ndarray) -> tuple[pl.Series, np.ndarray]:
    """Run two words together: one space, drawn among the value's spaces by ``u``, is left out."""
    spaces = values.str.count_matches(" ", literal=True).fill_null(0).to_numpy()
    nth = np.floor(u * spaces).astype(np.int64)
    out = values.clone()
    for k in np.unique(nth[spaces > 0]):
        rows = np.flatnonzero((spaces > 0) & (nth == k))
        out.scatter(rows, values.gather(rows).str.replace(rf"^((?:[^ ]* ){{{k}}}[^ ]*) ", "${1}", n=1))
    return out, spaces > 0


def _at_position(model: SlipModel) -> pl.Expr:
    """One slip at a position of column ``s``, by the draw columns ``_op``, ``_pos``, ``_v``."""
    s, pos, op = pl.col("s"), pl.col("_pos"), pl.col("_op")
    before, ch, after = s.str.slice(0, pos), s.str.slice(pos, 1), s.str.slice(pos + 1)
    near = ch.replace_strict(model.keys, default=None, return_dtype=pl.String)
    neighbour = near.str.slice((pl.col("_v") * near.str.len_chars()).floor().cast(pl.Int64), 1)
    substitute = pl.concat_str([before, neighbour.fill_null(ch), after])
    letters = s.str.slice(pos - 1, 2).str.contains(r"^\p{L}\p{L}$")
    return (
        pl.when(op == DELETE).then(pl.concat_str([before, after]))
        .when(op == INSERT).then(pl.concat_str([before, ch, neighbour.fill_null(ch), after]))
        .when(op == DOUBLE).then(pl.concat_str([before, ch, ch, after]))
        .when(op == TRANSPOSE).then(pl.concat_str([before, s.str.slice(pos + 1, 1), ch, s.str.slice(pos + 2)]))
        .when((op == SPLIT) & letters & (pos > 0)).then(pl.concat_str([before, pl.lit(" "), ch, after]))
        .otherwise(substitute)
    )  # fmt: skip


def slip(values: pl.Series, model: SlipModel, draws: SlipDraws) -> pl.Series:
    """Give every value one slip drawn from ``model``.

    A rule-based slip (respell, lookalike, join) that finds nothing to change in a value becomes
    a substitution, so the slip rate does not depend on the words. Values should have at least
    two characters; shorter ones may come back unchanged.

    Args:
        values: String values (no nulls).
        model: The field's slip model.
        draws: The values' draws (:meth:`SlipDraws.draw` with the same model, then ``take``).

    Returns:
        The values with their slip, in the same order.
    """
    n = len(values)
    op = draws.op.copy()
    out = values.clone()
    done = np.zeros(n, dtype=bool)
    for code, change in (
        (RESPELL, lambda v, rows: apply_rules(v, model.respellings, draws.key[rows])),
        (LOOKALIKE, lambda v, rows: apply_rules(v, model.lookalikes, draws.key[rows])),
        (JOIN, lambda v, rows: _join_words(v, draws.u[rows])),
    ):
        rows = np.flatnonzero(op == code)
        if len(rows) == 0:
            continue
        typed, changed = change(values.gather(rows), rows)
        out.scatter(rows[changed], typed.filter(pl.Series(changed)))
        done[rows[changed]] = True
    op[~done & np.isin(op, (RESPELL, LOOKALIKE, JOIN))] = SUBSTITUTE
    rows = np.flatnonzero(~done)
    length = values.gather(rows).str.len_chars().to_numpy().astype(np.int64)
    pos = np.where(draws.first[rows] < model.first_letter_p, 0,
                   1 + np.floor(draws.u[rows] * np.maximum(length - 2, 0)).astype(np.int64))
    # A swap needs a character after the position.
    pos = np.where(op[rows] == TRANSPOSE, np.minimum(pos, np.maximum(length - 2, 0)), pos)
    frame = pl.DataFrame({"s": values.gather(rows), "_op": op[rows], "_pos": pos, "_v": draws.v[rows]})
    out.scatter(rows, frame.select(_at_position(model)).to_series())
    return out
