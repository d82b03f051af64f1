#!/usr/bin/env bash
# Builds stream-config (installing what it needs) and runs it with the given arguments.
#   scripts/run.sh lint /etc/netdata/stream.conf
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" uuid-dev pkg-config
swift build -c release --static-swift-stdlib --package-path "$root" >&2
exec "$(swift build -c release --static-swift-stdlib --package-path "$root" --show-bin-path)/stream-config" "$@"
