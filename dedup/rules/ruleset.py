"""Rule sets: the analysts' matching configuration, loaded from TOML into validated objects.

Every problem in a file is collected and reported at once ("3 problems in candidate.toml: ..."),
each with the key it concerns, so an analyst fixes a file in one pass.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dedup.blocking.rules import BlockingRule
from dedup.errors import DedupError
from dedup.rules.hard import HARD_RULE_CONDITIONS, HardRule
from dedup.rules.levels import Comparison, Level
from dedup.rules.merging import MergeConfig

DEFAULT_RULES = "default.toml"


@dataclass(frozen=True)
class RuleSet:
    """Everything that decides which pairs are compared, how they score and what merges.

    Args:
        name: the rule set's name.
        merge_threshold: pairs scoring at or above it merge automatically.
        review_threshold: pairs scoring at or above it (and below merge) go to review.
        blocking: blocking rules, in priority order (a pair carries the first that produced it).
        max_block_size: blocks with more records than this are skipped and reported.
        comparisons: field comparisons; a pair's score is the sum of its levels' weights.
        hard_rules: named overrides (never_match, review_only).
        max_cluster_size: clusters larger than this are never merged automatically.
        keep_apart: hard rules (by name) whose two records must never end in one cluster: a
            cluster holding such a pair is held for review (`clustering.keep_apart`).
        description: free text.
        merge: survivor order and field survivorship for merges (the optional `[merge]` table).
        text: the TOML the rule set was read from (stored with each apply run, so `dedup diff`
            can compare against the rules of the last applied run); not part of `hash`.
    """

    name: str
    merge_threshold: float
    review_threshold: float
    blocking: tuple[BlockingRule, ...]
    max_block_size: int
    comparisons: tuple[Comparison, ...]
    hard_rules: tuple[HardRule, ...]
    max_cluster_size: int
    description: str = ""
    merge: MergeConfig = MergeConfig()
    keep_apart: tuple[str, ...] = ()
    text: str = field(default="", compare=False, repr=False)

    @property
    def hash(self) -> str:
        """A short fingerprint of the rules' content (not of the file's formatting), including
        the SQL of the hard rules it names: those conditions live in code, and a release that
        changes one changes what the rule set does, so incremental runs must start afresh."""
        content = asdict(self)
        del content["text"]
        content["hard_rule_conditions"] = {h.name: HARD_RULE_CONDITIONS[h.name][0] for h in self.hard_rules}
        blob = json.dumps(content, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def default(cls) -> "RuleSet":
        """The rule set shipped with the package (dedup/rules/default.toml)."""
        return cls.from_toml_text(default_rules_text(), source=DEFAULT_RULES)

    @classmethod
    def from_toml(cls, path: str | Path) -> "RuleSet":
        """Load and validate a rule file.

        Raises:
            DedupError: listing every problem in the file.
        """
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise DedupError(f"{path}: cannot read rule file: {exc.strerror}") from exc
        return cls.from_toml_text(text, source=str(path))

    @classmethod
    def from_toml_text(cls, text: str, source: str = "<rules>") -> "RuleSet":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DedupError(f"{source}: not valid TOML: {exc}") from exc
        return cls.from_dict(data, source=source, text=text)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<rules>", text: str = "") -> "RuleSet":
        problems: list[str] = []
        loader = _Loader(problems)
        name = loader.get(data, "name", str, "name")
        thresholds = loader.table(data, "thresholds")
        merge = loader.get(thresholds, "merge", (int, float), "thresholds.merge")
        review = loader.get(thresholds, "review", (int, float), "thresholds.review")
        if isinstance(merge, (int, float)) and isinstance(review, (int, float)) and review > merge:
            problems.append("thresholds.review: must not be above thresholds.merge")
        blocking = loader.table(data, "blocking")
        max_block = loader.get(blocking, "max_block_size", int, "blocking.max_block_size")
        if isinstance(max_block, int) and max_block < 2:
            problems.append("blocking.max_block_size: must be at least 2")
        rules = [loader.build(BlockingRule, f"blocking.rules[{i}]", name=r.get("name"),
                              on=tuple(r.get("on", ())), max_block_size=r.get("max_block_size"))
                 for i, r in enumerate(loader.list_of(blocking, "rules", "blocking.rules"))]
        comparisons = []
        for i, c in enumerate(loader.list_of(data, "comparisons", "comparisons")):
            levels = [loader.build(Level, f"comparisons[{i}].levels[{j}]", **lvl)
                      for j, lvl in enumerate(loader.list_of(c, "levels", f"comparisons[{i}].levels"))]
            if None not in levels:
                comparisons.append(loader.build(Comparison, f"comparisons[{i}]",
                                                name=c.get("name"), levels=tuple(levels)))
        hard = [loader.build(HardRule, f"hard_rules[{i}]", **h)
                for i, h in enumerate(data.get("hard_rules", []))]
        clustering = loader.table(data, "clustering")
        max_cluster = loader.get(clustering, "max_cluster_size", int, "clustering.max_cluster_size")
        keep_apart = (clustering or {}).get("keep_apart", [])
        if not isinstance(keep_apart, list) or not all(isinstance(k, str) for k in keep_apart):
            problems.append("clustering.keep_apart: expected a list of hard rule names")
            keep_apart = []
        hard_names = {h.name for h in hard if h}
        problems += [f"clustering.keep_apart: {k!r} is not a hard rule of this rule set"
                     for k in keep_apart if k not in hard_names]
        merge_table = data.get("merge", {})
        if not isinstance(merge_table, dict):
            problems.append("merge: expected a table [merge]")
            merge_table = {}
        merge_config = loader.build(MergeConfig.from_table, "merge", table=merge_table)
        _check_unique(problems, "blocking.rules", [r.name for r in rules if r])
        _check_unique(problems, "comparisons", [c.name for c in comparisons if c])
        if problems:
            count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
            raise DedupError(f"{count} in {source}: " + "; ".join(problems))
        return cls(name=name, merge_threshold=float(merge), review_threshold=float(review),
                   blocking=tuple(rules), max_block_size=max_block, comparisons=tuple(comparisons),
                   hard_rules=tuple(hard), max_cluster_size=max_cluster,
                   description=data.get("description", ""), merge=merge_config,
                   keep_apart=tuple(keep_apart), text=text)


def default_rules_text() -> str:
    """The text of the packaged default rule file."""
    return resources.files("dedup.rules").joinpath(DEFAULT_RULES).read_text()


class _Loader:
    """Reads values out of parsed TOML, recording problems instead of stopping at the first."""

    def __init__(self, problems: list[str]):
        self.problems = problems

    def table(self, data: dict, key: str) -> dict | None:
        """A sub-table; None (reported once) when it is missing, so its keys are not reported too."""
        value = data.get(key)
        if not isinstance(value, dict):
            self.problems.append(f"{key}: missing table [{key}]")
            return None
        return value

    def get(self, data: dict | None, key: str, types, where: str):
        if data is None:
            return None
        value = data.get(key)
        if value is None:
            self.problems.append(f"{where}: missing")
        elif not isinstance(value, types) or isinstance(value, bool):
            self.problems.append(f"{where}: expected {_type_words(types)}, got {value!r}")
            return None
        return value

    def list_of(self, data: dict | None, key: str, where: str) -> list[dict]:
        if data is None:
            return []
        value = data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.problems.append(f"{where}: expected a non-empty list of tables")
            return []
        return value

    def build(self, cls, where: str, **kwargs):
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            self.problems.append(f"{where}: {exc}")
            return None


def _type_words(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join({int: "a whole number", float: "a number", str: "text"}[t] for t in types)


def _check_unique(problems: list[str], where: str, names: list[str]) -> None:
    seen = set()
    for name in names:
        if name in seen:
            problems.append(f"{where}: name {name!r} is used twice")
        seen.add(name)
