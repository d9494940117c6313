"""Locate the files haplan ships in ``data/`` (a source checkout) or ``haplan/data`` (a wheel)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """Return the directory holding haplan's bundled data files."""
    for candidate in (_PACKAGE_DIR / "data", _PACKAGE_DIR.parent / "data"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"haplan's data directory was not found next to {_PACKAGE_DIR}; reinstall haplan"
    )


def data_path(*parts: str) -> Path:
    """Return the path of a bundled data file, e.g. ``data_path("scenarios", "default.toml")``."""
    return data_dir().joinpath(*parts)
