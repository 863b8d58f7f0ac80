"""Benchmarks: how Redwood scales from a district (1,000 firms) to a province (1,000,000).

``tracker bench`` generates the synthetic district at each size (deterministic: a fixed
seed and a fixed "today", :data:`AS_OF`), then measures every step against a baseline
run **in the same process on the same data**, and reports ``ratio = step / baseline``:

==================  =====================================================================
step                baseline
==================  =====================================================================
import_xlsx         parse the same firm sheet with openpyxl ``read_only`` ``iter_rows``
import_csv          parse the same firm sheet with the ``csv`` module
coverage            one hand-written SQL aggregate query (by chain + district total)
monthly_series      :func:`~tracker.coverage.coverage` repeated once per month (48+ months)
graph_chain         fetching the same rows (firms, memberships, links, assignments) in SQL
graph_district      the same, for the whole district
overview            :func:`tracker.views.overview`, the figures the page lays out
report_<fmt>        :func:`tracker.reports.content.gather`, the content of the report
planner             :func:`tracker.plan.instance_from_store`, reading the planner's input
load_test           (optional) one dashboard session alone vs 20 simultaneous sessions
==================  =====================================================================

The planner step also solves small sub-instances (one area, <= 15 firms to place) with
:func:`tracker.exact.solve` and reports the planner's gap to the exact optimum.

How memory is measured
----------------------
Each step runs in a **fresh Python process** (``subprocess``), so no step inherits the
heap of another. Inside it, just before the measured call, the kernel's high-water mark
of the resident set is reset with ``echo 5 > /proc/self/clear_refs``; after the call
``VmHWM`` in ``/proc/self/status`` is the peak RSS *during that call* (it includes the
interpreter and the libraries already loaded, about 100-200 MiB, because that is what the
process really holds). The parent also records ``ru_maxrss`` of ``RUSAGE_CHILDREN`` as a
cross-check of the whole child (setup included). Without ``/proc`` (not Linux) only the
latter is available.

Timing
------
``time.perf_counter`` around the call, after one unmeasured warm-up call of the baseline
(the overview also renders once unmeasured, as a running server has its modules loaded;
the import does a dry run of the same file first). Short calls (under 2 s) are repeated up to three
times, baseline and step alternately, and the fastest run of each is kept; long ones run
once. Steps are never faked: a step whose module is not in the package yet is reported
with ``status = "not available"``; one that fails, with ``"error"`` and the message.

When a goal (:data:`GOALS`) is missed, the step is run once more under :mod:`cProfile`
and the functions with the largest cumulative time are stored with the result.

Examples
--------
>>> from tracker.bench import run_benchmark
>>> results = run_benchmark([1000], steps=["coverage"])     # doctest: +SKIP
>>> results["runs"][0]["steps"][0]["ratio"] > 0              # doctest: +SKIP
True
"""

from __future__ import annotations

import cProfile
import csv
import itertools
import json
import math
import os
import platform
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from .pgserver import PostgresServer, free_port

__all__ = [
    "DEFAULT_SIZES",
    "AS_OF",
    "SERIES_START",
    "SEED",
    "STEPS",
    "GOALS",
    "Backend",
    "run_benchmark",
    "default_timeout",
    "machine_info",
    "evaluate_goals",
    "to_markdown",
    "peak_rss_reset",
    "peak_rss_mib",
    "write_xlsx_stream",
]

DEFAULT_SIZES = (1000, 10000, 100000, 1000000)
#: The fixed "today" of the synthetic district: every size is generated and measured at it.
AS_OF = date(2025, 6, 30)
#: First month of the burn-up series (54 month ends up to :data:`AS_OF`).
SERIES_START = date(2021, 1, 1)
SEED = 20220101
#: Steps in the order they run; ``report`` expands to one step per report format.
STEPS = ("import_xlsx", "import_csv", "coverage", "monthly_series", "graph_chain",
         "graph_district", "overview", "report", "planner")
LOAD_SESSIONS = 20

#: The goals of issue 8: (step prefix, size, what, limit, unit).
GOALS = [
    {"id": "coverage_1m", "step": "coverage", "size": 1_000_000, "metric": "seconds",
     "limit": 1.0, "text": "coverage by chain at 1,000,000 firms < 1 s"},
    {"id": "overview_100k", "step": "overview", "size": 100_000, "metric": "seconds",
     "limit": 2.0, "text": "overview page < 2 s at 100,000 firms"},
    {"id": "import_xlsx_100k", "step": "import_xlsx", "size": 100_000, "metric": "seconds",
     "limit": 30.0, "text": "import of 100,000 rows (xlsx) < 30 s"},
    {"id": "import_csv_100k", "step": "import_csv", "size": 100_000, "metric": "seconds",
     "limit": 30.0, "text": "import of 100,000 rows (CSV) < 30 s"},
    {"id": "memory_1m", "step": "*", "size": 1_000_000, "metric": "peak_rss_mib",
     "limit": 2048.0, "text": "peak memory < 2 GiB at 1,000,000 firms (every step)"},
]

_REPEAT_UNDER = 2.0  # seconds: shorter calls are repeated
_REPEATS = 3
_PROFILE_TOP = 12


# =========================================================================== memory


def _status_kib(field_name: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field_name}:\s+(\d+)\s+kB", text, re.M)
    return int(found.group(1)) if found else None


def peak_rss_reset() -> bool:
    """Reset this process's RSS high-water mark to its current RSS (Linux only).

    Returns False where ``/proc/self/clear_refs`` cannot be written.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float | None:
    """Peak RSS of this process since the last :func:`peak_rss_reset`, in MiB."""
    kib = _status_kib("VmHWM")
    if kib is None:  # not Linux: the lifetime peak is the best we have
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024
    return kib / 1024


def _rss_mib() -> float | None:
    kib = _status_kib("VmRSS")
    return None if kib is None else kib / 1024


@dataclass
class Measure:
    seconds: float
    peak_rss_mib: float | None
    start_rss_mib: float | None
    value: object = None
    runs: int = 1


def _measure_once(fn: Callable[[], object]) -> Measure:
    start_rss = _rss_mib()
    peak_rss_reset()
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    return Measure(seconds, peak_rss_mib(), start_rss, value)


def _measure_pair(step: Callable[[], object], baseline: Callable[[], object] | None,
                  repeat: bool = True) -> tuple[Measure, Measure | None]:
    """Measure ``baseline`` then ``step``; repeat both (alternately) while they are short.

    The baseline runs once unmeasured first, so that module imports and the database's
    page cache are warm for both, not charged to whichever runs first.
    """
    if baseline:
        baseline()
    base = _measure_once(baseline) if baseline else None
    main = _measure_once(step)
    if repeat:
        for _ in range(_REPEATS - 1):
            if main.seconds + (base.seconds if base else 0) >= _REPEAT_UNDER:
                break
            if base is not None:
                again = _measure_once(baseline)
                base.seconds = min(base.seconds, again.seconds)
                base.runs += 1
            again = _measure_once(step)
            main.seconds = min(main.seconds, again.seconds)
            main.runs += 1
    return main, base


def _profile(fn: Callable[[], object], top: int = _PROFILE_TOP) -> list[dict]:
    """Run ``fn`` under cProfile; the ``top`` functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        fn()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append({"function": f"{_short_path(filename)}:{line}({name})", "calls": calls,
                     "tottime": round(tottime, 4), "cumtime": round(cumtime, 4)})
    rows.sort(key=lambda r: -r["cumtime"])
    return rows[:top]


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", "/tracker/", "/lib/python"):
        if marker in filename:
            head, tail = filename.split(marker, 1)
            return ("tracker/" if marker == "/tracker/" else "") + tail
    return filename


# =========================================================================== machine


def machine_info() -> dict:
    """Cores, memory, CPU model, Python and library versions of this machine."""
    import sqlite3

    import sqlalchemy

    memory = None
    try:
        memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) * 1024
    except (OSError, AttributeError):
        pass
    model = platform.processor() or ""
    try:
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = found.group(1).strip() if found else model
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    commit = None
    try:
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "cores": os.cpu_count(),
        "usable_cores": affinity,
        "cpu": model,
        "memory_bytes": memory,
        "memory_gib": round(memory / 2**30, 1) if memory else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "commit": commit,
    }


# =========================================================================== PostgreSQL


# =========================================================================== backends


class Backend:
    """Where the stores of a run live: SQLite files in a folder, or databases on a server.

    Each size gets its own store, and each import step a fresh empty one; a PostgreSQL
    backend creates them as new databases (``redwood_bench_<pid>_<n>``) on the server of
    ``url`` and drops them in :meth:`cleanup`: the database named in the URL is never
    written to.
    """

    def __init__(self, kind: str, folder: Path, url: str | None = None,
                 server: PostgresServer | None = None):
        self.kind = kind
        self.folder = folder
        self.server = server
        self.admin_url = url
        self.created: list[str] = []
        self._counter = itertools.count()
        self.version = None
        if kind == "postgresql":
            self.version = server.version if server else self._server_version()

    @property
    def label(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    def _admin_engine(self):
        import sqlalchemy as sa

        from .store import resolve_url

        return sa.create_engine(resolve_url(self.admin_url), isolation_level="AUTOCOMMIT")

    def _server_version(self) -> str | None:
        import sqlalchemy as sa

        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text("SHOW server_version")).scalar()
        finally:
            engine.dispose()

    def new_store(self, name: str) -> str:
        """The URL of a new, empty store."""
        if self.kind == "sqlite":
            path = self.folder / f"{name}-{next(self._counter)}.db"
            return f"sqlite:///{path}"
        import sqlalchemy as sa

        from .store import resolve_url

        database = f"redwood_bench_{os.getpid()}_{next(self._counter)}"
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        except sa.exc.SQLAlchemyError as exc:
            raise RuntimeError(f"无法创建测试数据库（需要 CREATEDB 权限）/ cannot create a "
                               f"database: {getattr(exc, 'orig', exc)}") from None
        finally:
            engine.dispose()
        self.created.append(database)
        return str(sa.engine.make_url(resolve_url(self.admin_url)).set(database=database)
                   .render_as_string(hide_password=False))

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            path = Path(url[len("sqlite:///"):])
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        import sqlalchemy as sa

        database = sa.engine.make_url(url).database
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            engine.dispose()
        if database in self.created:
            self.created.remove(database)

    def cleanup(self) -> None:
        if self.kind == "postgresql":
            for database in list(self.created):
                try:
                    self.drop(self._url_of(database))
                except Exception:  # noqa: BLE001 - best effort on the way out
                    pass

    def _url_of(self, database: str) -> str:
        import sqlalchemy as sa

        from .store import resolve_url

        return str(sa.engine.make_url(resolve_url(self.admin_url)).set(database=database)
                   .render_as_string(hide_password=False))


# =========================================================================== data


def _fallback_district(engine, firms: int, seed: int, today: date) -> None:
    """A plain synthetic district, used only while :mod:`tracker.demo` is not available.

    Firms with fictional names and valid codes, one chain each (one in ten in two), about
    60% organisation-covered (own branch for 3+ formal members, else a 联合 branch per
    five firms of a park) and a quarter of the rest work-covered by a liaison. Dates are
    spread from 2020 to ``today`` so that the burn-up series moves.
    """
    import numpy as np
    import sqlalchemy as sa

    from .model import Assignment, Chain, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg
    from .uscc import make

    rng = np.random.default_rng(seed)
    parks = ["中新广州知识城", "广州科学城", "广州国际生物岛", "黄埔港", "穗港智造合作区"]
    streets = ["萝岗街道", "联和街道", "永和街道", "云埔街道", "长岭街道", "九佛街道", "龙湖街道", "新龙镇"]
    first, span = date(2020, 1, 1).toordinal(), today.toordinal() - date(2020, 1, 1).toordinal()
    with engine.begin() as conn:
        chains = [r[0] for r in conn.execute(sa.select(Chain.__table__.c.id).order_by("id"))]
        formal = rng.geometric(0.35, firms) - 1
        park = rng.integers(0, len(parks), firms)
        street = rng.integers(0, len(streets), firms)
        joined = first + rng.integers(0, span, firms)
        rows = [{"credit_code": make(f"91440112{i:09d}"), "name": f"合成企业{i:07d}有限公司",
                 "ownership": "private", "above_size": bool(i % 5 == 0),
                 "park": parks[park[i]], "street": streets[street[i]],
                 "formal_members": int(formal[i]), "probationary_members": int(i % 3 == 0),
                 "version": 1} for i in range(firms)]
        F = Firm.__table__
        for start in range(0, firms, 20000):
            conn.execute(F.insert(), rows[start:start + 20000])
        ids = [r[0] for r in conn.execute(sa.select(F.c.id).order_by(F.c.credit_code))]
        chain_of = rng.integers(0, len(chains), firms)
        members = [{"firm_id": ids[i], "chain_id": chains[chain_of[i]], "segment": "midstream",
                    "is_chain_master": False, "joined": date.fromordinal(int(joined[i])),
                    "left": None} for i in range(firms)]
        members += [{"firm_id": ids[i], "chain_id": chains[(chain_of[i] + 1) % len(chains)],
                     "segment": "downstream", "is_chain_master": False,
                     "joined": date.fromordinal(int(joined[i])), "left": None}
                    for i in range(0, firms, 10)]
        conn.execute(ChainMembership.__table__.insert(), members)
        covered = rng.random(firms) < 0.6
        orgs, links, group = [], [], {}
        for i in np.flatnonzero(covered):
            founded = date.fromordinal(int(joined[i] + rng.integers(0, max(1, today.toordinal() - joined[i]))))
            if formal[i] >= 3:
                orgs.append({"code": f"SB{i:07d}", "name": f"合成企业{i:07d}党支部", "kind": "branch",
                             "formation": "single", "founded": founded, "member_count": int(formal[i]),
                             "version": 1})
                links.append((f"SB{i:07d}", ids[i], founded))
            else:
                key = park[i]
                if key not in group or len(group[key][1]) >= 5:
                    code = f"LH{i:07d}"
                    group[key] = (code, [])
                    orgs.append({"code": code, "name": f"合成联合党支部{i:07d}", "kind": "branch",
                                 "formation": "joint", "founded": founded, "member_count": 3,
                                 "version": 1})
                group[key][1].append(i)
                links.append((group[key][0], ids[i], None))
        O = PartyOrg.__table__
        for start in range(0, len(orgs), 20000):
            conn.execute(O.insert(), orgs[start:start + 20000])
        org_ids = dict(conn.execute(sa.select(O.c.code, O.c.id)).all())
        conn.execute(CoverageLink.__table__.insert(),
                     [{"org_id": org_ids[c], "firm_id": f, "start": s, "end": None}
                      for c, f, s in links])
        officers = max(1, firms // 200)
        conn.execute(Liaison.__table__.insert(),
                     [{"name": f"联络员{k:05d}", "unit": "区工业和信息化局", "role": "liaison",
                       "version": 1} for k in range(officers)])
        liaison_ids = [r[0] for r in conn.execute(sa.select(Liaison.__table__.c.id))]
        rest = np.flatnonzero(~covered & (rng.random(firms) < 0.25))
        conn.execute(Assignment.__table__.insert(),
                     [{"liaison_id": liaison_ids[n % officers], "firm_id": ids[i],
                       "start": date.fromordinal(int(joined[i])), "end": None}
                      for n, i in enumerate(rest)] or [])


def _generate(url: str, size: int, seed: int, today: date) -> dict:
    """Initialise the store at ``url`` and fill it with the synthetic district."""
    from .chains import init_store
    from .store import get_engine

    engine = get_engine(url)
    init_store(engine)
    try:
        from .demo import load_demo
    except ImportError as exc:
        _fallback_district(engine, size, seed, today)
        return {"data_source": "tracker.bench fallback generator (tracker.demo not available: "
                               f"{exc})"}
    load_demo(engine, firms=size, seed=seed, today=today)
    return {"data_source": "tracker.demo.load_demo"}


def _firm_sheet_rows(engine):
    """The firm sheet of the store, one row per firm, as the import template lays it out.

    One streamed query (firms left-joined to their memberships, in firm-id order), grouped
    per firm as it arrives: the memberships of a million firms are never all in memory.
    """
    import sqlalchemy as sa

    from .model import Chain, ChainMembership, Firm
    from .vocab import OWNERSHIP, SEGMENT, YES_NO

    F, M, C = Firm.__table__, ChainMembership.__table__, Chain.__table__
    yes, no = YES_NO.label("yes", "zh"), YES_NO.label("no", "zh")
    segment = {code: SEGMENT.label(code, "zh") for code in SEGMENT.codes}
    ownership = {code: OWNERSHIP.label(code, "zh") for code in OWNERSHIP.codes}
    # Dates as ISO text (type_coerce: no per-row date parsing; ISO text orders like dates).
    query = (sa.select(F.c.id, F.c.credit_code, F.c.name, F.c.ownership, F.c.above_size,
                       F.c.park, F.c.street, F.c.formal_members, F.c.probationary_members,
                       M.c.chain_id, M.c.segment, M.c.is_chain_master,
                       sa.type_coerce(M.c.joined, sa.String), sa.type_coerce(M.c.left, sa.String))
             .select_from(F.outerjoin(M, M.c.firm_id == F.c.id)).order_by(F.c.id))
    with engine.connect() as conn:
        codes = dict(conn.execute(sa.select(C.c.id, C.c.code)).all())
        result = conn.execution_options(stream_results=True, yield_per=20000).execute(query)
        for _firm_id, group in itertools.groupby(result, key=lambda r: r[0]):
            row = next(group)
            rest = list(group)
            if row[9] is None:  # in no chain
                chains, seg, master, joined, left = "", None, no, None, None
            elif not rest:  # the common case: one membership
                chains, seg = codes[row[9]], segment.get(row[10], row[10])
                master = yes if row[11] else no
                joined, left = _iso(row[12]), _iso(row[13])
            else:
                # (chain code, segment, master, joined, left), by chain code
                mine = sorted(((codes[r[9]], r[10], r[11], _iso(r[12]), _iso(r[13]))
                               for r in (row, *rest)), key=lambda m: m[0])
                chains = ";".join(dict.fromkeys(m[0] for m in mine))
                seg = segment.get(mine[0][1], mine[0][1])
                master = yes if any(m[2] for m in mine) else no
                joined = min((m[3] for m in mine if m[3] is not None), default=None)
                lefts = [m[4] for m in mine]
                left = max(lefts) if all(v is not None for v in lefts) else None
            yield [row[1], row[2], chains, seg, master,
                   ownership.get(row[3]) or OWNERSHIP.label(row[3], "zh"),
                   yes if row[4] else no,
                   row[5], row[6], row[7], row[8], joined, left]


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite through a raw text column
        return value[:10]
    return value.isoformat()


# --------------------------------------------------------------------------- xlsx writer

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A carriage return is written as a reference: XML parsers turn a literal one into "\n".
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_XML_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACES = " \t\r\n"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData>')
_SHEET_TAIL = '</sheetData></worksheet>'


def _column_letters(n: int) -> str:
    """``1 -> "A"``, ``27 -> "AA"``."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xml_text(text: str) -> str:
    """``text`` escaped for an XML text node (characters XML 1.0 forbids are dropped)."""
    if _XML_SPECIAL.search(text) is None:  # the common case: nothing to do
        return text
    return _XML_ILLEGAL.sub("", text).translate(_XML_ESCAPES)


def _xlsx_row(number: int, letters: list[str], values) -> str:
    """One ``<row>`` of SpreadsheetML: text as inline strings, numbers as numbers."""
    cells = []
    add = cells.append
    for letter, value in zip(letters, values):
        kind = type(value)
        if kind is str:
            if not value:
                continue
            if _XML_SPECIAL.search(value) is not None:
                value = _XML_ILLEGAL.sub("", value).translate(_XML_ESCAPES)
            if value[0] in _SPACES or value[-1] in _SPACES:
                add(f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">'
                    f'{value}</t></is></c>')
            else:
                add(f'<c r="{letter}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
        elif value is None:
            continue
        elif kind is bool:
            add(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
        elif kind is int:
            add(f'<c r="{letter}{number}"><v>{value}</v></c>')
        elif kind is float or isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise ValueError(f"cannot write {value!r} to a workbook")
            add(f'<c r="{letter}{number}"><v>{float(value)!r}</v></c>')
        else:
            text = _xml_text(str(value))
            if text:
                space = ' xml:space="preserve"' if text != text.strip() else ""
                add(f'<c r="{letter}{number}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def write_xlsx_stream(path: Path | str, sheet: str, rows, level: int = 1) -> int:
    """Write ``rows`` (lists of str / int / float / bool / None) as a one-sheet ``.xlsx``.

    A minimal, streaming SpreadsheetML writer: cells are written as they come (inline
    strings, no shared-string table), straight into the zip entry, so a million rows need
    no more memory than one row. openpyxl's write-only mode took over 900 s for the
    1,000,000-row firm sheet; this writes it in about a minute. ``None`` and ``""`` leave
    the cell empty. Returns the number of rows written (the header row included).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.xlsx")
    >>> write_xlsx_stream(path, "企业", [["统一社会信用代码", "党员数"], ["A&B", 3]])
    2
    >>> from openpyxl import load_workbook
    >>> [list(r) for r in load_workbook(path)["企业"].iter_rows(values_only=True)]
    [['统一社会信用代码', '党员数'], ['A&B', 3]]
    """
    import zipfile

    if any(ch in sheet for ch in '[]:*?/\\') or not 0 < len(sheet) <= 31:
        raise ValueError(f"工作表名称无效：{sheet}")
    written = 0
    letters: list[str] = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _BOOK.format(name=_xml_text(sheet).replace('"', "&quot;")))
        zf.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            # Encode in chunks of rows: one write per row costs more than the XML itself.
            chunk: list[str] = [_SHEET_HEAD]
            for values in rows:
                written += 1
                if len(values) > len(letters):
                    letters += [_column_letters(i + 1) for i in range(len(letters), len(values))]
                chunk.append(_xlsx_row(written, letters, values))
                if len(chunk) >= 2000:
                    raw.write("".join(chunk).encode("utf-8"))
                    chunk.clear()
            chunk.append(_SHEET_TAIL)
            raw.write("".join(chunk).encode("utf-8"))
    return written


def _write_firm_sheets(engine, folder: Path) -> dict:
    """Write the firm sheet as ``企业.xlsx`` and ``企业.csv`` in ``folder`` (one pass)."""
    from .ingest.template import SHEETS

    headers = [c.header for c in SHEETS["企业"]]
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = folder / "企业.csv", folder / "企业.xlsx"
    rows = 0
    with open(csv_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)

        def both():
            nonlocal rows
            yield headers
            for values in _firm_sheet_rows(engine):
                writer.writerow(["" if v is None else v for v in values])
                rows += 1
                yield values

        write_xlsx_stream(xlsx_path, "企业", both())
    return {"rows": rows, "xlsx": str(xlsx_path), "csv": str(csv_path),
            "xlsx_bytes": xlsx_path.stat().st_size, "csv_bytes": csv_path.stat().st_size,
            "xlsx_writer": "tracker.bench.write_xlsx_stream (inline strings, deflate level 1)"}


# =========================================================================== baselines

_ACTIVE = "({s} IS NULL OR {s} <= :d) AND ({e} IS NULL OR {e} > :d)"


def _active(alias: str, start: str, end: str) -> str:
    return _ACTIVE.format(s=f'{alias}."{start}"', e=f'{alias}."{end}"')


#: Coverage by chain and the district total in one hand-written statement.
COVERAGE_SQL = f"""
WITH mem AS (
    SELECT DISTINCT m.chain_id, m.firm_id FROM chain_membership m
    WHERE {_active("m", "joined", "left")}
), org AS (
    SELECT l.firm_id, MAX(CASE WHEN o.formation = 'single' THEN 1 ELSE 0 END) AS single
    FROM coverage_link l JOIN party_org o ON o.id = l.org_id
    WHERE {_active("l", "start", "end")} AND {_active("o", "founded", "dissolved")}
    GROUP BY l.firm_id
), work AS (
    SELECT DISTINCT a.firm_id FROM assignment a WHERE {_active("a", "start", "end")}
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


def _coverage_sql(engine, on: date) -> dict:
    """``{chain_id or None: (firms, org, work, single)}`` by :data:`COVERAGE_SQL`."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        return {row[0]: tuple(int(v or 0) for v in row[1:])
                for row in conn.execute(sa.text(COVERAGE_SQL), {"d": on})}


def _coverage_agrees(engine, result, sql: dict) -> bool:
    import sqlalchemy as sa

    from .model import Chain

    with engine.connect() as conn:
        ids = dict(conn.execute(sa.select(Chain.__table__.c.code, Chain.__table__.c.id)).all())

    def key(c):
        return (c.firms, c.org_covered, c.work_covered, c.single_unit)

    if key(result.total) != sql.get(None, (0, 0, 0, 0)):
        return False
    return all(key(g.counts) == sql.get(ids[g.key], (0, 0, 0, 0)) for g in result.groups)


def _graph_rows_sql(engine, on: date, chain_id: int | None) -> int:
    """Fetch the rows a graph at ``on`` is made of (the graph steps' baseline); row count."""
    import sqlalchemy as sa

    chain = "AND m.chain_id = :c" if chain_id is not None else ""
    pop = f"SELECT DISTINCT m.firm_id FROM chain_membership m WHERE {_active('m', 'joined', 'left')} {chain}"
    queries = [
        f"SELECT f.* FROM firm f JOIN ({pop}) p ON p.firm_id = f.id",
        f"SELECT m.* FROM chain_membership m WHERE {_active('m', 'joined', 'left')} {chain}",
        f"""SELECT l.*, o.* FROM coverage_link l JOIN party_org o ON o.id = l.org_id
            JOIN ({pop}) p ON p.firm_id = l.firm_id
            WHERE {_active('l', 'start', 'end')} AND {_active('o', 'founded', 'dissolved')}""",
        f"""SELECT a.*, li.* FROM assignment a JOIN liaison li ON li.id = a.liaison_id
            JOIN ({pop}) p ON p.firm_id = a.firm_id WHERE {_active('a', 'start', 'end')}""",
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


# =========================================================================== steps


class NotAvailable(Exception):
    """The module a step measures is not in the package (yet)."""


def _need(module: str, *names: str):
    """Import ``tracker.<module>`` and the ``names`` from it, or raise :class:`NotAvailable`."""
    import importlib

    try:
        mod = importlib.import_module(f"tracker.{module}")
    except ImportError as exc:
        raise NotAvailable(f"tracker.{module}: {exc}") from None
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise NotAvailable(f"tracker.{module} has no {', '.join(missing)}")
    return [getattr(mod, n) for n in names] if len(names) != 1 else getattr(mod, names[0])


@dataclass
class StepContext:
    step: str
    url: str
    size: int
    as_of: date
    folder: Path
    fresh_url: str | None = None
    files: dict = field(default_factory=dict)
    profile: bool = False

    @property
    def engine(self):
        from .store import get_engine

        return get_engine(self.url)


def _result(main: Measure, base: Measure | None, baseline: str, **extra) -> dict:
    out = {"seconds": main.seconds, "peak_rss_mib": main.peak_rss_mib,
           "start_rss_mib": main.start_rss_mib, "runs": main.runs, "baseline": baseline,
           "baseline_seconds": base.seconds if base else None,
           "baseline_peak_rss_mib": base.peak_rss_mib if base else None}
    out.update(extra)
    return out


def _parse_readers(kind: str) -> list[tuple[str, Callable[[Path], int]]]:
    """The parse-only readers available for ``kind`` (xlsx / csv), fastest known first.

    Each reads every row of the firm sheet into Python values and returns the row count.
    For xlsx, python-calamine (Rust) when installed; openpyxl ``read_only`` only without it
    (it is about ten times slower: 56 s against 4.6 s for 100,000 rows on the bench
    machine, and would take most of the step's time limit at 1,000,000 rows). For CSV, the
    ``csv`` module and pyarrow's reader on one thread (the importer uses one).
    """
    readers: list[tuple[str, Callable[[Path], int]]] = []
    if kind == "xlsx":
        try:
            from python_calamine import CalamineWorkbook
        except ImportError:
            CalamineWorkbook = None
        if CalamineWorkbook is not None:
            def calamine(path: Path) -> int:
                workbook = CalamineWorkbook.from_path(str(path))
                try:
                    return sum(1 for _ in workbook.get_sheet_by_name("企业").iter_rows())
                finally:
                    workbook.close()

            readers.append(("python-calamine iter_rows", calamine))
        else:
            def openpyxl_rows(path: Path) -> int:
                from openpyxl import load_workbook

                workbook = load_workbook(path, read_only=True, data_only=True)
                try:
                    return sum(1 for _ in workbook["企业"].iter_rows(values_only=True))
                finally:
                    workbook.close()

            readers.append(("openpyxl read_only iter_rows", openpyxl_rows))
        return readers

    def csv_rows(path: Path) -> int:
        with open(path, encoding="utf-8", newline="") as handle:
            return sum(1 for _ in csv.reader(handle))

    readers.append(("csv.reader", csv_rows))
    try:
        import pyarrow.csv as pacsv
    except ImportError:
        pacsv = None
    if pacsv is not None:
        def arrow_rows(path: Path) -> int:
            table = pacsv.read_csv(
                path, read_options=pacsv.ReadOptions(use_threads=False, autogenerate_column_names=True),
                convert_options=pacsv.ConvertOptions(column_types={f"f{i}": "string"
                                                                   for i in range(64)}))
            return table.num_rows

        readers.append(("pyarrow.csv.read_csv (one thread)", arrow_rows))
    return readers


def _step_import(ctx: StepContext, kind: str) -> dict:
    import_path = _need("ingest", "import_path")
    from .chains import init_store
    from .store import get_engine

    path = Path(ctx.files[kind])
    target = get_engine(ctx.fresh_url)
    init_store(target)

    def run():
        report = import_path(target, path)
        if report.exit_code != 0:
            first = report.rejections[0].as_dict() if report.rejections else {}
            raise RuntimeError(f"import rejected {len(report.rejections)} rows, first: {first}")
        return report

    # The baseline is the fastest available parse-only reader of the same file: each
    # candidate runs once unmeasured (module imports, page cache), then once measured.
    readers = {}
    for name, reader in _parse_readers(kind):
        reader(path)
        readers[name] = _measure_once(lambda reader=reader: reader(path))
    fastest = min(readers, key=lambda name: readers[name].seconds)
    base = readers[fastest]
    # Warm-up of the import: a dry run of the same file (reads and validates, writes
    # nothing), so that the measurement does not pay the imports of modules. One real
    # import per fresh store: the step cannot be repeated on the same store.
    import_path(target, path, dry_run=True)
    main = _measure_once(run)
    rows = ctx.files["rows"]
    others = [name for name in readers if name != fastest]
    label = f"parse only ({fastest}" + (f"; faster than {', '.join(others)}" if others else "") + ")"
    return _result(main, base, label,
                   rows=rows, rows_per_second=rows / main.seconds if main.seconds else None,
                   baseline_rows_per_second=rows / base.seconds if base.seconds else None,
                   baseline_reader=fastest,
                   parse_readers={name: m.seconds for name, m in readers.items()},
                   file_bytes=ctx.files[f"{kind}_bytes"])


def _step_coverage(ctx: StepContext) -> dict:
    from .coverage import coverage

    engine = ctx.engine
    main, base = _measure_pair(
        lambda: coverage(engine, ctx.as_of, by="chain", denominator="chain_firms"),
        lambda: _coverage_sql(engine, ctx.as_of))
    agrees = _coverage_agrees(engine, main.value, base.value)
    if not agrees:
        raise RuntimeError("coverage() and the hand-written SQL disagree")
    return _result(main, base, "one hand-written SQL aggregate (by chain + total)",
                   agrees=agrees, firms=main.value.total.firms, profile_target=lambda: coverage(
                       engine, ctx.as_of, by="chain", denominator="chain_firms"))


def _step_series(ctx: StepContext) -> dict:
    from .coverage import coverage, month_ends, monthly_series

    engine = ctx.engine
    dates = month_ends(SERIES_START, ctx.as_of)

    def repeated():
        return [coverage(engine, d, by="chain", denominator="chain_firms") for d in dates]

    main, base = _measure_pair(lambda: monthly_series(engine, dates, by_chain=True),
                               repeated, repeat=False)
    frame = main.value
    agrees = True
    for d, result in zip(dates, base.value):
        row = frame[(frame["date"] == d) & (frame["key"] == "*")].iloc[0]
        agrees &= (int(row["firms"]), int(row["covered"])) == (result.total.firms, result.total.covered)
    if not agrees:
        raise RuntimeError("monthly_series and coverage() repeated per month disagree")
    return _result(main, base, f"coverage() by chain repeated per month ({len(dates)} months)",
                   months=len(dates), agrees=agrees)


def _largest_chain(engine, on: date) -> tuple[int, str]:
    import sqlalchemy as sa

    query = sa.text(f"""SELECT c.id, c.code, COUNT(*) AS n FROM chain_membership m
        JOIN chain c ON c.id = m.chain_id WHERE {_active('m', 'joined', 'left')}
        GROUP BY c.id, c.code ORDER BY n DESC, c.code LIMIT 1""")
    with engine.connect() as conn:
        row = conn.execute(query, {"d": on}).first()
    if row is None:
        raise RuntimeError("no chain has firms on the date")
    return row[0], row[1]


def _step_graph(ctx: StepContext, whole: bool) -> dict:
    build_graph = _need("graph", "build_graph")
    from .scope import EVERYTHING, Scope

    engine = ctx.engine
    chain_id, code = _largest_chain(engine, ctx.as_of)
    scope = EVERYTHING if whole else Scope.of(chains=[code])
    main, base = _measure_pair(lambda: build_graph(engine, ctx.as_of, scope),
                               lambda: _graph_rows_sql(engine, ctx.as_of, None if whole else chain_id))
    graph = main.value
    return _result(main, base, "fetch the same rows in SQL", chain=None if whole else code,
                   nodes=graph.number_of_nodes(), edges=graph.number_of_edges(),
                   rows_fetched=base.value,
                   profile_target=lambda: build_graph(engine, ctx.as_of, scope))


def _step_overview(ctx: StepContext) -> dict:
    overview, clear_cache = _need("views", "overview", "clear_cache")
    app = Path(__file__).resolve().parent / "app.py"
    if not app.is_file():
        raise NotAvailable("tracker/app.py")
    if not (Path(__file__).resolve().parent.parent / "pages" / "overview.py").is_file():
        raise NotAvailable("pages/overview.py")
    from streamlit.testing.v1 import AppTest

    from .scope import EVERYTHING

    from .auth import authenticate, ensure_demo_user
    from .dashboard import TOKEN_KEY

    os.environ["TRACKER_DATABASE_URL"] = ctx.url
    engine = ctx.engine
    # Every page needs a login: sign in once as the synthetic store's demo user (the
    # login itself is not part of the page's render time).
    ensure_demo_user(engine)
    name, password = _demo_login()
    token = authenticate(engine, name, password).token

    def compute():
        clear_cache()
        return overview(engine, ctx.as_of, EVERYTHING, "zh")

    def render():
        clear_cache()
        at = AppTest.from_file(str(app), default_timeout=600)
        at.session_state[TOKEN_KEY] = token
        at.query_params["as_of"] = ctx.as_of.isoformat()
        at.run()
        if at.exception:
            raise RuntimeError(f"the overview raised: {at.exception[0].message}")
        if not at.metric:
            raise RuntimeError("the overview rendered no headline metric")
        return at

    render()  # warm-up: a running server has imported the pages' modules already
    main, base = _measure_pair(render, compute)
    at = main.value
    started = time.perf_counter()
    at.run()  # the same session again: the views cache is warm
    warm = time.perf_counter() - started
    return _result(main, base, "views.overview() (the figures the page shows)",
                   headline=f"{at.metric[0].label}: {at.metric[0].value}", warm_rerun_seconds=warm,
                   profile_target=render)


def _report_formats() -> list[str]:
    try:
        from .reports import FORMATS
    except ImportError:
        return []
    return list(FORMATS)


def _step_report(ctx: StepContext, fmt: str) -> dict:
    write_report = _need("reports", "write_report")
    gather = _need("reports.content", "gather")
    from .scope import EVERYTHING

    engine = ctx.engine
    path = ctx.folder / f"report-{os.getpid()}.{fmt}"
    main, base = _measure_pair(lambda: write_report(engine, fmt, path, ctx.as_of, EVERYTHING, "zh"),
                               lambda: gather(engine, ctx.as_of, EVERYTHING, "zh"))
    size = path.stat().st_size
    path.unlink(missing_ok=True)
    return _result(main, base, "reports.content.gather() (the report's content)", bytes=size,
                   profile_target=lambda: write_report(engine, fmt, path, ctx.as_of, EVERYTHING, "zh"))


def _sub_instances(inst, limit: int = 5, firms: int = 15):
    """Small instances cut from ``inst``: one area each, at most ``firms`` firms to place."""
    from .plan import Instance

    by_area: dict[str, list] = {}
    for f in sorted(inst.pool(), key=lambda f: f.code):
        if f.area is not None:
            by_area.setdefault(f.area, []).append(f)
    out = []
    for area in sorted(by_area)[:limit]:
        chosen = by_area[area][:firms]
        out.append((area, Instance(
            as_of=inst.as_of, firms=chosen, config=inst.config,
            orgs=[o for o in inst.orgs if o.area == area],
            officers=[k for k in inst.officers if area in k.areas])))
    return out


def _step_planner(ctx: StepContext) -> dict:
    instance_from_store, plan = _need("plan", "instance_from_store", "plan")
    engine = ctx.engine
    base = _measure_once(lambda: instance_from_store(engine, ctx.as_of))
    inst = base.value
    main = _measure_once(lambda: plan(inst))
    result = main.value
    gaps = {"solved": 0, "not_finished": 0, "not_available": None, "max_gap": None,
            "mean_gap": None, "instances": []}
    try:
        solve = _need("exact", "solve")
    except NotAvailable as exc:
        gaps["not_available"] = str(exc)
    else:
        found = []
        for area, sub in _sub_instances(inst):
            heuristic = plan(sub)
            started = time.perf_counter()
            try:
                exact = solve(sub, time_limit=20.0)
            except Exception as exc:  # noqa: BLE001 - no proven optimum: say so
                gaps["not_finished"] += 1
                gaps["instances"].append({"area": area, "firms": len(sub.firms),
                                          "exact": f"not finished: {exc}"})
                continue
            h, e = heuristic.objective, exact.objective
            gap = h[2] - e[2] if h[:2] == e[:2] else None
            found.append(gap)
            gaps["solved"] += 1
            gaps["instances"].append({
                "area": area, "firms": len(sub.firms), "heuristic": list(h), "exact": list(e),
                "gap": gap, "same_coverage": h[:2] == e[:2],
                "exact_seconds": time.perf_counter() - started})
        numeric = [g for g in found if g is not None]
        if numeric:
            gaps["max_gap"] = max(numeric)
            gaps["mean_gap"] = statistics.mean(numeric)
    return _result(main, base, "instance_from_store() (reading the planner's input)",
                   firms=result.firms, actions=len(result.actions),
                   coverage_after=result.coverage_after, exact_gap=gaps,
                   profile_target=lambda: plan(inst))


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        frontier += children
    return found


def _tree_hwm_mib(pid: int) -> float | None:
    """The largest peak RSS among ``pid`` and its descendants (the server process tree)."""
    peak = None
    for p in [pid, *_descendants(pid)]:
        try:
            found = re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{p}/status").read_text())
        except OSError:
            continue
        if found:
            peak = max(peak or 0, int(found.group(1)) / 1024)
    return peak


def _demo_login() -> tuple[str, str]:
    from .auth import DEMO_PASSWORD, DEMO_USER

    return DEMO_USER, DEMO_PASSWORD


def _step_load_test(ctx: StepContext, sessions: int = LOAD_SESSIONS) -> dict:
    """``sessions`` simultaneous browser sessions of the overview against one server."""
    import urllib.request

    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError as exc:
        raise NotAvailable(f"playwright: {exc}") from None
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        raise NotAvailable("chromium (/usr/bin/chromium)")
    port = free_port()
    env = dict(os.environ, TRACKER_DATABASE_URL=ctx.url)
    server = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", ctx.url, "serve", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("tracker serve did not become healthy within 120 s")
            time.sleep(0.5)
        page_url = f"{base_url}/?as_of={ctx.as_of.isoformat()}"
        single, latencies = _browser_sessions(chromium, page_url, sessions)
        server_peak = _tree_hwm_mib(server.pid)
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
    ok = [t for t in latencies if t is not None]
    if not ok:
        raise RuntimeError("no session showed the overview's headline metric")
    ok.sort()
    p50 = statistics.median(ok)
    p95 = ok[min(len(ok) - 1, max(0, int(round(0.95 * len(ok))) - 1))]
    main = Measure(seconds=p50, peak_rss_mib=server_peak, start_rss_mib=None)
    base = Measure(seconds=single, peak_rss_mib=None, start_rss_mib=None)
    return _result(main, base, "one session alone (time to the headline metric)",
                   sessions=sessions, succeeded=len(ok), p50=p50, p95=p95, max=ok[-1],
                   memory_note="peak RSS of the server process tree")


def _browser_sessions(chromium: str, url: str, sessions: int) -> tuple[float, list]:
    """Time until the headline metric is visible: one session alone, then ``sessions`` at once."""
    import asyncio

    from playwright.async_api import async_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]

    async def one(browser) -> float | None:
        context = await browser.new_context()
        page = await context.new_page()
        started = time.perf_counter()
        try:
            await page.goto(url, wait_until="commit", timeout=120_000)
            # Every page needs a login; the benchmark store is the synthetic demo, whose
            # demo login `tracker serve` creates. The time includes the login, as a user's does.
            name, password = _demo_login()
            await page.get_by_label(re.compile("^(用户名|User name)$")).fill(name, timeout=180_000)
            await page.get_by_label(re.compile("^(密码|Password)$")).fill(password)
            await page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()
            await page.locator('[data-testid="stMetric"]').first.wait_for(state="visible",
                                                                          timeout=180_000)
            return time.perf_counter() - started
        except Exception:  # noqa: BLE001 - a session that never shows the metric counts as failed
            return None
        finally:
            await context.close()

    async def main():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=args, headless=True)
            try:
                await one(browser)  # warm the server (first script run, imports)
                alone = await one(browser)
                together = await asyncio.gather(*(one(browser) for _ in range(sessions)))
            finally:
                await browser.close()
            return alone, list(together)

    alone, together = asyncio.run(main())
    if alone is None:
        raise RuntimeError("a single session did not show the overview's headline metric")
    return alone, together


def _dispatch(ctx: StepContext) -> dict:
    step = ctx.step
    if step == "import_xlsx":
        return _step_import(ctx, "xlsx")
    if step == "import_csv":
        return _step_import(ctx, "csv")
    if step == "coverage":
        return _step_coverage(ctx)
    if step == "monthly_series":
        return _step_series(ctx)
    if step == "graph_chain":
        return _step_graph(ctx, whole=False)
    if step == "graph_district":
        return _step_graph(ctx, whole=True)
    if step == "overview":
        return _step_overview(ctx)
    if step.startswith("report_"):
        return _step_report(ctx, step[len("report_"):])
    if step == "planner":
        return _step_planner(ctx)
    if step == "load_test":
        return _step_load_test(ctx)
    raise ValueError(f"未知的基准步骤：{step}")


#: Goal limits that trigger a cProfile run inside the child: step -> (size, seconds).
_PROFILE_WHEN = {g["step"]: (g["size"], g["limit"]) for g in GOALS if g["metric"] == "seconds"}


def _child_main(spec_path: str) -> int:
    """Entry point of the fresh process that runs one step (or the data generation)."""
    spec = json.loads(Path(spec_path).read_text())
    out = Path(spec["out"])
    try:
        if spec["step"] == "generate":
            started = time.perf_counter()
            peak_rss_reset()
            info = _generate(spec["url"], spec["size"], spec["seed"], date.fromisoformat(spec["as_of"]))
            info["seconds"] = time.perf_counter() - started
            info["peak_rss_mib"] = peak_rss_mib()
            started = time.perf_counter()
            from .store import get_engine

            peak_rss_reset()
            info["files"] = _write_firm_sheets(get_engine(spec["url"]), Path(spec["folder"]))
            info["files_seconds"] = time.perf_counter() - started
            info["files_peak_rss_mib"] = peak_rss_mib()
            result = {"status": "ok", **info}
        else:
            ctx = StepContext(step=spec["step"], url=spec["url"], size=spec["size"],
                              as_of=date.fromisoformat(spec["as_of"]), folder=Path(spec["folder"]),
                              fresh_url=spec.get("fresh_url"), files=spec.get("files") or {})
            result = {"status": "ok", **_dispatch(ctx)}
            target = result.pop("profile_target", None)
            size, limit = _PROFILE_WHEN.get(spec["step"], (None, None))
            if target is not None and size == spec["size"] and result["seconds"] > limit:
                result["profile"] = _profile(target)
    except NotAvailable as exc:
        result = {"status": "not available", "note": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported in the results, the run goes on
        result = {"status": "error", "note": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=6)}
    out.write_text(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def _run_child(spec: dict, timeout: float) -> dict:
    """Run one step in a fresh process; its result, with the child's ``ru_maxrss``."""
    folder = Path(spec["folder"])
    spec_path = folder / f"spec-{spec['step']}-{time.monotonic_ns()}.json"
    spec["out"] = str(spec_path.with_suffix(".out.json"))
    spec_path.write_text(json.dumps(spec, ensure_ascii=False, default=str))
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    command = [sys.executable, "-c",
               "import sys; from tracker.bench import _child_main; sys.exit(_child_main(sys.argv[1]))",
               str(spec_path)]
    started = time.perf_counter()
    err_path = spec_path.with_suffix(".err")
    with open(err_path, "wb") as err:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                   start_new_session=True)
    # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would be the max over all).
    usage = None
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        except BaseException:  # interrupted (Ctrl-C): do not leave the step running
            os.killpg(process.pid, 9)
            process.wait()
            raise
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            usage = rusage.ru_maxrss / 1024
            break
        if time.monotonic() > deadline:
            os.killpg(process.pid, 9)
            process.wait()
            for path in (spec_path, Path(spec["out"]), err_path):
                path.unlink(missing_ok=True)
            return {"status": "timeout", "note": f"did not finish within {timeout:g} s",
                    "wall_seconds": time.perf_counter() - started, "timeout": timeout}
        try:
            time.sleep(0.05)
        except BaseException:
            os.killpg(process.pid, 9)
            process.wait()
            raise
    out = Path(spec["out"])
    try:
        result = json.loads(out.read_text())
    except (OSError, ValueError):
        tail = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        result = {"status": "error",
                  "note": f"the step process died (exit {process.returncode}): {' | '.join(tail)}"}
    result["wall_seconds"] = time.perf_counter() - started
    result["child_max_rss_mib"] = usage
    for path in (spec_path, out, err_path):  # a kept folder must not fill up with them
        path.unlink(missing_ok=True)
    return result


# =========================================================================== the run


def _expand_steps(steps) -> list[str]:
    out = []
    for step in steps:
        if step == "report":
            formats = _report_formats()
            out.extend(f"report_{f}" for f in formats) if formats else out.append("report")
        else:
            out.append(step)
    return out


def default_timeout(size: int) -> float:
    """Seconds allowed to one step process (and to the data generation) at ``size`` firms.

    600 s up to about 670,000 firms, then 0.9 ms per firm (900 s at 1,000,000): the
    1,000,000-firm district takes about 90 s to generate and about a minute to write its
    firm sheets on the bench machine, and a step that needs longer than this has missed
    every goal by far (the limit is reported as ``timeout``, and the run goes on).

    >>> default_timeout(1000), default_timeout(1_000_000)
    (600.0, 900.0)
    """
    return max(600.0, 0.0009 * size)


#: Bumped when the kept files of a size (store, sheets) change shape.
_KEEP_FORMAT = 2


def _data_fingerprint(size: int, seed: int, as_of: date) -> str:
    """What a kept store depends on: the generator, the schema, the chain list, the sheets."""
    import hashlib

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"{_KEEP_FORMAT}:{size}:{seed}:{as_of.isoformat()}".encode())
    for part in (root / "demo.py", root / "model.py", root / "chains.py",
                 root / "ingest" / "template.py", root.parent / "data" / "chains.csv"):
        digest.update(part.read_bytes() if part.is_file() else b"-")
    return digest.hexdigest()[:16]


def _kept_setup(folder: Path, fingerprint: str) -> dict | None:
    """The setup recorded in a kept size folder, if it is complete and still current."""
    try:
        setup = json.loads((folder / "setup.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = setup.get("files") or {}
    if (setup.get("fingerprint") != fingerprint or setup.get("status") != "ok"
            or not all(Path(files.get(k, "")).is_file() for k in ("xlsx", "csv"))
            or not (folder / "store.db").is_file()):
        return None
    return setup


def run_benchmark(
    sizes=(1000,),
    db: str | None = None,
    postgres_server: bool = False,
    steps=None,
    load_test: bool = False,
    timeout: float | None = None,
    seed: int = SEED,
    as_of: date = AS_OF,
    progress: Callable[[str], None] | None = None,
    workdir: Path | str | None = None,
    checkpoint: Callable[[dict], None] | None = None,
    keep: Path | str | None = None,
) -> dict:
    """Run the benchmark and return the results (the JSON of ``tracker bench --json``).

    Parameters
    ----------
    sizes : numbers of firms
    db : a PostgreSQL URL (its server gets throwaway databases), an SQLite URL (its folder
         gets the store files), or None for SQLite in a temporary folder
    postgres_server : also run on a throwaway local PostgreSQL server
    steps : names from :data:`STEPS` (default all); ``load_test`` runs when ``load_test``
    timeout : seconds allowed to each step process; None: :func:`default_timeout` per size
    checkpoint : called with the results so far after every step (a long run that is
                 stopped still leaves what it measured)
    keep : a folder where the SQLite store and firm sheets of each size are kept
           (``sqlite-<size>/``): a later run with the same folder, size, seed and date
           reuses them instead of generating again, as long as the generator, the schema
           and the chain list are unchanged (a fingerprint of their sources is checked)

    A step that fails or times out is recorded as such and the run goes on with the next
    step and size; so does a size whose data cannot be generated.
    """
    say = progress or (lambda message: None)
    steps = list(steps or STEPS)
    unknown = [s for s in steps if s not in STEPS and s != "load_test"
               and not s.startswith("report_")]
    if unknown:
        raise ValueError(f"未知的基准步骤：{'、'.join(unknown)}（可选：{'、'.join(STEPS)}）")
    if load_test and "load_test" not in steps:
        steps.append("load_test")
    steps = _expand_steps(steps)
    own_folder = workdir is None
    folder = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="redwood-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    keep_folder = Path(keep).resolve() if keep else None
    if keep_folder is not None:
        keep_folder.mkdir(parents=True, exist_ok=True)
    backends: list[Backend] = []
    server = None
    results = {"generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": machine_info(), "as_of": as_of.isoformat(), "seed": seed,
               "sizes": list(sizes), "steps": steps, "runs": [], "notes": [],
               "timeout": timeout, "keep": str(keep_folder) if keep_folder else None}

    def saved():
        if checkpoint:
            _finish(results)
            checkpoint(results)

    try:
        if db:
            from .store import resolve_url

            url = resolve_url(db)
            if url.startswith("sqlite"):
                path = url[len("sqlite:///"):]
                backends.append(Backend("sqlite", Path(path).parent if path else folder))
            else:
                backends.append(Backend("postgresql", folder, url=url))
        else:
            backends.append(Backend("sqlite", folder))
        if postgres_server:
            try:
                server = PostgresServer()
                backends.append(Backend("postgresql", folder, url=server.url, server=server))
            except Exception as exc:  # noqa: BLE001 - reported, SQLite goes on
                results["notes"].append(f"PostgreSQL not available: {exc}")
                say(f"PostgreSQL 不可用 / not available: {exc}")
        for backend in backends:
            for size in sizes:
                limit = timeout if timeout else default_timeout(size)
                run = {"backend": backend.kind, "backend_version": backend.version, "size": size,
                       "timeout": limit, "steps": []}
                results["runs"].append(run)
                try:
                    _run_size(run, backend, size, steps, folder, seed, as_of, limit, say, saved,
                              keep_folder if backend.kind == "sqlite" else None)
                except KeyboardInterrupt:
                    done = {s["step"] for s in run["steps"]}
                    run["steps"] += [{"step": s, "status": "not run", "note": "run stopped"}
                                     for s in steps if s not in done]
                    results["notes"].append(
                        f"The run was stopped during {backend.label} {size:,} firms: the "
                        f"steps listed as 'not run' and any later sizes were not measured.")
                    saved()
                    raise
                except Exception as exc:  # noqa: BLE001 - one size's trouble ends only that size
                    note = f"{type(exc).__name__}: {exc}"
                    say(f"[{backend.label} {size:,}] 出错 / failed: {note}")
                    run["error"] = note
                    done = {s["step"] for s in run["steps"]}
                    run["steps"] += [{"step": s, "status": "error", "note": f"not run: {note}"}
                                     for s in steps if s not in done]
                    saved()
    finally:
        for backend in backends:
            backend.cleanup()
        if server is not None:
            server.stop()
        if own_folder:
            shutil.rmtree(folder, ignore_errors=True)
    _finish(results)
    return results


def _finish(results: dict) -> None:
    """Ratios and goal verdicts of the results so far."""
    for run in results["runs"]:
        for step in run["steps"]:
            base, secs = step.get("baseline_seconds"), step.get("seconds")
            step["ratio"] = secs / base if step["status"] == "ok" and base and secs else None
    results["goals"] = evaluate_goals(results)


def _fmt_size(n: int) -> str:
    return f"{n:,}"


def _run_size(run: dict, backend: Backend, size: int, steps: list[str], folder: Path, seed: int,
              as_of: date, timeout: float, say, saved, keep: Path | None = None) -> dict:
    label = f"[{backend.label} {_fmt_size(size)}]"
    if keep is not None:
        size_folder = keep / f"sqlite-{size}"
        fingerprint = _data_fingerprint(size, seed, as_of)
        url = f"sqlite:///{size_folder / 'store.db'}"
    else:
        size_folder = folder / f"{backend.kind}-{size}"
        fingerprint = None
        url = backend.new_store(f"bench-{size}")
    size_folder.mkdir(parents=True, exist_ok=True)
    setup = _kept_setup(size_folder, fingerprint) if keep is not None else None
    if setup is not None:
        setup = {**setup, "reused": True, "reused_from": str(size_folder)}
        say(f"{label} 复用已保留的数据 / reusing the kept store in {size_folder} "
            f"(generated {setup.get('generated_at', '?')})")
    else:
        if keep is not None:  # a partial or stale store: start afresh
            for name in ("store.db", "store.db-wal", "store.db-shm", "setup.json"):
                (size_folder / name).unlink(missing_ok=True)
        say(f"{label} 生成数据 / generating the district …")
        setup = _run_child({"step": "generate", "url": url, "size": size, "seed": seed,
                            "as_of": as_of.isoformat(), "folder": str(size_folder)}, timeout)
        setup["generated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if keep is not None and setup.get("status") == "ok":
            setup["fingerprint"] = fingerprint
            (size_folder / "setup.json").write_text(
                json.dumps(setup, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    run["setup"] = setup
    saved()
    try:
        if setup.get("status") != "ok":
            say(f"{label} 数据生成失败 / generation failed: {setup.get('note')}")
            run["steps"] = [{"step": s, "status": "skipped",
                             "note": f"data generation {setup.get('status')}"} for s in steps]
            return run
        say(f"{label} 数据就绪 / data ready: generated in {setup['seconds']:.1f} s "
            f"({setup.get('data_source')}); firm sheet {setup['files']['rows']:,} rows written "
            f"in {setup.get('files_seconds', 0):.1f} s")
        for step in steps:
            say(f"{label} {step} …")
            result = _run_step(backend, step, url, size, as_of, size_folder, setup["files"],
                               timeout)
            run["steps"].append(result)
            say(f"{label} {step}: {_one_line(result)}")
            saved()
    finally:
        if keep is None:
            backend.drop(url)
            shutil.rmtree(size_folder, ignore_errors=True)
    return run


def _run_step(backend: Backend, step: str, url: str, size: int, as_of: date, folder: Path,
              files: dict, timeout: float) -> dict:
    """One step in its own process; any trouble of the harness itself is the step's error."""
    spec = {"step": step, "url": url, "size": size, "as_of": as_of.isoformat(),
            "folder": str(folder), "files": files}
    fresh = None
    try:
        if step.startswith("import_"):
            fresh = spec["fresh_url"] = backend.new_store(f"import-{size}")
        result = _run_child(spec, timeout)
    except Exception as exc:  # noqa: BLE001 - recorded; the next step runs
        result = {"status": "error", "note": f"harness: {type(exc).__name__}: {exc}"}
    finally:
        if fresh:
            try:
                backend.drop(fresh)
            except Exception:  # noqa: BLE001 - a leftover store must not stop the run
                pass
    return {"step": step, **result}


def _one_line(result: dict) -> str:
    if result["status"] != "ok":
        note = str(result.get("note", "")).strip().splitlines()
        return f"{result['status']} — {note[0][:300] if note else ''}"
    parts = [f"{result['seconds']:.3f} s"]
    if result.get("baseline_seconds"):
        parts.append(f"baseline {result['baseline_seconds']:.3f} s, "
                     f"ratio {result['seconds'] / result['baseline_seconds']:.2f}")
    if result.get("peak_rss_mib"):
        parts.append(f"peak {result['peak_rss_mib']:.0f} MiB")
    return "; ".join(parts)


# =========================================================================== goals, markdown


def evaluate_goals(results: dict) -> list[dict]:
    """Each goal of :data:`GOALS` against the results: met, missed (by how much), or not run."""
    out = []
    for goal in GOALS:
        for run in results["runs"]:
            if run["size"] != goal["size"]:
                continue
            entry = {"goal": goal["id"], "text": goal["text"], "backend": run["backend"],
                     "limit": goal["limit"], "metric": goal["metric"]}
            if goal["step"] == "*":
                measured = [(s.get("peak_rss_mib"), s["step"]) for s in run["steps"]
                            if s["status"] == "ok" and s.get("peak_rss_mib")]
                setup = run.get("setup", {})
                if setup.get("peak_rss_mib"):
                    measured.append((setup["peak_rss_mib"], "generate"))
                value, where = max(measured) if measured else (None, None)
                entry["where"] = where
                entry["steps_measured"] = len(measured)
                missing = [s["step"] for s in run["steps"] if s["status"] != "ok"]
                if missing:
                    entry["note"] = f"not measured: {', '.join(missing)}"
            else:
                step = next((s for s in run["steps"] if s["step"] == goal["step"]), None)
                value = step.get(goal["metric"]) if step and step["status"] == "ok" else None
                if step is None:
                    entry["note"] = "step not in this run"
                elif step["status"] != "ok":
                    entry["note"] = f"{step['status']}: {_first_line(step.get('note'))}"
            entry["value"] = value
            if value is None:
                entry["verdict"] = "not measured"
            elif value <= goal["limit"]:
                entry["verdict"] = "met"
                entry["spare"] = goal["limit"] - value
            else:
                entry["verdict"] = "missed"
                entry["over_by"] = value - goal["limit"]
                entry["factor"] = value / goal["limit"]
            out.append(entry)
        if not any(e["goal"] == goal["id"] for e in out) and results.get("runs"):
            # Every goal is reported: one whose size was not in this run says so.
            out.append({"goal": goal["id"], "text": goal["text"], "backend": None,
                        "limit": goal["limit"], "metric": goal["metric"], "value": None,
                        "verdict": "not run",
                        "note": f"no {goal['size']:,}-firm run in these results"})
    return out


def _cell(value, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def to_markdown(results: dict, analysis: str | None = None) -> str:
    """The ``BENCHMARKS.md`` text of a run; ``analysis`` (hand-written) is kept at the end."""
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "How Redwood scales from a district to a province (issue 8). Generated by "
        "`tracker bench` — every number below was measured on the machine described here; "
        "nothing is estimated.",
        "",
        f"- Machine: {m['cores']} cores ({m.get('usable_cores')} usable), {m.get('cpu') or '?'}, "
        f"{m.get('memory_gib')} GiB memory; {m['platform']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}"
        + "".join(f", PostgreSQL {v}" for v in sorted({r['backend_version'] for r in results['runs']
                                                         if r['backend'] == 'postgresql'
                                                         and r.get('backend_version')})),
        f"- Commit {m.get('commit') or '?'}; run {results['generated']}; data as of "
        f"{results['as_of']}, seed {results['seed']}",
        "- The machine's CPU was shared with other work during the run: treat small "
        "differences as noise.",
        "",
        "Method: each step runs in a fresh process; its baseline runs in the same process on "
        "the same data, and `ratio = step / baseline` (lower is better). Calls under 2 s are "
        "repeated up to 3 times (fastest kept). Peak RSS is the kernel's high-water mark "
        "(`VmHWM`) reset just before the call with `echo 5 > /proc/self/clear_refs`, so it "
        "is the peak of that call, interpreter and libraries included. See "
        "`tracker/bench.py` for the baselines.",
        "",
    ]
    for note in results.get("notes", []):
        lines.append(f"> {note}")
        lines.append("")
    lines += ["## Goals", "", "| goal | backend | measured | limit | verdict |",
              "|---|---|---:|---:|---|"]
    for g in results.get("goals", []):
        unit = " s" if g["metric"] == "seconds" else " MiB"
        verdict = g["verdict"]
        if verdict == "missed":
            verdict = f"**missed** by {_cell(g['over_by'], 2)}{unit} ({g['factor']:.1f}×)"
        elif verdict == "met":
            verdict = f"met, {_cell(g['spare'], 2)}{unit} to spare"
            if g.get("steps_measured") is not None:
                verdict += f" over the {g['steps_measured']} measured steps"
        if g.get("where"):
            verdict += f" (largest: {g['where']})"
        if g.get("note"):
            verdict += f" — {g['note']}"
        lines.append(f"| {g['text']} | {g['backend'] or '—'} | {_cell(g['value'], 2)}"
                     f"{unit if g['value'] is not None else ''} "
                     f"| {_cell(g['limit'], 0)}{unit} | {verdict} |")
    if not results.get("goals"):
        lines.append("| (no run in these results) | | | | |")
    lines.append("")
    for backend in dict.fromkeys(r["backend"] for r in results["runs"]):
        runs = [r for r in results["runs"] if r["backend"] == backend]
        lines += [f"## {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}", ""]
        for run in runs:
            setup = run.get("setup", {})
            if setup.get("status") != "ok":
                lines.append(f"**{run['size']:,} firms** — data generation {setup.get('status', '?')}: "
                             f"{_first_line(setup.get('note'))}")
                lines.append("")
                continue
            files = setup.get("files") or {}
            reused = (f"; reused from a kept store (`--keep`), generated {setup.get('generated_at')}"
                      if setup.get("reused") else "")
            lines.append(f"**{run['size']:,} firms** — data: {setup.get('data_source', '?')}, "
                         f"generated in {_cell(setup.get('seconds'), 1)} s "
                         f"(peak {_cell(setup.get('peak_rss_mib'), 0)} MiB); firm sheet for the "
                         f"imports ({_cell(files.get('rows'))} rows, xlsx "
                         f"{_cell((files.get('xlsx_bytes') or 0) / 2**20, 1)} MiB) written in "
                         f"{_cell(setup.get('files_seconds'), 1)} s (peak "
                         f"{_cell(setup.get('files_peak_rss_mib'), 0)} MiB){reused}; "
                         f"time limit per step {_cell(run.get('timeout'), 0)} s")
            lines.append("")
        lines += ["| step | firms | time (s) | baseline | baseline (s) | ratio | peak RSS (MiB) | notes |",
                  "|---|---:|---:|---|---:|---:|---:|---|"]
        for run in runs:
            for s in run["steps"]:
                if s["status"] != "ok":
                    lines.append(f"| {s['step']} | {run['size']:,} | — | | | | | "
                                 f"{s['status']}: {_first_line(s.get('note'))} |")
                    continue
                lines.append(
                    f"| {s['step']} | {run['size']:,} | {_cell(s['seconds'])} | {s.get('baseline', '')} "
                    f"| {_cell(s.get('baseline_seconds'))} | {_cell(s.get('ratio'), 2)} "
                    f"| {_cell(s.get('peak_rss_mib'), 0)} | {_step_notes(s)} |")
        lines.append("")
    profiles = [(run, s) for run in results["runs"] for s in run["steps"] if s.get("profile")]
    if profiles:
        lines += ["## Profiles of missed goals (cProfile, cumulative time)", ""]
        for run, s in profiles:
            lines += [f"**{s['step']}, {run['size']:,} firms, {run['backend']}**", "",
                      "| function | calls | tottime (s) | cumtime (s) |", "|---|---:|---:|---:|"]
            for p in s["profile"]:
                lines.append(f"| `{p['function']}` | {p['calls']:,} | {p['tottime']} | {p['cumtime']} |")
            lines.append("")
    if analysis:
        lines += [analysis.rstrip(), ""]
    return "\n".join(lines)


def _first_line(text, limit: int = 200) -> str:
    lines = str(text or "").strip().splitlines()
    return (lines[0][:limit] if lines else "").replace("|", "/")


def _step_notes(s: dict) -> str:
    notes = []
    if s.get("rows_per_second"):
        notes.append(f"{s['rows_per_second']:,.0f} rows/s (parse only "
                     f"{s.get('baseline_rows_per_second') or 0:,.0f} rows/s)")
    if s.get("months"):
        notes.append(f"{s['months']} months")
    if s.get("nodes") is not None:
        notes.append(f"{s['nodes']:,} nodes, {s['edges']:,} edges"
                     + (f", chain {s['chain']}" if s.get("chain") else ""))
    if s.get("headline"):
        notes.append(f"headline {s['headline']}; warm rerun {s.get('warm_rerun_seconds', 0):.2f} s")
    if s.get("bytes"):
        notes.append(f"{s['bytes'] / 1024:,.0f} KiB")
    gap = s.get("exact_gap")
    if gap:
        if gap.get("not_available"):
            notes.append(f"exact: not available ({gap['not_available']})")
        else:
            notes.append(f"exact optimum on {gap['solved']} sub-instances (≤15 firms; "
                         f"{gap['not_finished']} not finished): gap max {_cell(gap['max_gap'])}, "
                         f"mean {_cell(gap['mean_gap'], 2)} new orgs/officers")
    if s.get("p50") is not None:
        notes.append(f"{s['sessions']} sessions, {s['succeeded']} ok: p50 {s['p50']:.2f} s, "
                     f"p95 {s['p95']:.2f} s; server peak RSS")
    if s.get("agrees"):
        notes.append("same figures")
    return "; ".join(notes)


def keep_analysis(path: Path | str) -> str | None:
    """The hand-written ``## Analysis`` section of an existing ``BENCHMARKS.md``, if any."""
    path = Path(path)
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    index = text.find("\n## Analysis")
    return text[index + 1:] if index >= 0 else None
