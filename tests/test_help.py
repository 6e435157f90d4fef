"""Every command's --help flows: the docstrings are hard-wrapped in the source, and the help
display keeps their newlines, so each paragraph must reach --help as one line to be wrapped to
the terminal's width, not broken a second time ("kind,\\n group_kind")."""

from __future__ import annotations

import pytest

from dedup_cli import app
from tests.test_docs import COMMANDS

WIDTHS = [80, 150]


def description(output: str) -> list[list[str]]:
    """The paragraphs of a help page's description (between the usage line and the first box),
    each a list of its lines as shown, stripped."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Usage:" in line) + 1
    end = next((i for i, line in enumerate(lines) if line.lstrip().startswith("╭")), len(lines))
    paragraphs, current = [], []
    for line in lines[start:end]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(current)
            current = []
    return paragraphs + ([current] if current else [])


def early_breaks(paragraphs: list[list[str]], width: int) -> list[tuple[str, str]]:
    """Consecutive lines of one paragraph where the next line's first word would have fitted on
    the line before (a list item, starting "- ", begins a line of its own)."""
    usable = width - 2  # the help display pads each line with a space on either side
    return [(line, following) for paragraph in paragraphs for line, following in zip(paragraph, paragraph[1:])
            if not following.startswith("- ") and len(line) + 1 + len(following.split()[0]) <= usable]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", [(), *COMMANDS], ids=["dedup", *(" ".join(c) for c in COMMANDS)])
def test_help_paragraphs_flow_to_the_terminal_width(cli, command, width):
    result = cli.invoke(app, [*command, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    paragraphs = description(result.output)
    assert paragraphs, result.output
    assert early_breaks(paragraphs, width) == []
    assert all(len(line) <= width - 2 for paragraph in paragraphs for line in paragraph)


def test_the_synth_help_of_the_issue(cli):
    text = cli.invoke(app, ["synth", "--help"], env={"COLUMNS": "80"}).output
    assert "entity_id, kind, group_kind, group_id" in " ".join(" ".join(p) for p in description(text))
    assert not any(line.strip().endswith("kind,") for line in text.splitlines())
