"""Plain-text tables for the terminal, aware of the double width of CJK characters."""

from __future__ import annotations

from ..i18n import display_width, percent  # re-exported for the commands

__all__ = ["display_width", "table", "percent"]


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def table(headers: list[str], rows: list[list[object]], right: set[int] | None = None) -> str:
    """Render rows under headers; columns whose index is in ``right`` are right-aligned."""
    right = right or set()
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(_pad(v, widths[i], i in right) for i, v in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
