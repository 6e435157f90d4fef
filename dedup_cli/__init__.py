"""The `dedup` command line: parse options, call the core, format output.

One module per command group; importing them registers their commands on `app`. Data goes to
stdout, messages to stderr. Exit codes: 0 success, 1 a handled error, 2 a usage error, 3 imported
with rejects, 130 interrupted (Ctrl-C).
"""

from dedup_cli import diff_cmd, match_cmds, merge_cmds, report_cmd, review_cmds, run_cmds, store_cmds, synth_cmd  # noqa: F401  (registers the commands)
from dedup_cli._app import app

__all__ = ["app"]
