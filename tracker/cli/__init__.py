"""The ``tracker`` command: one entry point, one sub-command per task.

Every sub-command takes the store from ``--db URL`` or ``TRACKER_DATABASE_URL`` (default:
``redwood.db`` in the current folder). Errors meant for the user are one line on stderr
with a non-zero exit; set ``TRACKER_DEBUG=1`` to see a traceback instead.

:mod:`tracker.cli.base` holds the group and what the sub-commands share; each
``*_commands`` module registers its sub-commands on :data:`main` when imported here (the
modules import only ``base``, never this package, so there is no import cycle).
"""

from __future__ import annotations

from . import (  # noqa: F401 - imported for their sub-commands
    analysis_commands,
    bench_commands,
    data_commands,
    demo_commands,
    engine_commands,
    plan_commands,
    plans_commands,
    quality_commands,
    report_commands,
    user_commands,
)
from .base import Context, as_of_option, entry, main, parse_date, run

__all__ = ["Context", "as_of_option", "entry", "main", "parse_date", "run"]
