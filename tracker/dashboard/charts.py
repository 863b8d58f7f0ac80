"""Plotly figures of the dashboard (and of reports that want them).

Each builder takes figures already computed by :mod:`tracker.dashboard.views` (or
:mod:`tracker.planning.forecast`) and returns a :class:`plotly.graph_objects.Figure`; none of them
reads the store or computes a figure of its own.

- :func:`progress_bars`: chains toward the target, sorted by gap, coloured by status.
- :func:`burnup`: firms in scope (which grows) against covered firms, monthly, with the
  target line, the deadline and, when given, the projection drawn dashed and labelled.
- :func:`network`: the picture of one chain (firms, organisations, liaisons, supply
  links) coloured by coverage, with hover details.
- :func:`timeline`: a firm's coverage history as coloured periods.

Examples
--------
>>> from tracker.dashboard.views import ChainRow
>>> from tracker.coverage import Counts
>>> fig = progress_bars([ChainRow("BIO", "生物技术", Counts(10, 5, 2, 3, 1), 1.0, 3, "pending")])
>>> fig.data[0].type
'bar'
"""

from __future__ import annotations

from datetime import date, timedelta

import networkx as nx
import pandas as pd
import plotly.graph_objects as go

from ..i18n import percent
from ..vocab import FORMATION, ORG_KIND, PLAN_STATUS, STATUS

__all__ = ["STATUS_COLOURS", "COVERAGE_COLOURS", "FONT", "progress_bars", "burnup", "network",
           "timeline"]

#: Plan status → colour (achieved green, on track blue, at risk amber, missed red).
STATUS_COLOURS = {
    "achieved": "#2e7d32",
    "on_track": "#1565c0",
    "at_risk": "#ef8f00",
    "missed": "#c62828",
    "pending": "#78909c",
    "no_data": "#b0bec5",
}
#: Firm coverage status → colour.
COVERAGE_COLOURS = {"org": "#c62828", "work": "#ef8f00", "none": "#9e9e9e", "out": "#e0e0e0"}
FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"


def _zh(lang: str) -> bool:
    return lang != "en"


def _layout(fig: go.Figure, height: int, **extra) -> go.Figure:
    fig.update_layout(height=height, font={"family": FONT, "size": 13},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white",
                      legend={"orientation": "h", "y": -0.15}, **extra)
    return fig


def progress_bars(rows, lang: str = "zh") -> go.Figure:
    """Horizontal bars: each chain's work coverage rate against the target.

    ``rows`` are :class:`tracker.dashboard.views.ChainRow`; the chain with the largest gap is drawn
    on top; the colour says the plan status; the label gives the rate and the gap.
    """
    zh = _zh(lang)
    ordered = sorted(rows, key=lambda r: (r.gap, -(r.counts.coverage_rate or 0)))
    fig = go.Figure()
    shown: set[str] = set()
    for row in ordered:
        rate = row.counts.coverage_rate
        status_text = PLAN_STATUS.label(row.status, "zh" if zh else "en")
        rate_text = percent(rate)
        if rate is None:
            label = "无企业" if zh else "no firms"
        elif row.gap:
            label = f"{rate_text}（差{row.gap:,}家）" if zh else f"{rate_text} ({row.gap:,} to go)"
        else:
            label = rate_text
        fig.add_bar(
            y=[row.name], x=[(rate or 0) * 100], orientation="h", name=status_text,
            marker_color=STATUS_COLOURS.get(row.status, "#78909c"), text=[label],
            textposition="auto", insidetextanchor="end", cliponaxis=False,
            legendgroup=row.status,
            showlegend=row.status not in shown,
            hovertemplate=(f"{row.name}<br>" + ("企业" if zh else "firms") + f" {row.counts.firms:,}<br>"
                           + ("已覆盖" if zh else "covered") + f" {row.counts.covered:,}<br>"
                           + ("覆盖率" if zh else "rate") + f" {rate_text}<br>{status_text}<extra></extra>"),
        )
        shown.add(row.status)
    target = ordered[0].target_rate * 100 if ordered else 100
    fig.add_vline(x=target, line_dash="dot", line_color="#37474f",
                  annotation_text=("目标 " if zh else "target ") + f"{target:.0f}%",
                  annotation_position="top")
    fig.update_xaxes(range=[0, 105], ticksuffix="%", gridcolor="#eceff1")
    fig.update_yaxes(categoryorder="array", categoryarray=[r.name for r in ordered])
    return _layout(fig, height=max(260, 34 * len(ordered) + 90), barmode="overlay",
                   title=("各产业链工作覆盖率（按差距排序）" if zh else
                          "Work coverage by chain (sorted by gap)"))


def _vertical(fig: go.Figure, day: date, text: str, colour: str) -> None:
    # add_vline's annotation fails on date axes in some plotly versions: draw it by hand.
    fig.add_shape(type="line", x0=day, x1=day, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": colour, "dash": "dash", "width": 1.5})
    fig.add_annotation(x=day, y=1, xref="x", yref="paper", text=text, showarrow=False,
                       yanchor="bottom", font={"color": colour})


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
    zh = _zh(lang)
    fig = go.Figure()
    if series is not None and len(series):
        fig.add_scatter(x=series["date"], y=series["firms"], name="入链企业（范围）" if zh else
                        "firms in scope", mode="lines", line={"color": "#455a64", "width": 2},
                        hovertemplate="%{x|%Y-%m}: %{y:,}<extra></extra>")
        if target_rate is not None:
            fig.add_scatter(x=series["date"], y=series["firms"] * target_rate,
                            name=("目标 " if zh else "target ") + f"{target_rate * 100:.0f}%",
                            mode="lines", line={"color": "#455a64", "dash": "dot", "width": 1},
                            hovertemplate="%{x|%Y-%m}: %{y:,.0f}<extra></extra>")
        fig.add_scatter(x=series["date"], y=series["covered"], name="已覆盖企业" if zh else
                        "covered firms", mode="lines+markers", line={"color": "#c62828", "width": 3},
                        marker={"size": 5}, hovertemplate="%{x|%Y-%m}: %{y:,}<extra></extra>")
    if projection is not None and len(projection):
        label = "预测" if zh else "projection"
        if {"low", "high"} <= set(projection.columns):
            fig.add_scatter(x=list(projection["date"]) + list(projection["date"])[::-1],
                            y=list(projection["high"]) + list(projection["low"])[::-1],
                            fill="toself", fillcolor="rgba(198,40,40,0.12)", line={"width": 0},
                            name=label + ("区间" if zh else " range"), hoverinfo="skip")
        if "firms" in projection.columns:
            fig.add_scatter(x=projection["date"], y=projection["firms"],
                            name=("预测：入链企业" if zh else "projection: firms in scope"),
                            mode="lines", line={"color": "#455a64", "dash": "dash", "width": 1.5},
                            hovertemplate=label + " %{x|%Y-%m}: %{y:,.0f}<extra></extra>")
        fig.add_scatter(x=projection["date"], y=projection["covered"], name=label, mode="lines",
                        line={"color": "#c62828", "dash": "dash", "width": 2},
                        hovertemplate=label + " %{x|%Y-%m}: %{y:,.0f}<extra></extra>")
        last = projection.iloc[-1]
        fig.add_annotation(x=last["date"], y=last["covered"], text=label, showarrow=False,
                           xanchor="left", font={"color": "#c62828"})
    if deadline is not None:
        _vertical(fig, deadline, ("截止 " if zh else "deadline ") + deadline.isoformat(), "#37474f")
    fig.update_yaxes(rangemode="tozero", tickformat=",d", gridcolor="#eceff1",
                     title="企业数" if zh else "firms")
    fig.update_xaxes(gridcolor="#eceff1")
    if assumption:
        # The full text goes under the chart on the page; the chart itself says the rest.
        short = assumption if len(assumption) <= 40 else (
            "虚线为预测，不是观测值" if zh else "dashed: projection, not observed")
        fig.add_annotation(text=short, xref="paper", yref="paper", x=0, y=1, showarrow=False,
                           xanchor="left", yanchor="top", font={"size": 11, "color": "#607d8b"})
    return _layout(fig, height=380, title=title or ("覆盖进度（燃尽上升图）" if zh else "Burn-up"))


def _positions(G: nx.Graph) -> dict:
    if G.number_of_nodes() == 0:
        return {}
    undirected = nx.Graph(G)
    # Deterministic layout: the same chain is drawn the same way on every visit.
    k = 1.6 / max(1, G.number_of_nodes()) ** 0.5
    return nx.spring_layout(undirected, seed=7, k=k, iterations=60)


def network(G: nx.MultiDiGraph, lang: str = "zh", max_nodes: int = 800) -> go.Figure:
    """The picture of one chain from :func:`tracker.graph.chain_subgraph`.

    Firms are circles coloured by coverage status (organisation / work / uncovered),
    chain masters larger; organisations are red squares, liaisons amber diamonds, the
    chain a star. Edges: supply links (solid), coverage and assignment (thin). Hover
    shows name, code, members, status. A very large chain shows its first
    ``max_nodes`` nodes by importance (the chain, masters, organisations, liaisons, then
    firms) and says so in the title.
    """
    zh = _zh(lang)
    nodes = list(G.nodes)
    truncated = len(nodes) > max_nodes
    if truncated:
        def rank(n):
            data = G.nodes[n]
            kind = data.get("type")
            order = {"chain": 0, "org": 2, "liaison": 3}.get(kind, 4)
            if kind == "firm" and data.get("chain_master"):
                order = 1
            return (order, n)
        G = G.subgraph(sorted(nodes, key=rank)[:max_nodes])
    pos = _positions(G)
    fig = go.Figure()
    styles = {"supplies": ("#546e7a", 1.4), "covers": ("#e57373", 0.8),
              "assigned": ("#ffb74d", 0.8), "parent": ("#b71c1c", 1.0), "in_chain": ("#cfd8dc", 0.4)}
    names = {"supplies": "供应关系" if zh else "supply link",
             "covers": "组织覆盖" if zh else "covers", "assigned": "联络员派驻" if zh else "assigned",
             "parent": "上级组织" if zh else "parent org", "in_chain": "入链" if zh else "in chain"}
    for label, (colour, width) in styles.items():
        xs, ys = [], []
        for u, v, data in G.edges(data=True):
            if data.get("label") != label:
                continue
            xs += [pos[u][0], pos[v][0], None]
            ys += [pos[u][1], pos[v][1], None]
        if xs:
            fig.add_scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": width},
                            hoverinfo="skip", name=names[label], showlegend=label != "in_chain")
    groups: dict[str, dict] = {}
    for n, data in G.nodes(data=True):
        kind = data.get("type")
        if kind == "firm":
            key = data.get("status", "none")
            text = (f"{data.get('name')}<br>{data.get('credit_code')}<br>"
                    + ("状态：" if zh else "status: ") + STATUS.label(key, lang) + "<br>"
                    + ("正式党员" if zh else "formal members") + f" {data.get('formal_members', 0)}，"
                    + ("预备党员" if zh else "probationary") + f" {data.get('probationary_members', 0)}"
                    + (("<br>链主企业" if zh else "<br>chain master") if data.get("chain_master") else "")
                    + (f"<br>{data.get('park') or data.get('street') or ''}"))
            size = 16 if data.get("chain_master") else 9
        elif kind == "org":
            key = "org_node"
            text = (f"{data.get('name')}<br>{ORG_KIND.label(data.get('kind'), lang)} · "
                    f"{FORMATION.label(data.get('formation'), lang)}<br>"
                    + ("党员" if zh else "members") + f" {data.get('members', 0)}")
            size = 13
        elif kind == "liaison":
            key = "liaison_node"
            text = f"{data.get('name')}<br>{data.get('unit', '')}"
            size = 10
        else:
            key = "chain_node"
            text = str(data.get("name", n))
            size = 24
        group = groups.setdefault(key, {"x": [], "y": [], "text": [], "size": []})
        group["x"].append(pos[n][0])
        group["y"].append(pos[n][1])
        group["text"].append(text)
        group["size"].append(size)
    looks = {
        "org": ("组织覆盖企业" if zh else "organisation-covered firm", "circle", COVERAGE_COLOURS["org"]),
        "work": ("工作覆盖企业" if zh else "work-covered firm", "circle", COVERAGE_COLOURS["work"]),
        "none": ("未覆盖企业" if zh else "uncovered firm", "circle-open", "#616161"),
        "org_node": ("党组织" if zh else "party organisation", "square", "#8e0000"),
        "liaison_node": ("联络员" if zh else "liaison officer", "diamond", "#ff6f00"),
        "chain_node": ("产业链" if zh else "chain", "star", "#1a237e"),
    }
    for key, (name, symbol, colour) in looks.items():
        if key not in groups:
            continue
        g = groups[key]
        fig.add_scatter(x=g["x"], y=g["y"], mode="markers", name=name, text=g["text"],
                        hovertemplate="%{text}<extra></extra>",
                        marker={"symbol": symbol, "color": colour, "size": g["size"],
                                "line": {"width": 1.5 if key == "none" else 0.5, "color": colour}})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    title = "产业链网络图" if zh else "Chain network"
    if truncated:
        title += (f"（节点较多，仅显示前 {max_nodes} 个）" if zh else f" (first {max_nodes} nodes shown)")
    return _layout(fig, height=560, title=title)


def timeline(history: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """A firm's coverage history (:func:`tracker.dashboard.views.firm_history`) as coloured periods."""
    zh = _zh(lang)
    fig = go.Figure()
    shown: set[str] = set()
    for _, row in history.iterrows():
        start, end = row["start"], row["end"]
        days = (end - start).days
        detail = "<br>".join(x for x in (row["orgs"], row["liaisons"], row["chains"]) if x)
        fig.add_bar(
            base=[pd.Timestamp(start)], x=[days * 86400000], y=["覆盖状态" if zh else "status"],
            orientation="h", marker_color=COVERAGE_COLOURS.get(row["status"], "#9e9e9e"),
            name=row["status_label"], showlegend=row["status"] not in shown,
            legendgroup=row["status"],
            hovertemplate=(f"{row['status_label']}<br>{start.isoformat()} — "
                           f"{(end - timedelta(days=1)).isoformat()}<br>{detail}<extra></extra>"))
        shown.add(row["status"])
    fig.update_xaxes(type="date", gridcolor="#eceff1")
    fig.update_yaxes(visible=False)
    fig = _layout(fig, height=250, barmode="stack",
                  title="覆盖历史" if zh else "Coverage history")
    fig.update_layout(legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"})
    return fig
