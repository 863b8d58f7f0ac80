"""What the graph holds: node types and ids, edge labels, and how attributes are written.

Every attribute is a string, a number or a boolean, and never ``None`` (a missing value
is left out), so that GraphML and GEXF can write it.

>>> firm_node("91440112MA5ABCDE1X"), chain_node("BIO")
('firm:91440112MA5ABCDE1X', 'chain:BIO')
>>> attrs(name="甲", park=None)
{'name': '甲'}
"""

from __future__ import annotations

import json
from datetime import date

__all__ = [
    "EDGE_LABELS",
    "NODE_TYPES",
    "attrs",
    "chain_node",
    "firm_node",
    "iso",
    "liaison_node",
    "names_attr",
    "names_from_attr",
    "org_node",
]

NODE_TYPES = ("chain", "firm", "org", "liaison")
EDGE_LABELS = ("in_chain", "covers", "parent", "assigned", "supplies")


def chain_node(code: str) -> str:
    return f"chain:{code}"


def firm_node(credit_code: str) -> str:
    return f"firm:{credit_code}"


def org_node(code: str) -> str:
    return f"org:{code}"


def liaison_node(liaison_id: int) -> str:
    return f"liaison:{liaison_id}"


def attrs(**values) -> dict:
    """Drop ``None`` values: GraphML and GEXF cannot write them."""
    return {k: v for k, v in values.items() if v is not None}


def iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def names_attr(names) -> str:
    """A set of names as a graph attribute: GraphML holds strings, and a JSON list keeps
    names that contain any separator ("" = no restriction)."""
    return "" if names is None else json.dumps(sorted(names), ensure_ascii=False)


def names_from_attr(text: str) -> frozenset | None:
    """The set of names of :func:`names_attr` (``;``-joined text from older graphs too).

    >>> sorted(names_from_attr(names_attr({"科学城;东区", "BIO"})))
    ['BIO', '科学城;东区']
    >>> names_from_attr("") is None
    True
    """
    if not text:
        return None
    if text.startswith("["):
        return frozenset(json.loads(text))
    return frozenset(text.split(";"))
