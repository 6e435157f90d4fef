"""What advisers and Trading Standards use every day: trader search, the duplicate check, and the
creation gate it guards. Each on the overnight job's normaliser, blocking rules and rule set."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dedup.api._common import PathLike, RulesLike, load_rules, open_existing
from dedup.creation import create_trader
from dedup.errors import DedupError
from dedup.incremental import run_since
from dedup.matcher import BANDS, CheckResult, recent_once, search_once
from dedup.matcher import Matcher as CoreMatcher
from dedup.pipeline import StageHook
from dedup.search import SearchResult
from dedup.store import Store
from dedup.users import acting_user

__all__ = ["BANDS", "Matcher", "SearchResult", "TraderCheck", "add_trader", "check_trader", "recent_traders",
           "search_traders"]

@dataclass
class TraderCheck:
    """What `check_trader` found.

    Attributes:
        candidates: the live records most likely to be the trader, ranked: rank, trader_id, band
            (merge, review, weak), score, hold_reason (why a merge-band pair is only review: the
            cluster would be held back), survivor_id (the live record it will be after the next
            overnight run), name, address, postcode, phone, website, blocking_rule and explanation
            (a struct: comparisons with label, level, weight and the new and existing normalised
            values; hard_rules fired).
        merge_into: the record the trader would be merged into tonight, or None.
        normalised: the trader's fields as the engine normalises them.
        reference: the reference it was checked as: the next free one, which `add_trader` gives.
    """

    candidates: pl.DataFrame
    merge_into: int | None
    normalised: dict
    reference: int


def _trader_check(result: CheckResult) -> TraderCheck:
    return TraderCheck(result.candidates, result.merge_into, result.normalised, result.probe_id)


class Matcher:
    """The duplicate check and trader search, kept loaded: `dedup.Matcher(db)` opens the store
    read-only and, once, runs the pipeline as the next overnight run would (for each record's
    cluster survivor) and loads the normalised table, term frequencies and block keys; each
    `check_trader` then costs one normalised record and a few scored pairs. Close it (or use it
    as a context manager): while it is open, writers in other processes (`dedup run --apply`,
    `dedup import`) are refused the store, as DuckDB allows one writing process or readers.

        >>> with dedup.Matcher("demo.duckdb") as m:
        ...     m.check_trader(name="Mabels Boutique", postcode="TR1 1AU").candidates

    Args:
        db: the store.
        rules: a RuleSet, a rule file, or None for the packaged default (the overnight job's).
        today: the date tracks and certificates count as active on (default: today).
        full: the pending run compares every record, not only those new since the last apply.
        on_stage: progress hook for the pending run.
    """

    def __init__(self, db: PathLike, rules: RulesLike = None, *, today: dt.date | None = None,
                 full: bool = False, on_stage: StageHook | None = None):
        rule_set = load_rules(rules)
        self.store = open_existing(db)
        try:
            self._matcher = CoreMatcher(self.store, rule_set, today=today, on_stage=on_stage,
                                        since=run_since(self.store.runner, rule_set, full=full))
        except BaseException:
            self.store.close()
            raise

    def check_trader(self, *, name: str, address: str | None = None, postcode: str | None = None,
                     phone: str | None = None, website: str | None = None, limit: int | None = 10) -> TraderCheck:
        """`dedup check`: the live records most likely to be this trader (at most `limit`)."""
        if limit is not None and limit < 1:
            raise DedupError(f"--limit {limit}: at least 1")
        return _trader_check(self._matcher.check(name=name, address=address, postcode=postcode, phone=phone,
                                                 website=website, limit=limit))

    def search(self, name: str, *, address_contains: str | None = None, postcode: str | None = None,
               limit: int = 100) -> SearchResult:
        """`dedup search`: see `search_traders`."""
        return self._matcher.search(name, address_contains=address_contains, postcode=postcode, limit=limit)

    def recent(self, as_user: str, *, limit: int = 100) -> SearchResult:
        """`dedup search --recent`: see `recent_traders`."""
        return self._matcher.recent(_ts_of(self.store, as_user), limit=limit)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Matcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _ts_of(store: Store, as_user: str | None) -> str:
    user = acting_user(store.runner, as_user)
    if not user.ts_id:
        raise DedupError(f"user {user.user_id} ({user.role}) has no Trading Standards service (ts_id): "
                         f"recently added traders are those in a TS's areas")
    return user.ts_id


def check_trader(db: PathLike, *, name: str, address: str | None = None, postcode: str | None = None,
                 phone: str | None = None, website: str | None = None, rules: RulesLike = None,
                 today: dt.date | None = None, full: bool = False, limit: int | None = 10) -> TraderCheck:
    """`dedup check` once: a `Matcher` for one check (keep a Matcher for many)."""
    with Matcher(db, rules, today=today, full=full) as matcher:
        return matcher.check_trader(name=name, address=address, postcode=postcode, phone=phone,
                                    website=website, limit=limit)


def search_traders(db: PathLike, name: str, *, address_contains: str | None = None, postcode: str | None = None,
                   today: dt.date | None = None, limit: int = 100) -> SearchResult:
    """`dedup search NAME`: live traders whose normalised name begins with NAME's, optionally whose
    address contains `address_contains` and with `postcode` (any spacing or case); merged records
    are found as their survivor, once; at most 100, newest first, with `tracked` / `certified`
    marks (an active track / certificate). `.rows` and `.total` (all matches)."""
    with open_existing(db) as store:
        return search_once(store, name, address_contains=address_contains, postcode=postcode,
                                       today=today or dt.date.today(), limit=limit)


def recent_traders(db: PathLike, *, as_user: str, today: dt.date | None = None, limit: int = 100) -> SearchResult:
    """`dedup search --recent --as USER`: live traders created in the last 30 days whose postcode
    maps to the user's TS (`ts_areas`), newest first."""
    with open_existing(db) as store:
        return recent_once(store, _ts_of(store, as_user), today=today or dt.date.today(), limit=limit)


def add_trader(db: PathLike, *, as_user: str, name: str, address: str | None = None, postcode: str | None = None,
               phone: str | None = None, website: str | None = None, force: bool = False,
               reason: str | None = None, rules: RulesLike = None, today: dt.date | None = None) -> dict:
    """`dedup traders add`: create a trader after the duplicate check (`dedup.creation`): refused
    for a restricted user, a whitelisted trader's name, or a live record in the merge band (which
    `force` with a `reason` overrides); audited. Returns the new record with `overridden` and the
    check's merge and review `candidates`."""
    rule_set = load_rules(rules)
    with open_existing(db, read_only=False) as store:
        return create_trader(store, rule_set, as_user=as_user, name=name, address=address, postcode=postcode,
                             phone=phone, website=website, force=force, reason=reason, today=today,
                             since=run_since(store.runner, rule_set, full=False))
