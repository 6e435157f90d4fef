"""trader-dedup: keeps a trader database free of duplicate trader records.

The names an analyst's notebook needs; nothing else is promised.
"""

from dedup.errors import DedupError
from dedup.pipeline import RunResult, run_pipeline
from dedup.rules import RuleSet
from dedup.store import Store

__all__ = ["DedupError", "RuleSet", "RunResult", "Store", "run_pipeline"]
