"""The chain list and the default plan: shipped as data in ``data/``, loaded by ``tracker init``.

The chain list is a CSV file (``code,name_zh,name_en,lead_department,confirmed,source``);
a district that has its own list writes the same header and runs
``tracker init --chains PATH``. Chains are upserted by code.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .model import Chain, Plan
from .resources import DATA_DIR
from .store import migrate, session_scope

__all__ = [
    "DATA_DIR",
    "CHAINS_FILE",
    "PLAN_FILE",
    "ChainListError",
    "read_chain_list",
    "upsert_chains",
    "read_default_plan",
    "ensure_default_plan",
    "default_plan",
    "init_store",
    "empty_store",
    "check_codes",
]

CHAINS_FILE = DATA_DIR / "chains.csv"
PLAN_FILE = DATA_DIR / "default_plan.json"
REQUIRED = ("code", "name_zh", "name_en")
_TRUE = {"是", "yes", "true", "1", "y", "confirmed", "已确认"}


class ChainListError(ValueError):
    """The chain list file cannot be used (message names the row and the reason)."""


@dataclass(frozen=True)
class ChainRow:
    code: str
    name_zh: str
    name_en: str
    lead_department: str | None
    confirmed: bool
    source: str | None


def read_chain_list(path: Path | str = CHAINS_FILE) -> list[ChainRow]:
    """Read and check a chain list file (UTF-8, with or without BOM)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ChainListError(f"找不到产业链清单文件：{path}") from None
    except UnicodeDecodeError:
        text = path.read_text(encoding="gb18030")
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ChainListError(f"{path.name}：缺少列 {', '.join(missing)}")
    rows: list[ChainRow] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):
        code = (raw.get("code") or "").strip().upper()
        if not code:
            if any((v or "").strip() for v in raw.values()):
                raise ChainListError(f"{path.name} 第{number}行：产业链代码为空")
            continue
        if code in seen:
            raise ChainListError(f"{path.name} 第{number}行：产业链代码 {code} 重复")
        seen.add(code)
        name_zh = (raw.get("name_zh") or "").strip()
        if not name_zh:
            raise ChainListError(f"{path.name} 第{number}行：中文名称为空")
        rows.append(ChainRow(
            code=code,
            name_zh=name_zh,
            name_en=(raw.get("name_en") or "").strip() or name_zh,
            lead_department=(raw.get("lead_department") or "").strip() or None,
            confirmed=(raw.get("confirmed") or "").strip().lower() in _TRUE,
            source=(raw.get("source") or "").strip() or None,
        ))
    if not rows:
        raise ChainListError(f"{path.name}：没有任何产业链")
    return rows


def upsert_chains(session: Session, rows: list[ChainRow]) -> tuple[int, int]:
    """Insert new chains and update existing ones by code; returns (added, updated)."""
    existing = {c.code: c for c in session.exec(select(Chain))}
    added = updated = 0
    for order, row in enumerate(rows):
        chain = existing.get(row.code)
        values = dict(name_zh=row.name_zh, name_en=row.name_en, lead_department=row.lead_department,
                      confirmed=row.confirmed, source=row.source, sort_order=order)
        if chain is None:
            session.add(Chain(code=row.code, **values))
            added += 1
        elif any(getattr(chain, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(chain, k, v)
            updated += 1
    return added, updated


def read_default_plan(path: Path | str = PLAN_FILE) -> Plan:
    spec = json.loads(Path(path).read_text(encoding="utf-8"))
    return Plan(
        name=spec["name"],
        name_en=spec.get("name_en"),
        start=date.fromisoformat(spec["start"]),
        deadline=date.fromisoformat(spec["deadline"]),
        target_rate=float(spec["target_rate"]),
        denominator=spec.get("denominator", "chain_firms"),
        cover_within_days=int(spec.get("cover_within_days", 90)),
        source=spec.get("source", ""),
        is_default=True,
    )


def ensure_default_plan(session: Session) -> None:
    """Add the shipped plan when the store has none; give a migrated one its source text
    and its English name."""
    plan = session.exec(select(Plan).where(Plan.is_default)).first()
    if plan is None:
        session.add(read_default_plan())
    else:
        shipped = read_default_plan()
        if not plan.source:
            plan.source = shipped.source
            session.add(plan)
        if plan.name_en is None and plan.name == shipped.name:
            plan.name_en = shipped.name_en
            session.add(plan)


def default_plan(session: Session) -> Plan | None:
    return session.exec(select(Plan).where(Plan.is_default)).first()


def init_store(engine: Engine, chains_path: Path | str | None = None) -> tuple[int, int]:
    """Migrate the schema, upsert the chain list, add the default plan if missing."""
    rows = read_chain_list(chains_path or CHAINS_FILE)
    migrate(engine)
    with session_scope(engine) as session:
        counts = upsert_chains(session, rows)
        ensure_default_plan(session)
    return counts


def empty_store(url: str = "sqlite://") -> Engine:
    """A store at ``url`` with the chain list and the default plan, and no firms yet.

    The one set-up of the docstring examples (a fresh in-memory SQLite database each time
    the engine cache is cleared).

    >>> engine = empty_store()
    >>> from sqlmodel import Session, select
    >>> with Session(engine) as session:
    ...     len(session.exec(select(Chain)).all())
    13
    """
    from .store import get_engine

    engine = get_engine(url)
    init_store(engine)
    return engine


def check_codes(engine: Engine, codes) -> None:
    """Refuse chain codes the store does not know: a typo must not read as "0 firms"."""
    from .errors import TrackerError

    wanted = {str(c).strip().upper() for c in codes or () if str(c).strip()}
    if not wanted:
        return
    with Session(engine) as session:
        known = set(session.exec(select(Chain.code)).all())
    unknown = sorted(wanted - known)
    if unknown:
        raise TrackerError(f"未知的产业链代码：{'、'.join(unknown)}（运行 `tracker chains` 查看）")
