"""The store: migrations, the shipped chain list, replacement lists, the default plan."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, select

from tracker.chains import ChainListError, init_store, read_chain_list
from tracker.model import Chain, Plan, metadata
from tracker.store import StoreError, current_revision, get_engine, head_revision, is_initialised


def test_migrations_match_the_model(engine):
    """A change to tracker/model.py without a migration fails here."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    assert current_revision(engine) == head_revision()
    assert is_initialised(engine)


def test_shipped_chain_list_has_13_chains_two_confirmed(engine):
    with Session(engine) as s:
        chains = s.exec(select(Chain)).all()
    assert len(chains) == 13
    assert {c.name_zh for c in chains if c.confirmed} == {"生物技术", "新型显示"}
    assert all(c.name_en and c.source for c in chains)


def test_default_plan_is_the_redwood_forest_plan(engine):
    with Session(engine) as s:
        plan = s.exec(select(Plan).where(Plan.is_default)).one()
    assert (plan.name, plan.start.isoformat(), plan.deadline.isoformat(), plan.target_rate) == (
        "红杉林计划", "2022-01-01", "2025-12-31", 1.0)


def test_init_is_idempotent_and_a_replacement_list_needs_no_code(engine, tmp_path):
    assert init_store(engine) == (0, 0)
    replacement = tmp_path / "chains.csv"
    replacement.write_text(
        "code,name_zh,name_en,lead_department,confirmed,source\n"
        "BIO,生物技术与生物制造,Biotech and biomanufacturing,区科技局,是,区委文件\n"
        "SPACE,商业航天,Commercial space,区发改局,否,测试\n", encoding="utf-8-sig")
    assert init_store(engine, replacement) == (1, 1)
    with Session(engine) as s:
        bio = s.exec(select(Chain).where(Chain.code == "BIO")).one()
        assert bio.name_zh == "生物技术与生物制造"
        assert s.exec(select(Chain).where(Chain.code == "SPACE")).one().confirmed is False
    with Session(engine) as s:  # the plan is added once only
        assert len(s.exec(select(Plan)).all()) == 1


@pytest.mark.parametrize("content,reason", [
    ("code,name_en\nBIO,Bio\n", "缺少列"),
    ("code,name_zh,name_en\nBIO,生物,Bio\nBIO,生物2,Bio2\n", "重复"),
    ("code,name_zh,name_en\n,生物,Bio\n", "代码为空"),
    ("code,name_zh,name_en\n", "没有任何产业链"),
])
def test_bad_chain_lists_are_refused_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "chains.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ChainListError, match=reason):
        read_chain_list(path)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="不存在"):
        get_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}")


def test_sqlite_runs_in_wal_mode(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
