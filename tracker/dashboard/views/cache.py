"""The cache of the dashboard's figures: one process-wide LRU keyed by the data version.

Computed figures are kept in one process-wide LRU cache keyed by
``(store URL, data version, function, arguments)``. The **data version**
(:func:`data_version`) changes whenever the data in the store change, so a page never
shows figures of data that has changed, and an unchanged store is answered from memory.
It is a tuple of cheap aggregates over every table (row counts, largest ids, sums of the
``version`` columns, counts of filled end dates, the newest ``dataset_info.updated`` and
the audit log's largest id when that table exists), read with one query per table. A
sign-in or a session's "last seen" is not data: it does not change the version, so
figures stay cached while officers click.

On an SQLite file the aggregates (0.6 s at 1,000,000 firms) are read again only when
something was committed since the last reading: SQLite's own change counter
(``PRAGMA data_version``, 30 µs), read on one connection kept for that purpose, changes
whenever any other connection, of this process or another, commits. The counter says
*whether* to look; the aggregates say *what* changed, so a session's write costs one
reading of the aggregates, not the figures. The watching connection is opened again when
the file is another (device, inode, change time: a restore) and closed when its engine is
disposed.

Values in the cache are shared between sessions: callers must not mutate them (copy a
frame first).

Examples
--------
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> calls = []
>>> @cached
... def firms_twice(engine, factor=2):
...     calls.append(factor)
...     return factor * 0
>>> firms_twice(engine), firms_twice(engine, 2), len(calls)
(0, 0, 1)
>>> clear_cache()
>>> cache_info()["size"]
0
"""

from __future__ import annotations

import contextvars
import inspect
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = ["aggregate_version", "cache_info", "cached", "clear_cache", "data_version",
           "pinned_version", "store_key"]

_TRACKED = {
    # table: (columns summed, nullable columns counted)
    "chain": ((), ()),
    "firm": (("version", "formal_members", "probationary_members"), ("park", "street")),
    "chain_membership": (("is_chain_master",), ("joined", "left")),
    "party_org": (("version", "member_count", "term_years"),
                  ("founded", "dissolved", "parent_id", "term_start")),
    "coverage_link": ((), ("start", "end")),
    "liaison": (("version",), ()),
    "assignment": ((), ("start", "end")),
    "supply_link": ((), ()),
    "plan": (("target_rate", "cover_within_days", "visit_within_days"), ()),
    # Visits are only ever added or removed (no version, no end date): count and largest id.
    "visit": ((), ()),
}


def _version_queries(tables: set[str]) -> list[sa.Select]:
    """One aggregate statement per tracked table (one scan each: a table read once for all
    of its figures, not once per figure)."""
    queries: list[sa.Select] = []
    for name, (sums, nullable) in _TRACKED.items():
        if name not in tables:
            continue
        table = sa.table(name, sa.column("id"), *(sa.column(c) for c in sums + nullable))
        parts: list[Any] = [sa.func.count(), sa.func.max(table.c.id)]
        for column in sums:
            # PostgreSQL cannot cast a boolean to FLOAT (nor sum one): count the true values.
            value = (sa.case((table.c[column].is_(sa.true()), 1), else_=0)
                     if column == "is_chain_master" else table.c[column])
            parts.append(sa.func.sum(value))
        parts += [sa.func.count(table.c[column]) for column in nullable]
        queries.append(sa.select(*parts).select_from(table))
    if "dataset_info" in tables:
        info = sa.table("dataset_info", sa.column("key"), sa.column("updated"))
        queries.append(sa.select(sa.func.count(), sa.func.max(info.c.updated)).select_from(info))
    # The audit log, whatever its table is called, records every edit: its largest id
    # changes on any change made through the editing API, including in-place updates.
    for name in sorted(t for t in tables if "audit" in t):
        audit = sa.table(name, sa.column("id"))
        queries.append(sa.select(sa.func.max(audit.c.id), sa.func.count()).select_from(audit))
    return queries or [sa.select(sa.literal(0))]


def _sqlite_file(engine: Engine) -> str | None:
    """The path of an SQLite store's file (None: not SQLite, or in memory)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


@dataclass
class _Watcher:
    """One SQLite file's watching connection: read-only, it only ever reads SQLite's
    change counter, which changes when any *other* connection commits (every write of the
    dashboard's pool, of the CLI or of another process). ``identity`` is the file's when
    the connection was opened; ``seen`` the counter at which ``version`` (the aggregates)
    was read."""

    connection: sqlite3.Connection
    identity: tuple
    seen: int | None = None
    version: tuple | None = None


# SQLite file -> its watcher.
_WATCHERS: dict[str, _Watcher] = {}
_WATCH_LOCK = threading.Lock()


def _forget(engine: Engine) -> None:
    """Close the watcher of ``engine``'s file when the engine lets go of its connections
    (:meth:`~sqlalchemy.engine.Engine.dispose`): an open connection to a WAL database keeps
    another process from taking the file alone, and whoever disposed wants it free."""
    path = _sqlite_file(engine)
    with _WATCH_LOCK:
        watcher = _WATCHERS.pop(path, None) if path is not None else None
    if watcher is not None:
        watcher.connection.close()


def _watcher(engine: Engine, path: str) -> tuple[_Watcher, int] | None:
    """The watcher of ``path`` and the change counter it reads now; None when the file
    cannot be watched. The connection is opened again when the file at ``path`` is another
    (a restore, a store made anew at the same path: the inode's change time differs); a
    new watcher has seen nothing, so the aggregates are read again."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    identity = (stat.st_dev, stat.st_ino, stat.st_ctime_ns)
    with _WATCH_LOCK:
        watcher = _WATCHERS.get(path)
        try:
            if watcher is None or watcher.identity != identity:
                if watcher is not None:
                    watcher.connection.close()
                watcher = _WATCHERS[path] = _Watcher(
                    sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False),
                    identity)
                if not sa.event.contains(engine, "engine_disposed", _forget):
                    sa.event.listen(engine, "engine_disposed", _forget)
            counter = watcher.connection.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            _WATCHERS.pop(path, None)
            return None
    return watcher, counter


def data_version(engine: Engine) -> tuple:
    """A value that changes whenever the data in the store changes: the aggregates of
    :func:`aggregate_version`, read again on an SQLite file only when SQLite's change
    counter says something was committed since (see the module's docstring)."""
    path = _sqlite_file(engine)
    watched = _watcher(engine, path) if path is not None else None
    if watched is None:
        return aggregate_version(engine)
    watcher, counter = watched
    if watcher.seen == counter and watcher.version is not None:
        return watcher.version
    # The counter was read before the aggregates: a commit in between makes the next call
    # read them again, never keeps stale ones.
    version = aggregate_version(engine)
    watcher.seen, watcher.version = counter, version
    return version


def aggregate_version(engine: Engine) -> tuple:
    """The data version read from the tables themselves: one aggregate statement per
    table, whatever the database."""
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        row = [v for query in _version_queries(tables) for v in conn.execute(query).one()]
    return tuple(str(v) if v is not None else None for v in row)


_PINNED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("redwood_pinned", default=None)


@contextmanager
def pinned_version(engine: Engine):
    """Within the block, read the data version of ``engine`` once (a page run calls many
    cached functions; one version check serves them all).

    >>> with pinned_version(engine):            # doctest: +SKIP
    ...     overview(engine, day); burnup_series(engine, day)
    """
    token = _PINNED.set({**(_PINNED.get() or {}), store_key(engine): data_version(engine)})
    try:
        yield
    finally:
        _PINNED.reset(token)


def _version(engine: Engine) -> tuple:
    pinned = _PINNED.get()
    key = store_key(engine)
    if pinned is not None and key in pinned:
        return pinned[key]
    return data_version(engine)


def store_key(engine: Engine) -> str:
    """The store's URL (password hidden): the first part of every cache key."""
    return engine.url.render_as_string(hide_password=True)


class _LRU:
    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                self.hits += 1
                return True, self.data[key]
            self.misses += 1
            return False, None

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.maxsize:
                self.data.popitem(last=False)


_CACHE = _LRU(maxsize=96)


def cached(func: Callable) -> Callable:
    """Decorator: cache ``func(engine, *args, **kwargs)`` per store and data version.

    The arguments after the engine must be hashable (dates, strings, :class:`Scope`).
    """

    signature = inspect.signature(func)

    def wrapper(engine: Engine, *args, **kwargs):
        pinned = _PINNED.get()
        if pinned is None or store_key(engine) not in pinned:
            # The outermost cached call reads the data version once for every cached call
            # it makes (the overview makes about ten).
            with pinned_version(engine):
                return wrapper(engine, *args, **kwargs)
        # Bind to the signature with its defaults: f(e, day) and f(e, day, EVERYTHING, "zh")
        # are one computation and must share one entry.
        bound = signature.bind(engine, *args, **kwargs)
        bound.apply_defaults()
        key = (store_key(engine), _version(engine), func.__name__,
               tuple(list(bound.arguments.items())[1:]))
        found, value = _CACHE.get(key)
        if found:
            return value
        value = func(engine, *args, **kwargs)
        _CACHE.put(key, value)
        return value

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    wrapper.__wrapped__ = func
    return wrapper


def clear_cache() -> None:
    """Forget every cached figure (the tests start each store afresh)."""
    with _CACHE.lock:
        _CACHE.data.clear()


def cache_info() -> dict:
    """``size`` (entries held), ``hits`` and ``misses`` since the process started."""
    return {"size": len(_CACHE.data), "hits": _CACHE.hits, "misses": _CACHE.misses}
