"""The baselines the steps are measured against: hand-written SQL and parse-only readers.

Each baseline does the least work that gives the step's answer (or reads its input), on
the same data in the same process:

- :data:`COVERAGE_SQL`: coverage by chain and the district total in one statement;
- :func:`graph_rows_sql`: fetching the rows a graph is made of;
- :func:`parse_readers`: reading every row of the firm sheet, nothing more.

The SQL baselines run on an engine of their own tuned as a DBA would
(:func:`baseline_engine`, :data:`BASELINE_DB_MEMORY_MIB`), so that a baseline left at the
database's defaults does not flatter the step.

Examples
--------
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> coverage_sql(engine, date(2025, 6, 30))
{None: (0, 0, 0, 0)}
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

__all__ = [
    "BASELINE_DB_MEMORY_MIB",
    "COVERAGE_SQL",
    "active",
    "baseline_engine",
    "coverage_agrees",
    "coverage_sql",
    "graph_rows_sql",
    "largest_chain",
    "parse_readers",
]

_ACTIVE = "({s} IS NULL OR {s} <= :d) AND ({e} IS NULL OR {e} > :d)"


def active(alias: str, start: str, end: str) -> str:
    """The SQL condition "the row of ``alias`` is in force on ``:d``".

    >>> active("m", "joined", "left")
    '(m."joined" IS NULL OR m."joined" <= :d) AND (m."left" IS NULL OR m."left" > :d)'
    """
    return _ACTIVE.format(s=f'{alias}."{start}"', e=f'{alias}."{end}"')


#: Coverage by chain and the district total in one hand-written statement.
COVERAGE_SQL = f"""
WITH mem AS (
    SELECT DISTINCT m.chain_id, m.firm_id FROM chain_membership m
    WHERE {active("m", "joined", "left")}
), org AS (
    SELECT l.firm_id, MAX(CASE WHEN o.formation = 'single' THEN 1 ELSE 0 END) AS single
    FROM coverage_link l JOIN party_org o ON o.id = l.org_id
    WHERE {active("l", "start", "end")} AND {active("o", "founded", "dissolved")}
    GROUP BY l.firm_id
), work AS (
    SELECT DISTINCT a.firm_id FROM assignment a WHERE {active("a", "start", "end")}
), status AS (
    SELECT p.firm_id,
           CASE WHEN org.firm_id IS NOT NULL THEN 1 ELSE 0 END AS is_org,
           CASE WHEN org.firm_id IS NULL AND work.firm_id IS NOT NULL THEN 1 ELSE 0 END AS is_work,
           COALESCE(org.single, 0) AS single
    FROM (SELECT DISTINCT firm_id FROM mem) p
    LEFT JOIN org ON org.firm_id = p.firm_id
    LEFT JOIN work ON work.firm_id = p.firm_id
)
SELECT mem.chain_id, COUNT(*), SUM(s.is_org), SUM(s.is_work), SUM(s.single)
FROM mem JOIN status s ON s.firm_id = mem.firm_id GROUP BY mem.chain_id
UNION ALL
SELECT NULL, COUNT(*), SUM(is_org), SUM(is_work), SUM(single) FROM status
"""


#: Memory the hand-written SQL baselines may use for sorting and temporary tables.
BASELINE_DB_MEMORY_MIB = 256


def baseline_engine(url: str):
    """An engine of its own for the hand-written SQL baselines, tuned as a DBA would.

    SQLite keeps temporary b-trees in memory and gets a 256 MiB page cache; PostgreSQL
    gets ``work_mem`` of 256 MiB. At 1,000,000 firms this halves the coverage query on
    SQLite (17.4 s -> 8.1 s, measured); a baseline left at the defaults would flatter the
    step. Its own engine, so that the step's pooled connections keep the defaults.
    """
    from ..store import resolve_url

    url = resolve_url(url)
    # NullPool: the connection, and its cache, is closed after every baseline call, so the
    # step measured next in the same process does not start with the baseline's memory.
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, poolclass=sa.pool.NullPool)

        @event.listens_for(engine, "connect")
        def _tune(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.execute(f"PRAGMA cache_size=-{BASELINE_DB_MEMORY_MIB * 1024}")
            cursor.close()
    else:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

        @event.listens_for(engine, "connect")
        def _tune(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET work_mem = '{BASELINE_DB_MEMORY_MIB}MB'")
            cursor.close()
            dbapi_connection.commit()
    return engine


def coverage_sql(engine, on: date) -> dict:
    """``{chain_id or None: (firms, org, work, single)}`` by :data:`COVERAGE_SQL`."""
    with engine.connect() as conn:
        return {row[0]: tuple(int(v or 0) for v in row[1:])
                for row in conn.execute(sa.text(COVERAGE_SQL), {"d": on})}


def coverage_agrees(engine, result, sql: dict) -> bool:
    """Whether :func:`tracker.coverage.coverage` by chain and :func:`coverage_sql` agree."""
    from ..model import Chain

    with engine.connect() as conn:
        ids = dict(conn.execute(sa.select(Chain.__table__.c.code, Chain.__table__.c.id)).all())

    def key(c):
        return (c.firms, c.org_covered, c.work_covered, c.single_unit)

    if key(result.total) != sql.get(None, (0, 0, 0, 0)):
        return False
    return all(key(g.counts) == sql.get(ids[g.key], (0, 0, 0, 0)) for g in result.groups)


def graph_rows_sql(engine, on: date, chain_id: int | None) -> int:
    """Fetch the rows a graph at ``on`` is made of (the graph steps' baseline); row count."""
    chain = "AND m.chain_id = :c" if chain_id is not None else ""
    pop = f"SELECT DISTINCT m.firm_id FROM chain_membership m WHERE {active('m', 'joined', 'left')} {chain}"
    queries = [
        f"SELECT f.* FROM firm f JOIN ({pop}) p ON p.firm_id = f.id",
        f"SELECT m.* FROM chain_membership m WHERE {active('m', 'joined', 'left')} {chain}",
        f"""SELECT l.*, o.* FROM coverage_link l JOIN party_org o ON o.id = l.org_id
            JOIN ({pop}) p ON p.firm_id = l.firm_id
            WHERE {active('l', 'start', 'end')} AND {active('o', 'founded', 'dissolved')}""",
        f"""SELECT a.*, li.* FROM assignment a JOIN liaison li ON li.id = a.liaison_id
            JOIN ({pop}) p ON p.firm_id = a.firm_id WHERE {active('a', 'start', 'end')}""",
        f"""SELECT s.* FROM supply_link s JOIN ({pop}) p ON p.firm_id = s.supplier_id
            JOIN ({pop}) q ON q.firm_id = s.buyer_id""",
        "SELECT * FROM party_org",
    ]
    params = {"d": on, "c": chain_id}
    rows = 0
    with engine.connect() as conn:
        for query in queries:
            rows += len(conn.execute(sa.text(query), params).all())
    return rows


def largest_chain(engine, on: date) -> tuple[int, str]:
    """The id and code of the chain with the most firms on ``on`` (the graph_chain step's)."""
    query = sa.text(f"""SELECT c.id, c.code, COUNT(*) AS n FROM chain_membership m
        JOIN chain c ON c.id = m.chain_id WHERE {active('m', 'joined', 'left')}
        GROUP BY c.id, c.code ORDER BY n DESC, c.code LIMIT 1""")
    with engine.connect() as conn:
        row = conn.execute(query, {"d": on}).first()
    if row is None:
        raise RuntimeError("no chain has firms on the date")
    return row[0], row[1]


def parse_readers(kind: str) -> list[tuple[str, Callable[[Path], int]]]:
    """The parse-only readers for ``kind`` (xlsx / csv), fastest known first.

    Each reads every row of the firm sheet into Python values and returns the row count.
    For xlsx, python-calamine (Rust; a dependency of the package). For CSV, the ``csv``
    module and, when installed (Streamlit brings it), pyarrow's reader on one thread (the
    importer uses one).
    """
    if kind == "xlsx":
        from python_calamine import CalamineWorkbook

        def calamine(path: Path) -> int:
            workbook = CalamineWorkbook.from_path(str(path))
            try:
                return sum(1 for _ in workbook.get_sheet_by_name("企业").iter_rows())
            finally:
                workbook.close()

        return [("python-calamine iter_rows", calamine)]

    def csv_rows(path: Path) -> int:
        with open(path, encoding="utf-8", newline="") as handle:
            return sum(1 for _ in csv.reader(handle))

    readers: list[tuple[str, Callable[[Path], int]]] = [("csv.reader", csv_rows)]
    try:
        import pyarrow.csv as pacsv
    except ImportError:  # a third-party library the package does not require
        return readers

    def arrow_rows(path: Path) -> int:
        table = pacsv.read_csv(
            path, read_options=pacsv.ReadOptions(use_threads=False, autogenerate_column_names=True),
            convert_options=pacsv.ConvertOptions(column_types={f"f{i}": "string"
                                                               for i in range(64)}))
        return table.num_rows

    readers.append(("pyarrow.csv.read_csv (one thread)", arrow_rows))
    return readers
