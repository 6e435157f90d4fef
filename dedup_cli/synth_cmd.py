"""`dedup synth`: realistic synthetic trader data with ground truth."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from dedup import api
from dedup_cli._app import app, err, handled, parse_date


class FileFormat(str, Enum):  # noqa: UP042 (typer reads str enums as choices)
    parquet = "parquet"
    csv = "csv"


#: The generator's hard scenarios, as choices of --scenario.
Scenario = Enum("Scenario", {name: name for name in api.SCENARIOS}, type=str)


@app.command()
@handled
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the tables into (created).")],
    records: Annotated[int, typer.Option("--records", "-n", min=1,
                                         help="Number of trader records.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 0,
    file_format: Annotated[FileFormat, typer.Option("--format", help="File format.")] = FileFormat.parquet,
    as_of: Annotated[Optional[str], typer.Option(
        help="Reference date (YYYY-MM-DD) for created/active dates. Default 2026-11-01.")] = None,
    scenario: Annotated[Optional[list[Scenario]], typer.Option(
        "--scenario", help="Add a hard scenario; repeat the option for several.")] = None,
    hard: Annotated[bool, typer.Option("--hard", help="Add every hard scenario.")] = False,
):
    """Generate realistic synthetic UK trader data with ground truth.

    Writes traders, cases, tracks, certificates, whitelist and truth (trader_id, entity_id, kind,
    group_kind, group_id). Branches of a chain and different units in one building are different
    entities. The hard scenarios (off by default) add virtual-office addresses shared by many
    companies, shared storefront and web-designer websites with look-alike online sellers,
    generic names shared by unrelated businesses, and bridging records (one business's name with
    another's address and phone); their groups are named in the truth's group_kind.
    """
    scenarios = api.SCENARIOS if hard else tuple(s.value for s in scenario or ())
    for path in api.synthesise(out_dir, records, seed=seed, file_format=file_format.value,
                               as_of=parse_date(as_of, "--as-of"), scenarios=scenarios):
        err.print(f"wrote {path}")

