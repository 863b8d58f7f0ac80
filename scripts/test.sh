#!/usr/bin/env bash
# The whole test suite: installs the system packages the tests need when missing
# (Chromium and CJK fonts for the browser tests, PostgreSQL for the store tests,
# poppler-utils to open the PDF reports, LibreOffice to open the Word and Excel reports as
# an office client would), then runs pytest. Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer libreoffice-calc)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

export TRACKER_TEST_ARTIFACTS="${TRACKER_TEST_ARTIFACTS:-$PWD/test-artifacts}"
exec python3 -m uv run --frozen pytest "$@"
