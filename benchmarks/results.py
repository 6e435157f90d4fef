"""benchmarks/RESULTS.md is written by more than one script: `run.py` writes the top (the
side-by-side table on `dedup synth` stores) and each other script its own `## ` section. Each
replaces only its own part and keeps the others."""

from __future__ import annotations

from pathlib import Path


def _split(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first `## ` heading, and each (heading, section text) after it."""
    top, sections, heading, lines = [], [], None, []
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            if heading is not None:
                sections.append((heading, "".join(lines)))
            heading, lines = line.strip(), [line]
        elif heading is None:
            top.append(line)
        else:
            lines.append(line)
    if heading is not None:
        sections.append((heading, "".join(lines)))
    return "".join(top), sections


def _join(top: str, sections: list[tuple[str, str]]) -> str:
    parts = [top.rstrip("\n") + "\n"] + [body.rstrip("\n") + "\n" for _, body in sections]
    return "\n".join(parts)


def write_top(path: Path, text: str) -> None:
    """Replace what comes before the first `## ` section (`text` must have no `## ` heading)."""
    _, sections = _split(path.read_text()) if path.exists() else ("", [])
    path.write_text(_join(text, sections))


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace the section `heading` (a `## ` line) with `body`, or add it at the end."""
    top, sections = _split(path.read_text()) if path.exists() else ("# Benchmark results\n", [])
    text = f"{heading}\n\n{body.strip()}\n"
    sections = [(h, text if h == heading else b) for h, b in sections]
    if heading not in (h for h, _ in sections):
        sections.append((heading, text))
    path.write_text(_join(top, sections))
