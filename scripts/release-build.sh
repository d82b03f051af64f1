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
    # Export no symbols: an executable needs none, and exported ones survive --gc-sections
    # (30,745 dynamic symbols before; 3.3 MB of the stripped binary; BENCHMARKS.md).
    -Xlinker --no-export-dynamic
)
exec swift build "${flags[@]}" "$@"
