"""Redwood (红杉林): party-work coverage of Huangpu District's industrial chains.

The package is laid out one concept per module:

- :mod:`tracker.vocab`      the enumerations (segment, ownership, org kind, ...) with zh/en labels
- :mod:`tracker.uscc`       the unified social credit code (GB 32100-2015)
- :mod:`tracker.intervals`  the one rule "active on D" for every dated fact
- :mod:`tracker.model`      the tables
- :mod:`tracker.store`      engines, sessions, migrations
- :mod:`tracker.chains`     the shipped chain list and the default plan (data, not code)
- :mod:`tracker.coverage`   coverage at a date, groupings, monthly series
- :mod:`tracker.graph`      the typed networkx graph at a date
- :mod:`tracker.rules`      the rules of organisation R1-R5
- :mod:`tracker.demo`       the synthetic district
- :mod:`tracker.cli`        the ``tracker`` command
"""

__version__ = "0.1.0"
