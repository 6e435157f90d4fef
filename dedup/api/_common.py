"""What every API function shares: paths, rule sets, opening the store."""

from __future__ import annotations

import os
from pathlib import Path

from dedup.errors import DedupError
from dedup.rules.ruleset import RuleSet
from dedup.store import Store, resolve_db_path

PathLike = str | os.PathLike
RulesLike = RuleSet | PathLike | None

__all__ = ["PathLike", "RulesLike", "load_rules", "open_existing", "resolve_db_path"]


def load_rules(rules: RulesLike = None) -> RuleSet:
    """A RuleSet, a rule file's path, or None for the packaged default: the one way every
    function (and every command's `--rules`) loads a rule set."""
    if rules is None:
        return RuleSet.default()
    if isinstance(rules, RuleSet):
        return rules
    return RuleSet.from_toml(rules)


def open_existing(db: PathLike, *, read_only: bool = True) -> Store:
    """Open a store that must already exist (only `import_data` and `init_store` create one)."""
    path = Path(db)
    if not path.exists():
        raise DedupError(f"no store at {path} (create one with 'dedup import' or 'dedup demo')")
    return Store(path, read_only=read_only)
