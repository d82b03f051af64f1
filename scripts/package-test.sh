#!/usr/bin/env bash
# The package test: builds the .deb, checks it with lintian (no error, no warning), installs it
# with apt-get on this machine, uses what it installed, purges it and checks nothing is left.
# Run by scripts/test.sh (CI); needs root or sudo. Every check prints what it saw when it fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh lintian netdata-core man-db bash-completion systemd

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
step() { echo "package-test: $*" >&2; }

out=$(mktemp -d)
trap 'rm -rf "$out"; $sudo dpkg -s stream-config >/dev/null 2>&1 && $sudo apt-get purge -y -qq stream-config >/dev/null 2>&1 || true' EXIT
deb=$(scripts/package.sh "$out" | tail -1)
[ -f "$deb" ] || fail "scripts/package.sh made no package (got '$deb')"
version=$(dpkg-deb -f "$deb" Version)
step "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# Debian's own linter, errors and warnings both fatal (overrides only with a written reason).
lintian --fail-on error,warning --display-info "$deb" >"$out/lintian.txt" 2>&1 || {
    cat "$out/lintian.txt" >&2; fail "lintian reports errors or warnings"; }
step "lintian: clean ($(grep -c . "$out/lintian.txt" || true) info line(s))"

# Depends computed from the binary: the C library, the C and C++ runtimes, libuuid and liblz4
# (the relay's LZ4 toward a filtered child's parent) at most, nothing of Swift (its runtime is
# inside the binary).
depends=$(dpkg-deb -f "$deb" Depends)
grep -q "libc6" <<<"$depends" || fail "Depends lacks libc6: $depends"
for dependency in $(sed 's/([^)]*)//g; s/,/ /g' <<<"$depends"); do
    case "$dependency" in libc6|libgcc-s1|libstdc++6|libuuid1|liblz4-1) ;; *) fail "unexpected dependency $dependency: $depends" ;; esac
done

# The binary's size (BENCHMARKS.md): no ICU data (full Foundation) linked, stripped size guarded.
built=${STREAM_CONFIG_RELEASE_BIN:-$(scripts/release-build.sh --show-bin-path)/stream-config}
if nm "$built" 2>/dev/null | grep -q icudt; then fail "the binary links ICU's data (full Foundation): import FoundationEssentials instead"; fi
dpkg-deb -x "$deb" "$out/root"
size=$(stat -c %s "$out/root/usr/bin/stream-config")
[ "$size" -le $((35 * 1000 * 1000)) ] || fail "the installed binary is $size bytes (guard: 35 MB; BENCHMARKS.md)"
step "installed binary: $((size / 1000)) kB stripped, no ICU data"

files=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$')
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq "$deb" >/dev/null || fail "apt-get install $deb"
dpkg -s stream-config | grep -q "Status: install ok installed" || fail "not installed"

[ "$(/usr/bin/stream-config --version)" = "$version" ] || fail "--version prints '$(/usr/bin/stream-config --version)', the package is $version"
man -w stream-config >/dev/null || fail "man -w stream-config finds no page"
man -w 5 stream.conf >/dev/null || fail "man -w 5 stream.conf finds no page"
/usr/bin/stream-config lint --target 1.37 /usr/lib/netdata/conf.d/stream.conf \
    || fail "lint of netdata-core's stock stream.conf exited $?"
systemd-analyze verify /lib/systemd/system/stream-config-relay.service 2>"$out/verify.txt" || {
    cat "$out/verify.txt" >&2; fail "systemd-analyze verify of the relay's unit"; }
[ "$(systemctl is-enabled stream-config-relay.service 2>/dev/null || true)" != enabled ] \
    || fail "the package enabled the relay's unit"
completion=$(bash -c 'source /usr/share/bash-completion/bash_completion
    COMP_WORDS=(stream-config li); COMP_CWORD=1; COMP_LINE="stream-config li"; COMP_POINT=${#COMP_LINE}
    _completion_loader stream-config; $(complete -p stream-config | sed "s/.*-F \([^ ]*\) .*/\1/") stream-config li stream-config
    printf "%s\n" "${COMPREPLY[@]}"')
grep -qx lint <<<"$completion" || fail "bash completion of 'stream-config li' gave: $completion"
step "installed: --version $version, man pages, lint of the stock file, unit verified and not enabled, bash completion"

$sudo apt-get purge -y -qq stream-config >/dev/null || fail "apt-get purge stream-config"
left=$(while read -r f; do [ -e "$f" ] && echo "$f"; done <<<"$files" || true)
[ -z "$left" ] || fail "files left after purge: $left"
[ ! -e /usr/share/doc/stream-config ] || fail "/usr/share/doc/stream-config left after purge"
step "purged: none of its $(wc -l <<<"$files") files is left"
