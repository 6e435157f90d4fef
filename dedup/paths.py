"""Output paths, checked before any work is done.

A command that writes a file (`run --clusters-out`, `diff --html`, `train --out`, `decisions
export`, `import --rejects`) or fills a folder (`synth`, `demo --data-dir`) refuses a path it
could not write with one line naming it, before the pipeline runs rather than after.
"""

from __future__ import annotations

import os
from pathlib import Path

from dedup.errors import DedupError

__all__ = ["check_output", "check_output_folder", "write_error"]


def _label(path: Path, option: str | None) -> str:
    return f"{option} {path}" if option else str(path)


def check_output(path: os.PathLike | str, option: str | None = None,
                 suffixes: tuple[str, ...] = ()) -> Path:
    """Refuse an output file that cannot be written: a folder, a file in a folder that does not
    exist (or cannot be written to), or, with `suffixes`, a name without one of them.

    Args:
        path: the file to be written.
        option: the option that named it (`--html`), for the message.
        suffixes: the extensions allowed (lower case, with the dot), e.g. ('.csv', '.parquet').
    """
    path = Path(path)
    label = _label(path, option)
    if path.is_dir():
        raise DedupError(f"{label}: is a folder, expected a file to write")
    parent = path.parent
    if not parent.is_dir():
        if parent.exists():
            raise DedupError(f"{label}: {parent} is a file, not a folder")
        raise DedupError(f"{label}: no such folder {parent}")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DedupError(f"{label}: cannot write there (permission denied)")
    if suffixes and path.suffix.lower() not in suffixes:
        names = " or ".join(filter(None, (", ".join(suffixes[:-1]), suffixes[-1])))
        raise DedupError(f"{label}: use a {names} file name")
    return path


def check_output_folder(path: os.PathLike | str, option: str | None = None) -> Path:
    """Refuse a folder to be written into (created if missing, with its parents) that is a file,
    or lies under a file or a folder that cannot be written to."""
    path = Path(path)
    label = _label(path, option)
    if path.exists() and not path.is_dir():
        raise DedupError(f"{label}: is a file, expected a folder")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise DedupError(f"{label}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DedupError(f"{label}: cannot write in {existing} (permission denied)")
    return path


def write_error(path: os.PathLike | str, exc: OSError, option: str | None = None) -> DedupError:
    """The one-line error for a write that failed anyway (disk full, a folder removed meanwhile)."""
    return DedupError(f"{_label(Path(path), option)}: cannot write: {exc.strerror or exc}")
