"""Rule sets and their parts: comparison levels, hard rules, thresholds."""

from dedup.rules.hard import HardRule
from dedup.rules.levels import Comparison, Level
from dedup.rules.ruleset import RuleSet

__all__ = ["Comparison", "HardRule", "Level", "RuleSet"]
