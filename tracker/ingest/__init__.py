"""Real data in: the import workbook, its readers, validation and the atomic upsert.

:func:`import_path` is the one entry point (``tracker import`` calls it): read the
workbook or CSV files, validate every row, then write in **one transaction**. By default
any rejected row means nothing is written (exit code 1); ``partial=True`` writes the valid
rows. A killed import leaves the store as it was, since the transaction never commits.

The synthetic demo data set and real data are never mixed: importing into a store whose
provenance says ``synthetic=true`` is refused (:class:`DemoStoreError`, exit code 3)
unless ``replace_demo=True``, which deletes the demo firms, organisations, links,
liaisons, their visits and memberships in the same transaction before loading the file.

Examples
--------
>>> from tracker.chains import empty_store
>>> from tracker.ingest.template import write_template
>>> import tempfile, pathlib
>>> engine = empty_store()
>>> path = write_template(pathlib.Path(tempfile.mkdtemp()) / "t.xlsx", engine)
>>> events = []
>>> report = import_path(engine, path, progress=events.append)  # example rows only
>>> report.exit_code, report.total_rows
(0, 0)
>>> [(e.stage, e.detail) for e in events][:2]
[('read', '企业'), ('read', '企业')]
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from ..audit import record
from ..errors import TrackerError
from ..model import (
    Assignment,
    ChainMembership,
    CoverageLink,
    DatasetInfo,
    Firm,
    Liaison,
    PartyOrg,
    Plan,
    SupplyLink,
    Visit,
)
from ..progress import ProgressCallback
from ..provenance import set_info
from ..store import refresh_statistics
from .headers import HeaderMap, MapError, load_remembered, parse_map, remember
from .load import LoadResult, SheetCounts, load
from .readers import RawSheet, ReadError, read_path
from .template import SHEETS, write_template
from .validate import Rejection, StoreKeys, Validated, validate

__all__ = ["ImportReport", "DemoStoreError", "MapError", "ReadError", "Rejection", "import_path",
           "parse_map", "write_rejects", "write_template", "REJECT_COLUMNS"]

#: The two columns added to each rejected row in the rejects file.
REJECT_COLUMNS = ("错误列", "错误原因")


class DemoStoreError(TrackerError):
    """The store holds the synthetic demo data; real data is not mixed into it."""

    exit_code = 3


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    files: list[str]
    dry_run: bool
    partial: bool
    written: bool
    counts: dict[str, SheetCounts]
    rejections: list[Rejection]
    validated: Validated
    audit_entries: int = 0
    seconds: float = 0.0
    replaced_demo: bool = False
    notes: list[str] = field(default_factory=list)
    #: Sheets whose mapping was saved for the next file with the same headers.
    remembered: int = 0

    @property
    def sheets(self) -> dict[str, RawSheet]:
        """The sheets read, with their format, header row and mapping."""
        return self.validated.sheets

    def sheet_info(self, name: str) -> dict:
        """Per sheet: the format read, the header row, the mapping used, the columns not
        read (未识别的列) and the counts."""
        raw = self.validated.sheets.get(name)
        info = self.counts[name].as_dict() if name in self.counts else {}
        if raw is not None:
            info.update(format=raw.fmt, header_row=raw.header_row, source=raw.source,
                        mapping=raw.mapping(), unmatched=raw.unmatched)
        return info

    @property
    def total_rows(self) -> int:
        return sum(c.rows for c in self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """0 when every row is in (or would be), 1 when rows were rejected."""
        return 1 if self.rejections else 0

    def as_dict(self) -> dict:
        return {
            "files": self.files, "dry_run": self.dry_run, "partial": self.partial,
            "written": self.written, "exit_code": self.exit_code,
            "sheets": {name: self.sheet_info(name) for name in self.counts},
            "rejections": [r.as_dict() for r in self.rejections],
            "name_matches": self.validated.name_matches,
            "remembered_mappings": self.remembered,
            "audit_entries": self.audit_entries, "seconds": round(self.seconds, 3),
            "replaced_demo": self.replaced_demo, "notes": self.notes,
        }


_DATA_TABLES = (Visit, Assignment, CoverageLink, ChainMembership, SupplyLink, Liaison)


def _clear_demo(conn) -> None:
    """Delete the demo district (firms, organisations and everything hanging on them), and
    the demo's illustrative plan: an example must not become the plan in force of a real
    district."""
    for model in _DATA_TABLES:
        conn.execute(model.__table__.delete())
    conn.execute(PartyOrg.__table__.update().values(parent_id=None))
    conn.execute(PartyOrg.__table__.delete())
    conn.execute(Firm.__table__.delete())
    conn.execute(Plan.__table__.delete().where(Plan.__table__.c.is_example.is_(True)))


def import_path(engine, paths, *, dry_run: bool = False, partial: bool = False,
                user: str = "cli", replace_demo: bool = False,
                progress: ProgressCallback | None = None, mapping=None,
                remember_mapping: bool = True) -> ImportReport:
    """Import a workbook, a CSV file, a folder of CSV files (or a list of these).

    Parameters
    ----------
    engine : the store (initialised)
    paths : a path or a list of paths
    dry_run : validate and count what would change; write nothing
    partial : write the valid rows even when others are rejected
    user : recorded in the audit log
    replace_demo : allow replacing the synthetic demo data (see the module notes)
    progress : called with a :class:`~tracker.progress.Progress` event as the work goes:
        stages ``read``, ``validate`` and ``write`` (rows, the sheet as detail) and
        ``audit`` (audit entries written); draw them with
        :func:`tracker.cli.output.progress_printer` or ``st.progress``
    mapping : header mappings that beat the synonyms: ``["原列名=标准列名", …]`` (as
        ``--map``) or :func:`~tracker.ingest.headers.parse_map`'s dict
        (``{sheet or None: {header: standard header or None}}``)
    remember_mapping : when the import writes, save the mapping of each sheet that had an
        explicit choice, for the next file with the same headers (same transaction)

    Raises
    ------
    ReadError : the file cannot be read at all (exit code 2)
    DemoStoreError : the store holds demo data and ``replace_demo`` is not set (exit 3)
    """
    started = time.perf_counter()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = [Path(p).name for p in paths]
    if mapping is not None and not isinstance(mapping, dict):
        mapping = parse_map(mapping)
    with engine.connect() as conn:
        header_map = HeaderMap(explicit=mapping or {}, remembered=load_remembered(conn))
    sheets = read_path(paths, progress=progress, header_map=header_map)
    remembered = 0
    notes: list[str] = []
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            info = dict(conn.execute(sa.select(DatasetInfo.key, DatasetInfo.value)).all())
            has_data = conn.execute(sa.select(sa.func.count()).select_from(Firm.__table__)).scalar()
            demo = info.get("synthetic") == "true" and bool(has_data)
            if demo and not replace_demo and not dry_run:
                raise DemoStoreError(
                    "数据库中是合成的演示数据，不能与真实数据混在一起。请换一个数据库（--db），"
                    "或加 --replace-demo 删除演示数据后导入")
            if demo:
                if dry_run and not replace_demo:
                    notes.append("数据库中是合成的演示数据：正式导入需加 --replace-demo（将删除演示数据）")
                if replace_demo and not dry_run:
                    _clear_demo(conn)
            keys = StoreKeys.load(conn)
            if demo and replace_demo:
                # Validate as against an empty district: the demo data is about to go.
                keys.firms, keys.orgs, keys.firm_names = set(), {}, {}
                keys.liaisons, keys.assignments = set(), {}
            validated = validate(sheets, keys, progress=progress)
            write = not dry_run and (validated.ok or partial)
            result: LoadResult = load(conn, validated, keys, write=write, user=user,
                                      progress=progress)
            for sheet, rows in validated.rejected_rows().items():
                result.counts[sheet].rejected = len(rows)
            if write and (result.changed or (demo and replace_demo)):
                now = datetime.now(timezone.utc)
                if demo and replace_demo:
                    record(conn, action="demo.replace", entity="dataset", key="demo", before=None,
                           after=None, kind="import", user=user, source=", ".join(files))
                with Session(bind=conn) as session:
                    provenance = {"last_import": now.isoformat(timespec="seconds"),
                                  "last_import_file": ", ".join(files), "synthetic": "false"}
                    provenance["synthetic"] = "false"
                    if replace_demo and demo:
                        provenance.update(demo_seed="", demo_firms="",
                                          source="导入的真实台账 / imported ledgers", source_en="",
                                            licence="")
                    set_info(session, **provenance)
                    session.flush()
            if write and remember_mapping:
                remembered = remember(conn, sheets.values())
        except BaseException:
            transaction.rollback()
            raise
        if write:
            transaction.commit()
        else:
            transaction.rollback()
    if write and result.changed:
        refresh_statistics(engine)
    return ImportReport(
        files=files, dry_run=dry_run, partial=partial, written=write and result.changed,
        counts=result.counts, rejections=validated.rejections, validated=validated,
        audit_entries=result.audit_entries if write else 0,
        seconds=time.perf_counter() - started, replaced_demo=bool(demo and replace_demo and write),
        notes=notes, remembered=remembered)


def _cell_out(value):
    if value is None:
        return ""
    return value


def write_rejects(report: ImportReport, path: Path | str) -> Path:
    """Write the rejected rows, with their original columns plus 错误列 and 错误原因.

    ``.xlsx``: one sheet per sheet with rejections, headers as in the file, so the user can
    fix the rows and import this file. ``.csv``: one file per sheet; the sheet name goes
    into the file name (``OUT-企业.csv``) unless only one sheet had rejections and the
    name already is a sheet name. CSV is written as UTF-8 with BOM, which Excel opens.
    """
    path = Path(path)
    by_sheet = report.validated.rejected_rows()
    sheets: dict[str, RawSheet] = report.validated.sheets

    def rows_of(name: str):
        raw = sheets[name]
        wanted = by_sheet[name]
        headers = list(raw.headers) + list(REJECT_COLUMNS)
        out = []
        for row in raw.rows:
            if row.number in wanted:
                reasons = wanted[row.number]
                columns = "、".join(dict.fromkeys(r.column for r in reasons))
                text = "；".join(dict.fromkeys(r.reason for r in reasons))
                out.append([_cell_out(v) for v in row.values] + [columns, text])
        return headers, out

    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for name in SHEETS:
            if name not in by_sheet:
                continue
            headers, rows = rows_of(name)
            ws = wb.create_sheet(name)
            ws.append(headers)
            for r, row in enumerate(rows, start=2):
                for c, value in enumerate(row, start=1):
                    _put(ws, r, c, value)
        if not wb.sheetnames:
            wb.create_sheet("企业").append([c.header for c in SHEETS["企业"]] + list(REJECT_COLUMNS))
        wb.save(path)
        return path
    if path.suffix.lower() != ".csv":
        raise TrackerError(f"拒绝行文件须为 .xlsx 或 .csv：{path.name}")
    names = [n for n in SHEETS if n in by_sheet]
    for name in names:
        target = path if (len(names) == 1 and path.stem in SHEETS) else \
            path.with_name(f"{path.stem}-{name}.csv")
        headers, rows = rows_of(name)
        with open(target, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(headers)
            writer.writerows(rows)
    return path


def _put(ws, row: int, column: int, value) -> None:
    """Write a cell, keeping formula text as plain text (Excel must not evaluate it)."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:32767]
    elif isinstance(value, float) and value != value:
        value = None
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
