"""Inputs are data: quoting, escaping and the limits that keep hostile input bounded.

Every value a user gives may end up in a terminal, an error line or a Markdown report. The
helpers here make such a value safe to show: control characters (ANSI escape sequences,
newlines that would forge a second error line, bidirectional overrides) become visible
escapes, long values are cut, and Markdown's active characters are escaped. The limits
(input file size, YAML depth and expansion, grid rows, simulated events) are checked once, at
the edge, before anything is allocated.
"""

from __future__ import annotations

import contextvars
import os
import re

__all__ = [
    "escape_controls",
    "one_line",
    "quote",
    "quote_path",
    "markdown_escape",
    "max_input_bytes",
    "MAX_INPUT_MB",
    "MAX_INPUT_ENV",
    "input_limit",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "MAX_GRID_ROWS",
    "MAX_AXIS_VALUES",
    "MAX_COUNT",
    "MAX_SIMULATED_EVENTS",
    "check_file_size",
]

#: Default ceiling on one input file [MiB]; raise it with ``haplan --max-input-mb`` or the
#: environment variable :data:`MAX_INPUT_ENV`.
MAX_INPUT_MB = 10.0
MAX_INPUT_ENV = "HAPLAN_MAX_INPUT_MB"
#: Deepest nesting a YAML or TOML input may have.
MAX_YAML_DEPTH = 64
#: Most nodes one YAML document may expand to (aliases counted each time they are used).
MAX_YAML_NODES = 200_000
#: Most values one axis of a sweep or plan may hold.
MAX_AXIS_VALUES = 1_000_000
#: Most scenarios (rows) a sweep or plan may build in memory.
MAX_GRID_ROWS = 2_000_000
#: Largest count (nodes, instances, …) the models hold exactly: a float holds every whole
#: number up to 2**53, and 1e15 leaves room for the products the models form.
MAX_COUNT = 10**15
#: Most failure and repair events one simulation run may draw.
MAX_SIMULATED_EVENTS = 50_000_000

_limit: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "haplan_max_input_mb", default=None
)

# C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control or format character written as a visible escape
    (``\\x1b``, ``\\n``); with ``keep_newlines`` a newline (and a tab) stays as it is."""
    text = str(text)
    if keep_newlines:
        return _CONTROLS.sub(lambda m: m.group() if m.group() in "\n\t" else _escape_char(m), text)
    return _CONTROLS.sub(_escape_char, text)


def one_line(text: object) -> str:
    """``text`` as one safe line: newlines and every other control character escaped."""
    return escape_controls(text)


def quote(value: object, limit: int = 60) -> str:
    """A value for a message: quoted if it is a string, control characters escaped, cut to
    about ``limit`` characters (with ``…`` and its full length when cut)."""
    if isinstance(value, str):
        text = value
        quoted = True
    else:
        try:
            text = repr(value)
        except Exception:  # a hostile object's repr: say what it is instead
            text = f"<{type(value).__name__}>"
        quoted = False
    length = len(text)
    if length > limit:
        text = text[:limit]
    text = escape_controls(text)
    if len(text) > limit:
        text = text[:limit]
    if length > limit:
        text += f"… ({length:,} characters)"
    if quoted:
        text = "'" + text.replace("'", "\\'") + "'"
    return text


def quote_path(path: object) -> str:
    """A file path for a message: quoted and escaped like :func:`quote`, cut only when very
    long (a user needs to see which file)."""
    return quote(str(path), limit=300)


# Characters that Markdown (CommonMark and GitHub's) would read as markup anywhere in a line
# (a line never starts with a name: each is prefixed): code, emphasis, links and images (no
# ``[`` no link), headings' closing ``#``, table cells' ``|``, strikethrough. An underscore
# inside a word (snake_case) is never emphasis and stays as it is.
_MARKDOWN = re.compile(r"([\\`*\[\]#|~])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def markdown_escape(text: object) -> str:
    """``text`` as literal Markdown inline text: HTML's ``& < >`` as entities, Markdown's
    punctuation backslash-escaped, newlines and control characters escaped (so a name cannot
    start a heading, a link, an image or raw HTML)."""
    text = escape_controls(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN.sub(lambda m: "\\" + m.group(), text)
    return re.sub(r"(?i)javascript:", "javascript&#58;", text)


# -- limits ------------------------------------------------------------------------------------


class input_limit:  # noqa: N801 - used as a context manager, like a function
    """Set the input file size ceiling [MiB] for the code run inside ``with``."""

    def __init__(self, megabytes: float | None):
        self.megabytes = megabytes
        self._token = None

    def __enter__(self):
        self._token = _limit.set(self.megabytes)
        return self

    def __exit__(self, *exc):
        _limit.reset(self._token)
        return False


def max_input_bytes() -> int:
    """The size ceiling on one input file [bytes]: ``--max-input-mb``, else the environment
    variable ``HAPLAN_MAX_INPUT_MB``, else 10 MiB."""
    megabytes = _limit.get()
    if megabytes is None:
        text = os.environ.get(MAX_INPUT_ENV)
        if text:
            try:
                megabytes = float(text)
            except ValueError:
                raise ValueError(
                    f"{MAX_INPUT_ENV}={quote(text)} is not valid: give a size in MiB, e.g. 50"
                ) from None
            if not 0 < megabytes < 1e9:
                raise ValueError(
                    f"{MAX_INPUT_ENV}={quote(text)} is out of range: must be > 0 and < 1e9 MiB"
                )
        else:
            megabytes = MAX_INPUT_MB
    return int(megabytes * 2**20)


def check_file_size(path, what: str = "input file") -> None:
    """Refuse, before reading it, a file larger than :func:`max_input_bytes`."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return  # the reader says why it cannot be read
    limit = max_input_bytes()
    if size > limit:
        raise ValueError(
            f"{what} {quote_path(path)} is {size / 2**20:,.1f} MiB, more than the "
            f"{limit / 2**20:,.4g} MiB limit: raise it with haplan --max-input-mb N or "
            f"{MAX_INPUT_ENV}=N if the file is meant to be this big"
        )
