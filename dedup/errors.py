"""Errors a user can act on.

A `DedupError` is a user's mistake or a refused operation: the CLI prints its message as one
line on stderr and exits 1, never with a traceback. Anything else is a bug and keeps its traceback.
"""


class DedupError(Exception):
    """A handled failure with a one-line message for people."""


class ImportValidationError(DedupError):
    """An input file broke a rule; nothing from the import was applied."""


class SqlError(DedupError):
    """A statement failed; carries the statement so the log can show it.

    Args:
        step: name of the step that failed.
        sql: the SQL text that was run.
        cause: the database's own error.
    """

    def __init__(self, step: str, sql: str, cause: Exception):
        first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(f"step {step!r} failed: {first_line}")
        self.step = step
        self.sql = sql
        self.cause = cause


def is_interrupt(exc: BaseException) -> bool:
    """Whether `exc` is Ctrl-C: a KeyboardInterrupt, or DuckDB's interrupt of the statement it
    was running when the signal came (raised as its InterruptException, which the Runner wraps
    in a SqlError, or as "Query interrupted" from an Arrow fetch), or a KeyboardInterrupt that
    DuckDB met while it read Arrow data from Python and reported as its own error."""
    import duckdb

    if isinstance(exc, KeyboardInterrupt):
        return True
    if isinstance(exc, RuntimeError) and str(exc) == "Query interrupted":
        return True
    cause = exc.cause if isinstance(exc, SqlError) else exc.__cause__
    if isinstance(exc, duckdb.InterruptException) or isinstance(cause, duckdb.InterruptException):
        return True
    # a Ctrl-C while DuckDB read an Arrow stream from Python: "... failed: KeyboardInterrupt"
    return isinstance(cause, duckdb.Error) and "KeyboardInterrupt" in str(cause)
