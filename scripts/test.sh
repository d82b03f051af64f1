#!/usr/bin/env bash
# Runs every test, including the interop tests against real Netdata 1.37.1; installs what the
# tests need first (Debian packages; the Netdata service is never started).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh uuid-dev pkg-config netdata-core mandoc man-db openssl curl jq tmux systemd bash-completion zsh fish make acl
# ansible-core (PyPI) for the playbook tests, when it is not there yet.
command -v ansible-playbook >/dev/null || python3 -m pip install --quiet ansible-core
swift build --build-tests
export STREAM_CONFIG_BIN="$(swift build --show-bin-path)/stream-config"
export STREAM_CONFIG_REQUIRE_INTEROP=1
# The fuzz targets, a short run each (FUZZ_SECONDS, default 20; 0 skips): a regression in a
# reader of untrusted bytes fails the suite. Only for a whole-suite run, and before the tests
# so that their summary is the last thing printed.
# The Debian package (scripts/package-test.sh: release build, lintian, install, use, purge), also
# only for a whole-suite run; PACKAGE_TEST=0 skips it.
if [ $# -eq 0 ] && [ "${PACKAGE_TEST:-1}" != 0 ]; then
    scripts/package-test.sh
fi
if [ $# -eq 0 ] && [ "${FUZZ_SECONDS:-20}" != 0 ]; then
    scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
fi
swift test --skip-build "$@"
