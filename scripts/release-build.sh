#!/usr/bin/env bash
# The release build of stream-config, with the flags `make`, `make deb` and the package test use
# (one place). Extra arguments go to `swift build`, e.g. --show-bin-path.
#   scripts/release-build.sh [--show-bin-path]
# STREAM_CONFIG_RELEASE_SCRATCH: the build folder (default .build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(
    -c release
    # The Swift runtime inside the binary: it runs where no Swift toolchain is installed.
    --static-swift-stdlib
    --product stream-config
    --scratch-path "${STREAM_CONFIG_RELEASE_SCRATCH:-.build-release}"
)
exec swift build "${flags[@]}" "$@"
