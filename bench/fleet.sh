#!/usr/bin/env bash
# fleet check at scale: generated fleets of 1,000, 5,000 and 10,000 hosts (200 parents each),
# every host with stream.conf, netdata.conf and netdata.public.unique.id, as Ansible's fetch
# collects them. Times the whole `stream-config fleet check` process with /usr/bin/time -v
# (wall clock and peak RSS), best of RUNS (default 5). Prints one line per fleet size.
# Usage: bench/fleet.sh [SIZES...]   (BIN=path/to/stream-config skips the release build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ -z "${BIN:-}" ]]; then
    scripts/deps.sh uuid-dev liblz4-dev pkg-config time
    swift build -c release --static-swift-stdlib --product stream-config >&2
    BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/stream-config"
fi
runs=${RUNS:-5}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000 5000 10000)
work=$(mktemp -d /tmp/fleet-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "# machine: $(nproc) cores, $(uname -r), $(swift --version 2>&1 | head -1)"
for size in "${sizes[@]}"; do
    dir="$work/$size"
    python3 bench/fleet-generate.py "$dir" "$size"
    best_wall="" best_rss="" best_cpu=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -v -o "$work/time" "$BIN" fleet check --format gcc "$dir/fleet.yaml" >"$work/out" 2>/dev/null || true
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$work/time")
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
        cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$work/time")
        if [[ -z "$best_wall" ]] || awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall best_rss=$rss best_cpu=$cpu; fi
    done
    findings=$(wc -l <"$work/out")
    printf 'fleet_check\thosts=%d\tparents=200\twall_s=%s\tcpu_s=%s\tpeak_rss_mb=%.1f\tfindings=%d\tload=%s\t(target <= 1 s, <= 500 MB at 10000)\n' \
        "$size" "$best_wall" "$best_cpu" "$(awk "BEGIN{print $best_rss/1024}")" "$findings" "$(cut -d' ' -f1 /proc/loadavg)"
    rm -rf "$dir"
done
