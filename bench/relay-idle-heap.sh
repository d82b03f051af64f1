#!/usr/bin/env bash
# bench/relay-idle-heap.sh: what an idle spliced child holds in the relay, item by item.
#
#   bench/relay-idle-heap.sh [CHILDREN] [RELAY-BINARY]
#
# Runs `relay-bench --targets relay --only idle --idle CHILDREN` (default 2,000) with the relay
# under heaptrack, kills the relay (SIGKILL) once it holds CHILDREN idle children (two
# descriptors each), so heaptrack's "leaked" bytes are exactly the heap live at that moment,
# and prints them per child, grouped by the innermost allocation site that says what they are
# (BENCHMARKS.md, "Idle cost"). relay-bench then reports the relay gone: that is expected.
# Needs heaptrack (Debian package `heaptrack`) and release builds of stream-config and
# relay-bench (bench/relay.sh builds both).
set -euo pipefail
cd "$(dirname "$0")/.."
children=${1:-2000}
relay=$(realpath "${2:-.build/release/stream-config}")
command -v heaptrack >/dev/null || { echo "bench/relay-idle-heap.sh: needs heaptrack (apt-get install heaptrack)" >&2; exit 1; }
[ -x .build/release/relay-bench ] || { echo "bench/relay-idle-heap.sh: build relay-bench first (bench/relay.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/relay-idle-heap.XXXXXX)
trap 'rm -rf "$work"' EXIT

# relay-bench runs this as the relay: heaptrack around the real binary, and a watcher that
# kills it once the children are in.
cat > "$work/relay" <<EOF
#!/usr/bin/env bash
heaptrack -o "$work/heap" "$relay" "\$@" &
wrapper=\$!
pid=
for _ in \$(seq 200); do
    for p in \$(pgrep -P \$wrapper); do [ "\$(readlink /proc/\$p/exe)" = "$relay" ] && pid=\$p; done
    [ -n "\$pid" ] && break
    sleep 0.05
done
(
    base=\$(ls /proc/\$pid/fd | wc -l)
    while [ -d /proc/\$pid ] && [ \$(ls /proc/\$pid/fd | wc -l) -lt \$((base + 2 * $children - 20)) ]; do sleep 0.1; done
    sleep 0.3
    grep VmRSS /proc/\$pid/status > "$work/rss" || true
    kill -KILL \$pid 2>/dev/null || true
) &
trap 'kill -TERM \$pid 2>/dev/null; wait \$wrapper' TERM
wait \$wrapper
EOF
chmod +x "$work/relay"
.build/release/relay-bench --relay-bin "$work/relay" --targets relay --only idle --idle "$children" >"$work/bench.log" 2>&1 || true
heap=$(ls "$work"/heap*.zst 2>/dev/null | head -1)
[ -n "$heap" ] || { echo "bench/relay-idle-heap.sh: no heaptrack data; relay-bench said:" >&2; tail -5 "$work/bench.log" >&2; exit 1; }
heaptrack_print -f "$heap" --print-peaks 0 --print-allocators 0 --print-temporary 0 --print-leaks 0 \
    --flamegraph-cost-type leaked -F "$work/folded.txt" >/dev/null 2>&1
echo "relay $(cat "$work/rss" 2>/dev/null || echo 'VmRSS: ?') with $children idle children; live heap per child:"
python3 - "$work/folded.txt" "$children" <<'PY'
import collections, re, sys
# The innermost frame that matches decides the item (release builds inline a lot: a few
# allocations land in the function that inlined them).
items = [
    ("read buffers (NIO keeps one per channel)", r"readFromSocket|BaseStreamSocketChannelC08readFrom"),
    ("log context (ConnectionLog: its strings; a Logger with metadata before)", r"LogfmtLogHandler|JournaldLogHandler|metadataKey|Logger7handler|RequestV5split|swift_allocBox"),
    ("NIO pending-writes state", r"PendingStreamWrites"),
    ("NIO channel objects (sockets, locks, atomics, addresses)", r"ServerSocketChannelC08readFrom|SocketChannelC9eventLoop|SocketChannelC6socket|ClientBootstrap|initializeAndRegister|SocketAddress|BaseSocket|NIOLock|ManagedAtomic"),
    ("NIO pipelines and handler contexts", r"ChannelPipeline|ChannelHandlerContext|addHandlerSync"),
    ("event-loop registrations", r"MultiThreadedEventLoopGroup|Selector.*register|SelectableEventLoopC6thread"),
    ("IdleStateHandler and scheduled tasks", r"IdleStateHandler|_prepareToSchedule|scheduleTaskIsolated|HeapV6append"),
    ("splice handlers", r"SpliceHandlerC4pair|SpliceHandlerC4side"),
    ("splice set-up (SpliceAssembler.start; the disconnect-log closure before)", r"SpliceAssemblerO5start"),
    ("receive-allocator boxes", r"SpliceHandlerC4tune|RecvByteBufferAllocator"),
    ("slot table and the accept-time close callback", r"setUp|ConnectionSlots|SlotTable|CallbackList|whenComplete"),
    ("idle timer wheel", r"TimerWheel|IdleTimeouts"),
]
path, children = sys.argv[1], int(sys.argv[2])
sums = collections.Counter()
for line in open(path):
    stack, cost = line.rstrip("\n").rsplit(" ", 1)
    chosen = "other (runtime, configuration, start-up)"
    for frame in reversed(stack.split(";")):
        hit = next((name for name, pattern in items if re.search(pattern, frame)), None)
        if hit:
            chosen = hit
            break
    sums[chosen] += int(cost)
for name, total in sums.most_common():
    print(f"{total / children:8.0f}  {name}")
print(f"{sum(sums.values()) / children:8.0f}  total (start-up heap included)")
PY
