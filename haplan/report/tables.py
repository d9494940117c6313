"""Tables for the Markdown and HTML reports: one renderer each, used by every report.

Cells arrive as strings; they are escaped here (HTML entities, Markdown's table syntax), so a
name from a user's manifest cannot break the page or the table.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from haplan._safe import markdown_escape

__all__ = ["html_table", "markdown_table"]


def html_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = ()
) -> str:
    """An HTML ``<table>``; the columns in ``numeric`` get ``class="num"`` (right-aligned)."""
    numeric = set(numeric)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{html.escape(c)}</td>'
            if i in numeric
            else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table as lines: the header, the rule, then one escaped line per row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(markdown_escape(c) for c in row) + " |" for row in rows]
    return lines
