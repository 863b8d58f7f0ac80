"""Charts of a report: plotly figures drawn from :class:`~tracker.reports.content.ReportContent`.

The figures are rendered to PNG by kaleido, which drives the system's Chromium (Debian
package ``chromium``, found on ``PATH``, or the browser named by ``BROWSER_PATH``). One
Chromium is started for all the charts of a report and stopped afterwards: starting it
costs about 3 s, each chart after that a fraction of a second.

Never a hang: the rendering runs in a child process (:data:`_CHILD`) that is killed,
with its process group, when it has not answered within :data:`TIME_LIMIT` seconds.
(kaleido's own synchronous server runs Chromium in a thread; when Chromium is missing
or fails to start, that thread dies and the caller waits forever. A thread cannot be
stopped from outside; a child process can.) When Chromium cannot be started, crashes
or does not answer in time, the report still goes out, without charts, and says why in
one line (:attr:`ChartSet.error`); nothing falls back to another plotting library.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field

import plotly.graph_objects as go

from ..i18n import t
from ..vocab import STATUS
from .content import ReportContent

__all__ = [
    "FONT_FAMILY",
    "TARGET_COLOUR",
    "TIME_LIMIT",
    "Chart",
    "ChartSet",
    "chain_figure",
    "figures",
    "gap_figure",
    "render_charts",
]

#: Fonts for chart text; Noto CJK comes with Debian's fonts-noto-cjk.
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
#: The target line: neutral, apart from the status colours (:data:`tracker.vocab.STATUS`).
TARGET_COLOUR = "#333333"

#: Seconds the child process may take for all the charts of a report, Chromium's start
#: included (about 5 s on a quiet machine, 15 s on a machine loaded twentyfold). Past it
#: the charts are given up: a report must finish, a failed chart costing at most 60 s in
#: all (issue 16), gathering and writing included. A browser that fails to start is
#: noticed at once (about 3 s, the child's start).
TIME_LIMIT = 30.0


@dataclass
class Chart:
    key: str
    title: str
    png: bytes
    width_px: int
    height_px: int


@dataclass
class ChartSet:
    charts: list[Chart] = field(default_factory=list)
    error: str | None = None  # why charts are missing, for the report and the log


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.5, "xanchor": "center", "font": {"size": 18}},
        font={"family": FONT_FAMILY, "size": 15, "color": "#222"},
        paper_bgcolor="white", plot_bgcolor="white", height=height, width=900,
        margin={"l": 10, "r": 50, "t": 70, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0.5, "xanchor": "center",
                "traceorder": "normal"},
        bargap=0.3,
    )
    return fig


def chain_figure(content: ReportContent) -> go.Figure:
    """Stacked shares per chain: organisation-covered, work-covered, uncovered; target line."""
    rows = [ch for ch in content.chains if ch.counts.firms > 0][::-1]
    names = [ch.name for ch in rows]
    fig = go.Figure()
    for status, attr in (("org", "org_covered"), ("work", "work_covered"), ("none", "uncovered")):
        values = [getattr(ch.counts, attr) / ch.counts.firms for ch in rows]
        counts = [getattr(ch.counts, attr) for ch in rows]
        fig.add_bar(y=names, x=values, orientation="h", name=STATUS.label(status, content.lang),
                    marker_color=STATUS.colour(status), customdata=counts,
                    text=[f"{v * 100:.0f}%" if v >= 0.06 else "" for v in values],
                    textposition="inside", insidetextanchor="middle")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=".0%", range=[0, 1], gridcolor="#e5e5e5")
    fig.update_yaxes(automargin=True)
    if content.target_rate is not None:
        fig.add_vline(x=content.target_rate, line_dash="dash", line_color=TARGET_COLOUR,
                      annotation_text=content.tr("chart_target", target=f"{content.target_rate:.0%}"),
                      annotation_position="top left")
    title = content.tr("chart_chains_title", date=content.as_of.isoformat())
    return _layout(fig, title, height=max(340, 90 + 40 * len(rows)))


def gap_figure(content: ReportContent) -> go.Figure | None:
    """Firms still to cover per lagging chain; None when no chain lags."""
    lagging = sorted((ch for ch in content.chains if ch.gap), key=lambda ch: (ch.gap, ch.key))
    if not lagging:
        return None
    fig = go.Figure(go.Bar(
        y=[ch.name for ch in lagging], x=[ch.gap for ch in lagging], orientation="h",
        marker_color=STATUS.colour("org"), text=[str(ch.gap) for ch in lagging], textposition="outside",
        name=content.tr("col_gap")))
    fig.update_xaxes(title=content.tr("chart_gap_axis"), gridcolor="#e5e5e5",
                     range=[0, max(ch.gap for ch in lagging) * 1.15 + 1])
    fig.update_yaxes(automargin=True)
    fig.update_layout(showlegend=False)
    return _layout(fig, content.tr("chart_gap_title"), height=max(300, 90 + 40 * len(lagging)))


def figures(content: ReportContent) -> list[tuple[str, str, go.Figure]]:
    """(key, title, figure) for every chart the report holds."""
    out = []
    if any(ch.counts.firms for ch in content.chains):
        out.append(("chains", content.tr("chart_chains_caption"), chain_figure(content)))
    gap = gap_figure(content)
    if gap is not None:
        out.append(("gap", content.tr("chart_gap_caption"), gap))
    return out


def render_charts(content: ReportContent, scale: float = 3.0,
                  time_limit: float | None = None) -> ChartSet:
    """Render every chart to PNG (900 px wide × ``scale``: 2700 px, over 400 dpi at 16 cm).

    Returns a :class:`ChartSet`; when rendering fails its ``error`` says why (one line)
    and ``charts`` holds what was rendered before the failure. Returns within
    ``time_limit`` seconds (default :data:`TIME_LIMIT`) and a little more, whatever
    Chromium does.
    """
    wanted = figures(content)
    result = ChartSet()
    if not wanted:
        return result
    limit = TIME_LIMIT if time_limit is None else time_limit
    request = {"scale": scale, "figures": [
        {"fig": fig.to_plotly_json(), "width": int(fig.layout.width), "height": int(fig.layout.height)}
        for _, _, fig in wanted]}
    answers, error = _run_child(json.dumps(request, cls=_PlotlyJSON).encode("utf-8"), limit,
                                content.lang)
    for (key, title, fig), answer in zip(wanted, answers):
        result.charts.append(Chart(key, title, base64.b64decode(answer), int(fig.layout.width),
                                   int(fig.layout.height)))
    if error is None and len(answers) < len(wanted):
        error = t("ledger.charts_no_answer", content.lang)
    result.error = error
    return result


class _PlotlyJSON(json.JSONEncoder):
    """Figures as JSON: plotly's encoder (numpy arrays, dates) behind the standard one."""

    def default(self, o):
        from plotly.utils import PlotlyJSONEncoder

        return PlotlyJSONEncoder().default(o)


# The child: reads {"scale", "figures": [{"fig", "width", "height"}]} on stdin, writes one
# JSON line per chart ({"png": base64}) and, on a failure, one {"error": text} line. It
# uses kaleido's asynchronous API, under which a browser that fails to start raises
# (the synchronous server's thread dies silently instead). Chromium is kept in the
# child's process group (choreographer would start it in a session of its own), so that
# killing the group on timeout leaves nothing behind.
_CHILD = r"""
import asyncio, base64, json, subprocess, sys, warnings
warnings.simplefilter("ignore")
class Popen(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        kwargs["start_new_session"] = False
        super().__init__(*args, **kwargs)
subprocess.Popen = Popen
def say(**answer):
    sys.stdout.write(json.dumps(answer) + "\n"); sys.stdout.flush()
def why(exc):
    text = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return (type(exc).__name__ + ": " + (text.strip().splitlines() or [""])[0])[:300]
try:
    request = json.loads(sys.stdin.buffer.read())
    import kaleido
    async def main():
        async with kaleido.Kaleido(n=1) as k:
            for item in request["figures"]:
                opts = {"format": "png", "width": item["width"], "height": item["height"],
                        "scale": request["scale"]}
                png = await k.calc_fig(item["fig"], opts=opts)
                say(png=base64.b64encode(png).decode("ascii"))
    asyncio.run(main())
except BaseException as exc:
    kind = {"ChromeNotFoundError": "missing", "BrowserFailedError": "start"}.get(
        type(exc).__name__, "other")
    say(error=why(exc), kind=kind)
"""


def _run_child(request: bytes, limit: float, lang: str) -> tuple[list[str], str | None]:
    """Run :data:`_CHILD` on ``request``; (the PNGs in base64, the error or None).

    The child leads a process group of its own, Chromium in it: on timeout the whole
    group is killed.
    """
    try:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:
        return [], f"{type(exc).__name__}: {exc}"[:300]
    timed_out = False
    try:
        out, _ = proc.communicate(request, timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, _ = proc.communicate()
    answers, error = [], None
    for line in out.decode("utf-8", "replace").splitlines():
        try:
            answer = json.loads(line)
        except ValueError:
            continue  # a library's stray print: not an answer
        if "png" in answer:
            answers.append(answer["png"])
        elif "error" in answer:
            kind = answer.get("kind")
            # The two common failures in the reader's language; anything else as it came.
            error = (t(f"ledger.charts_{kind}", lang) if kind in ("missing", "start")
                     else answer["error"])
    if timed_out:
        error = t("ledger.charts_timeout", lang, seconds=f"{limit:g}")
    elif error is None and proc.returncode:
        error = t("ledger.charts_exit", lang, code=proc.returncode)
    return answers, error


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the child and everything in its process group (started by us, by its id)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
