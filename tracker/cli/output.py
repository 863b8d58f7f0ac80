"""What the command line draws: plain-text tables and progress lines on stderr.

Tables are aware of the double width of CJK characters. :func:`progress_printer` draws the
:class:`tracker.progress.Progress` events of any long operation (import, demo load, report,
benchmark), labelled from ``tracker/locales/progress.json``.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ..i18n import display_width, percent  # display_width, percent: re-exported
from ..progress import Progress, ProgressCallback, progress_line  # progress_line re-exported

__all__ = ["display_width", "percent", "progress_line", "progress_printer", "table"]


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


def progress_printer(lang: str = "zh", quiet: bool = False, *, stream: TextIO | None = None,
                     delay: float = 1.0, interval: float = 1.0) -> ProgressCallback:
    """A ``progress`` callback that draws :class:`Progress` events on stderr.

    Parameters
    ----------
    lang : the language of the labels
    quiet : draw nothing (``--quiet``)
    stream : where to draw (default: stderr at the time of the call)
    delay : seconds after the printer is made during which nothing is drawn, so that
        short operations show no progress at all (0 to draw from the start)
    interval : within one stage (and detail), at most one line per ``interval`` seconds;
        a new stage or detail, and the event that completes a stage (``done == total``),
        are always drawn

    Returns
    -------
    callable taking one :class:`Progress`. On a terminal the events of one stage rewrite
    their line (every line still ends with a newline, so later output starts clean);
    elsewhere (a pipe, a log file) each drawn event is one plain line.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> draw = progress_printer("en", stream=out, delay=0)
    >>> draw(Progress("validate", 10, 20, "企业"))
    >>> out.getvalue()
    'Validating 企业: 10/20 rows\\n'
    >>> progress_printer(quiet=True)(Progress("read", 1))  # draws nothing
    """
    if quiet:
        return lambda event: None
    started = time.monotonic()
    last: dict = {"at": None, "key": None}

    def draw(event: Progress) -> None:
        now = time.monotonic()
        if now - started < delay:
            return
        key = (event.stage, event.detail)
        same = key == last["key"]
        complete = event.total is not None and event.done == event.total
        if same and not complete and now - last["at"] < interval:
            return
        out = stream if stream is not None else sys.stderr
        # Rewriting (cursor to the start of the previous line) only on a terminal, and only
        # the line this stage drew itself; pipes and files get plain lines.
        rewrite = same and out.isatty()
        out.write(("\x1b[F" if rewrite else "") + progress_line(event, lang)
                  + ("\x1b[K" if rewrite else "") + "\n")
        out.flush()
        last["at"], last["key"] = now, key

    return draw
