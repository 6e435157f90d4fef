"""Who is who: the users who act on the store, their roles, and the TS areas.

A command that acts for someone takes `--as USER`; `acting_user` resolves it (an unknown or
disabled user is refused with one line) and `require` says whether the user may do what they
ask. What a role may do is written once, in `PERMISSIONS`:

- everyone may search and run the duplicate check;
- advisers, operations staff and admins may create traders, unless the user is `restricted`
  (the source system's restricted role); Trading Standards users add tracks and certificates to
  existing traders, they do not create traders;
- "my recently added traders" needs a user with a TS (`ts_id`), whose areas (`ts_areas`) say
  which postcodes are theirs;
- only an admin adds or disables users, except that a store with no active admin takes its first
  users (the admin among them) without `--as`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import polars as pl

from dedup import audit_log
from dedup.errors import DedupError
from dedup.schema import ROLES
from dedup.sql import Runner, SqlStep

#: action -> the roles that may do it (restricted users never create traders).
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "search": ROLES,
    "check": ROLES,
    "create_trader": ("adviser", "operations", "admin"),
    "manage_users": ("admin",),
}
ACTION_WORDS = {"create_trader": "create traders", "manage_users": "add or disable users",
                "search": "search traders", "check": "run the duplicate check"}
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
USER_COLUMNS = "user_id, display_name, role, ts_id, centre, coalesce(restricted, FALSE) AS restricted, disabled_at"


@dataclass(frozen=True)
class User:
    """A user as the store holds them."""

    user_id: str
    display_name: str | None
    role: str
    ts_id: str | None
    centre: str | None
    restricted: bool
    disabled_at: object = None

    def may(self, action: str) -> bool:
        """Whether this user may do `action` (a key of PERMISSIONS)."""
        if action == "create_trader" and self.restricted:
            return False
        return self.role in PERMISSIONS[action]


def find_user(runner: Runner, user_id: str) -> User | None:
    row = runner.fetchone(SqlStep("find user", f"SELECT {USER_COLUMNS} FROM users WHERE user_id = ?",
                                  (user_id,)))
    return None if row is None else User(*row)


def acting_user(runner: Runner, user_id: str | None, option: str = "--as") -> User:
    """The user a command acts for: refused with one line when none is given, or the user is not
    in the store or is disabled."""
    if not user_id:
        raise DedupError(f"give {option} USER: the user this is done for")
    user = find_user(runner, user_id)
    if user is None:
        raise DedupError(f"{option} {user_id}: no such user (see 'dedup users list')")
    if user.disabled_at is not None:
        raise DedupError(f"{option} {user_id}: the user is disabled")
    return user


def require(user: User, action: str) -> None:
    """Refuse (one line) a user who may not do `action`."""
    if user.may(action):
        return
    if action == "create_trader" and user.restricted:
        raise DedupError(f"user {user.user_id} is restricted: a restricted user may not create traders")
    allowed = ", ".join(PERMISSIONS[action])
    raise DedupError(f"user {user.user_id} ({user.role}) may not {ACTION_WORDS[action]} "
                     f"(only {allowed} users may)")


def _manager(runner: Runner, actor_id: str | None) -> str | None:
    """The admin adding or disabling users; None is allowed only while no active admin exists."""
    if actor_id is None:
        admins = runner.scalar(SqlStep("active admins", "SELECT count(*) FROM users "
                                                        "WHERE role = 'admin' AND disabled_at IS NULL"))
        if admins:
            raise DedupError("give --as ADMIN: only an admin adds or disables users")
        return None
    actor = acting_user(runner, actor_id)
    require(actor, "manage_users")
    return actor.user_id


def add_user(runner: Runner, *, actor: str | None, user_id: str, role: str, display_name: str | None = None,
             ts_id: str | None = None, centre: str | None = None, restricted: bool = False) -> User:
    """Add a user (audited, one transaction). A `ts` user needs a `ts_id`."""
    if not USER_ID.fullmatch(user_id or ""):
        raise DedupError(f"user id {user_id!r}: use letters, digits and . _ @ - (at most 64, no spaces)")
    if role not in ROLES:
        raise DedupError(f"--role {role!r}: one of {', '.join(ROLES)}")
    if role == "ts" and not ts_id:
        raise DedupError("--ts-id: a ts user needs the ts_id of their Trading Standards service")
    with runner.transaction("add user"):
        by = _manager(runner, actor)
        if find_user(runner, user_id) is not None:
            raise DedupError(f"user {user_id} already exists")
        runner.run(SqlStep("add user", "INSERT INTO users (user_id, display_name, role, ts_id, centre, restricted) "
                                       "VALUES (?, ?, ?, ?, ?, ?)",
                           (user_id, display_name, role, ts_id, centre, restricted)))
        audit_log.record(runner, user_id=by, action="user added", table_name="users", row_id=user_id,
                         after=audit_log.row_json(runner, "users", "user_id", user_id))
    return find_user(runner, user_id)


def disable_user(runner: Runner, *, actor: str | None, user_id: str) -> User:
    """Disable a user (audited): they can no longer act (`--as`); their past work keeps their id."""
    with runner.transaction("disable user"):
        by = _manager(runner, actor)
        user = find_user(runner, user_id)
        if user is None:
            raise DedupError(f"no such user {user_id}")
        if user.disabled_at is not None:
            raise DedupError(f"user {user_id} is already disabled")
        if by == user_id:
            raise DedupError(f"user {user_id} may not disable themselves")
        before = audit_log.row_json(runner, "users", "user_id", user_id)
        runner.run(SqlStep("disable user", "UPDATE users SET disabled_at = now()::TIMESTAMP WHERE user_id = ?",
                           (user_id,)))
        audit_log.record(runner, user_id=by, action="user disabled", table_name="users", row_id=user_id,
                         before=before, after=audit_log.row_json(runner, "users", "user_id", user_id))
    return find_user(runner, user_id)


def list_users(runner: Runner, *, role: str | None = None, include_disabled: bool = False) -> pl.DataFrame:
    """Users by id, with their TS's name where the TS areas give one."""
    if role is not None and role not in ROLES:
        raise DedupError(f"--role {role!r}: one of {', '.join(ROLES)}")
    where = ["(? IS NULL OR role = ?)"] + ([] if include_disabled else ["disabled_at IS NULL"])
    return runner.frame(SqlStep("list users", f"""
        SELECT u.*, n.ts_name FROM (SELECT {USER_COLUMNS} FROM users WHERE {' AND '.join(where)}) u
        LEFT JOIN (SELECT ts_id, min(ts_name) AS ts_name FROM ts_areas GROUP BY ts_id) n USING (ts_id)
        ORDER BY user_id""", (role, role)))


def user_dict(user: User) -> dict:
    return asdict(user)


def ts_of_postcode_expr(district: str, area: str) -> str:
    """SQL: the TS whose areas cover a postcode, from its district (`TR1`) if listed, else its area
    (`TR`); `district` and `area` are SQL expressions (normalised postcode columns)."""
    return (f"coalesce((SELECT ts_id FROM ts_areas WHERE postcode_prefix = {district}), "
            f"(SELECT ts_id FROM ts_areas WHERE postcode_prefix = {area}))")
