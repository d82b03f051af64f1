#!/usr/bin/env bash
# Runs every test, including the interop tests against real Netdata 1.37.1; installs what the
# tests need first (Debian packages; the Netdata service is never started).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh uuid-dev liblz4-dev libssl-dev pkg-config iproute2 netdata-core mandoc man-db openssl curl jq tmux systemd bash-completion zsh fish make acl
# ansible-core (PyPI) for the playbook tests, when it is not there yet.
command -v ansible-playbook >/dev/null || python3 -m pip install --quiet ansible-core
swift build --build-tests
export STREAM_CONFIG_BIN="$(swift build --show-bin-path)/stream-config"
export STREAM_CONFIG_REQUIRE_INTEROP=1
# Network namespaces, for the tests that give real agents addresses of their own (the fleet of
# real agents, doctor on Debian's netdata.conf): probed once here. Where this machine cannot make
# them (a container without CAP_NET_ADMIN), those tests skip with the reason, said loudly here;
# where it can, a test that fails to make its namespace fails.
probe="sc-probe-$$"
if ip netns add "$probe" 2>/tmp/sc-netns-probe.$$; then
    ip netns del "$probe"
    unset STREAM_CONFIG_NETNS_UNAVAILABLE
else
    export STREAM_CONFIG_NETNS_UNAVAILABLE="ip netns add failed: $(tr '\n' ' ' < /tmp/sc-netns-probe.$$)"
    echo "test.sh: NOTICE: no network namespaces on this machine ($STREAM_CONFIG_NETNS_UNAVAILABLE): the multi-host fleet test and doctor's Debian netdata.conf test will be skipped" >&2
fi
rm -f /tmp/sc-netns-probe.$$
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
