#!/usr/bin/env bash
# The installed binary's cost, for one or more builds side by side in one run:
#   bench/binary.sh LABEL=PATH [LABEL=PATH...]
# For each: size unstripped and stripped (strip --strip-unneeded, as the package does), then
# `--version` and `lint` of netdata-core's stock stream.conf, each run RUNS times (default 30):
# the median and minimum wall time, and peak RSS (getrusage of the child, KiB).
set -euo pipefail
runs=${RUNS:-30}
stock=/usr/lib/netdata/conf.d/stream.conf
[ -f "$stock" ] || { echo "bench/binary.sh: needs netdata-core's $stock" >&2; exit 1; }
printf '%-14s %12s %12s %22s %22s %12s %12s\n' build "size MB" "stripped MB" "--version ms (med/min)" "lint ms (med/min)" "RSS ver KiB" "RSS lint KiB"
for pair in "$@"; do
    label=${pair%%=*}; bin=${pair#*=}
    stripped=$(mktemp); strip --strip-unneeded -o "$stripped" "$bin"
    python3 - "$label" "$bin" "$stripped" "$runs" "$stock" <<'PY'
import os, resource, statistics, subprocess, sys, time
label, bin, stripped, runs, stock = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def measure(args):
    walls, peak = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1); os.dup2(fd, 2)
            os.execv(stripped, [stripped] + args)
        _, status, usage = os.wait4(pid, 0)
        walls.append((time.perf_counter() - start) * 1000)
        peak = max(peak, usage.ru_maxrss)
    return statistics.median(walls), min(walls), peak
v = measure(["--version"]); l = measure(["lint", "--target", "1.37", stock])
print(f"{label:14s} {os.path.getsize(bin)/1e6:12.1f} {os.path.getsize(stripped)/1e6:12.1f} {v[0]:11.1f}/{v[1]:<10.1f} {l[0]:11.1f}/{l[1]:<10.1f} {v[2]:12d} {l[2]:12d}")
PY
    rm -f "$stripped"
done
