"""The one rule "active on D", in its three forms, agrees with itself."""

from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import given, strategies as st

from tracker.intervals import active_clause, active_mask, check_order, is_active, to_day_numbers

dates = st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31)))


def test_end_is_exclusive_and_start_inclusive():
    assert is_active(date(2024, 1, 1), date(2024, 3, 1), date(2024, 1, 1))
    assert is_active(date(2024, 1, 1), date(2024, 3, 1), date(2024, 2, 29))
    assert not is_active(date(2024, 1, 1), date(2024, 3, 1), date(2024, 3, 1))
    assert not is_active(date(2024, 1, 1), None, date(2023, 12, 31))
    assert is_active(None, None, date(1900, 1, 1))


def test_check_order_refuses_end_not_after_start():
    check_order(date(2024, 1, 1), date(2024, 1, 2))
    check_order(None, date(2024, 1, 2))
    with pytest.raises(ValueError, match="不晚于"):
        check_order(date(2024, 1, 2), date(2024, 1, 1))
    with pytest.raises(ValueError):
        check_order(date(2024, 1, 2), date(2024, 1, 2))


@given(st.lists(st.tuples(dates, dates), min_size=1, max_size=20),
       st.dates(min_value=date(2019, 6, 1), max_value=date(2028, 6, 1)))
def test_python_numpy_and_sql_forms_agree(intervals, on):
    expected = [is_active(s, e, on) for s, e in intervals]
    starts = to_day_numbers([s for s, _ in intervals], "start")
    ends = to_day_numbers([e for _, e in intervals], "end")
    assert list(active_mask(starts, ends, on)) == expected

    engine = sa.create_engine("sqlite://")
    meta = sa.MetaData()
    table = sa.Table("t", meta, sa.Column("i", sa.Integer), sa.Column("s", sa.Date), sa.Column("e", sa.Date))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"i": i, "s": s, "e": e} for i, (s, e) in enumerate(intervals)])
        found = set(conn.execute(sa.select(table.c.i).where(active_clause(table.c.s, table.c.e, on))).scalars())
    assert found == {i for i, ok in enumerate(expected) if ok}
