"""`dedup.sql`: the one place SQL runs. Steps, identifier quoting, the Runner's fetches and
errors, transactions, and Ctrl-C held back while COMMIT runs. Real DuckDB files in tmp_path."""

from __future__ import annotations

import logging
import os
import signal
import threading

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.errors import SqlError, is_interrupt
from dedup.sql import Runner, SqlStep, quote_ident, sigint_deferred


@pytest.fixture
def runner(tmp_path):
    con = duckdb.connect(str(tmp_path / "sql.duckdb"))
    yield Runner(con)
    con.close()


def reopened(path) -> duckdb.DuckDBPyConnection:
    """A second, fresh connection to the file: it sees only what was committed."""
    return duckdb.connect(str(path), read_only=True)


# --- SqlStep and quote_ident --------------------------------------------------------------------

def test_bound_gives_a_list_for_positional_and_a_dict_for_named_parameters():
    assert SqlStep("s", "SELECT ?", (1,)).bound() == [1]
    assert SqlStep("s", "SELECT $a", {"a": 1}).bound() == {"a": 1}
    assert SqlStep("s", "SELECT 1").bound() == []


def test_quote_ident_doubles_embedded_quotes():
    assert quote_ident("plain") == '"plain"'
    assert quote_ident('a"b') == '"a""b"'
    assert quote_ident('"; DROP TABLE traders; --') == '"""; DROP TABLE traders; --"'


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    con = duckdb.connect(str(tmp_path_factory.mktemp("quote") / "q.duckdb"))
    yield con
    con.close()


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               min_size=1, max_size=30))
def test_any_name_survives_quoting_as_a_table_and_a_column(scratch, name):
    """Whatever the name (quotes, semicolons, spaces, non-ASCII), the quoted form names exactly
    that table and column: nothing of it is read as SQL."""
    scratch.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(name)} ({quote_ident(name)} INTEGER)")
    try:
        scratch.execute(f"INSERT INTO {quote_ident(name)} VALUES (7)")
        cursor = scratch.execute(f"SELECT {quote_ident(name)} FROM {quote_ident(name)}")
        assert [d[0] for d in cursor.description] == [name]
        assert cursor.fetchall() == [(7,)]
        tables = scratch.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
        assert tables == [(name,)]
    finally:
        scratch.execute(f"DROP TABLE {quote_ident(name)}")


# --- Runner: running and fetching ---------------------------------------------------------------

def test_run_executes_steps_in_order_with_their_parameters(runner):
    runner.run([SqlStep("create", "CREATE TABLE t (i INTEGER, s VARCHAR)"),
                SqlStep("one", "INSERT INTO t VALUES (?, ?)", (1, "a")),
                SqlStep("two", "INSERT INTO t VALUES ($i, $s)", {"i": 2, "s": "it's"})])
    runner.run(SqlStep("three", "INSERT INTO t SELECT max(i) + 1, 'c' FROM t"))  # sees the two before
    assert runner.fetchall(SqlStep("all", "SELECT * FROM t ORDER BY i")) == [(1, "a"), (2, "it's"), (3, "c")]


def test_fetchone_and_scalar_give_the_first_row_or_none(runner):
    runner.run(SqlStep("create", "CREATE TABLE t AS SELECT range AS i FROM range(5)"))
    assert runner.fetchone(SqlStep("rows", "SELECT i, i * 2 FROM t WHERE i >= 3 ORDER BY i")) == (3, 6)
    assert runner.scalar(SqlStep("count", "SELECT count(*) FROM t")) == 5
    assert runner.fetchone(SqlStep("none", "SELECT i FROM t WHERE i > 9")) is None
    assert runner.scalar(SqlStep("none", "SELECT i FROM t WHERE i > 9")) is None
    # the rest of a result is drained: the next statement runs on the same connection
    assert runner.scalar(SqlStep("after", "SELECT 'next'")) == "next"


def test_frame_keeps_types_and_nulls(runner):
    frame = runner.frame(SqlStep("frame", "SELECT * FROM (VALUES (1::BIGINT, 'a', [1, 2]), "
                                          "(NULL, NULL, NULL)) v(i, s, l) ORDER BY i NULLS LAST"))
    assert frame.schema == pl.Schema({"i": pl.Int64, "s": pl.String, "l": pl.List(pl.Int32)})
    assert frame.to_dicts() == [{"i": 1, "s": "a", "l": [1, 2]}, {"i": None, "s": None, "l": None}]
    named = runner.frame(SqlStep("named", "SELECT $x::INTEGER AS x", {"x": 4}))
    assert named["x"].to_list() == [4]


def test_register_materialises_a_frame_and_leaves_no_view_behind(runner):
    runner.register("given", pl.DataFrame({"trader_id": [3, 1], "name": ["O'Neill", None]}))
    runner.register("given", pl.DataFrame({"trader_id": [5], "name": ["again"]}))  # replaced
    assert runner.fetchall(SqlStep("rows", "SELECT * FROM given")) == [(5, "again")]
    views = runner.fetchall(SqlStep("views", "SELECT view_name FROM duckdb_views() "
                                             "WHERE view_name LIKE '__dedup__view_%'"))
    assert views == []


@pytest.mark.parametrize("fetch", ["run", "fetchall", "fetchone", "scalar", "frame"])
def test_a_failing_step_is_a_sql_error_naming_the_step_and_keeping_the_statement(runner, fetch):
    step = SqlStep("count the missing", "SELECT count(*) FROM no_such_table")
    with pytest.raises(SqlError) as caught:
        getattr(runner, fetch)(step)
    error = caught.value
    assert error.step == "count the missing" and error.sql == step.sql
    assert isinstance(error.cause, duckdb.Error)
    message = str(error)
    assert message.startswith("step 'count the missing' failed: ") and "no_such_table" in message
    assert "\n" not in message
    assert runner.scalar(SqlStep("still usable", "SELECT 1")) == 1


def test_each_step_is_logged_by_name_and_a_failure_with_its_statement(runner, caplog):
    with caplog.at_level(logging.DEBUG, logger="dedup.sql"):
        runner.run(SqlStep("the good one", "SELECT 1"))
        with pytest.raises(SqlError):
            runner.run(SqlStep("the bad one", "SELECT nope"))
    messages = [r.getMessage() for r in caplog.records if r.name == "dedup.sql"]
    assert any(m.startswith("ran the good one in ") for m in messages)
    assert any(m.startswith("failed the bad one:") and "SELECT nope" in m for m in messages)


# --- transactions -------------------------------------------------------------------------------

@pytest.fixture
def store_file(tmp_path):
    path = tmp_path / "tx.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t (i INTEGER)")
    return path


def rows_on_disk(path) -> list[tuple]:
    with reopened(path) as con:
        return con.execute("SELECT i FROM t ORDER BY i").fetchall()


def test_a_transaction_commits_when_its_block_ends_and_is_counted(store_file):
    con = duckdb.connect(str(store_file))
    runner, before = Runner(con), Runner.commits
    with runner.transaction("two rows"):
        runner.run([SqlStep("a", "INSERT INTO t VALUES (1)"), SqlStep("b", "INSERT INTO t VALUES (2)")])
    con.close()
    assert rows_on_disk(store_file) == [(1,), (2,)]
    assert Runner.commits == before + 1


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_an_exception_in_the_block_rolls_everything_back(store_file, error):
    con = duckdb.connect(str(store_file))
    runner, before = Runner(con), Runner.commits
    with pytest.raises(type(error)):
        with runner.transaction("doomed"):
            runner.run(SqlStep("a", "INSERT INTO t VALUES (1)"))
            raise error
    # the connection is out of the transaction and usable; nothing of it was kept or counted
    runner.run(SqlStep("after", "INSERT INTO t VALUES (9)"))
    con.close()
    assert rows_on_disk(store_file) == [(9,)]
    assert Runner.commits == before


def test_a_failing_statement_rolls_the_transaction_back(store_file):
    con = duckdb.connect(str(store_file))
    runner = Runner(con)
    with pytest.raises(SqlError):
        with runner.transaction():
            runner.run([SqlStep("a", "INSERT INTO t VALUES (1)"),
                        SqlStep("b", "INSERT INTO t VALUES ('not a number')")])
    con.close()
    assert rows_on_disk(store_file) == []


class CtrlCAfterCommit(Runner):
    """A runner on a real connection that delivers a real SIGINT to this process right after
    DuckDB has run COMMIT: the moment a user's Ctrl-C is most misleading."""

    def _execute(self, step, *, as_relation=False):
        result = super()._execute(step, as_relation=as_relation)
        if step.sql == "COMMIT":
            os.kill(os.getpid(), signal.SIGINT)
        return result


def test_ctrl_c_during_commit_waits_until_the_commit_is_counted(store_file):
    """Without the deferral the KeyboardInterrupt would surface after DuckDB committed but before
    the commit was counted, and the CLI would say "nothing was changed" about saved work."""
    handler = signal.getsignal(signal.SIGINT)
    con = duckdb.connect(str(store_file))
    runner, before = CtrlCAfterCommit(con), Runner.commits
    with pytest.raises(KeyboardInterrupt) as caught:
        with runner.transaction("interrupted"):
            runner.run(SqlStep("a", "INSERT INTO t VALUES (1)"))
    con.close()
    assert is_interrupt(caught.value)
    assert Runner.commits == before + 1
    assert rows_on_disk(store_file) == [(1,)]
    assert signal.getsignal(signal.SIGINT) is handler   # the user's handler is back


def test_the_deferral_holds_a_signal_until_the_block_ends_and_restores_the_handler():
    handler, reached = signal.getsignal(signal.SIGINT), []
    with pytest.raises(KeyboardInterrupt):
        with sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("after the signal")
    assert reached == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is handler
    with sigint_deferred():   # no signal, nothing raised
        reached.append("quiet")
    assert reached[-1] == "quiet"


def test_off_the_main_thread_the_block_runs_without_touching_signal_handlers(store_file):
    """Signal handlers can only be set on the main thread: a worker thread's transaction must
    still commit (and not fail with ValueError)."""
    outcome = []

    def work():
        try:
            con = duckdb.connect(str(store_file))
            runner = Runner(con)
            with runner.transaction("in a thread"):
                runner.run(SqlStep("a", "INSERT INTO t VALUES (5)"))
            con.close()
            outcome.append("committed")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            outcome.append(repr(exc))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert outcome == ["committed"]
    assert rows_on_disk(store_file) == [(5,)]
