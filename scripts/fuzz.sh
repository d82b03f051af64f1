#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/Targets) with AddressSanitizer and runs each for SECONDS
# (default 20), seeded from fuzz/corpus/TARGET, the rule fixtures and the stock files.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# A crash leaves its input in fuzz/crashes/TARGET/ and the script exits 1: copy it to
# fuzz/regressions/TARGET/ so every build replays it (Tests: FuzzRegressionTests).
# Summary lines "fuzz: TARGET runs=N seconds=S ..." are what FUZZING.md records.
# FUZZ_CORPUS=DIR keeps the corpora there (default: inside the build folder).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(document lint handshake answers values tar fleet filter)

# FUZZ_SANITIZE=fuzzer drops AddressSanitizer for long campaigns (several times the inputs a
# second; Swift's own bounds and overflow checks still trap); CI keeps it.
sanitize=${FUZZ_SANITIZE:-fuzzer,address}
scratch=${FUZZ_SCRATCH:-.build-fuzz}
[ "$sanitize" = "fuzzer,address" ] || scratch=${FUZZ_SCRATCH:-.build-fuzz-$(echo "$sanitize" | tr , -)}
swift build -c release --scratch-path "$scratch" --product stream-config-fuzz -Xswiftc -enable-testing \
    -Xswiftc -sanitize="$sanitize" -Xswiftc -parse-as-library -Xswiftc -DFUZZING >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/stream-config-fuzz"

status=0
for target in "${targets[@]}"; do
    corpus="${FUZZ_CORPUS:-$scratch/corpus}/$target"
    crashes="fuzz/crashes/$target"
    mkdir -p "$corpus" "$crashes"
    seeds=("fuzz/corpus/$target")
    case "$target" in
        document|lint) seeds+=(fixtures/rules) ;;
        fleet) seeds+=(fixtures/fleet) ;;
    esac
    for seed in "${seeds[@]}" fuzz/regressions/"$target"; do
        [ -d "$seed" ] && cp -n "$seed"/* "$corpus"/ 2>/dev/null || true
    done
    for stock in /usr/lib/netdata/conf.d/stream.conf ../shared/netdata-stock/stream.conf.v*; do
        [ -f "$stock" ] && [ "$target" != values ] && cp -n "$stock" "$corpus/stock-$(echo "$stock" | tr / _)" || true
    done
    # Longer inputs only slow the line-oriented targets down: a request is capped at 16 KiB
    # anyway, a config's lines are independent, and the filter's bounds are 512 bytes there.
    case "$target" in
        lint) max_len=8192 ;;
        handshake|filter) max_len=4096 ;;
        *) max_len=65536 ;;
    esac
    log="$scratch/$target.log"
    set +e
    FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 "$bin" "$corpus" -max_total_time="$seconds" -max_len="$max_len" \
        -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    echo "fuzz: $target runs=${runs:-0} seconds=$seconds coverage=${cov:-0} corpus=$(ls "$corpus" | wc -l) exit=$rc"
    if [ $rc -ne 0 ]; then
        status=1
        echo "fuzz: $target FAILED; input kept in $crashes; log tail:" >&2
        tail -40 "$log" >&2
    fi
done
exit $status
