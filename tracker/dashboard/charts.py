"""Plotly figures of the dashboard (and of reports that want them).

Each builder takes figures already computed by :mod:`tracker.dashboard.views` (or
:mod:`tracker.planning.forecast`) and returns a :class:`plotly.graph_objects.Figure`; none of them
reads the store or computes a figure of its own.

- :func:`progress_bars`: chains toward the target, sorted by gap, coloured by status.
- :func:`burnup`: firms in scope (which grows) against covered firms, monthly, with the
  target line, the deadline and, when given, the projection drawn dashed and labelled.
- :func:`timeline`: a firm's coverage history as coloured periods.
- :func:`flow_waterfall`: where the covered (or the uncovered) firms came from between two
  dates (:func:`tracker.flow.flow`), as a waterfall.
- :func:`time_to_cover`: the median days from entering a chain to being covered, by month.

Examples
--------
>>> from tracker.dashboard.views import ChainRow
>>> from tracker.coverage import Counts
>>> fig = progress_bars([ChainRow("BIO", "生物技术", Counts(10, 5, 2, 3, 1), 1.0, 3, "pending")])
>>> fig.data[0].type
'bar'
>>> moves = {"start": {"firms": 10, "covered": 8, "uncovered": 2}, "end": {"firms": 11,
...          "covered": 8, "uncovered": 3}, "entered": 2, "entered_covered": 1, "left": 1,
...          "left_covered": 1, "gained": 1, "lost": 1}
>>> list(flow_waterfall(moves).data[0].y)
[8, -1, 1, 1, -1, 8]
>>> list(flow_waterfall(moves, uncovered=True).data[0].y)
[2, 1, 0, -1, 1, 3]
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import threading
from collections import OrderedDict
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from ..i18n import display_width, percent, t
from ..vocab import PLAN_STATUS, STANDING, STATUS

__all__ = ["FIGURE_CACHE_SIZE", "FONT", "NOT_IN_CHAIN_COLOUR", "burnup", "date_axis", "flow_waterfall", "memo_figure",
           "picked_codes", "progress_bars", "time_to_cover", "timeline", "wrap_label"]

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
#: A period of a firm's history in no chain: it has no coverage status (and no term).
NOT_IN_CHAIN_COLOUR = "#e0e0e0"


#: Figures kept by :func:`memo_figure`, most recently used last.
FIGURE_CACHE_SIZE = 256
_figures: OrderedDict[tuple, go.Figure] = OrderedDict()
_figures_lock = threading.Lock()


def memo_figure(build):
    """Keep the figures ``build`` makes, per arguments, for every session of the server.

    A builder is a pure function of its arguments, and building a figure is mostly
    plotly's validation of every property: on a warm page view (figures already cached
    per data version) it was about two thirds of the server's CPU. The key is a digest
    of the pickled arguments, so equal figures (the same series, date and language) are
    built once; the figure returned is shared and must not be changed by the caller
    (``st.plotly_chart`` only reads it).

    >>> calls = []
    >>> @memo_figure
    ... def square(frame, lang="zh"):
    ...     calls.append(lang)
    ...     return go.Figure()
    >>> f = pd.DataFrame({"x": [1, 2]})
    >>> square(f) is square(f.copy()), square(f, "en") is square(f), calls
    (True, False, ['zh', 'en'])
    """
    @functools.wraps(build)
    def cached(*args, **kwargs):
        key = (build.__qualname__,
               hashlib.blake2b(pickle.dumps((args, sorted(kwargs.items())), protocol=5),
                               digest_size=16).digest())
        with _figures_lock:
            if key in _figures:
                _figures.move_to_end(key)
                return _figures[key]
        figure = build(*args, **kwargs)
        with _figures_lock:
            _figures[key] = figure
            while len(_figures) > FIGURE_CACHE_SIZE:
                _figures.popitem(last=False)
        return figure

    return cached


def _t(key: str, lang: str, **values) -> str:
    """The chart string ``app.chart_<key>`` in ``lang``."""
    return t(f"app.chart_{key}", lang, **values)


def _layout(fig: go.Figure, height: int, **extra) -> go.Figure:
    fig.update_layout(height=height, font={"family": FONT, "size": 13},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white",
                      legend={"orientation": "h", "y": -0.15}, **extra)
    return fig


def wrap_label(text: str, width: int = 24) -> str:
    """``text`` broken into lines of at most ``width`` columns (CJK characters count
    double) with ``<br>``, at spaces where there are any: a long English chain name takes
    two short lines beside its bar instead of one long one that squeezes the bars.

    >>> wrap_label("Automotive (intelligent connected and new-energy vehicles)")
    'Automotive (intelligent<br>connected and new-energy<br>vehicles)'
    >>> wrap_label("生物技术"), wrap_label("Biotechnology")
    ('生物技术', 'Biotechnology')
    """
    words = text.split(" ") if " " in text else list(text)
    glue = " " if " " in text else ""
    lines, line = [], ""
    for word in words:
        candidate = f"{line}{glue}{word}" if line else word
        if line and display_width(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    return "<br>".join(lines)


def picked_codes(event) -> list[str]:
    """The codes (``customdata``) of the points picked on a chart drawn with
    ``st.plotly_chart(..., on_select="rerun")``: the chains whose bars were clicked.

    >>> picked_codes({"selection": {"points": [{"customdata": ["BIO"], "y": "生物技术"}]}})
    ['BIO']
    >>> picked_codes(None), picked_codes({"selection": {"points": []}})
    ([], [])
    """
    if not event:
        return []
    points = (event.get("selection") or {}).get("points") or []
    codes = []
    for point in points:
        data = point.get("customdata")
        code = data[0] if isinstance(data, list | tuple) and data else data
        if isinstance(code, str) and code not in codes:
            codes.append(code)
    return codes


@memo_figure
def progress_bars(rows, lang: str = "zh", standing: bool = False) -> go.Figure:
    """Horizontal bars: each chain's work coverage rate against the target.

    ``rows`` are :class:`tracker.dashboard.views.ChainRow`; the chain with the largest gap is drawn
    on top; the label gives the rate and the gap. The colour says the forecast's plan status
    (:data:`tracker.vocab.PLAN_STATUS`) or, with ``standing`` (after the deadline, when the
    forecast has nothing left to judge), the 统计日状态 (:data:`tracker.vocab.STANDING`).
    Each bar carries its chain's code (``customdata``: :func:`picked_codes`). Long names
    wrap (:func:`wrap_label`); the labels stand right of the bars in a margin as wide as
    the longest, so that none is cut; the target's note stands left of its line.
    """
    ordered = sorted(rows, key=lambda r: (r.gap, -(r.counts.coverage_rate or 0)))
    vocab = STANDING if standing else PLAN_STATUS
    fig = go.Figure()
    shown: set[str] = set()
    outside, lines = [], 1
    for row in ordered:
        rate = row.counts.coverage_rate
        code = (row.verdict.standing if standing and row.verdict is not None else row.status)
        status_text = vocab.label(code, lang)
        rate_text = percent(rate)
        if rate is None:
            label = _t("no_firms", lang)
        elif row.gap:
            label = _t("rate_gap", lang, rate=rate_text, gap=f"{row.gap:,}")
        else:
            label = rate_text
        name = wrap_label(row.name)
        lines = max(lines, name.count("<br>") + 1)
        # The label inside a long bar (clear of the target's line), right of a short one.
        inside = (rate or 0) >= 0.5
        if not inside:
            outside.append(label)
        fig.add_bar(
            y=[name], x=[(rate or 0) * 100], orientation="h", name=status_text,
            marker_color=vocab.colour(code), text=[label], customdata=[row.code],
            textposition="inside" if inside else "outside", insidetextanchor="end",
            textfont={"color": "white" if inside else "#37474f"}, cliponaxis=False,
            legendgroup=code,
            showlegend=code not in shown,
            hovertemplate=(f"{row.name}<br>{_t('firms', lang)} {row.counts.firms:,}<br>"
                           f"{_t('covered', lang)} {row.counts.covered:,}<br>"
                           f"{_t('rate', lang)} {rate_text}<br>{status_text}<extra></extra>"),
        )
        shown.add(code)
    target = ordered[0].target_rate * 100 if ordered else 100
    fig.add_vline(x=target, line_dash="dot", line_color="#37474f")
    # The target's note above the plot, ending at its line: never over a bar, never cut.
    fig.add_annotation(x=target, y=1, xref="x", yref="paper", yanchor="bottom", xanchor="right",
                       text=_t("target", lang, target=f"{target:.0f}%"), showarrow=False,
                       font={"color": "#37474f"})
    fig.update_xaxes(range=[0, 100], ticksuffix="%", gridcolor="#eceff1")
    fig.update_yaxes(categoryorder="array", categoryarray=[wrap_label(r.name) for r in ordered],
                     automargin=True)
    # A label right of a short bar may pass 100%: a right margin as wide as the longest
    # (about 7 px a column), so that none is cut.
    right = 16 + 7 * max((display_width(x) for x in outside), default=0)
    height = max(260, (22 + 14 * lines) * len(ordered) + 110)
    fig = _layout(fig, height=height, barmode="overlay", title=_t("bars_title", lang))
    fig.update_layout(margin={"r": right, "t": 60}, bargap=0.25,
                      legend={"y": -50 / height, "yanchor": "top"})
    return fig


def date_axis(fig: go.Figure, lang: str = "zh") -> go.Figure:
    """Dates on the x axis written in ``lang``: ``2026年5月`` in Chinese, ``May 2026`` in
    English (plotly's own month names are English: "Jul 2023" in a Chinese page), for the
    year, month and day zoom levels alike.

    >>> fig = date_axis(go.Figure(), "zh")
    >>> [stop.value for stop in fig.layout.xaxis.tickformatstops]
    ['%Y年%-m月%-d日', '%Y年%-m月', '%Y年']
    """
    stops = [(None, 86400000 * 28, "drill.chart_day"), (86400000 * 28, 86400000 * 360,
                                                        "drill.chart_month"),
             (86400000 * 360, None, "drill.chart_year")]
    fig.update_xaxes(type="date", tickformatstops=[
        {"dtickrange": [low, high], "value": t(key, lang)} for low, high, key in stops])
    return fig


def _vertical(fig: go.Figure, day: date, text: str, colour: str) -> None:
    # add_vline's annotation fails on date axes in some plotly versions: draw it by hand.
    fig.add_shape(type="line", x0=day, x1=day, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": colour, "dash": "dash", "width": 1.5})
    fig.add_annotation(x=day, y=1, xref="x", yref="paper", text=text, showarrow=False,
                       yanchor="bottom", font={"color": colour})


@memo_figure
def burnup(series: pd.DataFrame, deadline: date | None = None, target_rate: float | None = None,
           projection: pd.DataFrame | None = None, lang: str = "zh",
           assumption: str | None = None, title: str | None = None) -> go.Figure:
    """Burn-up: the scope line (firms in the chain or district) and the covered line.

    Parameters
    ----------
    series : columns ``date, firms, covered`` (:func:`tracker.dashboard.views.burnup_series`)
    deadline, target_rate : the plan's; the target is drawn as ``target_rate × firms``
    projection : optional, columns ``date, covered`` and optionally ``low, high``
        (from :mod:`tracker.planning.forecast`): drawn dashed, labelled 预测, never as observed
    assumption : what the projection assumes, written under the chart
    """
    fig = go.Figure()
    if series is not None and len(series):
        fig.add_scatter(x=series["date"], y=series["firms"], name=_t("firms_in_scope", lang),
                        mode="lines", line={"color": "#455a64", "width": 2},
                        hovertemplate="%{x|%Y-%m}: %{y:,}<extra></extra>")
        if target_rate is not None:
            fig.add_scatter(x=series["date"], y=series["firms"] * target_rate,
                            name=_t("target", lang, target=f"{target_rate * 100:.0f}%"),
                            mode="lines", line={"color": "#455a64", "dash": "dot", "width": 1},
                            hovertemplate="%{x|%Y-%m}: %{y:,.0f}<extra></extra>")
        fig.add_scatter(x=series["date"], y=series["covered"], name=_t("covered_firms", lang),
                        mode="lines+markers", line={"color": "#c62828", "width": 3},
                        marker={"size": 5}, hovertemplate="%{x|%Y-%m}: %{y:,}<extra></extra>")
    if projection is not None and len(projection):
        label = _t("projection", lang)
        if {"low", "high"} <= set(projection.columns):
            fig.add_scatter(x=list(projection["date"]) + list(projection["date"])[::-1],
                            y=list(projection["high"]) + list(projection["low"])[::-1],
                            fill="toself", fillcolor="rgba(198,40,40,0.12)", line={"width": 0},
                            name=_t("projection_range", lang), hoverinfo="skip")
        if "firms" in projection.columns:
            fig.add_scatter(x=projection["date"], y=projection["firms"],
                            name=_t("projection_firms", lang),
                            mode="lines", line={"color": "#455a64", "dash": "dash", "width": 1.5},
                            hovertemplate=label + " %{x|%Y-%m}: %{y:,.0f}<extra></extra>")
        fig.add_scatter(x=projection["date"], y=projection["covered"], name=label, mode="lines",
                        line={"color": "#c62828", "dash": "dash", "width": 2},
                        hovertemplate=label + " %{x|%Y-%m}: %{y:,.0f}<extra></extra>")
        last = projection.iloc[-1]
        fig.add_annotation(x=last["date"], y=last["covered"], text=label, showarrow=False,
                           xanchor="left", font={"color": "#c62828"})
    if deadline is not None:
        _vertical(fig, deadline, _t("deadline", lang, day=deadline.isoformat()), "#37474f")
    fig.update_yaxes(rangemode="tozero", tickformat=",d", gridcolor="#eceff1",
                     title=_t("firm_count", lang))
    fig.update_xaxes(gridcolor="#eceff1")
    date_axis(fig, lang)
    if assumption:
        # The full text goes under the chart on the page; the chart itself says the rest.
        short = assumption if len(assumption) <= 40 else _t("projection_note", lang)
        fig.add_annotation(text=short, xref="paper", yref="paper", x=0, y=1, showarrow=False,
                           xanchor="left", yanchor="top", font={"size": 11, "color": "#607d8b"})
    return _layout(fig, height=380, title=title or _t("burnup_title", lang))


@memo_figure
def timeline(history: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """A firm's coverage history (:func:`tracker.dashboard.views.firm_history`) as coloured periods."""
    fig = go.Figure()
    shown: set[str] = set()
    for _, row in history.iterrows():
        start, end = row["start"], row["end"]
        days = (end - start).days
        detail = "<br>".join(x for x in (row["orgs"], row["liaisons"], row["chains"]) if x)
        fig.add_bar(
            base=[pd.Timestamp(start)], x=[days * 86400000], y=[_t("timeline_row", lang)],
            orientation="h", marker_color=STATUS.colour(row["status"], NOT_IN_CHAIN_COLOUR),
            name=row["status_label"], showlegend=row["status"] not in shown,
            legendgroup=row["status"],
            hovertemplate=(f"{row['status_label']}<br>{start.isoformat()} — "
                           f"{(end - timedelta(days=1)).isoformat()}<br>{detail}<extra></extra>"))
        shown.add(row["status"])
    fig.update_xaxes(type="date", gridcolor="#eceff1")
    date_axis(fig, lang)
    fig.update_yaxes(visible=False)
    fig = _layout(fig, height=250, barmode="stack",
                  title=_t("timeline_title", lang))
    fig.update_layout(legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"})
    return fig


@memo_figure
def flow_waterfall(moves: dict, lang: str = "zh", uncovered: bool = False,
                   title: str | None = None) -> go.Figure:
    """The flow between two dates (``moves``: :meth:`tracker.flow.FlowResult.as_dict`) as a
    waterfall.

    Covered firms: start covered → − left covered → + entered covered → + gained → − lost →
    end covered. With ``uncovered``, the uncovered count's movement: start uncovered →
    + entered uncovered → − left uncovered → − gained → + lost → end uncovered. Each bar is a
    figure of the flow itself; the two ends equal ``start`` and ``end`` by the flow's identity.
    """
    start, end = moves["start"], moves["end"]
    if uncovered:
        steps = [("flow_start_uncovered", start["uncovered"]),
                 ("flow_entered_uncovered", moves["entered"] - moves["entered_covered"]),
                 ("flow_left_uncovered", -(moves["left"] - moves["left_covered"])),
                 ("flow_gained", -moves["gained"]), ("flow_lost", moves["lost"]),
                 ("flow_end_uncovered", end["uncovered"])]
        up, down = "#c62828", "#2e7d32"  # more uncovered firms is the bad direction
    else:
        steps = [("flow_start_covered", start["covered"]),
                 ("flow_left_covered", -moves["left_covered"]),
                 ("flow_entered_covered", moves["entered_covered"]),
                 ("flow_gained", moves["gained"]), ("flow_lost", -moves["lost"]),
                 ("flow_end_covered", end["covered"])]
        up, down = "#2e7d32", "#c62828"
    labels = [_t(key, lang) for key, _ in steps]
    values = [value for _, value in steps]
    measures = ["absolute"] + ["relative"] * (len(steps) - 2) + ["total"]
    texts = [f"{values[0]:,}"] + [f"{v:+,}" for v in values[1:-1]] + [f"{values[-1]:,}"]
    fig = go.Figure(go.Waterfall(
        x=labels, y=values, measure=measures, text=texts, textposition="outside",
        cliponaxis=False, connector={"line": {"color": "#b0bec5", "width": 1}},
        increasing={"marker": {"color": up}}, decreasing={"marker": {"color": down}},
        totals={"marker": {"color": "#455a64"}},
        hovertemplate="%{x}: %{text}<extra></extra>"))
    fig.update_yaxes(tickformat=",d", gridcolor="#eceff1", title=_t("firm_count", lang),
                     rangemode="tozero")
    fig.update_xaxes(tickangle=0, automargin=True)
    default = "flow_uncovered_title" if uncovered else "flow_covered_title"
    return _layout(fig, height=340, title=title or _t(default, lang), showlegend=False)


@memo_figure
def time_to_cover(frame: pd.DataFrame, lang: str = "zh", title: str | None = None) -> go.Figure:
    """Bars: the median days from entering to being covered, per month
    (:func:`tracker.dashboard.views.time_to_cover`: ``month, entered, covered, median_days,
    p90_days``); the hover gives the counts and the 90th percentile. A month whose entrants
    are all still uncovered has no bar (its count is in the hover of the label)."""
    fig = go.Figure()
    if frame is not None and len(frame):
        medians = [None if pd.isna(v) else float(v) for v in frame["median_days"]]
        p90 = ["—" if pd.isna(v) else f"{v:,.0f}" for v in frame["p90_days"]]
        hover = [_t("ttc_hover", lang, entered=int(e), covered=int(c), p90=q)
                 for e, c, q in zip(frame["entered"], frame["covered"], p90)]
        fig.add_bar(x=list(frame["month"]), y=medians, marker_color="#1565c0",
                    text=["" if m is None else f"{m:,.0f}" for m in medians],
                    textposition="outside", cliponaxis=False, customdata=hover,
                    hovertemplate="%{x}: %{y:,.1f}<br>%{customdata}<extra></extra>",
                    name=_t("ttc_median", lang))
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero", gridcolor="#eceff1", title=_t("ttc_days", lang))
    return _layout(fig, height=300, title=title or _t("ttc_title", lang), showlegend=False)
