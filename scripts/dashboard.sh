#!/usr/bin/env bash
# The dashboard on an embedded SQLite database (./redwood.db), with the synthetic demo data
# loaded on first start. Extra arguments go to `tracker serve` (e.g. --port 8600).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
exec python3 -m uv run --frozen tracker serve --demo "$@"
