"""Write validated records to the store: an upsert by natural key, in one transaction.

Natural keys: a firm by credit code, an organisation by its code, a liaison by name +
sending unit, a chain membership by (firm, chain, joined), a coverage link by
(organisation, firm, start), an assignment by (liaison, firm, start), a supply link by
(supplier, buyer, chain), a visit by (liaison, firm, day, mode). A record whose key is new is inserted; one whose values differ
from the store is updated (``version`` + 1 for firms, organisations and liaisons); one
that matches is left alone. Each insert and update adds an audit entry with the before
and after values and the file, sheet and row it came from; an unchanged row adds none.
The import never deletes: a fact ends by filling in its end date.

A row states the whole entity: a blank optional cell means the default (``民营``,
``否``, 0 members, no park), not "keep what the store has". The one exception is a
column added to a sheet later (:attr:`~tracker.ingest.template.Column.keep_when_absent`:
党组织's 本届开始日期 and 任期（年）): when the file has no such column at all, the stored
value is kept, so a ledger written before the column existed imports unchanged.

Work is bulk: the existing keys are read once into dicts, firm rows are handled in chunks
of :data:`BATCH` (rows, memberships and audit entries of a chunk are written before the
next chunk is built, so memory does not grow with the file), and inserts go straight to
the driver's ``executemany`` with the column types' own conversions (SQLAlchemy's
per-row parameter handling cost more than SQLite itself). Audit entries are written the
same way, one per added or changed entity, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter

import sqlalchemy as sa

from ..audit import clip_key, clip_source, clip_user, to_json, utcnow
from ..model import AuditEntry
from ..model import (Assignment, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg,
                     SupplyLink, Visit)
from ..progress import ProgressCallback, Reporter
from .validate import StoreKeys, Validated

__all__ = ["SheetCounts", "LoadResult", "load"]

F, M, O = Firm.__table__, ChainMembership.__table__, PartyOrg.__table__
L, LI, A, S = CoverageLink.__table__, Liaison.__table__, Assignment.__table__, SupplyLink.__table__
V = Visit.__table__
BATCH = 5000


@dataclass
class SheetCounts:
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict:
        return {"rows": self.rows, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected}


@dataclass
class LoadResult:
    counts: dict[str, SheetCounts] = field(default_factory=dict)
    audit_entries: int = 0

    @property
    def changed(self) -> bool:
        return any(c.added or c.updated for c in self.counts.values())


def _iso(value):
    return value.isoformat() if value is not None else None


def _chunks(items: list, size: int | None = None):
    size = size or BATCH  # read at call time, so a test can make chunks small
    for i in range(0, len(items), size):
        yield items[i:i + size]


class _BulkInsert:
    """``INSERT`` of many rows through the driver's ``executemany``.

    The statement is compiled once for the connection's dialect and each column's bind
    conversion (dates for SQLite, aware times to UTC, booleans) is applied the way
    SQLAlchemy would; ``constants`` are converted once. Rows are tuples in the order of
    ``columns``.
    """

    def __init__(self, conn, table, columns: list[str], constants: dict | None = None):
        dialect = conn.dialect
        self.conn = conn
        constants = dict(constants or {})
        names = list(constants) + list(columns)
        compiled = table.insert().compile(dialect=dialect, column_keys=names,
                                          for_executemany=True)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        order = list(compiled.positiontup) if self.positional else names
        self.order = order
        procs = {}
        for name in names:
            proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                procs[name] = proc
        self.prefix = tuple(procs[k](v) if k in procs else v for k, v in constants.items())
        self.row_procs = [(i, procs[name]) for i, name in enumerate(columns) if name in procs]
        self.getter = itemgetter(*[names.index(n) for n in order])

    def __call__(self, rows) -> int:
        """Insert ``rows`` (tuples in ``columns`` order); returns how many."""
        if not rows:
            return 0
        prefix, getter, procs = self.prefix, self.getter, self.row_procs
        out = []
        for row in rows:
            if procs:
                row = list(row)
                for i, proc in procs:
                    row[i] = proc(row[i])
                row = tuple(row)
            out.append(getter(prefix + row))
        if not self.positional:
            order = self.order
            out = [dict(zip(order, values)) for values in out]
        self.conn.exec_driver_sql(self.sql, out)
        return len(out)


class _Loader:
    def __init__(self, conn, validated: Validated, keys: StoreKeys, *, write: bool, user: str,
                 progress: ProgressCallback | None = None):
        self.conn, self.v, self.keys, self.write = conn, validated, keys, write
        self.user, self.report = user, Reporter(progress)
        self.at = utcnow()
        # Audit entries waiting to be written: (action, entity, key, effective, before,
        # after, source) with before/after already JSON; flushed every BATCH entries.
        self.audit: list[tuple] = []
        self.audit_written = 0
        self._audit_insert = None
        self.result = LoadResult()
        for sheet, n in validated.rows.items():
            self.result.counts[sheet] = SheetCounts(rows=n)

    # ------------------------------------------------------------------ helpers

    def _mark(self, sheet: str, status: str) -> None:
        counts = self.result.counts[sheet]
        setattr(counts, status, getattr(counts, status) + 1)

    def _log(self, action, entity, key, before, after, source, effective=None):
        # The columns tracker.audit.entry_row would give (same truncation, same JSON).
        self.audit.append((action, entity, clip_key(key), effective, to_json(before),
                           to_json(after), clip_source(source)))
        if len(self.audit) >= BATCH:
            self._flush_audit()

    def _flush_audit(self) -> None:
        if not self.write:
            self.audit_written += len(self.audit)
            self.audit.clear()
            return
        if self._audit_insert is None:
            self._audit_insert = _BulkInsert(
                self.conn, AuditEntry.__table__,
                ["action", "entity", "entity_key", "effective", "before", "after", "source"],
                constants={"at": self.at, "user": clip_user(self.user), "kind": "import"})
        self.audit_written += self._audit_insert(self.audit)
        self.audit.clear()
        self.report("audit", done=self.audit_written)

    def _insert(self, table, rows: list[dict], sheet: str) -> None:
        if not self.write or not rows:
            return
        done = 0
        for chunk in _chunks(rows):
            self.conn.execute(table.insert(), chunk)
            done += len(chunk)
            self.report("write", done=done, total=len(rows), detail=sheet)

    def _update(self, table, rows: list[dict], columns: list[str], bump: bool) -> None:
        """``rows``: dicts with ``b_id`` and ``b_<column>`` for each column."""
        if not self.write or not rows:
            return
        values = {c: sa.bindparam(f"b_{c}") for c in columns}
        if bump:
            values["version"] = table.c.version + 1
        statement = table.update().where(table.c.id == sa.bindparam("b_id")).values(values)
        for chunk in _chunks(rows):
            self.conn.execute(statement, chunk)

    def _ids(self, table, key_columns):
        cols = [table.c[k] for k in key_columns]
        rows = self.conn.execute(sa.select(table.c.id, *cols))
        if len(cols) == 1:
            return {r[1]: r[0] for r in rows}
        return {tuple(r[1:]): r[0] for r in rows}

    # ------------------------------------------------------------------ firms

    FIRM_COLUMNS = ["name", "ownership", "above_size", "park", "street", "formal_members",
                    "probationary_members"]

    def firms(self) -> None:
        records = self.v.records["企业"]
        existing = {r.credit_code: r for r in self.conn.execute(
            sa.select(F.c.id, F.c.credit_code, F.c.version, *[F.c[c] for c in self.FIRM_COLUMNS]))}
        chain_code = self.keys.chain_codes
        members: dict[tuple, object] = {}
        if existing:
            for r in self.conn.execute(
                    sa.select(M.c.id, F.c.credit_code, M.c.chain_id, M.c.joined, M.c.left,
                              M.c.segment, M.c.is_chain_master)
                    .select_from(M.join(F, F.c.id == M.c.firm_id)).order_by(M.c.id)):
                members.setdefault((r.credit_code, r.chain_id, r.joined), r)
        firm_insert = member_insert = None
        if self.write:
            firm_insert = _BulkInsert(self.conn, F, ["credit_code", "version", *self.FIRM_COLUMNS])
            member_insert = _BulkInsert(self.conn, M, ["firm_id", "chain_id", "joined", "segment",
                                                       "is_chain_master", "left"])
        counts = self.result.counts["企业"]
        total, done = len(records), 0
        log = self._log
        # One chunk of rows at a time: its firms, memberships and audit entries are written
        # before the next chunk is looked at.
        for chunk in _chunks(records):
            inserts, updates, m_inserts, m_updates = [], [], [], []
            for rec in chunk:
                v = rec.values
                code = v["credit_code"]
                want = {
                    "name": v["name"], "ownership": v["ownership"] or "private",
                    "above_size": v["above_size"] == "yes", "park": v["park"], "street": v["street"],
                    "formal_members": v["formal_members"],
                    "probationary_members": v["probationary_members"],
                }
                status = "unchanged"
                old = existing.get(code)
                new_chains: list[dict] = []
                if old is None:
                    inserts.append((code, 1, *want.values()))
                    status = "added"
                else:
                    before = {c: getattr(old, c) for c in self.FIRM_COLUMNS}
                    if before != want:
                        updates.append({"b_id": old.id, **{f"b_{k}": x for k, x in want.items()}})
                        changed = [k for k in want if before[k] != want[k]]
                        log("firm.update", "firm", code, {k: before[k] for k in changed},
                            {k: want[k] for k in changed}, rec.source)
                        status = "updated"
                if v["chains"]:
                    segment = v["segment"] or "midstream"
                    master = v["chain_master"] == "yes"
                    joined, left = v["joined"], v["left"]
                    mwant = {"segment": segment, "is_chain_master": master, "left": left}
                for cid in v["chains"]:
                    mold = members.get((code, cid, joined)) if members else None
                    if mold is None:
                        m_inserts.append((code if old is None else old.id, old is None, cid, joined,
                                          segment, master, left))
                        if old is None:
                            # A new firm's chains go into its own entry: one entry per row.
                            new_chains.append({"chain": chain_code.get(cid, cid),
                                               "joined": _iso(joined), **mwant,
                                               "left": _iso(left)})
                        else:
                            log("membership.join", "chain_membership",
                                f"{code}/{chain_code.get(cid, cid)}/{joined or ''}", None,
                                {"joined": joined, **mwant}, rec.source, joined)
                            status = "updated"
                    else:
                        mbefore = {"segment": mold.segment, "is_chain_master": mold.is_chain_master,
                                   "left": mold.left}
                        if mbefore != mwant:
                            m_updates.append({"b_id": mold.id,
                                              **{f"b_{k}": x for k, x in mwant.items()}})
                            log("membership.update", "chain_membership",
                                f"{code}/{chain_code.get(cid, cid)}/{joined or ''}", mbefore,
                                mwant, rec.source, left)
                            status = "updated"
                if old is None:
                    log("firm.add", "firm", code, None, {**want, "chains": new_chains}, rec.source)
                setattr(counts, status, getattr(counts, status) + 1)
            done += len(chunk)
            if not self.write:
                continue
            new_ids: dict[str, int] = {}
            if inserts:
                # Ids of the rows just inserted: every one is above the largest id before
                # the insert (a sequence or SQLite's rowid only grows); looked up by code.
                top = self.conn.execute(sa.select(sa.func.max(F.c.id))).scalar() or 0
                firm_insert(inserts)
                new_ids = {c: i for i, c in self.conn.execute(
                    sa.select(F.c.id, F.c.credit_code).where(F.c.id > top))}
            self._update(F, updates, self.FIRM_COLUMNS, bump=True)
            member_insert([(new_ids[ref] if is_new else ref, cid, joined, segment, master, left)
                           for ref, is_new, cid, joined, segment, master, left in m_inserts])
            self._update(M, m_updates, ["segment", "is_chain_master", "left"], bump=False)
            self.report("write", done=done, total=total, detail="企业")

    # ------------------------------------------------------------------ organisations

    ORG_COLUMNS = ["name", "kind", "formation", "founded", "dissolved", "member_count"]
    #: Columns written only when the sheet has them (see the module notes).
    TERM_COLUMNS = ("term_start", "term_years")

    def orgs(self) -> None:
        records = self.v.records["党组织"]
        raw = self.v.sheets.get("党组织")
        terms = [c for c in self.TERM_COLUMNS if raw is not None and raw.position(c) is not None]
        columns = [*self.ORG_COLUMNS, *terms]
        P = O.alias("p")
        existing = {r.code: r for r in self.conn.execute(
            sa.select(O.c.id, O.c.code, P.c.code.label("parent"), *[O.c[c] for c in columns])
            .select_from(O.outerjoin(P, P.c.id == O.c.parent_id)))}
        inserts, updates, parents = [], [], []
        for rec in records:
            v = rec.values
            want = {"name": v["name"], "kind": v["kind"] or "branch",
                    "formation": v["formation"] or "single", "founded": v["founded"],
                    "dissolved": v["dissolved"], "member_count": v["member_count"],
                    **{c: v[c] for c in terms}}
            old = existing.get(v["code"])
            full = {**want, "parent": v["parent"]}
            if old is None:
                inserts.append({"code": v["code"], "version": 1, **want})
                if v["parent"] is not None:
                    parents.append((v["code"], v["parent"]))
                self._log("org.found", "party_org", v["code"], None, full, rec.source, v["founded"])
                self._mark("党组织", "added")
                continue
            before = {**{c: getattr(old, c) for c in columns}, "parent": old.parent}
            if before == full:
                self._mark("党组织", "unchanged")
                continue
            changed = [k for k in full if before[k] != full[k]]
            updates.append({"b_id": old.id, **{f"b_{k}": x for k, x in want.items()}})
            if old.parent != v["parent"]:
                parents.append((v["code"], v["parent"]))
            self._log("org.update", "party_org", v["code"], {k: before[k] for k in changed},
                      {k: full[k] for k in changed}, rec.source)
            self._mark("党组织", "updated")
        self._insert(O, inserts, "党组织")
        self._update(O, updates, columns, bump=True)
        if self.write and parents:
            # New organisations exist only now: parents are set in a second pass, so a row
            # may come before its parent's row.
            ids = self._ids(O, ["code"])
            rows = [{"b_id": ids[code], "b_parent_id": ids[parent] if parent else None}
                    for code, parent in parents]
            self._update(O, rows, ["parent_id"], bump=False)

    # ------------------------------------------------------------------ coverage links

    def links(self) -> None:
        records = self.v.records["覆盖关系"]
        P = O.alias("o")
        existing = {}
        for r in self.conn.execute(
                sa.select(L.c.id, P.c.code, F.c.credit_code, L.c.start, L.c.end)
                .select_from(L.join(P, P.c.id == L.c.org_id).join(F, F.c.id == L.c.firm_id))
                .order_by(L.c.id)):
            existing.setdefault((r.code, r.credit_code, r.start), r)
        inserts, updates = [], []
        for rec in records:
            v = rec.values
            key = (v["org"], v["firm"], v["start"])
            audit_key = f"{v['org']}/{v['firm']}/{v['start'] or ''}"
            old = existing.get(key)
            if old is None:
                inserts.append({"org": v["org"], "firm": v["firm"], "start": v["start"], "end": v["end"]})
                self._log("link.add", "coverage_link", audit_key, None,
                          {"start": v["start"], "end": v["end"]}, rec.source, v["start"])
                self._mark("覆盖关系", "added")
            elif old.end != v["end"]:
                updates.append({"b_id": old.id, "b_end": v["end"]})
                self._log("link.update", "coverage_link", audit_key, {"end": old.end},
                          {"end": v["end"]}, rec.source, v["end"])
                self._mark("覆盖关系", "updated")
            else:
                self._mark("覆盖关系", "unchanged")
        if self.write and inserts:
            orgs, firms = self._ids(O, ["code"]), self._ids(F, ["credit_code"])
            inserts = [{"org_id": orgs[r["org"]], "firm_id": firms[r["firm"]], "start": r["start"],
                        "end": r["end"]} for r in inserts]
        self._insert(L, inserts, "覆盖关系")
        self._update(L, updates, ["end"], bump=False)

    # ------------------------------------------------------------------ liaisons

    def liaisons(self) -> None:
        records = self.v.records["联络员"]
        people = {(r.name, r.unit): r for r in self.conn.execute(
            sa.select(LI.c.id, LI.c.name, LI.c.unit, LI.c.role))}
        existing = {}
        for r in self.conn.execute(
                sa.select(A.c.id, LI.c.name, LI.c.unit, F.c.credit_code, A.c.start, A.c.end)
                .select_from(A.join(LI, LI.c.id == A.c.liaison_id).join(F, F.c.id == A.c.firm_id))
                .order_by(A.c.id)):
            existing.setdefault((r.name, r.unit, r.credit_code, r.start), r)
        new_people: dict[tuple, dict] = {}
        role_updates: dict[tuple, dict] = {}
        inserts, updates = [], []
        for rec in records:
            v = rec.values
            person = (v["name"], v["unit"])
            role = v["role"] or "liaison"
            person_key = f"{v['name']}@{v['unit']}"
            status = "unchanged"
            old_person = people.get(person)
            if old_person is None:
                if person not in new_people:
                    new_people[person] = {"name": v["name"], "unit": v["unit"], "role": role,
                                          "version": 1}
                    self._log("liaison.add", "liaison", person_key, None, {"role": role}, rec.source)
                    status = "added"
            elif old_person.role != role and person not in role_updates:
                role_updates[person] = {"b_id": old_person.id, "b_role": role}
                self._log("liaison.update", "liaison", person_key, {"role": old_person.role},
                          {"role": role}, rec.source)
                status = "updated"
            key = (v["name"], v["unit"], v["firm"], v["start"])
            audit_key = f"{person_key}/{v['firm']}/{v['start'] or ''}"
            old = existing.get(key)
            if old is None:
                inserts.append({"person": person, "firm": v["firm"], "start": v["start"], "end": v["end"]})
                self._log("liaison.assign", "assignment", audit_key, None,
                          {"start": v["start"], "end": v["end"]}, rec.source, v["start"])
                status = "added"
            elif old.end != v["end"]:
                updates.append({"b_id": old.id, "b_end": v["end"]})
                self._log("assignment.update", "assignment", audit_key, {"end": old.end},
                          {"end": v["end"]}, rec.source, v["end"])
                status = "updated" if status == "unchanged" else status
            self._mark("联络员", status)
        self._insert(LI, list(new_people.values()), "联络员")
        self._update(LI, list(role_updates.values()), ["role"], bump=True)
        if self.write and inserts:
            ids, firms = self._ids(LI, ["name", "unit"]), self._ids(F, ["credit_code"])
            inserts = [{"liaison_id": ids[r["person"]], "firm_id": firms[r["firm"]],
                        "start": r["start"], "end": r["end"]} for r in inserts]
        self._insert(A, inserts, "联络员")
        self._update(A, updates, ["end"], bump=False)

    # ------------------------------------------------------------------ supply

    def supply(self) -> None:
        records = self.v.records["供应关系"]
        G, B = F.alias("g"), F.alias("b")
        existing = set(tuple(r) for r in self.conn.execute(
            sa.select(G.c.credit_code, B.c.credit_code, S.c.chain_id)
            .select_from(S.join(G, G.c.id == S.c.supplier_id).join(B, B.c.id == S.c.buyer_id))))
        inserts = []
        for rec in records:
            v = rec.values
            chain_id = v["chain"][0] if v["chain"] else None
            key = (v["supplier"], v["buyer"], chain_id)
            if key in existing:
                self._mark("供应关系", "unchanged")
                continue
            existing.add(key)
            inserts.append(key)
            chain = self.keys.chain_codes.get(chain_id, "") if chain_id else ""
            self._log("supply.add", "supply_link", f"{v['supplier']}/{v['buyer']}/{chain}", None,
                      {"chain": chain or None}, rec.source)
            self._mark("供应关系", "added")
        if self.write and inserts:
            firms = self._ids(F, ["credit_code"])
            inserts = [{"supplier_id": firms[s], "buyer_id": firms[b], "chain_id": c}
                       for s, b, c in inserts]
        self._insert(S, inserts, "供应关系")

    # ------------------------------------------------------------------ visits

    def visits(self) -> None:
        records = self.v.records["走访记录"]
        if not records:
            return
        existing = {}
        for r in self.conn.execute(
                sa.select(V.c.id, LI.c.name, LI.c.unit, F.c.credit_code, V.c.day, V.c.mode, V.c.note)
                .select_from(V.join(LI, LI.c.id == V.c.liaison_id).join(F, F.c.id == V.c.firm_id))):
            existing[(r.name, r.unit, r.credit_code, r.day, r.mode)] = r
        inserts, updates = [], []
        for rec in records:
            v = rec.values
            note = v["note"] or ""
            key = (v["name"], v["unit"], v["firm"], v["day"], v["mode"])
            audit_key = f"{v['name']}@{v['unit']}/{v['firm']}/{v['day'].isoformat()}/{v['mode']}"
            old = existing.get(key)
            if old is None:
                inserts.append({"person": (v["name"], v["unit"]), "firm": v["firm"],
                                "day": v["day"], "mode": v["mode"], "note": note})
                self._log("visit.add", "visit", audit_key, None,
                          {"mode": v["mode"], "note": note}, rec.source, v["day"])
                self._mark("走访记录", "added")
            elif (old.note or "") != note:
                updates.append({"b_id": old.id, "b_note": note})
                self._log("visit.update", "visit", audit_key, {"note": old.note or ""},
                          {"note": note}, rec.source, v["day"])
                self._mark("走访记录", "updated")
            else:
                self._mark("走访记录", "unchanged")
        if self.write and inserts:
            people, firms = self._ids(LI, ["name", "unit"]), self._ids(F, ["credit_code"])
            inserts = [{"liaison_id": people[r["person"]], "firm_id": firms[r["firm"]],
                        "day": r["day"], "mode": r["mode"], "note": r["note"]} for r in inserts]
        self._insert(V, inserts, "走访记录")
        self._update(V, updates, ["note"], bump=False)

    def run(self) -> LoadResult:
        self.firms()
        self.orgs()
        self.links()
        self.liaisons()
        self.supply()
        self.visits()
        self._flush_audit()
        self.result.audit_entries = self.audit_written
        return self.result


def load(conn, validated: Validated, keys: StoreKeys, *, write: bool = True, user: str = "cli",
         progress: ProgressCallback | None = None) -> LoadResult:
    """Upsert the valid records of ``validated`` on ``conn`` (the caller owns the transaction).

    With ``write=False`` nothing is written and the counts say what would change.
    ``progress`` receives :class:`~tracker.progress.Progress` events: stage ``write``
    (rows of a sheet written, detail the sheet) and ``audit`` (audit entries written).
    """
    return _Loader(conn, validated, keys, write=write, user=user, progress=progress).run()

