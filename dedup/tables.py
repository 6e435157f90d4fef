"""The names of every temp table the engine creates on a store's connection, in one place.

A run's stages hand each other tables (normalised records, candidate pairs, scored pairs,
clusters ...), and the merge plan, proposals, evaluation and explanations read them. Their names
come from one `StageTables`, never from string literals or another module's constant, so two
runs on one connection keep apart by taking two prefixes (`dedup diff` runs its old and new rule
sets side by side), and a reader finds here what each table holds.

    >>> StageTables().scored
    '__dedup__scored'
    >>> StageTables("__dedup__old_").clusters
    '__dedup__old_clusters'

Every name is a temp table (or, for `fresh`, a registered frame): a dry run on a read-only store
creates nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "__dedup__"


@dataclass(frozen=True)
class StageTables:
    """The temp tables of one run (or one operation) on a connection.

    Args:
        prefix: put before every name; the default `__dedup__`, another for a second run on the
            same connection.
    """

    prefix: str = PREFIX

    def _named(self, stage: str) -> str:
        return self.prefix + stage

    # --- normalise: dedup.pipeline.normalise_stage ----------------------------------------------

    @property
    def active(self) -> str:
        """Active traders' raw fields, whitelisted, in_increment (dropped after normalising)."""
        return self._named("active")

    @property
    def fresh_raw(self) -> str:
        """The raw fields of the records normalised afresh (not from the cache): what the cache
        refresh writes beside their normalised values."""
        return self._named("normalised_fresh_raw")

    @property
    def fresh(self) -> str:
        """The normaliser's output for `fresh_raw` (staging, dropped after use)."""
        return self._named("normalised_fresh")

    @property
    def normalised(self) -> str:
        """One row per active trader: the normalised columns, whitelisted, in_increment,
        from_cache."""
        return self._named("normalised")

    # --- block and score --------------------------------------------------------------------------

    @property
    def candidate_pairs(self) -> str:
        """left_id < right_id, blocking_rule: every pair to score, once."""
        return self._named("candidate_pairs")

    @property
    def rule_pairs(self) -> str:
        """left_id < right_id, rules (the orders of every blocking rule that pairs them): what
        `dedup blocking --truth` measures each rule on."""
        return self._named("rule_pairs")

    def term_frequencies(self, column: str) -> str:
        """Per value of a normalised column: its share and weight adjustment."""
        return self._named(f"tf_{column}")

    def shared_counts(self, evidence: str) -> str:
        """Per value of a shared-evidence entry (`dedup.rules.shared`): the businesses holding it."""
        return self._named(f"businesses_{evidence}")

    def sectors(self, column: str) -> str:
        """Per value of a normalised column: the postcode sectors it is found in."""
        return self._named(f"sectors_{column}")

    @property
    def scored(self) -> str:
        """The candidate pairs with levels, hard-rule flags, score, band (and decisions)."""
        return self._named("scored")

    @property
    def rule_terms(self) -> str:
        """One row: the rule set's labels for explanations (`dedup.explain`)."""
        return self._named("rule_terms")

    # --- cluster ----------------------------------------------------------------------------------

    @property
    def members(self) -> str:
        """trader_id, component: every record on a merge-band pair."""
        return self._named("members")

    @property
    def survivors(self) -> str:
        """members with whitelisted and the survivor of their component."""
        return self._named("survivors")

    @property
    def clusters(self) -> str:
        """One row per active trader: cluster_id (its survivor, or itself), component, size,
        held, hold_reason."""
        return self._named("clusters")

    # --- the merge plan (dedup.merge.plan) and its apply (dedup.merge.apply) --------------------

    @property
    def merge_groups(self) -> str:
        """trader_id, group_id: the groups a plan is built from."""
        return self._named("merge_groups")

    @property
    def plan_members(self) -> str:
        return self._named("plan_members")

    @property
    def plan_ranked(self) -> str:
        return self._named("plan_ranked")

    @property
    def plan(self) -> str:
        """One row per record to merge: merged_id, survivor_id, group_id, rank, score,
        explanation, merged_record."""
        return self._named("plan")

    @property
    def plan_pairs(self) -> str:
        return self._named("plan_pairs")

    @property
    def plan_pair_rows(self) -> str:
        return self._named("plan_pair_rows")

    @property
    def plan_fills(self) -> str:
        """survivor_id, source_id, field, old_value, new_value: survivor fields to fill."""
        return self._named("plan_fills")

    @property
    def apply(self) -> str:
        """The plan's rows with their merge ids."""
        return self._named("apply")

    @property
    def apply_changes(self) -> str:
        """merge_id, survivor_id, field, old_value, new_value."""
        return self._named("apply_changes")

    @property
    def refilled(self) -> str:
        """trader_id of the survivors a round of an apply run filled (the next round's increment)."""
        return self._named("refilled")

    # --- proposals and review ---------------------------------------------------------------------

    @property
    def review_pairs(self) -> str:
        return self._named("review_pairs")

    @property
    def proposal_queue(self) -> str:
        return self._named("proposal_queue")

    @property
    def review_groups(self) -> str:
        """The one group of an accepted proposal."""
        return self._named("review_groups")

    # --- undo, import, truth, diff, explain, train ------------------------------------------------

    @property
    def undo(self) -> str:
        return self._named("undo")

    @property
    def undo_moves(self) -> str:
        return self._named("undo_moves")

    @property
    def undo_changes(self) -> str:
        return self._named("undo_changes")

    def import_stage(self, kind: str, table: str) -> str:
        """An import's staging table of one kind (raw, typed, problems) for one store table."""
        return self._named(f"{kind}_{table}")

    @property
    def truth(self) -> str:
        """trader_id, entity_id (and a synth truth file's other columns)."""
        return self._named("truth")

    @property
    def diff_pairs(self) -> str:
        """The pairs whose band differs between two runs."""
        return self._named("diff_pairs")

    @property
    def explain_pair(self) -> str:
        return self._named("explain_pair")

    @property
    def explain_scored(self) -> str:
        return self._named("explain_scored")

    @property
    def random_pairs(self) -> str:
        return self._named("random_pairs")

    @property
    def random_scored(self) -> str:
        return self._named("random_scored")

    @property
    def train_scored(self) -> str:
        return self._named("train_scored")

    # --- the duplicate check (dedup.matcher): built once per Matcher, then per probe record ------

    def match_counts(self, column: str) -> str:
        """value, k: how many active records hold each value of a term-frequency column."""
        return self._named(f"counts_{column}")

    def match_sector_pairs(self, column: str) -> str:
        """value, postcode_sector: each distinct pair among the active records."""
        return self._named(f"sector_pairs_{column}")

    def match_keyed(self, rule_index: int) -> str:
        """trader_id, b0, b1, ...: the records with every key of blocking rule `rule_index`."""
        return self._named(f"keyed_{rule_index}")

    @property
    def probe(self) -> str:
        """The one normalised record being checked."""
        return self._named("probe")

    @property
    def search_index(self) -> str:
        """One row per trader, active or merged: trader_id, resolved_id (its live record), the
        normalised name and postcode it is searched by (`dedup.search`)."""
        return self._named("search_index")

    def match_shared(self, evidence: str) -> str:
        """A shared-evidence entry's values with each business (`distinct`) holding them, once."""
        return self._named(f"shared_{evidence}")

    def shared_source(self, evidence: str) -> str:
        """The records a check's shared-evidence counts come from: those holding the probe's value,
        and the probe."""
        return self._named(f"shared_source_{evidence}")
