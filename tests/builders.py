"""Hand-built data sets for tests: a small, readable way to write a district.

>>> w = World(engine)                       # doctest: +SKIP
>>> a = w.firm("A", chains=["BIO"], formal=5, park="科学城", joined="2022-01-01")
>>> o = w.org("O1", formation="single", members=5, founded="2022-06-01")
>>> w.link("O1", "A")
>>> w.liaison("张三", unit="区工信局"); w.assign("张三", "A", start="2023-01-01")

Firms are named by a short key; their credit codes are valid and derived from the key
(``w.code("A")``). Dates may be ``date`` objects or ISO strings. Every call writes at
once, so a test can compute coverage between calls.
"""

from __future__ import annotations

import zlib
from datetime import date

from sqlmodel import Session, select

from tracker import uscc
from tracker.model import (
    Assignment,
    Chain,
    ChainMembership,
    CoverageLink,
    Firm,
    Liaison,
    PartyOrg,
    SupplyLink,
    Visit,
)


def d(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


class World:
    def __init__(self, engine):
        self.engine = engine
        self.codes: dict[str, str] = {}
        self.firm_ids: dict[str, int] = {}
        self.org_ids: dict[str, int] = {}
        self.liaison_ids: dict[str, int] = {}
        with Session(engine) as s:
            self.chain_ids = {c.code: c.id for c in s.exec(select(Chain))}

    def code(self, key: str) -> str:
        if key not in self.codes:
            number = zlib.crc32(key.encode("utf-8")) % 10**9
            candidate = uscc.make(f"91440112{number:09d}")
            while candidate in self.codes.values():
                number = (number + 1) % 10**9
                candidate = uscc.make(f"91440112{number:09d}")
            self.codes[key] = candidate
        return self.codes[key]

    def _add(self, obj):
        with Session(self.engine) as s:
            s.add(obj)
            s.commit()
            s.refresh(obj)
            return obj

    def firm(self, key, chains=("BIO",), formal=0, probationary=0, park=None, street=None,
             ownership="private", above_size=False, joined=None, left=None,
             segment="midstream", master=False, name=None) -> str:
        firm = self._add(Firm(credit_code=self.code(key), name=name or f"测试企业{key}",
                              ownership=ownership, above_size=above_size, park=park, street=street,
                              formal_members=formal, probationary_members=probationary))
        self.firm_ids[key] = firm.id
        for chain in chains:
            self.join(key, chain, joined=joined, left=left, segment=segment, master=master)
        return firm.credit_code

    def join(self, key, chain, joined=None, left=None, segment="midstream", master=False):
        self._add(ChainMembership(firm_id=self.firm_ids[key], chain_id=self.chain_ids[chain],
                                  segment=segment, is_chain_master=master,
                                  joined=d(joined), left=d(left)))

    def org(self, code, formation="single", kind="branch", members=3, founded=None,
            dissolved=None, parent=None, name=None, term_start=None, term_years=None) -> str:
        org = self._add(PartyOrg(code=code, name=name or f"{code}党组织", kind=kind,
                                 formation=formation, member_count=members,
                                 founded=d(founded), dissolved=d(dissolved),
                                 term_start=d(term_start), term_years=term_years,
                                 parent_id=self.org_ids[parent] if parent else None))
        self.org_ids[code] = org.id
        return code

    def link(self, org, firm, start=None, end=None):
        self._add(CoverageLink(org_id=self.org_ids[org], firm_id=self.firm_ids[firm],
                               start=d(start), end=d(end)))

    def liaison(self, name, unit="区工业和信息化局", role="liaison"):
        self.liaison_ids[name] = self._add(Liaison(name=name, unit=unit, role=role)).id

    def assign(self, liaison, firm, start=None, end=None):
        self._add(Assignment(liaison_id=self.liaison_ids[liaison], firm_id=self.firm_ids[firm],
                             start=d(start), end=d(end)))

    def visit(self, liaison, firm, day, mode="visit", note=""):
        self._add(Visit(liaison_id=self.liaison_ids[liaison], firm_id=self.firm_ids[firm],
                        day=d(day), mode=mode, note=note))

    def supply(self, supplier, buyer, chain=None):
        self._add(SupplyLink(supplier_id=self.firm_ids[supplier], buyer_id=self.firm_ids[buyer],
                             chain_id=self.chain_ids[chain] if chain else None))


def fresh_world(engine, firms) -> World:
    """Empty the store's district (keeping chains and plans) and write ``firms``: the specs of
    ``tests.test_coverage.model_firm`` (memberships, covering organisations, liaisons), firm
    ``i`` keyed ``f{i}``. The random districts of the property tests."""
    from tracker.model import metadata

    with engine.begin() as conn:
        for table in ("visit", "assignment", "coverage_link", "liaison", "party_org",
                      "chain_membership", "firm"):
            conn.execute(metadata.tables[table].delete())
    w = World(engine)
    w.liaison("李四")
    for i, spec in enumerate(firms):
        w.firm(f"f{i}", chains=(), park=spec["park"], street=spec["street"],
               ownership=spec["ownership"], above_size=spec["above_size"])
        for chain, (joined, left), segment in spec["memberships"]:
            w.join(f"f{i}", chain, joined=joined, left=left, segment=segment)
        for j, (formation, (founded, dissolved), (start, end)) in enumerate(spec["orgs"]):
            w.org(f"o{i}-{j}", formation=formation, founded=founded, dissolved=dissolved)
            w.link(f"o{i}-{j}", f"f{i}", start=start, end=end)
        for start, end in spec["liaisons"]:
            w.assign("李四", f"f{i}", start=start, end=end)
    return w


def checksum(engine) -> str:
    """A digest of every table's rows: equal before and after means nothing was written."""
    import hashlib

    import sqlalchemy as sa

    from tracker.model import metadata

    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            digest.update(table.name.encode())
            for row in sorted(map(repr, conn.execute(sa.select(table)).all())):
                digest.update(row.encode())
    return digest.hexdigest()
