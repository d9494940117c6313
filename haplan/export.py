"""Write metrics tables to disk: CSV with the vocabulary's headers, written atomically."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path

import pandas as pd

from haplan._safe import quote_path

__all__ = ["write_csv", "write_text", "write_bytes"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Terminated(BaseException):
    """SIGTERM during a write: unwinds like KeyboardInterrupt, so the temp file goes."""


@contextlib.contextmanager
def _sigterm_unwinds():
    """While writing, let SIGTERM raise (in the main thread) instead of killing the process
    outright, so the ``finally`` that removes the temp file runs; restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (ValueError, AttributeError):  # pragma: no cover - no signals here
        yield
        return
    if previous not in (signal.SIG_DFL, None):  # someone else handles it: leave it alone
        yield
        return

    def raise_terminated(signum, frame):
        raise _Terminated()

    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _target(path: Path) -> Path:
    """Where a write to ``path`` lands: through a symlink, the link's target (the link
    stays), as ``open(path, "w")`` would."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _atomic_write(path: str | os.PathLike, write, *, binary: bool = False) -> Path:
    """Write through ``write(handle)`` to a temporary file beside ``path``, then rename.

    The temporary file is fsynced before it replaces ``path``, and removed on every way out
    (an error, KeyboardInterrupt, SIGTERM). Overwriting keeps the file's permission bits;
    writing through a symlink replaces the link's target and keeps the link. An error names
    ``path``, never the temporary file.
    """
    path = Path(path)
    target = _target(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ValueError(
            f"output path {quote_path(path)} is not valid: directory "
            f"{quote_path(directory)} does not exist"
        )
    if target.is_dir():
        raise ValueError(f"output path {quote_path(path)} is not valid: it is a directory")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()  # as open() would, not mkstemp's 0600
    temp: str | None = None
    try:
        with _sigterm_unwinds():
            try:
                descriptor, temp = tempfile.mkstemp(
                    dir=directory, prefix=f".{target.name}.", suffix=".tmp"
                )
                options = {} if binary else {"newline": "", "encoding": "utf-8"}
                with open(descriptor, "wb" if binary else "w", **options) as handle:
                    write(handle)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(temp, mode)
                os.replace(temp, target)
                temp = None
                _fsync_directory(directory)
            finally:
                if temp is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(temp)
    except _Terminated:
        raise SystemExit(128 + signal.SIGTERM) from None
    except OSError as error:
        raise OSError(error.errno, f"cannot write: {error.strerror or error}", str(path)) from None
    return path


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every system allows it)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


#: Columns holding a fraction in [0, 1] that the reports show as a percentage. A CSV names
#: their unit (``utilization_fraction``) so that 0.7 is not read as 0.7 %; probabilities
#: (``*_unavailability``, ``wait_probability``) keep their names: reports show them as
#: probabilities too.
FRACTION_COLUMNS = (
    "max_utilization",
    "utilization",
    "target_availability",
    "slo_availability",
    "service_availability",
)


def csv_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the columns of ``FRACTION_COLUMNS`` named ``<name>_fraction``: the
    names every CSV haplan writes uses."""
    renamed = {name: f"{name}_fraction" for name in FRACTION_COLUMNS if name in frame.columns}
    return frame.rename(columns=renamed) if renamed else frame


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` to ``path`` as CSV (no index), atomically.

    The table goes to a temporary file in the same directory, which then replaces ``path``
    in one rename, so a reader never sees half a file and a failed write leaves no file.
    Infinite values are written as ``inf``, missing ones as an empty field. Fraction columns
    are named with their unit (:func:`csv_columns`).
    """
    table = csv_columns(frame)
    return _atomic_write(path, lambda h: table.to_csv(h, index=False, lineterminator="\n"))


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, like :func:`write_csv`."""
    return _atomic_write(path, lambda h: h.write(text))


def write_bytes(data: bytes, path: str | os.PathLike) -> Path:
    """Write ``data`` to ``path`` atomically, like :func:`write_csv`."""
    return _atomic_write(path, lambda h: h.write(data), binary=True)
