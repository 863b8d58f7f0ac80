"""``served_dashboard``: a server that cannot start fails fast with its own words."""

from __future__ import annotations

import pytest

from tracker.bench.localserve import served_dashboard


def test_a_server_that_exits_is_reported_with_its_log(tmp_path):
    missing = tmp_path / "no-such-folder" / "redwood.db"
    with (open(tmp_path / "serve.log", "w") as log, pytest.raises(RuntimeError) as error,
          served_dashboard(f"sqlite:///{missing}", timeout=60, log=log)):
        pass  # pragma: no cover - never reached
    text = str(error.value)
    assert "exited" in text
    assert "no-such-folder" in text  # the server's own message, from its log
