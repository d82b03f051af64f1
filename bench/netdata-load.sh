#!/usr/bin/env bash
# netdata-load.sh - relay benchmark, scenario 2: a real Netdata 1.37.1 child with a synthetic load
# plugin streams to a real Netdata 1.37.1 parent through a middle hop, either
#   (a) "netdata proxy": a Netdata 1.37.1 proxy ([KEY] default proxy enabled = yes), or
#   (b) "relay":         our `stream-config relay`.
# For each topology it reports the middle hop's CPU% and RSS, the child's and parent's CPU%
# (context) and the wire/text rates.
#
# Usage: bench/netdata-load.sh [--charts N] [--dims N] [--window S] [--warmup S]
#                              [--sync-timeout S] [--relay-bin PATH] [--markdown FILE]
#                              [--only proxy|relay] [--filter-half] [--keep]
#   --charts N        load charts on the child (default 10000)
#   --dims N          dimensions per chart (default 10); values/s = charts x dims
#   --window S        measurement window, seconds (default 30)
#   --warmup S        seconds to wait after the parent shows the last load chart (default 20)
#   --sync-timeout S  deadline for the first sync (child start -> last chart fresh at the parent,
#                     default 600)
#   --relay-bin PATH  stream-config binary (default .build/release/stream-config)
#   --markdown FILE   also write a markdown table fragment to FILE
#   --only T          run only one topology: proxy or relay
#   --filter-half     the middle hop forwards only the even-numbered load charts (half the values;
#                     the child's proc charts are filtered out too): `default proxy send charts
#                     matching = ndbench.c*0 ndbench.c*2 ndbench.c*4 ndbench.c*6 ndbench.c*8` on both
#                     the Netdata proxy and the relay; the probes use the last even chart, and the
#                     last odd chart must be missing at the parent
#   --keep            keep the temp dir (logs, configs) instead of removing it
#
# Method: CPU% = delta(utime+stime) of /proc/PID/stat (all threads of the process) over the window
# divided by the wall time of the window; 100% = one core. RSS = VmRSS at the end of the window.
# Wire = delta bytes_acked (kernel tcp_info via `ss -tinp`) of the child's sockets to the middle
# hop and of the middle hop's sockets to the parent. Text = the parent's own
# netdata.workers_streamrcv_rate_uncompressed_bytes (dimension max = the
# busiest receiver thread; there is only one receiving stream) averaged over the window. The child also
# runs its proc collector (~190 charts on top of the load). Db mode ram, retention 600,
# compression on (the default), proxied children db mode none, the proxy's own stream off.
#
# Everything runs privately: own dirs under a mktemp dir in /tmp, own free ports on 127.0.0.1;
# every process started here is stopped by PID (checked against /proc/PID/cmdline). The system
# netdata service is never started. Every wait polls with a deadline.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

# ---------------------------------------------------------------- options
CHARTS=10000 DIMS=10 WINDOW=30 WARMUP=20 SYNC_TIMEOUT=600
RELAY_BIN=.build/release/stream-config MARKDOWN="" ONLY="" KEEP=0 FILTER=""
while [ $# -gt 0 ]; do
    case "$1" in
        --charts) CHARTS=${2:?}; shift 2 ;;
        --dims) DIMS=${2:?}; shift 2 ;;
        --window) WINDOW=${2:?}; shift 2 ;;
        --warmup) WARMUP=${2:?}; shift 2 ;;
        --sync-timeout) SYNC_TIMEOUT=${2:?}; shift 2 ;;
        --relay-bin) RELAY_BIN=${2:?}; shift 2 ;;
        --markdown) MARKDOWN=${2:?}; shift 2 ;;
        --only) ONLY=${2:?}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --filter-half) FILTER="ndbench.c*0 ndbench.c*2 ndbench.c*4 ndbench.c*6 ndbench.c*8"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "netdata-load.sh: unknown option '$1'" >&2; usage >&2; exit 64 ;;
    esac
done
for v in CHARTS DIMS WINDOW WARMUP SYNC_TIMEOUT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "netdata-load.sh: --${v,,} must be a whole number" >&2; exit 64; }
done
(( CHARTS >= 1 && DIMS >= 1 && WINDOW >= 1 )) || { echo "netdata-load.sh: --charts, --dims and --window must be >= 1" >&2; exit 64; }
case "$ONLY" in "") TOPOLOGIES=(proxy relay) ;; proxy|relay) TOPOLOGIES=("$ONLY") ;;
    *) echo "netdata-load.sh: --only takes proxy or relay" >&2; exit 64 ;; esac
case "$RELAY_BIN" in /*) ;; *) RELAY_BIN="$PWD/$RELAY_BIN" ;; esac
case "$MARKDOWN" in ""|/*) ;; *) MARKDOWN="$PWD/$MARKDOWN" ;; esac

ND_BIN=/usr/sbin/netdata
ND_STOCK_CONF=/usr/lib/netdata/conf.d
ND_STOCK_PLUGINS=/usr/lib/netdata/plugins.d
ND_WEB=/usr/share/netdata/web
KEY_IN=3c1f6a52-7e0b-4d2a-9a51-0d6b2c8e1f01    # the child's key (at the middle hop)
KEY_OUT=8e2d4b70-5a9c-4f13-b6e2-71c0d93a4f02   # the middle hop's key (at the parent)
CHILD_HOST=ndbench-child
HZ=$(getconf CLK_TCK)
VALUES=$((CHARTS * DIMS))
LAST_CHART="ndbench.c$((CHARTS - 1))"
FILTER_LINE="" DROPPED_CHART=""
if [ -n "$FILTER" ]; then
    (( CHARTS >= 2 )) || { echo "netdata-load.sh: --filter-half needs --charts 2 or more" >&2; exit 64; }
    FILTER_LINE="    default proxy send charts matching = $FILTER"
    if (( (CHARTS - 1) % 2 == 1 )); then
        DROPPED_CHART="ndbench.c$((CHARTS - 1))" LAST_CHART="ndbench.c$((CHARTS - 2))"
    else
        DROPPED_CHART="ndbench.c$((CHARTS - 2))"
    fi
fi

log() { printf '[netdata-load %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ---------------------------------------------------------------- dependencies
apt_install() {
    # never let a package's maintainer script start a service (policy-rc.d 101 = "not allowed")
    local guard=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
        guard=/usr/sbin/policy-rc.d
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2 || rc=$?
    [ -n "$guard" ] && rm -f "$guard"
    return $rc
}
if [ ! -x "$ND_BIN" ]; then log "installing netdata-core"; apt_install netdata-core; fi
need=()
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
command -v ss >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then log "installing ${need[*]}"; apt_install "${need[@]}"; fi
PYTHON=/usr/bin/python3; [ -x "$PYTHON" ] || PYTHON=$(command -v python3)
[ -x "$ND_BIN" ] || { echo "netdata-load.sh: $ND_BIN is missing" >&2; exit 1; }
if [[ " ${TOPOLOGIES[*]} " == *" relay "* ]] && [ ! -x "$RELAY_BIN" ]; then
    echo "netdata-load.sh: relay binary $RELAY_BIN not found (build it: swift build -c release --product stream-config, or pass --relay-bin)" >&2
    exit 1
fi

# ---------------------------------------------------------------- process bookkeeping
WORK=$(mktemp -d /tmp/ndbench-XXXXXX)
declare -a P_NAME=() P_PID=() P_MARK=() P_LOGS=()

# cmd_of PID -> its command line, spaces for NULs (empty when gone, or a zombie)
cmd_of() { { tr '\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null || true; }
# cmdline_has PID MARK -> true if PID is alive and its cmdline contains MARK
cmdline_has() {
    local c
    c=$(cmd_of "$1")
    [ -n "$c" ] && [[ "$c" == *"$2"* ]]
}
# descendants PID -> "pid<TAB>cmdline" lines of every descendant
descendants() {
    local kid
    for kid in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        printf '%s\t%s\n' "$kid" "$(cmd_of "$kid")"
        descendants "$kid"
    done
}
# stop_one INDEX -> SIGTERM, bounded wait, SIGKILL; then SIGKILL leftover descendants (same cmdline)
stop_one() {
    local i=$1 pid=${P_PID[$1]} mark=${P_MARK[$1]} kids deadline line kpid kcmd
    [ -n "$pid" ] || return 0
    P_PID[i]=""
    cmdline_has "$pid" "$mark" || return 0
    kids=$(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 20))
    while cmdline_has "$pid" "$mark" && (( SECONDS < deadline )); do sleep 0.2; done
    if cmdline_has "$pid" "$mark"; then
        log "${P_NAME[i]} (PID $pid) ignored SIGTERM for 20 s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 5))
        while cmdline_has "$pid" "$mark" && (( SECONDS < deadline )); do sleep 0.2; done
    fi
    deadline=$((SECONDS + 3))
    while IFS=$'\t' read -r kpid kcmd; do
        [ -n "$kpid" ] || continue
        while (( SECONDS < deadline )) && [ "$(cmd_of "$kpid")" = "$kcmd" ]; do sleep 0.2; done
        if [ -n "$kcmd" ] && [ "$(cmd_of "$kpid")" = "$kcmd" ]; then
            kill -KILL "$kpid" 2>/dev/null || true
        fi
    done <<< "$kids"
    return 0
}
stop_all() {
    local i
    for (( i = ${#P_PID[@]} - 1; i >= 0; i-- )); do stop_one "$i"; done
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all
    if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# index_of NAME -> index of the running process NAME
index_of() {
    local i
    for i in "${!P_NAME[@]}"; do
        if [ "${P_NAME[$i]}" = "$1" ] && [ -n "${P_PID[$i]}" ]; then echo "$i"; return 0; fi
    done
    return 1
}
pid_of() { local i; i=$(index_of "$1") || return 1; echo "${P_PID[$i]}"; }
alive() { local i; i=$(index_of "$1") || return 1; cmdline_has "${P_PID[$i]}" "${P_MARK[$i]}"; }

show_logs() {  # the tails of every log of this run (netdata error.log: the interesting lines)
    local i f
    for i in "${!P_NAME[@]}"; do
        for f in ${P_LOGS[$i]}; do
            [ -s "$f" ] || continue
            case "$f" in
                */error.log)
                    echo "---- ${P_NAME[$i]}: $f (last STREAM/ERROR/FATAL lines)" >&2
                    grep -E 'STREAM|RRDPUSH|PLUGINSD|ndbench|ERROR|FATAL' "$f" | tail -n 20 >&2 || true ;;
                *)
                    echo "---- ${P_NAME[$i]}: tail of $f" >&2
                    tail -n 20 "$f" >&2 || true ;;
            esac
        done
    done
}
fail() {
    log "FAILED: $*"
    show_logs
    exit 1
}

# wait_for SECONDS DESCRIPTION COMMAND... -> poll COMMAND every 0.5 s until it succeeds or the
# deadline passes; fails early if a process we started died (names in WATCH)
WATCH=()
wait_for() {
    local limit=$1 what=$2 deadline n
    shift 2
    deadline=$((SECONDS + limit))
    while (( SECONDS < deadline )); do
        "$@" && return 0
        for n in "${WATCH[@]}"; do alive "$n" || fail "$n died while waiting for: $what"; done
        sleep 0.5
    done
    fail "timed out after ${limit}s waiting for: $what"
}
# hold SECONDS -> sleep that long (to the ms), but notice a dead process within a second
hold() {
    local end left n
    end=$(awk -v t="$EPOCHREALTIME" -v s="$1" 'BEGIN { printf "%.3f", t + s }')
    while :; do
        for n in "${WATCH[@]}"; do alive "$n" || fail "$n died"; done
        left=$(awk -v t="$EPOCHREALTIME" -v e="$end" 'BEGIN { l = e - t; printf "%.3f", (l > 1 ? 1 : l) }')
        [[ $left == -* || $left == 0.000 ]] && return 0
        sleep "$left"
    done
}

# ---------------------------------------------------------------- ports
port_free() { ! ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
USED_PORTS=" "
# pick_port VAR -> sets VAR to a free loopback port in 20000..31999 (below the ephemeral range)
# that this run has not used before
pick_port() {
    local p tries
    for (( tries = 0; tries < 500; tries++ )); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
        [[ "$USED_PORTS" == *" $p "* ]] && continue
        if port_free "$p"; then USED_PORTS+="$p "; printf -v "$1" '%s' "$p"; return 0; fi
    done
    fail "no free port on 127.0.0.1"
}

# ---------------------------------------------------------------- netdata instances
write_system_info_stub() {
    # Debian's netdata-core 1.37.1 needs plugins.d/system-info.sh (shipped by netdata-plugins-bash);
    # without it a streaming child aborts when it builds its STREAM request. Neutral values.
    cat > "$1/system-info.sh" <<'EOF'
#!/bin/sh
# netdata-load.sh stub of netdata's system-info.sh
for v in CONTAINER_OS_NAME CONTAINER_OS_ID CONTAINER_OS_ID_LIKE CONTAINER_OS_VERSION \
         CONTAINER_OS_VERSION_ID CONTAINER_OS_DETECTION HOST_OS_NAME HOST_OS_ID HOST_OS_ID_LIKE \
         HOST_OS_VERSION HOST_OS_VERSION_ID HOST_OS_DETECTION SYSTEM_KERNEL_VERSION \
         SYSTEM_ARCHITECTURE SYSTEM_VIRTUALIZATION SYSTEM_VIRT_DETECTION SYSTEM_CONTAINER \
         SYSTEM_CONTAINER_DETECTION SYSTEM_CPU_VENDOR SYSTEM_CPU_MODEL SYSTEM_CPU_FREQ \
         SYSTEM_CPU_DETECTION SYSTEM_TOTAL_RAM SYSTEM_RAM_DETECTION SYSTEM_TOTAL_DISK_SIZE \
         SYSTEM_DISK_DETECTION INSTANCE_CLOUD_TYPE INSTANCE_CLOUD_INSTANCE_TYPE \
         INSTANCE_CLOUD_INSTANCE_REGION; do
    echo "NETDATA_$v=unknown"
done
echo "NETDATA_CONTAINER_IS_OFFICIAL_IMAGE=false"
echo "NETDATA_HOST_IS_K8S_NODE=false"
echo "NETDATA_SYSTEM_KERNEL_NAME=Linux"
echo "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT=1"
EOF
    chmod 755 "$1/system-info.sh"
}

# nd_conf DIR PORT HOSTNAME [EXTRA_PLUGIN] -> DIR/etc/netdata.conf (private, loopback, lean)
nd_conf() {
    local d=$1 port=$2 host=$3 extra=${4:-}
    mkdir -p "$d"/{etc,cache,lib,log,lock,run,plugins.d}
    : > "$d/etc/.opt-out-from-anonymous-statistics"
    write_system_info_stub "$d/plugins.d"
    cat > "$d/etc/netdata.conf" <<EOF
# generated by bench/netdata-load.sh - private instance, loopback only
[global]
    run as user = root
    hostname = $host
    process scheduling policy = keep
    OOM score = keep

[db]
    mode = ram
    retention = 600
    update every = 1
    cleanup orphan hosts after secs = 3600

[directories]
    config = $d/etc
    stock config = $ND_STOCK_CONF
    log = $d/log
    web = $ND_WEB
    cache = $d/cache
    lib = $d/lib
    home = $d/lib
    lock = $d/lock
    plugins = "$d/plugins.d" "$ND_STOCK_PLUGINS"
    health config = $d/etc/health.d
    stock health config = $ND_STOCK_CONF/health.d
    registry = $d/lib/registry

[logs]
    debug = $d/log/debug.log
    error = $d/log/error.log
    access = $d/log/access.log
    health = $d/log/health.log
    errors flood protection period = 0

[web]
    bind to = 127.0.0.1:$port
    default port = $port
    allow connections from = localhost 127.*
    allow streaming from = *

[registry]
    enabled = no

[health]
    enabled = no

[ml]
    enabled = no

[statsd]
    enabled = no

[plugins]
    enable running new plugins = no
    check for new plugins every = 60
    proc = yes
    diskspace = no
    cgroups = no
    tc = no
    idlejitter = yes
    timex = no
    netdata monitoring = yes
    statsd = no
    apps = no
    charts.d = no
    python.d = no
    go.d = no
    ebpf = no
    fping = no
    ioping = no
    perf = no
    slabinfo = no
    nfacct = no
    cups = no
${extra:+    $extra = yes}
EOF
}

api_up() { curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$1/api/v1/info" 2>/dev/null; }

# nd_start NAME DIR PORT -> start netdata in the foreground (-D) as a background process
nd_start() {
    local name=$1 d=$2 port=$3 pid
    port_free "$port" || fail "port $port is already in use"
    : > "$d/log/stdout.log"
    # from a throw-away subshell: not a job of this shell (no "Aborted" noise when 1.37.1
    # crashes while shutting down)
    (
        DISABLE_TELEMETRY=1 DO_NOT_TRACK=1 \
            "$ND_BIN" -D -c "$d/etc/netdata.conf" -P "$d/run/netdata.pid.nd" \
            >>"$d/log/stdout.log" 2>&1 </dev/null &
        echo $! > "$d/run/bench.pid"
    )
    pid=$(cat "$d/run/bench.pid")
    P_NAME+=("$name"); P_PID+=("$pid"); P_MARK+=("-c $d/etc/netdata.conf")
    P_LOGS+=("$d/log/error.log $d/log/stdout.log")
    WATCH+=("$name")
    wait_for 30 "$name API on 127.0.0.1:$port" api_up "$port"
    log "$name: netdata PID $pid on 127.0.0.1:$port"
}

relay_listening() { ! port_free "$1"; }

# relay_start NAME DIR PORT -> start stream-config relay, logs to DIR/relay.log
relay_start() {
    local name=$1 d=$2 port=$3 pid
    port_free "$port" || fail "port $port is already in use"
    (
        STREAM_CONFIG_LOG=stderr "$RELAY_BIN" relay --config "$d/stream.conf" --target 1.37 \
            --listen "127.0.0.1:$port" >"$d/relay.log" 2>&1 </dev/null &
        echo $! > "$d/relay.pid"
    )
    pid=$(cat "$d/relay.pid")
    P_NAME+=("$name"); P_PID+=("$pid"); P_MARK+=("--config $d/stream.conf"); P_LOGS+=("$d/relay.log")
    WATCH+=("$name")
    wait_for 30 "$name listening on 127.0.0.1:$port" relay_listening "$port"
    log "$name: stream-config relay PID $pid on 127.0.0.1:$port"
}

# ---------------------------------------------------------------- the load plugin
# write_plugin DIR -> DIR/ndbench.plugin: CHARTS x DIMS changing values every update_every seconds
write_plugin() {
    local f=$1/ndbench.plugin
    printf '#!%s -u\nCHARTS = %d\nDIMS = %d\nMAX_SECONDS = %d\n' "$PYTHON" "$CHARTS" "$DIMS" \
        $((SYNC_TIMEOUT + WARMUP + WINDOW + 600)) > "$f"
    cat >> "$f" <<'PY'
# ndbench.plugin - synthetic load for bench/netdata-load.sh (netdata plugins.d text protocol).
# Netdata runs it as `ndbench.plugin UPDATE_EVERY` and reads its stdout: the CHART/DIMENSION
# definitions once, then per collection a BEGIN <chart> [usec since last] / SET <dim> = <int> /
# END block for every chart.
import os, random, signal, sys, time

signal.signal(signal.SIGPIPE, signal.SIG_DFL)      # netdata gone: just die
try:
    every = max(1, int(float(sys.argv[1])))
except (IndexError, ValueError):
    every = 1
out = sys.stdout.buffer

defs = []
for c in range(CHARTS):
    defs.append("CHART ndbench.c%d '' 'synthetic load chart %d' 'things' 'load %d' 'ndbench.ctx%d' "
                "line %d %d '' 'ndbench.plugin' 'load'\n" % (c, c, c // 1000, c % 100, 900000 + c, every))
    defs.extend("DIMENSION v%d '' absolute 1 1 ''\n" % d for d in range(DIMS))
out.write("".join(defs).encode())
out.flush()
del defs

# Values: a random walk of POOL numbers, pre-formatted once; every collection reads the pool from
# another offset, so each dimension's value changes every second at negligible formatting cost.
POOL = 104729                                       # prime: offsets never line up with charts
rng = random.Random(1371)
walk, x = [], 50000
for _ in range(POOL):
    x = min(100000, max(0, x + rng.randint(-500, 500)))
    walk.append("%d\n" % x)
sets = ["SET v%d = " % d for d in range(DIMS)]
begins = ["BEGIN ndbench.c%d" % c for c in range(CHARTS)]

started = time.monotonic()
prev = None
tick = 0
while time.monotonic() - started < MAX_SECONDS:
    now = time.time()
    since = "\n" if prev is None else " %d\n" % int((now - prev) * 1e6)
    prev = now
    k = (tick * 7717) % POOL
    buf = []
    add = buf.append
    for c in range(CHARTS):
        add(begins[c]); add(since)
        for d in range(DIMS):
            add(sets[d]); add(walk[k])
            k += 1
            if k == POOL:
                k = 0
        add("END\n")
    out.write("".join(buf).encode())
    out.flush()
    tick += 1
    wake = (int(time.time() / every) + 1) * every   # next update_every boundary
    time.sleep(max(0.0, wake - time.time()))
PY
    chmod 755 "$f"
}

# ---------------------------------------------------------------- probes
# parent_has_load PARENTPORT -> the child host is reachable at the parent and its last load chart
# has a non-null value at most 10 s old
parent_has_load() {
    local base="http://127.0.0.1:$1" st data ts
    st=$(curl -fsS -m 3 "$base/api/v1/info" 2>/dev/null |
         jq -r --arg h "$CHILD_HOST" '[.mirrored_hosts_status[]? | select(.hostname == $h and .reachable == true)][0].hops // empty' 2>/dev/null) || return 1
    [ -n "$st" ] || return 1
    data=$(curl -fsS -m 3 "$base/host/$CHILD_HOST/api/v1/data?chart=$LAST_CHART&after=-15&format=json" 2>/dev/null) || return 1
    ts=$(jq -r '[.data[]? | select(.[1:] | any(. != null))][0][0] // empty' <<<"$data" 2>/dev/null) || return 1
    [ -n "$ts" ] && (( $(date +%s) - ts <= 10 )) || return 1
    HOPS=$st
}

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# sock_acked PID DPORT -> sum of bytes_acked of PID's established TCP sockets to 127.x:DPORT
sock_acked() {
    ss -tinpH state established "( dport = :$2 )" 2>/dev/null | awk -v want="pid=$1," '
        /users:\(\(/ { mine = index($0, want) > 0 }
        mine { for (i = 1; i <= NF; i++) if ($i ~ /^bytes_acked:/) { split($i, a, ":"); s += a[2] } }
        END { printf "%d\n", s }'
}

snapshot() {  # -> "time child_ticks mid_ticks parent_ticks plugin_ticks wire_in wire_out"
    printf '%s %s %s %s %s %s %s\n' "$(date +%s.%N)" \
        "$(cpu_ticks "$PID_CHILD")" "$(cpu_ticks "$PID_MID")" "$(cpu_ticks "$PID_PARENT")" \
        "$( [ -n "$PID_PLUGIN" ] && cpu_ticks "$PID_PLUGIN" || echo 0)" \
        "$(sock_acked "$PID_CHILD" "$PORT_MID")" "$(sock_acked "$PID_MID" "$PORT_PARENT")"
}

# ---------------------------------------------------------------- one topology
declare -A R=()   # results: R[topology.field]

run_topology() {
    local topo=$1 d=$WORK/$1 label t0 sync
    label="netdata proxy"; [ "$topo" = relay ] && label="relay"
    pick_port PORT_PARENT; pick_port PORT_MID; pick_port PORT_CHILD
    log "== $label: child :$PORT_CHILD -> $topo :$PORT_MID -> parent :$PORT_PARENT, ${CHARTS}x${DIMS} = $VALUES values/s"

    # parent: accepts KEY_OUT, keeps received hosts in ram
    nd_conf "$d/parent" "$PORT_PARENT" ndbench-parent
    cat > "$d/parent/etc/stream.conf" <<EOF
[stream]
    enabled = no

[$KEY_OUT]
    type = api
    enabled = yes
    allow from = *
    default memory mode = ram
    health enabled by default = no
EOF
    nd_start "$topo-parent" "$d/parent" "$PORT_PARENT"

    if [ "$topo" = proxy ]; then
        nd_conf "$d/mid" "$PORT_MID" ndbench-proxy
        cat > "$d/mid/etc/stream.conf" <<EOF
[stream]
    # the proxy's own metrics are not streamed; proxied children are forwarded either way
    enabled = no
    destination = tcp:127.0.0.1:$PORT_PARENT
    api key = $KEY_OUT
    buffer size bytes = 10485760

[$KEY_IN]
    type = api
    enabled = yes
    allow from = *
    default memory mode = none
    health enabled by default = no
    default proxy enabled = yes
    default proxy destination = tcp:127.0.0.1:$PORT_PARENT
    default proxy api key = $KEY_OUT
$FILTER_LINE
EOF
        nd_start "$topo-mid" "$d/mid" "$PORT_MID"
    else
        mkdir -p "$d/mid"
        cat > "$d/mid/stream.conf" <<EOF
[stream]
    enabled = yes
    destination = 127.0.0.1:$PORT_PARENT
    api key = $KEY_OUT

[$KEY_IN]
    type = api
    enabled = yes
    allow from = *
$FILTER_LINE
EOF
        chmod 640 "$d/mid/stream.conf"
        relay_start "$topo-mid" "$d/mid" "$PORT_MID"
    fi

    # child: proc + the load plugin, streaming to the middle hop
    nd_conf "$d/child" "$PORT_CHILD" "$CHILD_HOST" ndbench
    write_plugin "$d/child/plugins.d"
    cat > "$d/child/etc/stream.conf" <<EOF
[stream]
    enabled = yes
    destination = tcp:127.0.0.1:$PORT_MID
    api key = $KEY_IN
    timeout seconds = 60
    buffer size bytes = 10485760
    reconnect delay seconds = 5
    enable compression = yes
EOF
    t0=$SECONDS
    nd_start "$topo-child" "$d/child" "$PORT_CHILD"
    log "$label: waiting (up to ${SYNC_TIMEOUT}s) for $LAST_CHART of $CHILD_HOST to be fresh at the parent"
    HOPS=""
    wait_for "$SYNC_TIMEOUT" "$LAST_CHART of $CHILD_HOST fresh at the parent" parent_has_load "$PORT_PARENT"
    sync=$((SECONDS - t0))
    log "$label: first sync done in ${sync}s (hops=$HOPS); warm-up ${WARMUP}s"
    hold "$WARMUP"

    PID_CHILD=$(pid_of "$topo-child"); PID_MID=$(pid_of "$topo-mid"); PID_PARENT=$(pid_of "$topo-parent")
    PID_PLUGIN=$(descendants "$PID_CHILD" | awk -F'\t' 'index($2, "ndbench.plugin") { print $1; exit }')
    [ -n "$PID_PLUGIN" ] || log "WARN: load plugin process not found"
    local s1 s2 m
    s1=$(snapshot)
    log "$label: measuring for ${WINDOW}s"
    hold "$WINDOW"
    s2=$(snapshot)
    R[$topo.rss_mid]=$(rss_mb "$PID_MID"); R[$topo.rss_child]=$(rss_mb "$PID_CHILD")
    R[$topo.rss_parent]=$(rss_mb "$PID_PARENT")
    m=$(printf '%s\n%s\n' "$s1" "$s2" | awk -v hz="$HZ" '
        NR == 1 { for (i = 1; i <= NF; i++) a[i] = $i; next }
        { dt = $1 - a[1]
          printf "%.2f %.1f %.1f %.1f %.1f %.0f %.0f\n", dt,
              ($2 - a[2]) / hz / dt * 100, ($3 - a[3]) / hz / dt * 100, ($4 - a[4]) / hz / dt * 100,
              ($5 - a[5]) / hz / dt * 100, ($6 - a[6]) / dt, ($7 - a[7]) / dt }')
    read -r "R[$topo.dt]" "R[$topo.cpu_child]" "R[$topo.cpu_mid]" "R[$topo.cpu_parent]" "R[$topo.cpu_plugin]" \
        "R[$topo.wire_in]" "R[$topo.wire_out]" <<<"$m"
    # the parent's own count of uncompressed (text) bytes received, averaged over the window
    R[$topo.text]=$(curl -fsS -m 5 "http://127.0.0.1:$PORT_PARENT/api/v1/data?chart=netdata.workers_streamrcv_rate_uncompressed_bytes&after=-$WINDOW&points=1&group=average&format=json" 2>/dev/null |
        jq -r '.labels as $l | .data[0] as $r | [range(1; $l | length) | select($l[.] == "max") | $r[.]][0] // 0' 2>/dev/null || echo 0)
    # completeness: nulls of the last load chart at the parent in the window, and its freshness
    R[$topo.nulls]=$(curl -fsS -m 5 "http://127.0.0.1:$PORT_PARENT/host/$CHILD_HOST/api/v1/data?chart=$LAST_CHART&after=-$WINDOW&format=json" 2>/dev/null |
        jq '[.data[] | .[1:][] | select(. == null)] | length' 2>/dev/null || echo "?")
    parent_has_load "$PORT_PARENT" && R[$topo.fresh]=yes || R[$topo.fresh]=no
    # filtering: the dropped chart must not exist at the parent
    R[$topo.leak]=no
    if [ -n "$DROPPED_CHART" ] && curl -fsS -m 5 "http://127.0.0.1:$PORT_PARENT/host/$CHILD_HOST/api/v1/charts" 2>/dev/null |
            jq -e --arg c "$DROPPED_CHART" '.charts | has($c)' >/dev/null 2>&1; then
        R[$topo.leak]=yes
    fi
    R[$topo.sync]=$sync; R[$topo.hops]=$HOPS
    log "$label: done, stopping"
    WATCH=()
    stop_all
}

# ---------------------------------------------------------------- run
log "work dir $WORK; $(nproc) cores; netdata $("$ND_BIN" -v 2>&1 | head -1)"
for t in "${TOPOLOGIES[@]}"; do run_topology "$t"; done

# ---------------------------------------------------------------- report
rate() {  # bytes/s -> human
    awk -v b="$1" 'BEGIN { if (b >= 1e6) printf "%.2f MB/s", b / 1e6; else printf "%.0f KB/s", b / 1e3 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }
label_of() { [ "$1" = proxy ] && echo "netdata proxy" || echo "relay"; }

echo
printf '%s\n' "netdata 1.37.1 child -> middle hop -> parent, ${CHARTS} charts x ${DIMS} dims = ${VALUES} values/s (+ child's proc charts), window ${R[${TOPOLOGIES[0]}.dt]}s, compression on, $(nproc) cores${FILTER:+, forwarding only the charts matching '$FILTER'}"
printf '%-14s %9s %9s %9s %10s %11s %11s %14s %14s %12s %6s %5s %6s %16s\n' \
    topology values/s "mid CPU%" "mid RSS" "child CPU%" "parent CPU%" "plugin CPU%" "wire child>mid" "wire mid>par" \
    "text@parent" "sync" hops nulls "RSS child/parent"
for t in "${TOPOLOGIES[@]}"; do
    printf '%-14s %9s %9s %6s MB %10s %11s %11s %14s %14s %12s %5ss %5s %6s %13s MB\n' "$(label_of "$t")" "$VALUES" \
        "${R[$t.cpu_mid]}" "${R[$t.rss_mid]}" "${R[$t.cpu_child]}" "${R[$t.cpu_parent]}" "${R[$t.cpu_plugin]}" \
        "$(rate "${R[$t.wire_in]}")" "$(rate "${R[$t.wire_out]}")" "$(rate "${R[$t.text]}")" \
        "${R[$t.sync]}" "${R[$t.hops]}" "${R[$t.nulls]}" "${R[$t.rss_child]}/${R[$t.rss_parent]}"
done
if [ ${#TOPOLOGIES[@]} -eq 2 ]; then
    printf '%-14s %9s %9s %9s\n' "proxy/relay" "" "$(ratio "${R[proxy.cpu_mid]}" "${R[relay.cpu_mid]}")" \
        "$(ratio "${R[proxy.rss_mid]}" "${R[relay.rss_mid]}")"
fi
for t in "${TOPOLOGIES[@]}"; do
    [ "${R[$t.fresh]}" = yes ] || log "WARN: $(label_of "$t"): the last load chart was not fresh at the parent after the window"
    [ "${R[$t.nulls]}" = 0 ] || log "WARN: $(label_of "$t"): ${R[$t.nulls]} null values of $LAST_CHART at the parent in the window"
    [ "${R[$t.leak]}" = no ] || log "WARN: $(label_of "$t"): the filtered chart $DROPPED_CHART reached the parent"
done

if [ -n "$MARKDOWN" ]; then
    {
        echo "| middle hop | values/s | middle-hop CPU % | middle-hop RSS MB | child CPU % | parent CPU % | text at parent | wire into parent |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
        for t in "${TOPOLOGIES[@]}"; do
            printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label_of "$t")" "$VALUES" "${R[$t.cpu_mid]}" \
                "${R[$t.rss_mid]}" "${R[$t.cpu_child]}" "${R[$t.cpu_parent]}" "$(rate "${R[$t.text]}")" "$(rate "${R[$t.wire_out]}")"
        done
        if [ ${#TOPOLOGIES[@]} -eq 2 ]; then
            printf '| **ratio proxy/relay** | | **%s** | **%s** | | | | |\n' \
                "$(ratio "${R[proxy.cpu_mid]}" "${R[relay.cpu_mid]}")" "$(ratio "${R[proxy.rss_mid]}" "${R[relay.rss_mid]}")"
        fi
    } > "$MARKDOWN"
    log "wrote $MARKDOWN"
fi
