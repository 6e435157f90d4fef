"""Scoring candidate pairs with a rule set, in one set-based statement.

Each comparison puts a pair at a level (`level_<comparison>`), each level carries a match weight,
and the score is their sum. Hard rules are flags (`hard_<rule>`) that override the score's band:
`never_match` drops the pair, `review_only` keeps it out of the merge band. Everything a reviewer
may ask "why?" about stays on the row.
"""

from __future__ import annotations

from dedup.columns import NORMALISED_COLUMNS
from dedup.rules.levels import sectors_column, tf_column, tokens_column
from dedup.rules.ruleset import RuleSet
from dedup.rules.shared import SharedEvidence
from dedup.sql import SqlStep, quote_ident
from dedup.tables import StageTables

PAIR_COLUMNS = (*NORMALISED_COLUMNS, "whitelisted")
#: A similarity used this many times in a scoring statement is computed once (`share_similarities`).
SHARE_MIN_USES = 2


def level_column(comparison_name: str) -> str:
    return f"level_{comparison_name}"


def hard_column(rule_name: str) -> str:
    return f"hard_{rule_name}"


def term_frequencies_sql(column: str, tables: StageTables) -> SqlStep:
    """Per value of `column`: its share f of the normalised records and the weight adjustment
    log2(u / f), with u = sum of f^2 (the chance two random records share a value).

    With k records holding the value, K records holding any, f = k/K and u/f = sum(k^2)/(K*k):
    computed from integer counts, so the result does not depend on the order DuckDB's threads
    add floating-point numbers in (two runs over the same records give the same weights)."""
    return SqlStep(f"term frequencies {column}",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(tables.term_frequencies(column))} AS "
                   f"SELECT value, {TF_VALUES} FROM ("
                   f"SELECT value, k, sum(k) OVER () AS total, sum(k::HUGEINT * k) OVER () AS squares FROM ("
                   f"{value_counts_query(column, tables.normalised)}))")


#: A term-frequency row's share and adjustment from its integer counts: `k` records hold the
#: value, `total` (HUGEINT) hold any value, `squares` (HUGEINT) is the sum of every value's k^2.
#: The duplicate check computes its rows with the same expression (`dedup.matcher`).
TF_VALUES = "k::DOUBLE / total AS tf, log2(squares::DOUBLE / (total::DOUBLE * k)) AS adjustment"


def value_counts_query(column: str, normalised: str) -> str:
    """value, k: how many records of `normalised` hold each value of `column`."""
    col = quote_ident(column)
    return (f"SELECT {col} AS value, count(*) AS k "
            f"FROM {quote_ident(normalised)} WHERE {col} IS NOT NULL GROUP BY {col}")


def sector_spread_sql(column: str, tables: StageTables) -> SqlStep:
    """Per value of `column`: how many distinct postcode sectors the records holding it lie in
    (for levels with `max_sectors`)."""
    col = quote_ident(column)
    return SqlStep(f"postcode sectors per {column}",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(tables.sectors(column))} AS "
                   f"SELECT {col} AS value, count(DISTINCT postcode_sector) AS sectors "
                   f"FROM {quote_ident(tables.normalised)} WHERE {col} IS NOT NULL GROUP BY {col}")


def pair_values_query(tables: StageTables, pairs_table: str, tf_columns: tuple[str, ...] = (),
                      token_columns: tuple[str, ...] = (), sector_columns: tuple[str, ...] = (),
                      similarity_columns: tuple[str, ...] = ()) -> str:
    """The pairs of `pairs_table` with both records' normalised values as `<column>_l` / `<column>_r`, for each of
    `tf_columns` the term-frequency adjustment of the left value as `tf_<column>_l`, for each
    of `sector_columns` the number of postcode sectors the left value is found at as
    `sectors_<column>_l`, and for each of `token_columns` both records' distinct words as
    `tokens_<column>_l` / `_r` (split once per record, not once per pair), and for each of
    `similarity_columns` the two values' Jaro-Winkler similarity as `jw_<column>`."""
    tokens = [tokens_column(c) for c in token_columns]
    columns = (*PAIR_COLUMNS, *tokens)
    sides = ", ".join(f"{side}.{quote_ident(c)} AS {quote_ident(f'{c}_{side}')}"
                      for c in columns for side in ("l", "r"))
    extra = "".join(f", {quote_ident('tf_' + c)}.adjustment AS {quote_ident(tf_column(c))}"
                  for c in tf_columns)
    joins = "".join(f" LEFT JOIN {quote_ident(tables.term_frequencies(c))} {quote_ident('tf_' + c)} "
                    f"ON {quote_ident('tf_' + c)}.value = l.{quote_ident(c)}" for c in tf_columns)
    extra += "".join(f", {quote_ident('sec_' + c)}.sectors AS {quote_ident(sectors_column(c))}"
                   for c in sector_columns)
    joins += "".join(f" LEFT JOIN {quote_ident(tables.sectors(c))} {quote_ident('sec_' + c)} "
                     f"ON {quote_ident('sec_' + c)}.value = l.{quote_ident(c)}" for c in sector_columns)
    extra += "".join(f", jaro_winkler_similarity(l.{quote_ident(c)}, r.{quote_ident(c)}) "
                   f"AS {quote_ident(similarity_column(c))}" for c in similarity_columns)
    records = quote_ident(tables.normalised)
    if tokens:
        lists = ", ".join(f"list_distinct(string_split({quote_ident(c)}, ' ')) AS {quote_ident(t)}"
                          for c, t in zip(token_columns, tokens))
        records = f"(SELECT *, {lists} FROM {records})"
    return (f"SELECT p.left_id, p.right_id, p.blocking_rule, {sides}{extra} FROM {quote_ident(pairs_table)} p "
            f"JOIN {records} l ON l.trader_id = p.left_id "
            f"JOIN {records} r ON r.trader_id = p.right_id{joins}")


def similarity_column(column: str) -> str:
    """The pair column holding the Jaro-Winkler similarity of `column`'s two values."""
    return f"jw_{column}"


def share_similarities(expressions: list[str], min_uses: int = SHARE_MIN_USES
                       ) -> tuple[list[str], tuple[str, ...]]:
    """Compute each Jaro-Winkler similarity once per pair.

    The levels of one comparison (name >= 0.95, >= 0.92, >= 0.88) and the hard rules each write
    `jaro_winkler_similarity(<column>_l, <column>_r)` in full, and DuckDB evaluates every copy
    (they sit in CASE branches). Each column whose similarity the expressions use at least
    `min_uses` times gets one `jw_<column>` pair column, and the copies read it instead.

    Returns:
        (the expressions rewritten, the columns to compute a similarity for).
    """
    shared, out = [], list(expressions)
    for column in PAIR_COLUMNS:
        forms = {f"jaro_winkler_similarity({quote_ident(column + '_l')}, {quote_ident(column + '_r')})",
                 f"jaro_winkler_similarity({column}_l, {column}_r)"}
        if sum(e.count(form) for e in out for form in forms) < min_uses:
            continue
        shared.append(column)
        for form in forms:
            out = [e.replace(form, quote_ident(similarity_column(column))) for e in out]
    return out, tuple(shared)


def tf_columns(rules: RuleSet) -> tuple[str, ...]:
    """Every column some level of the rule set adjusts by term frequency."""
    return tuple(dict.fromkeys(col for c in rules.comparisons for col in c.tf_columns))


def sector_columns(rules: RuleSet) -> tuple[str, ...]:
    """Every column whose values' spread over postcode sectors a level or hard rule reads."""
    return tuple(dict.fromkeys([*(col for c in rules.comparisons for col in c.sector_columns),
                                *(col for h in rules.hard_rules for col in h.sector_columns)]))


def score_pairs_sqls(rules: RuleSet, tables: StageTables, *, pairs_table: str | None = None,
                     output: str | None = None, frequencies: bool = True) -> list[SqlStep]:
    """Create `output` (default `tables.scored`) with each pair of `pairs_table` (default
    `tables.candidate_pairs`) with its levels, hard-rule flags, score and band.

    Returns the term-frequency, sector-spread and shared-evidence tables the levels need (over
    `tables.normalised`), then the scoring statement; without `frequencies` only the scoring
    statement, for a caller that made those tables itself (the duplicate check, whose
    `tables.normalised` holds only a probe record and its candidates, computes them from the whole
    table's counts: `dedup.matcher`).
    """
    pairs_table = pairs_table or tables.candidate_pairs
    output = output or tables.scored
    tfs = tf_columns(rules)
    token_columns = tuple(dict.fromkeys([*(col for c in rules.comparisons for col in c.token_columns),
                                         *(col for h in rules.hard_rules for col in h.token_columns)]))
    spread = sector_columns(rules)
    levels = [f"{c.level_expr(token_lists=True)} AS {quote_ident(level_column(c.name))}"
              for c in rules.comparisons]
    levels += [quote_ident(tf_column(c)) for c in tfs]
    flags = [f"{h.condition_expr()} AS {quote_ident(hard_column(h.name))}" for h in rules.hard_rules]
    levels_and_flags, similarities = share_similarities(levels + flags)
    weights = " + ".join(c.weight_expr(level_column(c.name)) for c in rules.comparisons)
    never = [quote_ident(hard_column(h.name)) for h in rules.hard_rules if h.effect == "never_match"]
    review_only = [quote_ident(hard_column(h.name)) for h in rules.hard_rules
                   if h.effect == "review_only"]
    never_sql = " OR ".join(never) or "FALSE"
    review_only_sql = " OR ".join(review_only) or "FALSE"
    values = pair_values_query(tables, pairs_table, tfs, token_columns, spread, similarities)
    shared = [quote_ident(e.column) for e in rules.shared_evidence]
    if shared:  # each shared-evidence adjustment from its counts table (dedup.rules.shared)
        joins = "".join(f" LEFT JOIN {quote_ident(tables.shared_counts(e.name))} sh{i} ON {e.join_expr(f'sh{i}')}"
                        for i, e in enumerate(rules.shared_evidence))
        adjustments = ", ".join(f"{e.adjustment_expr(f'sh{i}')} AS {quote_ident(e.column)}"
                                for i, e in enumerate(rules.shared_evidence))
        values = f"SELECT v.*, {adjustments} FROM ({values}) v{joins}"
        weights = " + ".join([weights, *shared])
    frequency_steps = ([term_frequencies_sql(c, tables) for c in tfs] + [sector_spread_sql(c, tables) for c in spread]
                       + [shared_counts_sql(e, tables) for e in rules.shared_evidence] if frequencies else [])
    return frequency_steps + [SqlStep(
        "score pairs",
        f"CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS "
        f"SELECT *, ({never_sql}) AS never_match, CASE WHEN {never_sql} THEN 'none' "
        f"WHEN score >= ? AND NOT ({review_only_sql}) THEN 'merge' "
        f"WHEN score >= ? THEN 'review' ELSE 'none' END AS band "
        f"FROM (SELECT *, {weights} AS score FROM ("
        f"SELECT left_id, right_id, blocking_rule, {', '.join([*levels_and_flags, *shared])} "
        f"FROM ({values})))",
        (rules.merge_threshold, rules.review_threshold),
    )]


def shared_counts_sql(evidence: SharedEvidence, tables: StageTables) -> SqlStep:
    """Per value of a shared-evidence entry's columns: how many distinct businesses hold it."""
    return SqlStep(f"businesses sharing {evidence.name}",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(tables.shared_counts(evidence.name))} AS "
                   f"{evidence.counts_query(tables.normalised)}")


def band_counts_sql(scored: str) -> SqlStep:
    return SqlStep("band counts",
                   f"SELECT count(*) FILTER (WHERE band = 'merge'), "
                   f"count(*) FILTER (WHERE band = 'review') FROM {quote_ident(scored)}")
