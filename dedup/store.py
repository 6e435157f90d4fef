"""The DuckDB store: where it lives, how it is opened, and its versioned schema.

A store is one DuckDB file. Its schema is applied by numbered migrations recorded in
`schema_migrations`, so a store written by an older version upgrades in place the next time a
writing command opens it. Read-only opens (dry runs) never migrate and never write.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dedup.errors import DedupError
from dedup.normalise.cache import added_columns_sqls, cache_schema_sqls
from dedup.proposal_reasons import BACKFILL_REASONS
from dedup.schema import IMPORT_TABLES, TableSpec
from dedup.sql import Runner, SqlStep, quote_ident

DEFAULT_DB = "traders.duckdb"
DB_ENV = "DEDUP_DB"


def resolve_db_path(db: str | os.PathLike | None) -> Path:
    """The store's path: `--db`, else `$DEDUP_DB`, else ./traders.duckdb."""
    return Path(db or os.environ.get(DB_ENV) or DEFAULT_DB)


def create_table_sql(spec: TableSpec, version: int | None = None, if_not_exists: bool = False) -> SqlStep:
    """DDL for one import table, from its spec: with `version`, only the columns it had at that
    schema version (a later migration adds the others)."""
    cols = []
    for c in spec.columns:
        if version is not None and c.since > version:
            continue
        col = f"{quote_ident(c.name)} {c.type}"
        if c.name == spec.key:
            col += " PRIMARY KEY"
        elif c.not_null:
            col += " NOT NULL"
        if c.name == "status":
            col += " NOT NULL DEFAULT 'active'"
        cols.append(col)
    create = "CREATE TABLE IF NOT EXISTS" if if_not_exists else "CREATE TABLE"
    return SqlStep(f"create {spec.name}", f"{create} {quote_ident(spec.name)} (\n  " + ",\n  ".join(cols) + "\n)")


def _initial_schema_sqls() -> list[SqlStep]:
    steps = [create_table_sql(spec, 1) for spec in IMPORT_TABLES if spec.since == 1]
    steps += [
        SqlStep("create runs", """
            CREATE TABLE runs (
              run_id BIGINT PRIMARY KEY,
              started_at TIMESTAMP NOT NULL,
              finished_at TIMESTAMP,
              mode VARCHAR NOT NULL,          -- 'apply' | 'accept' | 'undo'
              rules_name VARCHAR,
              rules_hash VARCHAR,
              status VARCHAR NOT NULL,        -- 'running' | 'succeeded' | 'failed' | 'interrupted'
              summary JSON
            )"""),
        SqlStep("create imports", """
            CREATE TABLE imports (
              import_id BIGINT PRIMARY KEY,
              imported_at TIMESTAMP NOT NULL,
              table_name VARCHAR NOT NULL,
              source VARCHAR NOT NULL,
              rows_inserted BIGINT NOT NULL,
              rows_updated BIGINT NOT NULL
            )"""),
    ]
    return steps


def _merge_schema_sqls() -> list[SqlStep]:
    """Migration 2: the audit of merges, the child rows they moved, and review proposals.

    Merged traders keep their row (status 'merged', merged_into = survivor); `trader_resolution`
    follows merged_into chains (A -> B -> C) so an old reference always finds the live record.
    """
    return [
        SqlStep("create merges", """
            CREATE TABLE merges (
              merge_id BIGINT PRIMARY KEY,
              run_id BIGINT NOT NULL,          -- the apply run that merged
              survivor_id BIGINT NOT NULL,
              merged_id BIGINT NOT NULL,
              score DOUBLE,                    -- of the pair explained (NULL: clusters given directly)
              explanation JSON,                -- levels, labels, weights, hard rules, score, band
              rules_name VARCHAR,
              rules_hash VARCHAR NOT NULL,
              merged_record JSON NOT NULL,     -- the merged trader row as it was before the merge
              -- survivor fields filled from the merged record, as text (updated_at included):
              field_changes STRUCT(field VARCHAR, old_value VARCHAR, new_value VARCHAR)[] NOT NULL,
              merged_at TIMESTAMP NOT NULL,
              undone_at TIMESTAMP,
              undone_by BIGINT                 -- the undo run
            )"""),
        SqlStep("create merge_moves", """
            CREATE TABLE merge_moves (
              merge_id BIGINT NOT NULL,
              table_name VARCHAR NOT NULL,     -- 'cases' | 'tracks' | 'certificates'
              row_id BIGINT NOT NULL,          -- the child row's own key, moved to the survivor
              run_id BIGINT NOT NULL           -- the run that moved it (a later run moves rows an
                                               -- import attached to the merged record since)
            )"""),
        SqlStep("create proposals", """
            CREATE TABLE proposals (
              proposal_id BIGINT PRIMARY KEY,
              run_id BIGINT NOT NULL,
              kind VARCHAR NOT NULL,           -- 'pair' (review band) | 'held_cluster'
              trader_ids BIGINT[] NOT NULL,    -- sorted
              score DOUBLE,
              explanation JSON,
              status VARCHAR NOT NULL DEFAULT 'open',
              created_at TIMESTAMP NOT NULL
            )"""),
        SqlStep("create trader_resolution", """
            CREATE VIEW trader_resolution AS
            WITH RECURSIVE hop(trader_id, resolved_id, hops) AS (
                SELECT trader_id, trader_id, 0 FROM traders
                UNION ALL
                SELECT hop.trader_id, t.merged_into, hop.hops + 1
                FROM hop JOIN traders t ON t.trader_id = hop.resolved_id
                WHERE t.status = 'merged' AND t.merged_into IS NOT NULL AND hop.hops < 100)
            SELECT trader_id, arg_max(resolved_id, hops) AS resolved_id, max(hops) AS hops
            FROM hop GROUP BY trader_id"""),
    ]


def _review_schema_sqls() -> list[SqlStep]:
    """Migration 3: review decisions, and how and why a proposal was closed."""
    return [
        SqlStep("create decisions", """
            CREATE TABLE decisions (
              decision_id BIGINT PRIMARY KEY,
              trader_ids BIGINT[] NOT NULL,    -- sorted
              kind VARCHAR NOT NULL,           -- 'never_merge' (a rejection) | 'always_merge'
              decided_by VARCHAR NOT NULL,
              note VARCHAR,
              decided_at TIMESTAMP NOT NULL,
              proposal_id BIGINT,              -- the proposal decided, if any
              record_versions TIMESTAMP[],     -- the traders' updated_at then, in trader_ids order
              withdrawn_at TIMESTAMP,
              withdrawn_by VARCHAR
            )"""),
        SqlStep("proposals closed_at", "ALTER TABLE proposals ADD COLUMN closed_at TIMESTAMP"),
        SqlStep("proposals closed_reason", "ALTER TABLE proposals ADD COLUMN closed_reason VARCHAR"),
        SqlStep("proposals decided_by", "ALTER TABLE proposals ADD COLUMN decided_by VARCHAR"),
    ]


def _rule_sets_schema_sqls() -> list[SqlStep]:
    """Migration 4: the text of every rule set an apply run used, by hash."""
    return [SqlStep("create rule_sets", """
        CREATE TABLE rule_sets (
          rules_hash VARCHAR PRIMARY KEY,
          name VARCHAR NOT NULL,
          text VARCHAR NOT NULL,           -- the TOML as read
          first_used_at TIMESTAMP NOT NULL
        )""")]


def _proposal_reason_sqls() -> list[SqlStep]:
    """Migration 6: why each proposal is in the queue (`dedup.proposal_reasons`), and the status
    'undone' for an accepted proposal whose merge was undone (undo sets it from now on)."""
    return [SqlStep("proposals reason", "ALTER TABLE proposals ADD COLUMN reason VARCHAR"),
            *BACKFILL_REASONS,
            SqlStep("undone accepted proposals", """
                UPDATE proposals SET status = 'undone',
                       closed_reason = coalesce(closed_reason || '; ', '') || 'merge undone by run ' || u.run
                FROM (SELECT TRY_CAST(explanation ->> '$.accepted_proposal' AS BIGINT) AS proposal_id,
                             max(undone_by) AS run
                      FROM merges WHERE undone_by IS NOT NULL GROUP BY ALL) u
                WHERE proposals.proposal_id = u.proposal_id AND proposals.status = 'accepted'""")]


def _spec_changes_sqls(version: int) -> list[SqlStep]:
    """The import tables and columns the specs say `version` added (`TableSpec.since`,
    `Column.since`); each only if it is not there yet, so the migration can run again."""
    steps = [create_table_sql(spec, if_not_exists=True) for spec in IMPORT_TABLES if spec.since == version]
    steps += [SqlStep(f"{spec.name} {c.name}", f"ALTER TABLE {quote_ident(spec.name)} "
                                               f"ADD COLUMN IF NOT EXISTS {quote_ident(c.name)} {c.type}")
              for spec in IMPORT_TABLES if spec.since < version for c in spec.columns if c.since == version]
    return steps


def _people_schema_sqls() -> list[SqlStep]:
    """Migration 8: who is who (users, the postcode areas of each TS), cases.opened_by, and the
    audit of what people do through the engine (a trader created, a refusal overridden, a user
    added or disabled): who, when, the row before and after, and why."""
    return [*_spec_changes_sqls(8), SqlStep("create audit_log", """
        CREATE TABLE IF NOT EXISTS audit_log (
          audit_id BIGINT PRIMARY KEY,
          acted_at TIMESTAMP NOT NULL,
          user_id VARCHAR,                 -- who acted (NULL: the engine, or no users yet)
          action VARCHAR NOT NULL,         -- e.g. 'trader created', 'user disabled'
          table_name VARCHAR NOT NULL,     -- the table the row is in
          row_id VARCHAR NOT NULL,         -- its key, as text
          before JSON,                     -- the row before (NULL: created)
          after JSON,                      -- the row after (NULL: deleted)
          reason VARCHAR,                  -- an override's reason
          details JSON                     -- e.g. the duplicate check's candidates an override passed
        )""")]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    steps: tuple[SqlStep, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "traders, cases, tracks, certificates, whitelist, runs, imports",
              tuple(_initial_schema_sqls())),
    Migration(2, "merges, merge_moves, proposals, trader_resolution", tuple(_merge_schema_sqls())),
    Migration(3, "decisions; proposals closed_at, closed_reason, decided_by",
              tuple(_review_schema_sqls())),
    Migration(4, "rule_sets", tuple(_rule_sets_schema_sqls())),
    Migration(5, "trader_normalised (cache of normalised fields)", tuple(cache_schema_sqls())),
    Migration(6, "proposals reason; status undone", tuple(_proposal_reason_sqls())),
    Migration(7, "trader_normalised postal_code_other", tuple(added_columns_sqls())),
    Migration(8, "users, ts_areas, cases.opened_by, audit_log", tuple(_people_schema_sqls())),
)
LATEST_VERSION = MIGRATIONS[-1].version


def schema_version(runner: Runner) -> int:
    """The store's schema version; 0 for an empty database."""
    exists = runner.scalar(SqlStep(
        "has migrations table",
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations' "
        "AND database_name = current_database() AND NOT temporary"))
    if not exists:
        return 0
    return runner.scalar(SqlStep("schema version",
                                 "SELECT coalesce(max(version), 0) FROM schema_migrations"))


def migrate(runner: Runner, target: int = LATEST_VERSION) -> list[int]:
    """Apply pending migrations up to `target`, each in its own transaction.

    Returns:
        The versions applied (empty when the store was already current).
    """
    runner.run(SqlStep("create migrations table", """
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL
        )"""))
    current = schema_version(runner)
    if current > LATEST_VERSION:
        raise DedupError(f"the store is at schema version {current}, newer than this "
                         f"trader-dedup understands ({LATEST_VERSION}); upgrade trader-dedup")
    applied = []
    for m in MIGRATIONS:
        if current < m.version <= target:
            with runner.transaction(f"migration {m.version}"):
                runner.run(m.steps)
                runner.run(SqlStep("record migration",
                                   "INSERT INTO schema_migrations VALUES (?, ?, now())",
                                   (m.version, m.description)))
            applied.append(m.version)
    return applied


class Store:
    """An open store: a DuckDB connection and its runner.

    Use as a context manager so the connection closes (and DuckDB's file lock is released).

    Args:
        path: the DuckDB file.
        read_only: open without write access; the schema must already be current.
    """

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise DedupError(f"no store at {self.path} (create one with 'dedup import' "
                             f"or 'dedup demo')")
        check_store_file(self.path)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                # DuckDB's file lock: another process has the store open for writing.
                raise DedupError(f"the store {self.path} is in use by another process: "
                                 f"is an apply running?") from exc
            raise DedupError(f"cannot open store {self.path}: {_first_line(exc)}") from exc
        except duckdb.Error as exc:
            raise DedupError(f"{self.path} is not a trader-dedup store: {_first_line(exc)}") from exc
        self.runner = Runner(self.con)
        if self.runner.scalar(SqlStep("store path", "SELECT path FROM duckdb_databases() "
                                      "WHERE database_name = current_database()")) is None:
            # DuckDB opens a path it takes for a data file (x.csv, x.parquet) as an in-memory
            # database: everything written would be lost when the command ends.
            self.close()
            raise DedupError(not_a_store(self.path))
        self._limit_memory()
        # DuckDB draws its own progress bar on stdout for long queries, where it would corrupt a
        # command's data (`--json`, `--csv`); the CLI shows progress on stderr itself.
        self.runner.run(SqlStep("no progress bar", "SET enable_progress_bar = false"))
        if read_only:
            version = schema_version(self.runner)
            if version != LATEST_VERSION:
                self.close()
                raise DedupError(f"{self.path} is at schema version {version}, expected "
                                 f"{LATEST_VERSION}; run 'dedup init --db {self.path}' to upgrade it")
        else:
            migrate(self.runner)

    def _limit_memory(self) -> None:
        """DuckDB's buffer manager may use `memory_limit`: $DEDUP_MEMORY_LIMIT (e.g. '8GB'), else
        half the machine's memory rather than DuckDB's default of 80%, because the pipeline's
        polars and numpy work lives in the same process, outside DuckDB's accounting (DuckDB's
        own advice against out-of-memory kills is 50-60%). Past the limit DuckDB spills to its
        temporary directory next to the store."""
        limit = os.environ.get("DEDUP_MEMORY_LIMIT", "").strip() or _half_of_memory()
        if limit is None:
            return
        if not MEMORY_SIZE.fullmatch(limit):
            self.close()
            raise DedupError(f"DEDUP_MEMORY_LIMIT {limit!r}: expected a size such as 8GB or 512MB")
        self.runner.run(SqlStep("memory limit", f"SET memory_limit = '{limit}'"))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def counts(self) -> dict[str, int]:
        """Row counts of the domain tables, for summaries."""
        return {spec.name: self.runner.scalar(SqlStep(f"count {spec.name}",
                                                      f"SELECT count(*) FROM {quote_ident(spec.name)}"))
                for spec in IMPORT_TABLES}


#: Every DuckDB database file has these bytes at this offset (its format's magic number).
DUCKDB_MAGIC, DUCKDB_MAGIC_OFFSET = b"DUCK", 8


def not_a_store(path: Path) -> str:
    return f"{path} is not a trader-dedup store (not a DuckDB file)"


def check_store_file(path: Path) -> None:
    """Refuse, with one line, a store path that is a folder or a file DuckDB did not write (a
    CSV given as --db, say), before DuckDB is asked to open it."""
    if path.is_dir():
        raise DedupError(f"{path} is a folder, not a trader-dedup store (a DuckDB file)")
    if not path.is_file():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    except OSError as exc:
        raise DedupError(f"cannot open store {path}: {exc.strerror}") from exc
    if head[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC:
        raise DedupError(not_a_store(path))


MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _half_of_memory() -> str | None:
    """Half the machine's physical memory as a DuckDB size, or None where it cannot be read."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    return f"{max(total // 2 // 2**20, 256)}MiB"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
