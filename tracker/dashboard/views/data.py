"""The figures of the data page: the newest entries of the audit log, and the column
mapping of an upload preview.

The preview shows, for each sheet read, the column each header was read as; the officer
may change any of them. :func:`mapping_choices` lists what a header may be read as,
:func:`preview_mapping` turns the officer's choices into the importer's explicit mapping
(:func:`tracker.ingest.import_path`'s ``mapping``), which the confirmed import then
remembers for the next file with the same headers.

Examples
--------
>>> from tracker.chains import empty_store
>>> recent_audit(empty_store(), 10)
[]
>>> mapping_choices("覆盖关系")[-1]
'firm_name'
>>> preview_mapping({"企业": {"单位代码": "credit_code", "备注": None}})
{'企业': {'单位代码': '统一社会信用代码', '备注': None}}
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from ...audit import entries
from ...i18n import t
from ...ingest.headers import normalise
from ...ingest.template import columns_of
from .cache import cached

__all__ = ["column_label", "mapping_choices", "preview_mapping", "recent_audit", "sheet_rows"]

#: The choice "do not read this column".
SKIP = ""


@cached
def recent_audit(engine: Engine, limit: int = 100) -> list[dict]:
    """The newest ``limit`` audit entries, newest first (``at`` as text)."""
    rows = entries(engine, limit=limit)
    out = []
    for row in reversed(rows):
        at = row.get("at")
        out.append({**row, "at": at.strftime("%Y-%m-%d %H:%M:%S") if hasattr(at, "strftime") else str(at)})
    return out


def mapping_choices(sheet: str) -> list[str]:
    """What a header of ``sheet`` may be read as: :data:`SKIP`, then each column's key."""
    return [SKIP] + [c.key for c in columns_of(sheet)]


def column_label(sheet: str, key: str, lang: str | None = None) -> str:
    """The standard header of a column key of ``sheet`` ("" for :data:`SKIP`); with
    ``lang``, as the preview offers it (in English with the column's English alias).

    >>> column_label("企业", "park"), column_label("企业", "park", "en")
    ('所在园区', '所在园区 (park)')
    """
    column = next((c for c in columns_of(sheet) if c.key == key), None)
    if column is None:
        return ""
    if lang is None:
        return column.header
    return t("ingest.choice_label", lang, header=column.header, alias=column.alias)


def sheet_rows(raw) -> list[tuple[int, str, str]]:
    """(position, header, chosen key or :data:`SKIP`) of each non-blank header of a sheet
    read (a :class:`tracker.ingest.readers.RawSheet`)."""
    return [(i, h, c.key if c is not None else SKIP)
            for i, (h, c) in enumerate(zip(raw.headers, raw.columns)) if h]


def preview_mapping(choices: dict[str, dict[str, str | None]]) -> dict[str, dict[str, str | None]]:
    """The officer's choices (sheet → header → column key, None or :data:`SKIP` to leave
    it out) as the importer's explicit mapping (sheet → normalised header → standard
    header, None to leave it out)."""
    return {sheet: {normalise(h): (column_label(sheet, key) or None) if key else None
                    for h, key in by_header.items()}
            for sheet, by_header in choices.items()}
