#!/usr/bin/env bash
# The dashboard on an embedded SQLite database (./redwood.db), with the synthetic demo data
# loaded on first start. Installs what its Word and PDF reports need when missing (CJK
# fonts, Chromium for the charts). Extra arguments go to `tracker serve` (e.g. --port 8600).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
report_tools
exec python3 -m uv run --frozen tracker serve --demo "$@"
