"""The typed networkx graph of the district at a date D, and what it answers.

:func:`build_graph` reads the store and keeps the facts active on D (the one rule,
:func:`tracker.intervals.active_clause`) as a :class:`networkx.MultiDiGraph`. Edge
attributes are read-only (one dict shared by all edges with equal attributes, to keep a
1,000,000-firm district under 2 GiB); ``G.copy()`` gives every edge a dict of its own:

========== ================================ ===============================================
node type  id                               attributes (never ``None``: a missing value is
                                            left out, so GraphML/GEXF export works)
========== ================================ ===============================================
chain      ``chain:<code>``                 code, name, name_en, confirmed, sort_order,
                                            lead_department
firm       ``firm:<credit code>``           credit_code, name, ownership, above_size, park,
                                            street, formal_members, probationary_members,
                                            chains, chain_master, status, single_unit
org        ``org:<org code>``               code, name, kind, formation, members, founded,
                                            dissolved, parent, linked_firms
liaison    ``liaison:<id>``                 name, unit, role
========== ================================ ===============================================

Edges carry ``label``: ``in_chain`` (firm → chain: segment, chain_master, joined),
``covers`` (org → firm), ``parent`` (child org → parent org), ``assigned`` (liaison →
firm), ``supplies`` (supplier firm → buyer firm: chain).

Only the **population on D** is in the graph: firms in at least one chain on D within
the scope. Organisations active on D are nodes even when they cover no chain firm (the
rules and the roll-ups need them); with a restricted scope only the organisations that
cover a scoped firm, plus their active ancestors, are kept. ``linked_firms`` on an
organisation counts *every* firm it covers on D, in the population or not (rule R3
counts units of a joint branch, whatever chain they are in).

The modules of this package:

============== ==========================================================================
``nodes``      node types and ids, edge labels, how attributes are written
``build``      :func:`build_graph`: reading the dated facts and adding them, step by step
``storage``    the memory-saving maps and shared read-only edge attributes
``algorithms`` coverage from the graph (held equal to the SQL figures by the tests),
               organisation roll-ups, the reach of chain masters, one chain's picture
``export``     GraphML and GEXF
============== ==========================================================================

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> G = build_graph(engine, date(2024, 1, 1))
>>> sorted({d["type"] for _, d in G.nodes(data=True)})
['chain']
>>> coverage_from_graph(G).total.firms
0
"""

from __future__ import annotations

from .algorithms import (
    chain_master_reach,
    chain_subgraph,
    coverage_from_graph,
    cross_chain_orgs,
    firm_flags,
    org_rollup,
)
from .build import build_graph
from .export import FORMATS, write_graph
from .nodes import EDGE_LABELS, NODE_TYPES, chain_node, firm_node, liaison_node, org_node
from .storage import SmallMap as _SmallMap  # noqa: F401 - the name the memory tests use

__all__ = [
    "EDGE_LABELS",
    "FORMATS",
    "NODE_TYPES",
    "build_graph",
    "chain_master_reach",
    "chain_node",
    "chain_subgraph",
    "coverage_from_graph",
    "cross_chain_orgs",
    "firm_flags",
    "firm_node",
    "liaison_node",
    "org_node",
    "org_rollup",
    "write_graph",
]
