"""One progress event for every long piece of work (import, demo load, report, benchmark).

Long operations take an optional ``progress`` callable and call it with :class:`Progress`
events; they never print. The command line draws the events on stderr
(:func:`tracker.cli.output.progress_printer`), the dashboard with ``st.progress``
(:func:`tracker.dashboard.page.progress_bar`). An event names its stage by a locale key
(``progress.<stage>`` in ``tracker/locales/progress.json``), so both draw it in the
reader's language.

Examples
--------
>>> seen = []
>>> report = Reporter(seen.append)
>>> report("read", done=20000, total=None, detail="企业")
>>> report("write", done=5, total=10, detail="企业")
>>> [(e.stage, e.done, e.total, e.fraction) for e in seen]
[('read', 20000, None, None), ('write', 5, 10, 0.5)]
>>> Reporter(None)("read", done=1)  # no listener: nothing happens
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .i18n import strings, t

__all__ = ["Progress", "ProgressCallback", "Reporter", "progress_line"]


@dataclass(frozen=True)
class Progress:
    """What a long operation has done so far.

    Attributes
    ----------
    stage : a short identifier of the step (``"read"``, ``"validate"``, ``"write"``,
        ``"gather"``, ``"render"``, ``"generate"``…); ``progress.<stage>`` is its label.
    done : units done so far in this stage (rows, firms, steps), or None when unknown.
    total : units the stage will do, or None when unknown (a bar then cannot be drawn).
    detail : what the units belong to (a sheet name, a format), shown as is.
    rate : units per second since the stage began, when known.
    """

    stage: str
    done: int | None = None
    total: int | None = None
    detail: str = ""
    rate: float | None = None

    @property
    def fraction(self) -> float | None:
        """``done / total`` in [0, 1], or None when either is unknown."""
        if self.done is None or not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))


ProgressCallback = Callable[[Progress], None]


@dataclass
class Reporter:
    """Sends :class:`Progress` events to ``listener`` (or nowhere), adding the rate.

    Each stage's clock starts at its first event, so ``rate`` is units per second within
    the stage.
    """

    listener: ProgressCallback | None
    _started: dict[tuple[str, str], float] = field(default_factory=dict)

    def __call__(self, stage: str, done: int | None = None, total: int | None = None,
                 detail: str = "") -> None:
        if self.listener is None:
            return
        now = time.perf_counter()
        began = self._started.setdefault((stage, detail), now)
        elapsed = now - began
        rate = done / elapsed if done and elapsed > 0 else None
        self.listener(Progress(stage, done, total, detail, rate))


def progress_line(event: Progress, lang: str = "zh") -> str:
    """One event as one line of text, in ``lang``.

    The stage's label is ``progress.<stage>``; a stage may name its unit
    (``progress.<stage>_unit``, e.g. rows), shown after the counts.

    Examples
    --------
    >>> progress_line(Progress("write", 5000, 25000, "企业", 1234.4))
    '写入 企业：5,000/25,000 行（1,234 行/秒）'
    >>> progress_line(Progress("read", 20000, None, "企业"), "en")
    'Reading 企业: 20,000 rows'
    """
    head = t(f"progress.{event.stage}", lang)
    if event.detail:
        head = f"{head} {event.detail}"
    if event.done is None:
        return head
    unit_key = f"{event.stage}_unit"
    unit = t(f"progress.{unit_key}", lang) if unit_key in strings("progress") else ""
    count = f"{event.done:,}" if event.total is None else f"{event.done:,}/{event.total:,}"
    if unit:
        count = f"{count} {unit}"
    if event.rate is None:
        return t("progress.line", lang, head=head, count=count)
    rate = f"{event.rate:,.0f} {unit}" if unit else f"{event.rate:,.0f}"
    return t("progress.line_rate", lang, head=head, count=count, rate=rate)
