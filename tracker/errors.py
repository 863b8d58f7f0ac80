"""The one base class for errors whose message is meant for the user.

The command line prints such a message as one line on stderr and exits non-zero; the
dashboard shows it in an error box. Anything else is a bug and is reported as one.
"""

from __future__ import annotations

__all__ = ["TrackerError"]


class TrackerError(Exception):
    """An error with a message for the user (Chinese first)."""

    exit_code = 1
