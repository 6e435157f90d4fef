"""The creation gate: a new trader record only after the duplicate check (`dedup traders add`).

Refused, with one line naming the reason (and the existing record's reference):

1. for a user who may not create traders: a restricted user (the source system's restricted
   role), or a role that does not create traders (`dedup.users.PERMISSIONS`);
2. when the name equals a live whitelisted trader's name (the normalised names are equal):
   whitelisting is what stops a second record with the same name, so this is never overridden;
3. when a live record is in the merge band (the check's `merge`: the overnight job would merge
   the new record into it). A user who may create traders may override this one refusal with
   `force` and a `reason`.

The record gets the next free 8-digit reference (the one the check scored it as), `created_at`
now and `created_by` the user; the creation, and an override with its reason and the candidates
it passed, are audited (`audit_log`) in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from dedup import audit_log
from dedup.errors import DedupError
from dedup.import_checks import MAX_ADDRESS_LINES
from dedup.matcher import CheckResult, Matcher, next_reference
from dedup.rules.ruleset import RuleSet
from dedup.sql import SqlStep, quote_ident
from dedup.store import Store
from dedup.users import acting_user, require

CREATED = "trader created"
OVERRIDDEN = "trader created over the duplicate check"


def _check_fields(name: str, address: str | None, force: bool, reason: str | None) -> None:
    if not name or not name.strip():
        raise DedupError("--name: the trader's name is required")
    if address and len(address.split(",")) > MAX_ADDRESS_LINES:
        raise DedupError(f"--address: {len(address.split(','))} comma-separated lines "
                         f"(at most {MAX_ADDRESS_LINES}, one address line between commas)")
    if force and not (reason and reason.strip()):
        raise DedupError("--force needs --reason TEXT: why this is not the existing record")
    if reason and not force:
        raise DedupError("--reason goes with --force (an override of the duplicate check)")


def _whitelisted_namesake(matcher: Matcher, name_norm: str) -> tuple | None:
    return matcher.runner.fetchone(SqlStep("whitelisted namesake", f"""
        SELECT t.trader_id, t.name FROM {quote_ident(matcher.base.normalised)} n JOIN traders t USING (trader_id)
        WHERE n.whitelisted AND n.name_norm = ? ORDER BY t.trader_id LIMIT 1""", (name_norm,)))


def _describe(row: dict) -> str:
    where = ", ".join(v for v in (row["address"], row["postcode"]) if v)
    return f"{row['trader_id']} ({row['name']}{', ' + where if where else ''})"


def merge_band_refusal(check: CheckResult) -> str | None:
    """The one-line refusal when a live record is in the merge band, naming the best one."""
    merge = check.candidates.filter(check.candidates["band"] == "merge")
    if merge.is_empty():
        return None
    best = merge.row(0, named=True)
    more = f" (and {merge.height - 1} more in the merge band)" if merge.height > 1 else ""
    return (f"refused: {_describe(best)} is this trader by the duplicate check (merge band, score "
            f"{best['score']:.1f}){more}; use that record, or create anyway with --force --reason TEXT")


def create_trader(store: Store, rules: RuleSet, *, as_user: str | None, name: str, address: str | None = None,
                  postcode: str | None = None, phone: str | None = None, website: str | None = None,
                  force: bool = False, reason: str | None = None, today: dt.date | None = None,
                  since: dt.datetime | None = None) -> dict:
    """Create a trader if the gate lets it through (see the module's docstring).

    Returns:
        The new record (trader_id, name, address, postcode, phone, website, created_at,
        created_by), `overridden` (whether --force passed merge-band records) and `candidates`
        (the check's merge and review bands, as dicts).
    """
    runner = store.runner
    user = acting_user(runner, as_user)
    require(user, "create_trader")
    _check_fields(name, address, force, reason)
    matcher = Matcher(store, rules, today=today, since=since, pending=False)
    check = matcher.check(name=name, address=address, postcode=postcode, phone=phone, website=website, limit=None)
    namesake = _whitelisted_namesake(matcher, check.normalised["name_norm"])
    if namesake is not None:
        raise DedupError(f"refused: {name!r} is the name of whitelisted trader {namesake[0]} ({namesake[1]}): "
                         f"whitelisting keeps a second record of that name from being created")
    refusal = merge_band_refusal(check)
    if refusal and not force:
        raise DedupError(refusal)
    banded = check.candidates.filter(check.candidates["band"].is_in(["merge", "review"]))
    passed = [{"trader_id": r["trader_id"], "band": r["band"], "score": r["score"]}
              for r in banded.iter_rows(named=True) if r["band"] == "merge"]
    with runner.transaction("create trader"):
        trader_id = next_reference(runner)
        if trader_id != check.probe_id:  # the store changed under the check (cannot while we hold it)
            raise DedupError("the store changed during the duplicate check; try again")
        runner.run(SqlStep("create trader", """
            INSERT INTO traders (trader_id, name, address, postcode, phone, website, created_at, created_by,
                                 status, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, 'active', now()::TIMESTAMP)""",
                           (trader_id, name.strip(), address, postcode, phone, website, user.user_id)))
        overridden = bool(refusal)
        audit_log.record(runner, user_id=user.user_id, action=OVERRIDDEN if overridden else CREATED,
                         table_name="traders", row_id=trader_id,
                         after=audit_log.row_json(runner, "traders", "trader_id", trader_id),
                         reason=reason.strip() if overridden else None,
                         details={"merge_band": passed} if overridden else None)
    created = runner.frame(SqlStep("created trader", "SELECT trader_id, name, address, postcode, phone, website, "
                                                     "created_at, created_by FROM traders WHERE trader_id = ?",
                                   (trader_id,))).row(0, named=True)
    return {**created, "overridden": overridden,
            "candidates": banded.drop("explanation").to_dicts()}
