#!/usr/bin/env bash
# Builds stream-config (installing what it needs) and runs it with the given arguments.
#   scripts/run.sh lint /etc/netdata/stream.conf
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" uuid-dev liblz4-dev pkg-config
"$root/scripts/release-build.sh" >&2
exec "$("$root/scripts/release-build.sh" --show-bin-path)/stream-config" "$@"
