# Sourced by scripts/dashboard.sh and scripts/test.sh: make `uv` available and install the
# project's Python dependencies exactly as locked in uv.lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  # Install Debian packages once; `apt-get update` only when something is missing.
  echo "redwood: installing system packages: $*" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

report_tools() {
  # What the Word and PDF reports need: CJK fonts to set the text, Chromium to draw the
  # charts (without it a report goes out without charts and says so). Installed only when
  # missing, so that a newcomer's first export from the dashboard works.
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

if ! python3 -m uv --version >/dev/null 2>&1; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip python3-venv
  fi
  echo "redwood: installing uv from PyPI" >&2
  python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv 2>/dev/null \
    || python3 -m pip install --quiet uv
fi

python3 -m uv sync --frozen --quiet
