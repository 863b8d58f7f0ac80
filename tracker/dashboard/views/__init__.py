"""What the dashboard shows, computed from the engine and cached per data version.

Every figure on a page comes from here (which in turn calls :mod:`tracker.coverage`,
:mod:`tracker.graph`, :mod:`tracker.rules`, :mod:`tracker.planning`, ...); the pages only
lay it out. Nothing in this package imports Streamlit, so the benchmark and the tests call
it directly. One module per page, beside what they share:

============  ==================================================================
``overview``  the district and each chain against the plan in force (its verdict); the burn-up
``flow``      the overdue queue, the flow between two dates, the losses, the time to cover
``chain``     one chain: segments, chain masters, uncovered firms and the planner's way
``firms``     the firm list, its filters, one firm's history
``orgs``      the organisation tree, the 换届提醒 board, one organisation, the rule findings
``liaisons``  the officers and their visits; the visit lines of the chain and firm pages
``plan``      the forecast (and its projection on the burn-ups), the planner's actions
``meeting``   the meeting-room view (大屏): the headline, the deadline, the chains' lights
``record``    one firm's page (status, cover, why not, what to do) and one organisation's events
``data``      the newest audit entries
``common``    the plan in force, the chain list, the provenance, the one history sweep
``cache``     the LRU keyed by the data version (:func:`cached`, :func:`data_version`)
``format``    numbers and bilingual data for people
============  ==================================================================

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> view = overview(engine, date(2024, 6, 30))
>>> view.has_data, view.total.firms, len(view.chains)
(False, 0, 13)
>>> fmt_pct(0.8734), fmt_int(12345)
('87.3%', '12,345')
"""

from __future__ import annotations

from .cache import cache_info, cached, clear_cache, data_version, pinned_version, store_key
from .chain import ChainDetail, chain_detail, chain_graph, suggestions, uncovered_reason
from .common import (
    Provenance,
    chain_list,
    data_bounds,
    history_dates_of,
    history_series,
    plan_info,
    previous_month_end,
    provenance,
)
from .data import recent_audit
from .firms import firm_filters, firm_history, firm_search_index, firm_table, population_frame
from .flow import (
    OverdueList,
    district_timeline,
    flow_between,
    lost_this_month,
    overdue_list,
    time_to_cover,
)
from .format import fmt_day, fmt_delta_int, fmt_delta_pp, fmt_int, fmt_number, fmt_pct
from .liaisons import LiaisonBoard, chain_visits, firm_visit, liaison_board, visit_window
from .orgs import BOARD_BUCKETS, org_detail, org_tree, rule_findings, term_board
from .overview import ChainRow, Overview, PlanStatus, burnup_series, overview, plan_verdict
from .plan import (
    Projection,
    forecast_assumptions,
    forecast_result,
    plan_actions,
    plan_result,
    projection,
    reach_text,
    what_if_text,
)
from .record import FirmCard, findings_of, firm_card, org_events, period_end

__all__ = [
    "BOARD_BUCKETS",
    "ChainDetail",
    "ChainRow",
    "FirmCard",
    "LiaisonBoard",
    "OverdueList",
    "Overview",
    "PlanStatus",
    "Projection",
    "Provenance",
    "burnup_series",
    "cache_info",
    "cached",
    "chain_detail",
    "chain_graph",
    "chain_list",
    "chain_visits",
    "clear_cache",
    "data_bounds",
    "data_version",
    "district_timeline",
    "findings_of",
    "firm_card",
    "firm_filters",
    "firm_history",
    "firm_search_index",
    "firm_table",
    "firm_visit",
    "flow_between",
    "fmt_day",
    "fmt_delta_int",
    "fmt_delta_pp",
    "fmt_int",
    "fmt_number",
    "fmt_pct",
    "forecast_assumptions",
    "forecast_result",
    "history_dates_of",
    "history_series",
    "liaison_board",
    "lost_this_month",
    "org_detail",
    "org_events",
    "org_tree",
    "overdue_list",
    "overview",
    "period_end",
    "pinned_version",
    "plan_actions",
    "plan_info",
    "plan_result",
    "plan_verdict",
    "population_frame",
    "previous_month_end",
    "projection",
    "provenance",
    "reach_text",
    "recent_audit",
    "rule_findings",
    "store_key",
    "suggestions",
    "term_board",
    "time_to_cover",
    "uncovered_reason",
    "visit_window",
    "what_if_text",
]
