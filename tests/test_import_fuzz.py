"""The importer under abuse: random junk, and a kill -9 in the middle of a large import.

Whatever is thrown at it, the importer gives a clear error (:class:`ReadError`) or a
report, never a traceback, and never a partial write when it refuses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.builders import checksum
from tracker import uscc
from tracker.chains import init_store
from tracker.ingest import import_path
from tracker.ingest.readers import ReadError
from tracker.ingest.template import SHEETS
from tracker.model import Firm, metadata
from tracker.store import get_engine

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {name: [c.header for c in cols] for name, cols in SHEETS.items()}




def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in metadata.sorted_tables}


@pytest.fixture(scope="module")
def store():
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    engine = get_engine(f"sqlite:///{folder / 'fuzz.db'}")
    init_store(engine)
    yield engine, folder
    engine.dispose()


def attempt(engine, path, partial=False):
    """Import; return the report, or None for a clean refusal of an unreadable file."""
    before = checksum(engine)
    try:
        report = import_path(engine, path, partial=partial)
    except ReadError as exc:
        assert str(exc)  # a message for the user
        assert checksum(engine) == before
        return None
    if report.rejections and not partial:
        assert checksum(engine) == before  # all or nothing
    for r in report.rejections:
        assert r.reason and r.sheet in SHEETS and r.row >= 1
    return report


FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=4000), suffix=st.sampled_from(["xlsx", "csv", "bin"]),
       zip_header=st.booleans())
def test_random_bytes_as_a_file(store, data, suffix, zip_header):
    engine, folder = store
    if zip_header:
        data = b"PK\x03\x04" + data
    path = folder / f"企业.{suffix}"
    path.write_bytes(data)
    attempt(engine, path)


def _good_code():
    return st.integers(0, 10**9 - 1).map(lambda n: uscc.make(f"91440112{n:09d}"))


CELL = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.text(min_size=1, max_size=20).map(lambda t: "=" + t),  # formula text
    st.text(alphabet="是否民营外资上游中游下游BIODISPLAY；;、", max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.text(min_size=300, max_size=2000),  # very long strings
    _good_code(),
)


@FUZZ
@given(firms=st.lists(st.lists(CELL, min_size=0, max_size=15), max_size=6),
       orgs=st.lists(st.lists(CELL, min_size=0, max_size=10), max_size=4),
       links=st.lists(st.tuples(st.sampled_from(["O-1", "O-2", "x"]), _good_code()), max_size=3),
       partial=st.booleans())
def test_random_cells_in_a_workbook(store, firms, orgs, links, partial):
    engine, folder = store
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in (("企业", firms), ("党组织", orgs), ("覆盖关系", [list(r) for r in links])):
        ws = wb.create_sheet(name)
        ws.append(HEADERS[name])
        for row in rows:
            ws.append([_storable(v) for v in row])
    path = folder / "cells.xlsx"
    wb.save(path)
    before = counts(engine)
    report = attempt(engine, path, partial=partial)
    assert report is not None  # a well-formed workbook is always readable
    after = counts(engine)
    if report.rejections and not partial:
        # Refused: nothing written, and the counts are what the import *would* have done
        # (the command line says "将新增"), so they are not compared with the store.
        assert after == before and not report.written
    else:
        assert after["firm"] - before["firm"] == report.counts["企业"].added


# A small store the visit fuzz builds on: one firm, one person assigned to it in 2024.
_VISIT_FIRM = uscc.make("91440112777777777")
_PERSON = st.sampled_from([("王明", "区工信局"), ("王明", "区财政局"), ("李四", "区工信局"), (None, None)])
_VISIT_CELL = st.one_of(CELL, st.sampled_from(["走访", "座谈", "线上", "visit", "喝茶", ""]),
                        st.dates(min_value=date(2023, 6, 1), max_value=date(2025, 6, 1)))


@FUZZ
@given(visits=st.lists(st.tuples(_PERSON, st.sampled_from([_VISIT_FIRM, "x", None]),
                                 _VISIT_CELL, _VISIT_CELL, _VISIT_CELL), max_size=6),
       liaisons=st.lists(st.tuples(_PERSON, _VISIT_CELL, _VISIT_CELL), max_size=3),
       partial=st.booleans())
def test_random_visits_and_assignments(tmp_path_factory, visits, liaisons, partial):
    folder = tmp_path_factory.mktemp("visits")
    engine = get_engine(f"sqlite:///{folder / 'v.db'}")
    init_store(engine)
    try:
        wb = Workbook()
        wb.remove(wb.active)
        ws = wb.create_sheet("企业")
        ws.append(HEADERS["企业"])
        ws.append([_VISIT_FIRM, "走访企业", "BIO", None, None, None, None, None, None, 0, 0,
                   "2023-01-01", None])
        ws = wb.create_sheet("联络员")
        ws.append(HEADERS["联络员"])
        ws.append(["王明", "区工信局", "联络员", _VISIT_FIRM, "2024-01-01", "2025-01-01"])
        for (name, unit), start, end in liaisons:
            ws.append([_storable(v) for v in (name, unit, "联络员", _VISIT_FIRM, start, end)])
        ws = wb.create_sheet("走访记录")
        ws.append(HEADERS["走访记录"])
        for (name, unit), firm, day, mode, note in visits:
            ws.append([_storable(v) for v in (name, unit, firm, day, mode, note)])
        path = folder / "visits.xlsx"
        wb.save(path)
        before = counts(engine)
        report = attempt(engine, path, partial=partial)
        assert report is not None
        after = counts(engine)
        if report.rejections and not partial:
            assert after == before
        else:
            assert after["visit"] - before["visit"] == report.counts["走访记录"].added
            # Every stored visit lies within one of its person's assignments to its firm.
            with engine.connect() as conn:
                bad = conn.execute(sa.text(
                    "SELECT count(*) FROM visit v WHERE NOT EXISTS (SELECT 1 FROM assignment a "
                    "WHERE a.liaison_id = v.liaison_id AND a.firm_id = v.firm_id "
                    "AND (a.start IS NULL OR a.start <= v.day) "
                    "AND (a.\"end\" IS NULL OR v.day < a.\"end\"))")).scalar()
            assert bad == 0
    finally:
        engine.dispose()


def _storable(value):
    """openpyxl refuses control characters in strings; Excel could not hold them either."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


@FUZZ
@given(rows=st.lists(st.lists(st.text(max_size=25), max_size=14), max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_random_text_in_a_csv(store, rows, encoding):
    import csv
    import io

    engine, folder = store
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS["企业"])
    writer.writerows(rows)
    path = folder / "企业.csv"
    try:
        path.write_bytes(buffer.getvalue().encode(encoding))
    except UnicodeEncodeError:  # a character GB18030 cannot hold (lone surrogates)
        return
    attempt(engine, path)


# --------------------------------------------------------------------------- kill -9


def big_workbook(path: Path, n: int) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业")
    ws.append(HEADERS["企业"])
    for i in range(n):
        ws.append([uscc.make(f"91440112{i + 10**6:09d}"), f"大批企业{i}", "BIO;DISPLAY", "中游", "否",
                   "民营", "否", "科学城", "萝岗街道", i % 7, 0, "2023-01-01", None])
    wb.save(path)
    return path


@pytest.mark.slow
def test_kill_minus_nine_mid_import_leaves_the_store_as_before(tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    engine = get_engine(url)
    init_store(engine)
    small = Workbook()
    ws = small.active
    ws.title = "企业"
    ws.append(HEADERS["企业"])
    ws.append([uscc.make("91440112000000001"), "原有企业", "BIO", "上游", "否", "民营", "否", None, None,
               3, 0, "2022-01-01", None])
    small.save(tmp_path / "small.xlsx")
    assert import_path(engine, tmp_path / "small.xlsx").exit_code == 0
    before, before_counts = checksum(engine), counts(engine)
    path = big_workbook(tmp_path / "big.xlsx", 25_000)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("TRACKER_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "--db", url, "import", str(path)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen = []
    deadline = time.monotonic() + 240
    try:
        for line in proc.stderr:  # progress lines; "写入" means the transaction is open
            seen.append(line)
            if line.startswith("写入"):
                proc.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline, seen
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, ("the import ended before it could be killed", seen)
    engine.dispose()
    engine = get_engine(url)
    assert counts(engine) == before_counts
    assert checksum(engine) == before
    # The store is usable afterwards: the same import now goes through.
    report = import_path(engine, tmp_path / "small.xlsx")
    assert report.exit_code == 0 and report.counts["企业"].unchanged == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Firm.__table__)).scalar() == 1


def test_a_refused_import_reports_what_it_would_have_done(sqlite_engine, tmp_path):
    # Found by the workbook fuzz test: one good new firm and one bad row, all-or-nothing.
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("企业")
    ws.append(HEADERS["企业"])
    ws.append([None, None, None, 0])
    ws.append(["91440112000000000G", "\U000a9db0"])
    path = tmp_path / "refused.xlsx"
    wb.save(path)
    before = counts(sqlite_engine)
    report = import_path(sqlite_engine, path)
    assert report.exit_code == 1 and not report.written
    assert counts(sqlite_engine) == before
    assert (report.counts["企业"].added, report.counts["企业"].rejected) == (1, 1)
