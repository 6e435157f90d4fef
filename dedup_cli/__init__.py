"""The `dedup` command line: a thin face over `dedup.api`: parse options, call the API, format output.

One module per command group; importing them registers their commands on `app`. Data goes to
stdout, messages to stderr. Exit codes: 0 success, 1 a handled error, 2 a usage error, 3 imported
with rejects, 130 interrupted (Ctrl-C).
"""

from dedup_cli import (  # noqa: F401  (importing them registers the commands)
    advising_cmds,
    diff_cmd,
    match_cmds,
    merge_cmds,
    people_cmds,
    report_cmd,
    review_cmds,
    run_cmds,
    runs_cmd,
    store_cmds,
    synth_cmd,
)
from dedup_cli._app import app, run

__all__ = ["app", "run"]
