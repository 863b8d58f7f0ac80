"""Memory-saving storage for the large graphs of :mod:`tracker.graph`.

At 1,000,000 firms the district's graph holds millions of nodes and edges; plain
networkx would need several GiB. Three things keep it under 2 GiB, each a class here:

- :class:`SmallMap`: each node's neighbours and each node pair's parallel edges live in a
  flat tuple while there are few of them (:class:`LeanMultiDiGraph` uses it);
- :class:`SharedAttrs`: edges with equal attributes share one read-only mapping
  (:class:`FrozenAttrs`, added by :func:`add_shared_edge`); :class:`AttrTable` numbers
  them so that edges waiting to be added are kept as int arrays;
- :class:`Interner`: a repeated string (a park's name) is stored once.

Examples
--------
>>> G = LeanMultiDiGraph()
>>> shared = SharedAttrs()
>>> add_shared_edge(G, "a", "b", shared(label="covers", since=None))
>>> add_shared_edge(G, "a", "c", shared(label="covers"))
>>> G["a"]["b"][0] is G["a"]["c"][0]
True
>>> G["a"]["b"][0]["label"] = "x"
Traceback (most recent call last):
...
TypeError: 边的属性在多条边之间共用，不能修改；请先 G.copy() / edge attributes are shared between edges: copy the graph to change them
"""

from __future__ import annotations

from collections.abc import MutableMapping

import networkx as nx

from .nodes import attrs

__all__ = [
    "AttrTable",
    "FrozenAttrs",
    "Interner",
    "LeanMultiDiGraph",
    "SharedAttrs",
    "SmallMap",
    "add_shared_edge",
]


class SmallMap(MutableMapping):
    """A mapping for the many small maps of a large graph: each node's neighbours and each
    node pair's parallel edges. Up to :attr:`LIMIT` items live in one flat tuple
    ``(key, value, key, value, ...)``, more in a dict. A dict of one or two items costs
    about 220 bytes; this costs about 100, for each of millions of maps."""

    __slots__ = ("_dict", "_items")
    LIMIT = 4

    def __init__(self, *args, **kwargs):
        self._items: tuple = ()
        self._dict: dict | None = None
        if args or kwargs:
            self.update(*args, **kwargs)

    def _find(self, key) -> int:
        items = self._items
        for i in range(0, len(items), 2):
            if items[i] == key:
                return i
        return -1

    def __getitem__(self, key):
        if self._dict is not None:
            return self._dict[key]
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        return self._items[i + 1]

    def __setitem__(self, key, value) -> None:
        if self._dict is not None:
            self._dict[key] = value
            return
        i = self._find(key)
        items = self._items
        if i >= 0:
            self._items = items[:i + 1] + (value,) + items[i + 2:]
        elif len(items) < 2 * self.LIMIT:
            self._items = items + (key, value)
        else:
            self._dict = dict(zip(items[0::2], items[1::2]))
            self._dict[key] = value
            self._items = ()

    def __delitem__(self, key) -> None:
        if self._dict is not None:
            del self._dict[key]
            return
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        self._items = self._items[:i] + self._items[i + 2:]

    def __iter__(self):
        return iter(self._dict if self._dict is not None else self._items[0::2])

    def __len__(self) -> int:
        return len(self._dict) if self._dict is not None else len(self._items) // 2

    def __contains__(self, key) -> bool:
        return key in self._dict if self._dict is not None else self._find(key) >= 0

    def copy(self) -> dict:
        return dict(self.items())

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class LeanMultiDiGraph(nx.MultiDiGraph):
    """A :class:`networkx.MultiDiGraph` that keeps each node's neighbours and each node
    pair's parallel edges in a :class:`SmallMap`; copies and subgraphs keep the class."""

    adjlist_inner_dict_factory = SmallMap
    edge_key_dict_factory = SmallMap


class Interner:
    """Calls return one shared object per distinct value (None stays None): a park's name
    is stored once, not once per firm."""

    def __init__(self):
        self._seen: dict = {}

    def __call__(self, value):
        if value is None:
            return None
        return self._seen.setdefault(value, value)


class FrozenAttrs(dict):
    """A dict that refuses changes (``TypeError``): the attributes shared by many edges.
    Copies (``dict(d)``, ``d.copy()``, ``G.copy()``) are plain dicts; pickling works."""

    __slots__ = ()

    def _refuse(self, *args, **kwargs):
        raise TypeError("边的属性在多条边之间共用，不能修改；请先 G.copy() / "
                        "edge attributes are shared between edges: copy the graph to change them")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return (type(self), (dict(self),))


class SharedAttrs:
    """One read-only attribute dict per distinct set of edge attributes (``None`` values
    dropped, see :func:`tracker.graph.nodes.attrs`). Edges are the bulk of a large graph
    and their attributes repeat (label, segment, a date), so sharing saves a dict per edge;
    being read-only, a shared dict cannot be changed through one edge for all of them."""

    def __init__(self):
        self._seen: dict = {}

    def __call__(self, **values) -> FrozenAttrs:
        values = attrs(**values)
        key = tuple(values.items())
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = FrozenAttrs(values)
        return found


def add_shared_edge(G: nx.MultiDiGraph, u: str, v: str, data: FrozenAttrs) -> None:
    """Add an edge whose attributes are the shared mapping ``data``.

    networkx keeps one key dict per (u, v) pair, seen from both ends, mapping each
    parallel edge's key to its attribute dict; the new edge's entry is pointed at ``data``
    instead of a fresh dict of its own.
    """
    key = G.add_edge(u, v)
    G._succ[u][v][key] = data


class AttrTable:
    """The shared attribute mappings of the edges that wait as int arrays, by index.

    >>> shared, table = SharedAttrs(), AttrTable()
    >>> [table.index(shared(label=label)) for label in ("parent", "covers", "parent")]
    [0, 1, 0]
    >>> table[1]["label"]
    'covers'
    """

    def __init__(self):
        self.items: list[FrozenAttrs] = []
        self._index: dict[int, int] = {}  # id(shared attrs) -> index in items

    def index(self, data: FrozenAttrs) -> int:
        found = self._index.get(id(data))
        if found is None:
            found = self._index[id(data)] = len(self.items)
            self.items.append(data)
        return found

    def __getitem__(self, index: int) -> FrozenAttrs:
        return self.items[index]
