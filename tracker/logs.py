"""Structured server logs: one JSON line per page view and per error, rotated.

The dashboard writes to the logger ``tracker.server``; :func:`configure` sends it to a file
that rotates at ``TRACKER_LOG_MAX_BYTES`` (10 MB) and keeps ``TRACKER_LOG_BACKUPS`` (5)
old files. The file is ``TRACKER_LOG_FILE``, else ``redwood.log`` in
``TRACKER_LOG_DIR``, else in ``$XDG_STATE_HOME/redwood`` (``~/.local/state/redwood``).

Each line is one JSON object with, in this order: ``time`` (UTC, ISO 8601), ``level``,
``event`` (``page`` or ``error``), ``user`` (the account name, or ``null`` before a login),
``page`` (the URL path), ``duration_ms``, ``incident`` (``null`` for a page view without
error) and, for an error, ``error`` (the exception's class), ``outage`` (the kind of
database outage or ``null``), ``driver`` (a database driver's own first line, e.g.
"Connection refused", or ``null``) and ``traceback``. Nothing else is written: never a
password, a form's content or a member's data (an exception's *message* is not logged,
only its class and the traceback's frames, whose lines are program code: SQLAlchemy's
messages carry the statement's parameters).

Examples
--------
>>> line = render("page", user="wang", page="chain", duration_ms=12.5)
>>> json.loads(line)["event"], json.loads(line)["incident"]
('page', None)
>>> new_incident()[:2] == "20" and len(new_incident()) == 15
True
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import traceback
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

__all__ = ["LOGGER", "configure", "error", "log_file", "new_incident", "page_view", "render"]

#: The logger of the dashboard server's structured lines.
LOGGER = "tracker.server"
_LOCK = threading.Lock()
_FIELDS = ("time", "level", "event", "user", "page", "duration_ms", "incident")


def log_file() -> Path:
    """Where the structured log goes (see the module's text for the settings)."""
    explicit = os.environ.get("TRACKER_LOG_FILE")
    if explicit:
        return Path(explicit).expanduser()
    folder = os.environ.get("TRACKER_LOG_DIR")
    if not folder:
        state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
        folder = Path(state) / "redwood"
    return Path(folder).expanduser() / "redwood.log"


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def configure() -> logging.Logger:
    """The server logger, writing to :func:`log_file` (set up once per process and file;
    a changed ``TRACKER_LOG_FILE`` moves it)."""
    logger = logging.getLogger(LOGGER)
    handler = _handler()
    with _LOCK:
        # Attached again whenever it is missing: the dashboard's server reloads changed
        # modules and other code may reset the logging set-up; the lines must not stop.
        for other in [h for h in logger.handlers if h is not handler]:
            if isinstance(other, RotatingFileHandler):
                logger.removeHandler(other)
        if handler not in logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.disabled = False
        # The lines are for this file; Streamlit's own console output stays as it is.
        logger.propagate = False
    return logger


# One open handler per file for the life of the process (kept on the logging module, which
# is never reloaded, so that a reload of this module does not open the file twice).
_OPEN = logging.__dict__.setdefault("_redwood_log_handlers", {})


def _handler() -> RotatingFileHandler:
    path = log_file().resolve()
    with _LOCK:
        handler = _OPEN.get(path)
        if handler is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(path, maxBytes=_int_env("TRACKER_LOG_MAX_BYTES", 10_000_000),
                                          backupCount=_int_env("TRACKER_LOG_BACKUPS", 5),
                                          encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(message)s"))
            _OPEN[path] = handler
        return handler


def new_incident() -> str:
    """A new incident number: the UTC date and six random hex digits, ``20250630-3fa9c2``;
    short enough to read out on the telephone, unique enough for a department."""
    return f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def render(event: str, *, user: str | None = None, page: str | None = None,
           duration_ms: float | None = None, incident: str | None = None,
           level: str = "INFO", **extra) -> str:
    """One log line (JSON, no newline) with the fields in the documented order."""
    record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"),
              "level": level, "event": event, "user": user, "page": page,
              "duration_ms": None if duration_ms is None else round(duration_ms, 1),
              "incident": incident}
    record.update(extra)
    return json.dumps(record, ensure_ascii=False)


def page_view(*, user: str | None, page: str | None, duration_ms: float,
              incident: str | None = None) -> None:
    """Log one page view (one run of a page)."""
    configure().info(render("page", user=user, page=page, duration_ms=duration_ms,
                            incident=incident))


def error(exc: BaseException, *, incident: str, user: str | None, page: str | None,
          duration_ms: float | None = None, outage: str | None = None) -> None:
    """Log an error under ``incident``: its class and traceback (not its message)."""
    frames = traceback.format_tb(exc.__traceback__)
    chain = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(chain) < 5:
        chain.append(f"{type(cause).__module__}.{type(cause).__name__}")
        frames = traceback.format_tb(cause.__traceback__) + ["-- caused --\n"] + frames
        cause = cause.__cause__ or cause.__context__
    orig = getattr(exc, "orig", None)
    driver = str(orig).strip().splitlines()[0] if orig is not None and str(orig).strip() else None
    configure().error(render(
        "error", level="ERROR", user=user, page=page, duration_ms=duration_ms,
        incident=incident, error=f"{type(exc).__module__}.{type(exc).__name__}",
        causes=chain, outage=outage, driver=driver, traceback="".join(frames)))
