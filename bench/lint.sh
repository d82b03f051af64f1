#!/usr/bin/env bash
# Lint benchmarks: process wall time on the stock files, and in-process throughput on a
# generated parent file with 10,000 API key sections. Prints one line per figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh uuid-dev liblz4-dev pkg-config hyperfine
swift build -c release --static-swift-stdlib --product stream-config >&2
swift build -c release --static-swift-stdlib --product lint-bench >&2
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
# The stock files, found as the tests find them (Tests/TestSupport/StockFiles.swift): 1.37.1 from
# STREAM_CONFIG_STOCK_V1, netdata-core's or ../shared; 2.11.0 from STREAM_CONFIG_STOCK_V2 or
# ../shared. A missing one is skipped, with the reason.
shared="$root/../shared/netdata-stock"
# Prints the first path that is a file, or nothing (status 0 either way: under `set -e` a
# failing lookup would end the script instead of skipping that file).
first() { for f in "$@"; do [ -n "$f" ] && [ -f "$f" ] && { echo "$f"; return 0; }; done; return 0; }
stocks=("$(first "${STREAM_CONFIG_STOCK_V1:-}" /usr/lib/netdata/conf.d/stream.conf "$shared/stream.conf.v1.37.1")"
        "$(first "${STREAM_CONFIG_STOCK_V2:-}" "$shared/stream.conf.v2.11.0")")
echo "# machine: $(nproc) cores, $(uname -r), $(swift --version 2>&1 | head -1)"
for index in 0 1; do
    stock=${stocks[$index]}
    if [ -z "$stock" ]; then
        echo "# skipped: Netdata $([ $index = 0 ] && echo 1.37.1 || echo 2.11.0)'s stock stream.conf not found (set STREAM_CONFIG_STOCK_V$((index + 1)), or keep shared/ beside the clone)"
        continue
    fi
    hyperfine -N --warmup 5 --runs 100 --export-json /tmp/lint-bench.$$.json "$bin/stream-config lint $stock" >/dev/null 2>&1
    mean=$(jq '.results[0].mean * 1000' /tmp/lint-bench.$$.json)
    sd=$(jq '.results[0].stddev * 1000' /tmp/lint-bench.$$.json)
    printf 'process_wall_ms\t%s\tmean=%.2f\tstddev=%.2f\t(target <= 15)\n' "$(basename "$stock")" "$mean" "$sd"
done
rm -f /tmp/lint-bench.$$.json
"$bin/lint-bench" 10000 25 | sed 's/^/in_process\t/'
python3 - "$bin/stream-config" <<'PY'
import subprocess, sys, tempfile, time, os
lines = ["[stream]\n    enabled = no\n\n"]
for i in range(10000):
    lines.append(f"# child group {i}\n[{i:08x}-2222-4333-8444-555555555555]\n    type = api\n    enabled = yes\n    allow from = !10.1.2.3 10.* localhost\n    db = dbengine\n    proxy enabled = no\n\n")
with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
    f.write("".join(lines)); path = f.name
os.chmod(path, 0o640)
size = os.path.getsize(path)
best = min((lambda t: (subprocess.run([sys.argv[1], "lint", "--format", "gcc", path], check=True, capture_output=True), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(7))
print(f"process_10k_sections\tbytes={size}\tbest_ms={best*1000:.1f}\tMB/s={size/1e6/best:.1f}\t(target >= 50)")
os.unlink(path)
PY
