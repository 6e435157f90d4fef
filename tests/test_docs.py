"""The documentation keeps up with the code (in the style of sqlite-utils' test_docs.py): every
command and subcommand appears in the README, every name `dedup` exports is documented in the
README or docs/, and every command's --help runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

import dedup
from dedup_cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = README + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))


def _commands(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        found.append(path)
        if hasattr(command, "commands"):  # a group: its subcommands too
            found += _commands(command, path)
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_the_cli_has_the_commands_we_expect():
    names = {" ".join(c) for c in COMMANDS}
    assert {"run", "import", "review accept", "decisions import", "report placeholder-fills"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"\bdedup {re.escape(' '.join(command))}\b", README), \
        f"`dedup {' '.join(command)}` is not in README.md"


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_commands_help_runs(cli, command):
    result = cli.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.mark.parametrize("name", dedup.__all__)
def test_every_exported_name_is_documented(name):
    assert re.search(rf"(`|\bdedup\.){re.escape(name)}\b", DOCS), \
        f"dedup.{name} is not documented in README.md or docs/"
