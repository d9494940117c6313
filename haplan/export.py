"""Write metrics tables to disk: CSV with the vocabulary's headers, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

__all__ = ["write_csv"]


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` to ``path`` as CSV (no index), atomically.

    The table goes to a temporary file in the same directory, which then replaces ``path``
    in one rename, so a reader never sees half a file and a failed write leaves no file.
    Infinite values are written as ``inf``, missing ones as an empty field.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ValueError(
            f"csv path {str(path)!r} is not valid: directory {str(directory)!r} does not exist"
        )
    handle = tempfile.NamedTemporaryFile(
        "w", dir=directory, prefix=f".{path.name}.", suffix=".tmp", delete=False, newline=""
    )
    try:
        with handle:
            frame.to_csv(handle, index=False, lineterminator="\n")
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path
