"""Write metrics tables to disk: CSV with the vocabulary's headers, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

__all__ = ["write_csv", "write_text", "write_bytes"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: str | os.PathLike, write, *, binary: bool = False) -> Path:
    """Write through ``write(handle)`` to a temporary file beside ``path``, then rename."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ValueError(
            f"output path {str(path)!r} is not valid: directory {str(directory)!r} does not exist"
        )
    handle = tempfile.NamedTemporaryFile(
        "wb" if binary else "w",
        dir=directory,
        prefix=f".{path.name}.",
        suffix=".tmp",
        delete=False,
        **({} if binary else {"newline": "", "encoding": "utf-8"}),
    )
    try:
        with handle:
            write(handle)
        os.chmod(handle.name, 0o666 & ~_umask())  # as open() would, not mkstemp's 0600
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` to ``path`` as CSV (no index), atomically.

    The table goes to a temporary file in the same directory, which then replaces ``path``
    in one rename, so a reader never sees half a file and a failed write leaves no file.
    Infinite values are written as ``inf``, missing ones as an empty field.
    """
    return _atomic_write(path, lambda h: frame.to_csv(h, index=False, lineterminator="\n"))


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, like :func:`write_csv`."""
    return _atomic_write(path, lambda h: h.write(text))


def write_bytes(data: bytes, path: str | os.PathLike) -> Path:
    """Write ``data`` to ``path`` atomically, like :func:`write_csv`."""
    return _atomic_write(path, lambda h: h.write(data), binary=True)
