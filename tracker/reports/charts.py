"""Charts of a report: plotly figures drawn from :class:`~tracker.reports.content.ReportContent`.

The figures are rendered to PNG by kaleido, which drives the system's Chromium (Debian
package ``chromium``, found on ``PATH``). One rendering server is started for all the
charts of a report and stopped afterwards: starting Chromium costs about 3 s, each chart
after that a fraction of a second.

When Chromium cannot be started the report still goes out, without charts, and says why
(:attr:`ChartSet.error`); nothing falls back to another plotting library.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field

import plotly.graph_objects as go

from ..vocab import STATUS
from .content import ReportContent

__all__ = [
    "FONT_FAMILY",
    "TARGET_COLOUR",
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

# kaleido's rendering server is global to the process; the dashboard may render from
# several threads.
_LOCK = threading.Lock()


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


def render_charts(content: ReportContent, scale: float = 3.0) -> ChartSet:
    """Render every chart to PNG (900 px wide × ``scale``: 2700 px, over 400 dpi at 16 cm).

    Returns a :class:`ChartSet`; when rendering fails its ``error`` says why and
    ``charts`` holds what was rendered before the failure.
    """
    wanted = figures(content)
    result = ChartSet()
    if not wanted:
        return result
    with _LOCK:
        try:
            import kaleido
        except ImportError as exc:
            result.error = f"kaleido: {exc}"
            return result
        started = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    kaleido.start_sync_server(silence_warnings=True)
                    started = True
                except RuntimeError:  # already running (started by the caller): use it
                    pass
                for key, title, fig in wanted:
                    png = fig.to_image(format="png", scale=scale)
                    result.charts.append(Chart(key, title, png, int(fig.layout.width),
                                               int(fig.layout.height)))
        except Exception as exc:  # noqa: BLE001 - Chromium missing or crashed: report it
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        finally:
            if started:
                try:
                    kaleido.stop_sync_server(silence_warnings=True)
                except Exception:  # noqa: BLE001 - nothing left to clean up
                    pass
    return result
