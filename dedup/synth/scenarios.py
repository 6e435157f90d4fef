"""Opt-in hard scenarios: the traps that chain different businesses into one cluster.

Each scenario is a fact of the world that makes different traders look alike:

* ``virtual_offices``: formation-agent and virtual-office addresses (Kemp House, 152-160 City
  Road, London EC1V 2NX and a few others) used as the registered office of a share of the
  limited companies and online sellers, so each address carries more businesses as the table
  grows;
* ``shared_websites``: sellers quoting their storefront page on one marketplace or shop
  platform (etsy.com/uk/shop/..., ....myshopify.com), local businesses whose website is a page
  on their web designer's domain, and look-alike online sellers: different businesses with
  near-identical names and domains ("VapeNest", "Vape Nest", "VapeNest UK"; vapenest.co.uk,
  vapenest.com), some quoting the first one's website (a clone), and some of whose records
  carry nothing but the domain as the name;
* ``name_collisions``: generic names ("A1 Roofing", "Crown Perfume UK") taken by a share of
  unrelated businesses, so each name is shared by more of them as the table grows;
* ``bridging``: a duplicate record typed with its business's name but another business's
  address, postcode and phone (an adviser mixing up two callers), which links the two.

Every business a scenario touches is put in a group, as unit and neighbour groups are: its
records carry ``group_kind`` (``virtual_office``, ``shared_website``, ``lookalike``,
``name_collision``, ``bridge``) and ``group_id`` (the entity id of the group's first member) in
the truth, so an evaluation can count the clusters that merge two businesses of one group. A
bridge group is the two businesses a bridging record links (the record belongs to the one whose
name it carries). A business is in at most one group; scenarios never touch chain branches or
members of unit and neighbour groups.

Scenario draws come from their own random generator (seeded from the seed and
:data:`_STREAM`), so the main generator's draws, and so every record a scenario does not touch,
are those of the same seed without scenarios. Whole-table choices are made once in
:func:`plan_scenarios`; the text is changed per slice of entities and records, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from dedup.synth import vocab
from dedup.synth.common import (
    BRIDGE_GROUP,
    CHAIN,
    LOOKALIKE_GROUP,
    LTD,
    NAME_COLLISION_GROUP,
    NO_GROUP,
    ONLINE,
    PARTNERSHIP,
    SHARED_WEBSITE_GROUP,
    SOLE,
    VIRTUAL_OFFICE_GROUP,
    group_leaders,
    rank_in_group,
)
from dedup.synth.names import name_slug
from dedup.synth.scenario_vocab import (
    DESIGNER_WORDS,
    LOCAL_GENERIC_NAMES,
    LOOKALIKE_TLDS,
    LOOKALIKE_VARIANTS,
    LOOKALIKE_WORDS,
    ONLINE_GENERIC_NAMES,
    PLATFORMS,
    VIRTUAL_OFFICES,
)

SCENARIOS = ("virtual_offices", "shared_websites", "name_collisions", "bridging")
_STREAM = 0x5CE  # the scenarios' random stream, beside the seed

_OFFICE_P = {LTD: 0.03, ONLINE: 0.10}  # share of each kind registered at a virtual office
_OFFICE_ZIPF_S = 1.0
_OFFICE_SUITE_P = 0.15  # some give a suite number ("Suite 4B") that the address does not need

_STOREFRONT_P = 0.2  # of online sellers
_DESIGNER_P = 0.01  # of local businesses with a page on their web designer's site
_DESIGNER_CLIENTS = 5  # on average

_LOOKALIKE_P = 0.04  # of online sellers
_LOOKALIKE_PER_STEM = 3  # on average, while the stems last
_DOMAIN_AS_NAME_P = 0.2  # records of a look-alike whose name is typed as its domain
_CLONE_P = 0.3  # look-alikes (not the stem's first) quoting the first one's website: a clone

_COLLISION_P = 0.015  # of sole traders, limited companies and online sellers
_COLLISION_ZIPF_S = 0.8

_BRIDGES_PER_RECORD = 0.003
_ADDRESS_PARTS = ("unit", "building", "house", "street_name", "street_type", "street_abbr", "locality",
                  "town", "county", "postcode", "phone", "phone_area_len", "phone_alt", "phone_alt_area_len")


@dataclass
class ScenarioPlan:
    """Which entities each scenario touches, drawn once for the whole table.

    Attributes:
        rng: The scenarios' own random generator (used again slice by slice, in order).
        group: Group kind per entity (``NO_GROUP`` where no scenario touches it).
        leader: Position of the group's first entity (self where no group).
        arg: Per group kind: the virtual office, the platform (or ``len(PLATFORMS)`` + the
            designer), the look-alike stem * 64 + the seller's rank in it, the generic name, the
            bridged entity's position (-1 for the entity bridged to); -1 elsewhere.
        designer: True for a web designer's clients among the ``shared_website`` group.
        clone: True for look-alike sellers quoting the website of the stem's first seller.
    """

    rng: np.random.Generator
    group: np.ndarray
    leader: np.ndarray
    arg: np.ndarray
    designer: np.ndarray
    clone: np.ndarray


def parse_scenarios(names) -> tuple[str, ...]:
    """The scenarios asked for, in ``SCENARIOS`` order, each once.

    Raises:
        ValueError: If a name is not a scenario.
    """
    names = tuple(names)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r}: choose from {', '.join(SCENARIOS)}")
    return tuple(s for s in SCENARIOS if s in names)


def plan_scenarios(seed: int, scenarios: tuple[str, ...], kind: np.ndarray, size: np.ndarray,
                   grouped: np.ndarray, chunk: int) -> ScenarioPlan:
    """Choose the entities of each scenario asked for.

    Args:
        seed: The generator's seed.
        scenarios: Scenarios to lay out (see :func:`parse_scenarios`).
        kind: Entity kinds.
        size: Records per entity.
        grouped: True for entities already in a unit or neighbour group.
        chunk: Entities per slice (a bridge links two entities of one slice).

    Returns:
        The plan.
    """
    rng = np.random.default_rng([_STREAM, seed])
    n = len(kind)
    group = np.full(n, NO_GROUP, dtype=np.int8)
    leader = np.arange(n, dtype=np.int64)
    arg = np.full(n, -1, dtype=np.int64)
    designer = np.zeros(n, dtype=bool)
    clone = np.zeros(n, dtype=bool)
    free = ~grouped & (kind != CHAIN)

    def assign(members: np.ndarray, code: int, group_of: np.ndarray, value: np.ndarray) -> None:
        group[members] = code
        leader[members] = group_leaders(group_of, members)
        arg[members] = value
        free[members] = False

    if "virtual_offices" in scenarios:
        r = rng.random(n)
        picked = np.zeros(n, dtype=bool)
        for k, p in _OFFICE_P.items():
            picked |= free & (kind == k) & (r < p)
        members = np.flatnonzero(picked)
        office = rng.choice(len(VIRTUAL_OFFICES), size=len(members),
                            p=vocab.zipf_weights(len(VIRTUAL_OFFICES), _OFFICE_ZIPF_S))
        assign(members, VIRTUAL_OFFICE_GROUP, office, office)
    if "shared_websites" in scenarios:
        r = rng.random(n)
        members = np.flatnonzero(free & (kind == ONLINE) & (r < _STOREFRONT_P))
        platform = rng.choice(len(PLATFORMS), size=len(members), p=vocab.zipf_weights(len(PLATFORMS), 0.8))
        assign(members, SHARED_WEBSITE_GROUP, platform, platform)
        clients = np.flatnonzero(free & np.isin(kind, (SOLE, LTD, PARTNERSHIP)) & (r < _DESIGNER_P))
        site = len(PLATFORMS) + rng.integers(0, max(1, len(clients) // _DESIGNER_CLIENTS), len(clients))
        assign(clients, SHARED_WEBSITE_GROUP, site, site)
        designer[clients] = True
        members = np.flatnonzero(free & (kind == ONLINE) & (rng.random(n) < _LOOKALIKE_P))
        n_stems = len(vocab.ONLINE_NOUNS) * len(LOOKALIKE_WORDS)
        stems = rng.permutation(n_stems)[:max(1, min(n_stems, len(members) // _LOOKALIKE_PER_STEM))]
        stem = stems[rng.integers(0, len(stems), len(members))]
        rank = rank_in_group(stem, members)
        assign(members, LOOKALIKE_GROUP, stem, stem * 64 + np.minimum(rank, 63))
        clone[members] = (rank > 0) & (rng.random(len(members)) < _CLONE_P)
    if "name_collisions" in scenarios:
        r = rng.random(n)
        members = np.flatnonzero(free & np.isin(kind, (SOLE, LTD, ONLINE)) & (r < _COLLISION_P))
        online = kind[members] == ONLINE
        local_name = rng.choice(len(LOCAL_GENERIC_NAMES), size=len(members),
                                p=vocab.zipf_weights(len(LOCAL_GENERIC_NAMES), _COLLISION_ZIPF_S))
        online_name = rng.choice(len(ONLINE_GENERIC_NAMES), size=len(members),
                                 p=vocab.zipf_weights(len(ONLINE_GENERIC_NAMES), _COLLISION_ZIPF_S))
        name = np.where(online, len(LOCAL_GENERIC_NAMES) + online_name, local_name)
        assign(members, NAME_COLLISION_GROUP, name, name)
    if "bridging" in scenarios:
        _plan_bridges(rng, kind, size, free, chunk, group, leader, arg)
    return ScenarioPlan(rng, group, leader, arg, designer, clone)


def _plan_bridges(rng: np.random.Generator, kind: np.ndarray, size: np.ndarray, free: np.ndarray,
                  chunk: int, group: np.ndarray, leader: np.ndarray, arg: np.ndarray) -> None:
    """Pair entities with a duplicate record (the named business) with an addressed business of
    the same slice (whose address and phone the bridging record carries)."""
    wanted = round(_BRIDGES_PER_RECORD * int(size.sum()))
    named = np.flatnonzero(free & (size >= 2))
    named = np.sort(rng.choice(named, size=min(wanted, len(named)), replace=False)) if len(named) else named
    others = free.copy()
    others[named] = False
    others &= np.isin(kind, (SOLE, LTD, PARTNERSHIP))
    for start in range(0, len(kind), chunk):
        a = named[(named >= start) & (named < start + chunk)]
        pool = np.flatnonzero(others[start:start + chunk]) + start
        k = min(len(a), len(pool))
        a, b = a[:k], rng.choice(pool, size=k, replace=False)
        group[a] = group[b] = BRIDGE_GROUP
        leader[a] = leader[b] = a
        arg[a], arg[b] = b, -1


def _format(template: str, values: dict[str, pl.Expr]) -> pl.Expr:
    """``template`` with its ``{name}`` placeholders filled by the expressions ``values[name]``."""
    pieces, names, rest = [], [], template
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        pieces.append(before)
        names.append(values[name])
    return pl.format("{}".join([*pieces, rest]), *names)


def _lookup(index: pl.Expr, options) -> pl.Expr:
    """options[index] for a small table of strings (null outside it)."""
    return index.replace_strict(dict(enumerate(options)), default=None, return_dtype=pl.String)


def _domain_label(text: str) -> str:
    return text.lower().replace("&", "and").replace(" ", "")


def _office_columns(rng: np.random.Generator, height: int) -> dict[str, pl.Expr]:
    """Address parts of entities at a virtual office."""
    at, office = pl.col("_group") == VIRTUAL_OFFICE_GROUP, pl.col("_arg")
    parts = ("building", "house", "street_name", "street_type", "street_abbr", "locality", "postcode")
    columns = {part: pl.when(at).then(_lookup(office, [o[i] for o in VIRTUAL_OFFICES])).otherwise(part)
               for i, part in enumerate(parts)}
    suite = pl.lit(pl.Series(rng.integers(1, 400, height)).cast(pl.String))
    with_suite = pl.lit(pl.Series(rng.random(height) < _OFFICE_SUITE_P))
    columns["unit"] = pl.when(at).then(pl.when(with_suite).then(pl.lit("Suite ") + suite)).otherwise("unit")
    columns["town"] = pl.when(at).then(pl.lit("London")).otherwise("town")
    columns["county"] = pl.when(at).then(pl.lit(None, pl.String)).otherwise("county")
    return columns


def _shared_site_columns() -> dict[str, pl.Expr]:
    """Domains (host and path) of storefront sellers and of a web designer's clients."""
    name = pl.concat_str(["head", "tail"], separator=" ", ignore_nulls=True)
    # Etsy and Amazon keep the seller's capitals ("VapeNest"); the others are lower case.
    words = {"Camel": name.str.replace_all(r"[^\p{L}\p{N}]", ""), "slug": name_slug(name)}
    storefront = pl.coalesce([pl.when(pl.col("_arg") == i).then(_format(t, words)) for i, t in enumerate(PLATFORMS)])
    number = pl.col("_arg") - len(PLATFORMS)
    places = [_domain_label(w) for w in vocab.PLACE_WORDS]
    designer_site = pl.format(
        "{}{}{}.co.uk/{}",
        _lookup(number % len(places), places),
        _lookup((number // len(places)) % len(DESIGNER_WORDS), DESIGNER_WORDS),
        pl.when(number >= len(places) * len(DESIGNER_WORDS)).then(number.cast(pl.String)).otherwise(pl.lit("")),
        name_slug(name, "-"),
    )
    shared = pl.col("_group") == SHARED_WEBSITE_GROUP
    return {"domain": pl.when(shared & pl.col("_designer")).then(designer_site)
            .when(shared).then(storefront).otherwise("domain")}


def _lookalike_columns() -> dict[str, pl.Expr]:
    """Names and domains of look-alike online sellers, from their stem and rank."""
    stem, rank = pl.col("_arg") // 64, pl.col("_arg") % 64
    nouns = [noun for noun, _ in vocab.ONLINE_NOUNS]
    a = _lookup(stem // len(LOOKALIKE_WORDS), nouns)
    b = _lookup(stem % len(LOOKALIKE_WORDS), LOOKALIKE_WORDS)
    variant = rank % len(LOOKALIKE_VARIANTS)
    words = {"a": a, "b": b}
    lower = {"a": a.str.to_lowercase(), "b": b.str.to_lowercase()}
    head = pl.coalesce([pl.when(variant == i).then(_format(v[0], words)) for i, v in enumerate(LOOKALIKE_VARIANTS)])
    label = pl.coalesce([pl.when(variant == i).then(_format(v[2], lower)) for i, v in enumerate(LOOKALIKE_VARIANTS)])
    # Past the first round of variants, a registered domain is taken: the seller's is numbered.
    numbered = pl.when(rank >= len(LOOKALIKE_VARIANTS)).then(pl.col("entity_id").cast(pl.String)).otherwise(pl.lit(""))
    domain = pl.concat_str([label, numbered, _lookup(variant, LOOKALIKE_TLDS)])
    # A clone quotes the site of the stem's first seller (variant 0, not numbered).
    first_site = pl.format("{}.co.uk", _format(LOOKALIKE_VARIANTS[0][2], lower))
    domain = pl.when(pl.col("_clone")).then(first_site).otherwise(domain)
    at = pl.col("_group") == LOOKALIKE_GROUP
    return {
        "head": pl.when(at).then(head).otherwise("head"),
        "tail": pl.when(at).then(pl.lit(None, pl.String)).otherwise("tail"),
        "the": pl.when(at).then(_lookup(variant, [str(v[1]) for v in LOOKALIKE_VARIANTS]) == "True")
        .otherwise("the"),
        "domain": pl.when(at).then(domain).otherwise("domain"),
        "goods_code": pl.when(at).then(_lookup(stem // len(LOOKALIKE_WORDS), [c for _, c in vocab.ONLINE_NOUNS]))
        .otherwise("goods_code"),
    }


def _collision_columns() -> dict[str, pl.Expr]:
    """Generic names (and the domains that follow them) of the businesses sharing one."""
    names = LOCAL_GENERIC_NAMES + ONLINE_GENERIC_NAMES
    at = pl.col("_group") == NAME_COLLISION_GROUP
    head = _lookup(pl.col("_arg"), [n for n, _ in names])
    # A registered domain is one business's, and the plain one may be another's already.
    tld = pl.col("domain").str.extract(r"^[^.]+(\..*)$")
    domain = pl.concat_str([name_slug(head), pl.col("entity_id").cast(pl.String), tld])
    return {
        "head": pl.when(at).then(head).otherwise("head"),
        "tail": pl.when(at).then(pl.lit(None, pl.String)).otherwise("tail"),
        "the": pl.when(at).then(pl.lit(False)).otherwise("the"),
        "domain": pl.when(at).then(domain).otherwise("domain"),
        "goods_code": pl.when(at).then(_lookup(pl.col("_arg"), [c for _, c in names])).otherwise("goods_code"),
    }


def apply_to_entities(entities: pl.DataFrame, plan: ScenarioPlan, start: int, stop: int) -> pl.DataFrame:
    """Rewrite the entities ``start:stop`` that a scenario touches, and set their group.

    Args:
        entities: Output of :func:`dedup.synth.entities.describe_entities` for the slice.
        plan: The scenario plan.
        start: First entity position of the slice.
        stop: End (exclusive) of the slice.

    Returns:
        ``entities`` with address parts, names, domains, goods codes, ``group`` and
        ``group_leader`` (entity id) changed where a scenario says.
    """
    part = slice(start, stop)
    frame = entities.with_columns(
        _group=pl.Series(plan.group[part]), _arg=pl.Series(plan.arg[part]),
        _designer=pl.Series(plan.designer[part]), _clone=pl.Series(plan.clone[part]),
        _leader=pl.Series(plan.leader[part]),
    )
    # Each step reads the columns as the previous one left them (a collision's domain follows
    # its new name; a storefront's page is named after the seller).
    for columns in (_office_columns(plan.rng, frame.height), _collision_columns(), _lookalike_columns(),
                    _shared_site_columns()):
        frame = frame.with_columns(**columns)
    touched = pl.col("_group") != NO_GROUP
    frame = frame.with_columns(
        group=pl.when(touched).then(pl.col("_group")).otherwise("group").cast(entities["group"].dtype),
        group_leader=pl.when(touched).then(pl.col("_leader") + 1).otherwise("group_leader"),
    )
    return frame.select(entities.columns)


def bridge_records(records: pl.DataFrame, entities: pl.DataFrame, plan: ScenarioPlan, start: int) -> pl.DataFrame:
    """Give one duplicate record of each bridged business the other business's address and phone.

    Args:
        records: Output of :func:`dedup.synth.records.build_records` for the slice (grouped by
            entity, first record first).
        entities: The slice's entities (after :func:`apply_to_entities`).
        plan: The scenario plan.
        start: First entity position of the slice.

    Returns:
        ``records`` with the bridging records' address parts and phones replaced.
    """
    stop = start + entities.height
    named = np.flatnonzero((plan.group[start:stop] == BRIDGE_GROUP) & (plan.arg[start:stop] >= 0))
    if len(named) == 0:
        return records
    size = entities["size"].to_numpy()
    last_record = np.cumsum(size) - 1  # the entity's latest-built record: never its first
    rows = last_record[named]
    donors = entities.select(_ADDRESS_PARTS)[plan.arg[start:stop][named] - start]
    columns = {c: records[c].scatter(rows, donors[c]) for c in _ADDRESS_PARTS}
    return records.with_columns(**columns)


def name_records_by_domain(records: pl.DataFrame, plan: ScenarioPlan) -> pl.DataFrame:
    """Type the name of some look-alike sellers' records as their domain ("vapenest.co.uk").

    Args:
        records: Typed records of a slice, with entity_id, group and domain.
        plan: The scenario plan.

    Returns:
        ``records`` with those names replaced.
    """
    lookalike = (records["group"] == LOOKALIKE_GROUP).to_numpy()
    chosen = lookalike & (plan.rng.random(records.height) < _DOMAIN_AS_NAME_P)
    return records.with_columns(name=pl.when(pl.lit(pl.Series(chosen)) & pl.col("domain").is_not_null())
                                .then(pl.col("domain")).otherwise("name"))
