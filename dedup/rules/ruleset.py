"""Rule sets: the analysts' matching configuration, loaded from TOML into validated objects.

Every problem in a file is collected and reported at once ("3 problems in candidate.toml: ..."),
each with the key it concerns, so an analyst fixes a file in one pass. A key no table knows is
one of them, with the closest known key ("comparisons[0].levels[1]: unknown key 'tf_adjst' (did
you mean 'tf_adjust'?)"): a misspelt key is never silently ignored.
"""

from __future__ import annotations

import dataclasses
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
from dedup.rules.keys import unknown_keys
from dedup.rules.levels import Comparison, Level
from dedup.rules.merging import MERGE_KEYS, MergeConfig
from dedup.rules.shared import SharedEvidence

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
        shared_evidence: evidence whose weight falls with the number of different businesses
            holding it (`[[shared_evidence]]`, see `dedup.rules.shared`).
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
    shared_evidence: tuple[SharedEvidence, ...] = ()
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
    def default(cls) -> RuleSet:
        """The rule set shipped with the package (dedup/rules/default.toml)."""
        return cls.from_toml_text(default_rules_text(), source=DEFAULT_RULES)

    @classmethod
    def from_toml(cls, path: str | Path) -> RuleSet:
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
    def from_toml_text(cls, text: str, source: str = "<rules>") -> RuleSet:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DedupError(f"{source}: not valid TOML: {exc}") from exc
        return cls.from_dict(data, source=source, text=text)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<rules>", text: str = "") -> RuleSet:
        problems: list[str] = []
        loader = _Loader(problems)
        loader.keys(data, TOP_LEVEL_KEYS, "")
        name = loader.get(data, "name", str, "name")
        thresholds = loader.table(data, "thresholds", THRESHOLD_KEYS)
        merge = loader.get(thresholds, "merge", (int, float), "thresholds.merge")
        review = loader.get(thresholds, "review", (int, float), "thresholds.review")
        if isinstance(merge, (int, float)) and isinstance(review, (int, float)) and review > merge:
            problems.append("thresholds.review: must not be above thresholds.merge")
        blocking = loader.table(data, "blocking", BLOCKING_KEYS)
        max_block = loader.get(blocking, "max_block_size", int, "blocking.max_block_size")
        if isinstance(max_block, int) and max_block < 2:
            problems.append("blocking.max_block_size: must be at least 2")
        rules = []
        for i, r in enumerate(loader.list_of(blocking, "rules", "blocking.rules")):
            where = f"blocking.rules[{i}]"
            if loader.keys(r, _fields(BlockingRule), where) and loader.required(r, ("name", "on"), where):
                rules.append(loader.build(BlockingRule, where, name=r["name"], on=tuple(r["on"]),
                                          max_block_size=r.get("max_block_size")))
        comparisons = []
        for i, c in enumerate(loader.list_of(data, "comparisons", "comparisons")):
            where = f"comparisons[{i}]"
            known = loader.keys(c, _fields(Comparison), where)
            levels = [loader.build_from(Level, f"{where}.levels[{j}]", lvl)
                      for j, lvl in enumerate(loader.list_of(c, "levels", f"{where}.levels"))]
            if known and levels and None not in levels and loader.required(c, ("name",), where):
                comparisons.append(loader.build(Comparison, where, name=c["name"],
                                                levels=tuple(levels)))
        hard = [loader.build_from(HardRule, f"hard_rules[{i}]", h)
                for i, h in enumerate(loader.list_of(data, "hard_rules", "hard_rules", optional=True))]
        shared = [loader.build_from(SharedEvidence, f"shared_evidence[{i}]", e) for i, e in
                  enumerate(loader.list_of(data, "shared_evidence", "shared_evidence", optional=True))]
        clustering = loader.table(data, "clustering", CLUSTERING_KEYS)
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
        loader.keys(merge_table, MERGE_KEYS, "merge")
        merge_config = loader.build(MergeConfig.from_table, "merge",
                                    table={k: v for k, v in merge_table.items() if k in MERGE_KEYS})
        _check_unique(problems, "blocking.rules", [r.name for r in rules if r])
        _check_unique(problems, "comparisons", [c.name for c in comparisons if c])
        _check_unique(problems, "shared_evidence", [e.name for e in shared if e])
        if problems:
            count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
            raise DedupError(f"{count} in {source}: " + "; ".join(problems))
        return cls(name=name, merge_threshold=float(merge), review_threshold=float(review),
                   blocking=tuple(rules), max_block_size=max_block, comparisons=tuple(comparisons),
                   hard_rules=tuple(hard), max_cluster_size=max_cluster,
                   description=data.get("description", ""), merge=merge_config,
                   keep_apart=tuple(keep_apart), shared_evidence=tuple(e for e in shared if e), text=text)


#: The keys each table of a rule file may hold (the tables of lists take their dataclass's fields).
TOP_LEVEL_KEYS = ("name", "description", "thresholds", "clustering", "blocking", "comparisons",
                  "hard_rules", "merge", "shared_evidence")
THRESHOLD_KEYS = ("merge", "review")
BLOCKING_KEYS = ("max_block_size", "rules")
CLUSTERING_KEYS = ("max_cluster_size", "keep_apart")


def _fields(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _required(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls)
                 if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)


def default_rules_text() -> str:
    """The text of the packaged default rule file."""
    return resources.files("dedup.rules").joinpath(DEFAULT_RULES).read_text()


class _Loader:
    """Reads values out of parsed TOML, recording problems instead of stopping at the first."""

    def __init__(self, problems: list[str]):
        self.problems = problems

    def keys(self, data: dict, known: tuple[str, ...], where: str) -> bool:
        """Record each key of `data` outside `known`; True when there is none."""
        unknown = unknown_keys(data, known, where)
        self.problems += unknown
        return not unknown

    def required(self, data: dict, keys: tuple[str, ...], where: str) -> bool:
        """Record each of `keys` that `data` lacks; True when it has them all."""
        missing = [f"{where}: missing key {key!r}" for key in keys if key not in data]
        self.problems += missing
        return not missing

    def table(self, data: dict, key: str, known: tuple[str, ...]) -> dict | None:
        """A sub-table, its keys checked; None (reported once) when it is missing, so its keys
        are not reported too."""
        value = data.get(key)
        if not isinstance(value, dict):
            self.problems.append(f"{key}: missing table [{key}]")
            return None
        self.keys(value, known, key)
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

    def list_of(self, data: dict | None, key: str, where: str, optional: bool = False) -> list[dict]:
        if data is None:
            return []
        value = data.get(key)
        if optional and value is None:
            return []
        if (not isinstance(value, list) or not (value or optional)
                or not all(isinstance(v, dict) for v in value)):
            self.problems.append(f"{where}: expected a {'' if optional else 'non-empty '}list of tables")
            return []
        return value

    def build(self, cls, where: str, **kwargs):
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            self.problems.append(f"{where}: {exc}")
            return None

    def build_from(self, cls, where: str, table: dict):
        """A `cls` dataclass from a table whose keys are its fields: unknown and missing keys
        are problems of their own (never a constructor's TypeError), then its own checks run."""
        known = self.keys(table, _fields(cls), where)
        if not (self.required(table, _required(cls), where) and known):
            return None
        return self.build(cls, where, **table)


def _type_words(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join({int: "a whole number", float: "a number", str: "text"}[t] for t in types)


def _check_unique(problems: list[str], where: str, names: list[str]) -> None:
    seen = set()
    for name in names:
        if name in seen:
            problems.append(f"{where}: name {name!r} is used twice")
        seen.add(name)
