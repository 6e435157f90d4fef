"""`dedup diff --html`: a rule-set comparison as one self-contained HTML page.

Inline CSS and inline SVG only (no scripts, no links to anything), so the file opens anywhere,
offline, and can be mailed around. Every value from the store is escaped.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape

import polars as pl

from dedup.diff import (
    CLUSTER_CHANGES,
    DESCRIPTIONS,
    PAIR_CHANGES,
    RECORD_FIELDS,
    SIDES,
    TOGETHER_CHANGES,
    RuleDiff,
)

BAND_COLOURS = {"merge": "#2e7d32", "review": "#f9a825", "none": "#9e9e9e"}
BANDS = ("none", "review", "merge")

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody.example:nth-of-type(even) td { background: #fafafa; }
.note { color: #555; font-size: 0.9em; }
.up { color: #2e7d32; } .down { color: #c62828; }
.hist { display: inline-block; margin-right: 2em; vertical-align: top; }
.legend span { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.3em 0 1em; }
"""


def _cell(value, num: bool = False) -> str:
    if value is None:
        text = ""
    elif isinstance(value, float):
        text = f"{value:.2f}"
    elif isinstance(value, int) and num:
        text = f"{value:,}"
    else:
        text = str(value)
    return f'<td class="num">{escape(text)}</td>' if num else f"<td>{escape(text)}</td>"


def _summary(diff: RuleDiff) -> str:
    rows = "".join(f"<tr><td>{escape(c)}</td>{_cell(diff.counts[c], True)}<td>{escape(DESCRIPTIONS[c])}"
                   f"</td></tr>" for c in DESCRIPTIONS)
    runs = [("records", "records"), ("pairs in merge band", "pairs_merge_band"),
            ("pairs in review band", "pairs_review_band"), ("clusters to merge", "clusters"),
            ("records to merge", "records_to_merge"), ("largest cluster", "largest_cluster"),
            ("clusters held for review", "clusters_held_for_review")]
    run_rows = "".join(f"<tr><td>{escape(label)}</td>"
                       + "".join(_cell(diff.runs[s].get(key), True) for s in SIDES) + "</tr>"
                       for label, key in runs)
    return (f"<h2>Changes</h2><table><thead><tr><th>category</th><th>count</th><th>meaning</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
            f"<h2>Each run</h2><table><thead><tr><th></th><th>old</th><th>new</th></tr></thead>"
            f"<tbody>{run_rows}</tbody></table>")


def _metrics(diff: RuleDiff) -> str:
    m = diff.metrics
    parts = []
    if "truth" in m.get("old", {}):
        direction = m.get("direction", {})
        rows = "".join(
            f"<tr><td>{k}</td>{_cell(m['old']['truth'][k], True)}{_cell(m['new']['truth'][k], True)}"
            f'<td class="{escape(direction[k])}">{escape(direction[k])}</td></tr>'
            for k in ("precision", "recall", "f1"))
        parts.append("<h3>Against the truth file (pairwise, clusters that would merge)</h3>"
                     "<table><thead><tr><th></th><th>old</th><th>new</th><th>direction</th></tr>"
                     f"</thead><tbody>{rows}</tbody></table>")
    if "decisions" in m.get("old", {}):
        rows = "".join(
            f"<tr><td>{kind}</td>{_cell(m['old']['decisions'][kind]['pairs'], True)}"
            + "".join(_cell(m[side]["decisions"][kind][key], True)
                      for side in ("old", "new") for key in ("rules_merge", "rules_review"))
            + "</tr>" for kind in ("never_merge", "always_merge"))
        parts.append("<h3>Review decisions as labels</h3><p class=\"note\">Pairs inside active "
                     "decisions whose records are both active, and how many each rule set on its "
                     "own would merge or propose; the decisions themselves still win in a run "
                     "(never_merge: the fewer merged the better; always_merge: the more the "
                     "better).</p>"
                     "<table><thead><tr><th>decision</th><th>pairs</th><th>old merge</th>"
                     "<th>old review</th><th>new merge</th><th>new review</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table>")
    return "<h2>Precision and recall</h2>" + "".join(parts) if parts else ""


def histogram_svg(hist: pl.DataFrame, side: str, bins: range, merge: float, review: float,
                  width: int = 520, height: int = 220) -> str:
    """Stacked bars (pairs per score bin, coloured by band) with the thresholds as dashed lines."""
    counts: dict[int, dict[str, int]] = {}
    for row in hist.filter(pl.col("side") == side).iter_rows(named=True):
        counts.setdefault(row["bin"], {})[row["band"]] = row["pairs"]
    top = max((sum(c.values()) for c in counts.values()), default=0) or 1
    left, bottom, plot_h = 50, 30, height - 40
    bar_w = (width - left - 10) / max(len(bins), 1)

    def x_of(score: float) -> float:
        return left + (score - bins.start) * bar_w

    def y_of(n: float) -> float:
        """Height on a log scale: pair counts run from a handful to tens of thousands a bin."""
        return math.log10(1 + n) / math.log10(1 + top) * plot_h

    base = height - bottom
    parts = [f'<svg width="{width}" height="{height}" '
             f'role="img" aria-label="score histogram, {escape(side)} rules">',
             f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#444"/>']
    tick = 1
    while tick <= top:
        y = base - y_of(tick)
        parts.append(f'<line x1="{left - 3}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
                     f'stroke="#eee"/><text x="{left - 5}" y="{y + 3:.1f}" font-size="10" '
                     f'text-anchor="end">{tick:,}</text>')
        tick *= 10
    for b in bins:
        bar = counts.get(b, {})
        total = sum(bar.values())
        y = base
        for band in BANDS:
            n = bar.get(band, 0)
            if not n:
                continue
            h = y_of(total) * n / total   # the bar is log-scaled; bands share it in proportion
            y -= h
            parts.append(f'<rect x="{x_of(b):.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                         f'height="{h:.1f}" fill="{BAND_COLOURS[band]}">'
                         f'<title>score {b} to {b + 1}, {band}: {n:,} pairs</title></rect>')
        if b % 5 == 0:
            parts.append(f'<text x="{x_of(b):.1f}" y="{base + 14}" font-size="10" '
                         f'text-anchor="middle">{b}</text>')
    for row, (label, value) in enumerate((("review", review), ("merge", merge))):
        if bins.start <= value <= bins.stop:
            x = x_of(value)
            parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base - plot_h}" '
                         f'stroke="#000" stroke-dasharray="4 3"/>'
                         f'<text x="{x + 3:.1f}" y="{base - plot_h + 10 + 12 * row}" '
                         f'font-size="10">{label} {value:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histograms(diff: RuleDiff) -> str:
    hist = diff.histograms
    if hist.height:
        lo, hi = int(hist["bin"].min()), int(hist["bin"].max())
    else:
        lo, hi = 0, 1
    thresholds = [diff.old.review_threshold, diff.old.merge_threshold,
                  diff.new.review_threshold, diff.new.merge_threshold]
    lo, hi = min(lo, int(min(thresholds)) - 1), max(hi, int(max(thresholds)) + 1)
    bins = range(lo, hi + 1)
    figures = []
    for side in SIDES:
        rules = diff.old if side == "old" else diff.new
        figures.append(f'<div class="hist"><h3>{side}: {escape(rules.name)} '
                       f'({escape(rules.hash)})</h3>'
                       + histogram_svg(hist, side, bins, rules.merge_threshold, rules.review_threshold)
                       + "</div>")
    legend = "".join(f'<span style="background:{BAND_COLOURS[b]}"></span>{b}' for b in BANDS)
    return (f"<h2>Scores of the candidate pairs</h2><p class=\"note\">Pairs per score bin of width 1, "
            f"coloured by band, on a log scale; the dashed lines are the rule set's thresholds.</p>"
            f'<p class="legend">{legend}</p>' + "".join(figures))


def _record_cells(row: dict, prefix: str) -> str:
    return "".join(_cell(row[f"{prefix}{f}"]) for f in RECORD_FIELDS)


def _pair_table(frame: pl.DataFrame) -> str:
    head = ("<thead><tr><th>old</th><th>new</th><th>trader</th>"
            + "".join(f"<th>{f}</th>" for f in RECORD_FIELDS) + "</tr></thead>")
    bodies = []
    for row in frame.iter_rows(named=True):
        def band(side: str, row: dict = row) -> str:
            score, b = row[f"{side}_score"], row[f"{side}_band"]
            return escape("not scored" if score is None else f"{score:.2f} {b}")
        bodies.append(
            f'<tbody class="example"><tr><td rowspan="2">{band("old")}</td>'
            f'<td rowspan="2">{band("new")}</td>{_cell(row["left_id"])}{_record_cells(row, "left_")}</tr>'
            f'<tr>{_cell(row["right_id"])}{_record_cells(row, "right_")}</tr></tbody>')
    return f"<table>{head}{''.join(bodies)}</table>"


def _cluster_table(frame: pl.DataFrame) -> str:
    head = ("<thead><tr><th>cluster</th><th>trader</th><th>old cluster</th><th>new cluster</th>"
            + "".join(f"<th>{f}</th>" for f in RECORD_FIELDS) + "</tr></thead>")
    bodies = []
    for cluster in frame["cluster"].unique(maintain_order=True):
        rows = frame.filter(pl.col("cluster") == cluster).iter_rows(named=True)
        trs = "".join(f"<tr>{_cell(r['cluster'])}{_cell(r['trader_id'])}{_cell(r['old_cluster'])}"
                      f"{_cell(r['new_cluster'])}{_record_cells(r, '')}</tr>" for r in rows)
        bodies.append(f'<tbody class="example">{trs}</tbody>')
    return f"<table>{head}{''.join(bodies)}</table>"


def _examples(diff: RuleDiff) -> str:
    parts = ["<h2>Examples</h2><p class=\"note\">Scores and bands under the old and the new rules; "
             "a cluster's id is the record that would survive, a record in no merging cluster is "
             "its own.</p>"]
    for change in (*PAIR_CHANGES, *TOGETHER_CHANGES, *CLUSTER_CHANGES):
        frame = diff.examples.get(change)
        if frame is None or not frame.height:
            continue
        shown = frame["cluster"].n_unique() if change in CLUSTER_CHANGES else frame.height
        parts.append(f"<h3>{escape(change)}: {shown} of {diff.counts[change]:,}</h3>"
                     f'<p class="note">{escape(DESCRIPTIONS[change])}</p>')
        parts.append(_cluster_table(frame) if change in CLUSTER_CHANGES else _pair_table(frame))
    if len(parts) == 1:
        parts.append("<p>No changes: the two rule sets give the same bands and clusters.</p>")
    return "".join(parts)


def render_html(diff: RuleDiff, *, generated: dt.datetime | None = None) -> str:
    """The whole report as one HTML document (no external resources)."""
    generated = generated or dt.datetime.now().replace(microsecond=0)
    title = f"dedup diff: {diff.old.name} ({diff.old.hash}) → {diff.new.name} ({diff.new.hash})"
    note = f'<p class="note">{escape(diff.against_note)}</p>' if diff.against_note else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1>{note}"
            f'<p class="note">Generated {escape(generated.isoformat(sep=" "))}. Old thresholds: merge '
            f"{diff.old.merge_threshold:g}, review {diff.old.review_threshold:g}; new: merge "
            f"{diff.new.merge_threshold:g}, review {diff.new.review_threshold:g}. Both are full dry "
            f"runs on the same store.</p>"
            + _summary(diff) + _metrics(diff) + _histograms(diff) + _examples(diff)
            + "</body></html>\n")
