"""Writing the graph for analysts: GraphML or GEXF (Gephi, yEd, networkx)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx

from ..errors import TrackerError
from ..i18n import t

__all__ = ["FORMATS", "write_graph"]

FORMATS = ("graphml", "gexf")


def write_graph(G: nx.MultiDiGraph, path: str | Path, fmt: str) -> Path:
    """Write the graph as GraphML or GEXF for analysts (Gephi, yEd, networkx).

    Parameters
    ----------
    fmt : ``"graphml"`` or ``"gexf"``

    Examples
    --------
    >>> write_graph(G, "district.graphml", "graphml")                  # doctest: +SKIP
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise TrackerError(t("common.err_graph_format", fmt=fmt, choices="、".join(FORMATS)))
    path = Path(path)
    if not path.parent.exists():
        raise TrackerError(t("common.err_no_folder", folder=path.parent))
    if fmt == "graphml":
        nx.write_graphml(G, path, encoding="utf-8")
    else:
        out = G.copy()
        # GEXF has no place for arbitrary graph attributes; keep them in the description.
        description = "; ".join(f"{k}={v}" for k, v in sorted(G.graph.items()))
        out.graph = {"mode": "static", "name": f"Redwood {G.graph.get('as_of', '')}".strip()}
        writer = nx.readwrite.gexf.GEXFWriter(encoding="utf-8", prettyprint=True)
        writer.add_graph(out)
        meta = writer.xml.find("meta")
        if meta is not None:
            ET.SubElement(meta, "description").text = description
        writer.write(path)
    return path
