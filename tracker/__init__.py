"""Redwood (红杉林): party-work coverage of Huangpu District's industrial chains.

The package is laid out one concept per module (``docs/architecture.md`` draws the layers):

- :mod:`tracker.vocab`      the enumerations (segment, ownership, org kind, ...) with zh/en labels
- :mod:`tracker.uscc`       the unified social credit code (GB 32100-2015)
- :mod:`tracker.intervals`  the one rule "active on D" for every dated fact
- :mod:`tracker.model`      the tables; :mod:`tracker.store` engines, sessions, migrations
- :mod:`tracker.chains`     the shipped chain list and the default plan (data, not code)
- :mod:`tracker.plans`      plans as records and the plan in force on a date
- :mod:`tracker.terms`      organisation terms and elections (换届) due
- :mod:`tracker.visits`     liaison visits: whether work coverage is real
- :mod:`tracker.coverage`   coverage at a date, groupings, monthly series: the one definition
- :mod:`tracker.flow`       what changed between two dates, time to cover, the overdue firms
- :mod:`tracker.verdict`    an ended plan's verdict: deadline result, standing, trend
- :mod:`tracker.graph`      the typed networkx graph at a date
- :mod:`tracker.rules`      the rules of organisation R1-R7
- :mod:`tracker.planning`   the gap-closing planner, the exact program, forecasts
- :mod:`tracker.overdue`    the officer's to-do list: overdue firms with what to do
- :mod:`tracker.ingest`, :mod:`tracker.edits`  import and edits with history
- :mod:`tracker.reports`    the coverage report in four formats
- :mod:`tracker.dashboard`  the Streamlit dashboard (the pages are in ``pages/``)
- :mod:`tracker.demo`       the synthetic district
- :mod:`tracker.cli`        the ``tracker`` command
- :mod:`tracker.bench`      benchmark and test tooling (the product never imports it)
"""

__version__ = "0.1.0"
